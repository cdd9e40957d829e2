"""``pivotkit events``: sample events from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pivotkit.continuation import continuation_signature
from pivotkit.customers import derive_credentials, token_signing_key
from pivotkit.http import from_lambda_event
from pivotkit.local.cli import main
from pivotkit.local.commands.events import DEFAULT_ACCOUNT_ID
from pivotkit.request import decode_pivot_request, query_params

ACCOUNT = "0123456789abcdef0123456789abcdef"


def generate(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["events", "--customer", "acme", "--token", "T0K", *args]) == 0
    event: dict[str, Any] = json.loads(capsys.readouterr().out)
    return event


def test_default_is_a_function_url_get(capsys: pytest.CaptureFixture[str]) -> None:
    event = generate(capsys)
    assert event["version"] == "2.0"
    assert event["requestContext"]["domainName"].endswith(".lambda-url.us-east-1.on.aws")
    assert event["rawPath"] == "/pivot/acme"
    http = from_lambda_event(event)
    decoded = decode_pivot_request(http)
    assert decoded.caller_id_number == "+14155550123"
    assert decoded.call_id.endswith("@10.0.0.5")
    assert decoded.collections == {}
    assert query_params(http)["token"] == "T0K"


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
        "--digits", "menu_2=1",
        "--digits", "pin_3=",
        "--user-id", "owner-a",
        "--user-id", "owner-b",
        "--var", "session=a,b=c",
        "--step", "menu",
        "--hop", "2",
        "--seq", "5",
        "--collection", "menu_2",
        "--call-id", "call-1@10.0.0.5",
        "--account-id", ACCOUNT,
        "--caller-number", "+442071234567",
    )  # fmt: skip
    http = from_lambda_event(event)
    decoded = decode_pivot_request(http)
    assert decoded.account_id == ACCOUNT
    assert decoded.call_id == "call-1@10.0.0.5"
    assert decoded.caller_id_number == decoded.from_ == "+442071234567"
    assert decoded.collections == {"menu_2": "1", "pin_3": ""}
    assert decoded.user_ids == ("owner-a", "owner-b")
    assert decoded.custom_application_vars == {"session": "a,b=c"}
    params = query_params(http)
    assert params["token"] == "T0K"
    assert (params["step"], params["hop"], params["seq"], params["g"]) == (
        "menu",
        "2",
        "5",
        "menu_2",
    )
    assert http.method == request_args[1].upper()
    # Signed for this call with the key that goes with the token (the local convention).
    assert params["sig"] == continuation_signature(
        token_signing_key("T0K"),
        customer="acme",
        account_id=ACCOUNT,
        call_id="call-1@10.0.0.5",
        step="menu",
        hop=2,
        seq=5,
        collection="menu_2",
    )


def test_a_seed_gives_the_token_and_the_signing_key(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["events", "--customer", "acme", "--seed", "acme-seed", "--step", "menu"]
    assert main([*args, "--call-id", "c1"]) == 0
    event = json.loads(capsys.readouterr().out)
    params = query_params(from_lambda_event(event))
    credentials = derive_credentials("acme-seed")
    assert params["token"] == credentials.token
    expected = continuation_signature(
        credentials.signing_key,
        customer="acme",
        account_id=DEFAULT_ACCOUNT_ID,
        call_id="c1",
        step="menu",
        hop=0,
        seq=0,
        collection=None,
    )
    assert params["sig"] == expected


def test_a_first_request_carries_no_signature(capsys: pytest.CaptureFixture[str]) -> None:
    event = generate(capsys, "--token", "T0K")
    assert "sig" not in query_params(from_lambda_event(event))


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


def test_missing_token_is_allowed_but_warned(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--customer", "acme"]) == 0
    captured = capsys.readouterr()
    assert "no --token" in captured.err
    assert "token" not in query_params(from_lambda_event(json.loads(captured.out)))


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
        (["--customer", "acme", "--digits", "nothing"], "NAME=VALUE"),
        (["--customer", "acme", "--var", "=v"], "NAME=VALUE"),
        (["--customer", "acme", "--seq", "-1"], "non-negative integer"),
        (["--customer", "acme", "--hop", "x"], "non-negative integer"),
        (["--customer", "acme", "--account-id", ACCOUNT.upper()], "32 lower-case hex"),
    ],
)
def test_bad_options_exit_non_zero_with_a_message(
    capsys: pytest.CaptureFixture[str], args: list[str], complaint: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["events", *args])
    assert exited.value.code == 2
    assert complaint in capsys.readouterr().err
