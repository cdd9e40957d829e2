"""survey: an IVR with path tracking; answers reach the survey service in a webhook."""

from __future__ import annotations

import pytest

from customers import survey
from pivotkit.state import InMemoryStateStore
from tests.examples.support import answered, app_for, bridges, call_app, cli_call, said


def test_a_happy_caller_answers_both_questions(capsys: pytest.CaptureFixture[str]) -> None:
    transcript = cli_call(
        capsys, "survey", "--digits", "5,1", "--method", "post", "--body-format", "json"
    )
    (results,) = answered(transcript, "webhook")
    assert results["uri"] == survey.RESULTS_WEBHOOK
    assert results["custom_data"] == {"rating": "5", "recommend": "yes"}
    assert transcript["heard"][-1] == "Great. Thank you for your feedback. Goodbye."
    assert transcript["ending"] == "hangup"


def test_an_unhappy_caller_is_offered_customer_care(capsys: pytest.CaptureFixture[str]) -> None:
    transcript = cli_call(capsys, "survey", "--digits", "1,2,1", "--bridge", "USER_BUSY")
    (results,) = answered(transcript, "webhook")
    assert results["custom_data"] == {"rating": "1", "recommend": "no", "escalated": "yes"}
    assert bridges(transcript) == [
        f"user {survey.CUSTOMER_CARE}: USER_BUSY (486) -> child 'USER_BUSY'",
        f"voicemail {survey.CUSTOMER_CARE_MAILBOX}: answered",
    ]


def test_declining_the_callback_still_sends_the_results(capsys: pytest.CaptureFixture[str]) -> None:
    transcript = cli_call(capsys, "survey", "--digits", "2,,")
    (results,) = answered(transcript, "webhook")
    assert results["custom_data"] == {"rating": "2", "recommend": "no answer"}
    assert "We will look into it." in said(transcript)


def test_no_rating_ends_the_survey(capsys: pytest.CaptureFixture[str]) -> None:
    transcript = cli_call(capsys, "survey", "--digits", "")
    assert transcript["heard"][-1] == "No problem."
    assert not answered(transcript, "webhook")


def test_every_step_passed_is_stored_for_the_funnel() -> None:
    store = InMemoryStateStore()
    call_app(app_for(survey.customer, store), "survey", digits=["2", "2", "1"])
    (record,) = store.records()
    assert [(e["step"], e["hop"], e.get("digits")) for e in record.trail] == [
        ("start", 0, None),
        ("rating", 1, "2"),
        ("recommend", 2, "2"),
        ("callback", 3, "1"),
    ]
    assert record.state == {"rating": 2, "recommend": "no", "escalated": "yes"}
