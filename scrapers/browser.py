"""Rendering `render: browser` documents with Debian's headless Chromium through Playwright.

Only the system browser at /usr/bin/chromium is used (never a downloaded one, never `playwright
install`): it is updated with the OS, and CI installs it with apt. Every request the page makes is
intercepted and its host checked with the same AddressPolicy as scrapers.http, so a page cannot make the
browser reach a private address. (Chromium resolves names again after our check, so unlike scrapers.http
the connection is not pinned to the checked address; the check still stops redirects and subresources
that point at private hosts by name or number.)

One Chromium is launched per render and renders are serialised: Playwright's sync API is bound to the
thread that started it, and pages that need a browser are few.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapers.failures import BROWSER_UNAVAILABLE, NETWORK, PRIVATE_ADDRESS, TIMEOUT, TOO_LARGE, Failure
from scrapers.http import USER_AGENT
from scrapers.netguard import AddressPolicy, BlockedAddress

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
INSTALL_HINT = "install Debian's chromium (sudo apt-get install chromium; `make browser-deps`)"


@dataclass
class Rendered:
    html: str
    final_url: str
    status: int


class Renderer:
    def __init__(self, policy: AddressPolicy, executable: str = CHROMIUM, timeout: float = 30.0,
                 settle: float = 5.0, max_bytes: int = 5 * 1024 * 1024):
        self.policy = policy
        self.executable = executable
        self.timeout = timeout
        self.settle = settle  # extra wait for network quiet after `load`, for pages that fetch their text
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def render(self, url: str) -> Rendered:
        """Render in a thread of its own: Playwright's sync API refuses to run in a thread whose asyncio loop
        is running (a caller's event loop, or another Playwright session already open in this thread)."""
        box: dict = {}

        def work():
            try:
                box["result"] = self._render_here(url)
            except BaseException as e:  # handed back to the caller's thread as it is
                box["error"] = e

        worker = threading.Thread(target=work, name="erpwatch-browser", daemon=True)
        worker.start()
        worker.join()
        if "error" in box:
            raise box["error"]
        return box["result"]

    def _render_here(self, url: str) -> Rendered:
        if not os.path.exists(self.executable):
            raise Failure(BROWSER_UNAVAILABLE, f"Chromium not found at {self.executable}: {INSTALL_HINT}")
        try:
            from playwright.sync_api import Error as PlaywrightError
            from playwright.sync_api import TimeoutError as PlaywrightTimeout
            from playwright.sync_api import sync_playwright
        except ImportError as e:
            raise Failure(BROWSER_UNAVAILABLE, f"the playwright package is missing ({e})") from None
        with self._lock, sync_playwright() as pw:
            try:
                browser = pw.chromium.launch(executable_path=self.executable, args=CHROMIUM_ARGS,
                                             headless=True)
            except PlaywrightError as e:
                raise Failure(BROWSER_UNAVAILABLE, f"Chromium at {self.executable} did not start: "
                              f"{str(e).splitlines()[0]}; {INSTALL_HINT}") from None
            try:
                return self._render(browser, url, PlaywrightError, PlaywrightTimeout)
            finally:
                browser.close()

    def _render(self, browser, url: str, PlaywrightError, PlaywrightTimeout) -> Rendered:
        blocked: list[str] = []
        context = browser.new_context(user_agent=USER_AGENT, service_workers="block",
                                      java_script_enabled=True)
        page = context.new_page()

        def guard(route):
            reason = self._refusal(route.request.url)
            if reason:
                blocked.append(reason)
                route.abort("blockedbyclient")
            else:
                route.continue_()

        page.route("**/*", guard)
        try:
            response = page.goto(url, wait_until="load", timeout=self.timeout * 1000)
        except PlaywrightTimeout:
            raise Failure(TIMEOUT, f"page did not load within {self.timeout:.0f} s", final_url=url) from None
        except PlaywrightError as e:
            if blocked:
                raise Failure(PRIVATE_ADDRESS, blocked[0], final_url=url) from None
            raise Failure(NETWORK, str(e).splitlines()[0], final_url=url) from None
        try:
            page.wait_for_load_state("networkidle", timeout=self.settle * 1000)
        except PlaywrightTimeout:
            pass  # pages that poll forever: take what is there
        html = page.content()
        if len(html.encode("utf-8")) > self.max_bytes:
            raise Failure(TOO_LARGE, f"rendered page is over the {self.max_bytes}-byte cap",
                          final_url=page.url)
        rendered = Rendered(html=html, final_url=page.url,
                            status=response.status if response is not None else 200)
        context.close()
        return rendered

    def _refusal(self, url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"browser request to a non-http(s) URL refused: {url[:100]}"
        try:
            self.policy.resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        except BlockedAddress as e:
            return str(e)
        except (socket.gaierror, UnicodeError):
            return None  # let the browser report the name error itself
        return None
