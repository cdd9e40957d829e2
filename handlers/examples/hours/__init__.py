"""Business hours, decided in Python in the business's own time zone.

start ─┬─ open ─► ring the team (ring group) ─► voicemail when nobody answers
       └─ closed ─► "we are closed" ─► press 1 for the emergency line ─► after_hours
                                       anything else ─► voicemail

Kazoo's ``temporal_route`` can do this with rules stored in Kazoo; here the rules are code,
so they are reviewed, versioned and tested like code (see ``is_open``). The time comes
from ``call.now()``: the system clock when deployed, any time you like in tests
(``pivotkit.testing``) and with ``--now`` on ``pivotkit serve``, ``call`` and ``replay``.
Daylight saving time is the time zone database's job: hours are local wall-clock times.
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pivotkit import (
    NO_ANSWER,
    USER_BUSY,
    Call,
    Customer,
    Flow,
    Node,
    endpoint,
    resources,
    ring_group,
    tts,
    voicemail,
)

TIMEZONE = ZoneInfo("America/Chicago")
# Weekday (Monday = 0) -> opening and closing time, local.
OPENING_HOURS = {
    0: (time(8, 30), time(17, 30)),
    1: (time(8, 30), time(17, 30)),
    2: (time(8, 30), time(17, 30)),
    3: (time(8, 30), time(17, 30)),
    4: (time(8, 30), time(16, 0)),
    5: (time(10, 0), time(13, 0)),
}
HOLIDAYS = {date(2026, 12, 25), date(2027, 1, 1)}
HOURS_SPOKEN = (
    "Our hours are eight thirty to five thirty Monday to Thursday, to four on Friday,"
    " and ten to one on Saturday, central time."
)

TEAM = ("4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a01", "4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a02")
TEAM_MAILBOX = "4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a03"
ON_CALL_NUMBER = "+13125550911"


def is_open(moment: datetime) -> bool:
    """Whether the business is open at ``moment`` (an aware datetime, any time zone)."""
    local = moment.astimezone(TIMEZONE)
    if local.date() in HOLIDAYS:
        return False
    hours = OPENING_HOURS.get(local.weekday())
    return hours is not None and hours[0] <= local.time() < hours[1]


def make_flow() -> Flow:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        if is_open(call.now()):
            team = ring_group([endpoint("user", member) for member in TEAM], timeout=25)
            return team.then(voicemail(TEAM_MAILBOX))
        closed = tts(
            f"Thank you for calling. We are closed. {HOURS_SPOKEN} For an emergency, press 1."
            " To leave a message, stay on the line."
        )
        return call.gather("after_hours", prompt=closed, timeout_ms=4000)

    @flow.step()
    def after_hours(call: Call) -> Node:
        if call.digits != "1":
            return voicemail(TEAM_MAILBOX)
        on_call = resources(to_did=ON_CALL_NUMBER, timeout=30)
        on_call.on(NO_ANSWER, voicemail(TEAM_MAILBOX)).on(USER_BUSY, voicemail(TEAM_MAILBOX))
        return tts("Connecting you to the engineer on call.").then(on_call)

    return flow


customer = Customer(slug="hours", flow=make_flow())
