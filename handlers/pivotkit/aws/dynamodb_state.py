"""Call state in DynamoDB: one item per call, conditional writes, budgeted retries.

The table has a single string partition key ``pk`` (``<customer>#<account>#<call>``, see
``CallKey.partition_key``) and TTL enabled on ``expires_at``. An item::

    pk            S  customer#account#call
    state         S  the customer's state, JSON
    seq, version  N
    created_at    N  epoch seconds (float)
    updated_at    N  epoch seconds (float)
    expires_at    N  epoch seconds (int), the TTL attribute
    answered_seq  N  } the last answer, kept for idempotent replay
    answered_step S  }   (absent until the first answer)
    answer        S  }
    trail         S  the steps the call went through, JSON (flows with track_path)
    trail_dropped N  trail entries dropped to keep the trail bounded (absent while none)

The attributes are ``pivotkit.state.record_attributes``, and an item over DynamoDB's 400 KB
limit (``MAX_ITEM_BYTES``, counted as DynamoDB counts) is refused before any call is made,
as the in-memory store refuses it: ``StateTooLarge``, logged with customer and step.

Per request the engine makes at most one ``load`` (one strongly consistent ``GetItem``: a
continuation must see the write its predecessor made a moment ago) and one ``save`` (one
conditional ``PutItem``). TTL deletion runs up to days late, so reads and the write
condition treat an item whose ``expires_at`` has passed as absent.

Failures. A failed write condition is ``WriteConflict`` (the engine re-reads). Throttling,
5xx answers and timeouts are retried with full-jitter backoff inside a time budget, then
become ``StateUnavailable`` (503, so Kazoo runs the pivot node's fallback). Anything else
(validation, access denied, missing table, missing credentials) is a deployment fault that
no retry fixes: ``StateUnavailable`` at once. A ``PutItem`` whose answer was lost (a read
timeout) may have been applied; its retry then fails the version condition and the engine,
re-reading, finds its own answer stored and replays it, so a retried write is never applied
twice.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, TypeVar

from pivotkit.aws.clients import attempt_timeout_seconds, dynamodb_client
from pivotkit.budget import STATE_CALL_WORST_SECONDS
from pivotkit.errors import StateTooLarge, StateUnavailable, WriteConflict
from pivotkit.shared import SHARED_ATTRIBUTE
from pivotkit.state import (
    JOB_ATTRIBUTE,
    KEY_SEPARATOR,
    PARTITION_KEY,
    TTL_ATTRIBUTE,
    CallKey,
    CallRecord,
    checked_attributes,
    number_text,
    state_too_large,
)

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, ScanInputTypeDef

logger = logging.getLogger("pivotkit.state")

# Error codes DynamoDB answers when it is overloaded or failing: worth another try.
TRANSIENT_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"
# How DynamoDB refuses an item over its size limit (should the size check ever undercount).
VALIDATION_ERROR = "ValidationException"
ITEM_TOO_LARGE_MESSAGE = "item size has exceeded"

# Attribute names go through placeholders, so no DynamoDB reserved word can clash with them.
_NAMES = {"#pk": PARTITION_KEY, "#version": "version", "#expires": TTL_ATTRIBUTE}
_CREATE_CONDITION = "attribute_not_exists(#pk) OR #expires <= :now"
_UPDATE_CONDITION = "#version = :expected AND #expires > :now"

Result = TypeVar("Result")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long one store operation may keep trying.

    A retry starts only if, after its backoff, one more attempt that runs into the client's
    timeouts (``attempt_timeout_seconds``) still ends inside ``budget_seconds``; so an
    operation never takes longer than the budget (which must hold one attempt), even when
    every attempt times out. The default budget is ``pivotkit.budget.STATE_CALL_WORST_SECONDS``,
    the reserve the engine keeps for each store call before the request's deadline.
    """

    max_attempts: int = 4
    budget_seconds: float = STATE_CALL_WORST_SECONDS
    attempt_timeout_seconds: float = field(default_factory=attempt_timeout_seconds)
    base_delay_seconds: float = 0.025
    max_delay_seconds: float = 0.2

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.budget_seconds, self.base_delay_seconds, self.max_delay_seconds) <= 0:
            raise ValueError("budget and delays must be positive")

    def backoff_cap(self, failed_attempts: int) -> float:
        """The upper bound of the full-jitter delay after ``failed_attempts`` failures."""
        return min(self.max_delay_seconds, self.base_delay_seconds * 2.0 ** (failed_attempts - 1))


class DynamoDBStateStore:
    """``StateStore`` on a DynamoDB table, through an injected low-level client."""

    def __init__(
        self,
        client: DynamoDBClient | Callable[[], DynamoDBClient],
        table_name: str,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not table_name:
            raise ValueError("a DynamoDB table name is required")
        # A callable is called on first use: a cold start whose first request needs no
        # state (the usual first request of a call) then never builds a boto3 client.
        self._client = client
        self.table_name = table_name
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._monotonic = monotonic
        self._jitter = jitter

    @classmethod
    def from_table_name(cls, table_name: str) -> DynamoDBStateStore:
        """The deployed store: the process's shared client (see ``pivotkit.aws.clients``),
        built when the first request needs it."""
        return cls(dynamodb_client, table_name)

    @property
    def client(self) -> DynamoDBClient:
        if callable(self._client) and not hasattr(self._client, "get_item"):
            self._client = self._client()
        return self._client  # type: ignore[return-value]

    # -- StateStore -----------------------------------------------------------------------

    def load(self, key: CallKey, *, now: float) -> CallRecord | None:
        response = self._call(
            "GetItem",
            lambda: self.client.get_item(
                TableName=self.table_name,
                Key={PARTITION_KEY: {"S": key.partition_key}},
                ConsistentRead=True,
            ),
        )
        item = response.get("Item")
        if item is None:
            return None
        record = self._decode(item, key)
        return None if record.is_expired(now) else record

    def save(self, record: CallRecord, *, expected_version: int | None) -> None:
        # Encoding first: a state that cannot be stored fails before any call is made.
        item = _encode(record)
        values: dict[str, AttributeValueTypeDef] = {":now": _number(record.updated_at)}
        if expected_version is None:
            condition = _CREATE_CONDITION
            names = {k: _NAMES[k] for k in ("#pk", "#expires")}
        else:
            condition = _UPDATE_CONDITION
            names = {k: _NAMES[k] for k in ("#version", "#expires")}
            values[":expected"] = _number(expected_version)
        try:
            self._call(
                "PutItem",
                lambda: self.client.put_item(
                    TableName=self.table_name,
                    Item=item,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                ),
            )
        except StateTooLarge:
            raise state_too_large(record, None) from None

    # -- operator tools -------------------------------------------------------------------

    def scan_customer(
        self, customer: str, *, live_at: float | None = None, page_size: int | None = None
    ) -> Iterator[CallRecord]:
        """Every call record of ``customer``, page by page (for ``pivotkit stats``); the
        customer's shared items (marked ``shared``) and job records (marked ``job``) are not
        calls and are skipped.

        An operator tool, never a request-path call: a Scan reads the whole table (the
        filter applies after the read), costing capacity in proportion to its size. With
        ``live_at`` (epoch seconds), records expired at that time are skipped; without it,
        expired records TTL has not swept yet are included. ``page_size`` caps the items
        each Scan reads, to spread the read capacity a large table costs over more calls.
        """
        request: ScanInputTypeDef = {
            "TableName": self.table_name,
            # Shared items (pivotkit.shared) and job records (pivotkit.work) sit under the
            # same prefix, marked: not calls.
            "FilterExpression": "begins_with(#pk, :prefix) AND attribute_not_exists(#shared)"
            " AND attribute_not_exists(#job)",
            "ExpressionAttributeNames": {
                "#pk": PARTITION_KEY,
                "#shared": SHARED_ATTRIBUTE,
                "#job": JOB_ATTRIBUTE,
            },
            "ExpressionAttributeValues": {":prefix": {"S": f"{customer}{KEY_SEPARATOR}"}},
        }
        if page_size is not None:
            request["Limit"] = page_size
        while True:
            page = self._call("Scan", functools.partial(self.client.scan, **request))
            for item in page.get("Items", []):
                record = self._decode(item, None)
                if live_at is None or not record.is_expired(live_at):
                    yield record
            start_key = page.get("LastEvaluatedKey")
            if not start_key:
                return
            request["ExclusiveStartKey"] = start_key

    # -- failures and retries -------------------------------------------------------------

    def call(self, operation: str, send: Callable[[], Result]) -> Result:
        """Run ``send`` (one DynamoDB call on ``client``) under this store's retry policy,
        failures translated as for call state; the shared store's calls go through here."""
        return self._call(operation, send)

    def _call(self, operation: str, send: Callable[[], Result]) -> Result:
        """Run ``send`` with the retry policy; translate failures into pivotkit errors."""
        # botocore's exceptions are imported here, once botocore is loaded for the client: a
        # cold start whose first request needs no state does not import them.
        from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
        from botocore.exceptions import ConnectionError as BotoConnectionError

        policy = self.retry
        _ = self.client  # build a lazy client first: its construction is not a store attempt
        started = self._monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                return send()
            except ClientError as error:
                code = _error_code(error)
                if code == CONDITIONAL_CHECK_FAILED:
                    raise WriteConflict("the call record changed since it was read") from None
                if code == VALIDATION_ERROR and ITEM_TOO_LARGE_MESSAGE in _message(error).lower():
                    raise StateTooLarge("DynamoDB refused the item as too large") from None
                if not _is_transient(error):
                    logger.error(
                        "DynamoDB %s on %s failed: %s: %s",
                        operation,
                        self.table_name,
                        code,
                        _message(error),
                    )
                    raise StateUnavailable(f"state store refused {operation} ({code})") from error
                failure = code
            except (BotoConnectionError, HTTPClientError) as error:
                # Connect and read timeouts, refused or reset connections.
                failure = type(error).__name__
            except BotoCoreError as error:
                # No credentials, no region, parameters the SDK rejects: a retry won't help.
                logger.error("DynamoDB %s on %s failed: %r", operation, self.table_name, error)
                raise StateUnavailable(
                    f"state store client failed on {operation} ({type(error).__name__})"
                ) from error

            elapsed = self._monotonic() - started
            delay = self._jitter() * policy.backoff_cap(attempt)
            out_of_time = elapsed + delay + policy.attempt_timeout_seconds > policy.budget_seconds
            if attempt >= policy.max_attempts or out_of_time:
                logger.error(
                    "DynamoDB %s on %s gave up after %d attempts in %.0f ms: %s",
                    operation,
                    self.table_name,
                    attempt,
                    elapsed * 1000,
                    failure,
                )
                raise StateUnavailable(
                    f"state store did not answer {operation} after {attempt} attempts ({failure})"
                )
            logger.warning(
                "DynamoDB %s attempt %d failed (%s); retrying in %.0f ms",
                operation,
                attempt,
                failure,
                delay * 1000,
            )
            self._sleep(delay)

    # -- item encoding --------------------------------------------------------------------

    def _decode(self, item: Mapping[str, AttributeValueTypeDef], key: CallKey | None) -> CallRecord:
        try:
            return _decode(item, key)
        except (KeyError, ValueError, TypeError, InvalidOperation) as error:
            pk = item.get(PARTITION_KEY, {}).get("S", "?")
            logger.error("malformed call record %s in %s: %r", pk, self.table_name, error)
            raise StateUnavailable("a stored call record is malformed") from error


def _encode(record: CallRecord) -> dict[str, AttributeValueTypeDef]:
    # Unset fields are absent (DynamoDB keeps no attribute rather than a NULL one).
    return {
        name: {"S": value} if isinstance(value, str) else _number(value)
        for name, value in checked_attributes(record).items()
    }


def _decode(item: Mapping[str, AttributeValueTypeDef], key: CallKey | None) -> CallRecord:
    if key is None:
        customer, account_id, call_id = item[PARTITION_KEY]["S"].split(KEY_SEPARATOR, 2)
        key = CallKey(customer, account_id, call_id)
    state = json.loads(item["state"]["S"])
    trail = json.loads(item["trail"]["S"]) if "trail" in item else []
    if not isinstance(state, dict) or not isinstance(trail, list):
        raise TypeError("state must be a JSON object and trail a JSON list")
    return CallRecord(
        key=key,
        state=state,
        seq=_int(item["seq"]),
        version=_int(item["version"]),
        created_at=float(item["created_at"]["N"]),
        updated_at=float(item["updated_at"]["N"]),
        expires_at=_int(item[TTL_ATTRIBUTE]),
        answered_seq=_int(item["answered_seq"]) if "answered_seq" in item else None,
        answered_step=item["answered_step"]["S"] if "answered_step" in item else None,
        answer=item["answer"]["S"] if "answer" in item else None,
        trail=tuple(trail),
        trail_dropped=_int(item["trail_dropped"]) if "trail_dropped" in item else 0,
    )


def _number(value: int | float) -> AttributeValueTypeDef:
    return {"N": number_text(value)}


def _int(value: AttributeValueTypeDef) -> int:
    # DynamoDB normalises numbers ("3.0" comes back as "3"); Decimal reads any form.
    return int(Decimal(value["N"]))


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def _is_transient(error: ClientError) -> bool:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return _error_code(error) in TRANSIENT_ERROR_CODES or status >= 500


class OnStateTable:
    """Base of the stores that share the call-state table (``call.shared``, job records):
    their requests go through one ``DynamoDBStateStore``, so the same retries, budget and
    error mapping hold for every item on the table."""

    def __init__(
        self,
        client: DynamoDBClient | Callable[[], DynamoDBClient],
        table_name: str,
        *,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._requests = DynamoDBStateStore(client, table_name, retry=retry)
        self.table_name = table_name
