"""After-call survey, with IVR analytics: every step a caller passes is recorded.

start ─► rating (1-5) ─► recommend (1 yes, 2 no) ─┬─ rating 1 or 2 ─► callback offer ─► callback
                                                 └─ otherwise ─► thanks
The answers go to the survey service in a webhook at the end.

``Flow(track_path=True)`` stores each step with the digits that led to it and the time, in
the call's record; ``pivotkit stats --customer survey`` turns the records into a funnel:
how many callers reached each question, what they pressed, and where they hung up. It costs
one state write per step.
"""

from pivotkit import (
    NO_ANSWER,
    USER_BUSY,
    Call,
    Customer,
    Flow,
    Node,
    hangup,
    tts,
    user,
    voicemail,
    webhook,
)

RESULTS_WEBHOOK = "https://surveys.example.com/hooks/kazoo"
CUSTOMER_CARE = "c5c5c5c5c5c5c5c5c5c5c5c5c5c5c501"
CUSTOMER_CARE_MAILBOX = "c5c5c5c5c5c5c5c5c5c5c5c5c5c5c502"
RATINGS = {"1", "2", "3", "4", "5"}

flow = Flow(track_path=True)


def send_results(call: Call) -> Node:
    """The answers so far, to the survey service (Kazoo posts them with the call's details)."""
    return webhook(RESULTS_WEBHOOK, custom_data={k: str(v) for k, v in call.state.items()})


def finish(call: Call, closing: str) -> Node:
    return (
        send_results(call)
        .then(tts(f"{closing} Thank you for your feedback. Goodbye."))
        .then(hangup())
    )


@flow.step()
def start(call: Call) -> Node:
    question = "On a scale of one to five, how happy were you with your last call?"
    return call.gather("rating", prompt=tts(f"Thank you for taking our survey. {question}"))


@flow.step()
def rating(call: Call) -> Node:
    if call.digits not in RATINGS:
        return tts("No problem.").then(hangup())
    call.state["rating"] = int(call.digits)
    question = "Would you recommend us to a friend? Press 1 for yes, 2 for no."
    return call.gather("recommend", prompt=tts(question))


@flow.step()
def recommend(call: Call) -> Node:
    call.state["recommend"] = {"1": "yes", "2": "no"}.get(call.digits or "", "no answer")
    if call.state["rating"] <= 2:
        offer = "We are sorry. To talk to customer care now, press 1."
        return call.gather("callback", prompt=tts(offer))
    return finish(call, "Great.")


@flow.step()
def callback(call: Call) -> Node:
    if call.digits != "1":
        return finish(call, "We will look into it.")
    call.state["escalated"] = "yes"
    care = user(CUSTOMER_CARE, timeout=30)
    care.on(NO_ANSWER, voicemail(CUSTOMER_CARE_MAILBOX))
    care.on(USER_BUSY, voicemail(CUSTOMER_CARE_MAILBOX))
    return send_results(call).then(care)


customer = Customer(slug="survey", flow=flow)
