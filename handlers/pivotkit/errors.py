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

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def public_message(self) -> str:
        """What an error body may say: the fixed ``summary`` unless the class knows its
        messages hold no request input."""
        return self.summary


class ClientError(PivotkitError):
    """The request was wrong; answered with a 4xx and nothing stored."""

    status = 400
    code = "bad_request"

    @property
    def public_message(self) -> str:
        # Client errors are raised with the kit's own text (names, limits), never input.
        return self.message


class BadRequest(ClientError):
    """Malformed input: encoding, shape, path tricks."""


class NotAPivotRequest(BadRequest):
    """Well-formed HTTP, but not what Kazoo's Pivot sends (e.g. no Call-ID)."""

    code = "not_a_pivot_request"


class NotACallEvent(BadRequest):
    """Well-formed HTTP on a webhook route, but not a call event Kazoo's webhooks app sends
    (no channel ``hook_event``, no ``call_id`` or ``account_id``, a field of the wrong shape)."""

    code = "not_a_call_event"


class Unauthorized(ClientError):
    """Missing or wrong customer token."""

    status = 401
    code = "unauthorized"


class Forbidden(ClientError):
    """Authenticated, but not allowed (e.g. a Kazoo account outside the customer's list)."""

    status = 403
    code = "forbidden"


class BadContinuation(ClientError):
    """A continuation URL without a valid signature for this call (see
    ``pivotkit.continuation``): forged, edited, or made for another call."""

    status = 403
    code = "bad_continuation"


class NotFound(ClientError):
    """Unknown customer, step or media object."""

    status = 404
    code = "not_found"


class MethodNotAllowed(ClientError):
    status = 405
    code = "method_not_allowed"


class StaleContinuation(ClientError):
    """A continuation URL for a step the call has already moved past."""

    status = 409
    code = "stale_continuation"


class CallStateExpired(ClientError):
    """A continuation for a call whose state has expired or never existed."""

    status = 410
    code = "call_state_expired"


class PayloadTooLarge(ClientError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ClientError):
    status = 415
    code = "unsupported_media_type"


class ServerError(PivotkitError):
    """We could not produce a valid answer; Kazoo runs its fallback."""

    status = 500
    code = "internal_error"
    summary = "could not answer with a valid callflow"


class CallflowError(ServerError, ValueError):
    """A callflow that Kazoo would reject or misread (raised while building or rendering)."""

    code = "invalid_callflow"
    summary = "the step built a callflow Kazoo would refuse"


class StepError(ServerError):
    """A customer's step raised or returned something that is not a callflow."""

    code = "step_failed"
    summary = "the step failed"


class StateNotJSONSafe(StepError):
    """A step put something in the call's state that cannot be stored as JSON."""

    code = "state_not_json_safe"


class StepTimedOut(ServerError):
    """A customer's step did not return within its time limit (or no time was left for it);
    nothing was saved."""

    status = 503
    code = "step_timed_out"


class StateUnavailable(ServerError):
    """The state store could not be read or written within the time budget."""

    status = 503
    code = "state_unavailable"
    summary = "call state is unavailable"


class MediaUnavailable(ServerError):
    """The media store did not confirm a write or read."""

    status = 503
    code = "media_unavailable"
    summary = "media storage is unavailable"


class TokensUnavailable(ServerError):
    """A customer's tokens could not be read (or make no sense); Kazoo gets a 503."""

    status = 503
    code = "tokens_unavailable"


class SharedStoreError(ServerError):
    """The customer's shared store (``call.shared``) could not be read or written in time.
    A step may catch it; uncaught, a 503 and Kazoo runs the pivot node's fallback."""

    status = 503
    code = "shared_store_unavailable"
    summary = "shared state is unavailable"


class SharedConflict(SharedStoreError):
    """A conditional write to a shared item found another version than the one read (or a
    line kept changing under concurrent writers past its budget): read again and retry."""

    code = "shared_conflict"
    summary = "shared state changed concurrently"


class StateTooLarge(ServerError):
    """The call's record would exceed the state store's item limit (DynamoDB's 400 KB);
    nothing was stored. A 500: Kazoo runs the pivot node's fallback."""

    status = 500
    code = "state_too_large"
    summary = "the call's state is too large to store"


class InternalSignal(PivotkitError):
    """Raised by one part of the kit for another to handle (docs/errors.md, the paragraph
    after the table); the engine never answers with one. Its status is what an escaped one
    would become: still a non-200, so Kazoo runs its fallback."""


class WriteConflict(InternalSignal):
    """A state store's conditional write lost: the record changed (or appeared) since it was
    read. The engine re-reads and tries again within its time budget."""

    status = 409
    code = "state_conflict"


class SecretUnavailable(ServerError):
    """A secret the customer declared (``Customer(secrets=...)``) and a step read
    (``call.secrets[name]``) could not be had: not set, or its store unreadable. A 503, so
    Kazoo runs the pivot node's fallback; the log line names the customer and the secret,
    never a value."""

    status = 503
    code = "secret_unavailable"
    summary = "a secret of this customer is unavailable"


class SecretMissing(InternalSignal):
    """A ``SecretSource`` could not supply a declared secret. Its message says why in names
    only (the variable, the file, the secret's id): ``call.secrets`` logs it and raises
    ``SecretUnavailable`` instead, so it never reaches Kazoo."""

    status = 503
    code = "secret_missing"


class OutboundError(ServerError):
    """A step's outbound HTTP call (``call.http``, ``pivotkit.outbound``) failed; ``kind`` says
    how: ``timeout`` (no answer in time), ``refused`` (no connection: refused, reset, name
    unknown, TLS), ``status`` (a non-2xx answer, in ``status``), ``bad_json`` (an answer that
    is not JSON) or ``budget`` (too little of the request's time left to try). ``url`` has
    no user info and no query (where API keys sit). A step catches it to say something of
    its own; uncaught, a 502 and Kazoo runs the pivot node's fallback."""

    status = 502
    code = "outbound_failed"
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
