"""The one exception tree of pivotkit.

Every error the kit raises on purpose is a ``PivotkitError`` carrying the HTTP status it
becomes and a short machine-readable ``code``. Kazoo treats every non-200 answer as a failed
Pivot request and runs the pivot node's ``_`` child, so the split below is about *who* is at
fault, not about whether the caller hears a fallback (they always do):

- ``ClientError`` (4xx): what the sender sent is wrong; nothing is stored.
- ``ServerError`` (5xx): we could not answer with a valid callflow, or storage failed.
- ``InternalSignal``: how one part of the kit tells another what to do next (a state store
  telling the engine to re-read); handled inside the kit, never an answer.

Every class is defined here, whichever module raises it, so this file and docs/errors.md
list the same codes (tests/unit/test_error_codes.py).

An error body never echoes request input (``public_message``): a ``ClientError``'s message
is written by the kit from its own names and limits, so the body carries it; a
``ServerError``'s message may quote what a step built from the request (a SIP header value
in a header or URL, a language a caller's device sent), so the body carries only the class's
fixed ``summary`` and the message goes to the log, short and escaped.
"""

from __future__ import annotations


class PivotkitError(Exception):
    """Root of every error pivotkit raises on purpose."""

    status: int = 500
    code: str = "internal_error"
    summary: str = "internal error"

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None) -> None:
        """A subclass gives the status and code it answers with in its class line
        (``class NotFound(ClientError, status=404, code="not_found")``), the two columns of
        docs/errors.md; one that gives neither answers as its parent does."""
        super().__init_subclass__()
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def public_message(self) -> str:
        """What an error body may say: the fixed ``summary`` unless the class knows its
        messages hold no request input."""
        return self.summary


class ClientError(PivotkitError, status=400, code="bad_request"):
    """The request was wrong; answered with a 4xx and nothing stored."""

    @property
    def public_message(self) -> str:
        # Client errors are raised with the kit's own text (names, limits), never input.
        return self.message


class BadRequest(ClientError):
    """Malformed input: encoding, shape, path tricks."""


class NotAPivotRequest(BadRequest, code="not_a_pivot_request"):
    """Well-formed HTTP, but not what Kazoo's Pivot sends (e.g. no Call-ID)."""


class NotACallEvent(BadRequest, code="not_a_call_event"):
    """Well-formed HTTP on a webhook route, but not a call event Kazoo's webhooks app sends
    (no channel ``hook_event``, no ``call_id`` or ``account_id``, a field of the wrong shape)."""


class Unauthorized(ClientError, status=401, code="unauthorized"):
    """Missing or wrong customer token."""


class Forbidden(ClientError, status=403, code="forbidden"):
    """Authenticated, but not allowed (e.g. a Kazoo account outside the customer's list)."""


class BadContinuation(ClientError, status=403, code="bad_continuation"):
    """A continuation URL without a valid signature for this call (see
    ``pivotkit.continuation``): forged, edited, or made for another call."""


class NotFound(ClientError, status=404, code="not_found"):
    """Unknown customer, step or media object."""


class MethodNotAllowed(ClientError, status=405, code="method_not_allowed"):
    """A route the kit serves, asked with an HTTP method it does not take."""


class StaleContinuation(ClientError, status=409, code="stale_continuation"):
    """A continuation URL for a step the call has already moved past."""


class CallStateExpired(ClientError, status=410, code="call_state_expired"):
    """A continuation for a call whose state has expired or never existed."""


class PayloadTooLarge(ClientError, status=413, code="payload_too_large"):
    """A request body (or media object) over the route's size limit."""


class UnsupportedMediaType(ClientError, status=415, code="unsupported_media_type"):
    """A body in a content type the route does not read."""


class ServerError(PivotkitError, status=500, code="internal_error"):
    """We could not produce a valid answer; Kazoo runs its fallback."""

    summary = "could not answer with a valid callflow"


class CallflowError(ServerError, ValueError, code="invalid_callflow"):
    """A callflow that Kazoo would reject or misread (raised while building or rendering)."""

    summary = "the step built a callflow Kazoo would refuse"


class StepError(ServerError, code="step_failed"):
    """A customer's step raised or returned something that is not a callflow."""

    summary = "the step failed"


class StateNotJSONSafe(StepError, code="state_not_json_safe"):
    """A step put something in the call's state that cannot be stored as JSON."""


class StepTimedOut(ServerError, status=503, code="step_timed_out"):
    """A customer's step did not return within its time limit (or no time was left for it);
    nothing was saved."""


class StateUnavailable(ServerError, status=503, code="state_unavailable"):
    """The state store could not be read or written within the time budget."""

    summary = "call state is unavailable"


class MediaUnavailable(ServerError, status=503, code="media_unavailable"):
    """The media store did not confirm a write or read."""

    summary = "media storage is unavailable"


class TokensUnavailable(ServerError, status=503, code="tokens_unavailable"):
    """A customer's tokens could not be read (or make no sense); Kazoo gets a 503."""


class SharedStoreError(ServerError, status=503, code="shared_store_unavailable"):
    """The customer's shared store (``call.shared``) could not be read or written in time.
    A step may catch it; uncaught, a 503 and Kazoo runs the pivot node's fallback."""

    summary = "shared state is unavailable"


class SharedConflict(SharedStoreError, code="shared_conflict"):
    """A conditional write to a shared item found another version than the one read (or a
    line kept changing under concurrent writers past its budget): read again and retry."""

    summary = "shared state changed concurrently"


class StateTooLarge(ServerError, status=500, code="state_too_large"):
    """The call's record would exceed the state store's item limit (DynamoDB's 400 KB);
    nothing was stored. A 500: Kazoo runs the pivot node's fallback."""

    summary = "the call's state is too large to store"


class InternalSignal(PivotkitError):
    """Raised by one part of the kit for another to handle (docs/errors.md, the paragraph
    after the table); the engine never answers with one. Its status is what an escaped one
    would become: still a non-200, so Kazoo runs its fallback."""


class WriteConflict(InternalSignal, status=409, code="state_conflict"):
    """A state store's conditional write lost: the record changed (or appeared) since it was
    read. The engine re-reads and tries again within its time budget."""


class SecretUnavailable(ServerError, status=503, code="secret_unavailable"):
    """A secret the customer declared (``Customer(secrets=...)``) and a step read
    (``call.secrets[name]``) could not be had: not set, or its store unreadable. A 503, so
    Kazoo runs the pivot node's fallback; the log line names the customer and the secret,
    never a value."""

    summary = "a secret of this customer is unavailable"


class SecretMissing(InternalSignal, status=503, code="secret_missing"):
    """A ``SecretSource`` could not supply a declared secret. Its message says why in names
    only (the variable, the file, the secret's id): ``call.secrets`` logs it and raises
    ``SecretUnavailable`` instead, so it never reaches Kazoo."""


class OutboundError(ServerError, status=502, code="outbound_failed"):
    """A step's outbound HTTP call (``call.http``, ``pivotkit.outbound``) failed; ``kind`` says
    how: ``timeout`` (no answer in time), ``refused`` (no connection: refused, reset, name
    unknown, TLS), ``status`` (a non-2xx answer, in ``status``), ``bad_json`` (an answer that
    is not JSON) or ``budget`` (too little of the request's time left to try). ``url`` has
    no user info and no query (where API keys sit). A step catches it to say something of
    its own; uncaught, a 502 and Kazoo runs the pivot node's fallback."""

    summary = "a service the step called did not answer usably"
    KINDS = frozenset({"timeout", "refused", "status", "bad_json", "budget"})

    def __init__(
        self, kind: str, detail: str, *, method: str, url: str, status: int | None = None
    ) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown outbound failure kind {kind!r}")
        from pivotkit.redaction import public_url  # what a log may show of a URL

        self.kind = kind
        self.method = method
        self.url = public_url(url)
        self.status_code = status
        super().__init__(f"{method} {self.url}: {kind}: {detail}")
