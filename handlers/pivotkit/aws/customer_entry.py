"""Composition root of a customer's one deployed function: Pivot and media behind one URL.

Each customer has a single Lambda function (``functions.customer.handler``) behind its own
Function URL: ``/pivot/<slug>...`` is a Pivot request, ``/media/<slug>...`` a recording
upload or a storage-plan read, ``/hooks/<slug>`` a Kazoo call webhook
(``pivotkit.webhooks``). One function per customer keeps every customer's code, role and
concurrency its own (docs/deploy.md), and the handlers share one token source and
one telemetry (``FunctionParts``), so a cold start reads the customer's secret once.

The media handler is built on the first media request, not at cold start: a Pivot request
must not pay for importing ``pivotkit.media`` and the S3 store (the cold start Kazoo's
5-second budget has to absorb), and most invocations of a customer's function are Pivot
requests. A media request that arrives first builds it then (tens of milliseconds, against
the 20 s an upload may take). The webhook handler is built on first use for the same reason.

The function also receives the events it sends itself (``pivotkit.aws.self_invoke``): a
step's background job or an ``on_media_stored`` hook, recognised by
``pivotkit.deferred.is_deferred_event`` (never an HTTP event: a Function URL always wraps
what a caller sends in one, so nobody but the function's own role can send such an event).
They run in ``pivotkit.deferred_runner.DeferredWork``, built on the first one. A run that
raises raises out of the handler: Lambda retries the invocation twice, then sends the event
to the customer's failure queue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pivotkit.aws.composition import build_function
from pivotkit.aws.lambda_entry import build_job_store, make_pivot_handler
from pivotkit.aws.settings import Settings
from pivotkit.customers import Customer
from pivotkit.http import LambdaHandler

if TYPE_CHECKING:
    from pivotkit.work import JobStore

MEDIA_PREFIX = "/media"
WEBHOOK_PREFIX = "/hooks"


def is_media_request(event: Mapping[str, Any]) -> bool:
    """Whether the event's path is under ``/media`` (a Function URL or HTTP API v2 event's
    ``rawPath``; a REST API v1 event's ``path``). Anything else goes to the Pivot handler,
    which answers a path it does not know with its own 404."""
    return _under(event, MEDIA_PREFIX)


def is_webhook_request(event: Mapping[str, Any]) -> bool:
    """Whether the event's path is under ``/hooks`` (a Kazoo call webhook)."""
    return _under(event, WEBHOOK_PREFIX)


def _under(event: Mapping[str, Any], prefix: str) -> bool:
    path = event.get("rawPath") or event.get("path")
    if not isinstance(path, str):
        return False
    return path == prefix or path.startswith(prefix + "/")


def make_customer_handler(
    environ: Mapping[str, str] | None = None,
    *,
    customers: Mapping[str, Customer] | None = None,
) -> LambdaHandler:
    """The function's handler; ``customers`` replaces discovery (tests)."""
    settings, served, parts = build_function(environ, customers)
    # One job store for the requests that start and poll jobs and the runs that finish them
    # (on DynamoDB: a lazy client; its module is imported here, pivotkit.work is not).
    jobs = build_job_store(settings)
    pivot = make_pivot_handler(environ, customers=served, parts=parts, jobs=jobs)
    media: list[LambdaHandler] = []  # built on the first media request, then kept
    hooks: list[LambdaHandler] = []  # built on the first webhook request, then kept
    deferred: list[Callable[[Mapping[str, Any]], None]] = []  # built on the first event

    def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        if _maybe_deferred(event):
            if not deferred:
                deferred.append(make_deferred_runner(settings, served, jobs))
            deferred[0](event)
            return {"ran": event["kind"]}
        if isinstance(event, Mapping) and is_webhook_request(event):
            if not hooks:
                from pivotkit.aws.webhook_entry import make_webhook_handler

                hooks.append(make_webhook_handler(environ, customers=served, parts=parts))
            return hooks[0](event, context)
        if not isinstance(event, Mapping) or not is_media_request(event):
            return pivot(event, context)
        if not media:
            from pivotkit.aws.media_entry import make_media_handler

            media.append(make_media_handler(environ, customers=served, parts=parts))
        return media[0](event, context)

    return handler


def _maybe_deferred(event: object) -> bool:
    """Whether ``event`` is the function's own deferred event. Every HTTP event has a
    ``requestContext``; only one without it loads ``pivotkit.deferred`` to be judged."""
    if not isinstance(event, Mapping) or "requestContext" in event:
        return False
    from pivotkit.deferred import is_deferred_event

    return is_deferred_event(event)


def make_deferred_runner(
    settings: Settings, customers: Mapping[str, Customer], jobs: JobStore
) -> Callable[[Mapping[str, Any]], None]:
    """What runs this function's own deferred events: jobs on ``jobs`` (the call-state
    table), media hooks reading the bytes back from the media bucket (built on the first
    ``read()``)."""
    from pivotkit.aws.lambda_entry import build_config_source, build_secret_source
    from pivotkit.deferred_runner import DeferredWork
    from pivotkit.media.store import MediaStore

    stores: list[MediaStore] = []

    def media() -> MediaStore:
        if not stores:
            from pivotkit.aws.media_entry import build_media_store

            stores.append(build_media_store(settings))
        return stores[0]

    work = DeferredWork(
        customers,
        jobs,
        media=media,
        config=build_config_source(settings, customers),
        secrets=build_secret_source(settings, customers),
    )
    return work.run
