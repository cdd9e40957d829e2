"""``item_size``: a record's size as DynamoDB counts it (names plus values, in bytes)."""

from __future__ import annotations

import pytest

from pivotkit.state import item_size


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("", 0),
        ("acme#3a1f#call", 14),
        ("€", 3),  # UTF-8 bytes, not characters
        ("📞", 4),
        # Numbers: 1 byte per two significant digits, rounded up, plus 1.
        (0, 2),
        (7, 2),
        (12, 2),
        (123, 3),
        (1000, 2),  # trailing zeros are not significant
        (1_750_000_000, 3),
        (1_750_000_000.25, 7),
        (0.000125, 3),
        (-12, 3),  # a byte for the sign, so never less than DynamoDB counts
    ],
)
def test_value_sizes(value: str | int | float, size: int) -> None:
    assert item_size({"n": value}) == 1 + size


def test_names_count_too() -> None:
    assert item_size({"pk": "a#b#c", "answered_seq": 12}) == (2 + 5) + (12 + 2)
