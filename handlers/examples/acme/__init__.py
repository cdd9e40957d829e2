"""Acme Widgets: the account-PIN front door, then the main menu.

start ─► enter your 4-digit PIN ─► check_pin ─┬─ right PIN ─► main menu ─► menu_choice
             ▲                                 └─ wrong/none ─┘ (3 tries, then the operator)
menu_choice: 1 sales ring group · 2 support user, voicemail if unanswered ·
             3 conference room for the caller's account · 0 operator; other keys retry.
"""

from examples.acme import directory
from pivotkit import (
    Call,
    Customer,
    Flow,
    Node,
    conference,
    device,
    endpoint,
    ring_group,
    tts,
    user,
    voicemail,
)

flow = Flow()

MAX_TRIES = 3
MENU_PROMPT = (
    "For sales, press 1. For support, press 2. To join your account's conference room,"
    " press 3. For the operator, press 0."
)


def operator() -> Node:
    return device(directory.OPERATOR_DEVICE, timeout=30).then(voicemail(directory.GENERAL_MAILBOX))


@flow.step()
def start(call: Call) -> Node:
    return call.gather(
        "check_pin",
        prompt=tts("Welcome to Acme Widgets. Please enter your four digit account PIN."),
        max_digits=4,
    )


@flow.step()
def check_pin(call: Call) -> Node:
    account = directory.ACCOUNTS_BY_PIN.get(call.digits or "")
    if account is not None:
        call.state["account"] = account
        call.state["menu_tries"] = 0
        return call.gather("menu_choice", prompt=tts(f"Thank you. {MENU_PROMPT}"))
    tries = int(call.state.get("pin_tries", 0)) + 1
    call.state["pin_tries"] = tries
    if tries >= MAX_TRIES:
        return tts("Let me put you through to the operator.").then(operator())
    heard = "That PIN was not recognised." if call.digits else "We did not hear a PIN."
    return call.gather(
        "check_pin", prompt=tts(f"{heard} Please enter your four digit PIN."), max_digits=4
    )


@flow.step()
def menu_choice(call: Call) -> Node:
    choice = call.digits or ""
    if choice == "1":
        return tts("Connecting you to sales.").then(
            ring_group(
                [endpoint("user", uid) for uid in directory.SALES_TEAM], strategy="simultaneous"
            ).then(operator())
        )
    if choice == "2":
        # A failed bridge takes the child named by its cause (NO_ANSWER, USER_BUSY, ...),
        # then `_`: here every failure ends in the support mailbox.
        return (
            tts("Connecting you to support.")
            .then(user(directory.SUPPORT_USER, timeout=25))
            .then(voicemail(directory.SUPPORT_MAILBOX))
        )
    if choice == "3":
        room = f"acme-{call.state['account']}"
        return tts("Joining your account's conference room.").then(
            conference(config={"name": room})
        )
    if choice == "0":
        return operator()
    tries = int(call.state.get("menu_tries", 0)) + 1
    call.state["menu_tries"] = tries
    if tries >= MAX_TRIES:
        return tts("Let me put you through to the operator.").then(operator())
    return call.gather("menu_choice", prompt=tts(f"Sorry, that is not an option. {MENU_PROMPT}"))


customer = Customer(
    slug="acme",
    flow=flow,
    fallback_message="Sorry, we are having trouble. Transferring you to the operator.",
    fallback_target=operator,
    request_timeout_ms=4000,
)
