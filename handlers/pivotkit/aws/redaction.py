"""What logs may say about a request: tokens never, caller IDs masked unless configured.

Every finished log line of a function passes through ``Redactor`` (``pivotkit.redaction``,
the kit's one definition of a token in a line): ``token=`` values blanked whatever they hold,
and every token the function has seen valid blanked however a URL spells it.
``LearningTokens`` is how it learns them: from the function's token source, as it hands
them out.

Caller numbers and names are personal data: logs carry them masked by default
(``+14155****23``, ``J*** S****``), in full, or not at all (``PIVOTKIT_LOG_CALLER_IDS``).
"""

from __future__ import annotations

from enum import Enum

from pivotkit.customers import TokenSource
from pivotkit.redaction import MASK, Redactor

__all__ = [
    "MASK",
    "CallerIdMode",
    "LearningTokens",
    "Redactor",
    "caller_id",
    "mask_name",
    "mask_number",
]

# Caller IDs come from the caller's network: cap what a log line carries.
MAX_CALLER_ID_LOGGED = 128


class CallerIdMode(Enum):
    FULL = "full"
    MASKED = "masked"
    NONE = "none"

    @classmethod
    def parse(cls, text: str | None) -> CallerIdMode:
        if not text:
            return cls.MASKED
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(
                f"PIVOTKIT_LOG_CALLER_IDS must be full, masked or none, not {text!r}"
            ) from None


class LearningTokens:
    """A ``TokenSource`` that tells the redactor every token it hands out."""

    def __init__(self, source: TokenSource, redactor: Redactor) -> None:
        self._source = source
        self._redactor = redactor

    def tokens_for(self, customer: str) -> tuple[str, ...]:
        tokens = self._source.tokens_for(customer)
        self._redactor.learn(tokens)
        return tokens

    def signing_keys_for(self, customer: str) -> tuple[bytes, ...]:
        return self._source.signing_keys_for(customer)  # never logged: nothing to learn


def mask_number(number: str) -> str:
    """``+14155550123`` -> ``+14155****23``: the country and area code and the last two
    digits stay, enough to tell callers apart in a log without naming them."""
    head = min(6, len(number) // 2)
    tail = 2 if len(number) > 4 else 0
    hidden = len(number) - head - tail
    return number[:head] + "*" * hidden + number[len(number) - tail :]


def mask_name(name: str) -> str:
    """``John Smith`` -> ``J*** S****``: initials and word lengths only."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split(" "))


def caller_id(value: str | None, mode: CallerIdMode, *, is_number: bool) -> str | None:
    """What a log shows of one caller ID value (``None``: leave the field out)."""
    if value is None or mode is CallerIdMode.NONE:
        return None
    value = value[:MAX_CALLER_ID_LOGGED]
    if mode is CallerIdMode.FULL:
        return value
    return mask_number(value) if is_number else mask_name(value)
