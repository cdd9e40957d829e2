"""What the platform stack and each customer's stack deploy, read from the templates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.customer_stack import HANDLER, MEMORY_MB, TIMEOUT
from infra.platform_parameters import ALL as PLATFORM_PARAMETERS
from infra.state_table import PARTITION_KEY, TTL_ATTRIBUTE
from tests.infra.conftest import CUSTOMERS, Synthesized, resources_of, the_function
from tests.infra.policy import render

pytestmark = pytest.mark.slow
STAGES = ("dev", "prod")


# --- platform: storage ---------------------------------------------------------------------
# --- storage -------------------------------------------------------------------------------


@pytest.mark.parametrize(("stage", "deletion"), [("dev", "Delete"), ("prod", "Retain")])
def test_call_state_table(synthesized: Synthesized, stage: str, deletion: str) -> None:
    template = synthesized.template(f"pivotkit-{stage}")
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
        for bucket in synthesized.resources(f"pivotkit-{stage}", "AWS::S3::Bucket").values()
        if bucket["Properties"].get("VersioningConfiguration")
    ]
    assert len(buckets) == 1
    return buckets[0]


@pytest.mark.parametrize("stage", STAGES)
def test_both_buckets_are_private_encrypted_and_tls_only(
    synthesized: Synthesized, stage: str
) -> None:
    template = synthesized.template(f"pivotkit-{stage}")
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
    policies = synthesized.resources(f"pivotkit-{stage}", "AWS::S3::BucketPolicy").values()
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
    synthesized.template("pivotkit-dev").resource_count_is("Custom::S3AutoDeleteObjects", 2)
    synthesized.template("pivotkit-prod").resource_count_is("Custom::S3AutoDeleteObjects", 0)
    for bucket in synthesized.resources("pivotkit-prod", "AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Retain"


# --- tokens --------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_the_platform_publishes_its_values_for_the_customer_stacks(
    synthesized: Synthesized, stage: str
) -> None:
    platform = synthesized.platform(stage)
    published = {
        p["Properties"]["Name"]: p["Properties"]["Value"]
        for p in resources_of(platform, "AWS::SSM::Parameter").values()
    }
    assert set(published) == {f"/pivotkit-{stage}/platform/{key}" for key in PLATFORM_PARAMETERS}
    (layer_id,) = resources_of(platform, "AWS::Lambda::LayerVersion")
    assert published[f"/pivotkit-{stage}/platform/dependency-layer-arn"] == {"Ref": layer_id}
    assert "Outputs" in platform and not any("Export" in o for o in platform["Outputs"].values())
    synthesized.template(f"pivotkit-{stage}").has_resource_properties(
        "AWS::Lambda::LayerVersion",
        {"CompatibleRuntimes": ["python3.13"], "CompatibleArchitectures": ["arm64"]},
    )
    # Each customer reads them (and nothing from the platform by export).
    for slug in CUSTOMERS:
        template = synthesized.customer(stage, slug)
        read = {
            p["Default"]
            for p in template["Parameters"].values()
            if "SSM" in p["Type"] and "/platform/" in p["Default"]
        }
        assert read == set(published)
        assert "Fn::ImportValue" not in json.dumps(template)


# --- a customer's stack --------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("slug", CUSTOMERS)
def test_one_function_per_customer_on_the_platform_layer(
    synthesized: Synthesized, stage: str, slug: str
) -> None:
    template = synthesized.customer(stage, slug)
    properties = the_function(template)
    assert properties["FunctionName"] == f"pivotkit-{stage}-{slug}"
    assert properties["Handler"] == HANDLER
    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["arm64"]
    assert properties["MemorySize"] == MEMORY_MB
    assert properties["Timeout"] == TIMEOUT.to_seconds()
    assert properties["LoggingConfig"]["LogFormat"] == "JSON"
    (layer,) = properties["Layers"]
    assert render(layer, template).startswith("arn:aws:lambda:")  # the SSM-published layer
    group = template["Resources"][properties["LoggingConfig"]["LogGroup"]["Ref"]]
    assert group["Properties"]["LogGroupName"] == f"/aws/lambda/pivotkit-{stage}-{slug}"
    assert group["Properties"]["RetentionInDays"] == {"dev": 14, "prod": 90}[stage]
    # `pivotkit calls --stage` finds the journal through this output.
    log_group_id = properties["LoggingConfig"]["LogGroup"]["Ref"]
    assert template["Outputs"]["LogGroupName"]["Value"] == {"Ref": log_group_id}
    assert group["DeletionPolicy"] == {"dev": "Delete", "prod": "Retain"}[stage]
    variables = properties["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == f"pivotkit-{slug}"
    assert render(variables["PIVOTKIT_STATE_TABLE"], template).startswith(f"pivotkit-{stage}-")
    assert render(variables["PIVOTKIT_MEDIA_BUCKET"], template).startswith(f"pivotkit-{stage}-")
    assert "PIVOTKIT_PUBLIC_URL" not in variables  # the Function URL's host is the base URL


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("slug", CUSTOMERS)
def test_one_generated_secret_per_customer_whose_value_is_never_in_the_template(
    synthesized: Synthesized, stage: str, slug: str
) -> None:
    template = synthesized.customer(stage, slug)
    ((secret_id, secret),) = [
        (logical_id, secret)
        for logical_id, secret in resources_of(template, "AWS::SecretsManager::Secret").items()
        if secret["Properties"]["Name"] == f"pivotkit-{stage}/{slug}/credentials"
    ]
    assert secret["Properties"]["GenerateSecretString"] == {
        "SecretStringTemplate": "{}",
        "GenerateStringKey": "seed",
        "PasswordLength": 40,
        "ExcludePunctuation": True,
        "IncludeSpace": False,
    }
    assert "SecretString" not in secret["Properties"]
    assert secret["DeletionPolicy"] == {"dev": "Delete", "prod": "Retain"}[stage]
    variables = the_function(template)["Environment"]["Variables"]
    assert json.loads(render(variables["PIVOTKIT_TOKENS_SECRETS"], template)) == {
        slug: render({"Ref": secret_id}, template)
    }


@pytest.mark.parametrize("stage", STAGES)
def test_a_customer_that_declares_secrets_gets_an_empty_secret_for_them(
    synthesized: Synthesized, stage: str
) -> None:
    """globex_west declares crm_api_key: a second secret, created with no value at all (no
    SecretString, no GenerateSecretString), so no deployment can overwrite what the operator
    stored; the function is told its ARN and the stack outputs it for put-secret-value."""
    template = synthesized.customer(stage, "globex_west")
    ((secret_id, secret),) = [
        (logical_id, secret)
        for logical_id, secret in resources_of(template, "AWS::SecretsManager::Secret").items()
        if secret["Properties"]["Name"] == f"pivotkit-{stage}/globex_west/secrets"
    ]
    assert {"GenerateSecretString", "SecretString"}.isdisjoint(secret["Properties"])
    assert "crm_api_key" in secret["Properties"]["Description"]
    assert secret["DeletionPolicy"] == {"dev": "Delete", "prod": "Retain"}[stage]
    variables = the_function(template)["Environment"]["Variables"]
    arn = render({"Ref": secret_id}, template)
    assert json.loads(render(variables["PIVOTKIT_SECRETS"], template)) == {"globex_west": arn}
    assert variables["PIVOTKIT_STAGE"] == stage
    assert render(template["Outputs"]["SecretsArn"]["Value"], template) == arn
    acme = synthesized.customer(stage, "acme")
    assert "SecretsArn" not in acme["Outputs"]
    assert the_function(acme)["Environment"]["Variables"]["PIVOTKIT_STAGE"] == stage


@pytest.mark.parametrize("stage", STAGES)
def test_the_url_is_public_https_on_the_live_alias_and_the_outputs_give_its_urls(
    synthesized: Synthesized, stage: str
) -> None:
    for slug in CUSTOMERS:
        template = synthesized.customer(stage, slug)
        ((url_id, url),) = resources_of(template, "AWS::Lambda::Url").items()
        assert url["Properties"]["AuthType"] == "NONE"
        assert url["Properties"]["Qualifier"] == "live"
        assert "Cors" not in url["Properties"]  # Kazoo is no browser
        outputs = template["Outputs"]
        base = {"Fn::GetAtt": [url_id, "FunctionUrl"]}
        assert outputs["VoiceUrl"]["Value"] == {"Fn::Join": ["", [base, f"pivot/{slug}"]]}
        assert outputs["MediaUrl"]["Value"] == {"Fn::Join": ["", [base, f"media/{slug}"]]}
        # The token is derived from the secret; neither is ever an output.
        assert all("seed" not in json.dumps(o["Value"]) for o in outputs.values())


def test_reserved_concurrency_is_every_customer_s_flood_limit(synthesized: Synthesized) -> None:
    """dev: acme reserved 5 and provisioned 2 by context, globex_west the default 10."""
    acme = synthesized.customer("dev", "acme")
    assert the_function(acme)["ReservedConcurrentExecutions"] == 5
    (alias,) = resources_of(acme, "AWS::Lambda::Alias").values()
    assert alias["Properties"]["ProvisionedConcurrencyConfig"] == {
        "ProvisionedConcurrentExecutions": 2
    }
    globex = synthesized.customer("dev", "globex_west")
    assert the_function(globex)["ReservedConcurrentExecutions"] == 10
    (alias,) = resources_of(globex, "AWS::Lambda::Alias").values()
    assert "ProvisionedConcurrencyConfig" not in alias["Properties"]


@pytest.mark.parametrize("stage", STAGES)
def test_a_customer_stack_stays_small(synthesized: Synthesized, stage: str) -> None:
    for slug in CUSTOMERS:
        resources: dict[str, Any] = synthesized.customer(stage, slug)["Resources"]
        counted = [r for r in resources.values() if r["Type"] != "AWS::CDK::Metadata"]
        # 12, plus work after the answer: the failure queue, its TLS-only policy and the
        # alias's async invoke configuration.
        assert len(counted) <= 15, sorted(r["Type"] for r in counted)


@pytest.mark.parametrize("stage", STAGES)
def test_work_after_the_answer_is_retried_twice_then_dead_lettered_to_an_encrypted_queue(
    synthesized: Synthesized, stage: str
) -> None:
    """Background jobs and on_media_stored hooks run in the function's asynchronous
    invocation of its own live alias: a run that raises is retried twice, an event never
    waits longer than an hour, and then it lands in the customer's own failure queue, which
    keeps it 14 days, encrypted, reachable over TLS only."""
    for slug in CUSTOMERS:
        template = synthesized.customer(stage, slug)
        (alias_id,) = resources_of(template, "AWS::Lambda::Alias")
        (config,) = resources_of(template, "AWS::Lambda::EventInvokeConfig").values()
        properties = config["Properties"]
        # The alias's own qualifier (CDK selects it from the alias ARN).
        assert properties["Qualifier"] == {
            "Fn::Select": [7, {"Fn::Split": [":", {"Ref": alias_id}]}]
        }
        assert (properties["MaximumRetryAttempts"], properties["MaximumEventAgeInSeconds"]) == (
            2,
            3600,
        )
        (queue_id, queue), *_ = resources_of(template, "AWS::SQS::Queue").items()
        assert properties["DestinationConfig"]["OnFailure"]["Destination"] == {
            "Fn::GetAtt": [queue_id, "Arn"]
        }
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
        (policy,) = resources_of(template, "AWS::SQS::QueuePolicy").values()
        (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert deny["Effect"] == "Deny"
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
