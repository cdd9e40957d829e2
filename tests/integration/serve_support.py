"""Run ``pivotkit serve`` as a subprocess for tests, with an extra test customer.

The server is the real CLI (``pivotkit.local.cli.main``) in its own process; the only
addition is a directory appended to the ``customers`` package path, so a test customer
written to a temporary directory is discovered next to the project's own customers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

PROJECT_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 60.0

# A customer exercising what the simulator walks: a gather, set_variables, a POST
# continuation, a bridge with a cause branch, a step that fails (Kazoo's fallback) and one
# that answers a schema-invalid callflow.
TEST_CUSTOMER_SOURCE = """
from pivotkit import Call, Customer, Flow, Node, hangup, raw, set_variables, tts, user, voicemail

SUPPORT_USER = "5e" * 16
SUPPORT_MAILBOX = "6d" * 16
flow = Flow()


@flow.step()
def start(call: Call) -> Node:
    return call.gather("pin", prompt=tts("Enter your PIN, then pound."), max_digits=4)


@flow.step()
def pin(call: Call) -> Node:
    call.state["pin"] = call.digits or ""
    remember = set_variables({"pin_length": str(len(call.digits or ""))})
    prompt = tts("Press 1 for support, 2 to test a failure, 3 to finish.")
    return remember.then(call.gather("menu", prompt=prompt, method="post"))


@flow.step()
def menu(call: Call) -> Node:
    if call.digits == "1":
        bridge = user(SUPPORT_USER, timeout=20)
        bridge.on("NO_ANSWER", tts("Nobody answered. Goodbye.").then(hangup()))
        return tts("Connecting you to support.").then(bridge).then(voicemail(SUPPORT_MAILBOX))
    if call.digits == "2":
        return call.goto("broken")
    length = call.vars.get("pin_length", "?")
    return tts(f"Your PIN was {call.state['pin']}, {length} digits. Goodbye.").then(hangup())


@flow.step()
def broken(call: Call) -> Node:
    raise RuntimeError("a deliberate failure")


@flow.step()
def invalid(call: Call) -> Node:
    return raw("tts", {})  # no text: Kazoo's schema rejects it (only ever reached on purpose)


customer = Customer(slug="simtest", flow=flow, fallback_message="Sorry, something broke.")
"""

_LAUNCHER = (
    "import sys, customers; customers.__path__.append(sys.argv[1]); "
    "from pivotkit.local.cli import main; sys.exit(main(sys.argv[2:]))"
)


def write_test_customer(directory: Path) -> Path:
    """``<directory>/simtest/__init__.py``; returns ``directory`` (a customers path)."""
    package = directory / "simtest"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(TEST_CUSTOMER_SOURCE, encoding="utf-8")
    return directory


def cli_command(customers_dir: Path, *args: str) -> list[str]:
    """``pivotkit <args>`` with ``customers_dir`` added to the customers package."""
    return [sys.executable, "-c", _LAUNCHER, str(customers_dir), *args]


def cli_environment(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PIVOTKIT_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT / "handlers"), str(PROJECT_ROOT)])
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


class ServeProcess:
    """``pivotkit serve --port 0`` in a subprocess; ``url`` once it is ready."""

    def __init__(
        self,
        workdir: Path,
        customers_dir: Path,
        *extra: str,
        cwd: Path = PROJECT_ROOT,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.ready_file = workdir / f"ready-{time.monotonic_ns()}"
        self.stdout_path = workdir / f"{self.ready_file.name}.out"
        self.stderr_path = workdir / f"{self.ready_file.name}.err"
        command = cli_command(
            customers_dir, "serve", "--port", "0", "--ready-file", str(self.ready_file), *extra
        )
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                command,
                stdout=out,
                stderr=err,
                env=cli_environment(**(environment or {})),
                cwd=cwd,
            )
        self.url = self._wait_until_ready()

    def _wait_until_ready(self) -> str:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.ready_file.is_file():
                text = self.ready_file.read_text(encoding="utf-8").strip()
                if text:
                    return text
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"serve did not become ready:\n{self.output()}\n{self.errors()}")

    def output(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def errors(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
