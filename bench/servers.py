"""Servers and load processes for the HTTP sections, each its own process as in production
(`pivotkit serve`, the fixed-JSON baseline, the load generators)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIVOTKIT = str(ROOT / ".venv" / "bin" / "pivotkit")
PIVOT_PATH = "/pivot/acme?token=local-acme"  # `pivotkit serve`'s local token for acme

SERVE_MEMORY = [PIVOTKIT, "serve", "--port", "0", "--customer", "acme", "--memory"]
SERVE_EMBEDDED_AWS = [PIVOTKIT, "serve", "--port", "0", "--customer", "acme"]
FIXED_BASELINE = [sys.executable, "-m", "bench.fixed_server"]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "handlers"), str(ROOT)])}


@contextlib.contextmanager
def running(command: list[str]) -> Iterator[str]:
    """Start ``command`` with a ready file (pivotkit serve's --ready-file or the baseline's
    argument), yield its base URL once it is listening, stop it afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready"
        flag = ["--ready-file"] if command[0] == PIVOTKIT else []
        process = subprocess.Popen(
            [*command, *flag, str(ready)],
            cwd=ROOT,
            env=environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            yield _wait_ready(process, ready, command)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_ready(process: subprocess.Popen[bytes], ready: Path, command: list[str]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if ready.is_file() and (url := ready.read_text(encoding="utf-8").strip()):
            return url.rstrip("/")
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"{command} did not become ready")
