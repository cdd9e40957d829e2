"""What the call journal costs per Pivot request: the same request with and without it.

Deployed, the journal (``pivotkit.journal``) is one more line on stdout per request, built
by an engine observer after the answer is known: a bounded, redacted copy of the decoded
request and the answer, one ``json.dumps``, the token net over the finished line, one
write. Here the whole request (``PivotApp.handle``, Acme's first request: the typical menu
answer) is timed in interleaved rounds with the journal on (written to ``/dev/null``, as a
Lambda's stdout costs a write) and off (no observer at all: today's request without a
journal), in the same run, and their ratio printed; beside them, the journal entry alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from itertools import cycle

from bench.harness import Row, calibrate, ratio_row, spread_row, time_batch
from bench.stats import interleaved, rounds_health
from examples import acme
from pivotkit.app import Outcome, PivotApp
from pivotkit.aws.redaction import CallerIdMode, caller_id
from pivotkit.customers import StaticTokens
from pivotkit.journal import CallJournal
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.redaction import Redactor
from pivotkit.state import InMemoryStateStore

ACCOUNT = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
TOKEN = "bench-journal-token-0123456789"
ROUNDS = 5
POOL = 4096  # distinct calls, each far below its journal bound over a run


def run() -> list[Row]:
    with open(os.devnull, "w", encoding="utf-8") as devnull:  # noqa: PTH123 - a stream
        return _measure(devnull.write)


def _measure(write: Callable[[str], object]) -> list[Row]:
    customers = {"acme": acme.customer}

    def sink(line: str) -> None:
        write(line + "\n")

    journal = CallJournal(
        sink,
        Redactor([TOKEN]),
        lambda value, is_number: caller_id(value, CallerIdMode.MASKED, is_number=is_number),
    )
    outcomes: list[Outcome] = []

    def journal_entry(outcome: Outcome) -> None:
        journal.observe(outcome, customers.get(outcome.customer))

    tokens = StaticTokens({"acme": [TOKEN]})
    plain = PivotApp(customers, InMemoryStateStore(), tokens)
    journaled = PivotApp(customers, InMemoryStateStore(), tokens, observers=(journal_entry,))
    keep = PivotApp(customers, InMemoryStateStore(), tokens, observers=(outcomes.append,))
    # Each timed request is another call (the journal bounds what it writes per call), from
    # a pool built beforehand, cycled by both contenders alike.
    pool = [
        pivot_http_request(
            KazooCall(account_id=ACCOUNT, call_id=f"bench-{n}@10.0.0.5"),
            f"https://bench.example/pivot/acme?token={TOKEN}",
        ).as_http_request()
        for n in range(POOL)
    ]
    for app in (plain, journaled, keep):
        assert app.handle(pool[0]).status == 200
    entries = [replace(outcomes[0], call_id=f"bench-entry-{n}") for n in range(POOL)]
    on, off, alone = cycle(pool), cycle(pool), cycle(entries)

    def entry_alone() -> None:
        journal.observe(next(alone), acme.customer)

    def with_journal() -> None:
        journaled.handle(next(on))

    def without_journal() -> None:
        plain.handle(next(off))

    contenders: list[tuple[str, Callable[[], object]]] = [
        ("off", without_journal),
        ("on", with_journal),
        ("entry", entry_alone),
    ]
    rounds = interleaved([(name, _batch(function)) for name, function in contenders], ROUNDS)
    health = rounds_health("journal off", rounds["off"])
    return [
        spread_row("journal", "whole request, journal off (today's)", rounds["off"], "µs"),
        spread_row("journal", "whole request, journal on (to /dev/null)", rounds["on"], "µs"),
        ratio_row(
            "journal",
            "ratio journal on / off",
            rounds["on"],
            rounds["off"],
            health,
            note="same request, interleaved rounds",
        ),
        spread_row("journal", "  the journal entry alone (observe)", rounds["entry"], "µs"),
    ]


def _batch(function: Callable[[], object]) -> Callable[[], float]:
    """Microseconds per call of ``function``, one batch of about 0.1 s per round."""
    calls = calibrate(function)
    return lambda: time_batch(function, calls)
