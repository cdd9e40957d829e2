"""The baseline for `bench.serve`: a threaded stdlib HTTP server that answers every GET with
the same small JSON body. `python -m bench.fixed_server READY_FILE`.

It is configured like the server it is compared with (``pivotkit.local.server``): the same
listen backlog, daemon threads, HTTP/1.1 keep-alive and Nagle off. With the stdlib default
backlog of 5, twenty clients connecting at once overflow it and the dropped SYNs come back
a second later, so the baseline measured TCP retransmits (p99 ~1 s), not its own speed.
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pivotkit.local.server import LocalServer

BODY = b'{"module":"tts","data":{"text":"hello"},"children":{"_":{"module":"hangup","data":{}}}}'


class Fixed(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as pivotkit serve answers
    disable_nagle_algorithm = True  # as pivotkit serve does: no delayed-ACK stalls

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        return


class FixedServer(ThreadingHTTPServer):
    """Taken from ``LocalServer`` itself, so the two cannot drift apart."""

    daemon_threads = LocalServer.daemon_threads
    allow_reuse_address = LocalServer.allow_reuse_address
    request_queue_size = LocalServer.request_queue_size


def main() -> int:
    server = FixedServer(("127.0.0.1", 0), Fixed)
    Path(sys.argv[1]).write_text(f"http://127.0.0.1:{server.server_port}/", encoding="utf-8")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
