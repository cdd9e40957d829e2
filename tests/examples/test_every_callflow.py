"""Every callflow every example can emit is valid for Kazoo 4.3 and master.

Each flow is explored exhaustively (``support.explore``): every key at every prompt, every
kind of caller the flow tells apart, every Pivot request a failure branch can make. Each
distinct answer is checked against both schema sets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from examples import (
    frontdesk,
    gatekeeper,
    hours,
    queue,
    smart_home,
    speech_demo,
    survey,
    switchboard,
)
from pivotkit import Customer
from tests.examples.support import Exploration, Profile, explore

STAFF = Profile(user_ids=("5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f",))
MONDAY_NOON = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)  # 12:00 in Chicago
SUNDAY_NOON = datetime(2026, 6, 7, 17, 0, tzinfo=UTC)
QUEUE_TIME = datetime.fromtimestamp(1e9, UTC)  # one instant: every branch sees the same line
FRONTDESK_FEATURES = {
    *("webhook", "fax_detect", "faxbox", "menu", "directory", "disa", "group_pickup"),
    *("intercept", "eavesdrop", "page_group", "hotdesk", "call_forward", "do_not_disturb"),
}


def queue_customer() -> Customer:
    return Customer(slug="queue", flow=queue.make_flow())


CASES: dict[str, tuple[Customer, dict[str, Any], set[str]]] = {
    "speech_demo": (speech_demo.customer, {}, {"tts", "play", "hangup"}),
    "switchboard": (
        switchboard.customer,
        {
            "inputs": [*switchboard.EXTENSIONS, "777"],
            "profiles": [Profile(), Profile(number="+13125550100"), Profile(number="anonymous")],
        },
        {"device", "user", "ring_group", "group", "conference", "resources", "faxbox"},
    ),
    "smart_home": (
        smart_home.customer,
        {"inputs": [smart_home.HOME_PIN, "1111"]},
        {"collect_dtmf", "manual_presence"},
    ),
    "gatekeeper": (
        gatekeeper.customer,
        {
            "inputs": ["3125550188", "12"],
            "profiles": [Profile(), Profile(number="+13125550142"), STAFF],
        },
        {"dynamic_cid", "set_cid", "prepend_cid", "cidlistmatch", "check_cid", "resources"},
    ),
    "frontdesk": (frontdesk.customer, {"profiles": [Profile(), STAFF]}, FRONTDESK_FEATURES),
    "hours_open": (hours.customer, {"now": MONDAY_NOON}, {"ring_group", "voicemail"}),
    "hours_closed": (hours.customer, {"now": SUNDAY_NOON}, {"resources", "voicemail"}),
    "queue": (queue_customer(), {"now": QUEUE_TIME}, {"ring_group", "play", "voicemail"}),
    "survey": (survey.customer, {}, {"webhook", "user", "hangup"}),
}


@pytest.fixture(scope="module")
def explored() -> dict[str, Exploration]:
    return {name: explore(customer, **options) for name, (customer, options, _) in CASES.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_answer_is_valid_for_both_kazoo_lines(
    name: str, explored: dict[str, Exploration], kazoo_errors: Any
) -> None:
    exploration = explored[name]
    invalid = {
        canonical: errors
        for canonical, tree in exploration.answers.items()
        if (errors := kazoo_errors(tree))
    }
    assert not invalid


@pytest.mark.parametrize("name", sorted(CASES))
def test_exploration_reaches_every_step_and_feature(
    name: str, explored: dict[str, Exploration]
) -> None:
    customer, _, features = CASES[name]
    exploration = explored[name]
    assert set(exploration.statuses) == {200}, exploration.statuses
    if not name.startswith("hours"):  # each clock reaches one of the two paths
        assert exploration.steps == set(customer.flow.step_names)
    assert features <= exploration.modules, features - exploration.modules
