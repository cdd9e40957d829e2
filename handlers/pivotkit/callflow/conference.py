"""Conferencing: ``conference`` joins a stored conference (``id``) or an ad-hoc one
(``config``, keyed by ``config["name"]``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Required, TypedDict

from pivotkit.callflow.node import JSONValue, Node
from pivotkit.callflow.types import (
    NodeData,
    check_bool,
    check_digits,
    check_id,
    check_int,
    check_keys,
    check_text,
    exactly_one,
)
from pivotkit.errors import CallflowError

# callflows.conference.json: a stored conference id is exactly 32 characters (4.3, master).
CONFERENCE_ID_LENGTH = 32
# conferences.json: name is 1-128 characters.
_NAME_MAX = 128


class ConferenceParticipant(TypedDict, total=False):
    """How members (or moderators) join: muted/deaf, the PINs and numbers that admit them."""

    join_muted: bool
    join_deaf: bool
    pins: Sequence[str]
    numbers: Sequence[str]


class ConferenceConfig(TypedDict, total=False):
    """An ad-hoc conference (a subset of Kazoo's ``conferences.json``); ``name`` is the room."""

    name: Required[str]
    max_participants: int
    member: ConferenceParticipant
    moderator: ConferenceParticipant
    play_name: bool
    play_welcome: bool
    play_entry_tone: bool | str
    play_exit_tone: bool | str
    require_moderator: bool
    wait_for_moderator: bool
    profile_name: str
    language: str


class WelcomePrompt(TypedDict, total=False):
    """Whether to play the welcome prompt, and which media to play instead of the default."""

    play: bool
    media_id: str


_CONFIG_KEYS = tuple(ConferenceConfig.__annotations__)
_PARTICIPANT_KEYS = tuple(ConferenceParticipant.__annotations__)
_WELCOME_KEYS = tuple(WelcomePrompt.__annotations__)
_CONFIG_BOOLS = ("play_name", "play_welcome", "require_moderator", "wait_for_moderator")


def conference(
    *,
    id: str | None = None,
    config: ConferenceConfig | None = None,
    moderator: bool | None = None,
    welcome_prompt: WelcomePrompt | None = None,
    play_entry_tone: bool | str | None = None,
    play_exit_tone: bool | str | None = None,
) -> Node:
    """Put the caller in a conference: stored (``id``, 32 characters) or ad hoc (``config``).

    Exactly one of the two. ``play_entry_tone``/``play_exit_tone`` take a boolean or a media
    reference (both schema lines accept either).
    """
    exactly_one("conference", id=id, config=config)
    data = NodeData("conference")
    if id is not None:
        data.put("id", check_id("conference id", id, length=CONFERENCE_ID_LENGTH))
    if config is not None:
        data.put("config", _config(config))
    return (
        data.boolean("moderator", moderator)
        .put("welcome_prompt", _welcome_prompt(welcome_prompt))
        .put("play_entry_tone", _tone("conference play_entry_tone", play_entry_tone))
        .put("play_exit_tone", _tone("conference play_exit_tone", play_exit_tone))
        .node()
    )


def _config(config: Mapping[str, Any]) -> dict[str, JSONValue]:
    check_keys("conference config", config, _CONFIG_KEYS)
    if "name" not in config:
        raise CallflowError("an ad-hoc conference config needs a name (the room's key)")
    rendered: dict[str, JSONValue] = {
        "name": check_text("conference config name", config["name"], max_length=_NAME_MAX)
    }
    for key, value in config.items():
        name = f"conference config {key}"
        if key == "name":
            continue
        if key == "max_participants":
            rendered[key] = check_int(name, value, minimum=1)
        elif key in ("member", "moderator"):
            rendered[key] = _participant(name, value)
        elif key in ("play_entry_tone", "play_exit_tone"):
            rendered[key] = _tone(name, value)
        elif key in _CONFIG_BOOLS:
            rendered[key] = check_bool(name, value)
        else:
            rendered[key] = check_text(name, value)
    return rendered


def _participant(name: str, value: Mapping[str, Any]) -> dict[str, JSONValue]:
    check_keys(name, value, _PARTICIPANT_KEYS)
    rendered: dict[str, JSONValue] = {}
    for key, item in value.items():
        if key in ("join_muted", "join_deaf"):
            rendered[key] = check_bool(f"{name} {key}", item)
            continue
        if isinstance(item, str) or not isinstance(item, Sequence):
            raise CallflowError(f"{name} {key} must be a list of digit strings")
        digits = [check_digits(f"{name} {key} item", d) for d in item]
        if key == "numbers" and len(set(digits)) != len(digits):
            raise CallflowError(f"{name} numbers must not repeat a number")
        rendered[key] = list[JSONValue](digits)
    return rendered


def _welcome_prompt(value: WelcomePrompt | None) -> dict[str, JSONValue] | None:
    if value is None:
        return None
    check_keys("conference welcome_prompt", value, _WELCOME_KEYS)
    rendered: dict[str, JSONValue] = {}
    if "play" in value:
        rendered["play"] = check_bool("conference welcome_prompt play", value["play"])
    if "media_id" in value:
        rendered["media_id"] = check_text("conference welcome_prompt media_id", value["media_id"])
    return rendered


def _tone(name: str, value: bool | str | None) -> bool | str | None:
    if value is None or isinstance(value, bool):
        return value
    return check_text(name, value)
