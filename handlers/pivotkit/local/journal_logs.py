"""The call journal of ``pivotkit serve``, delivered where Lambda delivers the deployed one.

Deployed, the journal (``pivotkit.journal``) is printed to stdout and Lambda puts each line
into the customer function's log group, ``/aws/lambda/pivotkit-<stage>-<slug>``. Under
``serve`` the same ``CallJournal`` (same entries, bounds and redaction) writes through
``LogGroupSink`` instead: one PutLogEvents per line into the embedded AWS's CloudWatch Logs,
in the group named like the deployed function's, so ``pivotkit calls`` reads a running serve
with the same FilterLogEvents as a deployed stage (``pivotkit.local.journal_sources``).

Each line goes to the group of the customer it names (deployed, only that customer's
function would have written it); a line naming no served customer is dropped, as no
deployed function would have been reached. Writes are synchronous, so an entry is readable
as soon as the answer is out.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from pivotkit.aws.redaction import CallerIdMode, caller_id
from pivotkit.journal import CallJournal
from pivotkit.local.journal_sources import function_log_group
from pivotkit.redaction import Redactor


class LogGroupSink:
    """Journal lines into ``/aws/lambda/pivotkit-<stage>-<slug>`` of a CloudWatch Logs
    endpoint (groups and one stream per sink created on first use)."""

    def __init__(self, client: Any, stage: str, customers: Iterable[str]) -> None:
        self.client = client
        self.groups = {slug: function_log_group(stage, slug) for slug in customers}
        # Lambda's stream naming: date, version, instance.
        self.stream = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._ready: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        group = self.groups.get(_customer_of(line))
        if group is None:
            return
        with self._lock:  # one writer per stream, in order
            if group not in self._ready:
                self._create(group)
            self.client.put_log_events(
                logGroupName=group,
                logStreamName=self.stream,
                logEvents=[{"timestamp": int(time.time() * 1000), "message": line}],
            )

    def _create(self, group: str) -> None:
        exists = self.client.exceptions.ResourceAlreadyExistsException
        with contextlib.suppress(exists):
            self.client.create_log_group(logGroupName=group)
        with contextlib.suppress(exists):
            self.client.create_log_stream(logGroupName=group, logStreamName=self.stream)
        self._ready.add(group)


def _customer_of(line: str) -> str:
    try:
        entry = json.loads(line)
    except ValueError:
        return ""
    customer = entry.get("customer") if isinstance(entry, dict) else None
    return customer if isinstance(customer, str) else ""


def serve_journal(
    environ: Mapping[str, str], stage: str, customers: Iterable[str], tokens: Iterable[str]
) -> CallJournal:
    """The journal of a local server on the CloudWatch Logs ``environ`` points the SDK at
    (the embedded AWS), masking caller IDs as ``PIVOTKIT_LOG_CALLER_IDS`` says."""
    import botocore.session

    from pivotkit.aws.settings import LOG_CALLER_IDS

    session = botocore.session.get_session()
    client = session.create_client(
        "logs",
        endpoint_url=environ.get(CLOUDWATCH_LOGS_ENDPOINT),
        region_name=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"),
        aws_access_key_id=environ.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY"),
    )
    mode = CallerIdMode.parse(environ.get(LOG_CALLER_IDS))
    return CallJournal(
        LogGroupSink(client, stage, customers),
        Redactor(tokens),
        lambda value, is_number: caller_id(value, mode, is_number=is_number),
    )


# The SDK's endpoint setting for CloudWatch Logs (service id "CloudWatch Logs").
CLOUDWATCH_LOGS_ENDPOINT = "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"
