"""How ``pivotkit serve`` puts the dev console in front of its gateway.

``dev_console(runtime, call_log=...)`` takes any ``calllog.CallLog``; by default it is a
``ServeCallLog`` fed by the gateway's tap and, when the runtime writes the call journal
into its embedded AWS (``serve``), a ``JournalCallLog`` listing the calls from the journal.
"""

from __future__ import annotations

from collections.abc import Callable

from pivotkit.local.devphone.calllog import CallLog, ServeCallLog
from pivotkit.local.devphone.console import DevConsole, DialTarget
from pivotkit.local.devphone.journal_calllog import Entries, JournalCallLog
from pivotkit.local.runtime import LocalRuntime, kazoo_validator
from pivotkit.local.server import Exchange
from pivotkit.redaction import Redactor


def dev_console(
    runtime: LocalRuntime,
    *,
    observer: Callable[[Exchange], None] | None = None,
    call_log: CallLog | None = None,
) -> DevConsole:
    """The console over a fresh gateway of ``runtime``, recording into ``call_log``."""
    secrets = [token for tokens in runtime.tokens.values() for token in tokens]
    if call_log is None:
        served = ServeCallLog(scrub=Redactor(secrets))
        call_log, tap = served, served.record
        read = journal_reader(runtime)
        if read is not None:  # the embedded AWS holds the journal: list calls from it
            call_log = JournalCallLog(read, served)
    else:
        tap = None  # the given log keeps calls itself
    gateway = runtime.gateway(observer=observer, tap=tap)
    validator, label = kazoo_validator()
    return DevConsole(
        gateway,
        call_log,
        [DialTarget(slug, runtime.token_for(slug)) for slug in runtime.customers],
        secrets=secrets,
        validator=validator,
        validation_label=label,
    )


def journal_reader(runtime: LocalRuntime) -> Entries | None:
    """Reads the journal the runtime writes (None when it writes none: not embedded)."""
    from pivotkit.local.journal_logs import CLOUDWATCH_LOGS_ENDPOINT
    from pivotkit.local.journal_sources import (
        ServeRecord,
        filter_journal,
        function_log_group,
        serve_client,
    )
    from pivotkit.local.lambda_context import LOCAL_REGION

    endpoint = runtime.environment.get(CLOUDWATCH_LOGS_ENDPOINT)
    if runtime.journal is None or not endpoint:
        return None
    stage = runtime.environment.get("PIVOTKIT_STAGE") or "dev"
    groups = sorted(function_log_group(stage, slug) for slug in runtime.customers)
    record = ServeRecord("", endpoint, LOCAL_REGION, stage, {}, 0)
    client = serve_client(record)

    def read(since: float) -> list[dict[str, object]]:
        return list(filter_journal(client, groups, since))

    return read
