"""The reference a user would write by hand: Powertools' HTTP API resolver, a pydantic model
for Kazoo's parameters, a boto3 DynamoDB client created at import (the usual pattern), and
the same answers as the Acme example: the PIN prompt for the first request; for a
continuation (``step`` in the query) the same DynamoDB work as the kit and the floor
(GetItem, conditional PutItem; ``bench.floor_handler.state_write``), then the menu. Only
used by `make bench` to put pivotkit's cold start in proportion.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from pydantic import BaseModel, ConfigDict, Field

from bench import answers
from bench.floor_handler import state_write

app = APIGatewayHttpResolver()
dynamodb = boto3.client("dynamodb")
TABLE = os.environ.get("PIVOTKIT_STATE_TABLE", "")
TOKEN = "T"


class KazooParams(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)
    account_id: str = Field(alias="Account-ID", pattern=r"^[0-9a-f]{32}$")
    call_id: str = Field(alias="Call-ID", min_length=1)
    caller_id_number: str | None = Field(default=None, alias="Caller-ID-Number")
    step: str | None = None


@app.get("/pivot/<customer>")
def pivot(customer: str) -> Response[Any]:
    query = app.current_event.raw_query_string
    params = dict(parse_qsl(query, keep_blank_values=True))
    if params.get("token") != TOKEN:
        return Response(401, "application/json", '{"error":"unauthorized"}')
    kazoo = KazooParams.model_validate(params)
    base = f"https://{app.current_event.request_context.domain_name}/pivot/{customer}"
    if kazoo.step is None:
        return Response(200, "application/json", answers.first(base, TOKEN))
    state_write(dynamodb, TABLE, f"ref#{kazoo.account_id}#{kazoo.call_id}", kazoo.step)
    return Response(200, "application/json", answers.menu(base, TOKEN))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
