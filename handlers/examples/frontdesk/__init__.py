"""Front desk: the office's main line and its staff feature line, in one flow.

start ─┬─ a staff desk phone (Kazoo sends its owner's User-ID) ─┬─ dialled *81..*87 ─► feature
       │                                                        └─ else ─► feature menu ─► feature
       └─ from outside ─► tell the CRM (webhook) ─► fax_detect ─┬─ ON_FAX ─► fax box
                                                 └─ ON_VOICE ─► record the call ─► stored menu:
            1 directory · 2 sales · 9 remote staff (DISA) · 0, timeout or retries ─► reception

The features act on the caller's own phone or user (forwarding, do not disturb, hot desk),
or on someone else's call (pickup, intercept, eavesdrop) where Kazoo checks the approved
group; paging rings speakers that answer on their own. Staff reach a feature by its key from
the spoken menu, or at once by dialling its feature code (``*8`` and the key): the Pivot
callflow lists those numbers too (Kazoo sends the number dialled as ``Request``), so the
first request already answers with the feature.
"""

from collections.abc import Callable

from examples.frontdesk import ids
from pivotkit import (
    MAX_RETRIES,
    ON_FAX,
    ON_VOICE,
    TIMEOUT,
    Call,
    Customer,
    Flow,
    Node,
    call_forward,
    device,
    directory,
    disa,
    do_not_disturb,
    eavesdrop,
    endpoint,
    fax_detect,
    faxbox,
    group,
    group_pickup,
    hangup,
    hotdesk,
    intercept,
    menu,
    page_group,
    tts,
    voicemail,
    webhook,
)

CRM_WEBHOOK = "https://crm.example.com/hooks/kazoo/inbound-call"
# Demo value: staff dial in from outside with this PIN and get a dial tone.
REMOTE_ACCESS_PIN = "864213"

FEATURES: dict[str, tuple[str, Callable[[], Node]]] = {
    "1": (
        "answer a call ringing the sales team",
        lambda: group_pickup(group_id=ids.SALES, approved_group_id=ids.STAFF),
    ),
    "2": (
        "answer a call ringing reception",
        lambda: intercept(device_id=ids.RECEPTION_PHONE, approved_group_id=ids.STAFF),
    ),
    "3": (
        "listen in on reception",
        lambda: eavesdrop(device_id=ids.RECEPTION_PHONE, approved_group_id=ids.SUPERVISORS),
    ),
    "4": (
        "page the warehouse",
        lambda: page_group([endpoint("device", ids.OVERHEAD_SPEAKERS)], audio="one-way"),
    ),
    "5": ("log in or out of a hot desk", lambda: hotdesk(action="toggle")),
    "6": ("turn call forwarding on or off", lambda: call_forward(action="toggle")),
    "7": ("turn do not disturb on or off", lambda: do_not_disturb(action="toggle")),
}
FEATURE_MENU = " ".join(f"To {label}, press {key}." for key, (label, _) in FEATURES.items())
FEATURE_CODE_PREFIX = "*8"  # *81 picks up sales, ... *87 toggles do not disturb

flow = Flow()


def reception() -> Node:
    return device(ids.RECEPTION_PHONE, timeout=20).then(voicemail(ids.RECEPTION_MAILBOX))


def main_menu() -> Node:
    """A menu stored in Kazoo plays its own prompts; its branches are ours."""
    return (
        menu(ids.MAIN_MENU)
        .on("1", directory(ids.DIRECTORY))
        .on("2", group(ids.SALES).then(reception()))
        .on("9", disa(pin=REMOTE_ACCESS_PIN, preconnect_audio="dialtone", max_digits=15))
        .on("0", reception())
        .on(TIMEOUT, reception())
        .on(MAX_RETRIES, reception())
    )


@flow.step()
def start(call: Call) -> Node:
    if call.request.user_ids:
        code = dialled_feature(call)
        if code is not None:
            return code
        return call.gather("feature", prompt=tts(FEATURE_MENU))
    announce = webhook(CRM_WEBHOOK, http_verb="post", retries=2, custom_data={"line": "main"})
    # Voice calls are recorded (for training); Kazoo uploads the file when the call ends.
    talk = call.record_call().then(main_menu())
    detect = fax_detect(duration=3).on(ON_FAX, faxbox(ids.FAXBOX)).on(ON_VOICE, talk)
    return announce.then(detect)


def dialled_feature(call: Call) -> Node | None:
    """The feature whose code (``*8<key>``) the staff phone dialled, if it dialled one."""
    dialled = (call.request.request or "").split("@", 1)[0]
    key = dialled.removeprefix(FEATURE_CODE_PREFIX) if dialled.startswith("*") else ""
    chosen = FEATURES.get(key)
    return chosen[1]() if chosen is not None else None


@flow.step()
def feature(call: Call) -> Node:
    chosen = FEATURES.get(call.digits or "")
    if chosen is not None:
        _, build = chosen
        return build()
    if not call.digits:
        return tts("Goodbye.").then(hangup())
    return call.gather("feature", prompt=tts(f"That is not a feature. {FEATURE_MENU}"))


customer = Customer(slug="frontdesk", flow=flow, fallback_target=reception)
