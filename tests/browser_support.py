"""Helpers for the browser tests: Debian's Chromium driven by Playwright, a site built from the real records
plus one hostile record, served from 127.0.0.1 with every request to any other host refused."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from sitebuild import ROOT, build_site, write_records

# Debian's package (`make browser-deps`); never a downloaded browser
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE_JS = ROOT / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
LOCAL_HOST = "127.0.0.1"


def build_browser_site(tmp: Path, *extra_records: dict) -> Path:
    """Build the site from every real record in vendors/ plus `extra_records`; return the built folder."""
    vendors = tmp / "vendors"
    vendors.mkdir(parents=True)
    for path in (ROOT / "vendors").iterdir():
        if path.suffix == ".yaml" or path.name == "schema.json":
            shutil.copy(path, vendors / path.name)
    write_records(vendors, *extra_records)
    build_site(tmp, vendors)
    return tmp / "site"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@contextmanager
def serve(directory: Path):
    """Serve `directory` over HTTP on 127.0.0.1 (a free port) from a thread; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == LOCAL_HOST


class PageWatch:
    """Records what a page does that a test may forbid: console errors, uncaught exceptions, dialogs
    (alert/confirm/prompt, dismissed at once) and the requests to other hosts that were refused."""

    def __init__(self, page):
        self.page = page
        self.console_errors: list[tuple[str, str]] = []  # (text, url of the resource or script it came from)
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: set[str] = set()
        self.finished: set[str] = set()  # URLs of requests answered (any status) or failed
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.page_errors.append(f"{page.url}: {exc}"))
        page.on("dialog", self._on_dialog)
        page.on("requestfinished", lambda request: self.finished.add(request.url))
        page.on("requestfailed", lambda request: self.finished.add(request.url))
        page.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:  # no network in tests, and nothing may leak out (the theme asks Google Fonts for its fonts)
            self.blocked.add(url)
            route.abort("blockedbyclient")

    def _on_dialog(self, dialog):
        self.dialogs.append(f"{self.page.url}: {dialog.type} {dialog.message!r}")
        dialog.dismiss()

    def _on_console(self, msg):
        if msg.type == "error":
            self.console_errors.append((msg.text, (msg.location or {}).get("url", "")))

    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions, less only the load failures of the requests this watch
        refused itself (Chromium reports each one as a console error whose location is the refused URL)."""
        kept = [f"{self.page.url}: {text} ({url})" for text, url in self.console_errors
                if not (url in self.blocked and text.startswith("Failed to load resource"))]
        return kept + self.page_errors

    def goto(self, url: str):
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        return response

    def settle(self, timeout_ms: int = 10_000):
        """Wait for what the theme fetches after "load": a sitemap.xml beside every <link rel="alternate">
        (its language-switch script), then for the network to be idle."""
        wanted = set(self.page.evaluate("""() => [...document.querySelectorAll('link[rel="alternate"]')]
            .map(link => new URL("sitemap.xml", link.href).href)"""))
        for _ in range(timeout_ms // 50):
            if wanted <= self.finished:
                break
            self.page.wait_for_timeout(50)
        self.page.wait_for_load_state("networkidle")
