"""hours: opening hours in the business's time zone, across daylight saving time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from examples import hours
from examples.hours import TEAM_MAILBOX, is_open
from pivotkit.testing import NO_KEY, call
from tests.examples.support import bridges, cli_call, said


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Friday 6 March 2026, Chicago on CST (UTC-6): opens 8:30 = 14:30 UTC.
        (utc(2026, 3, 6, 14, 29), False),
        (utc(2026, 3, 6, 14, 30), True),
        (utc(2026, 3, 6, 21, 59), True),  # 15:59, Friday closes at 16:00
        (utc(2026, 3, 6, 22, 0), False),
        # Monday 9 March 2026, the day after DST began (CDT, UTC-5): 8:30 = 13:30 UTC.
        (utc(2026, 3, 9, 13, 29), False),
        (utc(2026, 3, 9, 13, 30), True),
        (utc(2026, 3, 9, 22, 29), True),  # 17:29
        (utc(2026, 3, 9, 22, 30), False),  # 17:30 closes
        (utc(2026, 3, 7, 16, 0), True),  # Saturday 10:00 CST
        (utc(2026, 3, 7, 19, 0), False),  # Saturday 13:00
        (utc(2026, 3, 8, 17, 0), False),  # Sunday
        (utc(2026, 12, 25, 18, 0), False),  # Christmas, a Friday, at noon
        # The local date decides: 01:00 UTC Saturday is still Friday 19:00 in Chicago.
        (utc(2026, 3, 7, 1, 0), False),
    ],
)
def test_is_open_uses_local_wall_clock_time(moment: datetime, expected: bool) -> None:
    assert is_open(moment) is expected


def test_any_time_zone_in_gives_the_same_answer() -> None:
    moment = utc(2026, 3, 9, 13, 30)
    assert is_open(moment.astimezone(ZoneInfo("Asia/Tokyo")))


MONDAY_NOON = utc(2026, 6, 1, 17, 0)
SUNDAY_NOON = utc(2026, 6, 7, 17, 0)


def test_open_rings_the_team_then_voicemail() -> None:
    result = call(hours.customer, now=MONDAY_NOON, bridges=["NO_ANSWER"])
    assert [b.text for b in result.bridges] == [
        f"ring_group [user:{hours.TEAM[0]}, user:{hours.TEAM[1]}]: NO_ANSWER (480) -> child '_'",
        f"voicemail {TEAM_MAILBOX}: answered",
    ]
    result.assert_voicemail(TEAM_MAILBOX)
    assert not result.heard


def test_closed_offers_the_emergency_line() -> None:
    result = call(hours.customer, now=SUNDAY_NOON, digits=["1"])
    result.assert_heard("We are closed.")
    assert result.answered("resources") == [{"to_did": hours.ON_CALL_NUMBER, "timeout": 30}]
    assert [b.text for b in result.bridges] == [f"resources {hours.ON_CALL_NUMBER}: answered"]


def test_closed_and_no_key_takes_a_message() -> None:
    result = call(hours.customer, now=SUNDAY_NOON, digits=[NO_KEY])
    assert [b.text for b in result.bridges] == [f"voicemail {TEAM_MAILBOX}: answered"]


@pytest.mark.parametrize(
    ("now", "open_"),
    [
        ("2026-12-24T09:00-06:00", True),  # Christmas Eve, a Thursday: open
        ("2026-12-24T15:00Z", True),  # the same moment, written in UTC
        ("2026-12-24T08:29-06:00", False),  # before opening
        ("2026-12-25T12:00-06:00", False),  # Christmas: a holiday
    ],
)
def test_the_answer_follows_the_clock_the_test_sets(now: str, open_: bool) -> None:
    result = call(hours.customer, now=now, digits=[NO_KEY])
    if open_:
        result.assert_connected("ring_group")
    else:
        result.assert_heard("We are closed.")
        result.assert_voicemail(TEAM_MAILBOX)


def test_the_deployed_flow_reads_the_real_clock(capsys: pytest.CaptureFixture[str]) -> None:
    before = is_open(datetime.now(UTC))
    transcript = cli_call(capsys, "hours", "--digits", "")
    if is_open(datetime.now(UTC)) != before:
        pytest.skip("the business opened or closed during the call")
    reached = bridges(transcript)[-1]
    if before:
        assert reached.startswith("ring_group [user:")
    else:
        assert "We are closed." in said(transcript)
        assert reached == f"voicemail {TEAM_MAILBOX}: answered"
