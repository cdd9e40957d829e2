"""pivotkit: AWS Lambda as the hosted endpoint for Kazoo's Pivot callflow action.

This module is the public API customer flows use; everything else is internal.
"""

from typing import TYPE_CHECKING, Any

from pivotkit.callflow import *  # noqa: F403 - the builder is part of the public API
from pivotkit.callflow import __all__ as _callflow_names
from pivotkit.customers import Customer
from pivotkit.errors import (
    BadRequest,
    CallflowError,
    ClientError,
    OutboundError,
    PivotkitError,
    SecretUnavailable,
    ServerError,
    SharedConflict,
    SharedStoreError,
    StepError,
)
from pivotkit.flow import Call, CallState, Flow

if TYPE_CHECKING:
    from pivotkit.call_events import CallEvent
    from pivotkit.request import PivotRequest

__all__ = [  # noqa: PLE0604 - the builder names come from pivotkit.callflow.__all__
    *_callflow_names,
    "BadRequest",
    "Call",
    "CallEvent",
    "CallState",
    "CallflowError",
    "ClientError",
    "Customer",
    "Flow",
    "OutboundError",
    "PivotRequest",
    "PivotkitError",
    "SecretUnavailable",
    "ServerError",
    "SharedConflict",
    "SharedStoreError",
    "StepError",
]


def __getattr__(name: str) -> Any:
    # Loaded lazily so the media function, which never decodes a Pivot request, does not
    # import the decoder at cold start. The Pivot path imports it anyway.
    if name == "PivotRequest":
        from pivotkit.request import PivotRequest

        return PivotRequest
    if name == "CallEvent":  # only the webhook route decodes one
        from pivotkit.call_events import CallEvent

        return CallEvent
    raise AttributeError(f"module 'pivotkit' has no attribute {name!r}")
