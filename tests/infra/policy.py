"""A small IAM policy evaluator for the synthesized templates: enough of IAM to prove, action
by action and resource by resource, what a role may and may not do.

``render`` turns a template value (``Fn::Join``, ``Ref``, ``Fn::GetAtt``) into the ARN it
becomes at deployment, with fixed test values for the account, the region and the platform's
SSM parameters, so a role's resources compare with the ARNs of any stack's resources.
``Policy.allows`` applies IAM's rules for identity policies: a request is allowed when an
``Allow`` statement matches its action, resource and every condition, and no ``Deny``
statement matches. Anything this evaluator does not understand (an unknown intrinsic, a
condition operator it does not implement, ``NotAction``) raises instead of guessing, so a
policy it cannot judge fails the test rather than passing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

PARTITION = "aws"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
# What the platform's SSM parameters hold once the platform stack is deployed.
PLATFORM_VALUES = {
    "state-table-name": "pivotkit-STAGE-statetable1a2b3c",
    "media-bucket-name": "pivotkit-STAGE-mediabucket4d5e6f",
    "dependency-layer-arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:1",
    "alarm-topic-arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:pivotkit-STAGE-alarms",
}
PSEUDO = {"AWS::Partition": PARTITION, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}


class Unjudgeable(ValueError):
    """A template value or policy element this evaluator does not implement."""


def platform_value(ssm_name: str) -> str:
    """``/pivotkit-dev/platform/state-table-name`` -> the deployed table's name."""
    match = re.fullmatch(r"/pivotkit-(\w+)/platform/([a-z-]+)", ssm_name)
    if match is None or match.group(2) not in PLATFORM_VALUES:
        raise Unjudgeable(f"unknown platform parameter {ssm_name!r}")
    return PLATFORM_VALUES[match.group(2)].replace("STAGE", match.group(1))


def state_table_arn(stage: str) -> str:
    name = platform_value(f"/pivotkit-{stage}/platform/state-table-name")
    return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def media_bucket_arn(stage: str) -> str:
    return f"arn:{PARTITION}:s3:::{platform_value(f'/pivotkit-{stage}/platform/media-bucket-name')}"


def render(value: Any, template: Mapping[str, Any]) -> str:
    """The string ``value`` becomes in the deployed stack of ``template``."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(render(part, template) for part in parts)
        if function == "Ref":
            return _ref(str(argument), template)
        if function == "Fn::GetAtt":
            logical_id, attribute = argument
            return _get_att(str(logical_id), str(attribute), template)
    raise Unjudgeable(f"cannot render {value!r}")


def _ref(name: str, template: Mapping[str, Any]) -> str:
    if name in PSEUDO:
        return PSEUDO[name]
    parameter = template.get("Parameters", {}).get(name)
    if parameter is not None:
        if not str(parameter["Type"]).startswith("AWS::SSM::Parameter::Value"):
            raise Unjudgeable(f"parameter {name} is not an SSM parameter")
        return platform_value(str(parameter["Default"]))
    resource = template["Resources"][name]
    properties = resource.get("Properties", {})
    if resource["Type"] == "AWS::SecretsManager::Secret":
        # The ARN Secrets Manager gives a named secret: its name and six random characters.
        return (
            f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{properties['Name']}-Ab1Cd2"
        )
    raise Unjudgeable(f"no ARN rule for a Ref to {resource['Type']}")


def _get_att(logical_id: str, attribute: str, template: Mapping[str, Any]) -> str:
    resource = template["Resources"][logical_id]
    properties = resource.get("Properties", {})
    if resource["Type"] == "AWS::Logs::LogGroup" and attribute == "Arn":
        name = render(properties["LogGroupName"], template)
        return f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"
    if resource["Type"] == "AWS::SQS::Queue" and attribute == "Arn":
        return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{render(properties['QueueName'], template)}"
    raise Unjudgeable(f"no rule for GetAtt {resource['Type']}.{attribute}")


@cache
def _glob(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    """IAM's wildcards: ``*`` any run of characters, ``?`` any one character."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE)


def matches(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    return _glob(pattern, case_sensitive).fullmatch(value) is not None


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    # Condition keys of the request; a multivalued key (dynamodb:LeadingKeys) has several.
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, Any]]

    @classmethod
    def parse(cls, raw: Mapping[str, Any], template: Mapping[str, Any]) -> Statement:
        unknown = set(raw) - {"Effect", "Action", "Resource", "Condition", "Sid"}
        if unknown:
            raise Unjudgeable(f"statement elements {sorted(unknown)} are not implemented")
        return cls(
            effect=str(raw["Effect"]),
            actions=tuple(str(a) for a in _listed(raw["Action"])),
            resources=tuple(render(r, template) for r in _listed(raw["Resource"])),
            conditions=raw.get("Condition", {}),
        )

    def applies_to(self, request: Request) -> bool:
        return (
            any(matches(a, request.action, case_sensitive=False) for a in self.actions)
            and any(matches(r, request.resource) for r in self.resources)
            and all(
                _condition(operator, key, expected, request.context)
                for operator, block in self.conditions.items()
                for key, expected in block.items()
            )
        )


def _condition(
    operator: str, key: str, expected: Any, context: Mapping[str, Sequence[str]]
) -> bool:
    patterns = [str(p) for p in _listed(expected)]
    values = list(context.get(key, ()))
    if operator == "Null":
        (flag,) = patterns
        return (not values) is (flag == "true")
    if operator == "ForAllValues:StringLike":
        return all(any(matches(p, v) for p in patterns) for v in values)
    if operator == "ForAnyValue:StringLike":
        return any(matches(p, v) for p in patterns for v in values)
    if operator == "StringLike":
        return len(values) == 1 and any(matches(p, values[0]) for p in patterns)
    if operator == "StringEquals":
        return len(values) == 1 and values[0] in patterns
    raise Unjudgeable(f"condition operator {operator} is not implemented")


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]

    @classmethod
    def of_role(cls, template: Mapping[str, Any], role_id: str) -> Policy:
        """Every statement of every inline policy attached to ``role_id`` in ``template``;
        a managed policy (whose text is not in the template) cannot be judged."""
        role = template["Resources"][role_id]["Properties"]
        if role.get("ManagedPolicyArns") or role.get("Policies"):
            raise Unjudgeable(f"{role_id} has policies outside AWS::IAM::Policy resources")
        statements: list[Statement] = []
        for resource in template["Resources"].values():
            if resource["Type"] != "AWS::IAM::Policy":
                continue
            if {"Ref": role_id} in resource["Properties"]["Roles"]:
                document = resource["Properties"]["PolicyDocument"]
                statements += [Statement.parse(s, template) for s in document["Statement"]]
        return cls(tuple(statements))

    @property
    def actions(self) -> set[str]:
        return {a for s in self.statements for a in s.actions}

    def allows(self, request: Request) -> bool:
        applicable = [s for s in self.statements if s.applies_to(request)]
        if any(s.effect == "Deny" for s in applicable):
            return False
        return any(s.effect == "Allow" for s in applicable)

    def allowed(self, requests: Iterable[Request]) -> list[Request]:
        return [r for r in requests if self.allows(r)]
