"""The deployed deferrer: one asynchronous invocation of the function's own alias per event,
refused when Lambda would refuse it, its client built on the first event only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pivotkit.aws.composition import build_deferrer
from pivotkit.aws.self_invoke import MAX_EVENT_BYTES, SelfInvoker
from pivotkit.aws.settings import Settings
from pivotkit.deferred import is_deferred_event
from pivotkit.work import Job, job_event

SELF = "pivotkit-prod-acme:live"


class Recorder:
    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.requests: list[dict[str, Any]] = []
        self.built = 0

    def client(self) -> Recorder:
        self.built += 1
        return self

    def invoke(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return {"StatusCode": self.status}


def a_job(payload: dict[str, Any] | None = None) -> Job:
    return Job("acme", "a" * 32, "c@h", "0123456789abcdef", "book", payload or {}, 1.0, 16.0)


def test_an_event_is_one_event_invocation_of_the_functions_own_alias() -> None:
    lambda_ = Recorder()
    invoker = SelfInvoker(SELF, lambda_.client)
    assert lambda_.built == 0  # nothing built until there is something to send
    invoker.defer(job_event(a_job({"slot": "09:00"})))
    (request,) = lambda_.requests
    assert (request["FunctionName"], request["InvocationType"]) == (SELF, "Event")
    sent = json.loads(request["Payload"])
    assert is_deferred_event(sent) and sent["job"]["payload"] == {"slot": "09:00"}


def test_an_event_lambda_would_refuse_or_did_not_accept_raises() -> None:
    lambda_ = Recorder()
    with pytest.raises(ValueError, match="over"):
        SelfInvoker(SELF, lambda_.client).defer(job_event(a_job({"x": "y" * MAX_EVENT_BYTES})))
    assert lambda_.requests == []
    with pytest.raises(RuntimeError, match="500"):
        SelfInvoker(SELF, Recorder(status=500).client).defer(job_event(a_job()))


def test_the_stack_setting_chooses_the_self_invoker_and_its_absence_a_local_thread() -> None:
    deferrer = build_deferrer(Settings.from_env({"PIVOTKIT_SELF_FUNCTION": SELF}))
    assert isinstance(deferrer, SelfInvoker) and deferrer.function == SELF
    assert build_deferrer(Settings.from_env({})) is None
