"""parse_params: Kazoo's form encoding back into a parameter tree."""

from __future__ import annotations

import logging

import pytest

from pivotkit.errors import BadRequest
from pivotkit.local.kazoo_encoding import encode_form
from pivotkit.request import MAX_DEPTH, MAX_PARAMS, parse_params


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Digits[menu]=1", {"Digits": {"menu": "1"}}),
        ("User-ID[]=a&User-ID[]=b", {"User-ID": ["a", "b"]}),
        ("User-ID[]=only", {"User-ID": ["only"]}),
        ("Custom-Application-Vars[k]=v", {"Custom-Application-Vars": {"k": "v"}}),
        ("Custom-SIP-Headers[X-Foo]=v", {"Custom-SIP-Headers": {"X-Foo": "v"}}),
        ("a[b][c]=v", {"a": {"b": {"c": "v"}}}),
        ("a[b][]=1&a[b][]=2&a[c]=3", {"a": {"b": ["1", "2"], "c": "3"}}),
        ("Digits[one]=1&Digits[two]=22", {"Digits": {"one": "1", "two": "22"}}),
        ("Digits[menu]=", {"Digits": {"menu": ""}}),
    ],
)
def test_php_style_keys_unflatten(raw: str, expected: dict[str, object]) -> None:
    assert parse_params(raw) == expected


def test_empty_segments_from_empty_objects_are_skipped() -> None:
    assert parse_params("&&Caller-ID-Number=%2B1&&&Direction=inbound&") == {
        "Caller-ID-Number": "+1",
        "Direction": "inbound",
    }


def test_empty_input_is_an_empty_tree() -> None:
    assert parse_params("") == {}
    assert parse_params("&&&") == {}


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("v=John+Smith", "John Smith"),
        ("v=%2B14155550123", "+14155550123"),
        ("v=abc%4010.0.0.5", "abc@10.0.0.5"),
        ("v=caf%C3%A9", "café"),
        ("v=%E2%98%8E+%F0%9F%93%9E", "☎ 📞"),
        ("v=a%2Cb%26c%3Dd", "a,b&c=d"),
        ("v=%7e%7E", "~~"),  # lower- and upper-case hex alike
        ("v=a=b", "a=b"),  # only the first '=' separates
        ("v", ""),  # a bare name is an empty value
    ],
)
def test_values_are_form_decoded(raw: str, value: str) -> None:
    assert parse_params(raw) == {"v": value}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # kz_http_util:json_to_querystring writes keys raw and encodes only values.
        ("Custom-Application-Vars[a+b]=1", {"Custom-Application-Vars": {"a+b": "1"}}),
        ("Custom-Application-Vars[pct%41]=1", {"Custom-Application-Vars": {"pct%41": "1"}}),
        ("Custom-SIP-Headers[X-A+B]=v%2Bw", {"Custom-SIP-Headers": {"X-A+B": "v+w"}}),
        ("Custom-Application-Vars[caf\u00e9]=x", {"Custom-Application-Vars": {"caf\u00e9": "x"}}),
        ("Digits%5Bmenu%5D=2", {"Digits%5Bmenu%5D": "2"}),  # not bracket syntax
        ("k%FF=v", {"k%FF": "v"}),
    ],
)
def test_keys_are_taken_as_kazoo_writes_them(raw: str, expected: dict[str, object]) -> None:
    assert parse_params(raw) == expected


@pytest.mark.parametrize(
    "name", ["a+b", "pct%41", "100%", "x y", "a~b!c*d'e", "%2B", "caf\u00e9", "X-A+B"]
)
def test_every_key_kazoo_can_write_unambiguously_comes_back(name: str) -> None:
    params = {
        "Custom-Application-Vars": {name: "v 1"},
        "Custom-SIP-Headers": {name: "v&2"},
        "Digits": {name: "3"},
    }
    assert parse_params(encode_form(params)) == params


@pytest.mark.parametrize(
    ("name", "first"),
    [("a&b", "Custom-Application-Vars[a"), ("a=b", "Custom-Application-Vars[a")],
)
def test_a_key_kazoo_writes_ambiguously_is_logged_not_dropped_silently(
    name: str, first: str, caplog: pytest.LogCaptureFixture
) -> None:
    raw = encode_form({"Custom-Application-Vars": {name: "1", "ok": "2"}})
    with caplog.at_level(logging.WARNING, logger="pivotkit.request"):
        tree = parse_params(raw)
    assert tree["Custom-Application-Vars"] == {"ok": "2"}
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert first in record.getMessage()


def test_a_get_cut_at_a_hash_in_a_key_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    # On a GET an HTTP client sends nothing after '#': the query ends inside the key.
    raw = encode_form({"Call-ID": "c", "Custom-Application-Vars": {"a#b": "1"}})
    cut = raw.partition("#")[0]
    with caplog.at_level(logging.WARNING, logger="pivotkit.request"):
        assert parse_params(cut) == {"Call-ID": "c", "Custom-Application-Vars[a": ""}
    assert "Custom-Application-Vars[a" in caplog.text


def test_the_logged_key_is_short_and_escaped(caplog: pytest.LogCaptureFixture) -> None:
    key = "Custom-Application-Vars[\n\x1b[31m" + "x" * 200
    with caplog.at_level(logging.WARNING, logger="pivotkit.request"):
        parse_params(f"{key}=1")
    message = caplog.records[0].getMessage()
    assert "\n" not in message and "\x1b" not in message and "x" * 40 not in message
    assert "\\n" in message


def test_well_formed_keys_log_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="pivotkit.request"):
        parse_params("Digits[menu]=1&User-ID[]=a&Custom-SIP-Headers[X-A+B]=v&token=t&flag")
    assert caplog.records == []


def test_keys_are_literal_so_a_stray_percent_in_a_key_is_kept() -> None:
    # Kazoo never encodes keys: a custom variable named "100%" arrives as is.
    assert parse_params("Custom-Application-Vars[100%]=x") == {
        "Custom-Application-Vars": {"100%": "x"}
    }


def test_repeated_plain_key_keeps_the_last_value() -> None:
    # On a GET Kazoo's parameters follow voice_url's own query: Kazoo's value must win.
    assert parse_params("Call-ID=forged&Call-ID=real") == {"Call-ID": "real"}
    assert parse_params("Digits[a]=1&Digits[a]=2") == {"Digits": {"a": "2"}}


@pytest.mark.parametrize("key", ["a[b", "a[b]c", "[x]", "a]b", "a[[b]]", "a[b]]"])
def test_keys_that_are_not_bracket_syntax_stay_literal(key: str) -> None:
    assert parse_params(f"{key}=v") == {key: "v"}


def test_nameless_parameters_are_dropped() -> None:
    assert parse_params("=x&[]=y&a=1") == {"[]": "y", "a": "1"}
    assert parse_params("=x") == {}


@pytest.mark.parametrize(
    "raw",
    [
        "a=1&a[b]=2",
        "a[b]=2&a=1",
        "a[]=1&a[x]=2",
        "a[x]=1&a[]=2",
        "a[]=1&a=2",
        "a=1&a[]=2",
        "a[b]=1&a[b][c]=2",
        "a[b][c]=1&a[b]=2",
    ],
)
def test_conflicting_shapes_are_rejected(raw: str) -> None:
    with pytest.raises(BadRequest, match="a parameter is sent both"):
        parse_params(raw)
    with pytest.raises(BadRequest, match="parameter Digits is sent both"):
        parse_params(raw.replace("a", "Digits"))


def test_conflict_message_does_not_echo_arbitrary_names() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_params("<script>=1&<script>[x]=2")
    assert "<script>" not in caught.value.message


@pytest.mark.parametrize("raw", ["v=%", "v=%4", "v=%ZZ", "v=100%", "v=%%41"])
def test_malformed_percent_escapes_in_values_are_rejected(raw: str) -> None:
    with pytest.raises(BadRequest, match="percent-escape"):
        parse_params(raw)


@pytest.mark.parametrize("raw", ["v=%C3", "v=%FF", "v=%ED%A0%80", "v=%C3%28"])
def test_invalid_utf8_is_rejected(raw: str) -> None:
    with pytest.raises(BadRequest, match="UTF-8"):
        parse_params(raw)


def test_unpaired_surrogate_in_the_raw_string_is_rejected() -> None:
    with pytest.raises(BadRequest, match="UTF-8"):
        parse_params("v=\ud800")


def test_depth_limit() -> None:
    deepest = "a" + "[x]" * MAX_DEPTH
    node = parse_params(f"{deepest}=v")["a"]
    for _ in range(MAX_DEPTH - 1):
        node = node["x"]
    assert node == {"x": "v"}
    with pytest.raises(BadRequest, match="nested"):
        parse_params(f"{deepest}[x]=v")


def test_parameter_count_limit_ignores_empty_segments() -> None:
    at_limit = "&".join(f"p{i}=v" for i in range(MAX_PARAMS))
    assert len(parse_params(at_limit + "&&&&")) == MAX_PARAMS
    with pytest.raises(BadRequest, match=f"more than {MAX_PARAMS}"):
        parse_params(at_limit + "&one=more")


def test_empty_brackets_only_at_the_end() -> None:
    with pytest.raises(BadRequest, match=r"'\[\]'"):
        parse_params("a[][b]=1")
