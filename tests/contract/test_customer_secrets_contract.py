"""The ``SecretSource`` contract, on the test double and on Secrets Manager (moto): a declared
secret's value, or ``SecretMissing`` saying why in names only. Then what only the deployed
adapter does: one read on first use, a cache of ``ttl_seconds``, a failed refresh that keeps
the values held, and nothing of a malformed value in any message."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from moto import mock_aws

from pivotkit import Customer, Flow
from pivotkit.aws.secrets_values import SecretsManagerSecrets
from pivotkit.errors import SecretMissing
from pivotkit.secrets import SecretSource, StaticSecrets
from tests.contract.moto_support import CallCounter, new_secretsmanager_client

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

DENTAL = Customer(slug="dental", flow=Flow(), secrets=("booking_api_key", "sms_token"))
OTHER = Customer(slug="globex", flow=Flow(), secrets=("booking_api_key",))
SECRET_ID = "pivotkit-dev/dental/secrets"
VALUE = "sk-live-0f1e2d3c4b5a"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Deployed:
    client: SecretsManagerClient
    counter: CallCounter
    clock: FakeClock

    def put(self, value: object, secret_id: str = SECRET_ID) -> None:
        text = value if isinstance(value, str) else json.dumps(value)
        try:
            self.client.create_secret(Name=secret_id, SecretString=text)
        except self.client.exceptions.ResourceExistsException:
            self.client.put_secret_value(SecretId=secret_id, SecretString=text)

    def source(self, **options: float) -> SecretsManagerSecrets:
        return SecretsManagerSecrets(
            {"dental": SECRET_ID}, self.client, monotonic=self.clock, **options
        )

    @property
    def reads(self) -> int:
        return self.counter["GetSecretValue"]


@pytest.fixture
def deployed(aws_env: None) -> Iterator[Deployed]:
    with mock_aws():
        client = new_secretsmanager_client()
        yield Deployed(client, CallCounter(client, "secrets-manager"), FakeClock())


MakeSource = Callable[[dict[str, str]], SecretSource]


@pytest.fixture(params=["static", "secretsmanager"])
def make_source(request: pytest.FixtureRequest) -> MakeSource:
    """A source holding ``values`` as dental's secrets (globex has none)."""
    if request.param == "static":
        return lambda values: StaticSecrets({"dental": values})
    deployed: Deployed = request.getfixturevalue("deployed")

    def build(values: dict[str, str]) -> SecretSource:
        deployed.put(values)
        return deployed.source()

    return build


def test_a_set_secret_is_its_value(make_source: MakeSource) -> None:
    source = make_source({"booking_api_key": VALUE, "sms_token": "t-2"})
    assert source.secret_for(DENTAL, "booking_api_key") == VALUE
    assert source.secret_for(DENTAL, "sms_token") == "t-2"


def test_an_unset_or_empty_secret_is_missing(make_source: MakeSource) -> None:
    source = make_source({"booking_api_key": ""})
    for name in ("booking_api_key", "sms_token"):
        with pytest.raises(SecretMissing):
            source.secret_for(DENTAL, name)


def test_another_customer_gets_nothing_of_this_ones(make_source: MakeSource) -> None:
    source = make_source({"booking_api_key": VALUE})
    with pytest.raises(SecretMissing) as raised:
        source.secret_for(OTHER, "booking_api_key")
    assert VALUE not in str(raised.value)


def test_the_secret_is_read_on_first_use_and_once_per_ttl(deployed: Deployed) -> None:
    deployed.put({"booking_api_key": "v1"})
    source = deployed.source(ttl_seconds=300)
    assert deployed.reads == 0
    for _ in range(3):
        assert source.secret_for(DENTAL, "booking_api_key") == "v1"
    assert deployed.reads == 1
    deployed.put({"booking_api_key": "v2"})  # rotated: aws secretsmanager put-secret-value
    deployed.clock.now += 299
    assert source.secret_for(DENTAL, "booking_api_key") == "v1"
    deployed.clock.now += 1
    assert source.secret_for(DENTAL, "booking_api_key") == "v2"
    assert deployed.reads == 2


def test_the_client_is_built_on_the_first_read(deployed: Deployed) -> None:
    deployed.put({"booking_api_key": VALUE})
    built: list[SecretsManagerClient] = []

    def factory() -> SecretsManagerClient:
        built.append(deployed.client)
        return deployed.client

    source = SecretsManagerSecrets({"dental": SECRET_ID}, client_factory=factory)
    assert built == []
    assert source.secret_for(DENTAL, "booking_api_key") == VALUE
    assert source.secret_for(DENTAL, "booking_api_key") == VALUE
    assert len(built) == 1


def test_a_failed_refresh_keeps_the_values_held(deployed: Deployed) -> None:
    deployed.put({"booking_api_key": VALUE})
    source = deployed.source(ttl_seconds=300, retry_after_seconds=30)
    assert source.secret_for(DENTAL, "booking_api_key") == VALUE
    deployed.client.delete_secret(SecretId=SECRET_ID, ForceDeleteWithoutRecovery=True)
    deployed.clock.now += 300
    assert source.secret_for(DENTAL, "booking_api_key") == VALUE  # kept, retried later
    deployed.clock.now += 29
    assert source.secret_for(DENTAL, "booking_api_key") == VALUE
    assert deployed.reads == 2  # the failed refresh, then nothing until the retry is due
    deployed.clock.now += 1
    source.secret_for(DENTAL, "booking_api_key")
    assert deployed.reads == 3


def test_an_unreadable_secret_names_it_and_the_reason(deployed: Deployed) -> None:
    source = deployed.source()
    with pytest.raises(SecretMissing) as raised:
        source.secret_for(DENTAL, "booking_api_key")
    assert str(raised.value) == (
        f"{SECRET_ID} unreadable: ResourceNotFoundException"
        " (no value set yet? aws secretsmanager put-secret-value, docs/deploy.md)"
    )


def test_a_secret_created_without_a_value_says_how_to_set_one(deployed: Deployed) -> None:
    deployed.client.create_secret(Name=SECRET_ID)  # as the customer's stack creates it
    with pytest.raises(SecretMissing, match=r"ResourceNotFoundException \(no value set yet\?"):
        deployed.source().secret_for(DENTAL, "booking_api_key")


def test_a_key_not_set_in_the_secret_says_how_to_set_it(deployed: Deployed) -> None:
    deployed.put({"sms_token": "t-1"})  # set, but without the key asked for
    with pytest.raises(SecretMissing, match=f"not set in {SECRET_ID} .aws secretsmanager put"):
        deployed.source().secret_for(DENTAL, "booking_api_key")


@pytest.mark.parametrize(
    "malformed",
    [f"booking_api_key={VALUE}", json.dumps([VALUE]), json.dumps({"booking_api_key": [VALUE]})],
    ids=["not-json", "not-an-object", "not-a-string"],
)
def test_a_malformed_secret_is_refused_without_its_content(
    deployed: Deployed, malformed: str
) -> None:
    deployed.put(malformed)
    with pytest.raises(SecretMissing) as raised:
        deployed.source().secret_for(DENTAL, "booking_api_key")
    assert str(raised.value).startswith(f"{SECRET_ID} unreadable: malformed secret: ")
    assert VALUE not in str(raised.value)


def test_a_customer_without_a_configured_secret_is_missing(deployed: Deployed) -> None:
    with pytest.raises(SecretMissing, match="no secret is configured for this customer"):
        deployed.source().secret_for(OTHER, "booking_api_key")
