"""Continuations are bound to their call (issue 16 item 4): each carries an HMAC over
customer, account, call id, step, hop, seq and collection under the customer's signing key;
anything else is a 403 ``bad_continuation``, answered before any state is read."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from examples import acme
from pivotkit import Call, Customer, Flow, Node, tts
from pivotkit.app import PivotApp
from pivotkit.continuation import continuation_signature, sign_url, signature_matches
from pivotkit.customers import StaticTokens, derive_credentials, token_signing_key
from pivotkit.local.kazoo_encoding import KazooCall
from pivotkit.state import InMemoryStateStore
from tests.signing import signed
from tests.unit.engine.driver import ACCOUNT_ID, BASE_URL, Caller, find_module, to_http

TOKEN = "acme-test-token"
FIRST_URL = f"{BASE_URL}/pivot/acme?token={TOKEN}"
OTHER_ACCOUNT = "9b8a7c6d5e4f30211203f4e5d6c7b8a9"


@pytest.fixture
def store() -> InMemoryStateStore:
    return InMemoryStateStore()


@pytest.fixture
def app(store: InMemoryStateStore) -> PivotApp:
    return PivotApp({"acme": acme.customer}, store, StaticTokens({"acme": [TOKEN]}))


def caller(app: PivotApp, call_id: str, account_id: str = ACCOUNT_ID) -> Caller:
    return Caller(app, KazooCall(account_id=account_id, call_id=call_id))


def error(response: Any) -> tuple[int, str]:
    return response.status, json.loads(response.body)["error"]


def with_params(url: str, **changes: str | None) -> str:
    """``url`` with query parameters changed (``None`` removes one), order kept."""
    head, _, query = url.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return f"{head}?{urlencode(params)}"


def test_every_continuation_carries_a_signature_for_its_call(app: PivotApp) -> None:
    x = caller(app, "x@10.0.0.5")
    x.first(FIRST_URL)
    url = find_module(x.last_tree(), "pivot")["data"]["voice_url"]  # type: ignore[index]
    params = dict(parse_qsl(urlsplit(url).query))
    assert re.fullmatch(r"[0-9a-f]{32}", params["sig"])
    assert params["sig"] == continuation_signature(
        token_signing_key(TOKEN),
        customer="acme",
        account_id=ACCOUNT_ID,
        call_id="x@10.0.0.5",
        step="check_pin",
        hop=1,
        seq=0,
        collection="check_pin_1",
    )


def test_call_xs_continuation_is_refused_on_call_y_without_reading_state(
    app: PivotApp, store: InMemoryStateStore
) -> None:
    x = caller(app, "x@10.0.0.5")
    x.first(FIRST_URL)
    x.press("1234")  # right PIN: x is at the menu, with state (seq 1)
    menu_url = find_module(x.last_tree(), "pivot")["data"]["voice_url"]  # type: ignore[index]
    assert "seq=1" in menu_url
    y = caller(app, "y@10.0.0.5")
    y.first(FIRST_URL)  # y never entered a PIN
    reads, writes = store.reads, store.writes
    y.call = y.call.with_digits("menu_choice_2", "1")
    response = app.handle(to_http(y.call, menu_url))
    assert error(response) == (403, "bad_continuation")
    assert (store.reads, store.writes) == (reads, writes)  # refused before any store call
    # The same URL still works on the call it was made for.
    x.call = x.call.with_digits("menu_choice_2", "1")
    assert app.handle(to_http(x.call, menu_url)).status == 200


def test_the_pin_step_cannot_be_skipped_with_a_hand_made_menu_continuation(
    app: PivotApp, store: InMemoryStateStore
) -> None:
    """``step=menu_choice&seq=0`` with "1" pressed would connect a new call to sales."""
    forged = f"{FIRST_URL}&step=menu_choice&hop=1&seq=0&g=menu_choice_1"
    newcomer = caller(app, "new@10.0.0.5")
    newcomer.call = newcomer.call.with_digits("menu_choice_1", "1")
    # Unsigned, with a made-up signature, and with one made for another call:
    another = KazooCall(account_id=ACCOUNT_ID, call_id="other@10.0.0.5")
    for url in (forged, f"{forged}&sig={'0' * 32}", signed(forged, another)):
        response = app.handle(to_http(newcomer.call, url))
        assert error(response) == (403, "bad_continuation")
        assert b"sales" not in response.body
    assert store.reads == 0 and store.records() == []


@pytest.mark.parametrize(
    "change",
    [
        {"step": "check_pin"},
        {"hop": "3"},
        {"seq": "2"},
        {"g": "menu_choice_1"},
        {"g": None},
        {"sig": None},
        {"sig": ""},
        {"sig": "ABCDEF"},
    ],
    ids=lambda change: ",".join(f"{k}={v}" for k, v in change.items()),
)
def test_any_edit_of_a_signed_continuation_is_refused(
    app: PivotApp, store: InMemoryStateStore, change: dict[str, str | None]
) -> None:
    x = caller(app, "x@10.0.0.5")
    x.first(FIRST_URL)
    x.press("1234")
    menu_url = find_module(x.last_tree(), "pivot")["data"]["voice_url"]  # type: ignore[index]
    reads = store.reads
    x.call = x.call.with_digits("menu_choice_2", "1").with_digits("menu_choice_1", "1")
    response = app.handle(to_http(x.call, with_params(menu_url, **change)))
    assert error(response) == (403, "bad_continuation")
    assert store.reads == reads


def test_a_continuation_is_bound_to_the_account_and_the_customer(store: InMemoryStateStore) -> None:
    tokens = StaticTokens({"acme": [TOKEN], "twin": [TOKEN]})
    twin = Customer(slug="twin", flow=acme.customer.flow)
    app = PivotApp({"acme": acme.customer, "twin": twin}, store, tokens)
    x = caller(app, "x@10.0.0.5")
    x.first(FIRST_URL)
    url = find_module(x.last_tree(), "pivot")["data"]["voice_url"]  # type: ignore[index]
    same_call_other_account = KazooCall(account_id=OTHER_ACCOUNT, call_id="x@10.0.0.5")
    assert error(app.handle(to_http(same_call_other_account, url))) == (403, "bad_continuation")
    # Same token, same call, another customer's endpoint (its own key would differ deployed;
    # here even an equal key does not help, the slug is signed).
    elsewhere = url.replace("/pivot/acme?", "/pivot/twin?")
    assert error(app.handle(to_http(x.call, elsewhere))) == (403, "bad_continuation")


def test_the_first_request_needs_no_signature_but_any_continuation_parameter_does(
    app: PivotApp, store: InMemoryStateStore
) -> None:
    assert caller(app, "a@1").first(FIRST_URL).status == 200
    for extra in ("&seq=0", "&hop=1", "&g=check_pin_1", f"&sig={'0' * 32}", "&step="):
        response = caller(app, "b@1").first(FIRST_URL + extra)
        assert error(response) == (403, "bad_continuation"), extra
    assert store.reads == 0


def test_signatures_are_filled_in_after_the_step_for_every_url_it_built(
    store: InMemoryStateStore,
) -> None:
    """A step that builds several continuations and then changes state (so seq moves on
    only after the URLs exist): each URL is signed for the seq it finally carries."""
    flow = Flow()

    @flow.step()
    def start(call: Call) -> Node:
        urls = [call.url("left"), call.url("right", collection="x"), call.url("left")]
        call.state["built"] = len(urls)  # changes state after the URLs were built
        call.state["urls"] = urls
        return call.goto("left")

    @flow.step()
    def left(call: Call) -> Node:
        return tts(f"left {call.state.get('built')}")

    @flow.step()
    def right(call: Call) -> Node:
        return tts(f"right {call.digits}")

    app = PivotApp(
        {"acme": Customer(slug="acme", flow=flow)}, store, StaticTokens({"acme": [TOKEN]})
    )
    x = caller(app, "multi@1")
    x.first(FIRST_URL)
    (record,) = store.records()
    urls: list[str] = record.state["urls"]
    assert "PKSIG" not in x.answers[-1].body.decode()
    goto = find_module(x.last_tree(), "pivot")["data"]["voice_url"]  # type: ignore[index]
    # The stored state holds placeholders (the step saw the URL before it was signed); the
    # answer Kazoo got holds the signed URL, at seq 1.
    assert all("PKSIG" in u for u in urls) and "seq=1" in goto
    assert re.search(r"&sig=[0-9a-f]{32}$", goto)
    assert app.handle(to_http(x.call, goto)).status == 200
    right_url = with_params(goto, step="right", g="x", sig=None)
    right_url = signed(right_url, x.call)
    assert app.handle(to_http(x.call.with_digits("x", "7"), right_url)).status == 200


def test_rotation_old_signatures_verify_while_previous_seed_is_present(
    store: InMemoryStateStore,
) -> None:
    old, new = derive_credentials("seed-old"), derive_credentials("seed-new")
    before = PivotApp(
        {"acme": acme.customer}, store, StaticTokens.from_seeds({"acme": ["seed-old"]})
    )
    x = Caller(before, KazooCall(account_id=ACCOUNT_ID, call_id="rot@1"))
    x.first(f"{BASE_URL}/pivot/acme?token={old.token}")
    x.press("1234")  # state written, answer (signed with the old key) stored
    old_url = find_module(x.last_tree(), "pivot")["data"]["voice_url"]  # type: ignore[index]

    during = StaticTokens.from_seeds({"acme": ["seed-new", "seed-old"]})
    rotating = PivotApp({"acme": acme.customer}, store, during)
    x.app = rotating
    # The live call's continuation, signed before the rotation, still runs...
    x.call = x.call.with_digits("menu_choice_2", "9")  # not an option: writes menu_tries
    response = rotating.handle(to_http(x.call, old_url))
    assert response.status == 200
    # ...and what is signed now uses the new key.
    new_url = find_module(json.loads(response.body), "pivot")["data"]["voice_url"]  # type: ignore[index]
    sig = dict(parse_qsl(urlsplit(new_url).query))["sig"]
    fields = {
        "customer": "acme",
        "account_id": ACCOUNT_ID,
        "call_id": "rot@1",
        "step": "menu_choice",
        "hop": 3,
        "seq": 2,
        "collection": "menu_choice_3",
    }
    assert signature_matches(sig, [new.signing_key], **fields)  # type: ignore[arg-type]
    assert not signature_matches(sig, [old.signing_key], **fields)  # type: ignore[arg-type]

    # Once previous_seed is gone, the old key no longer verifies.
    after = PivotApp(
        {"acme": acme.customer}, store, StaticTokens.from_seeds({"acme": ["seed-new"]})
    )
    stale_signed = with_params(old_url, token=new.token)
    assert error(after.handle(to_http(x.call, stale_signed))) == (403, "bad_continuation")


def test_the_token_does_not_give_the_signing_key_of_a_seeded_customer(
    store: InMemoryStateStore,
) -> None:
    """Deployed, whoever reads a callflow's voice_url knows the token; signing with the key a
    bare token would have (the local convention) must not work."""
    credentials = derive_credentials("seed-x")
    app = PivotApp({"acme": acme.customer}, store, StaticTokens.from_seeds({"acme": ["seed-x"]}))
    call = KazooCall(account_id=ACCOUNT_ID, call_id="n@1").with_digits("menu_choice_1", "1")
    forged = (
        f"{BASE_URL}/pivot/acme?token={credentials.token}&step=menu_choice&hop=1&g=menu_choice_1"
    )
    with_token_key = sign_url(
        forged, token_signing_key(credentials.token), account_id=ACCOUNT_ID, call_id="n@1"
    )
    assert error(app.handle(to_http(call, with_token_key))) == (403, "bad_continuation")
    with_seed_key = sign_url(forged, credentials.signing_key, account_id=ACCOUNT_ID, call_id="n@1")
    assert app.handle(to_http(call, with_seed_key)).status == 200


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"call_id": "a", "step": "bc"}, {"call_id": "ab", "step": "c"}),
        ({"collection": None}, {"collection": ""}),
        ({"hop": 1, "seq": 23}, {"hop": 12, "seq": 3}),
        ({"customer": "acme", "call_id": "x"}, {"customer": "acm", "call_id": "ex"}),
    ],
)
def test_different_continuations_never_share_a_signature(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    base: dict[str, Any] = {
        "customer": "acme",
        "account_id": ACCOUNT_ID,
        "call_id": "c",
        "step": "s",
        "hop": 1,
        "seq": 0,
        "collection": "g",
    }
    key = b"k" * 32
    assert continuation_signature(key, **{**base, **a}) != continuation_signature(
        key, **{**base, **b}
    )
