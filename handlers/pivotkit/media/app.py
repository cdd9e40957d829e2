"""The media endpoint: one HTTP request in, one HTTP answer out, nothing acknowledged lost.

    route -> authenticate -> (PUT/POST) unpack -> store -> verify -> hook -> 201
                          -> (GET) fetch -> 200 with the bytes (or 302 to S3 when too large)

A 2xx is sent only after the store confirmed the write and the checksum it reports equals the
one computed here; any failure on the way is a non-2xx, which Kazoo retries (4.3 and master
retry a failed recording upload after 1-10 minutes, ``storage_retry_times`` times). The
customer's ``on_media_stored`` hook runs after that and can never change the answer.

Statuses Kazoo acts on (verified in docs/media.md): uploads accept any 2xx
(``kz_att_http:send_request``; FreeSWITCH's ``http_put`` for ``record_caller`` accepts
200/201/202/204), a storage-plan read accepts exactly 200 and follows 301/302 redirects.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pivotkit.customers import Customer, TokenSource, token_matches
from pivotkit.errors import (
    BadRequest,
    Forbidden,
    MediaUnavailable,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PivotkitError,
    ServerError,
    Unauthorized,
)
from pivotkit.http import HttpRequest, HttpResponse, error_response, json_response
from pivotkit.media.limits import MAX_MEDIA_BYTES, too_large_message
from pivotkit.media.metadata import object_metadata
from pivotkit.media.multipart import is_multipart, kazoo_upload
from pivotkit.media.paths import MediaKind, MediaTarget, parse_media_request
from pivotkit.media.redaction import loggable_path, printable
from pivotkit.media.store import MediaObject, MediaStore, StoredObject, content_type_for

logger = logging.getLogger("pivotkit.media")

# Writes an upload's ``media`` entry into the call journal: ``CallJournal.media`` (not
# imported: the journal names the engine's types, which sit above the media facts).
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
    body: bytes = field(repr=False)
    call_id: str | None = None
    owner_id: str | None = None
    doc_id: str | None = None
    # Kazoo's query fields of a recording (from, to, caller_id_number, duration_ms, ...).
    fields: Mapping[str, str] = field(default_factory=dict)
    # The document Kazoo sent with a multipart storage upload (voicemail: name, metadata...).
    document: Mapping[str, Any] | None = None


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
        journal: MediaJournal | None = None,
    ) -> None:
        self.customers = dict(customers)
        self.store = store
        self.tokens = tokens
        self.limits = limits or MediaLimits()
        self.clock = clock
        # Each upload of a served customer becomes a ``media`` entry of its call.
        self.journal = journal

    def handle(self, http: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
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
        self._log(http, target, response, error, started)
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

    def _log(
        self,
        http: HttpRequest,
        target: MediaTarget | None,
        response: HttpResponse,
        error: PivotkitError | None,
        started: float,
    ) -> None:
        """One line per request, naming it without its token. A request for a customer we
        serve is named by its object key, which holds none. Any other request is named by its
        path, masked: it may not have parsed, and a "customer" we do not serve may be the
        token itself (``/media/{token}/...``), which the key would then start with."""
        served = target is not None and target.customer in self.customers
        extra: dict[str, object] = {
            "status": response.status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if error is not None:
            extra["error"] = error.code
        if target is not None and served:
            extra["customer"], extra["call_id"] = target.customer, target.call_id
        logger.info(
            "media %s %s -> %d",
            printable(http.method, MAX_LOGGED_METHOD_CHARS),
            target.key
            if target is not None and served
            else loggable_path(http.path, self.customers),
            response.status,
            extra=extra,
        )

    def _authenticate(self, target: MediaTarget) -> Customer:
        customer = self.customers.get(target.customer)
        if customer is None:
            raise NotFound("no such media endpoint")
        valid = self.tokens.tokens_for(customer.slug)
        if not valid or not token_matches(target.token, valid):
            raise Unauthorized("missing or wrong token")
        if not customer.allows_account(target.account_id):
            raise Forbidden("this Kazoo account may not use this endpoint")
        return customer

    # -- PUT / POST -----------------------------------------------------------------------

    def _write(
        self, customer: Customer, target: MediaTarget, http: HttpRequest, written: _Written
    ) -> HttpResponse:
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
            body=data,
            call_id=target.call_id,
            owner_id=target.owner_id,
            doc_id=target.doc_id,
            fields=target.fields,
            document=document,
        )
        _run_hook(customer, stored)
        return json_response(201, {"stored": target.key, "bytes": obj.size, "sha256": obj.sha256})

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


def _verify(obj: MediaObject, confirmation: StoredObject) -> None:
    """The write counts only if the store reports exactly the bytes we computed a digest of."""
    if confirmation.key != obj.key or confirmation.size != obj.size:
        raise MediaUnavailable("media store confirmed a different object; not acknowledged")
    if confirmation.sha256 is None:
        raise MediaUnavailable("media store reported no checksum; not acknowledged")
    if confirmation.sha256 != obj.sha256:
        logger.error("checksum mismatch on %s: sent %s", obj.key, obj.sha256)
        raise MediaUnavailable("media store checksum does not match; not acknowledged")


def _run_hook(customer: Customer, stored: StoredMedia) -> None:
    hook = customer.on_media_stored
    if hook is None:
        return
    try:
        hook(stored)
    except Exception:  # the object is stored; a hook failure must not make Kazoo re-send it
        logger.exception(
            "on_media_stored hook of %s failed for %s",
            customer.slug,
            stored.key,
            extra={"customer": customer.slug, "call_id": stored.call_id},
        )


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
