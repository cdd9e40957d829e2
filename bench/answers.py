"""The Acme answers the hand-written cold-start handlers return (the kit's own, as JSON
trees): the PIN prompt of the first request and the menu after the right PIN."""

from __future__ import annotations

from typing import Any

MENU = (
    "Thank you. For sales, press 1. For support, press 2. To join your account's conference"
    " room, press 3. For the operator, press 0."
)


def gather(base: str, token: str, text: str, collection: str, step: str) -> dict[str, Any]:
    """tts, collect_dtmf, then a pivot to ``step`` with a hangup fallback."""
    return {
        "module": "tts",
        "data": {"text": text},
        "children": {
            "_": {
                "module": "collect_dtmf",
                "data": {"collection_name": collection, "max_digits": 4},
                "children": {
                    "_": {
                        "module": "pivot",
                        "data": {
                            "voice_url": f"{base}?token={token}&step={step}&hop=1",
                            "method": "get",
                            "req_format": "kazoo",
                            "req_timeout_ms": 4000,
                        },
                        "children": {"_": {"module": "hangup", "data": {}}},
                    }
                },
            }
        },
    }


def first(base: str, token: str) -> dict[str, Any]:
    welcome = "Welcome to Acme Widgets. Please enter your four digit account PIN."
    return gather(base, token, welcome, "check_pin_1", "check_pin")


def menu(base: str, token: str) -> dict[str, Any]:
    return gather(base, token, MENU, "menu_choice_2", "menu_choice")
