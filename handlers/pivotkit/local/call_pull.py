"""A journaled call written as replayable Lambda events with goldens (``pivotkit calls pull``).

Each ``request`` entry of the call becomes the event the deployed HTTP API would deliver
(``pivotkit.local.events``, the shape ``call --save-events`` writes) and its journaled answer
the golden beside it, in the format ``pivotkit replay`` reads (``pivotkit.local.replaying``).
The request is rebuilt from the entry's ``route`` (method, content type, host, path, the
continuation's ``step``/``hop``/``seq``/``g``) and its decoded parameters, so replay runs
the call request for request and rebuilds its state as it goes.

What the journal withheld is not invented:

- the token: events carry the local one (``local-<slug>``, or ``--token``), and each
  continuation is signed again with that token's key (``sign_url``), in the event and in
  the golden's URLs; a request the endpoint refused as ``unauthorized`` keeps a wrong token;
- digits the customer's policy masked (``***(4)``): the event keeps the mask and is marked
  ``"pivotkit_withheld"`` with the collections; ``pivotkit replay`` reports it as ``digits
  withheld``, neither a pass nor a fail, since the code would answer other digits. Every
  later request of the call carries the same collection, so it is withheld too. A test
  call's digits the operator knows (a test PIN) can be given: ``--digits check_pin_1=1234``;
- caller IDs the journal masked stay masked (a step that reads them answers as it would
  for that caller);
- an answer the journal cut (a string over its bound, ``...(+N)``) gets no golden: replay
  runs the event and says ``no golden``; a request whose parameters were dropped (an entry
  over 16 KB) ends the pull there, since later requests need the state it left.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pivotkit.continuation import sign_url
from pivotkit.customers import token_signing_key
from pivotkit.journal import KIND_REQUEST, ROUTE_PARAMS, is_withheld
from pivotkit.local.event_recorder import DEPLOYED_SHAPE, RecordedRequest
from pivotkit.local.events import EventContext, lambda_event
from pivotkit.local.kazoo_encoding import (
    FORM_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    KazooHttpRequest,
    encode_form,
    encode_json,
)
from pivotkit.local.replaying import WITHHELD_KEY, Replayed, golden_path
from pivotkit.local.tokens import local_token
from pivotkit.redaction import MASK

# A token no customer accepts: a request refused as unauthorized replays as one.
WRONG_TOKEN = "not-the-journaled-token"  # noqa: S105 - deliberately invalid
# Parameters that are the kit's own (in a GET's query beside Kazoo's), never Kazoo's.
_KIT_PARAMS = frozenset({"token", "sig", *ROUTE_PARAMS})
# What the journal's bounds leave in a value they cut (``pivotkit.journal.bounded``).
_CUT = re.compile(r"\.\.\.\((\+\d+( items| keys)?|deeper|dropped: [^)]*)\)$")
_LABEL = re.compile(r"[^A-Za-z0-9_-]+")


class PullError(ValueError):
    """The journal does not hold what a replayable event needs."""


@dataclass(frozen=True)
class PulledEvent:
    path: Path
    status: int
    golden: bool
    withheld: tuple[str, ...] = ()
    note: str = ""


@dataclass
class PulledCall:
    directory: Path
    events: list[PulledEvent] = field(default_factory=list)
    stopped: str = ""  # why the pull ended before the journal's last request, if it did


def call_directory(base: Path, call_id: str) -> Path:
    """``<base>/<call id, made a file name>``: one directory per pulled call."""
    label = _LABEL.sub("-", call_id).strip("-")[:60] or "call"
    return base / label


def pull(
    entries: Iterable[Mapping[str, Any]],
    base: Path,
    *,
    token: str | None = None,
    digits: Mapping[str, str] | None = None,
) -> PulledCall:
    """Write one call's requests (a customer's, one Call-ID) under ``base`` as events and
    goldens; ``token`` is the one replay accepts (default ``local-<slug>``); ``digits``
    (collection -> digits) fills in digits the journal withheld, for a test caller whose
    PIN the operator knows."""
    requests = sorted(
        (e for e in entries if e.get("kind") == KIND_REQUEST), key=lambda e: float(e.get("at") or 0)
    )
    if not requests:
        raise PullError("the journal holds no request of this call")
    first = requests[0]
    customer, call_id = str(first.get("customer")), str(first.get("call_id"))
    if first.get("hop") not in (0, None) or _continuation(first):
        raise PullError(
            f"the journal's first request of {call_id} is a continuation (hop {first.get('hop')}):"
            " the call began before the journal's window (widen --since)"
        )
    directory = call_directory(base, call_id)
    if directory.is_dir() and any(directory.glob("*.json")):
        raise PullError(f"{directory} already holds events; pull into a new directory")
    accepted = token or local_token(customer)
    pulled = PulledCall(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for index, entry in enumerate(requests, start=1):
        try:
            event, withheld = rebuild_event(entry, accepted, index=index, digits=digits)
        except PullError as exc:
            pulled.stopped = f"request {index} (hop {entry.get('hop')}): {exc}"
            break
        recorded = RecordedRequest(event, Replayed(int(entry.get("status") or 0), None))
        path = directory / f"{index:02d}-{recorded.label}.json"
        path.write_text(_json(event), encoding="utf-8")
        body, note = golden_body(entry, accepted)
        if note:
            pulled.events.append(PulledEvent(path, recorded.answer.status, False, withheld, note))
            continue
        golden = Replayed(recorded.answer.status, body).golden()
        golden_path(path).write_text(_json(golden), encoding="utf-8")
        pulled.events.append(PulledEvent(path, recorded.answer.status, True, withheld))
    return pulled


def rebuild_event(
    entry: Mapping[str, Any],
    token: str,
    *,
    index: int = 1,
    digits: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The Lambda event of one journaled request, and the collections whose digits the
    journal withheld and ``digits`` did not supply (the event is marked with them)."""
    route = entry.get("route")
    if not isinstance(route, Mapping):
        raise PullError("the entry has no route (journaled by a kit without calls pull)")
    unauthorized = entry.get("error") == "unauthorized"
    params = entry.get("params", {})  # absent: refused before decoding, nothing to send
    if not isinstance(params, Mapping):
        raise PullError("the journal dropped its parameters (the entry was over 16 KB)")
    kazoo = _supplied({k: v for k, v in params.items() if k not in _KIT_PARAMS}, digits or {})
    withheld = _withheld(kazoo)
    # The host without a port: a deployed API's domain has none, and the replayed event's
    # domain is what the answer's URLs are built from (golden_body drops it the same way).
    host = urlsplit(str(route.get("base_url") or "")).hostname or "pivot.journal.invalid"
    path = str(route.get("path") or f"/pivot/{entry.get('customer')}")
    continuation = _continuation(entry)
    query = "&".join(
        [f"token={WRONG_TOKEN if unauthorized else token}"]
        + [f"{k}={continuation[k]}" for k in ROUTE_PARAMS if k in continuation]
    )
    url = f"https://{host}{path}?{query}"
    if continuation and not unauthorized:
        url = sign_url(
            url,
            token_signing_key(token),
            account_id=str(entry.get("account_id") or params.get("Account-ID") or ""),
            call_id=str(entry.get("call_id") or ""),
        )
    method = str(route.get("method") or "GET").upper()
    body = b""
    headers: list[tuple[str, str]] = []
    if method == "GET":
        encoded = encode_form(kazoo)
        url = f"{url}&{encoded}" if encoded else url
    else:
        json_body = "json" in str(route.get("content_type") or "")
        body = (encode_json(kazoo) if json_body else encode_form(kazoo)).encode("utf-8")
        headers.append(("content-type", JSON_CONTENT_TYPE if json_body else FORM_CONTENT_TYPE))
    headers += [("content-length", str(len(body))), ("host", host)]
    request = KazooHttpRequest("POST" if method == "POST" else "GET", url, tuple(headers), body)
    at = float(entry.get("at") or 0) - float(entry.get("duration_ms") or 0) / 1000
    context = EventContext(request_id=f"pulled-{index:02d}", time=datetime.fromtimestamp(at, UTC))
    event = lambda_event(request, DEPLOYED_SHAPE, context=context)
    if withheld:
        event[WITHHELD_KEY] = {
            "digits": list(withheld),
            "why": "the journal masked these digits (the customer's policy); replay does not"
            " run this event: put the digits in place of the mask and remove this key",
        }
    return event, withheld


def golden_body(entry: Mapping[str, Any], token: str) -> tuple[Any, str]:
    """The golden's body from the journaled answer, with the token and signatures replay
    will emit; ``(None, why)`` when the journal cut the answer."""
    answer = entry.get("answer")
    if _was_cut(answer):
        return None, "the journal cut this answer (over its bounds): no golden written"
    route = entry.get("route")
    route = route if isinstance(route, Mapping) else {}
    journaled_base = str(route.get("base_url") or "")
    host = urlsplit(journaled_base).hostname
    replayed_base = f"https://{host}" if host else ""
    return _rewritten(answer, journaled_base, replayed_base, token, entry), ""


def _rewritten(value: Any, base: str, replayed: str, token: str, entry: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        if "://" not in value or MASK not in value:
            return value
        url = value.replace(f"token={MASK}", f"token={token}").replace(MASK, token)
        if base and replayed and url.startswith(base):
            url = replayed + url[len(base) :]
        if "/pivot/" in url and "sig=" in url:
            url = sign_url(
                url,
                token_signing_key(token),
                account_id=str(entry.get("account_id") or ""),
                call_id=str(entry.get("call_id") or ""),
            )
        return url
    if isinstance(value, Mapping):
        return {k: _rewritten(v, base, replayed, token, entry) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewritten(v, base, replayed, token, entry) for v in value]
    return value


def _was_cut(value: Any) -> bool:
    if isinstance(value, str):
        return _CUT.search(value) is not None
    if isinstance(value, Mapping):
        return "..." in value or any(_was_cut(v) for v in value.values())
    if isinstance(value, list):
        return any(_was_cut(v) for v in value)
    return False


def _continuation(entry: Mapping[str, Any]) -> dict[str, str]:
    route = entry.get("route")
    found = route.get("continuation") if isinstance(route, Mapping) else None
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, Mapping) else {}


def _supplied(params: dict[str, Any], digits: Mapping[str, str]) -> dict[str, Any]:
    """``params`` with withheld digits replaced by the ones given for their collection."""
    collected = params.get("Digits")
    if isinstance(collected, Mapping) and digits:
        params["Digits"] = {
            k: digits[k] if is_withheld(v) and k in digits else v for k, v in collected.items()
        }
    return params


def _withheld(params: Mapping[str, Any]) -> tuple[str, ...]:
    digits = params.get("Digits")
    if isinstance(digits, Mapping):
        return tuple(str(k) for k, v in digits.items() if is_withheld(v))
    return ()


def _json(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
