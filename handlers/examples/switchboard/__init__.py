"""Switchboard: dial an extension to reach a phone, a person, a team, a conference, an
outside line, the fax box or a mailbox: every way Kazoo can connect a caller.

start ─► "enter an extension" ─► connect ─► EXTENSIONS[extension](call)
                ▲                    └─ unknown: ask again; after 3 tries, reception
                └──────────────────────┘
People and teams fall back to their mailbox when busy or unanswered.
"""

from collections.abc import Callable

from examples.switchboard import ids
from pivotkit import (
    NO_ANSWER,
    USER_BUSY,
    Call,
    Customer,
    Flow,
    Node,
    conference,
    device,
    endpoint,
    faxbox,
    group,
    resources,
    ring_group,
    tts,
    user,
    voicemail,
)

MAX_TRIES = 3
PROMPT = "Please enter a three digit extension. For the directory of extensions, press 1 0 0."

flow = Flow()


def or_voicemail(bridge: Node, mailbox: str) -> Node:
    """Busy or unanswered: the caller leaves a message.

    A failed bridge takes the child named by its hangup cause. device, user, ring_group and
    group also fall back to ``_`` (an unregistered phone, say); resources has no ``_``, so
    there each cause that should reach the mailbox is named.
    """
    bridge.on(USER_BUSY, tts("The line is busy.").then(voicemail(mailbox)))
    bridge.on(NO_ANSWER, voicemail(mailbox))
    if bridge.module != "resources":
        bridge.then(voicemail(mailbox))
    return bridge


def reception(call: Call) -> Node:
    """A device: the front-desk phone."""
    return or_voicemail(device(ids.RECEPTION_PHONE, timeout=20), ids.RECEPTION_MAILBOX)


def manager(call: Call) -> Node:
    """A user: every phone the manager owns rings."""
    return or_voicemail(user(ids.MANAGER, timeout=25), ids.MANAGER_MAILBOX)


def sales(call: Call) -> Node:
    """An ad-hoc ring group of a device, a user and a group, all at once; the lead's phones
    join five seconds late."""
    members = [
        endpoint("device", ids.SALES_DESK_PHONE),
        endpoint("user", ids.SALES_LEAD, delay=5),
        endpoint("group", ids.SALES_REPS),
    ]
    return or_voicemail(ring_group(members, strategy="simultaneous"), ids.SALES_MAILBOX)


def support(call: Call) -> Node:
    """An ad-hoc hunt group: one agent at a time, 15 seconds each, in order."""
    agents = [endpoint("user", agent, timeout=15) for agent in ids.SUPPORT_AGENTS]
    return or_voicemail(ring_group(agents, strategy="single", timeout=45), ids.SUPPORT_MAILBOX)


def billing(call: Call) -> Node:
    """A group stored in Kazoo: its members and strategy are managed there."""
    return or_voicemail(group(ids.BILLING_GROUP), ids.BILLING_MAILBOX)


def all_hands(call: Call) -> Node:
    """A conference stored in Kazoo (its PINs and settings live in the document)."""
    return conference(id=ids.ALL_HANDS_CONFERENCE)


def regional_bridge(call: Call) -> Node:
    """An ad-hoc conference named after the caller's area code: callers from one region
    meet in one room, no document needed."""
    area = area_code(call.request.caller_id_number)
    if area is None:
        return tts("Your area code is hidden, so we cannot pick your region.").then(reception(call))
    room = conference(config={"name": f"region-{area}", "play_entry_tone": True})
    return tts(f"Joining the bridge for area code {' '.join(area)}.").then(room)


def head_office(call: Call) -> Node:
    """A fixed number through the account's own carriers."""
    return or_voicemail(
        resources(to_did=ids.HEAD_OFFICE, use_local_resources=True), ids.GENERAL_MAILBOX
    )


def on_call_engineer(call: Call) -> Node:
    """A fixed number through the system's global carriers."""
    return or_voicemail(
        resources(to_did=ids.ON_CALL_MOBILE, use_local_resources=False), ids.GENERAL_MAILBOX
    )


def fax(call: Call) -> Node:
    return tts("Start sending your fax now.").then(faxbox(ids.FAXBOX))


def leave_message(call: Call) -> Node:
    return voicemail(ids.GENERAL_MAILBOX)


def extension_list(call: Call) -> Node:
    spoken = " ".join(f"{' '.join(ext)}, {what}." for ext, (what, _) in EXTENSIONS.items())
    return call.gather("connect", prompt=tts(f"{spoken} {PROMPT}"), max_digits=3)


Target = Callable[[Call], Node]
EXTENSIONS: dict[str, tuple[str, Target]] = {
    "100": ("this list", extension_list),
    "101": ("reception", reception),
    "102": ("the manager", manager),
    "200": ("sales", sales),
    "300": ("support", support),
    "400": ("billing", billing),
    "500": ("the all hands conference", all_hands),
    "501": ("your regional bridge", regional_bridge),
    "600": ("head office", head_office),
    "601": ("the on call engineer", on_call_engineer),
    "800": ("the fax line", fax),
    "900": ("leave a message", leave_message),
}


def area_code(number: str | None) -> str | None:
    """The area code of a North American number (``+1 312 555 0100``, ``312-555-0100``)."""
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits[:3] if len(digits) == 10 else None


@flow.step()
def start(call: Call) -> Node:
    return call.gather("connect", prompt=tts(f"Thank you for calling. {PROMPT}"), max_digits=3)


@flow.step()
def connect(call: Call) -> Node:
    extension = EXTENSIONS.get(call.digits or "")
    if extension is not None:
        _, target = extension
        return target(call)
    tries = call.state.get("tries", 0) + 1
    call.state["tries"] = tries
    if tries >= MAX_TRIES:
        return tts("Let me put you through to reception.").then(reception(call))
    heard = f"There is no extension {' '.join(call.digits)}." if call.digits else ""
    return call.gather("connect", prompt=tts(f"{heard} {PROMPT}".strip()), max_digits=3)


customer = Customer(
    slug="switchboard", flow=flow, fallback_target=lambda: voicemail(ids.GENERAL_MAILBOX)
)
