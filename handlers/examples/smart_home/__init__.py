"""Smart home: switch the presence lamps of appliances by phone.

Appliances that subscribe to SIP presence (BLF), like a desk phone's busy lamp field, get a
NOTIFY from Kazoo's ``manual_presence``: idle, ringing or busy, whichever the caller keys in.

start ─► PIN into Digits[home_pin] ─► check_pin ─► appliance ─► status ─► NOTIFY ─┐
                                                       ▲                              │
                                                       └──────────────────────────────┘

The PIN shows the raw way to collect digits: a ``collect_dtmf`` with a name of our choosing
and a plain ``call.goto``; the next request carries ``Digits[home_pin]=...`` and
``call.request.digits("home_pin")`` reads it. Kazoo keeps every collection for the rest of
the call, so later steps check the same PIN again without storing anything.
"""

import hmac

from pivotkit import (
    Call,
    Customer,
    Flow,
    Node,
    PresenceStatus,
    collect_dtmf,
    hangup,
    manual_presence,
    tts,
)

PIN_COLLECTION = "home_pin"
# Demo value: a real deployment reads the PIN from its own configuration.
HOME_PIN = "2468"
MAX_PIN_TRIES = 3

# Menu key -> (what the caller hears, presence id). A bare name gets "@<account realm>"
# from Kazoo; name@realm addresses a device registered under another realm.
APPLIANCES = {
    "1": ("the garage door", "garage-door"),
    "2": ("the porch light", "porch-light@iot.example.com"),
    "3": ("the washing machine", "washer"),
}
STATUSES: dict[str, PresenceStatus] = {"1": "idle", "2": "ringing", "3": "busy"}

APPLIANCE_MENU = " ".join(f"For {name}, press {key}." for key, (name, _) in APPLIANCES.items())
STATUS_MENU = "For idle, press 1. For ringing, press 2. For busy, press 3."

flow = Flow()


def ask_for_pin(call: Call, prompt: str) -> Node:
    return (
        tts(prompt)
        .then(collect_dtmf(collection_name=PIN_COLLECTION, max_digits=4, timeout=8000))
        .then(call.goto("check_pin"))
    )


def unlocked(call: Call) -> bool:
    pin = call.request.digits(PIN_COLLECTION) or ""
    return hmac.compare_digest(pin.encode(), HOME_PIN.encode())


@flow.step()
def start(call: Call) -> Node:
    return ask_for_pin(call, "Welcome home. Please enter your four digit PIN.")


@flow.step()
def check_pin(call: Call) -> Node:
    if unlocked(call):
        return call.gather("appliance", prompt=tts(APPLIANCE_MENU))
    tries = call.state.get("pin_tries", 0) + 1
    call.state["pin_tries"] = tries
    if tries >= MAX_PIN_TRIES:
        return tts("Sorry, that PIN is not right. Goodbye.").then(hangup())
    return ask_for_pin(call, "That PIN is not right. Please try again.")


@flow.step()
def appliance(call: Call) -> Node:
    if not unlocked(call):
        return hangup()
    if call.digits not in APPLIANCES:
        return tts("Goodbye.").then(hangup())
    call.state["appliance"] = call.digits
    name, _ = APPLIANCES[call.digits]
    return call.gather("status", prompt=tts(f"Set {name} to what? {STATUS_MENU}"))


@flow.step()
def status(call: Call) -> Node:
    if not unlocked(call):
        return hangup()
    name, presence_id = APPLIANCES[call.state["appliance"]]
    chosen = STATUSES.get(call.digits or "")
    if chosen is None:
        return call.gather("appliance", prompt=tts(f"Nothing changed. {APPLIANCE_MENU}"))
    return (
        manual_presence(presence_id, status=chosen)
        .then(tts(f"{name.capitalize()} is now {chosen}."))
        .then(call.gather("appliance", prompt=tts(APPLIANCE_MENU)))
    )


customer = Customer(slug="smart_home", flow=flow)
