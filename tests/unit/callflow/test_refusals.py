"""The builder refuses what Kazoo rejects (docs/kazoo-notes.md) or misreads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import pivotkit.callflow as cf
from pivotkit.callflow import endpoint
from pivotkit.errors import CallflowError

ID = "0123456789abcdef0123456789abcdef"
URL = "https://example.com/pivot"

# Dynamic calls (``Any``) let the tests pass what the type checker would already refuse:
# the run-time checks exist for callers without a type checker.
loose: Any = cf

# (test id, the call, a fragment of the expected message)
REFUSED: list[tuple[str, Callable[[], object], str]] = [
    # section 7 / 11 shapes
    ("say-module", lambda: cf.raw("say", {"text": "hi"}), "no callflow module 'say'"),
    ("say-node", lambda: cf.Node("say"), "no callflow module"),
    ("master-only-module", lambda: cf.raw("wait_for_hangup"), "no callflow module"),
    (
        "ring-group-string-endpoints",
        lambda: loose.ring_group([ID]),
        "Endpoint objects",
    ),
    ("ring-group-no-endpoints", lambda: cf.ring_group([]), "at least one endpoint"),
    ("ring-group-endpoints-string", lambda: loose.ring_group(ID), "list of Endpoint"),
    ("page-group-string-endpoints", lambda: loose.page_group(["x"]), "Endpoint objects"),
    ("response-code-string", lambda: loose.response("486"), "must be an integer"),
    ("response-code-range", lambda: cf.response(99), "at least 100"),
    ("response-code-bool", lambda: loose.response(True), "must be an integer"),
    ("tts-empty", lambda: cf.tts(""), "at least 1"),
    ("tts-too-long", lambda: cf.tts("x" * 1001), "at most 1000"),
    ("pivot-timeout-8000", lambda: cf.pivot(URL, req_timeout_ms=8000), "at most 5000"),
    ("pivot-timeout-zero", lambda: cf.pivot(URL, req_timeout_ms=0), "at least 1"),
    ("pivot-no-scheme", lambda: cf.pivot("example.com/pivot"), "http:// or https://"),
    ("pivot-ftp", lambda: cf.pivot("ftp://example.com/pivot"), "http:// or https://"),
    ("pivot-upper-scheme", lambda: cf.pivot("HTTPS://example.com/"), "lower-case scheme"),
    ("pivot-no-host", lambda: cf.pivot("https:///pivot"), "http:// or https://"),
    ("pivot-newline", lambda: cf.pivot("https://example.com/\n"), "http:// or https://"),
    ("pivot-space", lambda: cf.pivot("https://example.com/a b"), "http:// or https://"),
    ("pivot-method", lambda: loose.pivot(URL, method="put"), "one of get, post"),
    ("pivot-upper-method", lambda: loose.pivot(URL, method="GET"), "one of get, post"),
    ("record-url", lambda: cf.record_call(action="start", url="s3://b/k"), "http"),
    ("record-caller-url", lambda: cf.record_caller(url="/tmp/x"), "http"),
    ("webhook-uri", lambda: cf.webhook("hooks.example.com"), "http"),
    # enums, checked at run time
    ("tts-engine", lambda: loose.tts("hi", engine="polly"), "one of flite"),
    ("device-strategy", lambda: loose.device(ID, dial_strategy="weighted_random"), "one of"),
    (
        "ring-group-strategy",
        lambda: loose.ring_group([endpoint("user", ID)], strategy="x"),
        "weighted_random",
    ),
    ("endpoint-type", lambda: loose.endpoint("phone", ID), "one of device, user, group"),
    ("presence-status", lambda: loose.manual_presence("support", status="away"), "idle"),
    ("page-audio", lambda: loose.page_group([endpoint("user", ID)], audio="both"), "one-way"),
    ("record-action", lambda: loose.record_call(action="pause"), "start, stop"),
    ("record-format", lambda: loose.record_call(action="start", format="ogg"), "mp3, wav"),
    ("voicemail-action", lambda: loose.voicemail(ID, action="delete"), "compose, check"),
    ("hotdesk-action", lambda: loose.hotdesk(action="on"), "login"),
    ("dnd-action", lambda: loose.do_not_disturb(action="menu"), "activate"),
    ("call-forward-action", lambda: loose.call_forward(action="on"), "activate"),
    ("sleep-unit", lambda: loose.sleep(1, unit="d"), "ms, s, m, h"),
    ("webhook-verb", lambda: loose.webhook("https://h.example.com", http_verb="put"), "post"),
    ("set-variable-name", lambda: loose.set_variable("my_var", value="1"), "call_priority"),
    ("fax-option", lambda: loose.faxbox(ID, media={"fax_option": "true"}), "auto"),
    # integers and their ranges
    ("endpoint-weight", lambda: endpoint("device", ID, weight=101), "at most 100"),
    ("endpoint-weight-zero", lambda: endpoint("device", ID, weight=0), "at least 1"),
    ("endpoint-delay", lambda: endpoint("device", ID, delay=-1), "at least 0"),
    ("endpoint-id-long", lambda: endpoint("device", "x" * 129), "at most 128"),
    ("device-timeout-zero", lambda: cf.device(ID, timeout=0), "at least 1"),
    ("device-timeout-string", lambda: loose.device(ID, timeout="20"), "integer"),
    ("ring-group-repeats", lambda: cf.ring_group([endpoint("user", ID)], repeats=0), "least 1"),
    ("record-time-limit-low", lambda: cf.record_call(action="start", time_limit=4), "least 5"),
    ("record-time-limit-high", lambda: cf.record_caller(time_limit=10801), "10800"),
    ("sleep-negative", lambda: cf.sleep(-1), "at least 0"),
    ("sleep-over-a-day", lambda: cf.sleep(25, unit="h"), "one-day"),
    ("collect-max-digits", lambda: cf.collect_dtmf(max_digits=0), "at least 1"),
    ("play-loop-count", lambda: cf.play("x", loop_count=0), "at least 1"),
    ("webhook-retries", lambda: cf.webhook("https://h.example.com", retries=5), "at most 4"),
    # ids whose length the schemas pin (32 on 4.3 and master)
    ("conference-id-short", lambda: cf.conference(id="abc"), "32 characters"),
    ("voicemail-id-short", lambda: cf.voicemail("abc"), "32 characters"),
    ("device-id-empty", lambda: cf.device(""), "at least 1"),
    ("device-id-space", lambda: cf.device("a b"), "white space"),
    ("device-id-newline", lambda: cf.device(ID + "\n"), "white space"),
    # shapes that need one of several keys
    ("conference-neither", cf.conference, "exactly one of id, config"),
    (
        "conference-both",
        lambda: cf.conference(id=ID, config={"name": "x"}),
        "exactly one of id, config",
    ),
    ("conference-nameless", lambda: loose.conference(config={"max_participants": 3}), "name"),
    ("conference-config-key", lambda: loose.conference(config={"name": "x", "pin": "1"}), "pin"),
    (
        "conference-pins",
        lambda: cf.conference(config={"name": "x", "member": {"pins": ["1a"]}}),
        "digits",
    ),
    ("eavesdrop-no-approval", lambda: cf.eavesdrop(device_id=ID), "approved_"),
    ("eavesdrop-two-targets", lambda: cf.eavesdrop(device_id=ID, user_id=ID), "exactly one"),
    ("pickup-no-target", cf.group_pickup, "exactly one of device_id"),
    ("intercept-two-targets", lambda: cf.intercept(user_id=ID, group_id=ID), "exactly one"),
    ("voicemail-compose-no-id", cf.voicemail, "mailbox id"),
    ("voicemail-compose-login", lambda: cf.voicemail(ID, single_mailbox_login=True), "check"),
    ("hotdesk-bridge-no-id", lambda: cf.hotdesk(action="bridge"), "id"),
    ("dynamic-cid-list-no-id", lambda: cf.dynamic_cid(action="list"), "CID list"),
    ("dynamic-cid-static", lambda: cf.dynamic_cid(action="static"), "caller_id"),
    ("dynamic-cid-digits", lambda: cf.dynamic_cid(min_digits=5, max_digits=4), "exceed"),
    ("check-cid-partial", lambda: cf.check_cid(caller_id={"external": {"name": "x"}}), "all set"),
    ("check-cid-user-only", lambda: cf.check_cid(user_id=ID), "together"),
    ("set-cid-nothing", cf.set_cid, "caller_id_name and/or"),
    ("prepend-nothing", cf.prepend_cid, "prefix"),
    (
        "prepend-reset-prefix",
        lambda: cf.prepend_cid(action="reset", caller_id_name_prefix="x"),
        "no prefixes",
    ),
    ("record-stop-options", lambda: cf.record_call(action="stop", format="mp3"), "no options"),
    # values Kazoo reads differently from what was meant
    (
        "set-variables-int",
        lambda: loose.set_variables({"count": 1}),
        "must be a string",
    ),
    ("set-variables-bracket", lambda: cf.set_variables({"a[b]": "1"}), "letters, digits"),
    ("collect-two-terminators", lambda: cf.collect_dtmf(terminators=["#", "*"]), "exactly one"),
    ("collect-no-terminator", lambda: cf.collect_dtmf(terminators=[]), "exactly one"),
    ("collect-terminator-key", lambda: cf.collect_dtmf(terminators=["A"]), "one of 0"),
    (
        "collect-terminators-disagree",
        lambda: cf.collect_dtmf(terminators=["#"], terminator="*"),
        "disagree",
    ),
    ("collect-name", lambda: cf.collect_dtmf(collection_name="menu choice"), "letters"),
    ("tts-terminator", lambda: cf.tts("hi", terminators=["#", "#"]), "repeat"),
    ("send-dtmf-letters", lambda: cf.send_dtmf("12x"), "0-9"),
    ("language-pattern", lambda: cf.language("english"), "en-us"),
    ("language-newline", lambda: cf.language("en\n"), "en-us"),
    ("sip-header-name", lambda: cf.device(ID, custom_sip_headers={"X Bad": "1"}), "header"),
    ("sip-header-value", lambda: loose.device(ID, custom_sip_headers={"X-A": 1}), "string"),
    ("ringtones-key", lambda: loose.group(ID, ringtones={"vip": "x"}), "unknown keys"),
    ("bool-as-int", lambda: loose.device(ID, can_call_self=1), "true or false"),
    ("disa-pin", lambda: cf.disa(pin="12ab"), "digits"),
    ("raw-not-json", lambda: loose.raw("tts", {"text": object()}), "cannot hold"),
    ("raw-nan", lambda: cf.raw("sleep", {"duration": float("nan")}), "NaN"),
    ("raw-key", lambda: loose.raw("tts", {1: "x"}), "keys must be strings"),
    ("sip-code-helper", lambda: cf.sip_code(200), "300-699"),
]


@pytest.mark.parametrize(("case", "call", "fragment"), REFUSED, ids=[c for c, _, _ in REFUSED])
def test_refused_with_a_clear_message(case: str, call: Callable[[], object], fragment: str) -> None:
    with pytest.raises(CallflowError) as raised:
        call()
    assert fragment in str(raised.value)
    assert raised.value.status == 500
    assert raised.value.code == "invalid_callflow"


# (test id, parent, branch key, fragment)
BAD_BRANCHES: list[tuple[str, Callable[[], cf.Node], str, str]] = [
    ("check-cid-yes", lambda: cf.check_cid(regex="^1"), "yes", "match"),
    ("cidlistmatch-true", lambda: cf.cidlistmatch(ID), "true", "match/nomatch"),
    ("fax-detect-fax", cf.fax_detect, "fax", "ON_FAX"),
    ("menu-word", lambda: cf.menu(ID), "sales", "digits"),
    ("device-bare-code", lambda: cf.device(ID), "486", "sip:486"),
    ("device-lower-cause", lambda: cf.device(ID), "no_answer", "hangup causes"),
    ("user-bad-sip", lambda: cf.user(ID), "sip:200", "hangup causes"),
    ("resources-default", cf.resources, "_", "NO_ANSWER"),
    ("offnet-default", cf.offnet, "_", "COMMON_BRIDGE_FAILURES"),
    ("tts-digit", lambda: cf.tts("hi"), "1", "only continues through '_'"),
    ("pivot-failure", lambda: cf.pivot(URL), "failed", "only continues"),
    ("hangup-child", cf.hangup, "_", "ends the callflow"),
    ("response-child", cf.response, "_", "ends the callflow"),
    ("conference-child", lambda: cf.conference(id=ID), "_", "ends the callflow"),
    ("faxbox-child", lambda: cf.faxbox(ID), "_", "ends the callflow"),
    ("empty-key", lambda: cf.device(ID), "", "non-empty"),
]


@pytest.mark.parametrize(
    ("case", "parent", "key", "fragment"), BAD_BRANCHES, ids=[c for c, _, _, _ in BAD_BRANCHES]
)
def test_branch_keys_the_module_never_follows_are_refused(
    case: str, parent: Callable[[], cf.Node], key: str, fragment: str
) -> None:
    with pytest.raises(CallflowError) as raised:
        parent().on(key, cf.hangup())
    assert fragment in str(raised.value)


def test_then_refuses_to_continue_after_a_node_that_ends_the_flow() -> None:
    chain = cf.tts("Goodbye").then(cf.hangup())
    with pytest.raises(CallflowError, match="ends the callflow"):
        chain.then(cf.tts("never heard"))
    with pytest.raises(CallflowError, match="NO_ANSWER"):
        cf.resources(to_did="+14155550100").then(cf.hangup())


def test_branch_keys_each_module_does_follow_are_accepted() -> None:
    fallback = cf.hangup()
    cf.menu(ID).on("1", fallback).on("12#", fallback).on(cf.TIMEOUT, fallback).on(
        cf.MAX_RETRIES, fallback
    )
    cf.check_cid(regex="^1").on(cf.MATCH, fallback).on(cf.NOMATCH, fallback)
    cf.check_cid(use_absolute_mode=True).on("+14155550100", fallback)
    cf.cidlistmatch(ID).on(cf.MATCH, fallback).on(cf.NOMATCH, fallback)
    cf.fax_detect().on(cf.ON_FAX, fallback).on(cf.ON_VOICE, fallback)
    cf.device(ID).on(cf.USER_BUSY, fallback).on(cf.sip_code(486), fallback).then(fallback)
    cf.temporal_route().on(ID, fallback).on(cf.RULE_SET, fallback)
    outbound = cf.resources()
    for cause in cf.COMMON_BRIDGE_FAILURES:
        outbound.on(cause, fallback)
    assert set(outbound.children) == set(cf.COMMON_BRIDGE_FAILURES)
    assert cf.raw("branch_variable", {"variable": "x"}).on("anything", fallback)


def test_carrier_legs_refuse_an_option_kazoo_does_not_have() -> None:
    # resources and offnet take their shared options as keywords checked by mypy; a call
    # that slips past the type checker (a dict of options) is refused, naming the key.
    options: dict[str, Any] = {"caller_id_typ": "external"}
    with pytest.raises(CallflowError, match="resources caller_id_typ is not an option"):
        cf.resources(**options)
    with pytest.raises(CallflowError, match="offnet use_local_resources is not an option"):
        cf.offnet(use_local_resources=True)  # type: ignore[call-arg]
