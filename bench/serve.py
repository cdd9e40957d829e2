"""`pivotkit serve` under 20 concurrent simulated calls (in memory and on the embedded AWS),
next to a trivial stdlib server returning a fixed JSON body, measured in the same run.

The load comes from separate processes (bench.loadgen), two of them with ten threads each,
so the client's own interpreter lock is not what gets measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import Row, median, percentile

ROOT = Path(__file__).resolve().parent.parent
PROCESSES, THREADS, CALLS = 2, 10, 6  # 20 concurrent callers, 3 requests per call


def _start(command: list[str], ready: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "handlers"), str(ROOT)])}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if ready.is_file() and ready.read_text(encoding="utf-8").strip():
            return process, ready.read_text(encoding="utf-8").strip()
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{command} did not become ready")


def _load(url: str, mode: str) -> tuple[float, list[float], int]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "handlers"), str(ROOT)])}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.loadgen", url, mode, str(CALLS), str(THREADS)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
        )
        for _ in range(PROCESSES)
    ]
    started = time.perf_counter()
    results = [json.loads(run.communicate()[0]) for run in runs]
    elapsed = time.perf_counter() - started
    latencies = [ms for r in results for ms in r["latencies"]]
    return elapsed, latencies, sum(r["errors"] for r in results)


def _measure(name: str, command: list[str], mode: str, path: str) -> tuple[Row, float]:
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready"
        process, base = _start([*command, str(ready)], ready)
        try:
            url = base.rstrip("/") + path
            _load(url, mode)  # warm up: imports, first connections, table creation
            elapsed, latencies, errors = _load(url, mode)
        finally:
            process.terminate()
            process.wait(timeout=30)
    rps = len(latencies) / elapsed
    note = f"p50 {median(latencies):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms"
    if errors:
        note += f"; {errors} non-200"
    return Row("serve", name, f"{rps:.0f} req/s", note), rps


def run() -> list[Row]:
    pivotkit = [
        str(ROOT / ".venv" / "bin" / "pivotkit"),
        "serve",
        "--port",
        "0",
        "--customer",
        "acme",
        "--ready-file",
    ]
    pivot_path = "/pivot/acme?token=local-acme"
    fixed, fixed_rps = _measure(
        "trivial stdlib server, fixed JSON (baseline)",
        [sys.executable, "-m", "bench.fixed_server"],
        "fixed",
        "/",
    )
    memory, memory_rps = _measure(
        "pivotkit serve --memory, 20 concurrent calls",
        [*pivotkit[:-1], "--memory", "--ready-file"],
        "acme",
        pivot_path,
    )
    aws, aws_rps = _measure(
        "pivotkit serve on the embedded AWS (moto), 20 concurrent calls",
        pivotkit,
        "acme",
        pivot_path,
    )
    return [
        fixed,
        memory,
        Row("serve", "ratio in memory / baseline", f"{memory_rps / fixed_rps:.2f}x"),
        aws,
        Row("serve", "ratio embedded AWS / baseline", f"{aws_rps / fixed_rps:.2f}x"),
    ]
