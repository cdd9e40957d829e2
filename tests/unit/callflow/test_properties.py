"""Property tests: any valid use of the builder renders what both Kazoo lines accept.

Random factories get random valid arguments; random trees are composed with ``then`` and
``on`` using keys the parent module follows. Example counts stay modest (the whole module
runs in a few seconds).
"""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pivotkit.callflow as cf
from pivotkit.callflow import Node, endpoint, render
from pivotkit.callflow.types import DTMF_KEYS

from .conftest import KazooErrors

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


UNICODE = st.characters(exclude_categories=["Cs"])  # no lone surrogates: not encodable
ids = st.text("0123456789abcdef", min_size=32, max_size=32)
texts = st.text(UNICODE, min_size=1, max_size=40)
tokens = st.text(string.ascii_letters + string.digits + "-_.@+:/", min_size=1, max_size=24)
names = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=16)
digits = st.text(string.digits, min_size=1, max_size=8)
bools = st.booleans()
seconds = st.integers(1, 600)
millis = st.integers(1, 60_000)
dtmf_sets = st.lists(st.sampled_from(DTMF_KEYS), unique=True, max_size=12)
urls = st.builds(
    "{}://{}.example.com/{}".format,
    st.sampled_from(["http", "https"]),
    st.text(string.ascii_lowercase, min_size=1, max_size=10),
    st.text(string.ascii_letters + string.digits + "/?=&_-", max_size=30),
)
headers = st.dictionaries(names, texts, min_size=1, max_size=3)
endpoints = st.lists(
    st.builds(
        endpoint,
        st.sampled_from(["device", "user", "group"]),
        st.text(string.ascii_letters + string.digits, min_size=1, max_size=128),
        timeout=opt(seconds),
        delay=opt(st.integers(0, 30)),
        weight=opt(st.integers(1, 100)),
    ),
    min_size=1,
    max_size=4,
)
ringtones = st.fixed_dictionaries({}, optional={"internal": texts, "external": texts}).filter(bool)
participants = st.fixed_dictionaries(
    {},
    optional={
        "join_muted": bools,
        "join_deaf": bools,
        "pins": st.lists(digits, max_size=3),
        "numbers": st.lists(digits, unique=True, max_size=3),
    },
)
conference_configs = st.fixed_dictionaries(
    {"name": st.text(UNICODE, min_size=1, max_size=128)},
    optional={
        "max_participants": st.integers(1, 500),
        "member": participants,
        "moderator": participants,
        "play_name": bools,
        "play_entry_tone": bools | texts,
        "require_moderator": bools,
        "profile_name": texts,
    },
)
outbound = {
    "to_did": opt(tokens),
    "timeout": seconds,
    "caller_id_type": opt(tokens),
    "outbound_flags": opt(st.lists(texts, max_size=3)),
    "dynamic_flags": opt(st.lists(texts, max_size=3)),
    "ringback": opt(texts),
    "bypass_e164": opt(bools),
    "do_not_normalize": opt(bools),
    "ignore_early_media": opt(bools),
    "emit_account_id": opt(bools),
    "hunt_account_id": opt(ids),
    "format_from_uri": opt(bools),
    "from_uri_realm": opt(tokens),
    "resource_type": opt(tokens),
    "custom_sip_headers": opt(headers),
}
json_values = st.recursive(
    st.none() | bools | st.integers(-(10**6), 10**6) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=8,
)

FACTORIES: dict[str, st.SearchStrategy[Node]] = {
    "tts": st.builds(
        cf.tts,
        st.text(UNICODE, min_size=1, max_size=1000),
        voice=opt(texts),
        language=opt(texts),
        engine=opt(st.sampled_from(["flite", "google", "ispeech", "voicefabric"])),
        terminators=opt(dtmf_sets),
        endless_playback=opt(bools),
    ),
    "play": st.builds(
        cf.play,
        tokens,
        loop_count=opt(st.integers(1, 10)),
        endless_playback=opt(bools),
        answer=opt(bools),
        terminators=opt(dtmf_sets),
    ),
    "pivot": st.builds(
        cf.pivot,
        urls,
        method=st.sampled_from(["get", "post"]),
        req_body_format=opt(st.sampled_from(["form", "json"])),
        req_timeout_ms=st.integers(1, 5000),
        debug=opt(bools),
    ),
    "collect_dtmf": st.builds(
        cf.collect_dtmf,
        collection_name=opt(names),
        max_digits=opt(st.integers(1, 20)),
        timeout=opt(millis),
        interdigit_timeout=opt(millis),
        terminators=opt(st.lists(st.sampled_from(DTMF_KEYS), min_size=1, max_size=1)),
    ),
    "flush_dtmf": st.builds(cf.flush_dtmf, collection_name=opt(names)),
    "send_dtmf": st.builds(
        cf.send_dtmf,
        st.text("0123456789*#ABCDwW", min_size=1, max_size=20),
        duration_ms=opt(millis),
    ),
    "sleep": st.builds(cf.sleep, st.integers(0, 24), unit=st.sampled_from(["ms", "s", "m", "h"])),
    "hangup": st.just(None).map(lambda _: cf.hangup()),
    "response": st.builds(
        cf.response, st.integers(100, 699), message=opt(texts), media=opt(tokens)
    ),
    "set_variables": st.builds(
        cf.set_variables, st.dictionaries(names, st.text(max_size=20)), export=opt(bools)
    ),
    "set_variable": st.builds(
        cf.set_variable,
        st.just("call_priority"),
        value=digits,
        channel=st.sampled_from(["a", "both"]),
    ),
    "language": st.builds(
        cf.language,
        st.from_regex(r"\A[A-Za-z]{2}(-[A-Za-z]{2})?\Z"),
    ),
    "device": st.builds(
        cf.device,
        ids,
        timeout=seconds,
        delay=opt(st.integers(0, 30)),
        dial_strategy=opt(st.sampled_from(["simultaneous", "single"])),
        can_call_self=opt(bools),
        suppress_clid=opt(bools),
        custom_sip_headers=opt(headers),
    ),
    "user": st.builds(
        cf.user,
        ids,
        timeout=seconds,
        strategy=opt(st.sampled_from(["simultaneous", "single"])),
        fail_on_single_reject=opt(bools),
        static_invite=opt(texts),
    ),
    "ring_group": st.builds(
        cf.ring_group,
        endpoints,
        timeout=seconds,
        strategy=opt(st.sampled_from(["simultaneous", "single", "weighted_random"])),
        repeats=opt(st.integers(1, 5)),
        ignore_forward=opt(bools),
        ringtones=opt(ringtones),
    ),
    "group": st.builds(
        cf.group, ids, timeout=seconds, repeats=opt(st.integers(1, 5)), ringback=opt(texts)
    ),
    "page_group": st.builds(
        cf.page_group,
        endpoints,
        audio=st.sampled_from(["one-way", "two-way"]),
        timeout=seconds,
        barge_calls=opt(bools),
    ),
    "resources": st.builds(cf.resources, use_local_resources=opt(bools), **outbound),
    "offnet": st.builds(cf.offnet, **outbound),
    "conference": st.one_of(
        st.builds(cf.conference, id=ids, moderator=opt(bools)),
        st.builds(
            cf.conference,
            config=conference_configs,
            welcome_prompt=opt(st.fixed_dictionaries({}, optional={"play": bools})),
            play_entry_tone=opt(bools | texts),
            play_exit_tone=opt(bools | texts),
        ),
    ),
    "voicemail": st.one_of(
        st.builds(cf.voicemail, ids, max_message_length=opt(seconds)),
        st.builds(
            cf.voicemail,
            opt(ids),
            action=st.just("check"),
            callerid_match_login=opt(bools),
            single_mailbox_login=opt(bools),
        ),
    ),
    "set_cid": st.builds(cf.set_cid, caller_id_name=texts, caller_id_number=opt(tokens)),
    "prepend_cid": st.builds(
        cf.prepend_cid,
        apply_to=opt(st.sampled_from(["current", "original"])),
        caller_id_number_prefix=digits,
    ),
    "dynamic_cid": st.builds(
        cf.dynamic_cid,
        action=st.just("static"),
        caller_id=st.fixed_dictionaries({"name": texts, "number": tokens}),
        max_digits=opt(st.integers(10, 15)),
        min_digits=opt(st.integers(1, 10)),
    ),
    "check_cid": st.builds(cf.check_cid, regex=opt(texts), use_absolute_mode=opt(bools)),
    "cidlistmatch": st.builds(cf.cidlistmatch, ids),
    "manual_presence": st.builds(
        cf.manual_presence, tokens, status=st.sampled_from(["idle", "ringing", "busy"])
    ),
    "eavesdrop": st.builds(cf.eavesdrop, device_id=ids, approved_group_id=ids),
    "group_pickup": st.builds(cf.group_pickup, group_id=ids, approved_user_id=opt(ids)),
    "intercept": st.builds(cf.intercept, user_id=ids),
    "hotdesk": st.builds(
        cf.hotdesk, action=st.sampled_from(["login", "logout", "toggle"]), id=opt(ids)
    ),
    "call_forward": st.builds(
        cf.call_forward,
        action=st.sampled_from(["activate", "deactivate", "update", "toggle", "menu"]),
    ),
    "do_not_disturb": st.builds(
        cf.do_not_disturb, action=st.sampled_from(["activate", "deactivate", "toggle"])
    ),
    "directory": st.builds(cf.directory, ids),
    "disa": st.builds(cf.disa, pin=opt(digits), retries=opt(st.integers(1, 5))),
    "webhook": st.builds(
        cf.webhook,
        urls,
        http_verb=st.sampled_from(["post", "get"]),
        retries=opt(st.integers(0, 4)),
        custom_data=opt(st.dictionaries(names, json_values, max_size=3)),
    ),
    "record_call": st.builds(
        cf.record_call,
        action=st.just("start"),
        url=opt(urls),
        method=opt(st.sampled_from(["put", "post"])),
        format=opt(st.sampled_from(["mp3", "wav"])),
        time_limit=opt(st.integers(5, 10_800)),
    ),
    "record_caller": st.builds(
        cf.record_caller, url=opt(urls), time_limit=opt(st.integers(5, 600))
    ),
    "fax_detect": st.builds(cf.fax_detect, duration=opt(st.integers(1, 10))),
    "faxbox": st.builds(
        cf.faxbox, ids, media=opt(st.fixed_dictionaries({"fax_option": bools | st.just("auto")}))
    ),
    "receive_fax": st.builds(cf.receive_fax, owner_id=opt(ids)),
    "menu": st.builds(cf.menu, ids, interdigit_timeout=opt(millis)),
    "temporal_route": st.builds(
        cf.temporal_route, rules=opt(st.lists(ids, unique=True, max_size=3)), timezone=opt(tokens)
    ),
    "callflow": st.builds(cf.callflow, ids),
}

any_node = st.one_of(*FACTORIES.values())

CAUSES = st.sampled_from(cf.COMMON_BRIDGE_FAILURES) | st.integers(300, 699).map(cf.sip_code)
ENDS_FLOW = {
    "hangup",
    "response",
    "conference",
    "faxbox",
    "receive_fax",
    "eavesdrop",
    "group_pickup",
    "intercept",
}


def branch_keys(node: Node) -> st.SearchStrategy[str] | None:
    """Keys ``node``'s module follows (``None``: it ends the flow)."""
    module = node.module
    if module in ENDS_FLOW:
        return None
    if module in ("resources", "offnet"):
        return CAUSES
    if module in ("device", "user", "ring_group", "group", "hotdesk"):
        return st.just("_") | CAUSES
    if module == "menu":
        return st.sampled_from(["_", "timeout", "max_retries"]) | st.text(
            "0123456789*#", min_size=1
        )
    if module in ("check_cid", "cidlistmatch"):
        return st.sampled_from(["_", "match", "nomatch"])
    if module == "fax_detect":
        return st.sampled_from(["_", "ON_FAX", "ON_VOICE"])
    if module == "temporal_route":
        return st.just("_") | ids
    return st.just("_")


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> Node:
    node: Node = draw(any_node)
    keys = branch_keys(node)
    if keys is None or depth >= 3:
        return node
    for _ in range(draw(st.integers(0, 3))):
        child: Node = draw(trees(depth=depth + 1))
        key = draw(keys)
        if key == "_" and "_" not in node.children and draw(bools):
            node.then(child)  # the chain's tail is this node, so then() lands where on() would
        else:
            node.on(key, child)
    return node


@SETTINGS
@given(node=any_node)
def test_any_factory_with_valid_arguments_is_valid_on_both_lines(
    node: Node, kazoo_errors: KazooErrors
) -> None:
    assert kazoo_errors(node) == []


@SETTINGS
@given(tree=trees())
def test_any_composition_is_valid_on_both_lines(tree: Node, kazoo_errors: KazooErrors) -> None:
    assert kazoo_errors(tree) == []


@settings(max_examples=50, deadline=None)
@given(tree=trees())
def test_rendering_is_deterministic_and_round_trips(tree: Node) -> None:
    body = render(tree)
    assert render(tree) == body
    assert json.loads(body) == tree.to_dict()
    rebuilt = Node(tree.module, tree.data, tree.children)
    assert render(rebuilt) == body
