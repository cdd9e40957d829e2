"""``pivotkit serve --now``: the served flows see the time given, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pivotkit.local.runtime import kazoo_validator
from pivotkit.local.simulator import Caller, HttpTransport, PivotTarget, Script, simulate
from pivotkit.local.tokens import local_token
from tests.integration.serve_support import ServeProcess, write_test_customer

pytestmark = pytest.mark.slow

CHRISTMAS_NOON_CHICAGO = "2026-12-25T12:00-06:00"  # a holiday for the hours example


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    customers_dir = write_test_customer(tmp_path_factory.mktemp("customers"))
    workdir = tmp_path_factory.mktemp("serve")
    options = ("--memory", "--customer", "hours", "--now", CHRISTMAS_NOON_CHICAGO)
    with ServeProcess(workdir, customers_dir, *options) as process:
        yield process


def test_the_banner_shows_the_clock(server: ServeProcess) -> None:
    assert "clock: 2026-12-25T18:00" in server.output()


def test_a_call_is_answered_at_the_time_given(server: ServeProcess) -> None:
    validator, label = kazoo_validator()
    transport = HttpTransport()
    try:
        transcript = simulate(
            transport,
            PivotTarget(f"{server.url}/pivot/hours?token={local_token('hours')}"),
            Caller(),
            Script.parse(""),  # no key: a message
            validator=validator,
            validation_label=label,
        )
    finally:
        transport.close()
    assert transcript.ok, transcript.render()
    assert any("We are closed." in said for said in transcript.heard), transcript.render()
    assert transcript.ending == "bridged"  # the team's voicemail
