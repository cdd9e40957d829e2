"""The shared store (``pivotkit.shared``) on the call-state table.

Items sit beside call records in the same table, under the customer's own key prefix
(``<customer>#shared#<kind>#<name>``), so the role's ``dynamodb:LeadingKeys`` condition that
confines a customer to its call records confines these too. An item::

    pk          S  customer#shared#<kind>#<name>
    shared      S  counter | value | line    (the marker the stats scan skips)
    value       N  a counter's value; S (JSON) a value's or a line's
    version     N  values and lines: bumped by every write
    expires_at  N  epoch seconds, the table's TTL attribute

One operation is one call: ``incr`` an ``UpdateItem`` (``ADD``, atomic), ``read`` a strongly
consistent ``GetItem``, ``write`` a conditional ``PutItem`` ("version is what I read", or
"absent or expired" for version 0). TTL deletion runs late, so an item whose ``expires_at``
has passed reads as absent and a version-0 write replaces it. Retries, time budget and
fail-fast client timeouts are those of call state (``DynamoDBStateStore``); what they give up
on becomes ``SharedStoreError`` (503 unless the step catches it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from pivotkit.aws.dynamodb_state import OnStateTable
from pivotkit.errors import (
    SharedConflict,
    SharedStoreError,
    StateTooLarge,
    StateUnavailable,
    WriteConflict,
)
from pivotkit.shared import SHARED_ATTRIBUTE, Kind, Versioned
from pivotkit.state import PARTITION_KEY, TTL_ATTRIBUTE, number_text

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

_NAMES = {
    "#pk": PARTITION_KEY,
    "#shared": SHARED_ATTRIBUTE,
    "#value": "value",
    "#version": "version",
    "#expires": TTL_ATTRIBUTE,
}
_ABSENT = "attribute_not_exists(#pk) OR #expires <= :now"
_UNCHANGED = "#version = :expected AND #expires > :now"
_LIVE = "attribute_not_exists(#pk) OR #expires > :now"

Answer = TypeVar("Answer")


class DynamoDBSharedStore(OnStateTable):
    """``SharedStore`` on a DynamoDB table (the call-state table), through a lazy client."""

    def incr(self, key: str, by: int, *, now: float, expires_at: int) -> int:
        client = self._requests.client
        for _ in range(3):
            try:
                # Atomic on a live (or absent) counter; an expired one TTL has not swept yet
                # fails the condition and is restarted from `by` below.
                answer = self._send(
                    "UpdateItem",
                    lambda: client.update_item(
                        TableName=self.table_name,
                        Key={PARTITION_KEY: {"S": key}},
                        UpdateExpression="ADD #value :by SET #shared = :kind, #expires = :expires",
                        ConditionExpression=_LIVE,
                        ExpressionAttributeNames=_names("#pk", "#shared", "#value", "#expires"),
                        ExpressionAttributeValues={
                            ":by": _number(by),
                            ":kind": {"S": "counter"},
                            ":expires": _number(expires_at),
                            ":now": _number(now),
                        },
                        ReturnValues="ALL_NEW",  # a few bytes; UPDATED_NEW may omit an ADD of 0
                    ),
                )
                return int(answer["Attributes"]["value"]["N"])
            except SharedConflict:
                pass
            try:
                restarted = _item(key, "counter", _number(by), expires_at)
                self._put(restarted, "#expires <= :now", _names("#expires"), {":now": _number(now)})
                return by
            except SharedConflict:
                continue  # another call restarted it first: add to theirs
        raise SharedConflict(f"counter {key} kept changing between live and expired")

    def read(self, key: str, *, now: float) -> Versioned:
        client = self._requests.client
        answer = self._send(
            "GetItem",
            lambda: client.get_item(
                TableName=self.table_name, Key={PARTITION_KEY: {"S": key}}, ConsistentRead=True
            ),
        )
        item = answer.get("Item")
        if item is None or float(item[TTL_ATTRIBUTE]["N"]) <= now:
            return Versioned(None, 0)
        try:
            return Versioned(json.loads(item["value"]["S"]), int(item["version"]["N"]))
        except (KeyError, ValueError) as error:
            raise SharedStoreError(f"shared item {key} is malformed") from error

    def write(
        self, key: str, kind: Kind, value_json: str, *, version: int, now: float, expires_at: int
    ) -> int:
        values: dict[str, AttributeValueTypeDef] = {":now": _number(now)}
        if version == 0:
            condition, names = _ABSENT, _names("#pk", "#expires")
        else:
            condition, names = _UNCHANGED, _names("#version", "#expires")
            values[":expected"] = _number(version)
        item = {**_item(key, kind, {"S": value_json}, expires_at), "version": _number(version + 1)}
        self._put(item, condition, names, values)
        return version + 1

    def _put(
        self,
        item: dict[str, AttributeValueTypeDef],
        condition: str,
        names: dict[str, str],
        values: dict[str, AttributeValueTypeDef],
    ) -> None:
        """One conditional ``PutItem`` of a whole shared item."""
        client = self._requests.client
        self._send(
            "PutItem",
            lambda: client.put_item(
                TableName=self.table_name,
                Item=item,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            ),
        )

    def _send(self, operation: str, send: Callable[[], Answer]) -> Answer:
        try:
            return self._requests.call(operation, send)
        except WriteConflict:
            raise SharedConflict(f"a shared item changed since it was read ({operation})") from None
        except StateTooLarge:
            raise SharedStoreError("DynamoDB refused a shared item as too large") from None
        except StateUnavailable as error:
            raise SharedStoreError(f"shared store: {error}") from None


def _item(
    key: str, kind: Kind, value: AttributeValueTypeDef, expires_at: int
) -> dict[str, AttributeValueTypeDef]:
    """A shared item as the module docstring lays it out (``version`` added by a write)."""
    return {
        PARTITION_KEY: {"S": key},
        SHARED_ATTRIBUTE: {"S": kind},
        "value": value,
        TTL_ATTRIBUTE: _number(expires_at),
    }


def _names(*placeholders: str) -> dict[str, str]:
    return {p: _NAMES[p] for p in placeholders}


def _number(value: int | float) -> AttributeValueTypeDef:
    return {"N": number_text(value)}
