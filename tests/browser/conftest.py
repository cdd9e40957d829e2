"""Headless Chromium (Debian's package) driven by Playwright, against the dev console.

Playwright never downloads a browser here: it launches the system Chromium
(``$PIVOTKIT_CHROMIUM``, default /usr/bin/chromium, which ``make browser`` installs) with a
fresh profile and no network features. Without Chromium or Playwright these tests skip.
The server is serve's own wiring (``dev_console`` in front of the gateway, ``LocalServer``)
on the in-memory backend, in a thread.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pivotkit.local.devphone.console import DevConsole
from pivotkit.local.devphone.mount import dev_console
from pivotkit.local.runtime import local_runtime
from pivotkit.local.server import LocalServer

CHROMIUM = Path(os.environ.get("PIVOTKIT_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def sync_api() -> Any:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (make browser installs it)")
    return pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def console() -> Iterator[DevConsole]:
    with local_runtime("memory") as runtime:
        front = dev_console(runtime)
        server = LocalServer(front, "127.0.0.1", 0)
        front.base_url = server.url
        server.start_in_thread()
        try:
            yield front
        finally:
            server.shutdown()
            server.server_close()


@pytest.fixture
def page(sync_api: Any, tmp_path: Path) -> Iterator[Any]:
    """A page in a fresh Chromium profile at 1280x800."""
    profile = tmp_path / "chromium-profile"
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=DESKTOP,
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
