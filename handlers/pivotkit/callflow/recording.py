"""Recording and voicemail: ``record_call``, ``record_caller``, ``voicemail``.

Recordings with a ``url`` are uploaded there by Kazoo with the raw audio as the body (PUT by
default): ``record_call`` to ``<url>/call_recording_<call-id>.<ext>?...`` (or with
``&recording=...`` appended when ``url`` has a query string), ``record_caller`` to
``<url>/<call-id>.<ext>``.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from pivotkit.callflow.node import Node
from pivotkit.callflow.types import NodeData, literal_values
from pivotkit.errors import CallflowError

RecordAction: TypeAlias = Literal["start", "stop"]
RecordFormat: TypeAlias = Literal["mp3", "wav"]
UploadMethod: TypeAlias = Literal["put", "post"]
VoicemailAction: TypeAlias = Literal["compose", "check"]

# callflows.record_call.json / record_caller.json: time_limit is 5-10800 seconds.
RECORD_MIN_SECONDS = 5
RECORD_MAX_SECONDS = 10_800
# callflows.voicemail.json: a mailbox id is exactly 32 characters (4.3 and master).
VOICEMAIL_ID_LENGTH = 32


def record_call(
    *,
    action: RecordAction,
    url: str | None = None,
    method: UploadMethod | None = None,
    format: RecordFormat | None = None,
    time_limit: int | None = None,
    record_on_answer: bool | None = None,
    record_on_bridge: bool | None = None,
    record_min_sec: int | None = None,
    record_sample_rate: int | None = None,
    should_follow_transfer: bool | None = None,
    media_name: str | None = None,
    label: str | None = None,
) -> Node:
    """Start (``action="start"``) or stop (``action="stop"``) recording both sides.

    ``stop`` takes no other option (Kazoo ignores them). Without ``url`` the recording
    follows the account's storage plan.
    """
    data = NodeData("record_call").choice("action", action, literal_values(RecordAction))
    options: list[object] = [url, method, format, time_limit, record_on_answer]
    options += [record_on_bridge, record_min_sec, record_sample_rate, should_follow_transfer]
    options += [media_name, label]
    if action == "stop":
        if any(option is not None for option in options):
            raise CallflowError("record_call stop takes no options (Kazoo ignores them)")
        return data.node()
    return (
        data.url("url", url)
        .choice("method", method, literal_values(UploadMethod))
        .choice("format", format, literal_values(RecordFormat))
        .integer("time_limit", time_limit, minimum=RECORD_MIN_SECONDS, maximum=RECORD_MAX_SECONDS)
        .boolean("record_on_answer", record_on_answer)
        .boolean("record_on_bridge", record_on_bridge)
        .integer("record_min_sec", record_min_sec, minimum=0)
        .integer("record_sample_rate", record_sample_rate, minimum=8000, maximum=192_000)
        .boolean("should_follow_transfer", should_follow_transfer)
        .token("media_name", media_name)
        .text("label", label)
        .node()
    )


def record_caller(
    *,
    url: str | None = None,
    method: UploadMethod | None = None,
    format: RecordFormat | None = None,
    time_limit: int | None = None,
) -> Node:
    """Record what the caller says (a message or a prompt) until a DTMF key or
    ``time_limit`` seconds, then continue."""
    return (
        NodeData("record_caller")
        .url("url", url)
        .choice("method", method, literal_values(UploadMethod))
        .choice("format", format, literal_values(RecordFormat))
        .integer("time_limit", time_limit, minimum=RECORD_MIN_SECONDS, maximum=RECORD_MAX_SECONDS)
        .node()
    )


def voicemail(
    id: str | None = None,
    *,
    action: VoicemailAction = "compose",
    max_message_length: int | None = None,
    interdigit_timeout: int | None = None,
    callerid_match_login: bool | None = None,
    single_mailbox_login: bool | None = None,
) -> Node:
    """Leave a message in mailbox ``id`` (``compose``), or check messages (``check``; the
    caller is asked for the mailbox when ``id`` is absent).

    ``max_message_length`` (seconds) overrides the mailbox's own setting; Kazoo injects 500
    when it is left out. The login options apply to ``check`` only.
    """
    if action == "compose":
        if id is None:
            raise CallflowError("voicemail compose needs the mailbox id")
        if callerid_match_login is not None or single_mailbox_login is not None:
            raise CallflowError("voicemail login options apply to action='check' only")
    return (
        NodeData("voicemail")
        .doc_id("id", id, length=VOICEMAIL_ID_LENGTH)
        .choice("action", action, literal_values(VoicemailAction))
        .integer("max_message_length", max_message_length, minimum=1)
        .integer("interdigit_timeout", interdigit_timeout, minimum=1)
        .boolean("callerid_match_login", callerid_match_login)
        .boolean("single_mailbox_login", single_mailbox_login)
        .node()
    )
