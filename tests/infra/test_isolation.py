"""Isolation end to end, read from every synthesized template.

For every Lambda function of every stack: which customer's code it holds and runs, and,
action by action and resource by resource, which customer's DynamoDB items, S3 objects,
secret and log group its role reaches (``tests.infra.policy`` evaluates the role's
statements as IAM does). Every customer function must reach its own customer's and nothing
of anyone else's; the platform's only function (dev's bucket-emptying custom resource) runs
no customer code at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from infra.customer_stack import (
    FAILURE_QUEUE_ACTIONS,
    LOG_ACTIONS,
    MEDIA_OBJECT_ACTIONS,
    SECRET_ACTIONS,
    SELF_INVOKE_ACTIONS,
    STATE_ITEM_ACTIONS,
)
from pivotkit.shared import Kind, shared_partition_key
from pivotkit.state import CallKey
from pivotkit.work import job_key
from tests.infra.conftest import CUSTOMERS, Synthesized, resources_of, the_function
from tests.infra.policy import (
    ACCOUNT,
    REGION,
    Policy,
    Request,
    media_bucket_arn,
    render,
    state_table_arn,
)

pytestmark = pytest.mark.slow
STAGES = ("dev", "prod")
SHARED_KINDS: tuple[Kind, ...] = ("counter", "value", "line")
ACCOUNT_ID = "4b1c0e9d2a3f4e5d6c7b8a9f0e1d2c3b"
# Every action a customer role is granted, and nothing else.
GRANTED = {
    *LOG_ACTIONS,
    *STATE_ITEM_ACTIONS,
    *MEDIA_OBJECT_ACTIONS,
    *SECRET_ACTIONS,
    *SELF_INVOKE_ACTIONS,
    *FAILURE_QUEUE_ACTIONS,
}
# What a hostile customer would try beyond that: enumerate, delete, escalate.
NEVER = (
    "dynamodb:Scan",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:DescribeTable",
    "s3:ListBucket",
    "s3:DeleteObject",
    "s3:GetObjectVersion",
    "s3:PutBucketPolicy",
    "secretsmanager:ListSecrets",
    "secretsmanager:PutSecretValue",
    "kms:Decrypt",
    "lambda:InvokeAsync",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateAlias",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:PurgeQueue",
    "sqs:ListQueues",
    "iam:PassRole",
    "sts:AssumeRole",
    "logs:CreateLogGroup",
)


def customer_role(synthesized: Synthesized, stage: str, slug: str) -> Policy:
    template = synthesized.customer(stage, slug)
    role_id = the_function(template)["Role"]["Fn::GetAtt"][0]
    role = template["Resources"][role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]
    return Policy.of_role(template, role_id)


def secret_arn(synthesized: Synthesized, stage: str, slug: str) -> str:
    """The customer's credentials secret (its seed)."""
    return _secret_named(synthesized, stage, slug, f"pivotkit-{stage}/{slug}/credentials")


def own_secrets_arn(synthesized: Synthesized, stage: str, slug: str) -> str:
    """The secret of the customer's declared secrets (``call.secrets``)."""
    return _secret_named(synthesized, stage, slug, f"pivotkit-{stage}/{slug}/secrets")


def secret_arns(synthesized: Synthesized, stage: str, slug: str) -> list[str]:
    """Every secret the customer's stack holds."""
    template = synthesized.customer(stage, slug)
    return [
        render({"Ref": secret_id}, template)
        for secret_id in resources_of(template, "AWS::SecretsManager::Secret")
    ]


def _secret_named(synthesized: Synthesized, stage: str, slug: str, name: str) -> str:
    template = synthesized.customer(stage, slug)
    (secret_id,) = [
        logical_id
        for logical_id, secret in resources_of(template, "AWS::SecretsManager::Secret").items()
        if secret["Properties"]["Name"] == name
    ]
    return render({"Ref": secret_id}, template)


def log_group_arn(synthesized: Synthesized, stage: str, slug: str) -> str:
    template = synthesized.customer(stage, slug)
    (group_id,) = resources_of(template, "AWS::Logs::LogGroup")
    return render({"Fn::GetAtt": [group_id, "Arn"]}, template)


def function_arn(stage: str, slug: str, qualifier: str | None = "live") -> str:
    """A customer function's ARN as Lambda builds it (its alias's, by default)."""
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:pivotkit-{stage}-{slug}"
    return arn if qualifier is None else f"{arn}:{qualifier}"


def failures_queue_arn(stage: str, slug: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:pivotkit-{stage}-{slug}-failures"


def targets(slug: str) -> list[str]:
    """Whose data to probe from ``slug``'s role: every customer, plus names built to slip
    through a careless pattern (a longer slug sharing the prefix, a lookalike)."""
    return [*CUSTOMERS, f"{slug}x", f"{slug}_evil", "initech"]


def probes(synthesized: Synthesized, stage: str, owner: str) -> Iterator[tuple[Request, bool]]:
    """(request, whether ``owner``'s role may make it) for every granted action against
    every target's resources, and for every never-granted action against everything."""
    table, bucket = state_table_arn(stage), media_bucket_arn(stage)
    for target in targets(owner):
        own = target == owner
        key = f"{target}#{ACCOUNT_ID}#call-1@10.0.0.5"
        # call.shared's items, keyed as the kit keys them: the same prefix confines them.
        shared_keys = [shared_partition_key(target, kind, "waiting") for kind in SHARED_KINDS]
        # call.work's job records, keyed as the kit keys them.
        shared_keys.append(job_key(CallKey(target, ACCOUNT_ID, "call-1@10.0.0.5"), "0" * 16))
        for action in STATE_ITEM_ACTIONS:
            yield Request(action, table, {"dynamodb:LeadingKeys": [key]}), own
            for shared_key in shared_keys:
                yield Request(action, table, {"dynamodb:LeadingKeys": [shared_key]}), own
            # A batch of keys is allowed only if every one is the owner's.
            mixed = [f"{owner}#{ACCOUNT_ID}#c", key]
            yield Request(action, table, {"dynamodb:LeadingKeys": mixed}), own
            yield Request(action, f"{table}-other", {"dynamodb:LeadingKeys": [key]}), False
        for action in MEDIA_OBJECT_ACTIONS:
            yield Request(action, f"{bucket}/{target}/{ACCOUNT_ID}/rec.mp3"), own
            yield Request(action, f"{bucket}/{target}"), False  # the prefix is not an object
        if target in CUSTOMERS:
            for action in SECRET_ACTIONS:
                for arn in secret_arns(synthesized, stage, target):
                    yield Request(action, arn), own
            for action in LOG_ACTIONS:
                yield Request(action, log_group_arn(synthesized, stage, target)), own
        # Work after the answer: the function invokes its own alias, and its failed runs
        # land in its own queue; nobody else's function or queue.
        for action in SELF_INVOKE_ACTIONS:
            yield Request(action, function_arn(stage, target)), own
            yield Request(action, function_arn(stage, target, None)), False  # $LATEST
            yield Request(action, function_arn(stage, target, "1")), False  # a version
        for action in FAILURE_QUEUE_ACTIONS:
            yield Request(action, failures_queue_arn(stage, target)), own
    for action in STATE_ITEM_ACTIONS:
        yield Request(action, table), False  # no leading keys: a scan in disguise
    for action in NEVER:
        for resource in (table, bucket, f"{bucket}/{owner}/x", "*"):
            key_context = {"dynamodb:LeadingKeys": [f"{owner}#{ACCOUNT_ID}#c"]}
            yield Request(action, resource, key_context), False


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("slug", CUSTOMERS)
def test_a_customer_role_reaches_its_own_data_and_nothing_else(
    synthesized: Synthesized, stage: str, slug: str
) -> None:
    policy = customer_role(synthesized, stage, slug)
    assert policy.actions == GRANTED
    assert all(s.effect == "Allow" for s in policy.statements)
    wrong = [
        (request, expected)
        for request, expected in probes(synthesized, stage, slug)
        if policy.allows(request) is not expected
    ]
    assert wrong == []


@pytest.mark.parametrize("stage", STAGES)
def test_no_function_holds_or_runs_more_than_one_customer(
    synthesized: Synthesized, stage: str
) -> None:
    for slug in CUSTOMERS:
        template = synthesized.customer(stage, slug)
        function = the_function(template)  # exactly one function per customer stack
        variables = function["Environment"]["Variables"]
        assert variables["PIVOTKIT_CUSTOMER"] == slug
        secrets = variables["PIVOTKIT_TOKENS_SECRETS"]
        assert slug in render(secrets, template) and all(
            other not in render(secrets, template) for other in CUSTOMERS if other != slug
        )
    # The platform's functions are CDK's own Node.js providers (dev: emptying the buckets on
    # destroy), which run no Python, hence no customer code.
    platform = synthesized.platform(stage)
    for function in resources_of(platform, "AWS::Lambda::Function").values():
        properties: dict[str, Any] = function["Properties"]
        assert str(properties["Runtime"]).startswith("nodejs"), properties
        assert "Environment" not in properties
    assert all(slug not in str(platform) for slug in CUSTOMERS)


@pytest.mark.parametrize("stage", STAGES)
def test_a_customers_own_secrets_are_readable_by_its_role_alone(
    synthesized: Synthesized, stage: str
) -> None:
    """globex_west declares a secret, so its stack holds a second secret; of every role in
    every customer stack of the stage, its own role alone may read it (and nobody may write
    it: the operator sets it with put-secret-value, the function only reads). The platform's
    one role is CDK's bucket-emptying provider, whose template names no customer at all
    (test_no_function_holds_or_runs_more_than_one_customer)."""
    target = own_secrets_arn(synthesized, stage, VICTIM)
    stacks = [synthesized.customer_name(stage, slug) for slug in CUSTOMERS]
    readers, writers = [], []
    for stack in stacks:
        template = synthesized.templates[stack]
        for role_id in resources_of(template, "AWS::IAM::Role"):
            policy = Policy.of_role(template, role_id)
            if policy.allows(Request("secretsmanager:GetSecretValue", target)):
                readers.append(stack)
            if policy.allows(Request("secretsmanager:PutSecretValue", target)):
                writers.append(stack)
    assert readers == [synthesized.customer_name(stage, VICTIM)]
    assert writers == []
    # acme declares no secret: no second secret, no PIVOTKIT_SECRETS.
    assert len(secret_arns(synthesized, stage, "acme")) == 1
    acme = the_function(synthesized.customer(stage, "acme"))["Environment"]["Variables"]
    assert "PIVOTKIT_SECRETS" not in acme
    globex = synthesized.customer(stage, VICTIM)
    variables = the_function(globex)["Environment"]["Variables"]
    assert render(variables["PIVOTKIT_SECRETS"], globex) == f'{{"{VICTIM}":"{target}"}}'


@pytest.mark.parametrize("stage", STAGES)
def test_no_role_invokes_another_customers_function_or_writes_its_failure_queue(
    synthesized: Synthesized, stage: str
) -> None:
    """Of every role in every customer stack of the stage, a customer's own role alone may
    invoke its function (the alias its async self-invocations target) and send to its
    failure queue; and the stack points both at exactly those."""
    stacks = {slug: synthesized.customer_name(stage, slug) for slug in CUSTOMERS}
    for victim in CUSTOMERS:
        invokers, senders = [], []
        for stack in stacks.values():
            template = synthesized.templates[stack]
            for role_id in resources_of(template, "AWS::IAM::Role"):
                policy = Policy.of_role(template, role_id)
                if policy.allows(Request("lambda:InvokeFunction", function_arn(stage, victim))):
                    invokers.append(stack)
                if policy.allows(Request("sqs:SendMessage", failures_queue_arn(stage, victim))):
                    senders.append(stack)
        assert invokers == [stacks[victim]]
        assert senders == [stacks[victim]]
        template = synthesized.customer(stage, victim)
        variables = the_function(template)["Environment"]["Variables"]
        assert variables["PIVOTKIT_SELF_FUNCTION"] == f"pivotkit-{stage}-{victim}:live"
        (queue,) = resources_of(template, "AWS::SQS::Queue").values()
        (config,) = resources_of(template, "AWS::Lambda::EventInvokeConfig").values()
        destination = config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
        assert render(destination, template) == failures_queue_arn(stage, victim)
        assert queue["Properties"]["QueueName"] == f"pivotkit-{stage}-{victim}-failures"


@pytest.mark.parametrize("stage", STAGES)
def test_each_url_invokes_its_own_customer_function_only(
    synthesized: Synthesized, stage: str
) -> None:
    for slug in CUSTOMERS:
        template = synthesized.customer(stage, slug)
        (url,) = resources_of(template, "AWS::Lambda::Url").values()
        (function_id,) = resources_of(template, "AWS::Lambda::Function")
        assert url["Properties"]["TargetFunctionArn"] == {"Fn::GetAtt": [function_id, "Arn"]}
        (alias_id,) = resources_of(template, "AWS::Lambda::Alias")
        for permission in resources_of(template, "AWS::Lambda::Permission").values():
            properties = permission["Properties"]
            assert properties["FunctionName"] == {"Ref": alias_id}
            # Only through the URL: either the URL action itself or InvokeFunction via it.
            assert properties.get("FunctionUrlAuthType") == "NONE" or properties.get(
                "InvokedViaFunctionUrl"
            )


# --- a hostile on_media_stored hook --------------------------------------------------------
# acme's package (tests/infra/conftest.py) ships a hook that, when a recording is stored,
# tries what the issue saw the shared media function do: read the other customer's
# credentials, list and read its objects, and read its calls' state. The hook runs in acme's
# function, with acme's role; this is what that role lets it do.

HOSTILE = "acme"
VICTIM = "globex_west"


def hook_attempts(synthesized: Synthesized, stage: str) -> dict[str, tuple[Request, bool]]:
    """What the hook tries, and whether the role should let it."""
    table, bucket = state_table_arn(stage), media_bucket_arn(stage)
    victim_key = {"dynamodb:LeadingKeys": [f"{VICTIM}#{ACCOUNT_ID}#call-9"]}
    own_key = {"dynamodb:LeadingKeys": [f"{HOSTILE}#{ACCOUNT_ID}#call-1"]}
    victim_object = f"{bucket}/{VICTIM}/{ACCOUNT_ID}/voicemail.mp3"
    return {
        "read the victim's credentials seed": (
            Request("secretsmanager:GetSecretValue", secret_arn(synthesized, stage, VICTIM)),
            False,
        ),
        "list the bucket (the victim's keys)": (
            Request("s3:ListBucket", bucket, {"s3:prefix": [f"{VICTIM}/"]}),
            False,
        ),
        "read the victim's recording": (Request("s3:GetObject", victim_object), False),
        "overwrite the victim's recording": (Request("s3:PutObject", victim_object), False),
        "delete its own recording": (
            Request("s3:DeleteObject", f"{bucket}/{HOSTILE}/{ACCOUNT_ID}/x.mp3"),
            False,
        ),
        "read the victim's call state": (Request("dynamodb:GetItem", table, victim_key), False),
        "scan the table": (Request("dynamodb:Scan", table), False),
        "write the victim's logs": (
            Request("logs:PutLogEvents", log_group_arn(synthesized, stage, VICTIM)),
            False,
        ),
        "read the victim's own secrets (its API keys)": (
            Request("secretsmanager:GetSecretValue", own_secrets_arn(synthesized, stage, VICTIM)),
            False,
        ),
        "read its own credentials seed": (
            Request("secretsmanager:GetSecretValue", secret_arn(synthesized, stage, HOSTILE)),
            True,
        ),
        "read its own recording": (
            Request("s3:GetObject", f"{bucket}/{HOSTILE}/{ACCOUNT_ID}/rec.mp3"),
            True,
        ),
        "update its own call state": (Request("dynamodb:UpdateItem", table, own_key), True),
    }


@pytest.mark.parametrize("stage", STAGES)
def test_a_hostile_media_hook_reaches_only_its_own_customer(
    synthesized: Synthesized, stage: str
) -> None:
    policy = customer_role(synthesized, stage, HOSTILE)
    outcome = {
        what: policy.allows(request)
        for what, (request, _) in hook_attempts(synthesized, stage).items()
    }
    expected = {what: allowed for what, (_, allowed) in hook_attempts(synthesized, stage).items()}
    assert outcome == expected


def test_the_hostile_hook_ships_in_its_own_customer_function_only(
    synthesized: Synthesized,
) -> None:
    from infra.asset_sizes import lambda_assets

    shipped = {
        name: {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
        for stage, kind, name, path in lambda_assets(synthesized.outdir)
        if kind == "function" and stage.startswith("pivotkit-dev-")
    }
    hook = f"customers/{HOSTILE}/hooks.py"
    assert hook in shipped[f"pivotkit-dev-{HOSTILE}"]
    assert hook not in shipped[f"pivotkit-dev-{VICTIM}"]
