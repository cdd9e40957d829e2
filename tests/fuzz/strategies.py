"""Hypothesis strategies for whole Lambda events: Pivot and media requests as Kazoo sends
them, mutated (wrong tokens, continuation parameters, parameter trees, bodies, content
types, encodings, event shapes), and events that are not HTTP at all.

Most cases stay close to real traffic (a valid token, a known step, a real Kazoo parameter
set) so they get past authentication and decoding into the engine; the rest is garbage
that must be refused cleanly.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from pivotkit import Call, Customer, Flow, Node, hangup, tts
from pivotkit.local.kazoo_encoding import KazooCall, encode_form, encode_json, kazoo_params
from tests.fuzz.continuations import signed_query

ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
FUZZ_TOKEN = "fuzz-token-5e0c71d2a9"
ACME_TOKEN = "acme-token-08b3f6c4e7"
TOKENS = {"fuzz": [FUZZ_TOKEN], "acme": [ACME_TOKEN]}
HOST = "pivot.example.com"
# A call the module walks into its menu before fuzzing, so continuations find state.
KNOWN_CALL = "fuzz-known@10.0.0.5"


def _fuzz_flow() -> Flow:
    """Stateful steps that branch on input but never speak it back (so no 5xx is the
    customer's own doing)."""
    flow = Flow(track_path=True)

    @flow.step()
    def start(call: Call) -> Node:
        call.state["entered"] = True
        return call.gather("menu", prompt=tts("Press 1 for a PIN, 2 to leave."))

    @flow.step()
    def menu(call: Call) -> Node:
        call.state["menu_visits"] = int(call.state.get("menu_visits", 0)) + 1
        if call.digits == "1":
            return call.gather("pin", prompt=tts("Your PIN, then pound."), max_digits=6)
        if call.digits == "2":
            return tts("Goodbye.").then(hangup())
        return call.gather("menu", prompt=tts("Please choose 1 or 2."))

    @flow.step()
    def pin(call: Call) -> Node:
        call.state["pin_ok"] = call.digits == "4711"
        return tts("Thank you.").then(call.goto("start"))

    return flow


FUZZ_CUSTOMER = Customer(slug="fuzz", flow=_fuzz_flow())

# -- building blocks ---------------------------------------------------------------------

_punctuation = st.sampled_from([*"[]&=%+#?/;,.:\"'\\{} ", "%5B", "%5D", "%00", "%FF", "\x00"])
_ascii_junk = st.lists(
    st.characters(min_codepoint=32, max_codepoint=126) | _punctuation, max_size=40
).map("".join)
junk = _ascii_junk | st.text(max_size=40)


# Display text as Kazoo passes it on from a SIP device: bytes, often Latin-1, sometimes
# not text at all (docs/kazoo-notes.md, "Text that is not UTF-8").
display_bytes = (
    st.lists(st.integers(0x20, 0xFF), max_size=16).map(bytes)
    | st.binary(max_size=16)
    | st.text(max_size=8).map(lambda text: text.encode("utf-8", "surrogatepass"))
)
# Names a custom variable or SIP header can have that Kazoo writes unambiguously (keys go
# out raw: '+', '%41' and the like must come back as they are) ...
plain_key_pieces = [*"aZ09-._!%*+`'~ :/", "é", "☎", "%41", "%2B", "%", "%%", "+%20"]
plain_keys = st.lists(st.sampled_from(plain_key_pieces), min_size=1, max_size=6).map("".join)
# ... and names with the characters that make the bytes ambiguous (& = # [ ]).
odd_keys = plain_keys | st.lists(
    st.sampled_from([*plain_key_pieces, "&", "=", "#", "[", "]", "[]", "]["]),
    min_size=1,
    max_size=8,
).map("".join)
# X-Forwarded-Proto and -Host as a client may forge them; none may leave the API's domain.
forwarded_protos = (
    st.sampled_from(
        [
            *("https", "http", "HTTPS", "https, http", "ftp", "", "javascript", "https:"),
            *("https://evil.example/steal?x=", "http://evil.example#", "//evil.example/"),
        ]
    )
    | junk
)
forwarded_hosts = (
    st.sampled_from(
        [
            *("evil.example", "evil.example:443", "evil.example/steal?x=", "user:pw@evil.example"),
            *(HOST, f"{HOST}.evil.example", f"{HOST}@evil.example", "[::1]", "localhost"),
        ]
    )
    | junk
)


# What a case may get wrong. Each case is a real Kazoo request with a few of these faults
# injected; hypothesis prefers small sets, so many cases are whole requests that reach a
# step and many carry one or two faults that must be refused.
FAULTS = (
    "method",
    "path",
    "customer",
    "token",
    "step",
    "seq",
    "hop",
    "collection",
    "account",
    "call",
    "caller",
    "digits",
    "parameters",
    "encoding",
    "content_type",
    "headers",
    "display",
    "keys",
    "forwarded",
    "signature",  # a continuation's sig forged (tests/fuzz/continuations.py)
    "foreign",  # a genuine sig made for another call, step, seq, ...
)
faults = st.sets(st.sampled_from(FAULTS), max_size=3)

STEPS = {"fuzz": ["start", "menu", "pin"], "acme": ["start", "check_pin", "menu_choice"]}
COLLECTIONS = ["menu_1", "pin_2", "menu_3", "check_pin_1", "menu_choice_2"]

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


def pick(
    draw: st.DrawFn, faulty: bool, usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]
) -> Any:
    return draw(odd if faulty else usual)


@st.composite
def kazoo_parameters(draw: st.DrawFn, wrong: frozenset[str]) -> dict[str, Any]:
    """Kazoo's parameter set for a call, with the ``wrong`` fields broken."""
    call = KazooCall(
        account_id=pick(
            draw, "account" in wrong, st.just(ACCOUNT_ID), st.sampled_from(["", "0"]) | junk
        ),
        call_id=pick(
            draw,
            "call" in wrong,
            st.sampled_from([KNOWN_CALL, "fuzz-other@10.0.0.5"]),
            st.just("") | st.text(max_size=600),
        ),
        caller_id_name=pick(draw, "caller" in wrong, st.just("John Smith"), junk),
        caller_id_number=pick(draw, "caller" in wrong, st.just("+14155550123"), junk),
        collections={
            pick(draw, "collection" in wrong, st.sampled_from(COLLECTIONS), junk): pick(
                draw,
                "digits" in wrong,
                st.sampled_from(["", "1", "2", "4711", "#"]),
                st.just("1" * 300) | junk,
            )
        },
        custom_application_vars={"plan": "gold"},
    )
    params: dict[str, Any] = dict(kazoo_params(call))
    cosmetic_oddities(draw, params, wrong, keys=odd_keys)
    if "parameters" in wrong:
        for name in draw(st.lists(st.sampled_from(sorted(params)), max_size=3)):
            if draw(st.booleans()):
                params.pop(name, None)
            else:
                params[name] = draw(json_values)
        params.update(draw(st.dictionaries(junk, json_values, max_size=3)))
    return params


def cosmetic_oddities(
    draw: st.DrawFn, params: dict[str, Any], wrong: frozenset[str], keys: st.SearchStrategy[str]
) -> None:
    """Put into ``params`` what Kazoo really sends and a call must survive: display fields
    that are not UTF-8 (``display``) and custom variable and SIP header names with odd
    characters (``keys``)."""
    headers = {"X-Carrier": "one"}
    if "display" in wrong:
        params["Caller-ID-Name"] = draw(display_bytes)
        headers["X-Name"] = draw(display_bytes)
    if "keys" in wrong:
        values = st.text(max_size=8) | display_bytes
        params["Custom-Application-Vars"] = draw(st.dictionaries(keys, values, max_size=3))
        headers.update(draw(st.dictionaries(keys, values, max_size=3)))
    params["Custom-SIP-Headers"] = headers


def json_body(params: dict[str, Any]) -> bytes:
    """``encode_json`` for parameters that may hold raw bytes: those go into the body as
    they are, escaped only where JSON syntax needs it (quote, backslash, controls)."""
    raw: list[bytes] = []

    def placeholder(value: Any) -> Any:
        if isinstance(value, bytes):
            raw.append(value)
            return f"\x00pivotkit-raw-bytes-{len(raw) - 1}\x00"
        if isinstance(value, dict):
            return {key: placeholder(item) for key, item in value.items()}
        if isinstance(value, list):
            return [placeholder(item) for item in value]
        return value

    text = encode_json(placeholder(params)).encode("utf-8", "surrogatepass")
    return re.sub(
        rb"\\u0000pivotkit-raw-bytes-(\d+)\\u0000", lambda m: _json_bytes(raw[int(m[1])]), text
    )


def _json_bytes(data: bytes) -> bytes:
    escaped = bytearray()
    for byte in data:
        if byte < 0x20 or byte in b'"\\':
            escaped += json.dumps(chr(byte)).encode()[1:-1]
        else:
            escaped.append(byte)
    return bytes(escaped)


def forwarded_headers(draw: st.DrawFn, wrong: frozenset[str]) -> dict[str, str]:
    """Forwarding headers a client may forge (``forwarded``)."""
    if "forwarded" not in wrong:
        return {}
    return {
        "x-forwarded-proto": draw(forwarded_protos),
        "x-forwarded-host": draw(forwarded_hosts),
        "forwarded": f"proto={draw(forwarded_protos)};host={draw(forwarded_hosts)}",
    }


@st.composite
def continuation_query(draw: st.DrawFn, slug: str, wrong: frozenset[str]) -> str:
    """``token`` and the continuation parameters of a voice_url the kit made, or not."""
    token = pick(
        draw,
        "token" in wrong,
        st.sampled_from(TOKENS.get(slug, [FUZZ_TOKEN])),
        st.sampled_from(["", FUZZ_TOKEN[:-1], FUZZ_TOKEN + "x"]) | junk,
    )
    pairs = [] if "token" in wrong and draw(st.booleans()) else [f"token={quote(token, safe='')}"]
    values = {
        "step": pick(
            draw,
            "step" in wrong,
            st.sampled_from(STEPS.get(slug, ["start"])),
            st.sampled_from(["nosuch", "START", ""]) | junk,
        ),
        "seq": pick(draw, "seq" in wrong, st.integers(0, 5).map(str), junk),
        "hop": pick(draw, "hop" in wrong, st.integers(0, 9).map(str), junk),
        "g": pick(draw, "collection" in wrong, st.sampled_from(COLLECTIONS), junk),
    }
    # A first request has none of them; a continuation has step, hop and seq (and g after
    # a gather); a fault may add or drop any.
    for name in draw(st.sampled_from([(), ("step", "hop", "seq"), ("step", "hop", "seq", "g")])):
        pairs.append(f"{name}={quote(values[name], safe='')}")
    if {"step", "seq", "hop"} & wrong:
        pairs.extend(f"{n}={quote(values[n], safe='')}" for n in ("step", "seq", "hop"))
    return "&".join(pairs)


@st.composite
def pivot_requests(draw: st.DrawFn) -> tuple[str, str, str, dict[str, str], bytes]:
    """(method, path, raw query, headers, body) of a Pivot request with faults injected."""
    wrong = frozenset(draw(faults))
    method = pick(draw, "method" in wrong, st.sampled_from(["GET", "POST"]), st.just("PUT") | junk)
    slug = pick(
        draw, "customer" in wrong, st.sampled_from(["fuzz", "fuzz", "acme"]), st.just("") | junk
    )
    path = "/pivot/" + quote(slug, safe="")
    if "path" in wrong:
        path = draw(st.sampled_from([path + "/", path + "/x", "/", "/pivot"]) | junk)
    query = draw(continuation_query(slug, wrong))
    params = draw(kazoo_parameters(wrong))
    # Signed for this call (the sig the kit emitted), unless a fault says otherwise.
    token = TOKENS.get(slug, [FUZZ_TOKEN])[0]
    query = draw(signed_query(query, slug, params, token, wrong))
    try:
        encoded = encode_form(params)
    except TypeError:  # a mutation Kazoo could never send (null, list of objects)
        encoded = draw(junk)
    if "encoding" in wrong:
        encoded = draw(st.sampled_from([encoded + "%", encoded + "&a[b=1&a=2"]) | junk)
    headers: dict[str, str] = {}
    body = b""
    if method.upper() != "POST":
        query = f"{query}&{encoded}" if query else encoded
    else:
        if draw(st.booleans()):
            body, content_type = encoded.encode("utf-8", "surrogatepass"), FORM
        else:
            body, content_type = json_body(params), "application/json"
        if "encoding" in wrong and draw(st.booleans()):
            body = draw(st.binary(max_size=200))
        if "content_type" in wrong:
            content_type = draw(st.sampled_from(["", "text/plain", "application/xml"]) | junk)
        headers["content-type"] = content_type
    if "headers" in wrong:
        headers.update(draw(st.dictionaries(junk.map(str.lower), junk, max_size=3)))
    headers.update(forwarded_headers(draw, wrong))
    return method, path, query, headers, body


@st.composite
def cosmetic_first_requests(draw: st.DrawFn) -> tuple[str, str, str, dict[str, str], bytes]:
    """A new call's first request, valid in every way that matters, carrying only what
    must not cost the call: display fields that are not UTF-8, odd but unambiguous custom
    variable and SIP header names, forged forwarding headers."""
    wrong = frozenset(draw(st.sets(st.sampled_from(["display", "keys", "forwarded"]))))
    call_id = f"cosmetic-{draw(st.uuids())}@10.0.0.5"
    params: dict[str, Any] = dict(kazoo_params(KazooCall(account_id=ACCOUNT_ID, call_id=call_id)))
    cosmetic_oddities(draw, params, wrong, keys=plain_keys)
    method = draw(st.sampled_from(["GET", "POST"]))
    query = f"token={FUZZ_TOKEN}"
    headers = forwarded_headers(draw, wrong)
    if method == "GET":
        return method, "/pivot/fuzz", f"{query}&{encode_form(params)}", headers, b""
    if draw(st.booleans()):
        body, headers["content-type"] = encode_form(params).encode(), FORM
    else:
        body, headers["content-type"] = json_body(params), "application/json"
    return method, "/pivot/fuzz", query, headers, body


FORM = "application/x-www-form-urlencoded"


def _body_fields(body: bytes, as_base64: bool) -> dict[str, Any]:
    if not body:
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        as_base64 = True
    if as_base64:
        return {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}
    return {"body": text, "isBase64Encoded": False}


@st.composite
def http_events(draw: st.DrawFn, requests: st.SearchStrategy[Any]) -> dict[str, Any]:
    """``requests`` as an HTTP API (v2), REST API (v1) or Function URL event."""
    method, path, query, headers, body = draw(requests)
    shape = draw(st.sampled_from(["v2", "v1", "url"]))
    body_fields = _body_fields(body, draw(st.booleans()))
    if shape == "v1":
        multi: dict[str, list[str]] = {}
        for pair in query.split("&"):
            name, _, value = pair.partition("=")
            if name:
                multi.setdefault(name, []).append(value)
        return {
            "httpMethod": method,
            "path": path,
            "headers": {"Host": HOST, **headers},
            "multiValueQueryStringParameters": multi or None,
            "requestContext": {"stage": "prod", "path": f"/prod{path}", "domainName": HOST},
            **body_fields,
        }
    context: dict[str, Any] = {"http": {"method": method, "sourceIp": "198.51.100.7"}}
    context["domainName"] = HOST
    if shape == "v2":
        context["stage"] = "$default"
    return {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": HOST, "x-forwarded-proto": "https", **headers},
        "requestContext": context,
        **body_fields,
    }


_event_keys = st.sampled_from(
    [
        "version",
        "rawPath",
        "rawQueryString",
        "httpMethod",
        "path",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "requestContext",
        "body",
        "isBase64Encoded",
    ]
)
# Events no gateway sends: wrong types in every field, or not a mapping at all.
odd_events = st.dictionaries(_event_keys, json_values, max_size=8) | json_values


@st.composite
def media_requests(draw: st.DrawFn) -> tuple[str, str, str, dict[str, str], bytes]:
    method = draw(st.sampled_from(["PUT", "PUT", "POST", "GET", "DELETE"]) | junk)
    slug = draw(st.sampled_from(["fuzz", "fuzz", "acme", "nobody"]) | junk)
    form = draw(st.sampled_from(["query", "path", "caller", "plan", "junk"]))
    token = draw(st.sampled_from(TOKENS.get(slug, [FUZZ_TOKEN])) | junk)
    name = draw(st.sampled_from(["call_recording_c1.mp3", "msg.wav", "x.txt", "..", ""]) | junk)
    query = ""
    if form == "query":
        path = f"/media/{quote(slug, safe='')}/recordings"
        query = f"token={quote(token, safe='')}&recording={quote(name, safe='')}&from=a%40b"
    elif form == "path":
        path = f"/media/{quote(slug, safe='')}/{quote(token, safe='')}/{quote(name, safe='')}"
    elif form == "caller":
        path = f"/media/{quote(slug, safe='')}/{quote(token, safe='')}/callers/{ACCOUNT_ID}/c.mp3"
    elif form == "plan":
        where = f"/media/{quote(slug, safe='')}/{quote(token, safe='')}"
        path = f"{where}/{ACCOUNT_ID}/doc1/{quote(name, safe='')}"
    else:
        path, query = draw(junk), draw(junk)
    body = draw(st.binary(max_size=300))
    content_type = draw(
        st.sampled_from(["audio/mpeg", "audio/wav", "multipart/mixed; boundary=b", ""]) | junk
    )
    return method, path, query, {"content-type": content_type}, body


def as_json(value: Any) -> str:
    return json.dumps(value, default=str)
