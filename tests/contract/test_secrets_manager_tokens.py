"""Customer credentials from Secrets Manager (moto): a seed secret read once, cached,
rotated (previous_seed), and failing as our fault (503), never as the caller's (401)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from moto import mock_aws

from pivotkit.aws.secrets_tokens import (
    MalformedSecret,
    SecretsManagerTokens,
    parse_secret,
)
from pivotkit.customers import derive_credentials, token_matches
from pivotkit.errors import TokensUnavailable
from tests.contract.moto_support import CallCounter, new_secretsmanager_client

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Secrets:
    client: SecretsManagerClient
    counter: CallCounter
    clock: FakeClock

    def put(self, name: str, value: str) -> None:
        client = self.client
        try:
            client.create_secret(Name=name, SecretString=value)
        except client.exceptions.ResourceExistsException:
            client.put_secret_value(SecretId=name, SecretString=value)

    def source(
        self, mapping: dict[str, str], *, ttl_seconds: float = 300, retry_after_seconds: float = 30
    ) -> SecretsManagerTokens:
        return SecretsManagerTokens(
            mapping,
            self.client,
            monotonic=self.clock,
            ttl_seconds=ttl_seconds,
            retry_after_seconds=retry_after_seconds,
        )

    @property
    def reads(self) -> int:
        return self.counter["GetSecretValue"]


def seed_secret(seed: str, previous: str | None = None) -> str:
    value = {"seed": seed} if previous is None else {"seed": seed, "previous_seed": previous}
    return json.dumps(value)


def token(seed: str) -> str:
    return derive_credentials(seed).token


def key(seed: str) -> bytes:
    return derive_credentials(seed).signing_key


@pytest.fixture
def secrets(aws_env: None) -> Iterator[Secrets]:
    with mock_aws():
        client = new_secretsmanager_client()
        yield Secrets(client, CallCounter(client, "secrets-manager"), FakeClock())


def test_each_secret_is_read_once_and_only_when_first_needed(secrets: Secrets) -> None:
    secrets.put("pivotkit/acme", seed_secret("acme-1"))
    secrets.put("pivotkit/globex", seed_secret("globex-1"))
    source = secrets.source({"acme": "pivotkit/acme", "globex": "pivotkit/globex"})
    assert secrets.reads == 0
    for _ in range(5):
        assert source.tokens_for("acme") == (token("acme-1"),)
        assert source.signing_keys_for("acme") == (key("acme-1"),)
    assert secrets.reads == 1
    assert source.tokens_for("globex") == (token("globex-1"),)
    assert source.signing_keys_for("globex") == (key("globex-1"),)
    assert secrets.reads == 2


def test_deployed_source_builds_its_client_on_first_read(secrets: Secrets) -> None:
    secrets.put("pivotkit/acme", seed_secret("acme-1"))
    built: list[SecretsManagerClient] = []

    def factory() -> SecretsManagerClient:
        built.append(secrets.client)
        return secrets.client

    source = SecretsManagerTokens({"acme": "pivotkit/acme"}, client_factory=factory)
    assert built == []
    assert source.signing_keys_for("acme") == (key("acme-1"),)
    assert source.tokens_for("acme") == (token("acme-1"),)
    assert len(built) == 1


def test_during_a_rotation_both_tokens_and_both_keys_are_valid(secrets: Secrets) -> None:
    secrets.put("pivotkit/acme", seed_secret("new-seed", previous="old-seed"))
    source = secrets.source({"acme": "pivotkit/acme"})
    valid = source.tokens_for("acme")
    assert valid == (token("new-seed"), token("old-seed"))
    assert token_matches(token("old-seed"), valid)
    assert token_matches(token("new-seed"), valid)
    assert not token_matches("other", valid)
    # The current seed's key comes first: it signs new continuations.
    assert source.signing_keys_for("acme") == (key("new-seed"), key("old-seed"))


def test_a_rotation_is_picked_up_when_the_cache_expires(secrets: Secrets) -> None:
    secrets.put("pivotkit/acme", seed_secret("s1"))
    source = secrets.source({"acme": "pivotkit/acme"}, ttl_seconds=300)
    assert source.tokens_for("acme") == (token("s1"),)
    secrets.put("pivotkit/acme", seed_secret("s2", previous="s1"))
    secrets.clock.now += 299
    assert source.signing_keys_for("acme") == (key("s1"),)
    secrets.clock.now += 1
    assert source.tokens_for("acme") == (token("s2"), token("s1"))
    assert source.signing_keys_for("acme") == (key("s2"), key("s1"))
    assert secrets.reads == 2


def test_unreadable_secret_is_our_failure_not_the_callers(secrets: Secrets) -> None:
    source = secrets.source({"acme": "pivotkit/missing"})
    with pytest.raises(TokensUnavailable) as raised:
        source.tokens_for("acme")
    assert raised.value.status == 503
    with pytest.raises(TokensUnavailable):
        source.signing_keys_for("acme")
    # Nothing is cached from a failure: the next request tries again and succeeds.
    secrets.put("pivotkit/missing", seed_secret("acme-1"))
    assert source.tokens_for("acme") == (token("acme-1"),)
    assert secrets.reads == 3


def test_failed_refresh_keeps_the_credentials_held(secrets: Secrets) -> None:
    secrets.put("pivotkit/acme", seed_secret("s1"))
    source = secrets.source({"acme": "pivotkit/acme"}, ttl_seconds=300, retry_after_seconds=30)
    assert source.tokens_for("acme") == (token("s1"),)
    secrets.client.delete_secret(SecretId="pivotkit/acme", ForceDeleteWithoutRecovery=True)
    secrets.clock.now += 300
    assert source.tokens_for("acme") == (token("s1"),)
    assert source.signing_keys_for("acme") == (key("s1"),)
    assert secrets.reads == 2
    # Not hammered: the next read waits retry_after_seconds.
    secrets.clock.now += 29
    assert source.tokens_for("acme") == (token("s1"),)
    assert secrets.reads == 2
    secrets.put("pivotkit/acme", seed_secret("s2"))
    secrets.clock.now += 1
    assert source.tokens_for("acme") == (token("s2"),)
    assert source.signing_keys_for("acme") == (key("s2"),)


@pytest.mark.parametrize(
    "value",
    [
        json.dumps({"token": "sekrit-value"}),
        json.dumps({"tokens": ["sekrit-value"]}),  # the former shape is not read any more
        json.dumps({"seed": "ok", "sekrit-value": 1}),
        "sekrit-value",
    ],
)
def test_malformed_secret_fails_without_revealing_its_value(secrets: Secrets, value: str) -> None:
    secrets.put("pivotkit/acme", value)
    with pytest.raises(TokensUnavailable) as raised:
        secrets.source({"acme": "pivotkit/acme"}).tokens_for("acme")
    assert "sekrit" not in raised.value.message
    assert "sekrit" not in repr(raised.value.__cause__)
    assert "sekrit" not in str(raised.value.__cause__)


def test_binary_secret_is_refused(secrets: Secrets) -> None:
    secrets.client.create_secret(Name="pivotkit/acme", SecretBinary=b"\x00token")
    with pytest.raises(TokensUnavailable):
        secrets.source({"acme": "pivotkit/acme"}).tokens_for("acme")


def test_customer_without_a_secret_has_no_credentials(secrets: Secrets) -> None:
    source = secrets.source({})
    assert source.tokens_for("acme") == () and source.signing_keys_for("acme") == ()
    assert secrets.reads == 0


def test_concurrent_first_requests_read_the_secret_once(secrets: Secrets) -> None:
    secrets.put("pivotkit/acme", seed_secret("s1"))
    source = secrets.source({"acme": "pivotkit/acme"})
    start = threading.Barrier(8)
    seen: list[tuple[str, ...]] = []

    def first_request() -> None:
        start.wait()
        seen.append(source.tokens_for("acme"))

    workers = [threading.Thread(target=first_request) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert seen == [(token("s1"),)] * 8
    assert secrets.reads == 1


@pytest.mark.parametrize(
    ("value", "seeds"),
    [
        ('{"seed": "a"}', ("a",)),
        ('{"seed": "a", "previous_seed": "b"}', ("a", "b")),
        ('{"seed": "a", "previous_seed": null}', ("a",)),
        ('{"seed": "a", "previous_seed": ""}', ("a",)),  # a rotation just finished
        ('{"seed": "a", "previous_seed": "a"}', ("a",)),
        ('{"seed": " a "}', (" a ",)),  # key material is used as stored
    ],
)
def test_secret_value_shapes(value: str, seeds: tuple[str, ...]) -> None:
    assert parse_secret(value) == tuple(derive_credentials(s) for s in seeds)


@pytest.mark.parametrize(
    "value",
    [
        '{"tokens": ["a", "b"]}',
        '{"seed": ""}',
        '{"seed": 1}',
        '{"seed": null}',
        '{"previous_seed": "b"}',
        '{"seed": "a", "previous_seed": 2}',
        '["a"]',
        '"a"',
        "plain-token",
        "   ",
    ],
)
def test_secret_values_without_a_usable_seed(value: str) -> None:
    with pytest.raises(MalformedSecret):
        parse_secret(value)
