"""gatekeeper: routing by caller ID, decided in Python and by Kazoo; setting caller ID."""

from __future__ import annotations

import pytest

from customers import gatekeeper
from customers.gatekeeper import e164
from tests.examples.support import answered, bridges, cli_call, ran, said

STAFF_USER = "5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f"


def test_a_client_on_our_list_reaches_the_partner_with_their_name_shown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    transcript = cli_call(capsys, "gatekeeper", "--caller-number", "312-555-0142")
    assert answered(transcript, "set_cid") == [{"caller_id_name": "Client Ada Lovelace"}]
    assert not answered(transcript, "cidlistmatch")  # decided in Python: Kazoo never asked
    assert bridges(transcript) == [f"user {gatekeeper.PARTNER}: answered"]


@pytest.mark.parametrize("outcome", ["NO_ANSWER", "USER_BUSY"])
def test_the_partner_busy_or_away_means_the_partners_mailbox(
    capsys: pytest.CaptureFixture[str], outcome: str
) -> None:
    transcript = cli_call(
        capsys, "gatekeeper", "--caller-number", "+16175550199", "--bridge", outcome
    )
    assert bridges(transcript)[-1] == f"voicemail {gatekeeper.PARTNER_MAILBOX}: answered"


def test_a_referrer_on_kazoos_list_is_announced_with_a_prefix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    transcript = cli_call(capsys, "gatekeeper", "--branch", "cidlistmatch=match")
    (prepend,) = answered(transcript, "prepend_cid")
    assert prepend == {"action": "prepend", "caller_id_name_prefix": "Referral: "}
    assert answered(transcript, "cidlistmatch") == [{"id": gatekeeper.REFERRERS_CID_LIST}]
    assert bridges(transcript)[-1] == f"user {gatekeeper.PARTNER}: answered"


@pytest.mark.parametrize(
    ("number", "reaches"),
    [
        ("+17735550111", f"device {gatekeeper.RECEPTION_PHONE}"),  # local: check_cid matches
        ("+14155550123", f"voicemail {gatekeeper.MESSAGES_MAILBOX}"),  # elsewhere
    ],
)
def test_kazoo_routes_other_callers_by_a_caller_id_regex(
    capsys: pytest.CaptureFixture[str], number: str, reaches: str
) -> None:
    transcript = cli_call(capsys, "gatekeeper", "--caller-number", number)
    branches = [e["text"] for e in ran(transcript, "branch")]
    assert branches[0] == "cidlistmatch -> nomatch (default)"
    assert branches[1].startswith("check_cid -> ")
    assert bridges(transcript)[-1] == f"{reaches}: answered"


def test_staff_choose_the_caller_id_then_dial_out(capsys: pytest.CaptureFixture[str]) -> None:
    transcript = cli_call(capsys, "gatekeeper", "--user-id", STAFF_USER, "--digits", "3125550188")
    (choose,) = answered(transcript, "dynamic_cid")
    assert choose["action"] == "manual"
    assert choose["whitelist_regex"] == gatekeeper.FIRM_LINES
    (outbound,) = answered(transcript, "resources")
    assert outbound == {"to_did": "+13125550188", "use_local_resources": True, "timeout": 40}
    assert bridges(transcript) == ["resources +13125550188: answered"]


def test_staff_get_no_dial_out_for_a_number_we_cannot_call(
    capsys: pytest.CaptureFixture[str],
) -> None:
    transcript = cli_call(capsys, "gatekeeper", "--user-id", STAFF_USER, "--digits", "911")
    assert "That is not a number we can call. Goodbye." in said(transcript)
    assert not answered(transcript, "resources")


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
