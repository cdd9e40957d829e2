"""A customer's secrets: declared names only, local values from the environment or a
git-ignored file, and a missing one is a 503 whose log line names it but never a value."""

from __future__ import annotations

import logging
import sys
import types
from pathlib import Path

import pytest

from pivotkit import Customer, Flow
from pivotkit.errors import SecretMissing, SecretUnavailable
from pivotkit.local.secrets import LOCAL_SECRETS_FILE, LocalSecrets, secret_variable
from pivotkit.secrets import Secrets, StaticSecrets
from pivotkit.testing import Caller, call
from tests.fixtures.configured.customers import dental
from tests.fixtures.configured.customers.dental.booking import reserve

VALUE = "sk-live-7d1f0c2e9b4a4c8e"
MORNING = "2026-12-24T09:00-06:00"


def customer_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Customer:
    module = types.ModuleType("secrets_customer_under_test")
    module.__file__ = str(tmp_path / "__init__.py")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return Customer(
        slug="shop", flow=Flow(), secrets=("api_key", "webhook_token"), module=module.__name__
    )


def test_an_undeclared_name_is_a_programming_error() -> None:
    secrets = Secrets(dental.customer, StaticSecrets({"dental": {"booking_api_key": VALUE}}))
    with pytest.raises(KeyError, match=r"declares no secret 'booking_key' \(declared: booking"):
        secrets["booking_key"]
    assert secrets["booking_api_key"] == VALUE
    assert "booking_api_key" in secrets and "other" not in secrets
    assert secrets.names == ("booking_api_key",)
    assert VALUE not in repr(secrets)


def test_a_missing_secret_is_unavailable_and_logged_by_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secrets = Secrets(dental.customer, StaticSecrets({}))
    with (
        caplog.at_level(logging.ERROR, logger="pivotkit.secrets"),
        pytest.raises(SecretUnavailable) as raised,
    ):
        secrets["booking_api_key"]
    assert raised.value.status == 503 and raised.value.code == "secret_unavailable"
    (record,) = caplog.records
    assert record.getMessage() == (
        "secret booking_api_key of dental unavailable: not given to the test (secrets=...)"
    )


def test_locally_the_environment_comes_first_then_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = customer_in(tmp_path, monkeypatch)
    (tmp_path / LOCAL_SECRETS_FILE).write_text(
        f'api_key = "from-file"\nwebhook_token = "{VALUE}"\n', encoding="utf-8"
    )
    source = LocalSecrets({secret_variable("shop", "api_key"): "from-env"})
    assert secret_variable("shop", "api_key") == "PIVOTKIT_SECRET_SHOP_API_KEY"
    assert source.secret_for(customer, "api_key") == "from-env"
    assert source.secret_for(customer, "webhook_token") == VALUE
    assert LocalSecrets({}).secret_for(customer, "api_key") == "from-file"


def test_locally_a_secret_in_neither_place_says_where_to_put_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = customer_in(tmp_path, monkeypatch)
    with pytest.raises(SecretMissing) as raised:
        LocalSecrets({}).secret_for(customer, "api_key")
    assert str(raised.value) == (
        f"not set: neither PIVOTKIT_SECRET_SHOP_API_KEY nor api_key in"
        f" {tmp_path / LOCAL_SECRETS_FILE}"
    )


def test_a_broken_local_file_is_reported_without_its_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = customer_in(tmp_path, monkeypatch)
    path = tmp_path / LOCAL_SECRETS_FILE
    path.write_text(f'api_key = "{VALUE}\n', encoding="utf-8")  # unterminated string
    with pytest.raises(SecretMissing) as raised:
        LocalSecrets({}).secret_for(customer, "api_key")
    assert str(raised.value) == "secrets.local.toml is not valid TOML"
    path.write_text("api_key = 12\n", encoding="utf-8")
    with pytest.raises(SecretMissing, match=r"api_key in secrets\.local\.toml must be a non-empty"):
        LocalSecrets({}).secret_for(customer, "api_key")


def test_the_local_secrets_file_is_git_ignored() -> None:
    ignored = (Path(__file__).resolve().parents[2] / ".gitignore").read_text(encoding="utf-8")
    assert LOCAL_SECRETS_FILE in ignored.splitlines()


def test_a_step_reads_its_secret_and_the_value_never_reaches_a_log(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caller = Caller(number="+15551230000")
    with caplog.at_level(logging.DEBUG):
        result = call(
            dental.customer,
            now=MORNING,
            digits=["1"],
            caller=caller,
            secrets={"booking_api_key": VALUE},
        )
    reference = " ".join(reserve("https://booking.dev.example/api/v1", VALUE, caller.number))
    result.assert_heard(f"Your reference is {reference}.")
    assert VALUE not in caplog.text + "".join(capsys.readouterr())
    assert all(VALUE not in str(answer) for answer in result.answers)


def test_a_missing_secret_is_kazoos_fallback_and_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        result = call(dental.customer, now=MORNING, digits=["1"], allow_failures=True)
    result.assert_fallback()
    assert result.failures == ["answered 503, not 200"]
    logged = [r.getMessage() for r in caplog.records if r.name == "pivotkit.secrets"]
    assert logged == [
        "secret booking_api_key of dental unavailable: not given to the test (secrets=...)"
    ]


def test_the_harness_refuses_a_secret_the_customer_does_not_declare() -> None:
    with pytest.raises(ValueError, match="secrets= names booking_key, which customer 'dental'"):
        call(dental.customer, now=MORNING, secrets={"booking_key": VALUE})
