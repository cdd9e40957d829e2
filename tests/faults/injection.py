"""Faults on a real (moto-backed) boto3 client, injected through botocore's event hooks so
the code under test sees botocore's own exception types.

- ``ErrorAnswer``: the service answers an HTTP error (S3's XML or DynamoDB's JSON body,
  parsed by botocore's own parser). It is answered at ``before-call``, so moto never applies
  the request (moto's stubber runs at ``before-send``, where every handler is called even
  after one has answered). The SDK's retry loop is not involved: it models what is left
  after the SDK's own retries, and the stores' retries (DynamoDB's) still apply.
- ``AnswerLost``: the request reached the service and was applied, then the answer was lost
  (a read timeout raised at ``after-call``): the case that tests idempotent retries.

Connection-level faults that go through the SDK's retries are ``FaultInjector`` exceptions
raised at ``before-send`` (``tests.contract.moto_support``).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from botocore.parsers import create_parser


class _Countdown:
    def __init__(self, times: int) -> None:
        self.remaining = times
        self.fired = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
            self.fired += 1
            return True


class ErrorAnswer(_Countdown):
    def __init__(
        self,
        client: Any,
        operation: str,
        status: int,
        code: str,
        *,
        times: int = 1_000_000,
        delay: float = 0.0,
    ) -> None:
        super().__init__(times)
        self.status, self.code, self.delay = status, code, delay
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register_first(f"before-call.{service}.{operation}", self._answer)

    def _answer(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not self.take():
            return None
        if self.delay:
            time.sleep(self.delay)
        protocol = model.service_model.resolved_protocol
        if protocol == "rest-xml":
            body = (
                f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{self.code}</Code>"
                "<Message>injected fault</Message><RequestId>fault</RequestId></Error>"
            ).encode()
            headers = {"Content-Type": "application/xml", "x-amz-request-id": "fault"}
        else:
            body = json.dumps({"__type": self.code, "message": "injected fault"}).encode()
            headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}
        parsed = create_parser(protocol).parse(
            {"status_code": self.status, "headers": headers, "body": body}, model.output_shape
        )
        return AWSResponse("https://fault.invalid", self.status, headers, None), parsed  # type: ignore[arg-type]


class AnswerLost(_Countdown):
    def __init__(self, client: Any, operation: str, *, times: int = 1) -> None:
        super().__init__(times)
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register_first(f"after-call.{service}.{operation}", self._lose)

    def _lose(self, **_: Any) -> None:
        if self.take():
            raise ReadTimeoutError(endpoint_url="https://lost.invalid")


class RaiseOnSend(_Countdown):
    """The connection fails (reset, refused, timed out) before the service sees anything.

    Raised at ``before-send``, ahead of moto, so it passes through the SDK's retry loop
    exactly as a real network error does.
    """

    def __init__(
        self, client: Any, operation: str, error: Exception, *, times: int, delay: float = 0.0
    ) -> None:
        super().__init__(times)
        self.error, self.delay = error, delay
        self.attempts = 0
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register_first(f"before-send.{service}.{operation}", self._fail)

    def _fail(self, **_: Any) -> None:
        self.attempts += 1
        if self.take():
            if self.delay:
                time.sleep(self.delay)  # the time the client waited before giving up
            raise self.error
