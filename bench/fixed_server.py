"""The baseline for `bench.serve`: a threaded stdlib HTTP server that answers every GET with
the same small JSON body. `python -m bench.fixed_server READY_FILE`."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BODY = b'{"module":"tts","data":{"text":"hello"},"children":{"_":{"module":"hangup","data":{}}}}'


class Fixed(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as pivotkit serve does: no delayed-ACK stalls

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        return


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Fixed)
    Path(sys.argv[1]).write_text(f"http://127.0.0.1:{server.server_port}/", encoding="utf-8")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
