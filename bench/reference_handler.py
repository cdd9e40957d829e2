"""The reference a user would write by hand: Powertools' HTTP API resolver, a pydantic model
for Kazoo's parameters, a boto3 DynamoDB client created at import (the usual pattern), and
the same first answer as the Acme example (welcome, PIN prompt, collect, continuation pivot
with a fallback). Only used by `make bench` to put pivotkit's cold start in proportion.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from pydantic import BaseModel, ConfigDict, Field

app = APIGatewayHttpResolver()
dynamodb = boto3.client("dynamodb")
TABLE = os.environ.get("PIVOTKIT_STATE_TABLE", "")
TOKEN = "T"


class KazooParams(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)
    account_id: str = Field(alias="Account-ID", pattern=r"^[0-9a-f]{32}$")
    call_id: str = Field(alias="Call-ID", min_length=1)
    caller_id_number: str | None = Field(default=None, alias="Caller-ID-Number")


@app.get("/pivot/<customer>")
def pivot(customer: str) -> Response[Any]:
    query = app.current_event.raw_query_string
    params = dict(parse_qsl(query, keep_blank_values=True))
    if params.get("token") != TOKEN:
        return Response(401, "application/json", '{"error":"unauthorized"}')
    KazooParams.model_validate(params)
    base = f"https://{app.current_event.request_context.domain_name}/pivot/{customer}"
    answer = {
        "module": "tts",
        "data": {"text": "Welcome to Acme Widgets. Please enter your four digit account PIN."},
        "children": {
            "_": {
                "module": "collect_dtmf",
                "data": {"collection_name": "check_pin_1", "max_digits": 4},
                "children": {
                    "_": {
                        "module": "pivot",
                        "data": {
                            "voice_url": f"{base}?token={TOKEN}&step=check_pin&hop=1",
                            "method": "get",
                            "req_format": "kazoo",
                            "req_timeout_ms": 4000,
                        },
                        "children": {"_": {"module": "hangup", "data": {}}},
                    }
                },
            }
        },
    }
    return Response(200, "application/json", answer)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
