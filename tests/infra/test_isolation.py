"""Least privilege: each customer's function reaches only that customer's data."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.functions import STATE_ITEM_ACTIONS
from tests.infra.conftest import CUSTOMERS, Synthesized

pytestmark = pytest.mark.slow
STAGES = ("dev", "prod")


def role_statements(synthesized: Synthesized, stage: str, function_name: str) -> list[Any]:
    """Every statement of every policy attached to the function's role."""
    _, function = synthesized.function(stage, function_name)
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = synthesized.resources(stage, "AWS::IAM::Role")[role_id]["Properties"]
    # No AWS-managed policy (AWSLambdaBasicExecutionRole would allow every log group).
    assert "ManagedPolicyArns" not in role
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]
    statements: list[Any] = []
    for policy in synthesized.resources(stage, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    assert statements
    return statements


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)


def resources(statement: dict[str, Any]) -> list[Any]:
    value = statement["Resource"]
    return list(value) if isinstance(value, list) else [value]


def the_one_id(synthesized: Synthesized, stage: str, resource_type: str, prefix: str) -> str:
    found = [k for k in synthesized.resources(stage, resource_type) if k.startswith(prefix)]
    assert len(found) == 1, (resource_type, prefix, found)
    return found[0]


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("slug", CUSTOMERS)
def test_customer_role_is_confined_to_its_own_items_objects_and_secret(
    synthesized: Synthesized, stage: str, slug: str
) -> None:
    statements = role_statements(synthesized, stage, f"pivotkit-{stage}-{slug}")
    table_id = the_one_id(synthesized, stage, "AWS::DynamoDB::Table", "StateTable")
    bucket_id = the_one_id(synthesized, stage, "AWS::S3::Bucket", "MediaC6E")
    tokens_id = next(
        k
        for k, v in synthesized.resources(stage, "AWS::SecretsManager::Secret").items()
        if v["Properties"]["Name"] == f"pivotkit-{stage}/{slug}/tokens"
    )
    others = [other for other in CUSTOMERS if other != slug]

    for statement in statements:
        assert statement["Effect"] == "Allow"
        granted = actions(statement)
        services = {action.split(":")[0] for action in granted}
        assert len(services) == 1, statement
        service = services.pop()
        if service == "dynamodb":
            assert sorted(granted) == sorted(STATE_ITEM_ACTIONS)
            assert statement["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}
            assert statement["Condition"] == {
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{slug}#*"]},
                "Null": {"dynamodb:LeadingKeys": "false"},
            }
        elif service == "s3":
            assert sorted(granted) == ["s3:GetObject", "s3:PutObject"]
            assert statement["Resource"] == {
                "Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, f"/{slug}/*"]]
            }
        elif service == "secretsmanager":
            assert statement["Resource"] == {"Ref": tokens_id}
        elif service == "logs":
            assert sorted(granted) == ["logs:CreateLogStream", "logs:PutLogEvents"]
        else:
            pytest.fail(f"unexpected grant to {slug}: {statement}")
        # Nothing anywhere in the statement names another customer.
        text = json.dumps(statement)
        assert all(f"/{other}/" not in text and f"{other}#" not in text for other in others)

    granted_services = {actions(s)[0].split(":")[0] for s in statements}
    assert granted_services == {"dynamodb", "s3", "secretsmanager", "logs"}


@pytest.mark.parametrize("stage", STAGES)
def test_media_role_has_the_bucket_and_the_tokens_but_no_call_state(
    synthesized: Synthesized, stage: str
) -> None:
    statements = role_statements(synthesized, stage, f"pivotkit-{stage}-media")
    granted = [action for statement in statements for action in actions(statement)]
    assert not [action for action in granted if action.startswith("dynamodb:")]
    assert {"s3:GetObject", "s3:PutObject", "s3:ListBucket"} <= set(granted)
    s3_actions = {action for action in granted if action.startswith("s3:")}
    assert s3_actions == {"s3:GetObject", "s3:PutObject", "s3:ListBucket"}
    secret_refs = {
        resource["Ref"]
        for statement in statements
        if actions(statement)[0].startswith("secretsmanager:")
        for resource in resources(statement)
    }
    all_tokens = {
        k
        for k, v in synthesized.resources(stage, "AWS::SecretsManager::Secret").items()
        if v["Properties"]["Name"].endswith("/tokens")
    }
    assert secret_refs == all_tokens


@pytest.mark.parametrize("stage", STAGES)
def test_api_gateway_may_invoke_each_alias_only_through_its_routes(
    synthesized: Synthesized, stage: str
) -> None:
    permissions = synthesized.resources(stage, "AWS::Lambda::Permission").values()
    aliases = synthesized.resources(stage, "AWS::Lambda::Alias")
    for slug in CUSTOMERS:
        function_id, _ = synthesized.function(stage, f"pivotkit-{stage}-{slug}")
        alias_id = next(
            k for k, v in aliases.items() if v["Properties"]["FunctionName"] == {"Ref": function_id}
        )
        source_paths = sorted(
            p["Properties"]["SourceArn"]["Fn::Join"][1][-1]
            for p in permissions
            if p["Properties"]["FunctionName"] == {"Ref": alias_id}
        )
        assert source_paths == sorted(
            f"/*/*/pivot/{slug}{suffix}"
            for suffix in ("", "", "/{proxy+}", "/{proxy+}")  # GET and POST of each route
        )
    for permission in permissions:
        assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
