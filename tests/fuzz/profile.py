"""How hard the fuzz suite tries: a few dozen cases per test in ``make test`` (seconds),
thousands in ``make fuzz`` (``PIVOTKIT_FUZZ=deep``, at least 10,000 cases in all).

``PIVOTKIT_FUZZ_EXAMPLES`` overrides the per-test count either way. Every case a test runs
is counted (``count_case``) and the total is printed at the end of the run; a deep run
that ran fewer than ``DEEP_MINIMUM`` cases fails (see ``conftest.py``).
"""

from __future__ import annotations

import os
import threading

from hypothesis import HealthCheck, settings

DEEP = os.environ.get("PIVOTKIT_FUZZ", "").strip().lower() == "deep"
DEEP_MINIMUM = 10_000
EXAMPLES = int(os.environ.get("PIVOTKIT_FUZZ_EXAMPLES") or (2_500 if DEEP else 40))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # a 2-core runner stalls now and then; time is not what is tested here
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
if DEEP:  # a quick run replays failures found before; a deep run explores afresh
    FUZZ = settings(FUZZ, database=None)

_lock = threading.Lock()
_cases: dict[str, int] = {}


def count_case(test: str) -> None:
    with _lock:
        _cases[test] = _cases.get(test, 0) + 1


def cases() -> dict[str, int]:
    with _lock:
        return dict(_cases)
