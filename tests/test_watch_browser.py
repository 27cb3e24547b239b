"""`render: browser` documents: Debian's Chromium through Playwright, never a downloaded browser."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from watch_fixtures.pages import FAST, sentences
from watch_fixtures.server import server2_fixture, server_fixture  # noqa: F401  (pytest fixtures)

from scrapers.browser import CHROMIUM, Renderer
from scrapers.http import HttpClient
from scrapers.netguard import AddressPolicy
from scrapers.page import Target
from scrapers.pipeline import Watcher
from scrapers.store import open_store

needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"{CHROMIUM} is missing: install Debian's chromium (make browser-deps)")
pytestmark = pytest.mark.browser

PARAS = sentences(10, "js")
JS_PAGE = """<!DOCTYPE html><html><head><title>Privacy</title></head><body><div id="app">Loading…</div>
<script>
  const paras = %s;
  document.getElementById("app").innerHTML =
    "<h1>Privacy Policy</h1>" + paras.map(p => "<p>" + p + "</p>").join("");
</script></body></html>"""


def js_page(extra_script: str = "") -> str:
    import json
    return JS_PAGE % json.dumps(PARAS) + (f"<script>{extra_script}</script>" if extra_script else "")


@needs_chromium
def test_a_javascript_built_page_is_rendered_and_recorded(server, tmp_path):
    server.route("/privacy", js_page())
    with HttpClient(FAST) as client:
        watcher = Watcher(open_store(tmp_path), client)
        outcome = watcher.check(Target("acme-tools", "privacy", server.url("/privacy"), render="browser"))
        plain = Watcher(open_store(tmp_path / "plain"), client).check(
            Target("acme-tools", "privacy", server.url("/privacy")))
    assert outcome.result == "changed", outcome.message
    text = watcher.store.current_text("acme-tools", "privacy")
    assert text.startswith("# Privacy Policy") and all(p in text for p in PARAS)
    assert plain.failure == "empty-extraction"  # without the browser only "Loading…" is there


@needs_chromium
def test_the_browser_cannot_reach_private_addresses(server, server2, tmp_path):
    # The page (on an exempted "public" server) tries to pull text from 127.0.0.2, a private address.
    server2.route("/secret", "Internal secret text", content_type="text/plain")
    script = (f"fetch('{server2.url('/secret')}').then(r => r.text())"
              ".then(t => document.body.insertAdjacentHTML('beforeend', '<p>' + t + '</p>'))"
              ".catch(() => {});")
    server.route("/privacy", js_page(script))
    policy = AddressPolicy(exempt=frozenset({("127.0.0.1", server.port)}))
    rendered = Renderer(policy, settle=1.0).render(server.url("/privacy"))
    assert PARAS[0] in rendered.html
    assert "Internal secret text" not in rendered.html and server2.log == []


@needs_chromium
def test_a_private_document_url_is_refused_in_the_browser_too(server, tmp_path):
    server.route("/privacy", js_page())
    config = replace(FAST, policy=AddressPolicy(), robots=False)
    with HttpClient(config) as client:
        outcome = Watcher(open_store(tmp_path), client).check(
            Target("acme-tools", "privacy", server.url("/privacy"), render="browser"))
    assert outcome.failure == "private-address"
    assert server.requests_to("/privacy") == []


def test_missing_chromium_is_a_clear_classified_failure(tmp_path):
    from scrapers.failures import Failure
    renderer = Renderer(AddressPolicy(allow_private=True), executable=str(tmp_path / "no-chromium"))
    with pytest.raises(Failure) as info:
        renderer.render("http://127.0.0.1:9/")
    assert info.value.kind == "browser-unavailable"
    assert "apt-get install chromium" in info.value.message


@needs_chromium
def test_rendering_works_where_an_asyncio_loop_is_already_running(server, tmp_path):
    # e.g. a caller's event loop, or another Playwright session open in the same thread (as the site's
    # browser tests have in a shared pytest worker): Playwright's sync API refuses such a thread, so the
    # renderer uses one of its own.
    import asyncio
    server.route("/privacy", js_page())
    with HttpClient(FAST) as client:
        watcher = Watcher(open_store(tmp_path), client)
        target = Target("acme-tools", "privacy", server.url("/privacy"), render="browser")

        async def inside_a_running_loop():
            return watcher.check(target)

        try:
            asyncio.get_running_loop()
            outcome = watcher.check(target)  # this thread already has one running
        except RuntimeError:
            outcome = asyncio.run(inside_a_running_loop())
    assert outcome.result == "changed", outcome.message
