"""The watcher benchmark's web: many slow hosts on the loopback network, in their own process.

    python -m bench.server --hosts 200 --docs 5 --latency 0.3 --ready FILE

Host i (1-based) is 127.0.0.<i> (one ThreadingHTTPServer per address, on a free port; every address in
127.0.0.0/8 is the local machine) and serves the policy pages /<doc> of fictional vendor i. Addresses
rather than ports make the hosts distinct: the watcher's per-host politeness keys on the host name, so
200 ports of one address would be one host to it. Every response (robots.txt, pages, 304s, 404s) comes
after `latency` seconds; servers are threaded, so only the clients' own limits serialise requests.

Pages carry ETag and Last-Modified. In mode `plain` the server ignores conditional requests (always 200);
in mode `conditional` it answers If-None-Match / If-Modified-Since with 304. robots.txt is a 404 (no
rules: everything allowed). When every server listens, {"hosts": {"127.0.0.1": port, ...}} is written to
the --ready file. Control (no latency), on host 1: GET /__bench/mode/plain|conditional, /__bench/stats
(counters since the last /__bench/reset). The process stops by itself after --lifetime seconds.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import os
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench import data as bd

WATCH_DOCS = ("privacy-policy", "terms-of-service", "data-processing", "cookie-policy", "security")
LAST_MODIFIED = email.utils.formatdate(time.time() - 86400 * 30, usegmt=True)


def host_address(i: int) -> str:
    if not 1 <= i <= 254:
        raise ValueError("hosts are 127.0.0.1 .. 127.0.0.254")
    return f"127.0.0.{i}"


def served_page(i: int, doc: str) -> bytes:
    """A realistic page (~40 KB): the policy text inside site chrome, an inline analytics script and styles
    of the size real sites ship inline."""
    vid = bd.vendor_id(i)
    sections = bd.policy_versions(vid, doc, 0)[0]
    build = hashlib.sha1(f"{vid}/{doc}".encode()).hexdigest()[:10]
    html = bd.version_html(doc.replace("-", " ").title(), sections, f"Vendor {i:04d} Tools", build)
    rng = random.Random(f"{vid}/{doc}/chrome")
    script = "".join(f"function f{n}_{build}(a,b){{return a*{rng.randint(1, 999)}+b.map(x=>x+{n}).join('-')}}\n"
                     for n in range(300))
    style = "".join(f".c{n}-{build}{{margin:{rng.randint(0, 40)}px;color:#{rng.randint(0, 0xffffff):06x}}}\n"
                    for n in range(250))
    html = html.replace("</head>", f"<style>{style}</style><script>{script}</script></head>", 1)
    return html.encode("utf-8")


class State:
    def __init__(self, latency: float):
        self.latency = latency
        self.conditional = False
        self.pages: dict[tuple[str, str], tuple[bytes, str]] = {}
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.stats = {"requests": 0, "pages_200": 0, "not_modified": 0, "robots": 0, "not_found": 0,
                      "conditional_requests": 0, "first": None, "last": None, "max_active": 0,
                      "user_agents": {}}
        self.active = 0

    def count(self, key: str, ua: str, conditional: bool):
        now = time.time()
        with self.lock:
            s = self.stats
            s["requests"] += 1
            s[key] += 1
            s["conditional_requests"] += int(conditional)
            s["first"] = s["first"] or now
            s["last"] = now
            product = (ua or "-").split("/")[0][:40]
            s["user_agents"][product] = s["user_agents"].get(product, 0) + 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers
    server_version = "bench/1"
    state: State  # set on the class by serve()

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        st = self.state
        if self.path.startswith("/__bench/"):
            return self._control()
        with st.lock:
            st.active += 1
            st.stats["max_active"] = max(st.stats["max_active"], st.active)
        try:
            time.sleep(st.latency)
            self._answer()
        finally:
            with st.lock:
                st.active -= 1

    def _answer(self):
        st = self.state
        host = self.server.server_address[0]
        ua = self.headers.get("User-Agent", "")
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        conditional = bool(inm or ims)
        path = self.path.split("?", 1)[0]
        if path == "/robots.txt":
            st.count("robots", ua, conditional)
            return self._send(404, b"no robots.txt here\n", "text/plain")
        page = st.pages.get((host, path))
        if page is None:
            st.count("not_found", ua, conditional)
            return self._send(404, b"not found\n", "text/plain")
        body, etag = page
        if st.conditional and conditional and (inm == etag if inm else _not_modified_since(ims)):
            st.count("not_modified", ua, conditional)
            return self._send(304, b"", None, etag)
        st.count("pages_200", ua, conditional)
        self._send(200, body, "text/html; charset=utf-8", etag)

    def _send(self, status: int, body: bytes, ctype: str | None, etag: str | None = None):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        if etag:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def _control(self):
        st = self.state
        cmd = self.path[len("/__bench/"):]
        if cmd.startswith("mode/"):
            st.conditional = cmd == "mode/conditional"
            body = {"conditional": st.conditional}
        elif cmd == "stats":
            body = st.stats
        elif cmd == "reset":
            with st.lock:
                st.reset()
            body = {"reset": True}
        else:
            return self._send(404, b"?", "text/plain")
        self._send(200, json.dumps(body).encode(), "application/json")


def _not_modified_since(value: str | None) -> bool:
    try:
        since = email.utils.parsedate_to_datetime(value) if value else None
        modified = email.utils.parsedate_to_datetime(LAST_MODIFIED)
    except (TypeError, ValueError):
        return False
    return since is not None and since >= modified


def serve(hosts: int, docs: int, latency: float) -> tuple[dict[str, int], list[ThreadingHTTPServer]]:
    state = State(latency)
    for i in range(1, hosts + 1):
        for doc in WATCH_DOCS[:docs]:
            body = served_page(i, doc)
            state.pages[(host_address(i), f"/{doc}")] = (body, '"' + hashlib.sha1(body).hexdigest()[:20] + '"')
    handler = type("BenchHandler", (Handler,), {"state": state})
    servers, ports = [], {}
    for i in range(1, hosts + 1):
        httpd = ThreadingHTTPServer((host_address(i), 0), handler)
        httpd.daemon_threads = True
        httpd.request_queue_size = 64
        servers.append(httpd)
        ports[host_address(i)] = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()
    return ports, servers


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.server", description=__doc__.splitlines()[0])
    p.add_argument("--hosts", type=int, default=200)
    p.add_argument("--docs", type=int, default=5, help=f"documents per host (at most {len(WATCH_DOCS)})")
    p.add_argument("--latency", type=float, default=0.3)
    p.add_argument("--ready", type=Path, required=True)
    p.add_argument("--lifetime", type=float, default=3600, help="stop after this many seconds")
    args = p.parse_args(argv)
    ports, _ = serve(args.hosts, min(args.docs, len(WATCH_DOCS)), args.latency)
    tmp = args.ready.with_name(args.ready.name + ".tmp")
    tmp.write_text(json.dumps({"hosts": ports, "pid": os.getpid()}), encoding="utf-8")
    os.replace(tmp, args.ready)
    time.sleep(args.lifetime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
