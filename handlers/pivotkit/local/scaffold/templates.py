"""The files ``pivotkit new customer`` writes, as templates: the one place they live.

Each is a ``string.Template`` (``$slug``; ``$label``, the name as spoken; ``$model``, the
configuration model's class): the generated code holds f-strings and dictionaries, whose
braces ``str.format`` would take for its own. What they generate is linted, type-checked
and run by tests/integration/test_new_customer.py, so a template that stops passing ``make
test`` fails the kit's own suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

PACKAGE = Template('''\
"""$label: a greeting during opening hours, a menu, the front desk or a voicemail box.

start ─┬─ open ─► greeting and menu ─┬─ 1 ─► front desk (device) ─► voicemail if unanswered
       │                             ├─ 2 ─► voicemail
       │                             └─ anything else ─► the menu again, then voicemail
       └─ closed ─► closed message ─► voicemail

Everything that differs between stages (hours, time zone, device, mailbox, what is said) is
in config/<stage>.toml, checked by ``$model`` (config.py) and read as
``call.config_as($model)``. The time is ``call.now()``, so tests and ``pivotkit call --now``
choose it. Written by ``pivotkit new customer``: yours to change (docs/customers.md).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pivotkit import Call, Customer, Flow, Node, device, tts, voicemail

from .config import WEEKDAYS, $model

MENU = "Press 1 for the front desk, or 2 to leave a message."
SORRY = "Sorry, that is not an option."
MAX_TRIES = 3

flow = Flow()


def is_open(config: $model, moment: datetime) -> bool:
    """Whether ``moment`` (any time zone) falls in the opening hours, local time."""
    local = moment.astimezone(ZoneInfo(config.timezone))
    return (
        WEEKDAYS[local.weekday()] in config.open_days
        and config.opens <= local.time() < config.closes
    )


@flow.step()
def start(call: Call) -> Node:
    config = call.config_as($model)
    if not is_open(config, call.now()):
        return tts(config.closed_message).then(voicemail(config.voicemail_box))
    return call.gather("menu", prompt=tts(f"{config.greeting} {MENU}"))


@flow.step()
def menu(call: Call) -> Node:
    config = call.config_as($model)
    if call.digits == "1":
        front_desk = device(config.front_desk_device, timeout=config.ring_seconds)
        return tts("Connecting you.").then(front_desk.then(voicemail(config.voicemail_box)))
    if call.digits == "2":
        return voicemail(config.voicemail_box)
    tries = call.state.get("tries", 0) + 1  # kept between this call's requests
    call.state["tries"] = tries
    if tries >= MAX_TRIES:
        return voicemail(config.voicemail_box)
    return call.gather("menu", prompt=tts(f"{SORRY} {MENU}"))


customer = Customer(slug="$slug", flow=flow, config_model=$model)
''')

CONFIG_MODEL = Template('''\
"""$label's configuration: the values that differ between its stages, checked by pydantic.

They are in config/dev.toml and config/prod.toml beside this module; ``make synth`` and the
tests validate them with this model, and a bad value fails naming the file and the field
(docs/configuration.md).
"""

from __future__ import annotations

from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KAZOO_ID = r"^[0-9a-f]{32}$$"  # a Kazoo document id: 32 lower-case hex characters


class $model(BaseModel):
    # A misspelt key in a config file is an error, not a silently ignored line.
    model_config = ConfigDict(extra="forbid", frozen=True)

    greeting: str = Field(min_length=1)
    closed_message: str = Field(min_length=1)
    timezone: str  # an IANA zone: the opening hours are wall-clock times there
    open_days: tuple[Weekday, ...]
    opens: time
    closes: time
    front_desk_device: str = Field(pattern=KAZOO_ID)
    voicemail_box: str = Field(pattern=KAZOO_ID)
    ring_seconds: int = Field(default=20, ge=5, le=120)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not a time zone (e.g. America/Chicago)") from None
        return name
''')

_CONFIG_FILE = Template("""\
# $slug, stage $stage: $purpose
# Checked by $model (config.py): a misspelt key or a bad value fails `make synth` and the
# tests, naming this file and the field.
greeting = "Thank you for calling $label."
closed_message = "We are closed. Please leave a message after the tone."
timezone = "America/Chicago"
open_days = ["mon", "tue", "wed", "thu", "fri"]
opens = 08:00:00
closes = 17:00:00
# Kazoo document ids (32 hex characters) of the front desk's device and the voicemail box:
# replace them with your account's.
front_desk_device = "$device"
voicemail_box = "$mailbox"
ring_seconds = 20
""")


@dataclass(frozen=True)
class StageValues:
    purpose: str
    device: str
    mailbox: str


STAGE_VALUES = {
    "dev": StageValues(
        "what `pivotkit serve`, `call`, `replay` and the tests read by default.",
        "0000000000000000000000000000d001",
        "0000000000000000000000000000b001",
    ),
    "prod": StageValues(
        "what the deployed function reads (`make synth -c stage=prod`).",
        "0000000000000000000000000000d002",
        "0000000000000000000000000000b002",
    ),
}


def config_file(stage: str, **names: str) -> str:
    values = STAGE_VALUES[stage]
    return _CONFIG_FILE.substitute(
        names,
        stage=stage,
        purpose=values.purpose,
        device=values.device,
        mailbox=values.mailbox,
    )


TEST_MODULE = Template('''\
"""$label's calls, placed as Kazoo places them, with ``pivotkit.testing`` (docs/testing.md).

Each test walks a whole call: scripted digits, a clock (``now``), the bridges' outcomes, and
asserts what the caller hears and where the call goes. The configuration is given here,
so these tests say what the flow does whatever the stage files hold; the last test checks
those files themselves.
"""

from __future__ import annotations

from datetime import time

from customers import $slug
from customers.$slug.config import $model
from pivotkit.config import STAGES, load_config
from pivotkit.testing import NO_KEY, call

CONFIG = $model(
    greeting="Hello.",
    closed_message="We are closed.",
    timezone="America/Chicago",
    open_days=("mon", "tue", "wed", "thu", "fri"),
    opens=time(8),
    closes=time(17),
    front_desk_device="0123456789abcdef0123456789abcdef",
    voicemail_box="fedcba9876543210fedcba9876543210",
)
MONDAY_MORNING = "2026-06-01T10:00-05:00"  # Chicago, daylight saving time
MONDAY_EVENING = "2026-06-01T17:00-05:00"  # closing time: closed
SATURDAY_MORNING = "2026-06-06T10:00-05:00"


def test_when_open_1_rings_the_front_desk() -> None:
    result = call($slug.customer, config=CONFIG, now=MONDAY_MORNING, digits=["1"])
    result.assert_heard(f"Hello. {$slug.MENU}")
    result.assert_connected("device", CONFIG.front_desk_device)


def test_an_unanswered_front_desk_goes_to_voicemail() -> None:
    result = call(
        $slug.customer, config=CONFIG, now=MONDAY_MORNING, digits=["1"], bridges=["NO_ANSWER"]
    )
    assert [bridge.outcome for bridge in result.bridges] == ["NO_ANSWER", "answer"]
    result.assert_voicemail(CONFIG.voicemail_box)


def test_when_open_2_leaves_a_message() -> None:
    result = call($slug.customer, config=CONFIG, now=MONDAY_MORNING, digits=["2"])
    result.assert_voicemail(CONFIG.voicemail_box)


def test_the_menu_repeats_then_gives_up_to_voicemail() -> None:
    result = call($slug.customer, config=CONFIG, now=MONDAY_MORNING, digits=["9", NO_KEY, "7"])
    assert result.said.count(f"{$slug.SORRY} {$slug.MENU}") == 2
    result.assert_voicemail(CONFIG.voicemail_box)


def test_closed_in_the_evening_and_at_the_weekend() -> None:
    for moment in (MONDAY_EVENING, SATURDAY_MORNING):
        result = call($slug.customer, config=CONFIG, now=moment)
        assert result.said == ["We are closed."]
        result.assert_voicemail(CONFIG.voicemail_box)


def test_every_stage_file_is_valid() -> None:
    # The files make synth validates: a bad production value fails here first.
    for stage in STAGES:
        assert isinstance(load_config($slug.customer, stage), $model)
''')


@dataclass(frozen=True)
class Scenario:
    """A call recorded into events/customers/<slug>/<name>/ at scaffold time, on the dev
    configuration above (its time zone is America/Chicago)."""

    name: str
    now: str
    digits: str | None  # --digits of pivotkit call; None: the caller presses nothing
    bridges: str = "answer"


SCENARIOS = (
    Scenario("open-front-desk", "2026-06-01T10:00-05:00", "1"),
    Scenario("open-message", "2026-06-01T10:00-05:00", "2"),
    Scenario("closed", "2026-06-01T20:00-05:00", None),
)
