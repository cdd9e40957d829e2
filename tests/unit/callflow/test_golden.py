"""Typical answers (a menu, a bridge with failure branches, ...), built with the builder.

Each flow's rendered bytes must equal ``tests/golden/callflow/<name>.json`` (stored indented
for review; compared compact, key order included). After an intended change, regenerate with
``PIVOTKIT_UPDATE_GOLDEN=1 pytest tests/unit/callflow/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pivotkit.callflow import (
    COMMON_BRIDGE_FAILURES,
    USER_BUSY,
    Node,
    collect_dtmf,
    conference,
    device,
    endpoint,
    hangup,
    manual_presence,
    pivot,
    record_call,
    render,
    resources,
    response,
    ring_group,
    set_variables,
    tts,
    user,
    voicemail,
)

from .conftest import KazooErrors

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "callflow"
UPDATE = os.environ.get("PIVOTKIT_UPDATE_GOLDEN") == "1"

DEVICE = "0123456789abcdef0123456789abcdef"
BOX = "fedcba9876543210fedcba9876543210"
LAMBDA = "https://abc.lambda-url.us-east-1.on.aws"


def menu_with_fallback() -> Node:
    """(a) tts, collect_dtmf, then the next pivot; the fallback runs if that request fails."""
    return (
        tts("Press 1 for sales, 2 for support, then pound.", voice="female", language="en-us")
        .then(
            collect_dtmf(
                collection_name="menu_choice",
                max_digits=1,
                timeout=5000,
                interdigit_timeout=2000,
                terminators=["#"],
            )
        )
        .then(
            pivot(f"{LAMBDA}/pivot?step=menu&token=S3CR3T").then(
                tts("Sorry, we are having trouble. Goodbye.").then(hangup())
            )
        )
    )


def device_then_voicemail() -> Node:
    """(b) ring a device for 20 s; a busy device or no answer leaves a message."""
    return device(DEVICE, timeout=20, can_call_self=False).then(voicemail(BOX))


def user_then_voicemail() -> Node:
    """(c) ring a user's devices; a busy user hears why, any other failure leaves a message."""
    return (
        user(DEVICE, timeout=20, strategy="simultaneous")
        .on(USER_BUSY, tts("Everyone is on the phone.").then(voicemail(BOX)))
        .then(voicemail(BOX))
    )


def ring_group_then_voicemail() -> Node:
    """(d) an ad-hoc ring group of a device, a user and a group."""
    members = [
        endpoint("device", DEVICE, timeout=20, delay=0),
        endpoint("user", "11111111111111111111111111111111", timeout=20),
        endpoint("group", "22222222222222222222222222222222"),
    ]
    return ring_group(members, strategy="simultaneous", timeout=30).then(voicemail(BOX))


def adhoc_conference() -> Node:
    """(e) an ad-hoc room keyed by its name."""
    return conference(config={"name": "Support bridge 42"})


def stored_conference() -> Node:
    """(e) a stored conference by id."""
    return conference(id=DEVICE)


def outbound_with_fallback() -> Node:
    """(f) a static number through the account's carriers.

    ``resources`` never runs ``_`` (Kazoo ends the call when no cause child matches), so
    the apology hangs under each usual failure cause instead.
    """
    apology = tts("The call could not be completed.").then(hangup())
    outbound = resources(to_did="+14155550100", use_local_resources=True, timeout=30)
    for cause in COMMON_BRIDGE_FAILURES:
        outbound.on(cause, apology)
    return outbound


def presence_update() -> Node:
    """(g) set a BLF light, then confirm."""
    return manual_presence("support", status="busy").then(tts("Presence updated."))


def recording_then_user() -> Node:
    """(h) record the call to the kit's media endpoint, then ring a user."""
    return record_call(
        action="start",
        format="mp3",
        method="put",
        time_limit=3600,
        url=f"{LAMBDA}/recordings?token=S3CR3T",
    ).then(user(DEVICE))


def busy_response() -> Node:
    """A SIP 486 with a reason phrase."""
    return response(486, message="User Busy")


def state_handoff() -> Node:
    """Store a session id on the call, then ask for the next step."""
    return set_variables({"session": "abc"}).then(pivot(f"{LAMBDA}/pivot?step=next"))


FLOWS: dict[str, Callable[[], Node]] = {
    "menu_with_fallback": menu_with_fallback,
    "device_then_voicemail": device_then_voicemail,
    "user_then_voicemail": user_then_voicemail,
    "ring_group_then_voicemail": ring_group_then_voicemail,
    "conference_adhoc": adhoc_conference,
    "conference_stored": stored_conference,
    "resources_with_fallback": outbound_with_fallback,
    "manual_presence": presence_update,
    "recording_then_user": recording_then_user,
    "response_busy": busy_response,
    "set_variables_then_pivot": state_handoff,
}


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_flow_renders_exactly_the_golden_bytes(name: str) -> None:
    body = render(FLOWS[name]())
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        pretty = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        path.write_text(pretty + "\n", encoding="utf-8")
    golden = json.loads(path.read_text(encoding="utf-8"))
    expected = json.dumps(golden, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert body == expected


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_golden_flow_is_valid_on_both_kazoo_lines(name: str, kazoo_errors: KazooErrors) -> None:
    golden = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    assert kazoo_errors(golden) == []


def test_every_golden_file_has_a_flow() -> None:
    assert {p.stem for p in GOLDEN.glob("*.json")} == set(FLOWS)
