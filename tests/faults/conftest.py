"""The fault suite's report: for every fault, what Kazoo got, how long it took against the
5 s it waits, and whether acknowledged data survived; printed after the run."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from tests.contract.moto_support import aws_env

__all__ = ["aws_env"]

# Kazoo's req_timeout_ms ceiling: an answer later than this is no answer.
KAZOO_BUDGET_SECONDS = 5.0


@dataclass(frozen=True)
class Finding:
    fault: str
    answer: str
    seconds: float
    data: str


_findings: list[Finding] = []
_lock = threading.Lock()


def record(fault: str, answer: str, seconds: float, data: str) -> None:
    """Note what a fault led to (the test asserts it; this is for the printed report)."""
    assert seconds < KAZOO_BUDGET_SECONDS, f"{fault}: {seconds:.2f} s is past Kazoo's budget"
    with _lock:
        _findings.append(Finding(fault, answer, seconds, data))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _findings:
        return
    terminalreporter.section("faults: what Kazoo gets")
    width = max(len(f.fault) for f in _findings)
    for finding in _findings:
        terminalreporter.write_line(
            f"{finding.fault:<{width}}  {finding.answer:<28} {finding.seconds * 1000:>6.0f} ms"
            f"  {finding.data}"
        )
