"""What the caller keyed in, and how much of it the kit keeps.

Digits collected for a step may be a PIN, an account or card number, a date of birth: they
must not sit in the call's record (DynamoDB keeps it for hours, point-in-time recovery for
weeks), in ``pivotkit stats`` output or in a log line. The rule, the same one the request
log line and the ``Choices`` metric follow:

- one key, or nothing (a timeout, ``""``), is a menu choice and is kept as pressed: twelve
  possible values say nothing about the caller, and the funnel needs them;
- anything longer is kept only as its class (``several``) and its length;
- a step registered with ``Flow.step(sensitive=False)`` declares that its input is no
  secret (an extension number, a menu with two-key options): it is kept as pressed.

The customer's own code still sees every digit in ``call.digits``; what it stores in
``call.state`` is its choice.
"""

from __future__ import annotations

from typing import Any

# Single keypad keys are a safe value to keep (and a safe metric dimension).
KEYPAD = frozenset("0123456789*#")
TIMEOUT_CHOICE = "timeout"
LONGER_CHOICE = "several"


def choice(digits: str) -> str:
    """The class of ``digits``: the key itself when it is one key, ``timeout`` for none,
    ``several`` for more."""
    if digits == "":
        return TIMEOUT_CHOICE
    if len(digits) == 1 and digits in KEYPAD:
        return digits
    return LONGER_CHOICE


def is_sensitive(digits: str, *, sensitive: bool = True) -> bool:
    """Whether ``digits`` must not be kept as pressed (``sensitive`` is the step's flag)."""
    return sensitive and choice(digits) == LONGER_CHOICE


def kept_digits(digits: str, *, sensitive: bool = True) -> dict[str, Any]:
    """The fields a trail entry keeps of ``digits``: ``{"digits": ...}`` when they may be
    kept as pressed, else ``{"choice": "several", "digits_length": n}`` (the log line's
    field names)."""
    if not is_sensitive(digits, sensitive=sensitive):
        return {"digits": digits}
    return {"choice": LONGER_CHOICE, "digits_length": len(digits)}


class StepFailed(Exception):
    """Stands in, in a log line, for a step's exception whose message may quote digits."""


def without_message(error: BaseException) -> StepFailed:
    """A stand-in for ``error`` with its type and traceback but not its message, nor its
    chained exceptions (``int("8642x")`` says ``invalid literal ... '8642x'``). The
    traceback shows files, lines and source text: the step's code, never the caller's."""
    kind = type(error)
    stand_in = StepFailed(
        f"{kind.__module__}.{kind.__qualname__} (message withheld: the step had the caller's"
        " digits)"
    )
    stand_in.__suppress_context__ = True
    return stand_in.with_traceback(error.__traceback__)
