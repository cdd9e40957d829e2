"""Report how many fuzz cases ran; fail a deep run (``make fuzz``) that ran too few."""

from __future__ import annotations

import pytest

from tests.fuzz.profile import DEEP, DEEP_MINIMUM, EXAMPLES, cases


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counted = cases()
    if not counted:
        return
    mode = "deep" if DEEP else "quick"
    terminalreporter.section(f"fuzz ({mode}: up to {EXAMPLES} cases per test)")
    for test, count in sorted(counted.items()):
        terminalreporter.write_line(f"{count:>7}  {test}")
    terminalreporter.write_line(f"{sum(counted.values()):>7}  cases in all")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    total = sum(cases().values())
    if DEEP and total and total < DEEP_MINIMUM and exitstatus == 0:
        session.config.get_terminal_writer().line(
            f"deep fuzz ran {total} cases, fewer than the {DEEP_MINIMUM} it promises", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
