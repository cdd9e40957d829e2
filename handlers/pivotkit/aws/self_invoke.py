"""The deployed ``Deferrer``: the customer's function invokes itself, asynchronously.

A thread that outlives a Lambda response is frozen with the execution environment until
its next request (or forever, if none comes), so deployed work after the answer (a step's
background job, an ``on_media_stored`` hook) runs in an invocation of its own:

    Invoke(FunctionName=<PIVOTKIT_SELF_FUNCTION>, InvocationType="Event", Payload=<event>)

``PIVOTKIT_SELF_FUNCTION`` is the function's own name with its ``live`` alias
(``infra.customer_stack`` sets it), so the work runs the same code version as the request
that started it, and the role may invoke that function only. Lambda queues the event and
answers 202 in tens of milliseconds; a run that raises is retried twice, then the event goes
to the customer's failure queue ``pivotkit-<stage>-<slug>-failures`` (the alias's async
invoke configuration, also in the stack). ``pivotkit.aws.customer_entry`` recognises the
event (``pivotkit.deferred.is_deferred_event``) and runs it.

The event names the job (its id, name, payload and bounds) or the stored media (bucket key
and metadata); never a media body and never a token. The Lambda client is built on the
first ``defer``, so a Pivot request that starts no job never builds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pivotkit.aws import clients

# What Lambda accepts as the payload of one asynchronous invocation.
MAX_EVENT_BYTES = 256 * 1024
ACCEPTED = 202


class SelfInvoker:
    """``Deferrer``: one ``InvocationType=Event`` invocation of ``function`` per event."""

    def __init__(self, function: str, client: Callable[[], Any] | None = None) -> None:
        """``client`` returns the Lambda client; by default the process's own, built on
        the first ``defer`` (``pivotkit.aws.clients.lambda_client``)."""
        if not function:
            raise ValueError("the function to invoke is required")
        self.function = function
        self._client = client

    def client(self) -> Any:
        return self._client() if self._client is not None else clients.lambda_client()

    def defer(self, event: Mapping[str, Any]) -> None:
        payload = json.dumps(event, separators=(",", ":")).encode("utf-8")
        if len(payload) > MAX_EVENT_BYTES:
            raise ValueError(f"a deferred event is over {MAX_EVENT_BYTES} bytes")
        answer = self.client().invoke(
            FunctionName=self.function, InvocationType="Event", Payload=payload
        )
        status = answer.get("StatusCode")
        if status != ACCEPTED:
            raise RuntimeError(f"Lambda answered {status} to an asynchronous invocation")
