"""``/dev/`` in ``pivotkit serve``: the dev phone and the inspector, in front of the gateway.

``DevConsole`` answers ``/dev/...`` itself and hands every other request to the gateway
unchanged, so Kazoo's routes behave exactly as without it. ``pivotkit serve`` mounts it on
loopback binds only. Even there a web page in the developer's browser could aim requests
at 127.0.0.1, so the console also refuses:

- a ``Host`` that is not a loopback name (DNS rebinding: evil.example resolving to
  127.0.0.1 still sends ``Host: evil.example``);
- a POST without ``X-Pivotkit-Dev: 1`` and a JSON body (a cross-site form or ``fetch``
  cannot send that header without a CORS preflight, which the console never grants), or
  with an ``Origin`` other than its own.

Tokens stay on the server: the phone dials with the customer's local token, and every JSON
answer passes through the gateway's token redactor on its way out.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from string import Template
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from pivotkit.http import HttpResponse
from pivotkit.local.devphone.calllog import CallLog
from pivotkit.local.devphone.inspector import Validator, phone_path, timeline_view
from pivotkit.local.devphone.session import BRIDGE_OUTCOMES, PhoneCall
from pivotkit.local.gateway import GatewayRequest, media_type
from pivotkit.local.server import Dispatch
from pivotkit.local.simulator import DTMF, Caller, HttpTransport, PivotTarget, Transport
from pivotkit.local.transcript import Event
from pivotkit.redaction import Redactor

PREFIX = "/dev"
MAX_LIVE_CALLS = 8
MAX_KEPT_CALLS = 50
_STATIC = {
    "app.css": "text/css; charset=utf-8",
    "common.js": "text/javascript; charset=utf-8",
    "phone.js": "text/javascript; charset=utf-8",
    "inspector.js": "text/javascript; charset=utf-8",
}


@dataclass(frozen=True)
class _Page:
    """A page: ``static/<name>.html`` (its ``<main>``) and ``<name>.js`` in the layout."""

    name: str
    title: str
    heading: str
    link: str  # its name in the pages' nav


_PAGES = {
    "/dev/": _Page("phone", "Dev phone", "pivotkit dev phone", "Phone"),
    "/dev/inspector": _Page("inspector", "Inspector", "pivotkit call inspector", "Inspector"),
}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
        " media-src 'self' http: https:; connect-src 'self'; base-uri 'none';"
        " form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_LOOPBACK_HOST = re.compile(r"^(?:127(?:\.\d{1,3}){3}|localhost|\[::1\])(?::\d{1,5})?$")
_NUMBER = re.compile(r"^\+?[0-9]{1,20}$")
_ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")
_PHONE_CALL = re.compile(r"^/dev/api/phone/calls/([0-9a-f]{32})(?:/(keys|bridge|hangup))?$")
_MEDIA = re.compile(r"^/dev/api/phone/calls/([0-9a-f]{32})/media/(\d{1,6})$")


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class DialTarget:
    """A customer the phone can dial: its slug and the token its voice_url carries."""

    slug: str
    token: str | None  # None: the token lives in Secrets Manager; the phone cannot dial


class DevConsole:
    """A ``Dispatch`` for ``LocalServer``: ``/dev/`` here, everything else to ``gateway``."""

    def __init__(
        self,
        gateway: Dispatch,
        call_log: CallLog,
        targets: Iterable[DialTarget],
        *,
        secrets: Iterable[str] = (),
        validator: Validator | None = None,
        validation_label: str = "skipped",
        transport_factory: Callable[[], Transport] = HttpTransport,
    ) -> None:
        self.gateway = gateway
        self.call_log = call_log
        self.targets = {target.slug: target for target in targets}
        self.base_url = ""  # set by serve once it is bound: the phone dials through it
        self._redact = Redactor(secrets)
        self._validator = validator
        self._validation_label = validation_label
        self._transport_factory = transport_factory
        self._phone_calls: dict[str, PhoneCall] = {}
        self._lock = threading.Lock()

    # -- Dispatch ---------------------------------------------------------------------

    def dispatch(self, request: GatewayRequest) -> HttpResponse:
        path = request.path
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return self.gateway.dispatch(request)
        try:
            self._guard(request)
            return self._route(request.method.upper(), path, request.query, request.body)
        except _Refused as refused:
            return self._json(refused.status, {"error": refused.code, "message": refused.message})

    def _guard(self, request: GatewayRequest) -> None:
        host = request.domain_name
        if not _LOOPBACK_HOST.match(host):
            raise _Refused(403, "not_loopback", "the dev console answers loopback names only")
        if request.method.upper() != "POST":
            return
        if request.header("x-pivotkit-dev") != "1":
            raise _Refused(403, "dev_header_missing", "send X-Pivotkit-Dev: 1")
        origin = request.header("origin")
        if origin is not None and origin != f"http://{host}":
            raise _Refused(403, "foreign_origin", "requests from other origins are refused")
        if media_type(request.header("content-type")) != "application/json":
            raise _Refused(415, "json_required", "send Content-Type: application/json")

    # -- routes -----------------------------------------------------------------------

    def _route(self, method: str, path: str, query: str, body: bytes) -> HttpResponse:
        if path == PREFIX:
            return HttpResponse(302, headers={"Location": "/dev/", **_SECURITY_HEADERS})
        if method in ("GET", "HEAD"):
            page = _PAGES.get(path)
            if page is not None:
                return _page(page)
            if path.startswith("/dev/static/"):
                return _static(path.removeprefix("/dev/static/"))
            if path == "/dev/api/customers":
                return self._json(200, {"customers": self._customers()})
            if path == "/dev/api/calls":
                return self._json(200, {"calls": self.call_log.calls()})
            if path.startswith("/dev/api/calls/"):
                return self._timeline(unquote(path.removeprefix("/dev/api/calls/")))
            media = _MEDIA.match(path)
            if media:
                return self._media(media.group(1), int(media.group(2)))
        phone = _PHONE_CALL.match(path)
        if method == "POST" and path == "/dev/api/phone/calls":
            return self._dial(_body(body))
        if phone is not None:
            call = self._phone_call(phone.group(1))
            action = phone.group(2)
            if method == "GET" and action is None:
                since = dict(parse_qsl(query)).get("since", "0")
                start = int(since) if since.isdigit() and len(since) < 9 else 0
                return self._json(200, self._phone_state(call, start))
            if method == "POST" and action is not None:
                self._act(call, action, _body(body))
                return HttpResponse(204, headers=_SECURITY_HEADERS)
        raise _Refused(404, "not_found", "no such page or API")

    def _customers(self) -> list[dict[str, Any]]:
        return [
            {"slug": slug, "dialable": target.token is not None}
            for slug, target in sorted(self.targets.items())
        ]

    def _timeline(self, call_id: str) -> HttpResponse:
        timeline = self.call_log.timeline(call_id)
        if timeline is None:
            raise _Refused(404, "unknown_call", "no call with that Call-ID")
        phone = self._phone_call_for(call_id)
        path = None
        if phone is not None:
            path = phone.transcript or phone_path(call_id, phone.events_since(0))
        view = timeline_view(timeline, self._validator, self._validation_label, path)
        view["phone_call"] = phone.id if phone is not None else None
        return self._json(200, view)

    # -- the phone --------------------------------------------------------------------

    def _dial(self, request: Mapping[str, Any]) -> HttpResponse:
        slug = request.get("customer")
        target = self.targets.get(slug) if isinstance(slug, str) else None
        if target is None:
            raise _Refused(404, "unknown_customer", "no such customer is served")
        if target.token is None:
            raise _Refused(409, "no_local_token", "this customer's token is in Secrets Manager")
        caller = Caller(
            name=_field(request, "caller_name", _NAME, Caller.name),
            number=_field(request, "caller_number", _NUMBER, Caller.number),
            account_id=_field(request, "account_id", _ACCOUNT_ID, Caller().account_id),
        )
        with self._lock:
            live = [c for c in self._phone_calls.values() if not c.ended]
            if len(live) >= MAX_LIVE_CALLS:
                raise _Refused(429, "too_many_calls", "hang up a dev phone call first")
            voice_url = f"{self.base_url}/pivot/{slug}?token={quote(target.token, safe='')}"
            call = PhoneCall(
                self._transport_factory(),
                PivotTarget(voice_url),
                caller,
                customer=target.slug,
                validator=self._validator,
                validation_label=self._validation_label,
            )
            self._phone_calls[call.id] = call
            self._forget_old_calls()
        call.start()
        return self._json(201, {"id": call.id, "call_id": call.call_id})

    def _forget_old_calls(self) -> None:
        ended = [key for key, c in self._phone_calls.items() if c.ended]
        for key in ended[: max(0, len(self._phone_calls) - MAX_KEPT_CALLS)]:
            del self._phone_calls[key]

    def _phone_call(self, call_id: str) -> PhoneCall:
        with self._lock:
            call = self._phone_calls.get(call_id)
        if call is None:
            raise _Refused(404, "unknown_phone_call", "no such dev phone call")
        return call

    def _phone_call_for(self, kazoo_call_id: str) -> PhoneCall | None:
        with self._lock:
            return next((c for c in self._phone_calls.values() if c.call_id == kazoo_call_id), None)

    def _phone_state(self, call: PhoneCall, since: int) -> dict[str, Any]:
        call.script.seen()
        events = call.events_since(since)
        shown = [self._event(call, since + offset, e) for offset, e in enumerate(events)]
        transcript = call.transcript
        state: dict[str, Any] = {
            "id": call.id,
            "call_id": call.call_id,
            "customer": call.customer,
            "language": call.caller.language,  # what a tts node without one speaks
            "events": shown,
            "next": since + len(events),
            "waiting": None if call.ended else call.script.waiting,
            "ended": call.ended,
        }
        if transcript is not None:
            state.update(ok=transcript.ok, ending=transcript.ending, reason=transcript.reason)
        elif call.crashed:
            state.update(ok=False, ending="failed", reason="the simulator failed (see serve's log)")
        return state

    def _event(self, call: PhoneCall, index: int, event: Event) -> dict[str, Any]:
        shown = event.to_json()
        if event.kind == "play":
            shown["player"] = self._player(call, index, event.text)
        return shown

    def _player(self, call: PhoneCall, index: int, media: str) -> str | None:
        """Where the page's <audio> finds a played file: this server's media through the
        console (its URL holds a token), another server's directly; None for a media id."""
        parts = urlsplit(media)
        if parts.scheme not in ("http", "https"):
            return None
        if self.base_url and media.startswith(self.base_url + "/"):
            return f"/dev/api/phone/calls/{call.id}/media/{index}"
        return media

    def _media(self, call_id: str, index: int) -> HttpResponse:
        call = self._phone_call(call_id)
        events = call.events_since(index)
        if not events or events[0].kind != "play" or not self.base_url:
            raise _Refused(404, "no_media", "no played media there")
        media = events[0].text
        if not media.startswith(self.base_url + "/"):
            raise _Refused(404, "no_media", "that media is not served here")
        return self.gateway.dispatch(GatewayRequest.for_url("GET", media))

    def _act(self, call: PhoneCall, action: str, request: Mapping[str, Any]) -> None:
        if action == "hangup":
            call.script.hang_up()
            return
        if action == "keys":
            keys = request.get("keys")
            if not isinstance(keys, str) or not keys or len(keys) > 32 or set(keys) - DTMF:
                raise _Refused(400, "invalid_keys", "keys are 1 to 32 of 0-9, * and #")
            call.script.press(keys)
            return
        outcome = request.get("outcome")
        if outcome not in BRIDGE_OUTCOMES:
            raise _Refused(
                400, "invalid_outcome", f"outcome is one of {', '.join(BRIDGE_OUTCOMES)}"
            )
        call.script.choose(str(outcome))

    def _json(self, status: int, payload: Mapping[str, Any]) -> HttpResponse:
        text = self._redact(json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
        headers = {"Content-Type": "application/json", **_SECURITY_HEADERS}
        return HttpResponse(status, text.encode("utf-8"), headers)


def _body(body: bytes) -> Mapping[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        raise _Refused(400, "invalid_json", "the body is not JSON") from None
    if not isinstance(parsed, dict):
        raise _Refused(400, "invalid_json", "the body is not a JSON object")
    return parsed


def _field(request: Mapping[str, Any], name: str, pattern: re.Pattern[str], default: str) -> str:
    value = request.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str) or not pattern.match(value):
        raise _Refused(400, f"invalid_{name}", f"{name} is not valid")
    return value


def _static(name: str) -> HttpResponse:
    content_type = _STATIC.get(name)
    if content_type is None:
        raise _Refused(404, "not_found", "no such page or API")
    data = _static_file(name).read_bytes()
    return HttpResponse(200, data, {"Content-Type": content_type, **_SECURITY_HEADERS})


def _page(page: _Page) -> HttpResponse:
    """``page`` in the layout both pages share: the head, the header and the nav."""
    links = []
    for path, other in _PAGES.items():
        current = ' aria-current="page"' if other is page else ""
        links.append(f'<a href="{path}"{current}>{other.link}</a>')
    html = Template(_static_file("layout.html").read_text("utf-8")).substitute(
        title=page.title,
        script=f"{page.name}.js",
        heading=page.heading,
        nav=" ".join(links),
        main=_static_file(f"{page.name}.html").read_text("utf-8"),
    )
    headers = {"Content-Type": "text/html; charset=utf-8", **_SECURITY_HEADERS}
    return HttpResponse(200, html.encode("utf-8"), headers)


def _static_file(name: str) -> Traversable:
    return resources.files("pivotkit.local.devphone").joinpath("static", name)
