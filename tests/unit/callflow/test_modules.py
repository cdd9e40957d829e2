"""The one module table: the branch checks follow what it says of every module."""

from __future__ import annotations

import pytest

from pivotkit.callflow import KNOWN_MODULES
from pivotkit.callflow.branches import DEFAULT, check_branch_key
from pivotkit.callflow.modules import CONNECTING_MODULES, MODULES
from pivotkit.errors import CallflowError


def _follows(module: str, key: str) -> bool:
    try:
        check_branch_key(module, {}, key)
    except CallflowError:
        return False
    return True


@pytest.mark.parametrize("module", sorted(MODULES))
def test_branch_checks_follow_the_table(module: str) -> None:
    rule = MODULES[module].children
    takes = {key: _follows(module, key) for key in (DEFAULT, "NO_ANSWER", "sip:486")}
    expected = {
        "ends": {DEFAULT: False, "NO_ANSWER": False, "sip:486": False},
        "carrier": {DEFAULT: False, "NO_ANSWER": True, "sip:486": True},
        "bridge": {DEFAULT: True, "NO_ANSWER": True, "sip:486": True},
        "default": {DEFAULT: True, "NO_ANSWER": False, "sip:486": False},
    }.get(rule)
    if expected is None:  # modules with their own keys, or unchecked ones, all take "_"
        assert takes[DEFAULT]
    else:
        assert takes == expected, f"{module} is {rule!r} in the table"


def test_the_builder_knows_exactly_the_table() -> None:
    assert frozenset(MODULES) == KNOWN_MODULES


def test_every_module_that_connects_the_caller_reports_an_outcome_kazoo_can_follow() -> None:
    # The virtual Kazoo asks the script how a connecting module went; the answer must lead
    # where Kazoo would go: a cause child (bridge, carrier), "_" only, or the end of the flow.
    assert {MODULES[m].children for m in CONNECTING_MODULES} <= {
        "bridge",
        "carrier",
        "default",
        "ends",
    }
    assert {"device", "user", "ring_group", "resources", "conference", "voicemail"} <= (
        CONNECTING_MODULES
    )
