"""``pivotkit call``: a virtual Kazoo walking a whole call through your flows.

It sends the first Pivot request exactly as Kazoo encodes it, then runs each answer the way
Kazoo's callflow executor does: prompts are printed, collect_dtmf takes the next --digits
entry (comma-separated, one per collect; '#' ends an entry; an empty entry is a timeout;
with none left it asks on a terminal, else the caller hangs up), branching and bridging
modules follow --branch/--bridge, and nested pivot nodes send the next request with the
accumulated Digits[...] and Custom-Application-Vars. Every answer is checked against
Kazoo's schemas when they are available. Exit status 1 when a request failed or Kazoo
could not use an answer.

Against a URL (serve, a tunnel, a deployment):
  pivotkit call --url 'http://127.0.0.1:8080/pivot/acme?token=local-acme' --digits 1234#,2
In-process (no server; in-memory state; token local-<slug> or from PIVOTKIT_TOKENS):
  pivotkit call --customer acme --digits 1234#,2 --bridge NO_ANSWER --diagram call.mmd
At another time (what call.now() reads; the clock starts there and runs on):
  pivotkit call --customer hours --now 2026-12-24T09:00-06:00 --digits 1
Saved as replayable events (the deployed HTTP API's shape) with the answers as goldens:
  pivotkit call --customer acme --digits 1234#,2 --save-events events/acme-sales
  pivotkit replay events/acme-sales
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from pivotkit.config import ConfigError
from pivotkit.local.clock import NOW_HELP, LocalClock, now_argument
from pivotkit.local.commands import (
    add_caller_arguments,
    add_pivot_node_arguments,
    body_format_error,
    caller_of,
)
from pivotkit.local.diagram import markdown, mermaid
from pivotkit.local.event_recorder import (
    DEPLOYED_SHAPE,
    EventRecorder,
    existing_events,
    save_events,
)
from pivotkit.local.events import endpoint_url
from pivotkit.local.runtime import add_stage_argument, kazoo_validator, local_runtime
from pivotkit.local.simulator import (
    DEFAULT_TIMEOUT_MS,
    HttpTransport,
    InProcessTransport,
    Limits,
    PivotTarget,
    Script,
    ScriptError,
    Transport,
    simulate,
)
from pivotkit.local.style import Style, colour_enabled, paint
from pivotkit.local.transcript import Event, Transcript, render_event

# The in-process gateway's host: continuation URLs point here and come back in-process.
IN_PROCESS_HOST = "pivotkit.local"


HELP = "simulate a caller: Kazoo's requests and callflow walk, end to end"


def register(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="the pivot node's voice_url (token included)")
    where.add_argument("--customer", metavar="SLUG", help="call this customer in-process")
    add_pivot_node_arguments(parser)
    parser.add_argument(
        "--timeout-ms",
        type=int,
        default=DEFAULT_TIMEOUT_MS,
        help="req_timeout_ms of the first pivot node (at most 5000)",
    )
    caller = parser.add_argument_group("caller")
    add_caller_arguments(caller)
    caller.add_argument(
        "--now",
        type=now_argument,
        metavar="TIME",
        help=f"with --customer: {NOW_HELP}; the clock starts there and runs on (saved"
        " events carry it, so replay answers them at the same time)",
    )
    add_stage_argument(caller)
    script = parser.add_argument_group("what the caller does")
    script.add_argument("--digits", help='one entry per collect_dtmf, e.g. "1234#,2,,0"')
    script.add_argument(
        "--branch",
        action="append",
        default=[],
        metavar="MODULE=KEY[,KEY]",
        help="branch a module takes, one key per visit (e.g. check_cid=nomatch, menu=2)",
    )
    script.add_argument(
        "--bridge",
        metavar="OUTCOME[,OUTCOME]",
        help="per bridge: answer (default) or a hangup cause such as NO_ANSWER, USER_BUSY",
    )
    output = parser.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print the transcript as JSON")
    output.add_argument(
        "--diagram", type=Path, metavar="FILE", help="write the call's path as Mermaid"
    )
    output.add_argument(
        "--save-events",
        type=Path,
        metavar="DIR",
        help="with --customer: write each request as a Lambda event, and its answer as the"
        " golden beside it, into DIR (new or empty) for `pivotkit replay DIR`",
    )
    output.add_argument(
        "--max-requests",
        type=int,
        default=Limits.max_requests,
        help=f"loop guard: stop after this many Pivot requests (default {Limits.max_requests})",
    )
    output.add_argument(
        "--max-steps",
        type=int,
        default=Limits.max_steps,
        help=f"loop guard: stop after this many callflow nodes (default {Limits.max_steps})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    interactive = sys.stdin.isatty() and not args.json
    try:
        script = Script.parse(
            args.digits, args.branch, args.bridge, prompt=_ask if interactive else None
        )
    except ScriptError as exc:
        print(f"pivotkit call: {exc}", file=sys.stderr)
        return 2
    problem = body_format_error(args)
    if problem is not None:
        print(f"pivotkit call: {problem}", file=sys.stderr)
        return 2
    if args.now is not None and args.url is not None:
        print(
            "pivotkit call: --now sets the clock of an in-process call: use --customer"
            " (an endpoint at --url runs on its own clock; serve takes --now)",
            file=sys.stderr,
        )
        return 2
    if args.save_events is not None:
        if args.url is not None:
            print(
                "pivotkit call: --save-events records an in-process call: use --customer",
                file=sys.stderr,
            )
            return 2
        if existing_events(args.save_events):
            print(
                f"pivotkit call: {args.save_events} already holds events; choose a new or"
                " empty directory (replay runs a whole directory as one call)",
                file=sys.stderr,
            )
            return 2
    validator, label = kazoo_validator()
    saved: list[Path] = []
    live = None if args.json else _print_event
    with contextlib.ExitStack() as stack:
        try:
            transport, voice_url = stack.enter_context(_transport(args))
        except (LookupError, ConfigError) as exc:
            print(f"pivotkit call: {exc}", file=sys.stderr)
            return 2
        if live is not None:
            print(f"calling {voice_url.split('?', 1)[0]} ({label})", flush=True)
        transcript = simulate(
            transport,
            PivotTarget(voice_url, args.method, args.body_format or "form", args.timeout_ms),
            caller_of(args),
            script,
            validator=validator,
            validation_label=label,
            limits=Limits(max_requests=args.max_requests, max_steps=args.max_steps),
            listener=live,
        )
        if isinstance(transport, EventRecorder):
            saved = save_events(transport.recorded, args.save_events)
    _report(transcript, args)
    if args.save_events is not None and not args.json:
        print(f"saved {len(saved)} event(s) with goldens: pivotkit replay {args.save_events}")
    return 0 if transcript.ok else 1


@contextlib.contextmanager
def _transport(args: argparse.Namespace) -> Iterator[tuple[Transport, str]]:
    """HTTP to ``--url``, or the customer's functions in this process (``LookupError``
    when there is no such customer or no token for it)."""
    if args.url is not None:
        http = HttpTransport()
        try:
            yield http, args.url
        finally:
            http.close()
        return
    clock = LocalClock(args.now)
    with local_runtime("memory", customer=args.customer, clock=clock, stage=args.stage) as runtime:
        token = runtime.token_for(args.customer)
        if token is None:
            raise LookupError(f"PIVOTKIT_TOKENS has no token for {args.customer!r}")
        if args.save_events is not None:
            recorder = EventRecorder(runtime)
            yield recorder, f"{endpoint_url(DEPLOYED_SHAPE, args.customer)}?token={token}"
            return
        gateway = runtime.gateway(forwarded_proto="https")
        yield (
            InProcessTransport(gateway),
            f"https://{IN_PROCESS_HOST}/pivot/{args.customer}?token={token}",
        )


def _report(transcript: Transcript, args: argparse.Namespace) -> None:
    if args.json:
        print(transcript.dumps())
    else:
        ending, verdict = transcript.summary()
        colour = colour_enabled(sys.stdout)
        print(ending)
        print(paint(verdict, "ok" if transcript.ok else "bad", enabled=colour))
    if args.diagram is not None:
        is_markdown = args.diagram.suffix.lower() in (".md", ".markdown")
        text = markdown(transcript) if is_markdown else mermaid(transcript)
        args.diagram.write_text(text, encoding="utf-8")
        if not args.json:
            print(f"diagram written to {args.diagram}")


_EVENT_STYLES: dict[str, Style] = {"request": "request", "answer": "answer", "failure": "failure"}


def _print_event(event: Event) -> None:
    line = render_event(event)
    if line is None:
        return
    style = _EVENT_STYLES.get(event.kind)
    if style is not None:
        line = paint(line, style, enabled=colour_enabled(sys.stdout))
    print(line, flush=True)


def _ask(question: str) -> str | None:
    """Read digits from the terminal; end of input (Ctrl-D) hangs up."""
    sys.stderr.write(f"   ? {question}: ")
    sys.stderr.flush()
    line = sys.stdin.readline()
    return None if line == "" else line.strip()
