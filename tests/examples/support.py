"""What the examples' tests need beyond ``pivotkit.testing`` (the customer-facing harness,
which the example tests use for every call): the kit's own machinery.

- ``call_app``: the simulator (``pivotkit.local.simulator``) talking straight to a
  ``PivotApp`` a test builds on another state store (``pivotkit stats`` reads DynamoDB).
- ``app_for``: an engine for hand-made requests (forged continuations).
- ``cli_call``: ``pivotkit call --customer <slug> --json`` in this process, parsed (the
  deployed module through the kit's CLI and Lambda handler).
- ``explore``: every answer a flow gives for every key a caller can press, breadth first.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from pivotkit import Customer
from pivotkit.app import PivotApp
from pivotkit.customers import StaticTokens
from pivotkit.http import HttpRequest
from pivotkit.local.cli import main
from pivotkit.local.kazoo_encoding import KazooCall, KazooHttpRequest, pivot_http_request
from pivotkit.local.schemas import schemas_root
from pivotkit.local.simulator import Caller, PivotTarget, Script, WireAnswer, simulate
from pivotkit.state import CallKey, InMemoryStateStore
from tests.signing import signed

BASE_URL = "https://pivot.example.com"
ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
TOKEN = "example-token"

Validator = Callable[[Mapping[str, Any]], list[str]]


class AppTransport:
    """A ``Transport`` for ``simulate`` that hands each request to ``app`` directly."""

    def __init__(self, app: PivotApp) -> None:
        self.app = app

    def send(self, request: KazooHttpRequest, timeout_s: float) -> WireAnswer:
        response = self.app.handle(to_http(request))
        headers = {name.lower(): value for name, value in response.headers.items()}
        return WireAnswer(response.status, headers, response.body, 0.0)


def to_http(request: KazooHttpRequest) -> HttpRequest:
    return request.as_http_request()


def app_for(
    customer: Customer, store: InMemoryStateStore | None = None, *, now: datetime | None = None
) -> PivotApp:
    """An engine for ``customer``; its steps' ``call.now()`` reads ``now`` when given."""
    return PivotApp(
        {customer.slug: customer},
        store if store is not None else InMemoryStateStore(),
        StaticTokens({customer.slug: [TOKEN]}),
        clock=time.time if now is None else now.timestamp,
    )


def call_app(
    app: PivotApp,
    slug: str,
    *,
    digits: Sequence[str] = (),
    bridges: Sequence[str] = (),
    branches: Mapping[str, Sequence[str]] | None = None,
    caller: Caller | None = None,
    validator: Validator | None = None,
) -> dict[str, Any]:
    """One simulated call to ``slug`` on ``app`` (Kazoo's side played by the simulator), as
    the JSON transcript ``pivotkit call --json`` prints."""
    script = Script(
        digits=list(digits),
        branches={module: list(keys) for module, keys in (branches or {}).items()},
        bridges=list(bridges),
    )
    transcript = simulate(
        AppTransport(app),
        PivotTarget(f"{BASE_URL}/pivot/{slug}?token={TOKEN}"),
        caller or Caller(call_id=f"{slug}-call@test"),
        script,
        validator=validator,
        validation_label="kazoo" if validator else "skipped",
    )
    assert transcript.ok, transcript.failures
    return transcript.to_json()


def cli_call(capsys: pytest.CaptureFixture[str], slug: str, *options: str) -> dict[str, Any]:
    """``pivotkit call --customer slug --json options...``: the transcript as JSON.

    Asserts the command succeeded (every answer usable and schema-valid, when the schemas
    are available, which the command checks itself).
    """
    capsys.readouterr()
    status = main(["call", "--customer", slug, "--json", *options])
    output = capsys.readouterr().out
    transcript: dict[str, Any] = json.loads(output)
    assert status == 0, transcript["failures"]
    if schemas_root() is not None:  # without the schemas the command says it skipped them
        assert transcript["validation"].startswith("Kazoo"), transcript["validation"]
    return transcript


def said(transcript: Mapping[str, Any]) -> str:
    """Everything the caller heard, as one string (for ``in`` checks)."""
    return " | ".join(transcript["heard"])


def bridges(transcript: Mapping[str, Any]) -> list[str]:
    """Each bridge tried, as ``"<target>: <outcome>"``."""
    return [e["text"] for e in transcript["events"] if e["kind"] == "bridge"]


def ran(transcript: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    """The transcript events of one kind (``bridge``, ``action``, ``request``...)."""
    return [e for e in transcript["events"] if e["kind"] == kind]


# --- exhaustive exploration --------------------------------------------------------------

# Every key a caller can press, and pressing nothing (a timeout).
SINGLE_KEYS: tuple[str, ...] = ("", *"0123456789*#")


@dataclass(frozen=True)
class Profile:
    """Who places the first request."""

    number: str = "+14155550123"
    user_ids: tuple[str, ...] = ()


@dataclass
class Exploration:
    """What ``explore`` saw: each distinct answer once, and every status code."""

    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # canonical JSON -> tree
    statuses: Counter[int] = field(default_factory=Counter)
    steps: set[str] = field(default_factory=set)
    requests: int = 0

    @property
    def modules(self) -> set[str]:
        return {node["module"] for tree in self.answers.values() for node in walk(tree)}


@dataclass(frozen=True)
class _Pending:
    """A request Kazoo would send next: its call (digits included) and its URL."""

    call: KazooCall
    state_from: str  # the call id whose stored state this request continues
    voice_url: str
    method: str


def explore(
    customer: Customer,
    *,
    profiles: Iterable[Profile] = (Profile(),),
    inputs: Sequence[str] = (),
    max_requests: int = 4000,
    now: datetime | None = None,
) -> Exploration:
    """Walk every branch of ``customer``'s flow: each collect is answered with every entry
    of ``SINGLE_KEYS + inputs`` (cut to its ``max_digits``), and each pivot node in an
    answer (failure branches included) is followed.

    A branch stops where its answer, the call's state and its named collections were seen
    before, so loops end. Each branch runs as its own call: the parent's stored state is
    copied to a fresh Call-ID first. ``now`` is the time the steps see (``call.now()``).
    """
    store = InMemoryStateStore()
    app = app_for(customer, store, now=now)
    clock = time.time if now is None else now.timestamp  # the engine's, for state expiry
    seen: set[str] = set()
    result = Exploration()
    ids = (f"explore-{n}@test" for n in itertools.count())
    queue: deque[_Pending] = deque()
    for profile in profiles:
        call = KazooCall(
            account_id=ACCOUNT_ID,
            call_id=next(ids),
            caller_id_number=profile.number,
            from_user=profile.number,
            user_ids=profile.user_ids,
        )
        start = f"{BASE_URL}/pivot/{customer.slug}?token={TOKEN}"
        queue.append(_Pending(call, call.call_id, start, "get"))
    options = tuple(dict.fromkeys((*SINGLE_KEYS, *inputs)))
    while queue:
        pending = queue.popleft()
        result.requests += 1
        assert result.requests <= max_requests, "exploration did not converge"
        call = replace(pending.call, call_id=next(ids))
        _copy_state(store, customer.slug, pending.state_from, call.call_id, clock())
        voice_url = pending.voice_url
        if "sig" in _query(voice_url):  # a continuation is signed for one call: this one
            voice_url = signed(voice_url, call)
        response = app.handle(to_http(pivot_http_request(call, voice_url, method=pending.method)))
        result.statuses[response.status] += 1
        if response.status != 200:
            continue
        result.steps.add(_query(pending.voice_url).get("step", customer.flow.entry))
        tree: dict[str, Any] = json.loads(response.body)
        canonical = _canonical(tree)
        result.answers.setdefault(canonical, tree)
        record = store.load(CallKey(customer.slug, ACCOUNT_ID, call.call_id), now=clock())
        state = json.dumps(record.state if record else {}, sort_keys=True)
        named = json.dumps(_named_collections(call), sort_keys=True)
        key = "\n".join((canonical, state, named))
        if key in seen:
            continue
        seen.add(key)
        for pivot, collect in _continuations(tree):
            url, method = pivot["data"]["voice_url"], pivot["data"].get("method", "get")
            if collect is None:
                queue.append(_Pending(call, call.call_id, url, method))
                continue
            name = collect["data"].get("collection_name", "default")
            width = collect["data"].get("max_digits", 1)
            for digits in dict.fromkeys(option[:width] for option in options):
                queue.append(_Pending(call.with_digits(name, digits), call.call_id, url, method))
    return result


def walk(tree: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield tree
    for child in tree.get("children", {}).values():
        yield from walk(child)


def _continuations(
    tree: Mapping[str, Any], collect: Mapping[str, Any] | None = None
) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    """Each pivot node with the collect_dtmf that runs before it on the way (if any).

    A pivot's own children are its fallback, run only when its request fails: not followed.
    """
    if tree["module"] == "pivot":
        yield tree, collect
        return
    if tree["module"] == "collect_dtmf":
        collect = tree
    for child in tree.get("children", {}).values():
        yield from _continuations(child, collect)


def _copy_state(store: InMemoryStateStore, slug: str, source: str, target: str, now: float) -> None:
    record = store.load(CallKey(slug, ACCOUNT_ID, source), now=now)
    if record is not None:
        store.save(replace(record, key=CallKey(slug, ACCOUNT_ID, target)), expected_version=None)


_PER_VISIT = re.compile(
    r"(\b(?:hop|seq)=)\d+|((?:g=|\"collection_name\":\")[a-z0-9_]+_)\d+|(\bsig=)[0-9a-f]+"
)


def _canonical(tree: Mapping[str, Any]) -> str:
    """The answer with per-visit counters (hop, seq, collection suffixes) and the
    signatures that cover them blanked out."""
    text = json.dumps(tree, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return _PER_VISIT.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + "N", text)


def _named_collections(call: KazooCall) -> dict[str, str]:
    """Collections a flow named itself (``home_pin``), not ``call.gather``'s ``step_<hop>``."""
    return {k: v for k, v in (call.collections or {}).items() if not re.search(r"_\d+$", k)}


def _query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
