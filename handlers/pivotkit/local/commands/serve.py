"""``pivotkit serve``: the Pivot endpoint on this machine, as API Gateway + Lambda run it.

Each HTTP request becomes the HTTP API (v2) event a deployed endpoint receives and is
answered by the real Lambda handlers, in-process. State and media live in an embedded
AWS (moto on 127.0.0.1, started and stopped with the server) unless --memory or --aws.
Customer <slug> accepts the token local-<slug> unless PIVOTKIT_TOKENS says otherwise.
On a loopback bind, /dev/ is a browser dev phone (the virtual Kazoo of `pivotkit call`, with
you as the caller) and /dev/inspector a live view of every call serve answers.
--now starts the clock steps read (call.now()) at another time, from where it runs on.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from pivotkit.config import ConfigError
from pivotkit.local.clock import NOW_HELP, LocalClock, now_argument
from pivotkit.local.kazoo_encoding import pivot_http_request
from pivotkit.local.request_body import DEFAULT_IDLE_TIMEOUT, DEFAULT_REQUEST_TIMEOUT
from pivotkit.local.runtime import (
    Backend,
    LocalRuntime,
    UnknownCustomer,
    add_stage_argument,
    local_runtime,
)
from pivotkit.local.server import Dispatch, Exchange, LocalServer
from pivotkit.local.simulator import Caller

if TYPE_CHECKING:
    from pivotkit.local.devphone.console import DevConsole


HELP = "run the Pivot endpoint locally (embedded AWS by default)"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to bind; 0 picks a free one (default 8080)"
    )
    parser.add_argument("--customer", metavar="SLUG", help="serve only this customer")
    backend = parser.add_mutually_exclusive_group()
    backend.add_argument(
        "--aws",
        action="store_const",
        dest="backend",
        const="aws",
        help="use real AWS (or any endpoint AWS_* settings name) instead of the embedded one",
    )
    backend.add_argument(
        "--memory",
        action="store_const",
        dest="backend",
        const="memory",
        help="keep state and media in memory (no embedded AWS)",
    )
    parser.add_argument(
        "--now",
        type=now_argument,
        metavar="TIME",
        help=f"{NOW_HELP}; the clock starts there and runs on (default: the system clock)",
    )
    add_stage_argument(parser)
    parser.add_argument(
        "--ready-file",
        type=Path,
        metavar="PATH",
        help="write the base URL to PATH once the server accepts requests",
    )
    parser.add_argument(
        "--idle-timeout",
        type=_positive_seconds,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="SECONDS",
        help="close a connection idle this long (default %(default)s)",
    )
    parser.add_argument(
        "--request-timeout",
        type=_positive_seconds,
        default=DEFAULT_REQUEST_TIMEOUT,
        metavar="SECONDS",
        help="a request must arrive whole this soon after its first byte (default %(default)s)",
    )
    parser.add_argument(
        "--no-dev-console",
        action="store_true",
        help="do not serve the dev phone and inspector under /dev/ (loopback binds only)",
    )
    parser.set_defaults(func=run, backend="embedded")


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return seconds


class _Stop(Exception):
    """SIGTERM: leave serve_forever the way Ctrl-C does."""


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    if not _is_loopback(args.host) and not os.environ.get("PIVOTKIT_TOKENS"):
        print(
            f"refusing to bind {args.host}: the default local tokens (local-<slug>) are "
            "public knowledge. Set PIVOTKIT_TOKENS to secret tokens first.",
            file=sys.stderr,
        )
        return 2
    backend: Backend = args.backend
    out = sys.stdout
    with contextlib.ExitStack() as stack:
        try:
            clock = LocalClock(args.now)
            runtime = stack.enter_context(
                local_runtime(
                    backend, customer=args.customer, clock=clock, stage=args.stage, journal=True
                )
            )
        except (UnknownCustomer, ConfigError) as exc:
            print(f"pivotkit serve: {exc}", file=sys.stderr)
            return 2
        front, console = _front(args, runtime, _request_logger(out))
        try:
            server = LocalServer(
                front,
                args.host,
                args.port,
                idle_timeout=args.idle_timeout,
                request_timeout=args.request_timeout,
            )
        except OSError as exc:
            print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
        stack.callback(server.server_close)
        if console is not None:
            console.base_url = server.url
        if args.ready_file is not None:
            stack.callback(args.ready_file.unlink, missing_ok=True)
        previous = signal.signal(signal.SIGTERM, _raise_stop)
        stack.callback(signal.signal, signal.SIGTERM, previous)
        try:
            _print_banner(out, server.url, runtime, dev_console=console is not None)
            _record_serve(stack, runtime, server.url)
            if args.ready_file is not None:
                _write_ready_file(args.ready_file, server.url)
            print(f"ready: {server.url} (Ctrl-C stops)", file=out, flush=True)
            server.serve_forever()
        except (KeyboardInterrupt, _Stop):
            print("stopping", file=out, flush=True)
    return 0


def _front(
    args: argparse.Namespace, runtime: LocalRuntime, observer: Callable[[Exchange], None]
) -> tuple[Dispatch, DevConsole | None]:
    """The gateway, behind the dev console on a loopback bind: the console dials with the
    local tokens and shows every call, which is for this machine's browser alone."""
    if not _is_loopback(args.host) or args.no_dev_console:
        return runtime.gateway(observer=observer), None
    from pivotkit.local.devphone.mount import dev_console

    console = dev_console(runtime, observer=observer)
    return console, console


def _record_serve(stack: contextlib.ExitStack, runtime: LocalRuntime, url: str) -> None:
    """``.pivotkit/serve.json`` (git-ignored) for ``pivotkit calls``: where this serve's
    embedded AWS and journal are; removed when it stops. Only the embedded backend keeps a
    journal (``pivotkit.local.journal_logs``)."""
    from pivotkit.local.journal_logs import CLOUDWATCH_LOGS_ENDPOINT
    from pivotkit.local.journal_sources import SERVE_RECORD, ServeRecord, forget_serve
    from pivotkit.local.journal_sources import function_log_group as group
    from pivotkit.local.lambda_context import LOCAL_REGION

    endpoint = runtime.environment.get(CLOUDWATCH_LOGS_ENDPOINT)
    if runtime.backend != "embedded" or not endpoint:
        return
    stage = runtime.environment.get("PIVOTKIT_STAGE") or "dev"
    record = ServeRecord(
        url=url,
        aws_endpoint=endpoint,
        region=LOCAL_REGION,
        stage=stage,
        log_groups={slug: group(stage, slug) for slug in sorted(runtime.customers)},
        pid=os.getpid(),
    )
    path = Path.cwd() / SERVE_RECORD
    try:
        record.write(path)
    except OSError as exc:
        print(f"pivotkit serve: cannot record {path} for `pivotkit calls`: {exc}", file=sys.stderr)
        return
    stack.callback(forget_serve, path, record.pid)


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _request_logger(out: TextIO) -> Callable[[Exchange], None]:
    lock = threading.Lock()

    def log(exchange: Exchange) -> None:
        line = f"{time.strftime('%H:%M:%S')} {exchange.log_line()}"
        with lock:
            print(line, file=out, flush=True)

    return log


def _print_banner(
    out: TextIO, url: str, runtime: LocalRuntime, *, dev_console: bool = False
) -> None:
    lines = [f"pivotkit serve: {url}", f"  backend: {runtime.backend_detail}"]
    if runtime.clock.moved:
        lines.append(f"  clock: {runtime.clock.datetime().isoformat(timespec='seconds')} (--now)")
    if not runtime.customers:
        lines.append("  no customers found: add a package under handlers/customers/<slug>/")
    else:
        lines.append("  customers (Pivot voice_url):")
    first_url: str | None = None
    for slug in sorted(runtime.customers):
        token = runtime.token_for(slug)
        voice_url = f"{url}/pivot/{slug}?token={token}" if token else f"{url}/pivot/{slug}"
        note = "" if token else "  (token from Secrets Manager)"
        lines.append(f"    {slug:<16} {voice_url}{note}")
        if token and first_url is None:
            first_url = voice_url
    lines.append(f"  media: {url}/media/<customer>/<token>/...")
    lines.append(f"  call webhooks: {url}/hooks/<customer>?token=<token>")
    if runtime.backend == "embedded":
        lines.append("  call journal: embedded CloudWatch Logs; `pivotkit calls list` reads it")
    lines.append(f"  schemas: {_schemas_note()}")
    if dev_console:
        lines.append(f"  dev phone: {url}/dev/   inspector: {url}/dev/inspector")
    if first_url is not None:
        request = pivot_http_request(Caller().kazoo_call(), first_url)
        lines += [
            "  try a first Pivot request (as Kazoo sends it):",
            f"    curl -sS {shlex.quote(request.url)}",
            "  or walk a whole call (type digits when asked, or script them with --digits):",
            f"    pivotkit call --url {shlex.quote(first_url)}",
        ]
    print("\n".join(lines), file=out, flush=True)


def _schemas_note() -> str:
    """Serve answers whatever the flow builds; `call` and `replay` are what validate it."""
    from pivotkit.local.schemas import NOT_FOUND, locate_schemas

    location = locate_schemas()
    if location is None:
        return NOT_FOUND
    return f"{location.directory} ({' + '.join(location.versions)}; `pivotkit call` validates)"


def _write_ready_file(path: Path, url: str) -> None:
    """Atomically, so a watcher never reads half a URL."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(url + "\n", encoding="utf-8")
    partial.replace(path)
