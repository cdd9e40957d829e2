"""Runs a deferred event (``pivotkit.deferred``) for the customers one process serves.

Deployed, ``pivotkit.aws.customer_entry`` hands it the events its own function sent itself
(``pivotkit.aws.self_invoke``); locally, ``PivotApp``'s background thread does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pivotkit.deferred import JOB, is_deferred_event
from pivotkit.work import JobStore, job_from_event, run_job

if TYPE_CHECKING:
    from pivotkit.config import ConfigSource
    from pivotkit.customers import Customer
    from pivotkit.media.store import MediaStore
    from pivotkit.outbound import Transport
    from pivotkit.secrets import SecretSource


class DeferredWork:
    """Runs jobs and media hooks; ``media`` is the store ``StoredMedia.read()`` reads from,
    ``config``, ``secrets`` and ``outbound`` what ``job.config``, ``job.secrets`` and
    ``job.http`` use."""

    def __init__(
        self,
        customers: Mapping[str, Customer],
        jobs: JobStore,
        *,
        media: Callable[[], MediaStore] | None = None,
        clock: Callable[[], float] = time.time,
        config: ConfigSource | None = None,
        secrets: SecretSource | None = None,
        outbound: Transport | None = None,
    ) -> None:
        self.customers = dict(customers)
        self.jobs = jobs
        self._media = media
        self.clock = clock
        self.config = config
        self.secrets = secrets
        self.outbound = outbound

    def run(self, event: Mapping[str, Any]) -> None:
        """Run one event. A media hook that raises raises ``DeferredFailed`` (deployed,
        Lambda retries it, then dead-letters it); a job's failure is its record's."""
        if not is_deferred_event(event):
            raise ValueError("not a pivotkit deferred event")
        if event["kind"] != JOB:
            from pivotkit.media.app import run_media_hook

            run_media_hook(self.customers, event, self._media)
            return
        customer = self.customers.get(str(event.get("customer")))
        if customer is None:
            raise ValueError("a deferred event for a customer this function does not serve")
        run_job(
            customer,
            self.jobs,
            job_from_event(event["job"]),
            now=self.clock,
            config=self.config,
            secrets=self.secrets,
            outbound=self.outbound,
        )
