"""Faults below what a `Reply` can describe, for the local server: resets, truncated bodies, wrong
Content-Length, slow drips, endless streams, huge and compressed bodies.

    server = FaultServer().start()
    server.fault("/p", Drip(b"HTTP/1.1 200 OK\\r\\n", interval=0.2))    # or any Fault below

A `Fault` gets the raw connection of the request (the request line and headers have been read) and
writes whatever it likes; every other route behaves as in `LocalServer`. Endless faults stop when the
client hangs up, or after `MAX_SECONDS` at the latest, so no server thread outlives a test for long.
"""

from __future__ import annotations

import gzip
import socket
import struct
import sys
import time
import zlib
from functools import cache

from watch_fixtures.server import LocalServer, Request

MAX_SECONDS = 60.0
BLOCK = 64 * 1024


class Fault:
    def send(self, h) -> None:
        raise NotImplementedError

    @staticmethod
    def write(h, data: bytes) -> None:
        h.wfile.write(data)
        h.wfile.flush()


class FaultServer(LocalServer):
    def fault(self, path: str, fault: Fault) -> None:
        self.routes[path] = fault

    def start(self) -> FaultServer:
        super().start()
        report = self._httpd.handle_error

        def handle_error(request, client_address):
            # A client that gave up (size cap, deadline) resets its kept-alive connection while the
            # server waits for its next request: expected here, not worth a traceback.
            if not isinstance(sys.exc_info()[1], OSError):
                report(request, client_address)
        self._httpd.handle_error = handle_error
        return self

    def _serve(self, h) -> None:
        route = self.routes.get(h.path.split("?")[0])
        if not isinstance(route, Fault):
            super()._serve(h)
            return
        with self._lock:
            self.log.append(Request(h.path, {k.lower(): v for k, v in h.headers.items()}, time.monotonic()))
        h.close_connection = True  # whatever the fault left on the connection, it is not reused
        try:
            route.send(h)
        except OSError:  # BrokenPipe, ConnectionReset, a socket the fault closed: the client gave up
            pass


def head(status: str = "200 OK", **headers: str) -> bytes:
    """A status line and headers (names with _ for -), ending the header block."""
    lines = [f"HTTP/1.1 {status}"] + [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


class Reset(Fault):
    """Send `before` (nothing: reset at once), then abort the connection with a TCP RST."""

    def __init__(self, before: bytes = b""):
        self.before = before

    def send(self, h) -> None:
        if self.before:
            self.write(h, self.before)
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()


class Send(Fault):
    """Send these bytes as they are, then close the connection (FIN), or hold it open `hold` seconds."""

    def __init__(self, data: bytes, hold: float = 0.0):
        self.data, self.hold = data, hold

    def send(self, h) -> None:
        self.write(h, self.data)
        if self.hold:
            time.sleep(self.hold)
        h.connection.shutdown(socket.SHUT_RDWR)


class Drip(Fault):
    """Send `prefix`, then one byte of `filler` every `interval` seconds, for ever."""

    def __init__(self, prefix: bytes, interval: float, filler: bytes = b"x"):
        self.prefix, self.interval, self.filler = prefix, interval, filler

    def send(self, h) -> None:
        self.write(h, self.prefix)
        end = time.monotonic() + MAX_SECONDS
        while time.monotonic() < end:
            time.sleep(self.interval)
            self.write(h, self.filler)


class Chunks(Fault):
    """A chunked body: `count` chunks of `chunk` (None: for ever), `interval` seconds apart; with
    `finish` the terminating empty chunk follows, else the connection just closes (a truncated body)."""

    def __init__(self, chunk: bytes, count: int | None = None, interval: float = 0.0, finish: bool = True,
                 headers: dict | None = None):
        self.chunk, self.count, self.interval, self.finish = chunk, count, interval, finish
        self.headers = headers or {"Content_Type": "text/html; charset=utf-8"}

    def send(self, h) -> None:
        self.write(h, head(**self.headers, Transfer_Encoding="chunked"))
        end, sent = time.monotonic() + MAX_SECONDS, 0
        while (self.count is None or sent < self.count) and time.monotonic() < end:
            if self.interval:
                time.sleep(self.interval)
            self.write(h, b"%x\r\n%s\r\n" % (len(self.chunk), self.chunk))
            sent += 1
        if self.finish:
            self.write(h, b"0\r\n\r\n")
        h.connection.shutdown(socket.SHUT_RDWR)


class Big(Fault):
    """`size` bytes of HTML, sent in blocks: with its Content-Length, or (length=False) delimited by
    closing the connection, as HTTP/1.0 servers do."""

    def __init__(self, size: int, length: bool = True):
        self.size, self.length = size, length

    def send(self, h) -> None:
        headers = {"Content_Type": "text/html; charset=utf-8", "Connection": "close"}
        if self.length:
            headers["Content_Length"] = str(self.size)
        self.write(h, head(**headers))
        block = filler_html(BLOCK)
        for _ in range(self.size // BLOCK):
            h.wfile.write(block)
        h.wfile.flush()
        h.connection.shutdown(socket.SHUT_RDWR)


def filler_html(size: int) -> bytes:
    unit = b"<p>Clause: we keep order data for thirty days and never sell it.</p>\n"
    return (unit * (size // len(unit) + 1))[:size]


@cache
def bomb(size: int, encoding: str = "gzip") -> bytes:
    """`size` bytes of HTML compressed with `encoding` ("gzip", "deflate" or "gzip, gzip"), built
    block by block (the whole expanded text is never in memory)."""
    if encoding == "gzip, gzip":
        return gzip.compress(bomb(size, "gzip"), compresslevel=9)
    wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = filler_html(1024 * 1024)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    parts.append(packer.flush())
    return b"".join(parts)
