"""``pivotkit events``: sample events from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pivotkit.continuation import continuation_signature
from pivotkit.customers import token_signing_key
from pivotkit.http import from_lambda_event
from pivotkit.local.cli import main
from pivotkit.request import decode_pivot_request, query_params

ACCOUNT = "0123456789abcdef0123456789abcdef"


def generate(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["events", "--customer", "acme", "--token", "T0K", *args]) == 0
    event: dict[str, Any] = json.loads(capsys.readouterr().out)
    return event


@pytest.fixture(autouse=True)
def _local_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIVOTKIT_TOKENS", raising=False)


def test_default_is_the_deployed_http_api_with_the_local_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["events", "--customer", "acme"]) == 0
    captured = capsys.readouterr()
    event = json.loads(captured.out)
    assert captured.err == ""  # no warning: the token is the one the local tools accept
    assert event["version"] == "2.0"
    assert event["requestContext"]["domainName"].endswith(".execute-api.us-east-1.amazonaws.com")
    assert event["rawPath"] == "/pivot/acme"
    http = from_lambda_event(event)
    decoded = decode_pivot_request(http)
    assert decoded.caller_id_number == "+14155550123"
    assert decoded.call_id.endswith("@pivotkit.local")  # the simulator's, as call --save-events
    assert decoded.collections == {}
    assert query_params(http)["token"] == "local-acme"


def test_the_token_follows_pivotkit_tokens_or_the_option(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIVOTKIT_TOKENS", json.dumps({"acme": ["first", "second"]}))
    assert main(["events", "--customer", "acme"]) == 0
    assert query_params(from_lambda_event(json.loads(capsys.readouterr().out)))["token"] == "first"
    event = generate(capsys)
    assert query_params(from_lambda_event(event))["token"] == "T0K"


@pytest.mark.parametrize("shape", ["v1", "v2", "url"])
@pytest.mark.parametrize(
    "request_args",
    [["--method", "get"], ["--method", "post"], ["--method", "post", "--body-format", "json"]],
)
def test_every_option_reaches_the_decoded_request(
    capsys: pytest.CaptureFixture[str], shape: str, request_args: list[str]
) -> None:
    event = generate(
        capsys,
        "--shape", shape,
        *request_args,
        "--user-id", "owner-a",
        "--user-id", "owner-b",
        "--call-id", "call-1@10.0.0.5",
        "--account-id", ACCOUNT,
        "--caller-number", "+442071234567",
        "--dialled", "*83",
    )  # fmt: skip
    http = from_lambda_event(event)
    decoded = decode_pivot_request(http)
    assert decoded.account_id == ACCOUNT
    assert decoded.call_id == "call-1@10.0.0.5"
    assert decoded.caller_id_number == decoded.from_ == "+442071234567"
    assert decoded.request == "*83"
    assert decoded.user_ids == ("owner-a", "owner-b")
    assert query_params(http)["token"] == "T0K"
    assert http.method == request_args[1].upper()


def test_digits_give_the_request_kazoo_sends_after_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No step, hop or seq to type: the walk through acme's flow finds the continuation."""
    assert main(["events", "--customer", "acme", "--digits", "1234#,2"]) == 0
    event = json.loads(capsys.readouterr().out)
    http = from_lambda_event(event)
    decoded = decode_pivot_request(http)
    params = query_params(http)
    assert params["token"] == "local-acme"
    assert params["step"] == "menu_choice"
    assert decoded.collections == {"check_pin_1": "1234", params["g"]: "2"}
    # The engine signed it for this call with the key that goes with the local token.
    assert params["sig"] == continuation_signature(
        token_signing_key("local-acme"),
        customer="acme",
        account_id=decoded.account_id or "",
        call_id=decoded.call_id,
        step="menu_choice",
        hop=int(params["hop"]),
        seq=int(params["seq"]),
        collection=params["g"],
    )


def test_digits_that_lead_nowhere_are_explained(capsys: pytest.CaptureFixture[str]) -> None:
    # frontdesk's outside line asks nothing of the caller through Pivot (its menu is Kazoo's).
    assert main(["events", "--customer", "frontdesk", "--digits", "1"]) == 2
    assert "the call made no request after the digits" in capsys.readouterr().err
    assert main(["events", "--customer", "nobody", "--digits", "1"]) == 2
    assert "no customer 'nobody'" in capsys.readouterr().err


def test_v1_stage_and_region(capsys: pytest.CaptureFixture[str]) -> None:
    event = generate(capsys, "--shape", "v1", "--stage", "live", "--region", "eu-west-1")
    assert event["requestContext"]["stage"] == "live"
    assert event["requestContext"]["path"] == "/live/pivot/acme"
    assert event["requestContext"]["domainName"].endswith(".execute-api.eu-west-1.amazonaws.com")
    assert from_lambda_event(event).path == "/pivot/acme"


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "events" / "acme" / "start.json"
    assert main(["events", "--customer", "acme", "--token", "t", "--output", str(target)]) == 0
    assert capsys.readouterr().out == ""
    event = json.loads(target.read_text(encoding="utf-8"))
    assert decode_pivot_request(from_lambda_event(event)).account_id


def test_unwritable_output_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    status = main(["events", "--customer", "acme", "--output", str(blocker / "x.json")])
    assert status == 1
    assert "cannot write" in capsys.readouterr().err


def test_body_format_without_post_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--customer", "acme", "--body-format", "json"]) == 2
    assert "--method post" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ([], "--customer"),
        (["--customer", "../etc"], "customer slug"),
        (["--customer", "acme", "--shape", "alb"], "invalid choice"),
        (["--customer", "acme", "--method", "put"], "invalid choice"),
        (["--customer", "acme", "--account-id", ACCOUNT.upper()], "32 lower-case hex"),
        (["--customer", "acme", "--step", "menu"], "unrecognized arguments"),
    ],
)
def test_bad_options_exit_non_zero_with_a_message(
    capsys: pytest.CaptureFixture[str], args: list[str], complaint: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["events", *args])
    assert exited.value.code == 2
    assert complaint in capsys.readouterr().err
