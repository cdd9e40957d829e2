"""Kazoo's call webhooks, decoded: a channel was created, answered, bridged or destroyed.

Pivot never learns how a call ended; Kazoo's webhooks app does. For each account webhook
whose ``hook`` is one of the channel events, it sends one flat object per channel event
(docs/kazoo-notes.md, "Call webhooks"): snake_case fields such as ``hook_event``,
``call_id``, ``account_id``, ``timestamp`` and, on ``channel_destroy``, ``hangup_cause``,
``hangup_code`` and the ``*_seconds`` durations. It arrives in one of three ways, chosen by
the webhook's ``http_verb`` and ``format``:

- ``get``: the fields in the query string, appended to the webhook's ``uri`` after a second
  ``?`` (Kazoo does not look for a query already in the URI, so ``?token=T`` becomes
  ``?token=T?account_id=...``);
- ``post`` or ``put`` with ``format: form-data`` (the default): a form body written by the
  same encoder as Pivot's forms (keys raw, values percent-encoded, objects as ``a[b]=``);
- ``post`` or ``put`` with ``format: json``: one JSON object.

``decode_call_event`` reads all three into a typed ``CallEvent``; anything that is not such
an event is a ``NotACallEvent`` (400). Form values are all strings, JSON ones are typed, so
numbers and booleans are accepted either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pivotkit.errors import MethodNotAllowed, NotACallEvent
from pivotkit.http import JSON_CONTENT_TYPE, HttpRequest
from pivotkit.request import (
    ACCOUNT_ID_PATTERN,
    FORM_CONTENT_TYPE,
    MAX_CALL_ID_LENGTH,
    JsonValue,
    body_params,
    parse_params,
)

if TYPE_CHECKING:
    from pivotkit.shared import Shared

# The channel events of Kazoo's webhooks app (``webhooks_channel_util:format_event``).
CHANNEL_CREATE: Final = "channel_create"
CHANNEL_ANSWER: Final = "channel_answer"
CHANNEL_BRIDGE: Final = "channel_bridge"
CHANNEL_DESTROY: Final = "channel_destroy"
CALL_EVENT_KINDS: Final = (CHANNEL_CREATE, CHANNEL_ANSWER, CHANNEL_BRIDGE, CHANNEL_DESTROY)

WEBHOOK_METHODS: Final = frozenset({"GET", "POST", "PUT"})  # the schema's http_verb enum
# Kazoo's timestamps are Gregorian seconds (since year 0); this many precede 1970.
GREGORIAN_TO_UNIX_SECONDS: Final = 62_167_219_200
# Free text from the caller's side, read leniently as in Pivot requests (not UTF-8 -> text).
WEBHOOK_DISPLAY_FIELDS: Final = frozenset(
    {"caller_id_name", "callee_id_name", "custom_channel_vars", "custom_application_vars"}
)
# Our own parameter, in the webhook's uri; never part of the event.
TOKEN_PARAM: Final = "token"  # noqa: S105 - a parameter name, not a secret
_MAX_TEXT_CHARS: Final = 1024
_MAX_SECONDS: Final = 10**9  # ~31 years: far beyond any call, and keeps ints small


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One channel event from Kazoo's webhooks app.

    Every channel of the account produces events: the caller's leg (the ``call_id`` Pivot
    requests carry, ``direction`` ``inbound``) and each leg the call rings or bridges
    (``outbound``, with ``other_leg_call_id`` naming the caller's). Fields Kazoo left out
    are ``None``; ``raw`` holds everything decoded (without our token), including the
    webhook's ``custom_data``, which Kazoo merges into the event at the top level.
    """

    kind: str  # Kazoo's hook_event: channel_create, channel_answer, channel_bridge, channel_destroy
    call_id: str
    account_id: str
    at: float | None = None  # when it happened, Unix seconds (Kazoo's ``timestamp``)
    direction: str | None = None  # call_direction: inbound (the caller's leg) or outbound
    other_leg_call_id: str | None = None
    caller_id_number: str | None = None
    caller_id_name: str | None = None
    callee_id_number: str | None = None
    callee_id_name: str | None = None
    from_: str | None = None  # user@realm
    to: str | None = None
    request: str | None = None
    owner_id: str | None = None
    authorizing_id: str | None = None
    authorizing_type: str | None = None
    is_internal_leg: bool = False  # a loopback leg inside Kazoo
    # channel_destroy only: why and after how long.
    hangup_cause: str | None = None  # e.g. NORMAL_CLEARING, ORIGINATOR_CANCEL, NO_ANSWER
    hangup_code: str | None = None  # the SIP status as "sip:<code>", e.g. sip:200, sip:487
    duration_seconds: int | None = None  # from channel creation to destruction
    billing_seconds: int | None = None  # answered time; 0 = never answered
    ringing_seconds: int | None = None
    custom_channel_vars: Mapping[str, JsonValue] = field(default_factory=dict)
    custom_application_vars: Mapping[str, JsonValue] = field(default_factory=dict)
    hook_id: str | None = None  # the Kazoo webhook that sent it (X-Hook-ID)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    # The customer's shared state (what steps see as ``call.shared``), given to its
    # ``on_call_end`` hook by the webhook endpoint: a queue drops a caller who hung up.
    shared: Shared | None = field(default=None, repr=False, compare=False)

    @property
    def ended(self) -> bool:
        return self.kind == CHANNEL_DESTROY

    @property
    def answered(self) -> bool | None:
        """On a destroy: whether the channel was ever answered (billed); else ``None``."""
        return None if self.billing_seconds is None else self.billing_seconds > 0


def decode_call_event(http: HttpRequest) -> CallEvent:
    """What Kazoo's webhooks app sent, by method and content type (see the module doc)."""
    return call_event_from_params(read_webhook_params(http), hook_id=http.header("x-hook-id"))


def read_webhook_params(http: HttpRequest) -> dict[str, Any]:
    """The decoded fields of a webhook request, without our ``token``."""
    method = http.method.upper()
    if method == "GET":
        # Kazoo appends "?" and the fields to a uri that already has a query: the first "?"
        # left in the query is that joint (Kazoo percent-encodes "?" in every value).
        params = parse_params(http.raw_query.replace("?", "&", 1), WEBHOOK_DISPLAY_FIELDS)
    elif method in WEBHOOK_METHODS:
        params = _read_body(http)
    else:
        raise MethodNotAllowed("Kazoo webhooks are GET, POST or PUT")
    params.pop(TOKEN_PARAM, None)
    return params


def _read_body(http: HttpRequest) -> dict[str, Any]:
    return body_params(
        http,
        WEBHOOK_DISPLAY_FIELDS,
        unsupported=f"webhook bodies are {FORM_CONTENT_TYPE} (format form-data)"
        f" or {JSON_CONTENT_TYPE}",
        invalid=NotACallEvent,
    )


def call_event_from_params(params: Mapping[str, Any], *, hook_id: str = "") -> CallEvent:
    """A ``CallEvent`` from decoded fields; ``NotACallEvent`` names the first bad one."""
    kind = params.get("hook_event")
    if kind not in CALL_EVENT_KINDS:
        # Other hooks (notifications, object, parking, sms...) are not call events.
        raise NotACallEvent(
            "hook_event must be one of " + ", ".join(CALL_EVENT_KINDS) + " (a call webhook)"
        )
    call_id = params.get("call_id")
    if not isinstance(call_id, str) or not 0 < len(call_id) <= MAX_CALL_ID_LENGTH:
        raise NotACallEvent("call_id is missing or malformed")
    account_id = params.get("account_id")
    if not isinstance(account_id, str) or not ACCOUNT_ID_PATTERN.fullmatch(account_id):
        raise NotACallEvent("account_id is missing or not 32 lower-case hex characters")
    timestamp = _whole_number(params, "timestamp", None)
    return CallEvent(
        kind=kind,
        call_id=call_id,
        account_id=account_id,
        at=None if timestamp is None else float(timestamp - GREGORIAN_TO_UNIX_SECONDS),
        direction=_text(params, "call_direction"),
        other_leg_call_id=_text(params, "other_leg_call_id"),
        caller_id_number=_text(params, "caller_id_number"),
        caller_id_name=_text(params, "caller_id_name"),
        callee_id_number=_text(params, "callee_id_number"),
        callee_id_name=_text(params, "callee_id_name"),
        from_=_text(params, "from"),
        to=_text(params, "to"),
        request=_text(params, "request"),
        owner_id=_text(params, "owner_id"),
        authorizing_id=_text(params, "authorizing_id"),
        authorizing_type=_text(params, "authorizing_type"),
        is_internal_leg=_flag(params, "is_internal_leg"),
        hangup_cause=_text(params, "hangup_cause"),
        hangup_code=_text(params, "hangup_code"),
        duration_seconds=_whole_number(params, "duration_seconds", _MAX_SECONDS),
        billing_seconds=_whole_number(params, "billing_seconds", _MAX_SECONDS),
        ringing_seconds=_whole_number(params, "ringing_seconds", _MAX_SECONDS),
        custom_channel_vars=_object(params, "custom_channel_vars"),
        custom_application_vars=_object(params, "custom_application_vars"),
        hook_id=hook_id[:_MAX_TEXT_CHARS] or None,
        raw=dict(params),
    )


def _text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise NotACallEvent(f"{name} is not text")
    # Display text is the caller's; a huge one is cut rather than refused (the event still
    # says how the call ended).
    return value[:_MAX_TEXT_CHARS]


def _whole_number(params: Mapping[str, Any], name: str, limit: int | None) -> int | None:
    """An integer sent as a JSON number or as form text (``"6"``)."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        number = value
    else:
        raise NotACallEvent(f"{name} is not a whole number of seconds")
    if limit is not None and number > limit:
        raise NotACallEvent(f"{name} is out of range")
    return number


def _flag(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name)
    if value is None or value is False or value == "false":
        return False
    if value is True or value == "true":
        return True
    raise NotACallEvent(f"{name} is not true or false")


def _object(params: Mapping[str, Any], name: str) -> Mapping[str, JsonValue]:
    value = params.get(name)
    if value is None or value == "":  # an empty object leaves no key on a form, or ""
        return {}
    if not isinstance(value, dict):
        raise NotACallEvent(f"{name} is not an object")
    return value
