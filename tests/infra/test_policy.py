"""The IAM evaluator behind the isolation tests must itself tell allowed from denied."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.policy import Policy, Request, Statement, Unjudgeable, matches

TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/state"
EMPTY: dict[str, Any] = {"Resources": {}}


def policy(*statements: dict[str, Any]) -> Policy:
    return Policy(tuple(Statement.parse(s, EMPTY) for s in statements))


def test_wildcards_follow_iam() -> None:
    assert matches("arn:aws:s3:::b/acme/*", "arn:aws:s3:::b/acme/x/y.mp3")
    assert not matches("arn:aws:s3:::b/acme/*", "arn:aws:s3:::b/acme_evil/x.mp3")
    assert matches("s3:Get*", "S3:GETOBJECT", case_sensitive=False)
    assert matches("a?c", "abc") and not matches("a?c", "abbc")


def test_leading_keys_need_every_key_to_match_and_at_least_one() -> None:
    confined = policy(
        {
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": TABLE,
            "Condition": {
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["acme#*"]},
                "Null": {"dynamodb:LeadingKeys": "false"},
            },
        }
    )
    keys = "dynamodb:LeadingKeys"
    assert confined.allows(Request("dynamodb:GetItem", TABLE, {keys: ["acme#1#c"]}))
    assert not confined.allows(Request("dynamodb:GetItem", TABLE, {keys: ["acme#1", "beta#1"]}))
    assert not confined.allows(Request("dynamodb:GetItem", TABLE, {}))
    assert not confined.allows(Request("dynamodb:Scan", TABLE, {keys: ["acme#1"]}))
    # Without the Null check, ForAllValues is vacuously true for a request with no keys.
    loose = policy(
        {
            "Effect": "Allow",
            "Action": "dynamodb:*",
            "Resource": TABLE,
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["acme#*"]}},
        }
    )
    assert loose.allows(Request("dynamodb:Scan", TABLE, {}))


def test_an_explicit_deny_wins_and_nothing_is_allowed_by_default() -> None:
    both = policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
    )
    assert both.allows(Request("s3:GetObject", "arn:aws:s3:::b/k"))
    assert not both.allows(Request("s3:DeleteObject", "arn:aws:s3:::b/k"))
    assert not policy().allows(Request("s3:GetObject", "arn:aws:s3:::b/k"))


def test_what_it_cannot_judge_fails_instead_of_passing() -> None:
    with pytest.raises(Unjudgeable, match="NotAction"):
        policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    odd = policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        }
    )
    with pytest.raises(Unjudgeable, match="IpAddress"):
        odd.allows(Request("s3:GetObject", "arn:aws:s3:::b/k"))
    with pytest.raises(Unjudgeable, match="render"):
        Statement.parse({"Effect": "Allow", "Action": "s3:*", "Resource": {"Fn::Sub": "x"}}, EMPTY)
