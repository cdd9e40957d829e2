"""Flows and steps: how a customer writes a multi-step call.

A ``Flow`` is a registry of step functions. A step receives a ``Call`` and returns the
callflow Kazoo should run next. To ask the caller for input, a step returns
``call.gather("next_step", prompt=tts(...), max_digits=4)``: Kazoo plays the prompt,
collects digits under a collection name unique to that visit, and requests the
continuation URL of ``next_step``, where ``call.digits`` holds what the caller pressed.

Continuation URLs carry, besides the customer's token, ``step`` (what to run), ``hop``
(how many Pivot requests this call has made, which makes collection names unique per visit),
``seq`` (the state version the step expects, which makes a repeated or stale request
recognisable), ``g`` (the collection to read digits from) and ``sig``, which binds all of
them to this call (``pivotkit.continuation``). The engine in ``pivotkit.app`` interprets them.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar
from urllib.parse import quote, urlencode

from pivotkit.callflow import Node, collect_dtmf, pivot, tts
from pivotkit.callflow import record_call as record_call_node
from pivotkit.callflow import record_caller as record_caller_node
from pivotkit.media.limits import (
    RECORD_CALL_CHANNELS,
    RECORD_CALL_SAMPLE_RATE,
    RECORD_CALLER_CHANNELS,
    RECORD_CALLER_SAMPLE_RATE,
    RecordingFormat,
    default_time_limit,
)
from pivotkit.media.paths import ACCOUNT_ID, CALLERS_SEGMENT, RECORDINGS_SEGMENT

if TYPE_CHECKING:
    from pivotkit.config import ConfigSource
    from pivotkit.customers import Customer
    from pivotkit.outbound import Http, Transport
    from pivotkit.request import PivotRequest
    from pivotkit.secrets import Secrets, SecretSource
    from pivotkit.shared import Shared, SharedStore
    from pivotkit.work import JobFunction, Work

STEP_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# What quote() leaves alone: step names, collection names and the engine's placeholders
# always are, so they skip it.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")
ENTRY_STEP = "start"

Step: TypeAlias = Callable[["Call"], Node]
Model = TypeVar("Model")
Named = TypeVar("Named")


def _add_named(registry: dict[str, Named], kind: str, name: str, function: Named) -> None:
    """Steps and jobs are named alike (``STEP_NAME``), each name once in a flow."""
    if not STEP_NAME.match(name):
        raise ValueError(f"{kind} name {name!r}: lower-case letters, digits and _")
    if name in registry:
        raise ValueError(f"{kind} {name!r} is registered twice")
    registry[name] = function


class Flow:
    """A customer's steps, by name. The step named ``start`` answers the first request."""

    def __init__(self, *, entry: str = ENTRY_STEP, track_path: bool = False) -> None:
        """``track_path`` stores every step a caller passes through (one write per step) so
        ``pivotkit stats`` can draw the funnel; without it, steps that leave state alone
        cost no write at all."""
        self.entry = entry
        self.track_path = track_path
        self._steps: dict[str, Step] = {}
        self._plain_input: set[str] = set()
        self._jobs: dict[str, JobFunction] = {}

    def step(self, name: str | None = None, *, sensitive: bool = True) -> Callable[[Step], Step]:
        """Register a step; the function's name is the step name unless ``name`` is given.

        ``sensitive=False`` declares the digits this step receives no secret (a menu choice
        of two keys, an extension): the trail keeps them as pressed, and a failure's log
        line its exception's message. By default input of more than one key is kept only
        as its length, and the message is withheld (see ``pivotkit.caller_input``)."""

        def register(function: Step) -> Step:
            step_name = name or function.__name__
            _add_named(self._steps, "step", step_name, function)
            if not sensitive:
                self._plain_input.add(step_name)
            return function

        return register

    def get(self, name: str) -> Step | None:
        return self._steps.get(name)

    def input_sensitive(self, name: str) -> bool:
        """Whether step ``name`` keeps the default, ``sensitive=True``."""
        return name not in self._plain_input

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(self._steps)

    def job(self, name: str | None = None) -> Callable[[JobFunction], JobFunction]:
        """Register a background job (``call.work.start(name, payload)``, ``pivotkit.work``);
        the function's name is the job name unless ``name`` is given. It receives a
        ``pivotkit.work.Job`` and returns a JSON-safe result."""

        def register(function: JobFunction) -> JobFunction:
            _add_named(self._jobs, "job", name or function.__name__, function)
            return function

        return register

    def job_function(self, name: str) -> JobFunction | None:
        return self._jobs.get(name)


class CallState(MutableMapping[str, Any]):
    """The customer's per-call state: a dict that knows whether a step changed it.

    Values must be JSON-safe (they are stored as JSON). Mutating a nested value in place
    (``state["items"].append(1)``) is not seen: assign the key again.
    """

    def __init__(self, initial: Mapping[str, Any] | None = None) -> None:
        self._data: dict[str, Any] = dict(initial or {})
        self.changed = False

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self._data or self._data[key] != value:
            self.changed = True
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self.changed = True

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def to_dict(self) -> dict[str, Any]:
        return dict(self._data)


ContinuationMethod: TypeAlias = Literal["get", "post"]


class Call:
    """What a step sees: the decoded request, the call's state, and ways to continue."""

    def __init__(
        self,
        *,
        request: PivotRequest,
        customer: Customer,
        step: str,
        hop: int,
        digits: str | None,
        state: CallState,
        continuation_base: str,
        token_mark: str,
        seq_placeholder: str,
        sig_placeholder: str,
        clock: Callable[[], float] = time.time,
        work: Callable[[], Work] | None = None,
        shared_store: SharedStore | None = None,
        config_source: ConfigSource | None = None,
        secret_source: SecretSource | None = None,
        deadline: float | None = None,
        seq: int = 0,
        state_reserve_seconds: float = 0.0,
        outbound: Transport | None = None,
    ) -> None:
        self.request = request
        self.customer = customer
        self.step = step
        self.hop = hop
        # What the caller pressed for the gather that led here: "" means nothing (a
        # timeout), None means this step was not reached through a gather.
        self.digits = digits
        self.state = state
        self._base = continuation_base
        # The token's marker (pivotkit.placeholders): the engine puts the token in its place.
        self._token_mark = token_mark
        # Continuation URLs differ only in step, hop and collection: the rest is encoded
        # once per request (as urlencode would encode it) instead of once per URL.
        self._url_head = f"{continuation_base}?token={_query_value(token_mark)}&step="
        self._url_seq = f"&seq={_query_value(seq_placeholder)}"
        # The signature covers seq, known only once the step has run: each distinct
        # (step, collection) gets a placeholder the engine swaps for its signature.
        self._sig = sig_placeholder
        self._continuations: dict[tuple[str, str | None], str] = {}
        self._clock = clock
        self._work_factory = work
        self._work: Work | None = None
        self._shared_store = shared_store
        self._shared: Shared | None = None
        self._config_source = config_source
        self._secret_source = secret_source
        self._secrets: Secrets | None = None
        # The request's time budget (pivotkit.budget): the monotonic instant the answer
        # must be on its way by; a Call built by hand counts from now.
        self.deadline = (
            time.monotonic() + customer.request_timeout_ms / 1000 if deadline is None else deadline
        )
        self.seq = seq
        self._state_reserve = state_reserve_seconds
        self._outbound = outbound
        self._http: Http | None = None

    def now(self) -> datetime:
        """The current time, aware, in UTC: convert it to the zone a rule is written in.

        Read it here rather than from ``datetime.now()``: it is the engine's clock, which
        ``pivotkit.testing`` and ``--now`` on serve, call and replay set (the system clock
        when deployed), so a flow that depends on the time can be tested at any time.
        """
        return datetime.fromtimestamp(self._clock(), UTC)

    @property
    def vars(self) -> Mapping[str, Any]:
        """Kazoo's ``Custom-Application-Vars`` (set with ``set_variables``)."""
        return self.request.custom_application_vars

    def url(self, step: str, *, collection: str | None = None) -> str:
        """The continuation URL that makes Kazoo's next request run ``step``.

        Its ``seq`` and ``sig`` are placeholders until the step has answered: the engine
        fills them in wherever the URL appears in the callflow the step returns. Put the URL
        in that callflow; a copy kept elsewhere (call state, a message to another system)
        keeps the placeholders and is refused as unsigned.
        """
        self._check_step(step)
        url = f"{self._url_head}{_query_value(step)}&hop={self.hop + 1}{self._url_seq}"
        if collection is not None:
            url = f"{url}&g={_query_value(collection)}"
        return f"{url}&sig={self._signature_placeholder(step, collection)}"

    @property
    def continuations(self) -> Mapping[tuple[str, str | None], str]:
        """(step, collection) -> signature placeholder of every continuation URL built so far
        (all at hop ``self.hop + 1``); the engine fills the signatures in."""
        return self._continuations

    def _signature_placeholder(self, step: str, collection: str | None) -> str:
        key = (step, collection)
        placeholder = self._continuations.get(key)
        if placeholder is None:
            # Fixed width, so no placeholder is the prefix of another.
            placeholder = f"{self._sig}{len(self._continuations):08x}"
            self._continuations[key] = placeholder
        return placeholder

    def goto(self, step: str, *, method: ContinuationMethod = "get") -> Node:
        """A pivot node that continues the call at ``step`` (with the fallback child)."""
        return pivot(
            self.url(step), method=method, req_timeout_ms=self.customer.request_timeout_ms
        ).then(self.fallback())

    def gather(
        self,
        step: str,
        *,
        prompt: Node | None = None,
        max_digits: int = 1,
        timeout_ms: int = 5000,
        interdigit_timeout_ms: int = 3000,
        terminators: Sequence[str] = ("#",),
        method: ContinuationMethod = "get",
    ) -> Node:
        """Play ``prompt``, collect up to ``max_digits`` digits, then run ``step`` with them.

        Digits pressed during the prompt count (Kazoo's barge-in). ``step`` sees them as
        ``call.digits``; an empty string there means the caller pressed nothing in time.
        """
        collection = f"{step}_{self.hop + 1}"
        collect = collect_dtmf(
            collection_name=collection,
            max_digits=max_digits,
            timeout=timeout_ms,
            interdigit_timeout=interdigit_timeout_ms,
            terminators=terminators,
        )
        continuation = pivot(
            self.url(step, collection=collection),
            method=method,
            req_timeout_ms=self.customer.request_timeout_ms,
        ).then(self.fallback())
        head = collect if prompt is None else prompt.then(collect)
        return head.then(continuation)

    def fallback(self) -> Node:
        """What the caller gets if the next Pivot request fails: an apology, then the
        customer's fallback target (an operator, voicemail or a hang-up)."""
        return tts(self.customer.fallback_message).then(self.customer.fallback_target())

    def _check_step(self, step: str) -> None:
        if self.customer.flow.get(step) is None:
            raise ValueError(f"flow of {self.customer.slug!r} has no step {step!r}")

    # -- media (pivotkit.media serves these URLs) ------------------------------------------

    def media_url(self, *parts: str) -> str:
        """``<base>/media/<customer>/<token>[/<part>...]``, each part percent-encoded.

        The token is the first path segment here because Kazoo appends path segments to
        these URLs (a query would end up in the middle). Without parts this is the ``url``
        to give an account storage plan's ``http`` handler (see docs/media.md).
        """
        segments = (self.customer.slug, self._token_mark, *parts)
        return f"{self._media_root()}/" + "/".join(quote(s, safe="") for s in segments)

    def record_call(
        self,
        *,
        action: Literal["start", "stop"] = "start",
        format: RecordingFormat = "mp3",
        time_limit: int | None = None,
        method: Literal["put", "post"] = "put",
        record_on_answer: bool | None = None,
        record_on_bridge: bool | None = None,
        record_min_sec: int | None = None,
        record_sample_rate: int | None = None,
        should_follow_transfer: bool | None = None,
        label: str | None = None,
    ) -> Node:
        """Record both sides of the call into this customer's media store.

        Kazoo uploads once the recording stops, to ``<base>/media/<customer>/recordings
        ?token=T&recording=call_recording_<call id>.<ext>&from=...``. Without ``time_limit``
        the recording is capped at what still fits one upload (Lambda's payload limit):
        about 9 minutes of mp3 or 1 minute of wav at Kazoo's default 16 kHz stereo.
        """
        if action == "stop":
            return record_call_node(action="stop")
        token_query = urlencode({"token": self._token_mark}, quote_via=quote)
        url = f"{self._media_root()}/{self.customer.slug}/{RECORDINGS_SEGMENT}?{token_query}"
        if time_limit is None:
            rate = record_sample_rate or RECORD_CALL_SAMPLE_RATE
            time_limit = default_time_limit(format, rate, RECORD_CALL_CHANNELS)
        return record_call_node(
            action="start",
            url=url,
            method=method,
            format=format,
            time_limit=time_limit,
            record_on_answer=record_on_answer,
            record_on_bridge=record_on_bridge,
            record_min_sec=record_min_sec,
            record_sample_rate=record_sample_rate,
            should_follow_transfer=should_follow_transfer,
            label=label,
        )

    def record_caller(
        self,
        *,
        format: RecordingFormat = "mp3",
        time_limit: int | None = None,
        method: Literal["put", "post"] = "put",
    ) -> Node:
        """Record the caller (a message, a name) until a key press or ``time_limit`` seconds.

        FreeSWITCH uploads to ``<base>/media/<customer>/<token>/callers/<account>/<call
        id>.<ext>``. Without ``time_limit`` the cap is what fits one upload at 16 kHz mono.
        """
        account = self.request.account_id.lower()
        parts = (CALLERS_SEGMENT, account) if ACCOUNT_ID.match(account) else (CALLERS_SEGMENT,)
        if time_limit is None:
            time_limit = default_time_limit(
                format, RECORD_CALLER_SAMPLE_RATE, RECORD_CALLER_CHANNELS
            )
        return record_caller_node(
            url=self.media_url(*parts), method=method, format=format, time_limit=time_limit
        )

    def _media_root(self) -> str:
        # _base is "<api base url>/pivot/<customer>"; media lives beside it.
        return self._base.rsplit("/pivot/", 1)[0] + "/media"

    @property
    def work(self) -> Work:
        """Background jobs of this call: ``start`` one, ``poll`` it from a later step
        (``pivotkit.work``; ``pivotkit.hold`` builds the answer while it runs)."""
        if self._work is None:
            if self._work_factory is None:
                raise RuntimeError("this call was built without background jobs")
            self._work = self._work_factory()
        return self._work

    @property
    def built_work(self) -> Work | None:
        """``call.work`` if this request's step used it (the engine dispatches its jobs)."""
        return self._work

    @property
    def shared(self) -> Shared:
        """This customer's state shared by all its calls (counters, values, lines;
        ``pivotkit.shared``), on the engine's clock. Deployed it is on DynamoDB; locally
        on serve's embedded AWS, in ``pivotkit.testing`` in memory. Its operations raise
        ``SharedStoreError`` (a 503 unless the step catches it)."""
        if self._shared is None:
            from pivotkit.shared import InMemorySharedStore, Shared

            # A Call built without a store (by hand, in a unit test) gets one of its own.
            store = self._shared_store or InMemorySharedStore()
            self._shared = Shared(store, self.customer.slug, clock=self._clock)
        return self._shared

    @property
    def config(self) -> Any:
        """The customer's configuration: its ``config_model`` instance, validated, for the
        stage this runs in (``pivotkit.config``). Typed ``Any`` so any model fits; for
        checked attribute access write ``call.config_as(DentalConfig)``, or annotate
        (``settings: DentalConfig = call.config``)."""
        if self.customer.config_model is None:
            raise ValueError(
                f"customer {self.customer.slug!r} declares no configuration;"
                " add Customer(config_model=...)"
            )
        if self._config_source is None:
            # A Call built by hand (a unit test): the customer's own file for stage dev.
            from pivotkit.config import ConfigFiles

            self._config_source = ConfigFiles()
        return self._config_source.config_for(self.customer)

    def config_as(self, model: type[Model]) -> Model:
        """``call.config``, checked to be a ``model`` (the customer's ``config_model``)."""
        config = self.config
        if not isinstance(config, model):
            raise TypeError(f"the configuration is a {type(config).__name__}, not a {model}")
        return config

    @property
    def secrets(self) -> Secrets:
        """The customer's declared secrets: ``call.secrets["booking_api_key"]``. A name not
        in ``Customer(secrets=...)`` is a ``KeyError``; a declared one that cannot be read
        raises ``SecretUnavailable`` (a 503, Kazoo's fallback) and is logged by name."""
        if self._secrets is None:
            from pivotkit.secrets import Secrets, StaticSecrets

            # A Call built by hand has no store of secrets: every read is unavailable.
            source = self._secret_source or StaticSecrets({})
            self._secrets = Secrets(self.customer, source)
        return self._secrets

    def time_left(self) -> float:
        """Seconds until ``call.deadline`` (never negative): what this request has left for
        the step, the state write and the answer. ``call.http`` keeps the state write's
        reserve out of it by itself."""
        return max(0.0, self.deadline - time.monotonic())

    @property
    def idempotency_key(self) -> str:
        """The same for every request of one step transition (this call, step, hop and
        state version): Kazoo's retries and racing duplicates share it, the next visit of
        the step gets another. A hash, so a service sees neither the Call-ID nor the
        account; ``call.http`` sends it as ``Idempotency-Key``."""
        identity = "\0".join(
            (self.customer.slug, self.request.account_id, self.request.call_id,
             self.step, str(self.hop), str(self.seq))
        )  # fmt: skip
        return "pk1-" + hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    @property
    def http(self) -> Http:
        """JSON over HTTP inside this request's budget (``pivotkit.outbound``,
        docs/outbound.md): timeouts capped by ``time_left()`` minus the state write's
        reserve, retries only while that allows, ``Idempotency-Key`` sent by default, every
        failure an ``OutboundError``. Imported on first use."""
        if self._http is None:
            from pivotkit.outbound import Http

            reserve = self._state_reserve
            self._http = Http(
                budget=lambda: self.time_left() - reserve,
                idempotency_key=self.idempotency_key,
                transport=self._outbound,
            )
        return self._http


def _query_value(value: str) -> str:
    """``value`` percent-encoded for a query string, as ``urlencode(quote_via=quote)`` does."""
    if type(value) is str and _UNRESERVED.fullmatch(value):
        return value
    return urlencode({"": value}, quote_via=quote)[1:]  # "=<value>": anything else, as before
