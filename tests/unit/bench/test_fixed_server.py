"""The serve baseline is configured like `pivotkit serve` (issue 19: its backlog of 5
overflowed at 20 concurrent clients and the baseline measured SYN retransmits)."""

from __future__ import annotations

from bench.fixed_server import Fixed, FixedServer
from bench.serve import CONCURRENT_CALLERS
from pivotkit.local.server import LocalServer
from pivotkit.local.server import _GatewayRequestHandler as GatewayHandler


def test_the_baseline_backlog_holds_every_concurrent_caller() -> None:
    assert FixedServer.request_queue_size >= CONCURRENT_CALLERS
    assert FixedServer.request_queue_size == LocalServer.request_queue_size


def test_the_baseline_threads_like_the_local_server() -> None:
    assert FixedServer.daemon_threads == LocalServer.daemon_threads
    assert FixedServer.allow_reuse_address == LocalServer.allow_reuse_address


def test_the_baseline_speaks_http_like_the_local_server() -> None:
    assert Fixed.protocol_version == GatewayHandler.protocol_version == "HTTP/1.1"
    assert Fixed.disable_nagle_algorithm is GatewayHandler.disable_nagle_algorithm is True
