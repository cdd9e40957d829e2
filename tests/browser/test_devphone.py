"""The dev phone and the inspector in a real browser, driven by the keyboard alone."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pivotkit.local.devphone.console import DevConsole
from pivotkit.local.simulator import Caller, HttpTransport, PivotTarget, simulate
from tests.browser.pixels import assert_not_blank

# Records what the page asks the browser to say (headless Chromium has no voices to hear).
RECORD_SPEECH = """
window.__spoken = [];
if (window.speechSynthesis) {
  window.speechSynthesis.speak = (u) => window.__spoken.push({ text: u.text, lang: u.lang });
}
"""


def screenshot(page: Any, artifacts: Path, name: str) -> Path:
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path))
    assert_not_blank(path)
    return path


def test_dial_acme_enter_the_pin_pick_sales_and_see_the_bridge(
    page: Any, console: DevConsole, artifacts: Path
) -> None:
    page.add_init_script(RECORD_SPEECH)
    page.goto(f"{console.base_url}/dev/?customer=acme")
    page.wait_for_selector("#customer option[value=acme]", state="attached")
    assert page.input_value("#customer") == "acme"

    page.focus("#caller-name")
    page.keyboard.press("Control+A")
    page.keyboard.type("Ada Lovelace")
    page.keyboard.press("Enter")  # submits the form: dials
    events = page.locator("#events")
    events.locator("li.say", has_text="Please enter your four digit account PIN").wait_for()
    # The prompt can arrive a poll before the collect starts waiting: wait for the wait.
    page.locator("#waiting", has_text="Waiting for up to 4 key(s)").wait_for()

    page.focus("#hangup")  # keys go to the keypad from anywhere but a text field
    page.keyboard.type("1234")
    events.locator("li.say", has_text="For sales, press 1").wait_for()
    page.keyboard.press("1")
    choices = page.locator("#bridge-choices")
    choices.get_by_role("button", name="Answered").wait_for()
    page.locator("#bridge-target", has_text="ring_group").wait_for()
    # The choices take the focus, so Enter picks "Answered".
    assert page.evaluate("document.activeElement.dataset.outcome") == "answer"
    screenshot(page, artifacts, "phone-bridge")
    page.keyboard.press("Enter")

    outcome = page.locator("#outcome")
    outcome.wait_for()
    text = outcome.inner_text()
    assert text.startswith("bridged") and "connected to ring_group" in text and "ok" in text
    collected = page.locator("#events li.collect").all_inner_texts()
    assert any("1234" in line for line in collected) and any(": 1" in line for line in collected)
    spoken = page.evaluate("window.__spoken")
    assert spoken[0]["text"].startswith("Welcome to Acme Widgets")
    assert {item["lang"] for item in spoken} == {"en-US"}  # Kazoo's en-us, as BCP 47
    assert page.locator("#inspect-link").is_visible()
    screenshot(page, artifacts, "phone")


def test_the_inspector_follows_a_failing_call_to_its_error_code(
    page: Any, console: DevConsole, artifacts: Path
) -> None:
    page.goto(f"{console.base_url}/dev/inspector")
    page.wait_for_selector("#calls")
    # While the page is open, a virtual Kazoo calls with a stale token: Kazoo gets a 401.
    call_id = "stale-token-call@10.0.0.9"
    transport = HttpTransport()
    try:
        transcript = simulate(
            transport,
            PivotTarget(f"{console.base_url}/pivot/acme?token=not-the-token"),
            Caller(call_id=call_id),
        )
    finally:
        transport.close()
    assert not transcript.ok

    entry = page.locator(f'#calls button[data-call="{call_id}"]')
    entry.wait_for()  # appeared without a reload
    assert "unauthorized" in entry.inner_text()
    entry.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("location.hash.startsWith('#call=')")
    summary = page.locator("#timeline details.entry summary").first
    summary.wait_for()
    assert re.search(r"\b401\b", summary.inner_text())
    assert summary.locator(".error-code").inner_text() == "unauthorized"
    summary.focus()
    page.keyboard.press("Enter")  # opens the entry
    page.locator("#timeline p", has_text="Kazoo takes the pivot node").wait_for()
    page.locator("#path summary").focus()
    page.keyboard.press("Enter")
    page.locator("#mermaid", has_text="flowchart TD").wait_for()
    screenshot(page, artifacts, "inspector")


def test_a_phone_call_shows_its_callflow_tree_and_schema_verdicts_in_the_inspector(
    page: Any, console: DevConsole, artifacts: Path
) -> None:
    page.goto(f"{console.base_url}/dev/?customer=acme")
    page.wait_for_selector("#customer option[value=acme]", state="attached")
    page.focus("#dial")
    page.keyboard.press("Enter")
    page.locator("#events li.say", has_text="four digit account PIN").wait_for()
    page.keyboard.press("Escape")  # hangs up
    page.locator("#outcome").wait_for()
    assert page.inner_text("#outcome").startswith("caller_hangup")

    page.click("#inspect-link")
    summary = page.locator("#timeline details.entry summary").first
    summary.wait_for()
    assert "step start" in summary.inner_text()
    verdict = summary.locator(".schema").inner_text()
    assert verdict in ("schema valid", "schema skipped")  # skipped when no schemas are found
    summary.click()
    tree = page.locator("#timeline details.node").first
    assert tree.locator("summary .module").first.inner_text() == "tts"
    assert "Drawn from the dev phone" in (page.text_content("#path-note") or "")
    screenshot(page, artifacts, "inspector-tree")


def test_both_pages_fit_a_narrow_window(page: Any, console: DevConsole, artifacts: Path) -> None:
    page.set_viewport_size({"width": 420, "height": 860})
    for name, path in (("phone-narrow", "/dev/"), ("inspector-narrow", "/dev/inspector")):
        page.goto(f"{console.base_url}{path}")
        page.wait_for_selector("h2")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 420px"
        screenshot(page, artifacts, name)


def test_keys_typed_quickly_reach_the_server_one_request_at_a_time_in_order(
    page: Any, console: DevConsole
) -> None:
    held: list[Any] = []
    overlapped: list[str] = []
    bodies: list[str] = []

    def keys_request(route: Any) -> None:
        bodies.append(json.loads(route.request.post_data)["keys"])
        if len(bodies) == 1:
            held.append(route)  # hold the first one unanswered for a while
            return
        if held:
            overlapped.append(bodies[-1])  # sent while an earlier one was unanswered
        route.continue_()

    page.route("**/keys", keys_request)
    page.goto(f"{console.base_url}/dev/?customer=acme")
    page.wait_for_selector("#customer option[value=acme]", state="attached")
    page.focus("#dial")
    page.keyboard.press("Enter")
    page.locator("#events li.say", has_text="four digit account PIN").wait_for()
    page.keyboard.type("1234")
    page.wait_for_timeout(400)
    assert overlapped == [] and bodies == ["1"]
    held.pop().continue_()
    page.locator("#events li.collect", has_text="1234").wait_for()
    assert "".join(bodies) == "1234" and len(bodies) == 2  # "1", then "234" together
    page.keyboard.press("Escape")
    page.locator("#outcome").wait_for()
