"""No media request writes a token to the log, whatever goes wrong with it.

The token is the third path segment of most media URLs (``/media/{customer}/{token}/...``),
so a line that names a request by its path can leak it. Every failure kind is sent with the
token in the path as Kazoo sends it, percent-encoded, and in the query, and every captured
record (message, arguments, extra fields, traceback) is searched for the token in each form.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from urllib.parse import quote, urlsplit

import pytest

from pivotkit.customers import StaticTokens
from pivotkit.http import HttpRequest
from pivotkit.media.app import MediaApp, MediaLimits
from pivotkit.media.redaction import MASK, loggable_path
from pivotkit.media.store import InMemoryMediaStore, MediaObject, StoredObject
from tests.unit.media.example_customer import SLUG, media_customer
from tests.unit.media.kazoo import ACCOUNT_ID, record_call_url, recording_fields, storage_url

TOKEN = "Kz7-media-Secret-9b41e0"
WRONG_TOKEN = "Kz7-stale-Secret-1c5d77"
# Shaped like a customer slug: with the customer left out of the URL, it parses as one.
SLUG_SHAPED_TOKEN = "kz7mediasecret9b41e0c3d2"
CALL_ID = "7f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8"
DOC = "202405-0f0e0d0c0b0a09080706050403020100"
NOW = 1_716_537_600.0
LIMIT = 1000


def every_encoding(token: str) -> set[str]:
    """The forms a token can take in a URL or a log: raw, percent-encoded as ``quote`` does,
    and every byte escaped (upper- and lower-case hex), all of which the app decodes."""
    escaped = "".join(f"%{byte:02X}" for byte in token.encode())
    return {token, quote(token, safe=""), escaped, escaped.lower()}


FORBIDDEN = set().union(*map(every_encoding, (TOKEN, WRONG_TOKEN, SLUG_SHAPED_TOKEN)))


class ExplodingStore(InMemoryMediaStore):
    """A store with a bug: an unexpected exception rather than MediaUnavailable."""

    def put(self, obj: MediaObject) -> StoredObject:
        raise RuntimeError(f"store exploded on {obj.key}")


def app_with(store: InMemoryMediaStore) -> MediaApp:
    tokens = StaticTokens({SLUG: [TOKEN, SLUG_SHAPED_TOKEN]})
    customers = {SLUG: media_customer()}
    limits = MediaLimits(max_upload_bytes=LIMIT)
    return MediaApp(customers, store, tokens, limits=limits, clock=lambda: NOW)


def failing_store() -> InMemoryMediaStore:
    store = InMemoryMediaStore()
    store.fail_writes = True
    return store


PathUrl = Callable[[str], str]  # token as it appears in the path -> request URL


def vm(name: str = "message.wav") -> PathUrl:
    return lambda token: storage_url(f"https://m.example.com/media/{SLUG}/{token}", DOC, name)


def under(token_path: str) -> PathUrl:
    return lambda token: f"https://m.example.com/media/{SLUG}/{token}/{token_path}"


MULTIPART = "multipart/form-data; boundary=zz"

# name: (method, url with the token in the path, body, content type, store, status)
PATH_FORM_FAILURES: dict[str, tuple[str, PathUrl, bytes, str, Callable[[], object], int]] = {
    "unrecognised path": ("PUT", under("a/b/c/d/e/f/g.wav"), b"x", "", InMemoryMediaStore, 400),
    "trailing slash": ("PUT", under(f"{ACCOUNT_ID}/"), b"x", "", InMemoryMediaStore, 400),
    "control character": ("PUT", under("callers/x%0A.mp3"), b"x", "", InMemoryMediaStore, 400),
    "traversal": ("PUT", under(f"{ACCOUNT_ID}/../doc/x.wav"), b"x", "", InMemoryMediaStore, 400),
    "encoded traversal": ("PUT", under("%2e%2e/%2e%2e/x.wav"), b"x", "", InMemoryMediaStore, 400),
    "encoded slash": ("PUT", under(f"{ACCOUNT_ID}/d/a%2Fb.wav"), b"x", "", InMemoryMediaStore, 400),
    "unknown customer": (
        "PUT",
        lambda token: f"https://m.example.com/media/nobody/{token}/callers/x.mp3",
        b"x",
        "",
        InMemoryMediaStore,
        404,
    ),
    "customer left out": (
        "PUT",
        lambda token: f"https://m.example.com/media/{token}/callers/x.mp3",
        b"x",
        "",
        InMemoryMediaStore,
        404,
    ),
    # The token one segment late, after a word where the token belongs (the S3 key's layout
    # mistaken for the URL's): nothing has resolved or checked it, so no function knows it.
    "token after recordings": (
        "PUT",
        lambda token: (
            f"https://m.example.com/media/{SLUG}/recordings/{token}/call_recording_{CALL_ID}.mp3"
        ),
        b"x",
        "",
        InMemoryMediaStore,
        400,
    ),
    "token after storage": (
        "PUT",
        lambda token: f"https://m.example.com/media/{SLUG}/storage/{token}/{ACCOUNT_ID}/d/x.wav",
        b"x",
        "",
        InMemoryMediaStore,
        400,
    ),
    "token after callers": (
        "PUT",
        lambda token: f"https://m.example.com/media/{SLUG}/callers/{token}/{CALL_ID}.mp3",
        b"x",
        "",
        InMemoryMediaStore,
        400,
    ),
    "wrong method": ("DELETE", vm(), b"", "", InMemoryMediaStore, 405),
    "oversized": ("PUT", vm(), b"a" * (LIMIT + 1), "", InMemoryMediaStore, 413),
    "empty body": ("PUT", vm(), b"", "", InMemoryMediaStore, 400),
    "garbage multipart": ("PUT", vm(), b"\x00garbage", MULTIPART, InMemoryMediaStore, 400),
    "storage failure": ("PUT", vm(), b"audio", "audio/wav", failing_store, 503),
    "store bug": ("PUT", vm(), b"audio", "audio/wav", ExplodingStore, 500),
    "read of a missing object": ("GET", vm("never.wav"), b"", "", InMemoryMediaStore, 404),
}


def path_token_forms() -> dict[str, Callable[[str], str]]:
    escaped = "".join(f"%{byte:02X}" for byte in TOKEN.encode())
    return {
        "raw": lambda token: token,
        # Every byte escaped: still the valid token once the app decodes the segment.
        "percent-encoded": lambda token: escaped if token == TOKEN else quote(token, safe=""),
    }


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG):
        yield caplog


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    """Everything a handler could render from the records: the formatted lines with their
    tracebacks, and every attribute (extras included) of every record."""
    assert caplog.records, "the request logged nothing at all"
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.extend(repr(value) for value in vars(record).values())
    return "\n".join(parts)


def assert_no_token(caplog: pytest.LogCaptureFixture) -> None:
    text = logged_text(caplog)
    leaked = sorted(form for form in FORBIDDEN if form in text)
    assert not leaked, f"token logged as {leaked}"


def send(app: MediaApp, method: str, url: str, body: bytes, content_type: str) -> int:
    parts = urlsplit(url)
    headers = {"content-type": content_type} if content_type else {}
    request = HttpRequest(method, parts.path, parts.query, headers, body, "https://m.example.com")
    return app.handle(request).status


@pytest.mark.parametrize("form", path_token_forms().keys())
@pytest.mark.parametrize(
    ("method", "url", "body", "content_type", "store", "status"),
    PATH_FORM_FAILURES.values(),
    ids=PATH_FORM_FAILURES.keys(),
)
def test_no_failure_logs_a_path_token(
    captured: pytest.LogCaptureFixture,
    form: str,
    method: str,
    url: PathUrl,
    body: bytes,
    content_type: str,
    store: Callable[[], InMemoryMediaStore],
    status: int,
) -> None:
    encode = path_token_forms()[form]
    assert send(app_with(store()), method, url(encode(TOKEN)), body, content_type) == status
    assert_no_token(captured)


@pytest.mark.parametrize("form", path_token_forms().keys())
def test_a_wrong_path_token_is_not_logged_either(
    captured: pytest.LogCaptureFixture, form: str
) -> None:
    url = vm()(path_token_forms()[form](WRONG_TOKEN))
    assert send(app_with(InMemoryMediaStore()), "PUT", url, b"audio", "audio/wav") == 401
    assert_no_token(captured)


@pytest.mark.parametrize(
    "url",
    [
        f"https://m.example.com/media/{SLUG_SHAPED_TOKEN}/callers/x.mp3",
        f"https://m.example.com/media/{SLUG_SHAPED_TOKEN}/x/{ACCOUNT_ID}/{DOC}/vm.mp3",
        f"https://m.example.com/media/{SLUG_SHAPED_TOKEN}/x/call_recording_{CALL_ID}.mp3",
    ],
    ids=["record_caller", "storage plan", "record_call"],
)
def test_a_token_in_the_customers_place_is_not_logged(
    captured: pytest.LogCaptureFixture, url: str
) -> None:
    """``/media/{token}/...`` resolves to an object key that starts with the token, for a
    customer nobody serves: such a request is logged by its masked path, not its key."""
    assert send(app_with(InMemoryMediaStore()), "PUT", url, b"audio", "audio/mpeg") == 404
    assert_no_token(captured)


def record_url(token: str, **overrides: str) -> str:
    base = f"https://m.example.com/media/{SLUG}/recordings?token={quote(token, safe='')}"
    return record_call_url(base, CALL_ID, "mp3", recording_fields(CALL_ID, **overrides))


QUERY_FORM_FAILURES: dict[str, tuple[str, str, bytes, Callable[[], object], int]] = {
    "wrong token": ("PUT", record_url(WRONG_TOKEN), b"audio", InMemoryMediaStore, 401),
    "no recording name": (
        "PUT",
        f"https://m.example.com/media/{SLUG}/recordings?token={TOKEN}&from=x",
        b"audio",
        InMemoryMediaStore,
        400,
    ),
    "bad account": ("PUT", record_url(TOKEN, account_id="zz"), b"audio", InMemoryMediaStore, 400),
    "oversized": ("PUT", record_url(TOKEN), b"a" * (LIMIT + 1), InMemoryMediaStore, 413),
    "storage failure": ("PUT", record_url(TOKEN), b"audio", failing_store, 503),
    "store bug": ("PUT", record_url(TOKEN), b"audio", ExplodingStore, 500),
}


@pytest.mark.parametrize(
    ("method", "url", "body", "store", "status"),
    QUERY_FORM_FAILURES.values(),
    ids=QUERY_FORM_FAILURES.keys(),
)
def test_no_failure_logs_a_query_token(
    captured: pytest.LogCaptureFixture,
    method: str,
    url: str,
    body: bytes,
    store: Callable[[], InMemoryMediaStore],
    status: int,
) -> None:
    assert send(app_with(store()), method, url, body, "audio/mpeg") == status
    assert_no_token(captured)


def test_the_masked_path_still_says_what_was_wrong(captured: pytest.LogCaptureFixture) -> None:
    """The line keeps what an operator needs to fix a storage plan: everything but the token."""
    send(app_with(InMemoryMediaStore()), "PUT", under("a/b/c/d/e/f/g.wav")(TOKEN), b"x", "")
    (record,) = [r for r in captured.records if r.name == "pivotkit.media"]
    assert record.getMessage() == f"media PUT /media/{SLUG}/{MASK}/a/b/c/d/e/f/g.wav -> 400"
    assert (vars(record)["status"], vars(record)["error"]) == (400, "bad_request")


CUSTOMERS = frozenset({"acme"})


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/media/acme/T0k3n/callers/x.mp3", "/media/acme/***/callers/x.mp3"),
        ("/media/acme/recordings", "/media/acme/recordings"),
        ("/media/acme//T0k3n/x", "/media/acme//***/x"),  # empty segments do not shift it
        ("//media/acme/T0k3n", "//media/acme/***"),
        ("/media/T0k3n/callers/x.mp3", "/media/***/callers/***"),  # customer left out
        ("/media/stranger/T0k3n/x", "/media/***/***/x"),  # only served customers are named
        ("/pivot/acme/T0k3n", "/***/***/***"),  # not a media path: no shape to trust
        (
            "/media/acme/recordings/T0k3n/call_recording_c1.mp3",
            "/media/acme/recordings/***/call_recording_c1.mp3",
        ),
        ("/media/acme/storage/T0k3n/a/d/x.wav", "/media/acme/storage/***/a/d/x.wav"),
        ("/media/acme/%63allers/T0k3n/c1.mp3", "/media/acme/%63allers/***/c1.mp3"),
        ("/media/acme/recordings/callers/T0k3n", "/media/acme/recordings/callers/***"),
        ("/media/acme/T0k3n/recordings/x", "/media/acme/***/recordings/x"),
        ("/media/acme/x/token=T0k3n", "/media/acme/***/token=***"),
        ("/media/acme/x/u%3Ftoken%3DT0k3n", "/media/acme/***/u%3Ftoken%3D***"),
        ("/media/acme/x/a\nforged line", "/media/acme/***/a\\x0aforged line"),
        ("", ""),
    ],
)
def test_loggable_path_masks_every_place_a_token_can_be(path: str, shown: str) -> None:
    assert loggable_path(path, CUSTOMERS) == shown


def test_loggable_path_is_capped() -> None:
    shown = loggable_path("/media/acme/t/" + "a" * 1000, CUSTOMERS)
    assert len(shown) == 256 and shown.endswith("\N{HORIZONTAL ELLIPSIS}")
