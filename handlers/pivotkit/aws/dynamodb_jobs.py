"""Background job records (``pivotkit.work``) on the call-state table.

Items sit beside call records, under the customer's own key prefix
(``<customer>#job#<account>#<call>#<id>``), so the role's ``dynamodb:LeadingKeys`` condition
that confines a customer to its call records confines these too. An item::

    pk           S  customer#job#<account>#<call>#<id>
    job          S  the Job, JSON (the marker the stats scan skips)
    status       S  pending | done | failed
    result       S  JSON, when done
    reason       S  when failed (job_failed, timed_out, not_started, no_such_job)
    finished_at  N  epoch seconds, once not pending
    expires_at   N  epoch seconds, the table's TTL attribute (the call state's TTL)

``create`` is a conditional ``PutItem`` (the record must not exist: racing duplicates of
one transition name the same job and only one starts it), ``finish`` a conditional
``UpdateItem`` (only a pending record changes), ``load`` a strongly consistent ``GetItem``.
Retries, time budget and fail-fast client timeouts are those of call state.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pivotkit.aws.dynamodb_state import OnStateTable
from pivotkit.errors import WriteConflict
from pivotkit.state import JOB_ATTRIBUTE, PARTITION_KEY, TTL_ATTRIBUTE, CallKey, number_text

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    from pivotkit.work import Job, JobRecord, Status

# pivotkit.work is imported by the first call, not with this module: the store is built at
# cold start, and a customer whose steps start no job never loads the jobs code.


class DynamoDBJobStore(OnStateTable):
    """``JobStore`` on the call-state table, through a lazy client."""

    def create(self, record: JobRecord) -> bool:
        from pivotkit.work import job_fields, job_key

        item: dict[str, AttributeValueTypeDef] = {
            PARTITION_KEY: {"S": job_key(record.job.call_key, record.job.job_id)},
            JOB_ATTRIBUTE: {"S": json.dumps(job_fields(record.job), separators=(",", ":"))},
            "status": {"S": record.status},
            TTL_ATTRIBUTE: {"N": number_text(record.expires_at)},
        }
        client = self._requests.client
        return self._applied(
            "PutItem",
            lambda: client.put_item(
                TableName=self.table_name,
                Item=item,
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
            ),
        )

    def finish(
        self, job: Job, status: Status, *, result: Any, reason: str | None, now: float
    ) -> bool:
        from pivotkit.work import job_key, result_json

        values: dict[str, AttributeValueTypeDef] = {
            ":status": {"S": status},
            ":pending": {"S": "pending"},
            ":finished": {"N": number_text(now)},
        }
        update = "SET #status = :status, finished_at = :finished"
        if result is not None:
            values[":result"] = {"S": result_json(result)}
            update += ", #result = :result"
        if reason is not None:
            values[":reason"] = {"S": reason}
            update += ", reason = :reason"
        names = {"#status": "status"}
        if result is not None:
            names["#result"] = "result"  # a DynamoDB reserved word
        client = self._requests.client
        return self._applied(  # False: absent, or no longer pending
            "UpdateItem",
            lambda: client.update_item(
                TableName=self.table_name,
                Key={PARTITION_KEY: {"S": job_key(job.call_key, job.job_id)}},
                UpdateExpression=update,
                ConditionExpression="#status = :pending",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            ),
        )

    def load(self, key: CallKey, job_id: str, *, now: float) -> JobRecord | None:
        from pivotkit.work import job_key

        client = self._requests.client
        answer = self._requests.call(
            "GetItem",
            lambda: client.get_item(
                TableName=self.table_name,
                Key={PARTITION_KEY: {"S": job_key(key, job_id)}},
                ConsistentRead=True,
            ),
        )
        item = answer.get("Item")
        if item is None:
            return None
        record = _decode(item)
        if record.expires_at <= now:
            return None
        return record

    def _applied(self, operation: str, send: Callable[[], object]) -> bool:
        """Whether a conditional write went through: ``False`` when its condition failed."""
        try:
            self._requests.call(operation, send)
        except WriteConflict:
            return False
        return True


def _decode(item: Mapping[str, AttributeValueTypeDef]) -> JobRecord:
    from pivotkit.work import JobRecord, job_from_event

    status = item["status"]["S"]
    if status not in ("pending", "done", "failed"):
        raise ValueError(f"a job record with status {status!r}")
    result = json.loads(item["result"]["S"]) if "result" in item else None
    finished = float(item["finished_at"]["N"]) if "finished_at" in item else None
    return JobRecord(
        job=job_from_event(json.loads(item[JOB_ATTRIBUTE]["S"])),
        status=status,  # type: ignore[arg-type]  # checked above
        expires_at=int(item[TTL_ATTRIBUTE]["N"]),
        result=result,
        reason=item["reason"]["S"] if "reason" in item else None,
        finished_at=finished,
    )
