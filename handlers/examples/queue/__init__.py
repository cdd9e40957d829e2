"""A call queue built from plain pieces: position announcements, hold music, ringing the
agents, and a loop of Pivot requests, as the Pivot talk suggests (metaflows + webhooks).

start ─► "please hold" ─► wait ─┐
          ┌──────────────────────┘
          ▼
        wait: "you are number N" ─► ring the agents ─┬─ answered: done
          ▲                                           └─ no answer ─► hold music ─┐
          └────────────────────────── next lap (a Pivot request) ◄────────────────┘
        after MAX_LAPS laps ─► "leave a message" ─► voicemail

Per call, ``call.state`` keeps the lap count. The position comes from a line in
``call.shared``, which every call of the customer sees on whichever Lambda instance answers
it (DynamoDB deployed, the in-memory twin in tests). Each Kazoo account has its own line.
Kazoo never tells Pivot that a caller hung up, but its call webhooks do: ``drop_caller``
(the customer's ``on_call_end``) takes a caller who hung up out of the line at once, so
those behind move up on their next lap (``pivotkit kazoo webhook --customer queue`` creates
the webhook). Without the webhook, each lap still renews the caller's place for
``FORGET_AFTER_SECONDS``: a caller who stops coming back drops out after a missed check-in.
Expiry runs on ``call.now()``, so tests set the time (``pivotkit.testing``) instead of
waiting for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pivotkit import Call, Customer, Flow, Node, endpoint, play, ring_group, tts, voicemail

if TYPE_CHECKING:
    from pivotkit import CallEvent  # loaded by the webhook route only

AGENTS = ("9b9b9b9b9b9b9b9b9b9b9b9b9b9b9b01", "9b9b9b9b9b9b9b9b9b9b9b9b9b9b9b02")
QUEUE_MAILBOX = "9b9b9b9b9b9b9b9b9b9b9b9b9b9b9b03"
# About 40 seconds of music per lap; Kazoo fetches and caches it.
HOLD_MUSIC = "https://media.example.com/hold/queue-40s.mp3"
RING_SECONDS = 20
MAX_LAPS = 8  # about eight minutes in the queue
# A lap takes about a minute; a caller missing for two laps has left.
FORGET_AFTER_SECONDS = 150.0


def line_of(call: Call) -> str:
    """The shared line this call waits in: one per Kazoo account."""
    return line_name(call.request.account_id)


def line_name(account_id: str) -> str:
    return f"waiting:{account_id}"


def drop_caller(event: CallEvent) -> None:
    """The caller's leg ended (Kazoo's channel_destroy): leave the line now. An agent's leg
    (outbound) ending says nothing about the caller."""
    if event.shared is None or event.direction == "outbound":
        return
    event.shared.leave(line_name(event.account_id), event.call_id)


def make_flow() -> Flow:
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        welcome = tts("Thank you for calling. Please hold for the next available agent.")
        return welcome.then(call.goto("wait"))

    @flow.step()
    def wait(call: Call) -> Node:
        line, caller = line_of(call), call.request.call_id
        laps = call.state.get("laps", 0) + 1
        call.state["laps"] = laps
        if laps > MAX_LAPS:
            call.shared.leave(line, caller)  # frees the place for those behind
            sorry = tts("We are sorry to keep you waiting. Please leave a message.")
            return sorry.then(voicemail(QUEUE_MAILBOX))
        position = call.shared.join(line, caller, expires_in=FORGET_AFTER_SECONDS)
        agents = ring_group([endpoint("user", agent) for agent in AGENTS], timeout=RING_SECONDS)
        # A failed ring_group continues with "_": the music, then the next lap.
        next_lap = play(HOLD_MUSIC).then(call.goto("wait"))
        return tts(f"You are number {position} in the queue.").then(agents.then(next_lap))

    return flow


customer = Customer(slug="queue", flow=make_flow(), on_call_end=drop_caller)
