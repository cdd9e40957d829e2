"""The floor for the cold-start section: the least a Lambda handler can do for the same
work as the kit's, and nothing else. The first request parses Kazoo's query and answers
the PIN prompt (the kit touches no DynamoDB there either); a continuation (``step`` in the
query) creates a boto3 DynamoDB client, reads the call's record (GetItem) and writes it
back under a condition (PutItem), then answers the menu. No validation, no framework, no
logs: what the kit costs above this is what its checks and structure cost.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import parse_qsl

from bench import answers

TOKEN = "T"
_clients: dict[str, Any] = {}  # built on first need, as the kit builds its client


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    params = dict(parse_qsl(event.get("rawQueryString", ""), keep_blank_values=True))
    if params.get("token") != TOKEN:
        return {"statusCode": 401, "body": '{"error":"unauthorized"}'}
    base = f"https://{event['requestContext']['domainName']}{event['rawPath']}"
    if "step" not in params:
        return _ok(answers.first(base, TOKEN))
    state_step(f"floor#{params['Account-ID']}#{params['Call-ID']}", params.get("step", ""))
    return _ok(answers.menu(base, TOKEN))


def state_step(pk: str, step: str) -> None:
    """GetItem, then a conditional PutItem of the next version (the kit's read + write)."""
    if "dynamodb" not in _clients:
        import boto3

        _clients["dynamodb"] = boto3.client("dynamodb")
    state_write(_clients["dynamodb"], os.environ["PIVOTKIT_STATE_TABLE"], pk, step)


def state_write(client: Any, table: str, pk: str, step: str) -> None:
    """Shared with the Powertools reference, so both do exactly the same DynamoDB calls."""
    key = {"pk": {"S": pk}}
    item = client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    version = int(item["version"]["N"]) if item else 0
    state = json.loads(item["state"]["S"]) if item else {}
    state["step"] = step
    client.put_item(
        TableName=table,
        Item={**key, "version": {"N": str(version + 1)}, "state": {"S": json.dumps(state)}},
        ConditionExpression="attribute_not_exists(pk) OR version = :seen",
        ExpressionAttributeValues={":seen": {"N": str(version)}},
    )


def _ok(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(answer, separators=(",", ":")),
    }
