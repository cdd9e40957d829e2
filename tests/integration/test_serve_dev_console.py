"""The real ``pivotkit serve`` offers the dev console on loopback, and drops it on request."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.integration.serve_support import ServeProcess, write_test_customer


@pytest.fixture(scope="module")
def customers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_test_customer(tmp_path_factory.mktemp("customers"))


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_serve_on_loopback_serves_the_dev_phone_and_says_where(
    tmp_path: Path, customers_dir: Path
) -> None:
    with ServeProcess(tmp_path, customers_dir, "--memory") as process:
        assert f"dev phone: {process.url}/dev/" in process.output()
        assert status_of(f"{process.url}/dev/") == 200
        with urllib.request.urlopen(f"{process.url}/dev/api/customers", timeout=10) as answer:
            slugs = [c["slug"] for c in json.load(answer)["customers"]]
        assert "simtest" in slugs and "acme" in slugs


def test_no_dev_console_leaves_kazoos_routes_alone(tmp_path: Path, customers_dir: Path) -> None:
    with ServeProcess(tmp_path, customers_dir, "--memory", "--no-dev-console") as process:
        assert "dev phone" not in process.output()
        assert status_of(f"{process.url}/dev/") == 404
