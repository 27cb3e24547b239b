"""The overall limit on one HTTP response, whatever the server does (scrapers.http uses it for
FetchConfig.total_timeout; the per-document deadline is counted in scrapers.http itself)."""

from __future__ import annotations

import socket
import threading

_current = threading.local()  # .deadline: the ResponseDeadline of the request this thread is making


class ResponseDeadline:
    """The overall limit on one response (FetchConfig.total_timeout), whatever the server does.

    Read timeouts apply to each socket read, and the reads below requests block until a whole line or
    block has arrived: a server that sends a byte every few seconds, in the body or in the status line
    and headers, would never time out (urllib3's documentation suggests a second thread for a wall-clock
    limit). When the time is up, this thread shuts the connection's socket down; the blocked read then
    returns and the request fails as a timeout."""

    def __init__(self, seconds: float):
        self.expired = False
        self._connection = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(seconds,), daemon=True,
                                        name="erpwatch-deadline")

    def watch(self, connection) -> None:
        self._connection = connection  # called by the connection, when the request goes out on it

    def _run(self, seconds: float) -> None:
        if self._done.wait(seconds):
            return
        self.expired = True
        while True:  # the connection may not exist or be connected yet
            sock = getattr(self._connection, "sock", None)
            if sock is not None:
                try:  # the plain socket's shutdown, also under TLS: the SSL object stays intact
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if self._done.wait(0.05):
                return

    def __enter__(self) -> ResponseDeadline:
        _current.deadline = self
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        _current.deadline = None
        self._done.set()


class _WatchedConnection:
    """Tells the current request's ResponseDeadline which connection it went out on."""

    def request(self, *args, **kwargs):
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.watch(self)
        return super().request(*args, **kwargs)


def watched(pools: dict) -> dict:
    """The same pool classes, with connections that report to the current ResponseDeadline."""
    out = {}
    for scheme, pool in pools.items():
        conn = type(pool.ConnectionCls.__name__, (_WatchedConnection, pool.ConnectionCls), {})
        out[scheme] = type(pool.__name__, (pool,), {"ConnectionCls": conn})
    return out
