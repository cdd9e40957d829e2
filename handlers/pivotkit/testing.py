"""Test a customer's flows as Kazoo would call them, in process: ``pivotkit.testing``.

    from pivotkit.testing import NO_KEY, Caller, call

    def test_closed_on_christmas() -> None:
        result = call(hours.customer, now="2026-12-25T12:00-06:00", digits=[NO_KEY])
        result.assert_heard("We are closed.")
        result.assert_voicemail(hours.TEAM_MAILBOX)

``call`` sends the first Pivot request as Kazoo encodes it, then walks every answer the way
Kazoo's callflow executor does (the simulator behind ``pivotkit call``): prompts are heard,
each ``collect_dtmf`` takes the next ``digits`` entry (``NO_KEY`` is a timeout), bridges
follow ``bridges`` (answered unless told otherwise), and nested pivot nodes send the next
request to the same engine the Lambda function runs (``PivotApp``), with in-memory state.
Every answer is checked against Kazoo's schemas when they are available (``KAZOO_SCHEMAS``,
the cache ``pivotkit schemas fetch`` fills, or the project's copy): an answer Kazoo would
refuse fails the test. Without schemas the check is skipped and ``validation`` says so.

A ``Harness`` keeps one engine, one store and one clock across calls (a queue's second
caller, a call placed an hour later). What a test can inject is a keyword argument of
``Harness`` (and of ``call``): ``now``, ``shared``, ``config`` (the customer's
configuration: a model instance or a mapping of its fields; by default its
``config/<stage>.toml``, stage ``dev``) and ``secrets`` (name -> value; by default none, so
a step that reads one gets a 503 as deployed without the secret set), ``outbound`` (what
``call.http`` sends through: a ``FakeHttp``, or any ``pivotkit.outbound.Transport``; by
default the real network). A request that takes longer than the pivot node's
``req_timeout_ms`` is a timeout, as Kazoo sees it. Background jobs (``call.work``) run as
soon as the answer that started them is settled, so the next lap finds them done (a slow
job: drive ``PivotApp`` with a ``ThreadDeferrer``, as tests/examples/test_booking.py
does); ``Harness.jobs`` holds their records.

Local tooling: never shipped to Lambda.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pivotkit.app import PivotApp
from pivotkit.config import DEFAULT_STAGE, ConfigFiles, ConfigSource, StaticConfig
from pivotkit.customers import Customer, StaticTokens
from pivotkit.deferred import InlineDeferrer
from pivotkit.deferred_runner import DeferredWork
from pivotkit.errors import OutboundError
from pivotkit.local.clock import parse_now
from pivotkit.local.kazoo_encoding import KazooHttpRequest
from pivotkit.local.runtime import kazoo_validator
from pivotkit.local.simulator import DTMF, Caller, PivotTarget, Script, WireAnswer, simulate
from pivotkit.local.transcript import Event, Transcript
from pivotkit.local.transports import TransportTimeout
from pivotkit.outbound import RawRequest, RawResponse, Transport
from pivotkit.secrets import StaticSecrets
from pivotkit.shared import InMemorySharedStore, SharedStore
from pivotkit.state import CallKey, InMemoryStateStore
from pivotkit.work import InMemoryJobStore

__all__ = [
    "NO_KEY",
    "Branch",
    "Bridge",
    "CallFailed",
    "CallResult",
    "Caller",
    "FakeHttp",
    "Harness",
    "Request",
    "SentRequest",
    "call",
]

NO_KEY = ""  # a digits entry for a collect the caller lets time out
# Where the test endpoint lives; continuation URLs point here and come back in process.
BASE_URL = "https://pivot.test.invalid"
TOKEN = "pivotkit-testing-token"  # noqa: S105 - a fixed test token, valid only in process

Moment = datetime | str


class CallFailed(AssertionError):
    """The endpoint gave an answer Kazoo cannot use, or a request failed unexpectedly."""


@dataclass(frozen=True)
class Bridge:
    """One attempt to connect the caller (device, user, ring_group, voicemail, conference,
    resources...), in the order the call made them."""

    module: str
    target: str  # the id, number or conference name; a ring group lists "type:id" members
    outcome: str  # "answer", or the hangup cause scripted with ``bridges``
    text: str  # as ``pivotkit call`` prints it, e.g. "voicemail <id>: answered"

    @property
    def answered(self) -> bool:
        return self.outcome == "answer"


@dataclass(frozen=True)
class Branch:
    """A module that chose a child: a menu, ``check_cid``, ``fax_detect``, ``cidlistmatch``."""

    module: str
    key: str  # the child taken, e.g. "2", "match", "ON_FAX", "timeout"
    text: str  # as ``pivotkit call`` prints it, e.g. "check_cid -> match (scripted)"


@dataclass(frozen=True)
class Request:
    """One Pivot request Kazoo sent during the call."""

    step: str  # the step the engine ran (the continuation's ``step``; the entry step first)
    method: str  # "get" or "post"
    digits: Mapping[str, str]  # every collection so far (Kazoo's Digits[...])
    variables: Mapping[str, Any]  # Custom-Application-Vars
    url: str  # the voice_url requested, token masked


@dataclass(frozen=True)
class CallResult:
    """What happened on one call: what the caller heard, where the call went, and how."""

    transcript: Transcript = field(repr=False)
    state: Mapping[str, Any]  # the call's stored state when it ended ({} when none)
    trail: Sequence[Mapping[str, Any]]  # steps passed (``Flow(track_path=True)``)
    entry: str = field(default="start", repr=False)

    # -- what the caller heard ---------------------------------------------------------

    @property
    def heard(self) -> list[str]:
        """Everything the caller heard, in order: each TTS text and each played media."""
        return self.transcript.heard

    @property
    def said(self) -> list[str]:
        """The TTS texts alone."""
        return [e.text for e in self.transcript.events if e.kind == "say"]

    @property
    def played(self) -> list[str]:
        """The media played alone (URLs or media ids)."""
        return [e.text for e in self.transcript.events if e.kind == "play"]

    # -- where the call went -------------------------------------------------------------

    @property
    def bridges(self) -> list[Bridge]:
        return [_bridge(e.module or "", e.detail, e.text) for e in self._events("bridge")]

    @property
    def connected_to(self) -> Bridge | None:
        """The bridge that answered (the call ends there), if any."""
        answered = [b for b in self.bridges if b.answered]
        return answered[-1] if answered else None

    @property
    def branches(self) -> list[Branch]:
        return [
            Branch(e.module or "", str(e.detail.get("key", "")), e.text)
            for e in self._events("branch")
        ]

    @property
    def modules(self) -> list[str]:
        """Every callflow module Kazoo ran, in order (``pivot`` for each request)."""
        return [e.module for e in self.transcript.events if e.module]

    @property
    def ending(self) -> str:
        """How the call ended: ``bridged``, ``hangup``, ``response``, ``handoff``,
        ``caller_hangup`` (the digits ran out) or ``failed``."""
        return self.transcript.ending or "unfinished"

    @property
    def reason(self) -> str:
        return self.transcript.reason

    @property
    def fell_back(self) -> bool:
        """Whether Kazoo took a pivot node's ``_`` fallback after a failed request."""
        return bool(self._events("fallback"))

    @property
    def failures(self) -> list[str]:
        return list(self.transcript.failures)

    @property
    def requests(self) -> list[Request]:
        return [self._request(e.detail) for e in self._events("request")]

    @property
    def answers(self) -> list[Mapping[str, Any]]:
        """Each callflow the endpoint answered with (tokens masked)."""
        return [e.detail["callflow"] for e in self._events("answer") if "callflow" in e.detail]

    def answered(self, module: str) -> list[Mapping[str, Any]]:
        """The ``data`` of every ``module`` node in the answers, in order."""
        return [n["data"] for tree in self.answers for n in _nodes(tree) if n["module"] == module]

    @property
    def validation(self) -> str:
        """Which Kazoo schemas checked the answers, or why none did."""
        return self.transcript.validation

    def render(self) -> str:
        """The call as ``pivotkit call`` prints it: the first thing to read when a test fails."""
        return self.transcript.render()

    # -- assertions (each failure message ends with the whole call) -----------------------

    def assert_heard(self, text: str) -> None:
        """Some prompt the caller heard contains ``text``."""
        if not any(text in item for item in self.heard):
            self._fail(f"the caller never heard {text!r}")

    def assert_not_heard(self, text: str) -> None:
        if any(text in item for item in self.heard):
            self._fail(f"the caller heard {text!r}")

    def assert_connected(self, module: str, target: str | None = None) -> None:
        """The call ended connected through ``module`` (``user``, ``device``, ``ring_group``,
        ``resources``...), to ``target`` when given (an id, a number, a conference name)."""
        reached = self.connected_to
        wanted = module if target is None else f"{module} {target}"
        if reached is None:
            self._fail(f"expected the call to reach {wanted}; nothing answered")
        elif reached.module != module or (target is not None and reached.target != target):
            self._fail(f"expected the call to reach {wanted}; it reached {reached.text}")

    def assert_voicemail(self, box_id: str) -> None:
        self.assert_connected("voicemail", box_id)

    def assert_conference(self, name_or_id: str) -> None:
        self.assert_connected("conference", name_or_id)

    def assert_hangup(self) -> None:
        """The flow hung up on the caller (a hangup node, or nothing left to run)."""
        if self.ending != "hangup":
            self._fail(f"expected a hangup; the call ended {self.ending}: {self.reason}")

    def assert_fallback(self) -> None:
        """A Pivot request failed and Kazoo ran the pivot node's ``_`` fallback."""
        if not self.fell_back:
            self._fail("expected Kazoo to take a fallback; every request was answered")

    def _fail(self, message: str) -> None:
        raise AssertionError(f"{message}\n\n{self.render()}")

    def _events(self, kind: str) -> list[Event]:
        return [e for e in self.transcript.events if e.kind == kind]

    def _request(self, detail: Mapping[str, Any]) -> Request:
        query = parse_qs(urlsplit(str(detail.get("url", ""))).query)
        return Request(
            step=query.get("step", [self.entry])[0],
            method=str(detail.get("method", "get")),
            digits=dict(detail.get("digits") or {}),
            variables=dict(detail.get("variables") or {}),
            url=str(detail.get("url", "")),
        )


class Harness:
    """One engine for ``customer`` with in-memory state and its own clock, for any number
    of calls. ``now`` (an aware datetime or ISO 8601 text with an offset) stops the clock
    there (``call.now()`` reads it) until ``now`` is set again or ``advance`` moves it;
    without it, steps see the system clock. ``call.shared`` is the in-memory twin
    (``InMemorySharedStore``) unless ``shared`` names another store; calls of one harness
    share it, and may be placed from several threads at once.

    ``config`` is what ``call.config`` holds: a ``config_model`` instance or a mapping of its
    fields (validated by the model); without it, the customer's ``config/<stage>.toml``
    (``stage`` dev by default). Either way a bad value raises ``ConfigError`` here, naming
    the field. ``secrets`` are the values ``call.secrets[name]`` returns (declared names
    only); a declared secret not given is unavailable, as deployed before it is set: the
    request is a 503 and Kazoo takes the fallback (pass ``allow_failures=True`` to test it).
    Secrets are never read from the environment or ``secrets.local.toml`` here."""

    def __init__(
        self,
        customer: Customer,
        *,
        now: Moment | None = None,
        shared: SharedStore | None = None,
        config: Any | None = None,
        secrets: Mapping[str, str] | None = None,
        stage: str = DEFAULT_STAGE,
        outbound: Transport | None = None,
    ) -> None:
        self.customer = customer
        self._store = InMemoryStateStore()
        # call.shared: the in-memory twin unless a test brings its own (DynamoDB on moto).
        self.shared_store: SharedStore = shared if shared is not None else InMemorySharedStore()
        self._now: float | None = None if now is None else _instant(now)
        config_source = _config_source(customer, config, stage)
        secret_source = StaticSecrets({customer.slug: _declared(customer, secrets or {})})
        # Background jobs (call.work) run as soon as the answer that started them is
        # settled, as if each lap's hold audio outlasted them: the next lap sees the result.
        self.jobs = InMemoryJobStore()
        work = DeferredWork(
            {customer.slug: customer},
            self.jobs,
            clock=self._clock,
            config=config_source,
            secrets=secret_source,
            outbound=outbound,
        )
        self._app = PivotApp(
            {customer.slug: customer},
            self._store,
            StaticTokens({customer.slug: [TOKEN]}),
            clock=self._clock,
            shared=self.shared_store,
            config=config_source,
            secrets=secret_source,
            jobs=self.jobs,
            deferrer=InlineDeferrer(work.run),
            outbound=outbound,
        )
        self._validator, self._validation = kazoo_validator()
        self._calls = 0
        self._count_lock = threading.Lock()

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    @now.setter
    def now(self, moment: Moment) -> None:
        self._now = _instant(moment)

    def advance(self, by: timedelta) -> None:
        """Move the clock on by ``by`` (it then stands still there)."""
        self._now = self._clock() + by.total_seconds()

    def call(
        self,
        *,
        digits: Sequence[str] = (),
        caller: Caller | None = None,
        bridges: Sequence[str] = (),
        branches: Mapping[str, Sequence[str]] | None = None,
        method: str = "get",
        body_format: str = "form",
        allow_failures: bool = False,
    ) -> CallResult:
        """Place one call. ``digits``: one entry per ``collect_dtmf`` (``"1234#"``; ``NO_KEY``
        is a timeout; once they run out the caller hangs up). ``bridges``: per bridge,
        ``"answer"`` (the default) or a hangup cause (``"NO_ANSWER"``, ``"USER_BUSY"``).
        ``branches``: the key a module takes, per visit (``{"menu": ["2"]}``); a menu stored
        in Kazoo, ``check_cid`` or ``fax_detect`` choose this way. ``method`` and
        ``body_format`` are those of the pivot node in Kazoo's callflow.

        Raises ``CallFailed`` when a 200 answer is one Kazoo cannot use (schema-invalid, not
        JSON, empty, the wrong Content-Type) or the flow loops, and, unless
        ``allow_failures``, when a request failed (a non-200, a step that raised): pass it
        to test a fallback (``assert_fallback``) or a refusal (``ending == "failed"`` when
        the pivot node has no fallback, as the first one in Kazoo's callflow).
        """
        for entry in digits:
            if set(entry) - DTMF:
                raise ValueError(f"digits {entry!r}: only 0-9, * and # can be pressed")
        with self._count_lock:
            self._calls += 1
            number = self._calls
        who = caller or Caller()
        if who.call_id is None:  # distinct per call, so calls never share state
            who = _with_call_id(who, f"{self.customer.slug}-{number}@pivotkit.testing")
        script = Script(
            digits=list(digits),
            branches={module: list(keys) for module, keys in (branches or {}).items()},
            bridges=list(bridges),
        )
        transcript = simulate(
            _EngineTransport(self._app),
            PivotTarget(
                f"{BASE_URL}/pivot/{self.customer.slug}?token={TOKEN}", method, body_format
            ),
            who,
            script,
            validator=self._validator,
            validation_label=self._validation,
        )
        result = CallResult(transcript, *self._stored(who), entry=self.customer.flow.entry)
        broken = transcript.ending in ("loop_guard", None) or _unusable_answer(transcript)
        if broken or (transcript.failures and not allow_failures):
            problems = "; ".join(transcript.failures) or transcript.reason
            raise CallFailed(f"{problems}\n\n{transcript.render()}")
        return result

    def _clock(self) -> float:
        return time.time() if self._now is None else self._now

    def _stored(self, caller: Caller) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        key = CallKey(self.customer.slug, caller.account_id, caller.call_id or "")
        record = self._store.load(key, now=self._clock())
        if record is None:
            return {}, []
        return dict(record.state), [dict(entry) for entry in record.trail]


def call(
    customer: Customer,
    *,
    now: Moment | None = None,
    digits: Sequence[str] = (),
    caller: Caller | None = None,
    bridges: Sequence[str] = (),
    branches: Mapping[str, Sequence[str]] | None = None,
    method: str = "get",
    body_format: str = "form",
    allow_failures: bool = False,
    config: Any | None = None,
    secrets: Mapping[str, str] | None = None,
    stage: str = DEFAULT_STAGE,
    outbound: Transport | None = None,
) -> CallResult:
    """One call to ``customer`` on a fresh ``Harness`` (see ``Harness`` for ``now``,
    ``config``, ``secrets``, ``stage`` and ``outbound``, and ``Harness.call`` for the rest)."""
    harness = Harness(
        customer, now=now, config=config, secrets=secrets, stage=stage, outbound=outbound
    )
    return harness.call(
        digits=digits,
        caller=caller,
        bridges=bridges,
        branches=branches,
        method=method,
        body_format=body_format,
        allow_failures=allow_failures,
    )


def _config_source(customer: Customer, config: Any | None, stage: str) -> ConfigSource | None:
    """What the harness's calls read as ``call.config``, checked now."""
    source: ConfigSource
    if config is not None:
        if customer.config_model is None:
            raise ValueError(
                f"config= given, but customer {customer.slug!r} declares no config_model"
            )
        source = StaticConfig({customer.slug: config})
    elif customer.config_model is not None:
        source = ConfigFiles(stage)
    else:
        return None
    source.config_for(customer)  # a bad value fails here, naming the field
    return source


def _declared(customer: Customer, secrets: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(set(secrets) - set(customer.secrets))
    if unknown:
        raise ValueError(
            f"secrets= names {', '.join(unknown)}, which customer {customer.slug!r} does not"
            f" declare (declared: {', '.join(customer.secrets) or 'none'})"
        )
    return dict(secrets)


class _EngineTransport:
    """The simulator's requests handed straight to the engine, as the Lambda handler does."""

    def __init__(self, app: PivotApp) -> None:
        self._app = app

    def send(self, request: KazooHttpRequest, timeout_s: float) -> WireAnswer:
        started = time.perf_counter()
        response = self._app.handle(request.as_http_request())
        elapsed_ms = (time.perf_counter() - started) * 1000
        if elapsed_ms > timeout_s * 1000:  # Kazoo would have given up on it by now
            raise TransportTimeout(f"answered after {elapsed_ms:.0f} ms, past req_timeout_ms")
        headers = {name.lower(): value for name, value in response.headers.items()}
        return WireAnswer(response.status, headers, response.body, elapsed_ms)


def _instant(moment: Moment) -> float:
    if isinstance(moment, str):
        return parse_now(moment).timestamp()
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"now={moment.isoformat()}: give an aware datetime (with a tzinfo)")
    return moment.timestamp()


def _unusable_answer(transcript: Transcript) -> bool:
    """Whether a 200 answer was one Kazoo cannot run: the simulator records that failure
    right after the answer (a failed request's failure follows a non-200 or no answer)."""
    events = transcript.events
    return any(
        event.kind == "failure" and before.kind == "answer" and before.detail.get("status") == 200
        for before, event in pairwise(events)
    )


def _with_call_id(caller: Caller, call_id: str) -> Caller:
    return replace(caller, call_id=call_id)


def _bridge(module: str, detail: Mapping[str, Any], text: str) -> Bridge:
    described = str(detail.get("target", module))
    target = described[len(module) :].strip() if described.startswith(module) else described
    if len(target) >= 2 and target[0] == target[-1] == "'":  # a conference by name
        target = target[1:-1]
    return Bridge(module, target, str(detail.get("outcome", "")), text)


def _nodes(tree: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = [tree]
    for child in tree.get("children", {}).values():
        found.extend(_nodes(child))
    return found


@dataclass(frozen=True)
class SentRequest:
    """One request a step sent through ``call.http`` to a ``FakeHttp``."""

    method: str
    url: str
    headers: Mapping[str, str]
    json: Any  # the body, decoded (None without one)


class FakeHttp:
    """The network behind ``call.http``, scripted: ``Harness(customer, outbound=fake)``.

        fake = FakeHttp()
        fake.answer("POST", "https://booking.test/bookings", {"id": "b1"}, status=201)
        fake.fail("GET", "https://crm.test/callers", "timeout")

    A request matches the method and the URL without its query; unmatched requests are
    refused (``OutboundError`` kind ``refused``). ``answer`` may be given several times for
    one URL: the answers are used in turn and the last repeats. ``sent`` records every
    request (``Authorization`` included: it never leaves the test)."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], list[RawResponse | str]] = {}
        self.sent: list[SentRequest] = []
        self._lock = threading.Lock()

    def answer(self, method: str, url: str, data: Any = None, *, status: int = 200) -> None:
        body = b"" if data is None else json.dumps(data).encode("utf-8")
        self._route(method, url).append(RawResponse(status, {"content-type": "json"}, body))

    def answer_raw(self, method: str, url: str, body: bytes, *, status: int = 200) -> None:
        """Answer with ``body`` as it is (garbage that is not JSON, say)."""
        self._route(method, url).append(RawResponse(status, {}, body))

    def fail(self, method: str, url: str, kind: str) -> None:
        """No answer: ``kind`` is ``timeout`` or ``refused``."""
        if kind not in ("timeout", "refused"):
            raise ValueError("a transport fails with 'timeout' or 'refused'")
        self._route(method, url).append(kind)

    def _route(self, method: str, url: str) -> list[RawResponse | str]:
        return self._routes.setdefault((method.upper(), url.split("?", maxsplit=1)[0]), [])

    def send(
        self, request: RawRequest, *, connect_timeout: float, read_timeout: float
    ) -> RawResponse:
        method, url = request.method, request.url
        data = None if request.body is None else json.loads(request.body)
        with self._lock:
            self.sent.append(SentRequest(method, url, dict(request.headers), data))
            script = self._routes.get((method, url.split("?", maxsplit=1)[0]), ["refused"])
            outcome = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(outcome, RawResponse):
            return outcome
        raise OutboundError(outcome, "scripted by FakeHttp", method=method, url=url)
