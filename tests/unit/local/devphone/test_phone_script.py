"""PhoneScript: keys from the page become collect entries the way a real phone's would."""

from __future__ import annotations

import threading
import time

from pivotkit.local.devphone import session
from pivotkit.local.devphone.session import CALLER_CANCEL, PhoneScript
from pivotkit.local.simulator import Caller, DigitWait, PivotTarget, Script, simulate
from tests.unit.local.simulator_support import START, CannedKazooServer, chain, node

PIN = DigitWait(max_digits=4, terminators=frozenset({"#"}), timeout_ms=2000)


def test_keys_pressed_ahead_fill_the_entry_up_to_max_digits_and_the_rest_waits() -> None:
    script = PhoneScript()
    script.press("12345")
    assert script.next_digits("pin", PIN) == "1234"
    assert script.next_digits("menu", DigitWait(1, frozenset(), 2000)) == "5"


def test_a_terminator_ends_the_entry_early() -> None:
    script = PhoneScript()
    script.press("42#9")
    # The simulator drops the terminator itself (``_collected``); the entry keeps it.
    assert script.next_digits("pin", PIN) == "42#"
    assert script.next_digits("menu", DigitWait(1, frozenset(), 2000)) == "9"


def test_no_key_within_the_collects_timeout_is_a_timeout() -> None:
    script = PhoneScript()
    started = time.monotonic()
    assert script.next_digits("pin", DigitWait(4, frozenset({"#"}), timeout_ms=120)) == ""
    assert 0.1 <= time.monotonic() - started < 2


def test_a_pause_after_some_keys_ends_the_entry_after_the_interdigit_wait() -> None:
    script = PhoneScript()
    script.press("12")
    started = time.monotonic()
    wait = DigitWait(4, frozenset({"#"}), timeout_ms=5000, interdigit_ms=100)
    assert script.next_digits("pin", wait) == "12"
    assert time.monotonic() - started < 2


def test_keys_arriving_while_the_collect_waits_are_taken() -> None:
    script = PhoneScript()
    threading.Timer(0.1, script.press, args=("7",)).start()
    assert script.next_digits("menu", DigitWait(1, frozenset(), 3000)) == "7"


def test_the_script_says_what_it_waits_for_while_it_waits() -> None:
    script = PhoneScript()
    seen: list[object] = []
    threading.Timer(0.1, lambda: (seen.append(script.waiting), script.press("1"))).start()
    script.next_digits("menu", DigitWait(1, frozenset(), 3000))
    assert seen == [
        {
            "kind": "digits",
            "question": "menu",
            "max_digits": 1,
            "terminators": [],
            "timeout_ms": 3000,
        }
    ]
    assert script.waiting is None


def test_hanging_up_ends_a_collect_and_cancels_a_ringing_bridge() -> None:
    script = PhoneScript()
    script.hang_up()
    assert script.next_digits("pin", PIN) is None
    assert script.next_bridge("user 5e5e") == CALLER_CANCEL


def test_the_page_chooses_the_bridge_outcome() -> None:
    script = PhoneScript()
    threading.Timer(0.1, script.choose, args=("USER_BUSY",)).start()
    assert script.next_bridge("user 5e5e") == "USER_BUSY"


def test_a_page_that_stopped_polling_has_hung_up() -> None:
    now = [1000.0]
    script = PhoneScript(clock=lambda: now[0])
    now[0] += session.ABANDONED_S + 1
    assert script.next_digits("pin", PIN) is None
    assert script.next_bridge("device 0a0a") == CALLER_CANCEL


class RecordingScript(Script):
    """Records what the simulator tells a live script about each wait."""

    def __init__(self) -> None:
        super().__init__(digits=["12#", "3"], bridges=["NO_ANSWER"])
        self.waits: list[DigitWait | None] = []
        self.targets: list[str] = []

    def next_digits(self, question: str, wait: DigitWait | None = None) -> str | None:
        self.waits.append(wait)
        return super().next_digits(question, wait)

    def next_bridge(self, target: str = "") -> str:
        self.targets.append(target)
        return super().next_bridge(target)


def test_the_simulator_tells_a_live_script_each_collects_limits_and_each_bridges_target() -> None:
    collect = node(
        "collect_dtmf",
        {
            "collection_name": "pin",
            "max_digits": 6,
            "timeout": 7000,
            "interdigit_timeout": 1500,
            "terminators": ["#", "*"],
        },
    )
    menu = node("menu", {"id": "m1"}, k_3=node("user", {"id": "5e" * 16}))
    server = CannedKazooServer({"start": chain(collect, menu)})
    script = RecordingScript()
    simulate(server, PivotTarget(START), Caller(), script)
    assert script.waits == [
        DigitWait(6, frozenset({"#", "*"}), 7000, 1500),
        DigitWait(1, frozenset(), 10_000),  # a menu document's default wait
    ]
    assert script.targets == ["user " + "5e" * 16]
