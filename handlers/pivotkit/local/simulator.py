"""A virtual Kazoo: sends Pivot requests and walks the answers the way ``cf_exe`` would.

    transcript = simulate(transport, PivotTarget(url), Caller(), Script(digits=["1", "42#"]))

The rules, from docs/kazoo-notes.md ("The round trip") and Kazoo's callflow modules:

- A 200 ``application/json`` answer that is a schema-valid callflow *replaces* the running
  flow; the pivot node's own children are dropped.
- A non-200, a timeout (``req_timeout_ms``) or a transport error makes Kazoo continue with
  the pivot node's ``_`` child, or hang up when there is none.
- A 200 Kazoo cannot use (empty body, not JSON, wrong Content-Type, schema-invalid) never
  reaches that fallback: the real caller gets a hang-up or dead air. Reported as a failure.
- Nodes run in order; a module picks a child key and ``cf_exe`` falls back to ``_`` when
  that key is missing. When there is no child left the call hangs up.
- ``collect_dtmf`` stores digits in the call's collections, which persist for the whole call
  and travel in every later request as ``Digits[...]``; ``set_variables`` does the same for
  ``Custom-Application-Vars``. A nested ``pivot`` sends the next request with its own
  ``method`` and ``req_body_format``.
- Bridging modules try a target: answered ends the simulation there; a failure takes the
  child named by the hangup cause, then by the SIP code, then ``_``.

Barge-in (digits pressed during a prompt) is not simulated: every ``collect_dtmf`` takes
the next scripted entry.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from pivotkit.callflow.modules import CONNECTING_MODULES, MODULES
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.local.transcript import Ending, Event, Transcript, redact_tree, redact_url
from pivotkit.local.transports import (
    HttpTransport,
    InProcessTransport,
    Transport,
    TransportError,
    TransportTimeout,
    WireAnswer,
)

__all__ = [
    "Caller",
    "DigitWait",
    "HttpTransport",
    "InProcessTransport",
    "Limits",
    "PivotTarget",
    "Script",
    "ScriptError",
    "Simulation",
    "Transport",
    "TransportError",
    "TransportTimeout",
    "WireAnswer",
    "simulate",
]

DTMF = frozenset("0123456789*#")
DEFAULT_ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
DEFAULT_TIMEOUT_MS = 5000  # pivot_call.erl's default (and the schema's maximum)
# cf_pivot waits this long for a failure notice before continuing on its own (master).
PIVOT_EVENT_WAIT_MS = 10_000

# The SIP code FreeSWITCH reports with each hangup cause (the second child key tried).
CAUSE_SIP_CODES: Mapping[str, int] = {
    "NO_ANSWER": 480,
    "USER_BUSY": 486,
    "CALL_REJECTED": 603,
    "NO_USER_RESPONSE": 408,
    "SUBSCRIBER_ABSENT": 480,
    "UNALLOCATED_NUMBER": 404,
    "NO_ROUTE_DESTINATION": 404,
    "USER_NOT_REGISTERED": 404,
    "INVALID_NUMBER_FORMAT": 484,
    "NORMAL_TEMPORARY_FAILURE": 503,
    "ORIGINATOR_CANCEL": 487,
}
ANSWERED = "answer"
# kzt_translator: these Content-Types (and none at all, read as text/xml) go to TwiML only.
_TWIML_ONLY_TYPES = frozenset({"", "text/xml", "application/xml"})
# What each branching module does when the script does not choose.
DEFAULT_BRANCHES: Mapping[str, str] = {
    "fax_detect": "ON_VOICE",  # a person called
    "cidlistmatch": "nomatch",  # the list is a Kazoo document the simulator cannot read
}

Validator = Callable[[Mapping[str, Any]], list[str]]
Prompt = Callable[[str], str | None]


# --- inputs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PivotTarget:
    """The pivot node that starts the call (the one in the Kazoo callflow)."""

    voice_url: str
    method: str = "get"
    req_body_format: str = "form"
    req_timeout_ms: int = DEFAULT_TIMEOUT_MS


@dataclass(frozen=True)
class Caller:
    """Who calls, as the first request's parameters describe them."""

    number: str = "+14155550123"
    name: str = "Local Caller"
    dialled: str = "+14155550199"
    account_id: str = DEFAULT_ACCOUNT_ID
    call_id: str | None = None  # generated per call when None
    user_ids: tuple[str, ...] = ()
    language: str = "en-us"
    # Custom-Application-Vars the call already carries (set earlier in Kazoo's callflow).
    custom_vars: Mapping[str, str] = field(default_factory=dict)

    def kazoo_call(self) -> KazooCall:
        call_id = self.call_id or f"{uuid.uuid4().hex}@pivotkit.local"
        return KazooCall(
            account_id=self.account_id,
            call_id=call_id,
            caller_id_name=self.name,
            caller_id_number=self.number,
            from_user=self.number,
            to_user=self.dialled,
            request_user=self.dialled,
            language=self.language,
            user_ids=self.user_ids,
            custom_application_vars=dict(self.custom_vars),
        )


@dataclass(frozen=True)
class DigitWait:
    """What a collect (or menu) waits for, for a script that reads keys live (the dev phone):
    how many digits, which keys end the entry, how long the first key may take and how long
    the wait between two keys may be."""

    max_digits: int = 1
    terminators: frozenset[str] = frozenset({"#"})
    timeout_ms: int = 5000
    interdigit_ms: int = 3000  # cf_collect_dtmf's default interdigit_timeout
    # The collect_dtmf's collection_name (empty for a menu): a script that answers from a
    # record of a real call (``pivotkit calls show``) looks the digits up by it. Not part
    # of what the wait is, so two waits alike compare equal whatever they collect into.
    collection: str = field(default="", compare=False)


class ScriptError(ValueError):
    """A digit script or branch option that cannot be used."""


@dataclass
class Script:
    """What the caller does: digits per collect, branch choices, bridge outcomes.

    Each list is used in order, one entry per visit; once used up, digits fall back to
    ``prompt`` (interactive) or the caller hangs up, branches to the module's default and
    bridges to answered.
    """

    digits: list[str] = field(default_factory=list)
    branches: dict[str, list[str]] = field(default_factory=dict)
    bridges: list[str] = field(default_factory=list)
    prompt: Prompt | None = None

    @classmethod
    def parse(
        cls,
        digits: str | None = None,
        branches: Sequence[str] = (),
        bridges: str | None = None,
        prompt: Prompt | None = None,
    ) -> Script:
        """From the CLI's ``--digits "1234#,2"``, ``--branch module=key[,key]`` and
        ``--bridge answer|CAUSE[,...]``; an empty digit entry is a timeout."""
        entries = [] if digits is None else [entry.strip() for entry in digits.split(",")]
        for entry in entries:
            if set(entry) - DTMF:
                raise ScriptError(f"digits {entry!r}: only 0-9, * and # can be pressed")
        choices: dict[str, list[str]] = {}
        for option in branches:
            module, sep, keys = option.partition("=")
            if not sep or not module.strip() or not keys.strip():
                raise ScriptError(f"--branch {option!r}: expected module=key[,key...]")
            choices.setdefault(module.strip(), []).extend(k.strip() for k in keys.split(","))
        outcomes = [] if bridges is None else [b.strip() for b in bridges.split(",")]
        for outcome in outcomes:
            if outcome != ANSWERED and not re.fullmatch(r"[A-Z][A-Z_]*", outcome):
                raise ScriptError(f"--bridge {outcome!r}: 'answer' or a cause like NO_ANSWER")
        return cls(list(entries), choices, outcomes, prompt)

    def next_digits(self, question: str, wait: DigitWait | None = None) -> str | None:
        """The next entry; ``None`` means the caller hangs up. ``wait`` is for live scripts
        (a scripted entry is already whole)."""
        if self.digits:
            return self.digits.pop(0)
        if self.prompt is None:
            return None
        answer = self.prompt(question)
        if answer is not None and set(answer) - DTMF:
            answer = "".join(ch for ch in answer if ch in DTMF)
        return answer

    def next_branch(self, module: str) -> str | None:
        queue = self.branches.get(module)
        return queue.pop(0) if queue else None

    def next_bridge(self, target: str = "") -> str:
        """The outcome of bridging to ``target`` (shown to a live script's caller)."""
        return self.bridges.pop(0) if self.bridges else ANSWERED


@dataclass(frozen=True)
class Limits:
    """The loop guard: a real Kazoo would happily loop forever; a test must not."""

    max_requests: int = 50
    max_steps: int = 500


# --- the walk --------------------------------------------------------------------------


class _CallOver(Exception):
    """Raised inside the walk when the call ends; the transcript says how."""


@dataclass
class _Pending:
    """A pivot node whose request Kazoo is about to send."""

    node: Mapping[str, Any]

    @property
    def data(self) -> Mapping[str, Any]:
        data = self.node.get("data")
        return data if isinstance(data, Mapping) else {}

    @property
    def fallback(self) -> Mapping[str, Any] | None:
        children = self.node.get("children")
        child = children.get("_") if isinstance(children, Mapping) else None
        return child if isinstance(child, Mapping) and child else None


class Simulation:
    """One call. Use ``simulate()``; this class holds the walk's state."""

    def __init__(
        self,
        transport: Transport,
        target: PivotTarget,
        caller: Caller,
        script: Script,
        *,
        validator: Validator | None = None,
        validation_label: str = "skipped",
        limits: Limits | None = None,
        listener: Callable[[Event], None] | None = None,
    ) -> None:
        self.transport = transport
        self.script = script
        self.validator = validator
        self.limits = limits or Limits()
        self.call = caller.kazoo_call()
        self.start = {
            "module": "pivot",
            "data": {
                "voice_url": target.voice_url,
                "method": target.method,
                "req_body_format": target.req_body_format,
                "req_timeout_ms": target.req_timeout_ms,
            },
        }
        self.transcript = Transcript(
            call_id=self.call.call_id,
            caller=f"{caller.number} ({caller.name}) to {caller.dialled}",
            validation=validation_label,
            listener=listener,
        )

    def run(self) -> Transcript:
        pending: _Pending | None = _Pending(self.start)
        try:
            while pending is not None:
                flow = self._request(pending)
                pending = self._walk(flow)
        except _CallOver:
            pass
        self.transcript.collections = dict(self.call.collections or {})
        self.transcript.variables = dict(self.call.custom_application_vars)
        return self.transcript

    # -- requests ------------------------------------------------------------------------

    def _request(self, pending: _Pending) -> Mapping[str, Any]:
        """Send the pivot node's request; the flow Kazoo runs next (answer or fallback)."""
        transcript = self.transcript
        if transcript.requests >= self.limits.max_requests:
            self._end("loop_guard", f"stopped after {transcript.requests} Pivot requests")
        transcript.requests += 1
        data = pending.data
        method = str(data.get("method") or "get").lower()
        # kzt_util:http_method/1 turns any other string into post.
        method = method if method in ("get", "post") else "post"
        body_format = str(data.get("req_body_format") or "form")
        timeout_ms = _timeout_ms(data.get("req_timeout_ms"))
        voice_url = str(data.get("voice_url", ""))
        try:
            request = pivot_http_request(
                self.call, voice_url, method=method, req_body_format=body_format
            )
        except ValueError as exc:  # async_req fails at once: pivot.failed
            return self._failed(pending, f"Kazoo cannot send the request: {exc}")
        shown = redact_url(voice_url)
        transcript.add(
            "request",
            f"{method.upper()} {shown}" + (f" ({body_format})" if method == "post" else ""),
            "pivot",
            url=shown,
            method=method,
            body_format=body_format if method == "post" else None,
            digits=dict(self.call.collections or {}),
            variables=dict(self.call.custom_application_vars),
        )
        try:
            answer = self.transport.send(request, timeout_ms / 1000)
        except TransportTimeout as exc:
            return self._failed(
                pending,
                f"timed out ({exc}); Kazoo 4.3 takes the fallback at once, master after "
                f"cf_pivot's {PIVOT_EVENT_WAIT_MS // 1000} s wait",
            )
        except TransportError as exc:
            return self._failed(pending, f"request failed: {exc}")
        return self._accept(pending, answer)

    def _accept(self, pending: _Pending, answer: WireAnswer) -> Mapping[str, Any]:
        """Kazoo's handling of an HTTP answer (docs/kazoo-notes.md, "The round trip")."""
        timing = f"{answer.elapsed_ms:.0f} ms"
        if answer.status != 200:
            summary = answer.body[:200].decode("utf-8", errors="replace")
            self.transcript.add(
                "answer", f"{answer.status} in {timing}: {summary}", status=answer.status
            )
            return self._failed(pending, f"answered {answer.status}, not 200")
        if answer.content_type in _TWIML_ONLY_TYPES:
            label = answer.content_type or "no Content-Type (read as text/xml)"
            self.transcript.add("answer", f"200 {label} in {timing}", status=200)
            self._fail_hard(f"200 with {label}: only the TwiML translator sees it; hangup")
        if answer.content_type != "application/json":
            # kzt_translator tries TwiML first, then kazoo JSON: it can work, by luck.
            self.transcript.fail(
                f"200 with Content-Type {answer.content_type}: Kazoo tries TwiML before "
                "kazoo JSON; send application/json"
            )
        if not answer.body.strip():
            self.transcript.add("answer", f"200 with an empty body in {timing}", status=200)
            self._fail_hard("200 with an empty body: Kazoo hangs up")
        try:
            flow: Any = json.loads(answer.body)
        except ValueError:
            self.transcript.add("answer", f"200 in {timing}: not JSON", status=200)
            self._fail_hard("200 with invalid JSON: Kazoo hangs up, no fallback")
        if not isinstance(flow, Mapping):
            self.transcript.add("answer", f"200 in {timing}: JSON but not an object", status=200)
            self._fail_hard("200 with a JSON value that is not a callflow node: no fallback")
        self.transcript.add(
            "answer",
            f"200 in {timing}: {_outline(flow)}",
            status=200,
            elapsed_ms=round(answer.elapsed_ms, 1),
            callflow=redact_tree(flow),
        )
        if self.validator is not None:
            errors = self.validator(flow)
            if errors:
                self._fail_hard(
                    "schema-invalid callflow: Kazoo has already stopped waiting, so the "
                    "caller gets dead air (no fallback): " + "; ".join(errors[:5]),
                    errors=errors,
                )
        return flow

    def _failed(self, pending: _Pending, message: str) -> Mapping[str, Any]:
        """A failed request: Kazoo continues with the pivot node's "_" child, if any."""
        self.transcript.fail(message)
        fallback = pending.fallback
        if fallback is None:
            self._end("failed", "the pivot node has no '_' child: Kazoo hangs up")
        self.transcript.add("fallback", "Kazoo continues with the pivot node's '_' child")
        return fallback

    def _fail_hard(self, message: str, **detail: Any) -> NoReturn:
        self.transcript.fail(message, **detail)
        self._end("failed", message.split(":", 1)[0])

    def _end(self, ending: Ending, reason: str) -> NoReturn:
        self.transcript.end(ending, reason)
        raise _CallOver

    # -- nodes ---------------------------------------------------------------------------

    def _walk(self, flow: Mapping[str, Any]) -> _Pending | None:
        """Run nodes from ``flow`` until the call ends or reaches another pivot node."""
        node: Mapping[str, Any] | None = flow
        while node is not None:
            self.transcript.steps += 1
            if self.transcript.steps > self.limits.max_steps:
                self._end("loop_guard", f"stopped after {self.limits.max_steps} callflow steps")
            module = str(node.get("module", ""))
            data = node.get("data")
            data = data if isinstance(data, Mapping) else {}
            if data.get("skip_module") is True:
                node = self._child(node, "_", module)
                continue
            if module == "pivot":
                return _Pending(node)
            key = self._run(module, data, node)
            node = self._child(node, key, module)
        return None

    def _child(self, node: Mapping[str, Any], key: str, module: str) -> Mapping[str, Any]:
        children = node.get("children")
        children = children if isinstance(children, Mapping) else {}
        child = children.get(key)
        if not child and key != "_":
            child = children.get("_")
        if not isinstance(child, Mapping) or not child:
            self._end("hangup", f"{module} has no child to continue with: Kazoo hangs up")
        return child

    def _run(self, module: str, data: Mapping[str, Any], node: Mapping[str, Any]) -> str:
        """Run one node; the child key it continues with."""
        runner = _RUNNERS.get(module)
        if runner is not None:
            return runner(self, module, data)
        if module in CONNECTING_MODULES:
            return self._bridge(module, data, node)
        branch = self.script.next_branch(module)
        if branch is not None:
            self.transcript.add("branch", f"{module} -> {branch} (scripted)", module, key=branch)
            return branch
        self.transcript.add("action", f"{module}: {_brief(data)}", module, data=dict(data))
        return "_"

    def _bridge(self, module: str, data: Mapping[str, Any], node: Mapping[str, Any]) -> str:
        target = _bridge_target(module, data, self.call)
        outcome = self.script.next_bridge(target)
        if outcome == ANSWERED:
            self.transcript.add(
                "bridge", f"{target}: answered", module, target=target, outcome=outcome
            )
            self._end("bridged", f"connected to {target}")
        code = CAUSE_SIP_CODES.get(outcome)
        children = node.get("children")
        children = children if isinstance(children, Mapping) else {}
        follows = MODULES[module].children
        if follows == "ends":
            # conference, faxbox, receive_fax: Kazoo never runs a child of theirs.
            self.transcript.add(
                "bridge", f"{target}: {outcome}", module, target=target, outcome=outcome
            )
            self._end("failed", f"{module} failed ({outcome}); the flow ends with it")
        if follows == "default":
            # voicemail, page_group: whatever happened, Kazoo continues through "_".
            key = "_"
        elif outcome in children:
            key = outcome
        elif code is not None and f"sip:{code}" in children:
            # Kazoo compares the SIP status as FreeSWITCH reports it: "sip:486".
            key = f"sip:{code}"
        elif follows == "carrier":
            self.transcript.add(
                "bridge",
                f"{target}: {outcome}, no child for it",
                module,
                target=target,
                outcome=outcome,
                sip_code=code,
            )
            self._end("failed", f"{module} failed ({outcome}); Kazoo answers it and stops")
        else:
            key = "_"
        failure = outcome if code is None else f"{outcome} ({code})"
        self.transcript.add(
            "bridge",
            f"{target}: {failure} -> child {key!r}",
            module,
            target=target,
            outcome=outcome,
            sip_code=code,
            key=key,
        )
        return key

    # -- module runners ------------------------------------------------------------------

    def _tts(self, module: str, data: Mapping[str, Any]) -> str:
        text = str(data.get("text", ""))
        self.transcript.add(
            "say", text, module, voice=data.get("voice"), language=data.get("language")
        )
        return "_"

    def _play(self, module: str, data: Mapping[str, Any]) -> str:
        media = str(data.get("id", "")) if module == "play" else f"audio macro {_brief(data)}"
        self.transcript.add("play", media, module)
        return "_"

    def _collect(self, module: str, data: Mapping[str, Any]) -> str:
        name = str(data.get("collection_name") or "default")
        requested = data.get("max_digits")
        max_digits = requested if isinstance(requested, int) and requested > 0 else 1
        terminators = _terminators(data)
        wait = DigitWait(
            max_digits,
            terminators,
            _wait_ms(data.get("timeout"), 5000),
            _wait_ms(data.get("interdigit_timeout"), 3000),
            collection=name,
        )
        entry = self.script.next_digits(f"digits for {name} (up to {max_digits}, end with #)", wait)
        if entry is None:
            self._end("caller_hangup", f"the caller hung up at collect_dtmf {name!r}")
        digits = _collected(entry, max_digits, terminators)
        self.call = self.call.with_digits(name, digits)
        shown = digits if digits else "nothing (timeout)"
        self.transcript.add(
            "collect", f"{name}: {shown}", module, collection=name, digits=digits, pressed=entry
        )
        return "_"

    def _menu(self, module: str, data: Mapping[str, Any]) -> str:
        key = self.script.next_branch(module)
        if key is None:
            # A menu's wait is its document's timeout (10 s by default), which the
            # simulator cannot read: the default it is.
            wait = DigitWait(1, frozenset(), 10_000)
            entry = self.script.next_digits(f"menu {data.get('id', '')}: press a key", wait)
            if entry is None:
                self._end("caller_hangup", "the caller hung up in a menu")
            key = (entry or "")[:1] or "timeout"
        self.transcript.add("branch", f"menu {data.get('id', '')} -> {key}", module, key=key)
        return key

    def _check_cid(self, module: str, data: Mapping[str, Any]) -> str:
        return self._branch(module, lambda: self._cid_match(data))

    def _cid_match(self, data: Mapping[str, Any]) -> tuple[str, str]:
        regex = str(data.get("regex") or ".*")
        number = self.call.caller_id_number
        try:
            matched = re.search(regex, number) is not None
        except re.error:
            matched = False
        return "match" if matched else "nomatch", f"{number} against /{regex}/"

    def _default_branch(self, module: str, data: Mapping[str, Any]) -> str:
        return self._branch(module, lambda: (DEFAULT_BRANCHES[module], "default"))

    def _branch(self, module: str, unscripted: Callable[[], tuple[str, str]]) -> str:
        """The key the script chooses for ``module``, else the (key, how) ``unscripted``
        works out, told in the transcript with how it was chosen."""
        key = self.script.next_branch(module)
        how = "scripted"
        if key is None:
            key, how = unscripted()
        self.transcript.add("branch", f"{module} -> {key} ({how})", module, key=key)
        return key

    def _set_variables(self, module: str, data: Mapping[str, Any]) -> str:
        values = data.get("custom_application_vars")
        values = dict(values) if isinstance(values, Mapping) else {}
        self.call = self.call.with_vars(values)
        shown = ", ".join(f"{k}={v}" for k, v in values.items()) or "(nothing)"
        self.transcript.add("variables", f"Custom-Application-Vars {shown}", module, set=values)
        return "_"

    def _set_cid(self, module: str, data: Mapping[str, Any]) -> str:
        name = data.get("caller_id_name")
        number = data.get("caller_id_number")
        self.call = replace(
            self.call,
            caller_id_name=str(name) if name else self.call.caller_id_name,
            caller_id_number=str(number) if number else self.call.caller_id_number,
        )
        text = f"caller id {self.call.caller_id_number} ({self.call.caller_id_name})"
        self.transcript.add("variables", text, module)
        return "_"

    def _language(self, module: str, data: Mapping[str, Any]) -> str:
        language = str(data.get("language", ""))
        self.call = replace(self.call, language=language or self.call.language)
        self.transcript.add("variables", f"language {language}", module)
        return "_"

    def _response(self, module: str, data: Mapping[str, Any]) -> str:
        code = data.get("code", 486)
        message = f" {data['message']}" if data.get("message") else ""
        self._end("response", f"response {code}{message}")

    def _hangup(self, module: str, data: Mapping[str, Any]) -> str:
        self._end("hangup", "hangup")

    def _handoff(self, module: str, data: Mapping[str, Any]) -> str:
        what = "dead air until the caller hangs up" if module == "dead_air" else _brief(data)
        self._end("handoff", f"{module}: {what} (outside Pivot; not simulated further)")


_Runner = Callable[[Simulation, str, Mapping[str, Any]], str]
_RUNNERS: Mapping[str, _Runner] = {
    "tts": Simulation._tts,
    "play": Simulation._play,
    "audio_macro": Simulation._play,
    "collect_dtmf": Simulation._collect,
    "menu": Simulation._menu,
    "check_cid": Simulation._check_cid,
    "fax_detect": Simulation._default_branch,
    "cidlistmatch": Simulation._default_branch,
    "set_variables": Simulation._set_variables,
    "set_cid": Simulation._set_cid,
    "language": Simulation._language,
    "response": Simulation._response,
    "hangup": Simulation._hangup,
    "callflow": Simulation._handoff,
    "dead_air": Simulation._handoff,
}


def simulate(
    transport: Transport,
    target: PivotTarget,
    caller: Caller | None = None,
    script: Script | None = None,
    *,
    validator: Validator | None = None,
    validation_label: str = "skipped",
    limits: Limits | None = None,
    listener: Callable[[Event], None] | None = None,
) -> Transcript:
    """Run one call against ``transport`` and return what happened.

    ``validator`` returns Kazoo schema errors for an answer (``runtime.kazoo_validator``);
    ``listener`` sees each event as it happens.
    """
    simulation = Simulation(
        transport,
        target,
        caller or Caller(),
        script or Script(),
        validator=validator,
        validation_label=validation_label,
        limits=limits,
        listener=listener,
    )
    return simulation.run()


# --- helpers ---------------------------------------------------------------------------


def _timeout_ms(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return min(value, DEFAULT_TIMEOUT_MS)
    return DEFAULT_TIMEOUT_MS


def _wait_ms(value: object, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return default


def _terminators(data: Mapping[str, Any]) -> frozenset[str]:
    listed = data.get("terminators")
    if isinstance(listed, list) and listed:
        return frozenset(str(t) for t in listed)
    single = data.get("terminator")
    return frozenset({str(single)}) if single else frozenset({"#"})


def _collected(entry: str, max_digits: int, terminators: frozenset[str]) -> str:
    """What cf_collect_dtmf stores: digits up to a terminator (not kept) or max_digits."""
    digits: list[str] = []
    for key in entry:
        if key in terminators:
            break
        digits.append(key)
        if len(digits) >= max_digits:
            break
    return "".join(digits)


def _bridge_target(module: str, data: Mapping[str, Any], call: KazooCall) -> str:
    if module in ("resources", "offnet"):
        return f"{module} {data.get('to_did') or call.request_user}"
    if module in ("ring_group", "page_group"):
        endpoints = data.get("endpoints")
        listed = endpoints if isinstance(endpoints, list) else []
        ids = [
            f"{e.get('endpoint_type', '?')}:{e.get('id', '?')}"
            for e in listed
            if isinstance(e, Mapping)
        ]
        return f"{module} [{', '.join(ids)}]"
    if module == "conference":
        config = data.get("config")
        if isinstance(config, Mapping) and config.get("name"):
            return f"conference {config['name']!r}"
    ident = data.get("id") or data.get("faxbox_id") or data.get("owner_id")
    return f"{module} {ident}" if ident else module


def _outline(flow: Mapping[str, Any]) -> str:
    """``tts -> collect_dtmf -> pivot`` along the ``_`` chain (branches counted)."""
    names: list[str] = []
    node: object = flow
    while isinstance(node, Mapping) and len(names) < 12:
        label = str(node.get("module", "?"))
        children = node.get("children")
        children = children if isinstance(children, Mapping) else {}
        others = [k for k in children if k != "_"]
        if others:
            label += f"[{'|'.join(others)}]"
        names.append(label)
        if label == "pivot":
            break  # what follows is the pivot's fallback, run only if its request fails
        node = children.get("_")
    return " -> ".join(names)


def _brief(data: Mapping[str, Any]) -> str:
    text = ", ".join(f"{k}={v}" for k, v in data.items())
    return text if len(text) <= 80 else text[:77] + "..."
