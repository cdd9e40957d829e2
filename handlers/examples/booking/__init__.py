"""Booking: an appointment booked against an outside service that may be slow or down.

start ─► "press 1 to book" ─► choose ─► job "reserve" started; "please hold" + music ─┐
                                                                                     ▼
                           booked ◄─ (music ends, Kazoo asks again) ◄── booked: pending
                             ├─ done    ─► "You are booked for 09:00, reference b1."
                             └─ failed  ─► the apology (service down, too slow, lost)

A step answers within Kazoo's 5 s, but the booking service may take longer, so the booking
is a background job (``@flow.job``, ``call.work``, docs/long-work.md): the step that starts
it answers at once with hold music and a pivot to ``booked``, which polls the job each lap.
Deployed, the job runs in an asynchronous invocation of this customer's own function;
locally (``serve``, ``call``, tests), on a thread. The caller hears the booking on the
first lap when the service is quick, after more music when it is slow, and the apology
once ``wait_seconds`` have passed or the service failed. Every lap answers: a poll never
waits.

The service's URL is configuration (``config/<stage>.toml``, ``BookingConfig``), its API
key a secret (``booking_api_key``); the job reads them as a step does (``job.config``,
``job.secrets``) and calls the service with ``job.http``, bounded by the caller's wait and
sending the job's id as ``Idempotency-Key``: a redelivered job books once.
"""

from __future__ import annotations

from typing import Any

from pivotkit import Call, Customer, Flow, Job, Node, hangup, hold, tts

from .config import BookingConfig

SLOT = "09:00"
APOLOGY = "Sorry, we could not book your appointment just now. Please call again later."

flow = Flow()


@flow.job()
def reserve(job: Job) -> dict[str, Any]:
    config: BookingConfig = job.config
    key = job.secrets["booking_api_key"]
    # Slow past the caller's wait, refused, a 5xx or garbage: an OutboundError, which
    # fails the job (logged); the caller hears the apology on the next lap.
    booking = job.http.post(
        f"{str(config.booking_url).rstrip('/')}/bookings",
        json={"slot": job.payload["slot"], "caller": job.payload["caller"]},
        headers={"Authorization": f"Bearer {key}"},
    )
    return {"id": str(booking["id"]), "slot": str(booking["slot"])}


@flow.step()
def start(call: Call) -> Node:
    return call.gather(
        "choose",
        prompt=tts(f"Welcome. Press 1 to book the first free appointment, at {SLOT}."),
        max_digits=1,
    )


@flow.step(sensitive=False)
def choose(call: Call) -> Node:
    if call.digits != "1":
        return tts("Goodbye.").then(hangup())
    config = call.config_as(BookingConfig)
    caller = call.request.caller_id_number or "unknown"
    call.state["job"] = call.work.start(
        "reserve", {"slot": SLOT, "caller": caller}, timeout_seconds=config.wait_seconds
    )
    return wait(call, config, prompt=tts("Please hold while we book that."))


@flow.step()
def booked(call: Call) -> Node:
    status = call.work.poll(call.state["job"])
    if status.pending:  # poll says failed("timed_out") once wait_seconds have passed
        return wait(call, call.config_as(BookingConfig))
    if status.failed:
        return tts(APOLOGY).then(hangup())
    booking = status.result
    reference = " ".join(booking["id"])
    return tts(f"You are booked for {booking['slot']}. Your reference is {reference}.").then(
        hangup()
    )


def wait(call: Call, config: BookingConfig, *, prompt: Node | None = None) -> Node:
    """One lap of holding: the prompt, the clip (or silence), then ``booked`` again."""
    music = None if config.hold_music is None else str(config.hold_music)
    return hold(call, "booked", prompt=prompt, music=music, wait_seconds=config.lap_seconds)


customer = Customer(
    slug="booking", flow=flow, config_model=BookingConfig, secrets=("booking_api_key",)
)
