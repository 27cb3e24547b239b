"""A local HTTP server on 127.0.0.x that tests program route by route. No test touches the internet.

    server.route("/p", body="<html>...", headers={"Content-Type": "text/html"})
    server.route("/seq", responses=[Reply(status=503), Reply(body="ok")])   # one per request, last repeats
    server.route("/f", handler=lambda request: Reply(...))

Every request is logged (path, headers, time) and the server counts how many requests it serves at the
same time, so tests can check politeness.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0               # seconds before the status line
    chunks: list | None = None       # body sent in pieces (chunked transfer), each after `chunk_delay`
    chunk_delay: float = 0.0

    def data(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass
class Request:
    path: str
    headers: dict
    time: float
    end: float | None = None  # when the reply was written (or the client went away)


class LocalServer:
    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.routes: dict[str, object] = {}
        self.log: list[Request] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # --- set-up ----------------------------------------------------------------------------------

    def route(self, path: str, body: bytes | str = b"", status: int = 200, headers: dict | None = None,
              content_type: str | None = "text/html; charset=utf-8", responses: list[Reply] | None = None,
              handler=None, delay: float = 0.0) -> None:
        if handler is not None:
            self.routes[path] = handler
        elif responses is not None:
            queue = list(responses)
            self.routes[path] = lambda request: queue.pop(0) if len(queue) > 1 else queue[0]
        else:
            h = dict(headers or {})
            if content_type and "Content-Type" not in h:
                h["Content-Type"] = content_type
            self.routes[path] = Reply(status=status, body=body, headers=h, delay=delay)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.log if r.path == path]

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> LocalServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                server._serve(self)

        self._httpd = ThreadingHTTPServer((self.host, 0), Handler)
        self._httpd.daemon_threads = True
        serve = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                 daemon=True)
        serve.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        request = Request(h.path, {k.lower(): v for k, v in h.headers.items()}, time.monotonic())
        with self._lock:
            self.log.append(request)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            route = self.routes.get(h.path.split("?")[0]) or self.routes.get(h.path)
            if route is None:
                reply = Reply(status=404, body="not found", headers={"Content-Type": "text/plain"})
            elif callable(route):
                reply = route(request)
            else:
                reply = route
            if reply.delay:
                time.sleep(reply.delay)
            h.send_response(reply.status)
            for k, v in reply.headers.items():
                h.send_header(k, v)
            if reply.chunks is not None:
                h.send_header("Transfer-Encoding", "chunked")
                h.end_headers()
                for chunk in reply.chunks:
                    time.sleep(reply.chunk_delay)
                    h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    h.wfile.flush()
                h.wfile.write(b"0\r\n\r\n")
            else:
                data = reply.data()
                if "Content-Length" not in reply.headers:
                    h.send_header("Content-Length", str(len(data)))
                h.end_headers()
                h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (size cap, timeout): that is what some tests want
        finally:
            request.end = time.monotonic()
            with self._lock:
                self.active -= 1


# Named fixtures: test modules import `server_fixture` and ask for `server` (no name clash for linters).
@pytest.fixture(name="server")
def server_fixture():
    s = LocalServer().start()
    yield s
    s.stop()


@pytest.fixture(name="server2")
def server2_fixture():
    """A second host (127.0.0.2, also loopback on Linux) for cross-host behaviour."""
    s = LocalServer("127.0.0.2").start()
    yield s
    s.stop()
