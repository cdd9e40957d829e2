"""What the stack deploys, asserted on the synthesized dev and prod templates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.state_table import PARTITION_KEY, TTL_ATTRIBUTE
from tests.infra.conftest import CUSTOMERS, PROD_DOMAIN, Synthesized

pytestmark = pytest.mark.slow
STAGES = ("dev", "prod")


def render_join(value: Any) -> str:
    """An ``Fn::Join`` of strings and ``Ref``s as text, each ``Ref`` shown as ``<Ref:id>``."""
    if isinstance(value, str):
        return value
    separator, parts = value["Fn::Join"]
    return str(separator).join(p if isinstance(p, str) else f"<Ref:{p['Ref']}>" for p in parts)


def secret_named(synthesized: Synthesized, stage: str, name: str) -> str:
    return next(
        logical_id
        for logical_id, secret in synthesized.resources(
            stage, "AWS::SecretsManager::Secret"
        ).items()
        if secret["Properties"]["Name"] == name
    )


def names(stage: str) -> list[str]:
    return [f"pivotkit-{stage}-{slug}" for slug in CUSTOMERS] + [f"pivotkit-{stage}-media"]


# --- storage -------------------------------------------------------------------------------


@pytest.mark.parametrize(("stage", "deletion"), [("dev", "Delete"), ("prod", "Retain")])
def test_call_state_table(synthesized: Synthesized, stage: str, deletion: str) -> None:
    template = synthesized.template(stage)
    template.resource_count_is("AWS::DynamoDB::Table", 1)
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": deletion,
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": PARTITION_KEY, "AttributeType": "S"}],
                "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {"SSEEnabled": True},
                "DeletionProtectionEnabled": stage == "prod",
            },
        },
    )


def media_bucket(synthesized: Synthesized, stage: str) -> dict[str, Any]:
    buckets = [
        bucket
        for bucket in synthesized.resources(stage, "AWS::S3::Bucket").values()
        if bucket["Properties"].get("VersioningConfiguration")
    ]
    assert len(buckets) == 1
    return buckets[0]


@pytest.mark.parametrize("stage", STAGES)
def test_both_buckets_are_private_encrypted_and_tls_only(
    synthesized: Synthesized, stage: str
) -> None:
    template = synthesized.template(stage)
    template.resource_count_is("AWS::S3::Bucket", 2)
    template.all_resources_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
        },
    )
    policies = synthesized.resources(stage, "AWS::S3::BucketPolicy").values()
    assert len(policies) == 2
    for policy in policies:
        assert {
            "Action": "s3:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
        }.items() <= policy["Properties"]["PolicyDocument"]["Statement"][0].items()
    media = media_bucket(synthesized, stage)["Properties"]
    assert media["VersioningConfiguration"] == {"Status": "Enabled"}
    assert media["LoggingConfiguration"]["DestinationBucketName"]["Ref"].startswith(
        "MediaAccessLogs"
    )


def test_media_lifecycle_depends_on_the_stage(synthesized: Synthesized) -> None:
    dev = media_bucket(synthesized, "dev")["Properties"]["LifecycleConfiguration"]["Rules"]
    prod = media_bucket(synthesized, "prod")["Properties"]["LifecycleConfiguration"]["Rules"]
    assert dev[0]["ExpirationInDays"] == 30
    assert "Transitions" not in dev[0]
    assert prod[0]["ExpirationInDays"] == 365
    # Glacier *Instant Retrieval*: Kazoo GETs stored voicemail back without a restore step.
    assert prod[0]["Transitions"] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
        {"StorageClass": "GLACIER_IR", "TransitionInDays": 90},
    ]
    for rules in (dev, prod):
        assert rules[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
        assert rules[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 1


def test_dev_buckets_empty_themselves_on_destroy_and_prod_buckets_are_kept(
    synthesized: Synthesized,
) -> None:
    synthesized.template("dev").resource_count_is("Custom::S3AutoDeleteObjects", 2)
    synthesized.template("prod").resource_count_is("Custom::S3AutoDeleteObjects", 0)
    for bucket in synthesized.resources("prod", "AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Retain"


# --- tokens --------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_tokens_are_generated_not_written_in_the_template(
    synthesized: Synthesized, stage: str
) -> None:
    secrets = synthesized.resources(stage, "AWS::SecretsManager::Secret")
    assert len(secrets) == 2 * len(CUSTOMERS)
    for slug in CUSTOMERS:
        seed_id, seed = next(
            (k, v)
            for k, v in secrets.items()
            if v["Properties"]["Name"] == f"pivotkit-{stage}/{slug}/token-seed"
        )
        assert seed["Properties"]["GenerateSecretString"] == {
            "ExcludePunctuation": True,
            "IncludeSpace": False,
            "PasswordLength": 40,
        }
        tokens = next(
            v
            for v in secrets.values()
            if v["Properties"]["Name"] == f"pivotkit-{stage}/{slug}/tokens"
        )
        # {"tokens": ["<seed>"]}, the seed filled in by CloudFormation at deploy time.
        assert tokens["Properties"]["SecretString"] == {
            "Fn::Join": [
                "",
                [
                    '{"tokens": ["{{resolve:secretsmanager:',
                    {"Ref": seed_id},
                    ':SecretString:::}}"]}',
                ],
            ]
        }


# --- functions -----------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_one_function_per_customer_plus_media_on_one_platform(
    synthesized: Synthesized, stage: str
) -> None:
    layer_id = next(iter(synthesized.resources(stage, "AWS::Lambda::LayerVersion")))
    for name in names(stage):
        _, function = synthesized.function(stage, name)
        properties = function["Properties"]
        assert properties["Runtime"] == "python3.13"
        assert properties["Architectures"] == ["arm64"]
        assert properties["LoggingConfig"]["LogFormat"] == "JSON"
        group = synthesized.resources(stage, "AWS::Logs::LogGroup")[
            properties["LoggingConfig"]["LogGroup"]["Ref"]
        ]
        assert group["Properties"]["LogGroupName"] == f"/aws/lambda/{name}"
        assert properties["Layers"] == [{"Ref": layer_id}]
        assert properties["MemorySize"] == 1024
    synthesized.template(stage).has_resource_properties(
        "AWS::Lambda::LayerVersion",
        {"CompatibleRuntimes": ["python3.13"], "CompatibleArchitectures": ["arm64"]},
    )


def test_pivot_functions_stop_at_kazoos_five_seconds(synthesized: Synthesized) -> None:
    for slug in CUSTOMERS:
        _, function = synthesized.function("dev", f"pivotkit-dev-{slug}")
        assert function["Properties"]["Timeout"] == 5
        assert function["Properties"]["Handler"] == "functions.pivot.handler"
    _, media = synthesized.function("dev", "pivotkit-dev-media")
    assert media["Properties"]["Handler"] == "functions.media.handler"
    assert 5 < media["Properties"]["Timeout"] < 29


@pytest.mark.parametrize("stage", STAGES)
def test_function_environment(synthesized: Synthesized, stage: str) -> None:
    table_id = next(iter(synthesized.resources(stage, "AWS::DynamoDB::Table")))
    for slug in CUSTOMERS:
        _, function = synthesized.function(stage, f"pivotkit-{stage}-{slug}")
        env = function["Properties"]["Environment"]["Variables"]
        expected = {
            "PIVOTKIT_CUSTOMER",
            "PIVOTKIT_STATE_TABLE",
            "PIVOTKIT_MEDIA_BUCKET",
            "PIVOTKIT_TOKENS_SECRETS",
            "POWERTOOLS_SERVICE_NAME",
            "POWERTOOLS_METRICS_NAMESPACE",
        }
        if stage == "prod":
            expected.add("PIVOTKIT_PUBLIC_URL")
            assert env["PIVOTKIT_PUBLIC_URL"] == f"https://{PROD_DOMAIN}"
        assert set(env) == expected
        assert env["PIVOTKIT_CUSTOMER"] == slug
        assert env["PIVOTKIT_STATE_TABLE"] == {"Ref": table_id}
        assert env["POWERTOOLS_SERVICE_NAME"] == f"pivotkit-{slug}"
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "pivotkit"
        # Only this customer's secret: {"<slug>": "<arn>"}.
        own_secret = secret_named(synthesized, stage, f"pivotkit-{stage}/{slug}/tokens")
        assert json.loads(render_join(env["PIVOTKIT_TOKENS_SECRETS"])) == {
            slug: f"<Ref:{own_secret}>"
        }

    _, media = synthesized.function(stage, f"pivotkit-{stage}-media")
    env = media["Properties"]["Environment"]["Variables"]
    assert "PIVOTKIT_CUSTOMER" not in env
    assert "PIVOTKIT_STATE_TABLE" not in env
    assert env["POWERTOOLS_SERVICE_NAME"] == "pivotkit-media"
    assert json.loads(render_join(env["PIVOTKIT_TOKENS_SECRETS"])) == {
        slug: f"<Ref:{secret_named(synthesized, stage, f'pivotkit-{stage}/{slug}/tokens')}>"
        for slug in CUSTOMERS
    }
    assert ("PIVOTKIT_PUBLIC_URL" in env) == (stage == "prod")


@pytest.mark.parametrize("stage", STAGES)
def test_function_logs_have_retention_by_stage(synthesized: Synthesized, stage: str) -> None:
    days = {"dev": 14, "prod": 90}[stage]
    groups = synthesized.resources(stage, "AWS::Logs::LogGroup")
    named = {g["Properties"].get("LogGroupName"): g for g in groups.values()}
    for name in names(stage):
        group = named[f"/aws/lambda/{name}"]
        assert group["Properties"]["RetentionInDays"] == days
        assert group["DeletionPolicy"] == ("Retain" if stage == "prod" else "Delete")
    assert all(g["Properties"]["RetentionInDays"] == days for g in groups.values())


def test_concurrency_options_apply_to_the_named_customer_only(synthesized: Synthesized) -> None:
    acme_id, acme = synthesized.function("dev", "pivotkit-dev-acme")
    globex_id, globex = synthesized.function("dev", "pivotkit-dev-globex_west")
    assert acme["Properties"]["ReservedConcurrentExecutions"] == 5
    assert "ReservedConcurrentExecutions" not in globex["Properties"]
    aliases = {
        alias["Properties"]["FunctionName"]["Ref"]: alias["Properties"]
        for alias in synthesized.resources("dev", "AWS::Lambda::Alias").values()
    }
    assert aliases[acme_id]["ProvisionedConcurrencyConfig"] == {
        "ProvisionedConcurrentExecutions": 2
    }
    assert "ProvisionedConcurrencyConfig" not in aliases[globex_id]
    assert all(alias["Name"] == "live" for alias in aliases.values())
    for slug in CUSTOMERS:
        _, prod_function = synthesized.function("prod", f"pivotkit-prod-{slug}")
        assert "ReservedConcurrentExecutions" not in prod_function["Properties"]


# --- HTTP API ------------------------------------------------------------------------------


def alias_of(synthesized: Synthesized, stage: str, function_name: str) -> str:
    function_id, _ = synthesized.function(stage, function_name)
    return next(
        alias_id
        for alias_id, alias in synthesized.resources(stage, "AWS::Lambda::Alias").items()
        if alias["Properties"]["FunctionName"] == {"Ref": function_id}
    )


@pytest.mark.parametrize("stage", STAGES)
def test_routes_reach_the_right_function_alias(synthesized: Synthesized, stage: str) -> None:
    integrations = synthesized.resources(stage, "AWS::ApiGatewayV2::Integration")
    routes = synthesized.resources(stage, "AWS::ApiGatewayV2::Route").values()
    target_of: dict[str, Any] = {}
    for route in routes:
        integration_id = route["Properties"]["Target"]["Fn::Join"][1][1]["Ref"]
        target_of[route["Properties"]["RouteKey"]] = integrations[integration_id]["Properties"]

    expected: dict[str, str] = {}
    for slug in CUSTOMERS:
        for method in ("GET", "POST"):
            for path in (f"/pivot/{slug}", f"/pivot/{slug}/{{proxy+}}"):
                expected[f"{method} {path}"] = alias_of(
                    synthesized, stage, f"pivotkit-{stage}-{slug}"
                )
    for method in ("GET", "PUT", "POST"):
        for path in ("/media/{customer}", "/media/{customer}/{proxy+}"):
            expected[f"{method} {path}"] = alias_of(synthesized, stage, f"pivotkit-{stage}-media")

    assert set(target_of) == set(expected)
    for route_key, alias_id in expected.items():
        integration = target_of[route_key]
        assert integration["IntegrationUri"] == {"Ref": alias_id}, route_key
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert integration["PayloadFormatVersion"] == "2.0"
        pivot = route_key.split()[1].startswith("/pivot/")
        assert integration["TimeoutInMillis"] == (6000 if pivot else 25000)


@pytest.mark.parametrize("stage", STAGES)
def test_stage_throttles_and_writes_json_access_logs_without_tokens(
    synthesized: Synthesized, stage: str
) -> None:
    stages = list(synthesized.resources(stage, "AWS::ApiGatewayV2::Stage").values())
    assert len(stages) == 1
    properties = stages[0]["Properties"]
    assert properties["StageName"] == "$default"
    assert properties["AutoDeploy"] is True
    assert properties["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": 200,
        "ThrottlingRateLimit": 100,
    }
    log_group_id = properties["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    log_group = synthesized.resources(stage, "AWS::Logs::LogGroup")[log_group_id]
    assert log_group["Properties"]["RetentionInDays"] in (14, 90)
    access_format = json.loads(properties["AccessLogSettings"]["Format"])
    assert access_format["requestId"] == "$context.requestId"
    assert access_format["status"] == "$context.status"
    assert access_format["routeKey"] == "$context.routeKey"
    # Paths and query strings carry tokens; the access log never records them.
    logged = " ".join(access_format.values())
    assert "$context.path" not in logged
    assert "querystring" not in logged.lower()


def test_custom_domain_only_when_configured(synthesized: Synthesized) -> None:
    dev, prod = synthesized.template("dev"), synthesized.template("prod")
    dev.resource_count_is("AWS::ApiGatewayV2::DomainName", 0)
    prod.has_resource_properties(
        "AWS::ApiGatewayV2::DomainName",
        {
            "DomainName": PROD_DOMAIN,
            "DomainNameConfigurations": [
                Match.object_like({"SecurityPolicy": "TLS_1_2", "EndpointType": "REGIONAL"})
            ],
        },
    )
    prod.resource_count_is("AWS::ApiGatewayV2::ApiMapping", 1)
    prod.has_resource_properties(
        "AWS::Route53::RecordSet",
        {"Name": f"{PROD_DOMAIN}.", "Type": "A", "HostedZoneId": "Z0123456789ABCDEFGHIJ"},
    )


# --- outputs -------------------------------------------------------------------------------


def test_outputs_per_customer(synthesized: Synthesized) -> None:
    prod = synthesized.templates["prod"]["Outputs"]
    assert prod["AcmeVoiceUrl"]["Value"] == f"https://{PROD_DOMAIN}/pivot/acme"
    assert prod["GlobexWestVoiceUrl"]["Value"] == f"https://{PROD_DOMAIN}/pivot/globex_west"
    assert prod["AcmeMediaUrl"]["Value"] == f"https://{PROD_DOMAIN}/media/acme"
    assert "token" in prod["AcmeVoiceUrl"]["Description"]

    dev = synthesized.templates["dev"]["Outputs"]
    api_id = next(iter(synthesized.resources("dev", "AWS::ApiGatewayV2::Api")))
    assert dev["AcmeVoiceUrl"]["Value"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [api_id, "ApiEndpoint"]}, "/pivot/acme"]]
    }
    for outputs, stage in ((dev, "dev"), (prod, "prod")):
        for slug, name in (("acme", "Acme"), ("globex_west", "GlobexWest")):
            secret_ref = outputs[f"{name}TokensSecret"]["Value"]["Ref"]
            secret = synthesized.resources(stage, "AWS::SecretsManager::Secret")[secret_ref]
            assert secret["Properties"]["Name"] == f"pivotkit-{stage}/{slug}/tokens"
            assert "get-secret-value" in outputs[f"{name}TokensSecret"]["Description"]
        assert {"ApiUrl", "StateTableName", "MediaBucketName", "AlarmTopicArn"} <= set(outputs)
