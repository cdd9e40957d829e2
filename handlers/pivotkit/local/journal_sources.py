"""Where ``pivotkit calls`` finds the call journal when no ``--from``/``--log-group`` is given.

- ``--stage dev``: the deployed stage. Each customer's stack (``pivotkit-<stage>-<slug>``,
  ``infra.names.customer_stack_name``) has the output ``LogGroupName``, the function's log
  group, which holds its journal; with ``--customer`` only that stack is read, else every
  stack of the stage (CloudFormation DescribeStacks, the environment's AWS credentials).
- no flag: a running ``pivotkit serve``, which records its embedded AWS in
  ``.pivotkit/serve.json`` of the directory it was started in (git-ignored, removed when it
  stops) and writes the journal there into the same log groups
  (``pivotkit.local.journal_logs``).

Either way the lines are read with the same FilterLogEvents on the journal's marker
(``filter_journal``), so what a developer sees locally is what the deployed stage shows.
The names below are those of ``infra.names`` (which needs the CDK, so it is not imported
here); tests/infra/test_names.py keeps the two equal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pivotkit.journal import FILTER_PATTERN, is_journal_line

SERVE_RECORD = Path(".pivotkit") / "serve.json"
# The stack output naming a customer function's log group (infra/customer_stack.py).
LOG_GROUP_OUTPUT = "LogGroupName"
FUNCTION_NAME_OUTPUT = "FunctionName"


class SourceError(Exception):
    """No journal could be located (the message says what to do)."""


def function_name(stage: str, slug: str) -> str:
    """``pivotkit-dev-acme_west``: ``infra.names.function_name``."""
    return f"pivotkit-{stage}-{slug}"


def customer_stack_name(stage: str, slug: str) -> str:
    """``pivotkit-dev-acme-west``: ``infra.names.customer_stack_name``."""
    return f"pivotkit-{stage}-{slug.replace('_', '-')}"


def function_log_group(stage: str, slug: str) -> str:
    """The log group Lambda writes the customer function's stdout (and journal) to."""
    return f"/aws/lambda/{function_name(stage, slug)}"


# -- a running serve ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServeRecord:
    """What a running ``pivotkit serve`` tells the local tools about itself."""

    url: str
    aws_endpoint: str
    region: str
    stage: str
    log_groups: dict[str, str]  # slug -> log group
    pid: int

    def write(self, path: Path) -> None:
        """Atomically, so a reader never sees half a record."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(self.__dict__, indent=2) + "\n", encoding="utf-8")
        partial.replace(path)

    @classmethod
    def read(cls, path: Path) -> ServeRecord | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError):
            return None


def forget_serve(path: Path, pid: int) -> None:
    """Remove the record if it is still this process's (a later serve may have replaced it)."""
    record = ServeRecord.read(path)
    if record is not None and record.pid == pid:
        path.unlink(missing_ok=True)


def running_serve(path: Path = SERVE_RECORD) -> ServeRecord:
    record = ServeRecord.read(path)
    if record is None:
        raise SourceError(
            f"no running pivotkit serve here ({path} not found): start `pivotkit serve` in"
            " this directory, or give --stage, --log-group or --from"
        )
    if not _alive(record.pid):
        raise SourceError(f"the pivotkit serve recorded in {path} (pid {record.pid}) has stopped")
    return record


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def serve_client(record: ServeRecord) -> Any:
    """A CloudWatch Logs client on the serve's embedded AWS (its dummy credentials, so a
    developer's own AWS is never touched)."""
    import botocore.session

    from pivotkit.local.embedded_aws import OFFLINE_CREDENTIALS

    return botocore.session.get_session().create_client(
        "logs",
        endpoint_url=record.aws_endpoint,
        region_name=record.region,
        aws_access_key_id=OFFLINE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=OFFLINE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


# -- a deployed stage --------------------------------------------------------------------


def stage_log_groups(cloudformation: Any, stage: str, customer: str | None) -> dict[str, str]:
    """slug -> log group of the stage's customer stacks (only ``customer``'s if given)."""
    prefix = f"pivotkit-{stage}-"
    if customer is not None:
        stacks = _describe(cloudformation, customer_stack_name(stage, customer))
    else:
        stacks = [
            stack
            for page in cloudformation.get_paginator("describe_stacks").paginate()
            for stack in page.get("Stacks", [])
            if str(stack.get("StackName", "")).startswith(prefix)
        ]
    groups: dict[str, str] = {}
    for stack in stacks:
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        function = outputs.get(FUNCTION_NAME_OUTPUT)
        group = outputs.get(LOG_GROUP_OUTPUT) or (f"/aws/lambda/{function}" if function else None)
        if group is None or function is None or not function.startswith(prefix):
            continue  # not a customer stack of this kit
        groups[function.removeprefix(prefix)] = group
    if not groups:
        which = customer_stack_name(stage, customer) if customer else f"{prefix}*"
        raise SourceError(f"no customer stack {which} with a {LOG_GROUP_OUTPUT} output")
    return groups


def _describe(cloudformation: Any, stack: str) -> list[dict[str, Any]]:
    from botocore.exceptions import ClientError

    try:
        return list(cloudformation.describe_stacks(StackName=stack).get("Stacks", []))
    except ClientError as error:
        raise SourceError(f"cannot read stack {stack}: {error}") from None


# -- reading -----------------------------------------------------------------------------


def filter_journal(client: Any, groups: Iterable[str], start: float) -> Iterator[dict[str, Any]]:
    """Every journal entry in ``groups`` since ``start`` (Unix seconds): FilterLogEvents on
    the journal's marker, every page. A group not created yet (no call so far) holds none."""
    for group in groups:
        kwargs: dict[str, Any] = {
            "logGroupName": group,
            "filterPattern": FILTER_PATTERN,
            "startTime": int(start * 1000),
        }
        while True:
            try:
                page = client.filter_log_events(**kwargs)
            except client.exceptions.ResourceNotFoundException:
                break
            for event in page.get("events", []):
                entry = is_journal_line(event.get("message", ""))
                if entry is not None:
                    yield entry
            token = page.get("nextToken")
            if not token:
                break
            kwargs["nextToken"] = token


def located_entries(
    stage: str | None, customer: str | None, start: float, record: Path = SERVE_RECORD
) -> Iterator[dict[str, Any]]:
    """The journal of ``stage`` (deployed), else of the running serve; ``SourceError`` at
    once when neither can be found."""
    if stage is not None:
        import botocore.session
        from botocore.exceptions import BotoCoreError

        session = botocore.session.get_session()
        try:
            groups = stage_log_groups(session.create_client("cloudformation"), stage, customer)
            client = session.create_client("logs")
        except BotoCoreError as error:
            raise SourceError(f"cannot read the stacks of stage {stage}: {error}") from None
    else:
        serve = running_serve(record)
        client = serve_client(serve)
        groups = {
            slug: group
            for slug, group in serve.log_groups.items()
            if customer is None or slug == customer
        }
    return filter_journal(client, sorted(groups.values()), start)
