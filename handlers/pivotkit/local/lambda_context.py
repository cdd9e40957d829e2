"""A Lambda context object for running entry points outside Lambda.

It carries what the Python runtime's ``LambdaContext`` carries (names, ARN, memory, request
id, log group and stream) and a clock: ``get_remaining_time_in_millis`` counts down from the
function's timeout starting when the invocation begins, so code that budgets its time
against the deadline (retries, state conflicts) behaves as it would when deployed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT = "123456789012"
# The pivot function's deployed timeout: Kazoo gives up on a Pivot request after at most
# req_timeout_ms = 5000, so the function never needs longer.
DEFAULT_TIMEOUT_MS = 5000
DEFAULT_MEMORY_MB = 512


@dataclass
class LocalLambdaContext:
    """Duck-typed stand-in for ``awslambdaric``'s ``LambdaContext``."""

    function_name: str
    memory_limit_in_mb: int = DEFAULT_MEMORY_MB
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    region: str = LOCAL_REGION
    account: str = LOCAL_ACCOUNT
    clock: Callable[[], float] = time.monotonic
    # Lambda sets these only for mobile SDK invocations; always None behind API Gateway.
    identity: object | None = None
    client_context: object | None = None
    _started: float = field(init=False)

    def __post_init__(self) -> None:
        self._started = self.clock()

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        # Deployed streams are "<date>/[<version>]<instance id>"; one local "instance".
        day = time.strftime("%Y/%m/%d", time.gmtime())
        return f"{day}/[{self.function_version}]local"

    def get_remaining_time_in_millis(self) -> int:
        elapsed_ms = (self.clock() - self._started) * 1000
        return max(0, int(self.timeout_ms - elapsed_ms))
