"""How ``pivotkit serve`` puts the dev console in front of its gateway.

The seam for a call journal: ``dev_console(runtime, call_log=...)`` takes any
``calllog.CallLog``; by default it is a ``ServeCallLog`` fed by the gateway's tap.
"""

from __future__ import annotations

from collections.abc import Callable

from pivotkit.local.devphone.calllog import CallLog, ServeCallLog
from pivotkit.local.devphone.console import DevConsole, DialTarget
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
