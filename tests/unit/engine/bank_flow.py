"""A bank's tracked flow with a PIN step, its token and a fixed clock: the customer the
digits-at-rest suites (memory, logs, DynamoDB) call."""

from __future__ import annotations

from pivotkit import Call, Customer, Flow, Node, hangup, tts
from tests.unit.engine.driver import BASE_URL

TOKEN = "digits-token"
FIRST_URL = f"{BASE_URL}/pivot/bank?token={TOKEN}"
PIN = "8642"
FAILING_PIN = "9731"  # the PIN the pin step fails on
NOW = 1_800_000_000.0  # a fixed clock: no timestamp in the record can contain the PIN

flow = Flow(track_path=True)


@flow.step()
def start(call: Call) -> Node:
    return call.gather("menu", prompt=tts("1 for your balance, 2 for an agent."))


@flow.step()
def menu(call: Call) -> Node:
    if call.digits == "2":
        return call.gather("extension", prompt=tts("Which extension?"), max_digits=3)
    return call.gather("pin", prompt=tts("Enter your PIN."), max_digits=4)


@flow.step()
def pin(call: Call) -> Node:
    if call.digits == FAILING_PIN:
        # A customer bug that puts the input in its message, as int("8642x") would.
        raise ValueError(f"no account for PIN {call.digits}")
    return tts("Your balance is ten euros.").then(hangup())


@flow.step(sensitive=False)
def extension(call: Call) -> Node:
    if call.digits == "999":
        raise ValueError(f"no extension {call.digits}")
    return tts(f"Calling extension {call.digits}.").then(hangup())


customer = Customer(slug="bank", flow=flow)
