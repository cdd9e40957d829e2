"""Every factory, with its fewest and with all of its arguments, renders what Kazoo accepts."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

import pytest

import pivotkit.callflow as cf
from pivotkit.callflow import Node, endpoint, render

from .conftest import KazooErrors

DEVICE = "0123456789abcdef0123456789abcdef"
USER = "11111111111111111111111111111111"
GROUP = "22222222222222222222222222222222"
BOX = "fedcba9876543210fedcba9876543210"
URL = "https://abc.lambda-url.us-east-1.on.aws/pivot?step=menu&token=S3CR3T"

OUTBOUND_OPTIONS: dict[str, Any] = {
    "to_did": "+14155550100",
    "timeout": 45,
    "caller_id_type": "external",
    "outbound_flags": ["fax"],
    "dynamic_flags": ["zone"],
    "ringback": "%(2000,4000,440,480)",
    "bypass_e164": False,
    "do_not_normalize": False,
    "ignore_early_media": True,
    "emit_account_id": True,
    "hunt_account_id": DEVICE,
    "format_from_uri": True,
    "from_uri_realm": "sip.example.com",
    "resource_type": "audio",
    "custom_sip_headers": {"X-Account": "acme"},
}

# The modules the callflow-builder issue asks a typed factory for.
REQUESTED_MODULES = {
    "tts",
    "play",
    "collect_dtmf",
    "pivot",
    "device",
    "user",
    "ring_group",
    "group",
    "conference",
    "resources",
    "offnet",
    "voicemail",
    "faxbox",
    "receive_fax",
    "fax_detect",
    "manual_presence",
    "set_cid",
    "dynamic_cid",
    "prepend_cid",
    "cidlistmatch",
    "check_cid",
    "eavesdrop",
    "group_pickup",
    "intercept",
    "page_group",
    "hotdesk",
    "call_forward",
    "do_not_disturb",
    "directory",
    "disa",
    "menu",
    "webhook",
    "record_call",
    "record_caller",
    "response",
    "hangup",
    "sleep",
    "set_variables",
    "language",
    "send_dtmf",
    "temporal_route",
    "callflow",
    "flush_dtmf",
    "set_variable",
}

# (test id, builder): each factory at least once with no optional argument and once with all.
CASES: list[tuple[str, Callable[[], Node]]] = [
    ("tts", lambda: cf.tts("Hello")),
    (
        "tts-full",
        lambda: cf.tts(
            "Bonjour",
            voice="female",
            language="fr-fr",
            engine="flite",
            terminators=["#", "*"],
            endless_playback=False,
        ),
    ),
    ("play", lambda: cf.play("/system_media/vm-enter_pass")),
    (
        "play-full",
        lambda: cf.play(
            "https://media.example.com/hold.mp3",
            loop_count=3,
            endless_playback=False,
            answer=False,
            terminators=["0"],
        ),
    ),
    ("pivot", lambda: cf.pivot(URL)),
    (
        "pivot-full",
        lambda: cf.pivot(
            URL, method="post", req_body_format="json", req_timeout_ms=2500, debug=True
        ),
    ),
    ("collect_dtmf", cf.collect_dtmf),
    (
        "collect_dtmf-full",
        lambda: cf.collect_dtmf(
            collection_name="menu_choice",
            max_digits=4,
            timeout=5000,
            interdigit_timeout=2000,
            terminators=["*"],
            terminator="*",
        ),
    ),
    ("flush_dtmf", cf.flush_dtmf),
    ("flush_dtmf-full", lambda: cf.flush_dtmf(collection_name="pin")),
    ("send_dtmf", lambda: cf.send_dtmf("123#")),
    ("send_dtmf-full", lambda: cf.send_dtmf("1w2W*#AD", duration_ms=250)),
    ("sleep", lambda: cf.sleep(2)),
    ("sleep-full", lambda: cf.sleep(1500, unit="ms")),
    ("hangup", cf.hangup),
    ("response", cf.response),
    ("response-full", lambda: cf.response(503, message="Try later", media="/system_media/x")),
    ("set_variables", lambda: cf.set_variables({"session": "abc"})),
    ("set_variables-full", lambda: cf.set_variables({"a-b_1": "", "x": "y"}, export=True)),
    ("set_variable", lambda: cf.set_variable("call_priority", value="1")),
    ("set_variable-full", lambda: cf.set_variable("call_priority", value="5", channel="both")),
    ("language", lambda: cf.language("en-us")),
    ("device", lambda: cf.device(DEVICE)),
    (
        "device-full",
        lambda: cf.device(
            DEVICE,
            timeout=25,
            delay=2,
            dial_strategy="single",
            can_call_self=False,
            can_text_self=False,
            suppress_clid=True,
            static_invite="sip:100@example.com",
            custom_sip_headers={"X-Foo": "bar"},
        ),
    ),
    ("user", lambda: cf.user(USER)),
    (
        "user-full",
        lambda: cf.user(
            USER,
            timeout=15,
            delay=0,
            strategy="simultaneous",
            can_call_self=True,
            can_text_self=True,
            fail_on_single_reject=True,
            suppress_clid=False,
            static_invite="sip:200@example.com",
            custom_sip_headers={"X-Bar": "baz"},
        ),
    ),
    ("ring_group", lambda: cf.ring_group([endpoint("device", DEVICE)])),
    (
        "ring_group-full",
        lambda: cf.ring_group(
            [
                endpoint("device", DEVICE, timeout=20, delay=0, weight=50),
                endpoint("user", USER, timeout=15, weight=100),
                cf.Endpoint("group", GROUP, weight=1),
            ],
            timeout=40,
            strategy="weighted_random",
            repeats=2,
            ringback="%(2000,4000,440,480)",
            ignore_forward=False,
            fail_on_single_reject=True,
            ringtones={"internal": "alert-internal", "external": "alert-external"},
        ),
    ),
    ("group", lambda: cf.group(GROUP)),
    (
        "group-full",
        lambda: cf.group(
            GROUP,
            timeout=30,
            strategy="single",
            repeats=1,
            ringback="tone",
            ignore_forward=True,
            fail_on_single_reject=False,
            ringtones={"internal": "a"},
        ),
    ),
    ("page_group", lambda: cf.page_group([endpoint("device", DEVICE)])),
    (
        "page_group-full",
        lambda: cf.page_group(
            [endpoint("user", USER), endpoint("group", GROUP)],
            audio="two-way",
            timeout=10,
            barge_calls=True,
        ),
    ),
    ("resources", cf.resources),
    ("resources-full", lambda: cf.resources(use_local_resources=False, **OUTBOUND_OPTIONS)),
    ("offnet", cf.offnet),
    ("offnet-full", lambda: cf.offnet(**OUTBOUND_OPTIONS)),
    ("conference-stored", lambda: cf.conference(id=DEVICE)),
    ("conference-adhoc", lambda: cf.conference(config={"name": "Support bridge 42"})),
    (
        "conference-full",
        lambda: cf.conference(
            config={
                "name": "Board",
                "max_participants": 10,
                "member": {"join_muted": True, "join_deaf": False, "pins": ["1234"]},
                "moderator": {"join_muted": False, "pins": ["9999"], "numbers": ["100"]},
                "play_name": False,
                "play_welcome": True,
                "play_entry_tone": True,
                "play_exit_tone": "tone_stream://%(200,0,500)",
                "require_moderator": True,
                "wait_for_moderator": True,
                "profile_name": "default",
                "language": "en-us",
            },
            moderator=True,
            welcome_prompt={"play": True, "media_id": "welcome"},
            play_entry_tone=False,
            play_exit_tone="tone_stream://%(100,0,400)",
        ),
    ),
    ("set_cid", lambda: cf.set_cid(caller_id_number="+14155550100")),
    ("set_cid-full", lambda: cf.set_cid(caller_id_name="Acme", caller_id_number="")),
    ("prepend_cid", lambda: cf.prepend_cid(caller_id_name_prefix="VIP ")),
    (
        "prepend_cid-full",
        lambda: cf.prepend_cid(
            action="prepend",
            apply_to="original",
            caller_id_name_prefix="S:",
            caller_id_number_prefix="9",
        ),
    ),
    ("prepend_cid-reset", lambda: cf.prepend_cid(action="reset")),
    ("dynamic_cid", cf.dynamic_cid),
    (
        "dynamic_cid-full",
        lambda: cf.dynamic_cid(
            action="static",
            caller_id={"name": "Sales", "number": "+14155550100"},
            media_id="enter-cid",
            min_digits=4,
            max_digits=12,
            interdigit_timeout=2000,
            whitelist_regex="^\\d+$",
            idx_name="main",
            enforce_call_restriction=True,
            permit_custom_callflow=False,
        ),
    ),
    ("dynamic_cid-list", lambda: cf.dynamic_cid(action="lists", id=BOX)),
    ("check_cid", cf.check_cid),
    (
        "check_cid-full",
        lambda: cf.check_cid(
            regex="^\\+1415",
            use_absolute_mode=False,
            user_id=USER,
            caller_id={"external": {"name": "SF", "number": "+14155550100"}},
        ),
    ),
    ("cidlistmatch", lambda: cf.cidlistmatch(BOX)),
    ("manual_presence", lambda: cf.manual_presence("support")),
    ("manual_presence-full", lambda: cf.manual_presence("support@example.com", status="busy")),
    ("eavesdrop", lambda: cf.eavesdrop(device_id=DEVICE, approved_user_id=USER)),
    (
        "eavesdrop-full",
        lambda: cf.eavesdrop(
            user_id=USER,
            approved_device_id=DEVICE,
            approved_user_id=USER,
            approved_group_id=GROUP,
        ),
    ),
    ("group_pickup", lambda: cf.group_pickup(group_id=GROUP)),
    (
        "group_pickup-full",
        lambda: cf.group_pickup(
            device_id=DEVICE,
            approved_device_id=DEVICE,
            approved_user_id=USER,
            approved_group_id=GROUP,
        ),
    ),
    ("intercept", lambda: cf.intercept(user_id=USER)),
    (
        "intercept-full",
        lambda: cf.intercept(
            group_id=GROUP,
            approved_device_id=DEVICE,
            approved_user_id=USER,
            approved_group_id=GROUP,
        ),
    ),
    ("hotdesk", lambda: cf.hotdesk(action="login")),
    ("hotdesk-full", lambda: cf.hotdesk(action="bridge", id=USER, interdigit_timeout=3000)),
    ("call_forward", lambda: cf.call_forward(action="toggle")),
    ("do_not_disturb", lambda: cf.do_not_disturb(action="activate")),
    ("do_not_disturb-full", lambda: cf.do_not_disturb(action="deactivate", id=USER)),
    ("directory", lambda: cf.directory(BOX)),
    ("disa", cf.disa),
    (
        "disa-full",
        lambda: cf.disa(
            pin="1234",
            retries=3,
            max_digits=15,
            interdigit=2000,
            preconnect_audio="ringing",
            ring_repeat_count=2,
            use_account_caller_id=True,
            enforce_call_restriction=True,
        ),
    ),
    ("webhook", lambda: cf.webhook("https://hooks.example.com/call")),
    (
        "webhook-full",
        lambda: cf.webhook(
            "http://hooks.example.com/call",
            http_verb="get",
            retries=4,
            custom_data={"source": "pivot", "n": 1, "nested": {"ok": [True, None]}},
        ),
    ),
    ("record_call", lambda: cf.record_call(action="start")),
    ("record_call-stop", lambda: cf.record_call(action="stop")),
    (
        "record_call-full",
        lambda: cf.record_call(
            action="start",
            url="https://abc.lambda-url.us-east-1.on.aws/recordings?token=S3CR3T",
            method="put",
            format="mp3",
            time_limit=3600,
            record_on_answer=True,
            record_on_bridge=False,
            record_min_sec=2,
            record_sample_rate=16000,
            should_follow_transfer=True,
            media_name="call.mp3",
            label="pivot",
        ),
    ),
    ("record_caller", cf.record_caller),
    (
        "record_caller-full",
        lambda: cf.record_caller(
            url="https://rec.example.com/in", method="post", format="wav", time_limit=60
        ),
    ),
    ("voicemail", lambda: cf.voicemail(BOX)),
    (
        "voicemail-full",
        lambda: cf.voicemail(
            BOX, action="compose", max_message_length=120, interdigit_timeout=2000
        ),
    ),
    (
        "voicemail-check",
        lambda: cf.voicemail(action="check", callerid_match_login=True, single_mailbox_login=True),
    ),
    ("fax_detect", cf.fax_detect),
    ("fax_detect-full", lambda: cf.fax_detect(duration=5)),
    ("faxbox", lambda: cf.faxbox(BOX)),
    ("faxbox-full", lambda: cf.faxbox(BOX, media={"fax_option": "auto"})),
    ("receive_fax", cf.receive_fax),
    ("receive_fax-full", lambda: cf.receive_fax(owner_id=USER, media={"fax_option": False})),
    ("menu", lambda: cf.menu(BOX)),
    ("menu-full", lambda: cf.menu(BOX, interdigit_timeout=3000)),
    ("temporal_route", cf.temporal_route),
    (
        "temporal_route-full",
        lambda: cf.temporal_route(
            rules=[DEVICE, USER],
            rule_set=GROUP,
            timezone="America/Los_Angeles",
            action="menu",
            interdigit_timeout=2000,
        ),
    ),
    ("callflow", lambda: cf.callflow(BOX)),
]


@pytest.mark.parametrize(("case", "build"), CASES, ids=[case for case, _ in CASES])
def test_factory_output_is_valid_on_both_kazoo_lines(
    case: str, build: Callable[[], Node], kazoo_errors: KazooErrors
) -> None:
    node = build()
    assert node.module == case.split("-", maxsplit=1)[0]
    assert kazoo_errors(node) == []


def test_every_factory_is_covered() -> None:
    factories = {
        name
        for name in [*cf.__all__, "callflow"]
        if inspect.isfunction(getattr(cf, name))
        and inspect.signature(getattr(cf, name)).return_annotation in ("Node", Node)
        and name != "raw"
    }
    covered = {build().module for _, build in CASES}
    assert factories - covered == set()
    assert factories >= REQUESTED_MODULES


@pytest.mark.parametrize(("case", "build"), CASES, ids=[case for case, _ in CASES])
def test_rendering_is_deterministic(case: str, build: Callable[[], Node]) -> None:
    first, second = render(build()), render(build())
    assert first == second
    assert json.loads(first)["module"] == build().module


def test_bridging_factories_always_send_a_timeout() -> None:
    members = [endpoint("device", DEVICE)]
    bridges = [
        cf.device(DEVICE),
        cf.user(USER),
        cf.ring_group(members),
        cf.group(GROUP),
        cf.page_group(members),
        cf.resources(),
        cf.offnet(),
    ]
    timeouts = {node.module: node.data["timeout"] for node in bridges}
    assert timeouts == {
        "device": 20,
        "user": 20,
        "ring_group": 30,
        "group": 20,
        "page_group": 20,
        "resources": 20,
        "offnet": 20,
    }


def test_pivot_always_asks_for_kazoo_json_with_a_bounded_timeout() -> None:
    data = cf.pivot(URL).data
    assert data["req_format"] == "kazoo"
    assert data["req_timeout_ms"] == 5000
    assert data["method"] == "get"


def test_collect_dtmf_sends_its_single_terminator_as_terminator() -> None:
    assert cf.collect_dtmf(terminators=["#"]).data["terminator"] == "#"
    assert "terminators" not in cf.collect_dtmf(terminators=["*"]).data
    assert cf.collect_dtmf(terminator="*").data["terminator"] == "*"


def test_presence_status_and_page_audio_are_always_explicit() -> None:
    assert cf.manual_presence("support").data["status"] == "idle"
    assert cf.page_group([endpoint("device", DEVICE)]).data["audio"] == "one-way"
    assert cf.sleep(3).data == {"duration": 3, "unit": "s"}
    assert cf.webhook("https://h.example.com").data["http_verb"] == "post"
