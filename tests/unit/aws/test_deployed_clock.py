"""Deployed, steps see the system clock: not the event's time (which replay uses), and no
setting can move it (``--now`` exists only in the local tools)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from examples.hours import is_open
from pivotkit.aws.customer_entry import make_customer_handler
from pivotkit.local.events import EventContext, endpoint_url, lambda_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request

TOKEN = "hours-deployed-clock-token"
OPEN = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)  # Christmas Eve, 09:00 in Chicago
CLOSED = datetime(2026, 12, 25, 18, 0, tzinfo=UTC)  # Christmas Day, noon


def test_the_deployed_handler_reads_the_system_clock_not_the_event_time() -> None:
    env = {"PIVOTKIT_CUSTOMER": "hours", "PIVOTKIT_TOKENS": json.dumps({"hours": [TOKEN]})}
    handler = make_customer_handler(env)
    before = is_open(datetime.now(UTC))
    # The event claims a time at which the answer would be the other one.
    stamped = CLOSED if before else OPEN
    call = KazooCall(account_id="3a1f0e2d4c5b6a7980f1e2d3c4b5a697", call_id="clock@10.0.0.5")
    request = pivot_http_request(call, f"{endpoint_url('url', 'hours')}?token={TOKEN}")
    event = lambda_event(request, "url", context=EventContext(time=stamped))
    answer = handler(event, None)
    if is_open(datetime.now(UTC)) != before:
        pytest.skip("the business opened or closed during the request")
    assert answer["statusCode"] == 200
    module = json.loads(answer["body"])["module"]
    assert module == ("ring_group" if before else "tts")
