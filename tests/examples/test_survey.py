"""survey: an IVR with path tracking; answers reach the survey service in a webhook."""

from __future__ import annotations

from examples import survey
from examples.survey import customer
from pivotkit.testing import NO_KEY, call


def test_a_happy_caller_answers_both_questions() -> None:
    result = call(customer, digits=["5", "1"], method="post", body_format="json")
    (results,) = result.answered("webhook")
    assert results["uri"] == survey.RESULTS_WEBHOOK
    assert results["custom_data"] == {"rating": "5", "recommend": "yes"}
    assert result.heard[-1] == "Great. Thank you for your feedback. Goodbye."
    result.assert_hangup()


def test_an_unhappy_caller_is_offered_customer_care() -> None:
    result = call(customer, digits=["1", "2", "1"], bridges=["USER_BUSY"])
    (results,) = result.answered("webhook")
    assert results["custom_data"] == {"rating": "1", "recommend": "no", "escalated": "yes"}
    assert [b.text for b in result.bridges] == [
        f"user {survey.CUSTOMER_CARE}: USER_BUSY (486) -> child 'USER_BUSY'",
        f"voicemail {survey.CUSTOMER_CARE_MAILBOX}: answered",
    ]
    result.assert_voicemail(survey.CUSTOMER_CARE_MAILBOX)


def test_declining_the_callback_still_sends_the_results() -> None:
    result = call(customer, digits=["2", NO_KEY, NO_KEY])
    (results,) = result.answered("webhook")
    assert results["custom_data"] == {"rating": "2", "recommend": "no answer"}
    result.assert_heard("We will look into it.")


def test_no_rating_ends_the_survey() -> None:
    result = call(customer, digits=[NO_KEY])
    assert result.heard[-1] == "No problem."
    assert not result.answered("webhook")


def test_every_step_passed_is_stored_for_the_funnel() -> None:
    result = call(customer, digits=["2", "2", "1"])
    assert [(e["step"], e["hop"], e.get("digits")) for e in result.trail] == [
        ("start", 0, None),
        ("rating", 1, "2"),
        ("recommend", 2, "2"),
        ("callback", 3, "1"),
    ]
    assert result.state == {"rating": 2, "recommend": "no", "escalated": "yes"}
