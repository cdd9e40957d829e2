"""gatekeeper: routing by caller ID, decided in Python and by Kazoo; setting caller ID."""

from __future__ import annotations

import pytest

from examples import gatekeeper
from examples.gatekeeper import customer, e164
from pivotkit.testing import Caller, call

STAFF = Caller(user_ids=("5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f",))


def test_a_client_on_our_list_reaches_the_partner_with_their_name_shown() -> None:
    result = call(customer, caller=Caller(number="312-555-0142"))
    assert result.answered("set_cid") == [{"caller_id_name": "Client Ada Lovelace"}]
    assert not result.answered("cidlistmatch")  # decided in Python: Kazoo never asked
    assert [b.text for b in result.bridges] == [f"user {gatekeeper.PARTNER}: answered"]


@pytest.mark.parametrize("outcome", ["NO_ANSWER", "USER_BUSY"])
def test_the_partner_busy_or_away_means_the_partners_mailbox(outcome: str) -> None:
    result = call(customer, caller=Caller(number="+16175550199"), bridges=[outcome])
    assert result.bridges[-1].text == f"voicemail {gatekeeper.PARTNER_MAILBOX}: answered"


def test_a_referrer_on_kazoos_list_is_announced_with_a_prefix() -> None:
    result = call(customer, branches={"cidlistmatch": ["match"]})
    (prepend,) = result.answered("prepend_cid")
    assert prepend == {"action": "prepend", "caller_id_name_prefix": "Referral: "}
    assert result.answered("cidlistmatch") == [{"id": gatekeeper.REFERRERS_CID_LIST}]
    result.assert_connected("user", gatekeeper.PARTNER)


@pytest.mark.parametrize(
    ("number", "module", "target"),
    [
        ("+17735550111", "device", gatekeeper.RECEPTION_PHONE),  # local: check_cid matches
        ("+14155550123", "voicemail", gatekeeper.MESSAGES_MAILBOX),  # elsewhere
    ],
)
def test_kazoo_routes_other_callers_by_a_caller_id_regex(
    number: str, module: str, target: str
) -> None:
    result = call(customer, caller=Caller(number=number))
    branches = [b.text for b in result.branches]
    assert branches[0] == "cidlistmatch -> nomatch (default)"
    assert branches[1].startswith("check_cid -> ")
    assert result.bridges[-1].text == f"{module} {target}: answered"


def test_staff_choose_the_caller_id_then_dial_out() -> None:
    result = call(customer, caller=STAFF, digits=["3125550188"])
    (choose,) = result.answered("dynamic_cid")
    assert choose["action"] == "manual"
    assert choose["whitelist_regex"] == gatekeeper.FIRM_LINES
    (outbound,) = result.answered("resources")
    assert outbound == {"to_did": "+13125550188", "use_local_resources": True, "timeout": 40}
    assert [b.text for b in result.bridges] == ["resources +13125550188: answered"]


def test_staff_get_no_dial_out_for_a_number_we_cannot_call() -> None:
    result = call(customer, caller=STAFF, digits=["911"])
    result.assert_heard("That is not a number we can call. Goodbye.")
    assert not result.answered("resources")


@pytest.mark.parametrize(
    ("number", "normalised"),
    [
        ("+13125550142", "+13125550142"),
        ("13125550142", "+13125550142"),
        ("(312) 555-0142", "+13125550142"),
        ("+442071234567", None),
        ("911", None),
        ("anonymous", None),
        (None, None),
    ],
)
def test_e164(number: str | None, normalised: str | None) -> None:
    assert e164(number) == normalised
