"""The call journal: one bounded, redacted JSON line per Pivot request and per call event.

Where it goes: through the log stream, not DynamoDB. A line is a JSON object carrying the
marker field ``"pivotkit_journal": 1``; deployed it is printed to stdout and lands in the
customer function's CloudWatch log group (expiring with the group's retention), so writing
it costs one ``json.dumps`` and one write per request and no AWS call. Readers (``pivotkit
calls``) find the lines with FilterLogEvents on ``{ $.pivotkit_journal = 1 }``.

Entry kinds (``kind``):

- ``request``: one per Pivot request: customer, call id, account, step, hop, state version
  (``seq``), status, error code, duration, the caller (masked unless the customer opts in),
  the digits (masked by the step's ``sensitive`` policy, ``pivotkit.caller_input``), the
  decoded parameters and the answer (a callflow tree, or the error body), token-free, and
  the ``route`` (method, content type, base URL, path and the continuation's ``step``,
  ``hop``, ``seq`` and ``g``): with the parameters, what ``pivotkit calls pull`` rebuilds
  the request from (never the token, never ``sig``, which pull signs again locally);
- ``call_end``: how a call ended, from Kazoo's call webhooks (the seam below);
- ``media``: one per media request of a call (recording, ``record_caller``, a storage
  plan's voicemail or fax): key, kind, size, content type, status and error code, duration;
  never the body or the token (``CallJournal.media``, written by ``MediaApp``);
- ``truncated``: written once, instead of the request entry that would pass the per-call
  bound, naming the step and hop where the journal stopped for that call.

Privacy: every string passes through ``pivotkit.redaction.Redactor`` (the one token net),
``token`` keys are blanked wherever they sit, parameter keys naming digits are masked, and
the finished line goes through the redactor once more. Bounds: strings are cut to
``MAX_STRING_CHARS`` (``MAX_ANSWER_STRING_CHARS`` in the answer) with control characters
escaped, containers to ``MAX_ITEMS``, depth to ``MAX_DEPTH``, and a line over
``MAX_ENTRY_BYTES`` drops its parameters and answer.

Per call, two bounds: a request at or past hop ``MAX_REQUESTS_PER_CALL`` is journaled only
when it fails (the hop is in the signed continuation, so this holds on every Lambda
instance), and one journal writes at most ``MAX_REQUESTS_PER_CALL`` request and media
entries per call, then only failures, ``MAX_FAILURES_PAST`` more, and one ``truncated``
entry where it first left one out; after that nothing for the call but its ``call_end``
(counted in this process for the last ``MAX_TRACKED_CALLS`` calls: this catches what hops
cannot, a callflow looping back to the pivot node, a flood of first requests or of
failures under one Call-ID). So a call of 10,000 steps writes at most
``MAX_REQUESTS_PER_CALL + MAX_FAILURES_PAST + 1`` entries of at most ``MAX_ENTRY_BYTES``
each per instance.

The seam for how a call ended (Kazoo webhooks)::

    journal = CallJournal(sink=print, redactor=redactor, caller=mask)  # mask: caller IDs
    journal.call_ended(customer="acme", call_id=..., account_id=...,
                       hangup_cause="NORMAL_CLEARING", duration_seconds=42.0,
                       ended_at=time.time())

``call_end_entry(...)`` builds the same dict without writing it. Readers match a
``call_end`` entry to the call's requests by ``customer`` and ``call_id``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pivotkit.caller_input import kept_digits
from pivotkit.errors import PivotkitError
from pivotkit.redaction import MASK, Redactor

MARKER = "pivotkit_journal"
VERSION = 1
KIND_REQUEST = "request"
KIND_CALL_END = "call_end"
KIND_MEDIA = "media"
KIND_TRUNCATED = "truncated"
# CloudWatch Logs' filter pattern that selects journal lines.
FILTER_PATTERN = "{ $.pivotkit_journal = 1 }"

MAX_STRING_CHARS = 256
# Strings of the answer (the kit's own callflow: prompts, URLs) get more room, so a long
# prompt stays whole and ``pivotkit calls pull`` can write its golden; the line bound holds.
MAX_ANSWER_STRING_CHARS = 1024
MAX_ITEMS = 64
# Deep enough for a callflow answer with its fallbacks (each node is two levels: children,
# then the key), so `pivotkit calls pull` gets the tree whole; the line bound still holds.
MAX_DEPTH = 48
MAX_ENTRY_BYTES = 16_384
MAX_REQUESTS_PER_CALL = 500
# Failed requests (and media) still journaled after a call's first MAX_REQUESTS_PER_CALL
# entries: a call that fails late stays in `calls list --status error`.
MAX_FAILURES_PAST = 50
# Calls whose entries one journal counts (least recently written forgotten first).
MAX_TRACKED_CALLS = 4096

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Parameter keys whose values are what the caller pressed.
_DIGIT_KEYS = re.compile(r"(?i)^digits(\[|$)")
# What ``_masked_digits`` writes in place of digits the step's policy keeps back.
_WITHHELD = re.compile(r"^" + re.escape(MASK) + r"(\(\d+\))?$")
# Continuation parameters a pull needs to rebuild a request (``token`` and ``sig`` never).
ROUTE_PARAMS = ("step", "hop", "seq", "g")
# Parameters never journaled: a continuation's signature is re-made by whoever replays.
_DROPPED_PARAMS = frozenset({"sig"})

if TYPE_CHECKING:
    from pivotkit.app import Outcome
    from pivotkit.customers import Customer
    from pivotkit.http import HttpRequest

CallerMask = Callable[[str | None, bool], str | None]
Sink = Callable[[str], None]


def bounded_text(value: str, limit: int = MAX_STRING_CHARS) -> str:
    """``value`` cut to ``limit`` characters (the cut is marked) with control characters
    shown as ``\\xNN`` so a hostile caller name cannot forge lines or colours."""
    cut = value[:limit]
    cut = _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", cut)
    return cut + f"...(+{len(value) - limit})" if len(value) > limit else cut


def bounded(value: Any, redactor: Redactor, depth: int = 0, limit: int = MAX_STRING_CHARS) -> Any:
    """A JSON-safe, bounded copy of ``value`` (strings cut to ``limit``), token-free once its
    line has passed the redactor (``_line``). A string is redacted here only when cutting or
    escaping it could hide a token from that pass (half a token at the cut, a control
    character inside one): redacting every string on its own was most of the journal's cost."""
    if isinstance(value, str):
        if len(value) <= limit and _CONTROL.search(value) is None:
            return value  # the common case: the pass over the finished line redacts it
        return bounded_text(redactor(value), limit)
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth >= MAX_DEPTH:
        return "...(deeper)"
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if index >= MAX_ITEMS:
                out["..."] = f"+{len(value) - MAX_ITEMS} keys"
                break
            name = str(key)
            if len(name) > 64 or _CONTROL.search(name) is not None:
                name = bounded_text(redactor(name), 64)
            out[name] = (
                MASK if str(key).lower() == "token" else bounded(item, redactor, depth + 1, limit)
            )
        return out
    if isinstance(value, list | tuple):
        items = [bounded(item, redactor, depth + 1, limit) for item in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            items.append(f"...(+{len(value) - MAX_ITEMS} items)")
        return items
    return bounded_text(redactor(repr(value)))


def hidden_values(
    raw: Mapping[str, Any], caller: CallerMask, digits_sensitive: bool
) -> list[tuple[str, str]]:
    """(value, shown instead) for what must not appear verbatim anywhere in an entry: the
    caller's number and name, and, under the step's ``sensitive`` policy, every collected
    input of three keys or more (a PIN comes back in ``Custom-Application-Vars`` when a step
    set it as a variable, and a step may say it in its answer)."""
    hidden: list[tuple[str, str]] = []
    for key, is_number in (("Caller-ID-Number", True), ("Caller-ID-Name", False)):
        value = raw.get(key)
        if isinstance(value, str) and len(value) >= 3:
            hidden.append((value, caller(value, is_number) or MASK))
    if digits_sensitive:
        for key, value in raw.items():
            if _DIGIT_KEYS.match(key):
                hidden += [(v, f"{MASK}({len(v)})") for v in _texts(value) if len(v) >= 3]
    return sorted(hidden, key=lambda pair: len(pair[0]), reverse=True)  # longest first


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v)]
    return []


def masked_params(
    raw: Mapping[str, Any],
    caller: CallerMask,
    digits_sensitive: bool,
    hidden: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Decoded Pivot parameters for the journal: caller IDs and sensitive input masked
    wherever they appear (``Caller-ID-Number``, ``From``, custom variables, ...), digits by
    the step's policy."""
    if hidden is None:
        hidden = hidden_values(raw, caller, digits_sensitive)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _DROPPED_PARAMS:
            continue
        if _DIGIT_KEYS.match(key):
            out[key] = _masked_digits(value, digits_sensitive)
        else:
            out[key] = _without(value, hidden)
    return out


def _without(value: Any, hidden: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for secret, shown in hidden:
            value = value.replace(secret, shown)
        return value
    if isinstance(value, Mapping):
        return {k: _without(v, hidden) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without(v, hidden) for v in value]
    return value


def is_withheld(value: object) -> bool:
    """Whether a journaled digit value is a mask (``***`` or ``***(4)``), not what was pressed."""
    return isinstance(value, str) and _WITHHELD.match(value) is not None


def _masked_digits(value: Any, sensitive: bool) -> Any:
    if isinstance(value, str):
        kept = kept_digits(value, sensitive=sensitive)
        if "digits" in kept:
            return kept["digits"]
        return f"{MASK}({kept['digits_length']})"
    if isinstance(value, Mapping):
        return {k: _masked_digits(v, sensitive) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked_digits(v, sensitive) for v in value]
    return MASK


def request_entry(
    outcome: Outcome, customer: Customer | None, caller: CallerMask, at: float
) -> dict[str, Any]:
    """A ``request`` entry from the engine's ``Outcome`` (not yet bounded or redacted)."""
    step = outcome.step
    sensitive = True
    if customer is not None and step is not None and customer.flow.get(step) is not None:
        sensitive = customer.flow.input_sensitive(step)
    entry: dict[str, Any] = {
        MARKER: VERSION,
        "message": "call journal",
        "kind": KIND_REQUEST,
        "at": round(at, 3),
        "customer": outcome.customer,
        "call_id": outcome.call_id,
        "account_id": outcome.account_id,
        "step": step,
        "hop": outcome.hop,
        "seq": outcome.seq,
        "status": outcome.status,
        "error": outcome.error,
        "duration_ms": round(outcome.duration_ms, 2),
        "replayed": outcome.replayed,
        "state_reads": outcome.state_reads,
        "state_writes": outcome.state_writes,
        "previous_step": outcome.previous_step,
        "previous_step_ms": (
            None if outcome.previous_step_ms is None else round(outcome.previous_step_ms, 1)
        ),
    }
    if outcome.call_id is None and outcome.http is not None:
        # Refused before decoding (a wrong token): which call it was is still worth keeping.
        entry["call_id"], entry["account_id"] = _identity(outcome.http)
    if outcome.digits is not None:
        entry.update(kept_digits(outcome.digits, sensitive=sensitive))
    request = outcome.request
    hidden: list[tuple[str, str]] = []
    if request is not None:
        hidden = hidden_values(request.raw, caller, sensitive)
        entry["caller_id_number"] = caller(request.caller_id_number, True)
        entry["caller_id_name"] = caller(request.caller_id_name, False)
        entry["params"] = masked_params(request.raw, caller, sensitive, hidden)
    if outcome.http is not None:
        entry["route"] = route_of(outcome.http)
    answer = _answer(outcome.answer)
    if _mentions(outcome.answer, hidden):  # most answers name neither caller nor input
        answer = _without(answer, hidden)
    entry["answer"] = answer
    return entry


def _identity(http: HttpRequest) -> tuple[str | None, str | None]:
    """Call-ID and Account-ID of a request the engine refused before decoding it (only
    these two: the rest of what an unauthenticated sender sent is not journaled)."""
    from pivotkit.request import read_pivot_params  # see route_of

    try:
        params = read_pivot_params(http)
    except PivotkitError:
        return None, None
    call_id, account_id = params.get("Call-ID"), params.get("Account-ID")
    return (
        call_id if isinstance(call_id, str) else None,
        account_id if isinstance(account_id, str) else None,
    )


def route_of(http: HttpRequest) -> dict[str, Any]:
    """How the request arrived, for rebuilding it: method, content type, where (base URL
    and path) and the continuation parameters (no token, no signature)."""
    # Imported here: the media and webhook functions load this module (their logging does)
    # and must not load the Pivot decoder; a Pivot function has it loaded already.
    from pivotkit.request import query_params

    try:
        continuation = query_params(http, frozenset(ROUTE_PARAMS))
    except PivotkitError:  # a query the engine refused: the entry still says how it came
        continuation = {}
    return {
        "method": http.method.upper(),
        "content_type": http.content_type,
        "base_url": http.base_url,
        "path": http.path,
        "continuation": {k: continuation[k] for k in ROUTE_PARAMS if k in continuation},
    }


def _mentions(body: bytes, hidden: list[tuple[str, str]]) -> bool:
    """Whether any hidden value is in ``body`` as UTF-8 or as JSON escapes it."""
    return any(
        secret.encode("utf-8") in body or json.dumps(secret)[1:-1].encode("ascii") in body
        for secret, _ in hidden
    )


def _answer(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body[:MAX_STRING_CHARS].decode("utf-8", "replace")


def call_end_entry(
    *,
    customer: str,
    call_id: str,
    account_id: str | None,
    hangup_cause: str | None,
    duration_seconds: float | None,
    ended_at: float,
    hangup_by: str | None = None,
) -> dict[str, Any]:
    """A ``call_end`` entry: how and when the call ended (Kazoo's CHANNEL_DESTROY)."""
    entry: dict[str, Any] = {
        MARKER: VERSION,
        "message": "call journal",
        "kind": KIND_CALL_END,
        "at": round(ended_at, 3),
        "customer": customer,
        "call_id": call_id,
        "account_id": account_id,
        "hangup_cause": hangup_cause,
        "duration_seconds": duration_seconds,
    }
    if hangup_by is not None:
        entry["hangup_by"] = hangup_by
    return entry


def media_entry(
    *,
    customer: str,
    call_id: str | None,
    account_id: str | None,
    media_kind: str | None,
    method: str,
    key: str | None,
    status: int,
    error: str | None,
    duration_ms: float,
    at: float,
    size: int | None = None,
    content_type: str | None = None,
) -> dict[str, Any]:
    """A ``media`` entry: one upload (or read) of a call's recording, voicemail or fax. The
    key is the object key (``<customer>/...``), which never holds the token."""
    return {
        MARKER: VERSION,
        "message": "call journal",
        "kind": KIND_MEDIA,
        "at": round(at, 3),
        "customer": customer,
        "call_id": call_id,
        "account_id": account_id,
        "media_kind": media_kind,
        "method": method,
        "key": key,
        "status": status,
        "error": error,
        "size": size,
        "content_type": content_type,
        "duration_ms": round(duration_ms, 2),
    }


def truncated_entry(
    customer: str, call_id: str | None, step: str | None, hop: int | None, at: float
) -> dict[str, Any]:
    """The one entry that says the journal stopped writing a call's requests."""
    return {
        MARKER: VERSION,
        "message": "call journal",
        "kind": KIND_TRUNCATED,
        "at": round(at, 3),
        "customer": customer,
        "call_id": call_id,
        "step": step,
        "hop": hop,
        "limit": MAX_REQUESTS_PER_CALL,
    }


class CallJournal:
    """Writes journal entries as single lines to ``sink`` (stdout deployed, the embedded
    CloudWatch Logs under ``pivotkit serve``, a list in tests)."""

    def __init__(
        self,
        sink: Sink,
        redactor: Redactor,
        caller: CallerMask,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sink = sink
        self.redactor = redactor
        self.caller = caller
        self.clock = clock
        # (customer, call id) -> (entries written, truncated entry written)
        self._written: OrderedDict[tuple[str, str | None], tuple[int, bool]] = OrderedDict()
        self._lock = threading.Lock()

    def write(self, entry: Mapping[str, Any]) -> None:
        line = _line(entry, self.redactor)
        self.sink(line)

    def observe(self, outcome: Outcome, customer: Customer | None) -> None:
        """The ``request`` entry of one Pivot request (an engine observer's body)."""
        if customer is not None and not customer.journal:
            return
        at = self.clock()
        failed = outcome.status != 200
        # Past the hop bound only failures are kept (the hop is signed: every instance agrees).
        past_hops = (outcome.hop or 0) >= MAX_REQUESTS_PER_CALL and not failed
        admitted = self._admit(outcome.customer, outcome.call_id, failed, past_hops)
        if admitted is None:
            return
        if not admitted:
            self.write(
                truncated_entry(outcome.customer, outcome.call_id, outcome.step, outcome.hop, at)
            )
            return
        self.write(request_entry(outcome, customer, self.caller, at))

    def media(self, customer: Customer, **fields: Any) -> None:
        """Append a ``media`` entry; the keywords are ``media_entry``'s but ``customer``
        and ``at`` (nothing for a customer that opted out)."""
        if not customer.journal:
            return
        call_id = fields.get("call_id")
        at = self.clock()
        failed = int(fields.get("status") or 500) >= 300
        admitted = self._admit(customer.slug, call_id, failed, past_hops=False)
        if admitted is None:
            return
        if not admitted:
            self.write(truncated_entry(customer.slug, call_id, None, None, at))
            return
        self.write(media_entry(customer=customer.slug, at=at, **fields))

    def _admit(
        self, customer: str, call_id: str | None, failed: bool, past_hops: bool
    ) -> bool | None:
        """True: write the entry; False: write the call's one ``truncated`` entry instead;
        None: write nothing (the call is past its bound)."""
        key = (customer, call_id)
        with self._lock:
            written, truncated = self._written.pop(key, (0, False))
            decision: bool | None
            if not past_hops and written < MAX_REQUESTS_PER_CALL:
                written, decision = written + 1, True
            elif not past_hops and failed and written < MAX_REQUESTS_PER_CALL + MAX_FAILURES_PAST:
                written, decision = written + 1, True  # failures stay findable a while longer
            elif not truncated:
                truncated, decision = True, False
            else:
                decision = None
            self._written[key] = (written, truncated)
            while len(self._written) > MAX_TRACKED_CALLS:
                self._written.popitem(last=False)
        return decision

    def call_ended(self, **fields: Any) -> None:
        """Append a ``call_end`` entry; the keywords are ``call_end_entry``'s."""
        self.write(call_end_entry(**fields))


def _line(entry: Mapping[str, Any], redactor: Redactor) -> str:
    safe = bounded(dict(entry), redactor)
    if "answer" in entry:  # our own callflow: prompts kept whole more often, for calls pull
        safe["answer"] = bounded(entry["answer"], redactor, 1, MAX_ANSWER_STRING_CHARS)
    text = json.dumps(safe, separators=(",", ":"), ensure_ascii=True)
    if len(text) > MAX_ENTRY_BYTES:
        for heavy in ("params", "answer"):
            if heavy in safe:
                safe[heavy] = "...(dropped: entry too large)"
        text = json.dumps(safe, separators=(",", ":"), ensure_ascii=True)
    return redactor(text)


def is_journal_line(message: str) -> dict[str, Any] | None:
    """The entry a log message holds, or None when it is not a journal line."""
    if MARKER not in message:
        return None
    start = message.find("{")
    if start < 0:
        return None
    try:
        entry = json.loads(message[start:])
    except ValueError:
        return None
    if isinstance(entry, dict) and entry.get(MARKER) == VERSION:
        return entry
    return None
