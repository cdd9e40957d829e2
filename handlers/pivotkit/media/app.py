"""The media endpoint: one HTTP request in, one HTTP answer out, nothing acknowledged lost.

    route -> authenticate -> (PUT/POST) unpack -> store -> verify -> defer hook -> 201
                          -> (GET) fetch -> 200 with the bytes (or 302 to S3 when too large)

A 2xx is sent only after the store confirmed the write and the checksum it reports equals the
one computed here; any failure on the way is a non-2xx, which Kazoo retries (4.3 and master
retry a failed recording upload after 1-10 minutes, ``storage_retry_times`` times). The
customer's ``on_media_stored`` hook does not run here: the stored object's key and metadata
are handed to a ``Deferrer`` (``pivotkit.deferred``; deployed, an asynchronous invocation of
the customer's own function, retried twice and then dead-lettered), so the hook runs after
Kazoo has its 2xx and can never change the answer nor delay it.

Statuses Kazoo acts on (verified in docs/media.md): uploads accept any 2xx
(``kz_att_http:send_request``; FreeSWITCH's ``http_put`` for ``record_caller`` accepts
200/201/202/204), a storage-plan read accepts exactly 200 and follows 301/302 redirects.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pivotkit.customers import Customer, TokenSource, check_token
from pivotkit.errors import (
    BadRequest,
    MediaUnavailable,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PivotkitError,
    ServerError,
)
from pivotkit.http import (
    HttpRequest,
    HttpResponse,
    error_response,
    event_route,
    json_response,
    path_customer,
)
from pivotkit.media.limits import MAX_MEDIA_BYTES, too_large_message
from pivotkit.media.metadata import object_metadata
from pivotkit.media.multipart import is_multipart, kazoo_upload
from pivotkit.media.paths import MEDIA_ROOT, MediaKind, MediaTarget, parse_media_request
from pivotkit.media.redaction import loggable_path, printable
from pivotkit.media.store import MediaObject, MediaStore, StoredObject, content_type_for
from pivotkit.observers import notify

if TYPE_CHECKING:
    from pivotkit.deferred import Deferrer

logger = logging.getLogger("pivotkit.media")

# Writes one upload's ``media`` entry into its call's journal (``CallJournal.media``).
MediaJournal = Callable[..., None]

ALLOWED_METHODS = ("GET", "POST", "PUT")
# HTTP methods are short tokens; anything longer is the caller's noise, kept out of logs.
MAX_LOGGED_METHOD_CHARS = 16
# How long a redirect to S3 for an object too large to return inline stays valid.
PRESIGNED_URL_SECONDS = 300


@dataclass(frozen=True, slots=True)
class StoredMedia:
    """What a customer's ``on_media_stored`` hook receives about a stored file."""

    customer: str
    kind: MediaKind  # recording (record_call), caller (record_caller) or storage (plan)
    key: str  # the object key in the media store (S3)
    account_id: str
    name: str  # the file name Kazoo gave it
    content_type: str
    size: int
    sha256: str  # base64 SHA-256, as S3 reports ChecksumSHA256
    call_id: str | None = None
    owner_id: str | None = None
    doc_id: str | None = None
    # Kazoo's query fields of a recording (from, to, caller_id_number, duration_ms, ...).
    fields: Mapping[str, str] = field(default_factory=dict)
    # The document Kazoo sent with a multipart storage upload (voicemail: name, metadata...).
    document: Mapping[str, Any] | None = None
    # Where ``read`` gets the bytes: the function's media store (the hook runs in another
    # invocation than the upload, so the bytes are not carried along).
    loader: Callable[[], MediaStore] | None = field(default=None, repr=False, compare=False)

    def read(self) -> bytes:
        """The stored bytes, read back from the media store."""
        if self.loader is None:
            raise RuntimeError("no media store to read this object from")
        fetched = self.loader().fetch(self.key, max_bytes=self.size)
        if fetched is None or fetched.body is None:
            raise MediaUnavailable(f"stored object {self.key} could not be read back")
        return fetched.body


@dataclass(frozen=True, slots=True)
class MediaOutcome:
    """What happened to one media request; handed to observers (the log line, metrics)."""

    method: str  # printable, at most MAX_LOGGED_METHOD_CHARS
    # The request without its token: a served customer's object key (which holds none),
    # else the path masked (it may not have parsed, and a "customer" we do not serve may be
    # the token itself, ``/media/{token}/...``, which the key would then start with).
    name: str
    status: int
    duration_ms: float
    customer: str | None = None  # the customer the path names, if this app serves it
    call_id: str | None = None
    error: str | None = None
    stored_bytes: int | None = None  # the size of what a 201 stored


MediaObserver = Callable[[MediaOutcome], None]
# Called as a request starts with the customer its path names ("" when none): logs tag
# every later line of the request with it.
MediaRequestHook = Callable[[str], None]


def log_media(outcome: MediaOutcome) -> None:
    """One line per media request: every ``MediaApp`` reports to it."""
    extra: dict[str, object] = {
        "status": outcome.status,
        "duration_ms": round(outcome.duration_ms, 1),
    }
    if outcome.error is not None:
        extra["error"] = outcome.error
    if outcome.customer is not None:
        extra["customer"] = outcome.customer
    if outcome.call_id is not None:
        extra["call_id"] = outcome.call_id
    logger.info("media %s %s -> %d", outcome.method, outcome.name, outcome.status, extra=extra)


@dataclass(frozen=True)
class MediaLimits:
    max_upload_bytes: int = MAX_MEDIA_BYTES
    max_inline_bytes: int = MAX_MEDIA_BYTES
    presigned_url_seconds: int = PRESIGNED_URL_SECONDS


class MediaApp:
    def __init__(
        self,
        customers: Mapping[str, Customer],
        store: MediaStore,
        tokens: TokenSource,
        *,
        limits: MediaLimits | None = None,
        clock: Callable[[], float] = time.time,
        deferrer: Deferrer | None = None,
        observers: tuple[MediaObserver, ...] = (log_media,),
        on_request: MediaRequestHook | None = None,
        journal: MediaJournal | None = None,
    ) -> None:
        """``deferrer`` runs ``on_media_stored`` hooks after the answer; without one, a
        ``DeferredWork`` on a background thread (local serving)."""
        self.customers = dict(customers)
        self.store = store
        self.tokens = tokens
        self.limits = limits or MediaLimits()
        self.clock = clock
        self._deferrer = deferrer
        self.observers = observers
        self.on_request = on_request
        # Each upload of a served customer becomes a ``media`` entry of its call.
        self.journal = journal

    def handle(self, http: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        named = self._announce(http.path)
        target: MediaTarget | None = None
        error: PivotkitError | None = None
        written: _Written | None = None
        try:
            if http.method not in ALLOWED_METHODS:
                raise MethodNotAllowed("media URLs take PUT, POST and GET")
            target = parse_media_request(http.path, http.raw_query, now=self.clock())
            customer = self._authenticate(target)
            if http.method == "GET":
                response = self._read(target)
            else:
                written = _Written()
                response = self._write(customer, target, http, written)
        except PivotkitError as refused:
            error = refused
        except Exception:  # a bug must still reach Kazoo as a non-2xx, so it retries
            logger.exception("unhandled error on a media request")
            error = ServerError("internal error")
        if error is not None:
            response = error_response(error)
        if response.status == 405:
            response = _with_header(response, "Allow", ", ".join(ALLOWED_METHODS))
        served = target if target is not None and target.customer in self.customers else None
        notify(
            self.observers,
            MediaOutcome(
                method=printable(http.method, MAX_LOGGED_METHOD_CHARS),
                name=served.key if served else loggable_path(http.path, self.customers),
                status=response.status,
                duration_ms=(time.perf_counter() - started) * 1000,
                customer=named,
                call_id=served.call_id if served else None,
                error=None if error is None else error.code,
                stored_bytes=written.size
                if written is not None and response.status == 201
                else None,
            ),
        )
        if self.journal is not None and http.method != "GET":
            self._journal(http, target, response, error, started, written)
        return response

    def _journal(
        self,
        http: HttpRequest,
        target: MediaTarget | None,
        response: HttpResponse,
        error: PivotkitError | None,
        started: float,
        written: _Written | None,
    ) -> None:
        """The upload's ``media`` entry, for a customer we serve (a path that did not
        resolve to one names no call); never the body, never the token."""
        customer = self.customers.get(target.customer) if target is not None else None
        if self.journal is None or target is None or customer is None:
            return
        call_id = target.call_id or (written.call_id if written is not None else None)
        try:
            self.journal(
                customer,
                call_id=call_id,
                account_id=target.account_id,
                media_kind=target.kind.value,
                method=printable(http.method, MAX_LOGGED_METHOD_CHARS),
                key=target.key,
                status=response.status,
                error=error.code if error is not None else None,
                duration_ms=(time.perf_counter() - started) * 1000,
                size=written.size if written is not None and written.size else len(http.body),
                content_type=content_type_for(target.name),
            )
        except Exception:  # the journal never changes what Kazoo is answered
            logger.exception("call journal media entry failed")

    def refuse(self, event: object, error: PivotkitError, started: float) -> HttpResponse:
        """The answer to an event refused before it became an ``HttpRequest`` (not HTTP, too
        large), reported like any media request, its path masked as for one that did not
        resolve. Too large: the 413 that explains the limit and what to do about it."""
        method, path = event_route(event)
        named = self._announce(path)
        if isinstance(error, PayloadTooLarge):
            error = PayloadTooLarge(too_large_message())
        response = error_response(error)
        notify(
            self.observers,
            MediaOutcome(
                method=printable(method, MAX_LOGGED_METHOD_CHARS),
                name=loggable_path(path, self.customers),
                status=response.status,
                duration_ms=(time.perf_counter() - started) * 1000,
                customer=named,
                error=error.code,
            ),
        )
        return response

    def _announce(self, path: str) -> str | None:
        """Tell ``on_request`` the customer the path names; return it if this app serves it."""
        slug = path_customer(path, MEDIA_ROOT) or ""
        if self.on_request is not None:
            notify((self.on_request,), slug)
        return slug if slug in self.customers else None

    def _authenticate(self, target: MediaTarget) -> Customer:
        customer = self.customers.get(target.customer)
        if customer is None:
            raise NotFound("no such media endpoint")
        check_token(self.tokens, customer.slug, target.token)
        customer.check_account(target.account_id)
        return customer

    # -- PUT / POST -----------------------------------------------------------------------

    def _write(
        self, customer: Customer, target: MediaTarget, http: HttpRequest, written: _Written
    ) -> HttpResponse:
        """The 201; ``written`` learns the size and the call on the way (even on failure)."""
        if not http.body:
            raise BadRequest("empty body: there is no media to store")
        if len(http.body) > self.limits.max_upload_bytes:
            raise PayloadTooLarge(too_large_message(len(http.body)))
        document = None
        data = http.body
        if is_multipart(http.header("content-type")):
            upload = kazoo_upload(data, http.header("content-type"), target.name)
            data, document = upload.data, upload.document
            written.call_id = _document_call_id(document)
            if not data:
                raise BadRequest("empty attachment: there is no media to store")
        obj = MediaObject(
            key=target.key,
            body=data,
            content_type=content_type_for(target.name),
            metadata=object_metadata(target, document),
        )
        written.size = obj.size
        confirmation = self.store.put(obj)
        _verify(obj, confirmation)
        stored = StoredMedia(
            customer=customer.slug,
            kind=target.kind,
            key=target.key,
            account_id=target.account_id,
            name=target.name,
            content_type=obj.content_type,
            size=obj.size,
            sha256=obj.sha256,
            call_id=target.call_id,
            owner_id=target.owner_id,
            doc_id=target.doc_id,
            fields=target.fields,
            document=document,
        )
        if customer.on_media_stored is not None:
            self._defer_hook(stored)
        answer = {"stored": target.key, "bytes": obj.size, "sha256": obj.sha256}
        return json_response(201, answer)

    def _defer_hook(self, stored: StoredMedia) -> None:
        """Hand the hook to the deferrer. The object is stored and checked whatever happens
        here, so a failure is logged (with the key, to run the hook again) and the answer
        stays a 2xx: a retried upload would only store the same bytes again."""
        try:
            self.deferrer.defer(media_event(stored))
        except Exception:
            logger.exception(
                "on_media_stored hook of %s not dispatched for %s",
                stored.customer,
                stored.key,
                extra={"customer": stored.customer, "call_id": stored.call_id},
            )

    @property
    def deferrer(self) -> Deferrer:
        if self._deferrer is None:
            from pivotkit.deferred import ThreadDeferrer

            customers, store = self.customers, self.store
            self._deferrer = ThreadDeferrer(
                lambda event: run_media_hook(customers, event, lambda: store)
            )
        return self._deferrer

    # -- GET ------------------------------------------------------------------------------

    def _read(self, target: MediaTarget) -> HttpResponse:
        fetched = self.store.fetch(target.key, max_bytes=self.limits.max_inline_bytes)
        if fetched is None:
            raise NotFound("no such media object")
        if fetched.body is None:
            url = self.store.presigned_url(target.key, expires_in=self.limits.presigned_url_seconds)
            if url is None:
                raise PayloadTooLarge(too_large_message(fetched.info.size))
            # Kazoo's storage read follows 301/302 (kz_att_http:fetch_attachment).
            return HttpResponse(302, b"", {"Location": url, "Cache-Control": "no-store"})
        return HttpResponse(
            200,
            fetched.body,
            {"Content-Type": _response_type(fetched.info.content_type, fetched.body)},
        )


# -- the hook's event, and running it -------------------------------------------------------

# What the hook's event carries of a ``StoredMedia``: all but how to read the bytes.
_MEDIA_FIELDS = (
    "kind",
    "key",
    "account_id",
    "name",
    "content_type",
    "size",
    "sha256",
    "call_id",
    "owner_id",
    "doc_id",
    "fields",
    "document",
)


def media_event(stored: StoredMedia) -> dict[str, Any]:
    """The hook's deferred event: the stored object's key and metadata, never its bytes (an
    asynchronous invocation carries at most 256 KB, and the hook reads them from the store)."""
    from pivotkit.deferred import MEDIA_STORED, deferred_event

    media = {name: getattr(stored, name) for name in _MEDIA_FIELDS}
    media["kind"] = stored.kind.value
    media["fields"] = dict(stored.fields)
    media["document"] = None if stored.document is None else dict(stored.document)
    return deferred_event(MEDIA_STORED, stored.customer, "media", media)


def run_media_hook(
    customers: Mapping[str, Customer],
    event: Mapping[str, Any],
    loader: Callable[[], MediaStore] | None,
) -> None:
    """Run the ``on_media_stored`` hook a ``media_event`` names. A hook that raises raises
    ``DeferredFailed`` (deployed, Lambda retries it twice, then dead-letters the event); the
    stored object is never touched."""
    from pivotkit.deferred import MEDIA_STORED, DeferredFailed, is_deferred_event

    if not is_deferred_event(event) or event["kind"] != MEDIA_STORED:
        raise ValueError("not a pivotkit media_stored event")
    customer = customers.get(str(event.get("customer")))
    if customer is None:
        raise ValueError("a media_stored event for a customer this function does not serve")
    hook = customer.on_media_stored
    if hook is None:
        return
    media = {name: event["media"][name] for name in _MEDIA_FIELDS}
    stored = StoredMedia(
        customer=customer.slug, **{**media, "kind": MediaKind(media["kind"])}, loader=loader
    )
    try:
        hook(stored)
    except Exception as exc:
        logger.exception(
            "on_media_stored hook of %s failed for %s",
            customer.slug,
            stored.key,
            extra={"customer": customer.slug, "call_id": stored.call_id},
        )
        raise DeferredFailed(f"on_media_stored failed for {stored.key}") from exc


def _verify(obj: MediaObject, confirmation: StoredObject) -> None:
    """The write counts only if the store reports exactly the bytes we computed a digest of."""
    if confirmation.key != obj.key or confirmation.size != obj.size:
        raise MediaUnavailable("media store confirmed a different object; not acknowledged")
    if confirmation.sha256 is None:
        raise MediaUnavailable("media store reported no checksum; not acknowledged")
    if confirmation.sha256 != obj.sha256:
        logger.error("checksum mismatch on %s: sent %s", obj.key, obj.sha256)
        raise MediaUnavailable("media store checksum does not match; not acknowledged")


def _response_type(content_type: str, body: bytes) -> str:
    """Text is returned as text only when it is UTF-8 (the proxy result carries it as a
    string); anything else goes out base64-encoded as binary."""
    if content_type.startswith(("text/", "application/json")):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return "application/octet-stream"
    return content_type


def _with_header(response: HttpResponse, name: str, value: str) -> HttpResponse:
    return HttpResponse(response.status, response.body, {**response.headers, name: value})


@dataclass
class _Written:
    """What an upload learned on its way, for its journal entry (even when it failed)."""

    size: int | None = None
    call_id: str | None = None


def _document_call_id(document: Mapping[str, Any] | None) -> str | None:
    """The call a storage upload belongs to: Kazoo's voicemail document names it in its
    ``metadata`` (or at the top level); a fax or other document may not."""
    if document is None:
        return None
    nested = document.get("metadata")
    for source in (nested if isinstance(nested, Mapping) else {}, document):
        value = source.get("call_id")
        if isinstance(value, str) and value:
            return value
    return None
