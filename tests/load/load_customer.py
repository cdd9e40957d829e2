"""The load test's customer: five stateful steps after the first, each appending the key
the caller pressed to the call's state, so a call's final state names exactly the keys
that call pressed (and nothing of any other call's)."""

from __future__ import annotations

from pathlib import Path

SLUG = "loadtest"
STEPS = ("one", "two", "three", "four", "five")

SOURCE = """
from pivotkit import Call, Customer, Flow, Node, hangup, tts

flow = Flow()
STEPS = ("one", "two", "three", "four", "five")


@flow.step()
def start(call: Call) -> Node:
    call.state["pressed"] = ""
    return call.gather("one", prompt=tts("Step one: press a key."))


def _step(name: str, following: str | None):
    def step(call: Call) -> Node:
        call.state["pressed"] = call.state["pressed"] + (call.digits or "-")
        call.state["last_step"] = name
        if following is None:
            return tts("You pressed " + " ".join(call.state["pressed"])).then(hangup())
        return call.gather(following, prompt=tts("Next: press a key."))

    step.__name__ = name
    return step


for index, name in enumerate(STEPS):
    flow.step(name)(_step(name, STEPS[index + 1] if index + 1 < len(STEPS) else None))

customer = Customer(slug="loadtest", flow=flow)
"""


def write_customer(directory: Path) -> Path:
    """``<directory>/loadtest/__init__.py``; returns ``directory`` (a customers path)."""
    package = directory / SLUG
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(SOURCE, encoding="utf-8")
    return directory
