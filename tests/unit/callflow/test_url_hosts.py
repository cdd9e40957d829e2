"""URLs Kazoo refuses: its client blacklist (localhost, 127.0.0.1, 0.0.0.0) and userinfo,
in every URL field the builder writes (pivot, record_call, record_caller, webhook)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import pivotkit.callflow as cf
from pivotkit.callflow.loopback import allow_loopback_urls, loopback_urls_allowed
from pivotkit.errors import CallflowError

FIELDS: list[tuple[str, Callable[[str], object]]] = [
    ("pivot.voice_url", cf.pivot),
    ("record_call.url", lambda url: cf.record_call(action="start", url=url)),
    ("record_caller.url", lambda url: cf.record_caller(url=url)),
    ("webhook.uri", cf.webhook),
]
BLACKLISTED = [
    "http://localhost/p",
    "https://LOCALHOST:8443/p",
    "http://LocalHost?x=1",
    "http://127.0.0.1:8080/pivot/acme",
    "http://0.0.0.0#f",
]
ACCEPTED = ["http://127.0.0.2:8080/p", "http://[::1]:8080/p", "https://localhost.example/p"]
USERINFO = ["https://user:pass@example.com/p", "https://user@example.com/p", "http://@h/p"]


@pytest.mark.parametrize(("field", "make"), FIELDS)
@pytest.mark.parametrize("url", BLACKLISTED)
def test_blacklisted_hosts_are_refused(field: str, make: Callable[[str], object], url: str) -> None:
    with pytest.raises(CallflowError, match="invalid client URL"):
        make(url)


@pytest.mark.parametrize(("field", "make"), FIELDS)
@pytest.mark.parametrize("url", USERINFO)
def test_userinfo_is_refused_with_its_reason(
    field: str, make: Callable[[str], object], url: str
) -> None:
    with pytest.raises(CallflowError, match="must not carry user info"):
        make(url)


@pytest.mark.parametrize(("field", "make"), FIELDS)
@pytest.mark.parametrize("url", ACCEPTED)
def test_hosts_kazoo_accepts_pass(field: str, make: Callable[[str], object], url: str) -> None:
    make(url)


def test_local_mode_allows_loopback_only_inside_its_block() -> None:
    assert not loopback_urls_allowed()
    with allow_loopback_urls():
        node = cf.pivot("http://127.0.0.1:8080/pivot/acme")
    assert node.data["voice_url"] == "http://127.0.0.1:8080/pivot/acme"
    assert not loopback_urls_allowed()
    with pytest.raises(CallflowError):
        cf.pivot("http://127.0.0.1:8080/pivot/acme")
