"""Every Kazoo module of the Pivot talk is emitted by some sample event's golden answer.

The recipes (docs/recipes.md) show each feature of the talk in code; the events under
``events/examples/`` are what ``pivotkit replay`` checks against the real handlers. A module that
only the code shows could break in a way no replayed event notices, so each module of the
talk must appear in at least one golden.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pivotkit.local.replaying import GOLDEN_SUFFIX
from tests.examples.sample_events import EVENTS_ROOT
from tests.examples.talk_features import TALK_FEATURES

# The Kazoo modules among the talk's features (tests/examples/talk_features.py lists the
# builder calls docs/recipes.md must show; record_call is shown as call.record_call).
TALK_MODULES = (
    "tts", "play", "collect_dtmf", "device", "user", "ring_group", "group", "conference",
    "resources", "voicemail", "faxbox", "manual_presence", "set_cid", "dynamic_cid",
    "prepend_cid", "cidlistmatch", "check_cid", "eavesdrop", "group_pickup", "intercept",
    "page_group", "hotdesk", "call_forward", "do_not_disturb", "directory", "disa",
    "fax_detect", "menu", "webhook", "record_call",
)  # fmt: skip


def modules_in(tree: Any) -> Iterator[str]:
    """Every ``module`` of a callflow tree, children included."""
    if isinstance(tree, dict):
        if isinstance(tree.get("module"), str):
            yield tree["module"]
        for child in (tree.get("children") or {}).values():
            yield from modules_in(child)


def golden_modules() -> dict[str, list[str]]:
    """Module -> the goldens whose answer emits it."""
    found: dict[str, list[str]] = {}
    goldens = sorted(EVENTS_ROOT.glob(f"*/*{GOLDEN_SUFFIX}"))
    assert goldens, f"no goldens under {EVENTS_ROOT}"
    for path in goldens:
        answer = json.loads(path.read_text(encoding="utf-8"))
        for module in modules_in(answer.get("body")):
            found.setdefault(module, []).append(str(path.relative_to(EVENTS_ROOT)))
    return found


def test_every_module_of_the_talk_is_in_some_golden() -> None:
    found = golden_modules()
    missing = [module for module in TALK_MODULES if module not in found]
    assert not missing, f"no event under events/examples/ emits {missing}"


# The talk's features that are not Kazoo modules (flow APIs, a data helper).
NOT_MODULES = {"endpoint", "Flow", "call.gather", "call.goto", "call.request.digits", "is_open"}


def test_the_module_list_is_the_talks() -> None:
    """A feature added to the talk's list must be classified: a module (then an event must
    emit it) or not."""
    modules = {feature.removeprefix("call.") for feature in TALK_FEATURES - NOT_MODULES}
    assert modules == set(TALK_MODULES)


def test_modules_are_found_in_children_too() -> None:
    tree = {"module": "tts", "children": {"_": {"module": "record_call", "children": {}}}}
    assert list(modules_in(tree)) == ["tts", "record_call"]
