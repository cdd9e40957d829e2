"""The sample Lambda events in ``events/examples/<example>/`` and their goldens, made by
walking calls.

Each scenario is one call: its first request, then one request per answer, carrying the
digits the caller pressed to wherever the previous answer's pivot node points (exactly what
Kazoo would send next). Every request is written as the HTTP API event AWS would deliver
(``pivotkit.local.events``), with the token ``local-<customer>``, a fixed domain, request id
and time, so the files and the answers in them never change on their own. Each answer the
real Lambda handler gives is written beside its event as ``<name>.expected.json``, the
golden ``pivotkit replay`` compares against. Replay answers each event at the time in it
(``pivotkit.local.clock``), so answers that depend on the time (``hours``) have goldens too:
a scenario's ``starts_at`` picks the time of day.

    .venv/bin/python -m tests.examples.sample_events      # rewrite events/examples/
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pivotkit.local.events import EventContext, EventShape, endpoint_url, lambda_event
from pivotkit.local.kazoo_encoding import KazooCall, pivot_http_request
from pivotkit.local.replaying import GOLDEN_SUFFIX, invoke
from pivotkit.local.runtime import LocalRuntime, local_runtime
from pivotkit.local.tokens import local_token

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EVENTS_ROOT = PROJECT_ROOT / "events" / "examples"
ACCOUNT_ID = "3a1f0e2d4c5b6a7980f1e2d3c4b5a697"
# The queue's positions are shared by every call of an account: its samples get their own.
QUEUE_ACCOUNT_ID = "5a3b1e0000000000000000000000e7e5"
STAFF_USER = "5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f"
FIRST_REQUEST_AT = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
# frontdesk's feature keys and the Kazoo module each answers with (the event file names).
FEATURE_MODULES = {
    "1": "group_pickup",
    "2": "intercept",
    "3": "eavesdrop",
    "4": "page_group",
    "5": "hotdesk",
    "6": "call_forward",
    "7": "do_not_disturb",
}


@dataclass(frozen=True)
class Press:
    """One request after the first: what the caller pressed for the previous answer's
    collect_dtmf (``None``: no collect ran, e.g. a failed bridge led to the pivot)."""

    name: str
    digits: str | None = None


@dataclass(frozen=True)
class Scenario:
    customer: str
    first: str  # the first request's file name
    presses: Sequence[Press] = ()
    prefix: str = ""  # file name prefix when a customer has several scenarios
    caller_number: str = "+14155550123"
    dialled: str | None = None  # the number dialled (To and Request); default KazooCall's
    user_ids: tuple[str, ...] = ()
    account_id: str = ACCOUNT_ID
    shape: EventShape = "v2"
    method: str = "get"
    body_format: str = "form"
    call_id: str = field(default="")
    starts_at: datetime = FIRST_REQUEST_AT  # the first request's time (what call.now() reads)

    def file(self, index: int, name: str) -> str:
        return f"{self.prefix}{index:02d}-{name}"

    @property
    def id(self) -> str:
        return self.call_id or f"{self.customer}-{self.prefix or 'call'}@events.pivotkit.local"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "speech_demo",
        "welcome",
        [Press("ispeech-sample", "3"), Press("recording-by-id", "5"), Press("goodbye", "")],
        shape="url",
    ),
    Scenario(
        "switchboard",
        "enter-extension",
        [Press("unknown-extension", "777"), Press("sales-ring-group", "200")],
        method="post",
    ),
    Scenario(
        "smart_home",
        "enter-pin",
        [
            Press("pin-in-named-collection", "2468"),
            Press("porch-light", "2"),
            Press("set-busy", "3"),
        ],
    ),
    Scenario("gatekeeper", "client-by-python-list", caller_number="+13125550142", prefix="client-"),
    Scenario("gatekeeper", "screened-by-kazoo", prefix="other-"),
    Scenario(
        "gatekeeper",
        "choose-caller-id",
        [Press("dial-out", "3125550188")],
        prefix="staff-",
        user_ids=(STAFF_USER,),
        shape="v1",
    ),
    Scenario("frontdesk", "crm-webhook-and-fax-detect", prefix="public-"),
    Scenario(
        "frontdesk",
        "feature-menu",
        [Press("not-a-feature", "8"), Press("group-pickup", "1")],
        prefix="staff-",
        user_ids=(STAFF_USER,),
    ),
    # A staff phone dialling a feature code (*8<key>) gets the feature in the first answer:
    # one event per feature the spoken menu's single sample above does not reach.
    *(
        Scenario(
            "frontdesk",
            FEATURE_MODULES[key],
            prefix=f"staff-code-8{key}-",
            dialled=f"*8{key}",
            user_ids=(STAFF_USER,),
        )
        for key in sorted(FEATURE_MODULES)
        if key != "1"
    ),
    # Monday 1 June 2026, 10:00 in Chicago: open. Sunday 7 June, noon: closed.
    Scenario("hours", "ring-the-team", prefix="open-"),
    Scenario(
        "hours",
        "we-are-closed",
        [Press("emergency-line", "1")],
        prefix="closed-",
        starts_at=datetime(2026, 6, 7, 17, 0, tzinfo=UTC),
    ),
    Scenario(
        "queue",
        "please-hold",
        [Press("first-lap"), Press("second-lap")],
        account_id=QUEUE_ACCOUNT_ID,
    ),
    # The booking itself runs after the answer (a background job), so only the answers
    # that do not wait for it are samples: the menu, and the "please hold" lap.
    Scenario("booking", "welcome", [Press("please-hold", "1")]),
    Scenario(
        "survey",
        "first-question",
        [Press("rating", "2"), Press("recommend", "2"), Press("callback", "1")],
        method="post",
        body_format="json",
    ),
)


@dataclass(frozen=True)
class SampleFile:
    path: Path
    content: dict[str, Any]

    @property
    def text(self) -> str:
        return json.dumps(self.content, indent=2, ensure_ascii=False) + "\n"


def sample_files(runtime: LocalRuntime) -> Iterator[SampleFile]:
    """Every event and golden, from walking each scenario through ``runtime``'s handlers."""
    for scenario in SCENARIOS:
        yield from _walk(scenario, runtime)


def _walk(scenario: Scenario, runtime: LocalRuntime) -> Iterator[SampleFile]:
    directory = EVENTS_ROOT / scenario.customer
    base = endpoint_url(scenario.shape, scenario.customer)
    token = local_token(scenario.customer)
    call = KazooCall(
        account_id=scenario.account_id,
        call_id=scenario.id,
        caller_id_number=scenario.caller_number,
        from_user=scenario.caller_number,
        user_ids=scenario.user_ids,
    )
    if scenario.dialled is not None:
        call = replace(call, to_user=scenario.dialled, request_user=scenario.dialled)
    voice_url, method = f"{base}?token={token}", scenario.method
    answer: Mapping[str, Any] | None = None
    steps = [(scenario.first, None), *((press.name, press) for press in scenario.presses)]
    for index, (name, press) in enumerate(steps, start=1):
        if press is not None:
            call, voice_url, method = _next_request(call, press, answer)
        request = pivot_http_request(
            call, voice_url, method=method, req_body_format=scenario.body_format
        )
        stem = scenario.file(index, name)
        context = EventContext(
            request_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scenario.customer}/{stem}")),
            time=scenario.starts_at + timedelta(seconds=10 * index),
        )
        event = lambda_event(request, scenario.shape, context=context)
        yield SampleFile(directory / f"{stem}.json", event)
        response = invoke(runtime, event)
        answer = json.loads(response.body) if response.status == 200 else None
        golden_file = directory / f"{stem}{GOLDEN_SUFFIX}"
        yield SampleFile(golden_file, {"status": response.status, "body": answer})


def _next_request(
    call: KazooCall, press: Press, answer: Mapping[str, Any] | None
) -> tuple[KazooCall, str, str]:
    """The call (with the digits pressed) and the URL and method of Kazoo's next request."""
    if answer is None:
        raise ValueError(f"{press.name}: the previous request was not answered with a callflow")
    pivot, collect = _continuation(answer)
    if press.digits is not None:
        if collect is None:
            raise ValueError(f"{press.name}: digits given but no collect_dtmf ran")
        call = call.with_digits(collect["data"].get("collection_name", "default"), press.digits)
    return call, pivot["data"]["voice_url"], pivot["data"].get("method", "get")


def _continuation(
    tree: Mapping[str, Any], collect: Mapping[str, Any] | None = None
) -> tuple[Mapping[str, Any], Mapping[str, Any] | None]:
    """The first pivot node Kazoo would reach, and the collect_dtmf before it."""
    if tree["module"] == "pivot":
        return tree, collect
    if tree["module"] == "collect_dtmf":
        collect = tree
    for child in tree.get("children", {}).values():
        try:
            return _continuation(child, collect)
        except LookupError:
            continue
    raise LookupError("the answer has no pivot node")


def generate() -> list[SampleFile]:
    # The token convention (local-<slug>) holds only when PIVOTKIT_TOKENS is unset.
    with local_runtime("memory", environ={}) as runtime:
        return list(sample_files(runtime))


def main(argv: Sequence[str] = ()) -> int:
    files = generate()
    for sample in files:
        sample.path.parent.mkdir(parents=True, exist_ok=True)
        sample.path.write_text(sample.text, encoding="utf-8")
    print(f"wrote {len(files)} files under {EVENTS_ROOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
