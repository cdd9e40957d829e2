"""Whatever bytes arrive, decoding ends in a PivotRequest or a ClientError (a 4xx), never
in any other exception (a 500)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pivotkit.errors import ClientError
from pivotkit.http import HttpRequest
from pivotkit.request import PivotRequest, decode_pivot_request, parse_params, query_params

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text made mostly of the characters the parser cares about, so examples reach deep paths
# (brackets, escapes, separators) instead of being rejected at the first byte.
_form_alphabet = st.sampled_from([*"[]&=%+aZ09-_.~ é\x00\ud800", "%C3", "%5B", "%5D"])
form_text = st.lists(_form_alphabet, max_size=80).map("".join)
any_text = st.text(max_size=200)
query_text = form_text | any_text

methods = st.sampled_from(["GET", "POST", "get", "post", "HEAD", "PUT", ""]) | st.text(max_size=8)
content_types = st.sampled_from(
    [
        "",
        "application/x-www-form-urlencoded",
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
    ]
) | st.text(max_size=40)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)
bodies = (
    st.binary(max_size=300)
    | form_text.map(lambda text: text.encode("utf-8", "surrogatepass"))
    | json_values.map(lambda value: json.dumps(value).encode())
)


def _decode(request: HttpRequest) -> None:
    try:
        decoded = decode_pivot_request(request)
    except ClientError as error:
        assert 400 <= error.status < 500
    else:
        assert isinstance(decoded, PivotRequest)
    try:
        flat = query_params(request)
    except ClientError as error:
        assert 400 <= error.status < 500
    else:
        assert all(isinstance(value, str) for value in flat.values())


@FUZZ
@given(raw=query_text)
def test_parse_params_never_fails_unexpectedly(raw: str) -> None:
    try:
        tree = parse_params(raw)
    except ClientError:
        return
    assert isinstance(tree, dict)


@FUZZ
@given(method=methods, query=query_text, body=bodies, content_type=content_types)
def test_any_request_decodes_or_is_a_client_error(
    method: str, query: str, body: bytes, content_type: str
) -> None:
    _decode(
        HttpRequest(
            method=method,
            path="/pivot/acme",
            raw_query=query,
            headers={"content-type": content_type},
            body=body,
        )
    )


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["Account-ID", "Call-ID", "Digits", "User-ID", "From", "Custom-Application-Vars"]
        ),
        json_values,
    )
)
def test_any_json_object_decodes_or_is_a_client_error(fields: dict[str, object]) -> None:
    body = json.dumps({"Account-ID": "0" * 32, "Call-ID": "c", **fields}).encode()
    _decode(
        HttpRequest(
            method="POST",
            path="/pivot/acme",
            headers={"content-type": "application/json"},
            body=body,
        )
    )
