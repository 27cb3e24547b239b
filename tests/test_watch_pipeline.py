"""One document through fetch -> extract -> compare -> record, against the local server: real changes,
noise, every failure class (the last good version always stays), 304, technical re-extraction, and the
store's read API."""

from __future__ import annotations

import itertools
import json
import socket
from dataclasses import replace

import pytest
from watch_fixtures.pages import FAST, policy_page, sentences
from watch_fixtures.server import Reply, server_fixture  # noqa: F401  (pytest fixtures)

import scrapers.page as page_module
from scrapers import pipeline
from scrapers.browser import Renderer
from scrapers.http import HttpClient
from scrapers.netguard import AddressPolicy
from scrapers.page import Target
from scrapers.pipeline import Watcher
from scrapers.store import open_store

PARAS = sentences(12)


@pytest.fixture
def make(tmp_path):
    """make(config=FAST, **watcher_kwargs) -> Watcher on a fresh store; clients closed at the end."""
    clients = []
    clock = (f"2025-06-01T00:{m:02d}:{s:02d}Z" for m, s in itertools.product(range(60), range(60)))

    def factory(config=FAST, **kw):
        client = HttpClient(config)
        clients.append(client)
        kw.setdefault("now", lambda: next(clock))
        return Watcher(open_store(tmp_path / "store"), client, **kw)

    yield factory
    for c in clients:
        c.close()


def target(server, path="/privacy", **kw) -> Target:
    return Target("acme-tools", "privacy", server.url(path), **kw)


def test_first_version_is_recorded(server, make):
    server.route("/privacy", policy_page(PARAS))
    w = make()
    outcome = w.check(target(server))
    assert outcome.result == "changed"
    event = outcome.event
    assert event["initial"] is True and event["technical"] is False and event["old_hash"] is None
    assert event["diff"] == [] and event["added"] > 100 and event["removed"] == 0
    assert event["id"].startswith(event["new_hash"][:12] + "-")
    text = w.store.current_text("acme-tools", "privacy")
    assert text.startswith("# Privacy Policy") and PARAS[-1] in text
    assert (w.store.root / event["raw"]).read_text(encoding="utf-8") == policy_page(PARAS)
    status = w.store.status("acme-tools", "privacy")
    assert status["failure"] is None and status["http_status"] == 200
    assert status["last_success_at"] == status["checked_at"]


def test_noise_in_markup_scripts_and_chrome_is_not_a_change(server, make):
    w = make()
    server.route("/privacy", policy_page(PARAS, head="<script>var nonce='a1'</script>",
                                         before="<nav><a href='/'>Home</a></nav>",
                                         after="<footer>© 2025 Acme · build 1.2.3</footer>"))
    w.check(target(server))
    server.route("/privacy", policy_page(PARAS, head="<script>var nonce='b2'</script><style>p{}</style>",
                                         before="<nav><a href='/'>Home</a> <span>New!</span></nav>"
                                                "<div id='onetrust-banner-sdk'>We use cookies</div>",
                                         after="<footer>© 2026 Acme · build 1.2.4</footer>"
                                               "<input type='hidden' name='csrf' value='zz'>"))
    assert w.check(target(server)).result == "unchanged"
    assert len(w.store.changes("acme-tools", "privacy")) == 1


def test_a_real_change_is_recorded_with_a_word_diff(server, make):
    w = make()
    server.route("/privacy", policy_page(PARAS))
    first = w.check(target(server)).event
    changed = PARAS[:5] + [PARAS[5].replace("never sell", "may sell")] + PARAS[6:]
    server.route("/privacy", policy_page(changed))
    outcome = w.check(target(server))
    assert outcome.result == "changed"
    event = outcome.event
    assert event["old_hash"] == first["new_hash"] and not event["initial"] and not event["technical"]
    assert [d for d in event["diff"] if d[0] != "="] == [["-", "never "], ["+", "may "]]
    assert (event["added"], event["removed"]) == (1, 1)
    store = w.store
    assert "may sell" in store.current_text("acme-tools", "privacy")
    assert "never sell it" in store.version_text("acme-tools", "privacy", first["new_hash"])
    assert [e["id"] for e in store.changes("acme-tools", "privacy")] == [first["id"], event["id"]]


# --- failures: classified, recorded as status only, last good version kept --------------------------

def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


CHALLENGE = ("<html><head><title>Just a moment...</title></head><body><div id='challenge-running'>"
             "Checking your browser before accessing the site.</div>"
             "<script>window._cf_chl_opt={cvId: '2'}</script></body></html>")
SHELL = "<html><body><div id='root'>Loading…</div><script src='/app.js'></script></body></html>"


def break_with(kind, server, tgt):
    """Make the next check of `tgt` fail with `kind`; returns (target, config, watcher kwargs)."""
    config, kw = FAST, {}
    if kind == "network":
        tgt = replace(tgt, url=f"http://127.0.0.1:{closed_port()}/privacy")
    elif kind == "timeout":
        server.route("/privacy", handler=lambda r: Reply(200, policy_page(PARAS), delay=1.0))
        config = replace(FAST, read_timeout=0.2, retries=0)
    elif kind == "http-status":
        server.route("/privacy", status=410, body="gone")
    elif kind == "too-large":
        server.route("/privacy", policy_page(PARAS * 50))
        config = replace(FAST, max_bytes=10_000)
    elif kind == "decode":
        server.route("/privacy", b"%PDF-1.7 ...", content_type="application/pdf")
    elif kind == "bot-challenge":
        server.route("/privacy", CHALLENGE)
    elif kind == "bot-challenge-403":
        server.route("/privacy", CHALLENGE, status=403)
    elif kind == "blocked":  # no vendor's marks, no word list of the classifier: the scored signals
        server.route("/privacy", "<html><head><title>提示</title></head><body><h1>访问受限</h1><p>检测到您的网络"
                     "存在异常流量，请完成下方验证后继续访问。</p><div class='verify-slider'></div></body></html>")
    elif kind == "login-or-home":
        server.route("/privacy", status=302, headers={"Location": "/account/login?next=/privacy"})
        server.route("/account/login", "<form><input type='password'></form><p>Sign in to continue.</p>")
    elif kind == "login-or-home-root":
        server.route("/privacy", status=301, headers={"Location": "/"})
        server.route("/", policy_page(sentences(40, "h"), title="Acme home"))
    elif kind == "empty-extraction":
        server.route("/privacy", SHELL)
    elif kind == "selector-miss":
        tgt = replace(tgt, select="#policy-text")
        server.route("/privacy", policy_page(PARAS))
    elif kind == "suspicious-shrink":
        server.route("/privacy", policy_page(PARAS[:4]))
    elif kind == "robots":
        server.route("/robots.txt", "User-agent: *\nDisallow: /privacy", content_type="text/plain")
    elif kind == "private-address":
        config = replace(FAST, policy=AddressPolicy())
    elif kind == "browser-unavailable":
        tgt = replace(tgt, render="browser")
        kw["renderer"] = Renderer(AddressPolicy(allow_private=True), executable="/nonexistent/chromium")
    return tgt, config, kw


KINDS = ["network", "timeout", "http-status", "too-large", "decode", "bot-challenge", "bot-challenge-403",
         "blocked", "login-or-home", "login-or-home-root", "empty-extraction", "selector-miss", "suspicious-shrink",
         "robots", "private-address", "browser-unavailable"]


@pytest.mark.parametrize("kind", KINDS)
def test_failure_is_classified_and_keeps_the_last_good_version(server, make, kind):
    server.route("/privacy", policy_page(PARAS))
    good = make().check(target(server))
    assert good.result == "changed"
    tgt, config, kw = break_with(kind, server, target(server))
    w = make(config, **kw)
    outcome = w.check(tgt)
    expected = kind.replace("-403", "").replace("-root", "")
    assert (outcome.result, outcome.failure) == ("failed", expected), outcome.message
    status = w.store.status("acme-tools", "privacy")
    assert status["failure"] == expected and status["message"]
    assert status["last_success_at"] != status["checked_at"]
    assert status["consecutive_failures"] == 1
    assert [e["id"] for e in w.store.changes("acme-tools", "privacy")] == [good.event["id"]]
    assert w.store.current_text("acme-tools", "privacy").endswith(PARAS[-1])


def test_suspicious_shrink_does_not_block_a_first_version(server, make):
    server.route("/privacy", policy_page(PARAS[:3]))
    assert make().check(target(server)).result == "changed"


def test_a_confirmed_shrink_is_recorded_after_three_sightings(server, make):
    server.route("/privacy", policy_page(PARAS))
    w = make()
    w.check(target(server))
    server.route("/privacy", policy_page(PARAS[:4]))
    assert [w.check(target(server)).failure for _ in range(2)] == ["suspicious-shrink"] * 2
    assert w.store.status("acme-tools", "privacy")["pending_shrink"]["seen"] == 2
    third = w.check(target(server))
    assert third.result == "changed" and "seen 3" in third.event["reason"]
    assert w.store.status("acme-tools", "privacy")["pending_shrink"] is None


def test_accept_shrink_records_at_once(server, make):
    server.route("/privacy", policy_page(PARAS))
    make().check(target(server))
    server.route("/privacy", policy_page(PARAS[:4]))
    assert make(accept_shrink=True).check(target(server)).result == "changed"


def test_a_failure_between_two_good_checks_does_not_create_a_version(server, make):
    w = make()
    server.route("/privacy", policy_page(PARAS))
    w.check(target(server))
    server.route("/privacy", SHELL)
    assert w.check(target(server)).failure == "empty-extraction"
    server.route("/privacy", policy_page(PARAS))
    assert w.check(target(server)).result == "unchanged"
    assert len(w.store.changes("acme-tools", "privacy")) == 1
    assert w.store.status("acme-tools", "privacy")["consecutive_failures"] == 0


# --- conditional GET -----------------------------------------------------------------------------------

def test_304_is_unchanged_without_extraction(server, make, monkeypatch):
    def conditional(request):
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(200, policy_page(PARAS), headers={"ETag": '"v1"', "Content-Type": "text/html"})
    server.route("/privacy", handler=conditional)
    w = make()
    w.check(target(server))
    assert w.store.status("acme-tools", "privacy")["etag"] == '"v1"'

    def no_extraction(*a, **k):
        raise AssertionError("a 304 must not be extracted")
    monkeypatch.setattr(pipeline, "page_text", no_extraction)
    outcome = w.check(target(server))
    assert outcome.result == "unchanged"
    assert w.store.status("acme-tools", "privacy")["http_status"] == 304
    assert server.requests_to("/privacy")[-1].headers["if-none-match"] == '"v1"'


def test_the_same_page_again_is_unchanged_without_extraction(server, make, monkeypatch):
    server.route("/privacy", policy_page(PARAS))  # no validators: the server always answers 200
    w = make()
    w.check(target(server))
    calls = []
    real = pipeline.page_text
    monkeypatch.setattr(pipeline, "page_text", lambda *a: calls.append(a) or real(*a))
    outcome = w.check(target(server))
    assert outcome.result == "unchanged" and calls == []
    status = w.store.status("acme-tools", "privacy")
    assert status["failure"] is None and status["http_status"] == 200 and status["pending_shrink"] is None
    assert len(w.store.changes("acme-tools", "privacy")) == 1
    # A page that differs in any character is extracted and compared as usual ...
    server.route("/privacy", policy_page(PARAS, head="<script>var nonce='b2'</script>"))
    assert w.check(target(server)).result == "unchanged" and len(calls) == 1
    # New selectors: the stored page is re-extracted with them first (a technical update), and the same
    # page fetched again is then that new version's page.
    server.route("/privacy", policy_page(PARAS))
    outcome = w.check(target(server, remove="h1"))
    assert outcome.result == "unchanged" and len(outcome.technical) == 1 and len(calls) == 1
    assert "Privacy Policy" not in w.store.current_text("acme-tools", "privacy")


def test_the_same_page_on_another_final_url_is_checked_again(server, make):
    server.route("/privacy", policy_page(PARAS))
    w = make()
    w.check(target(server))
    server.route("/privacy", status=302, headers={"Location": "/login"})
    server.route("/login", policy_page(PARAS))
    outcome = w.check(target(server))
    assert outcome.result == "failed" and outcome.failure == "login-or-home"


def test_validators_of_a_failed_page_are_not_kept(server, make):
    server.route("/privacy", policy_page(PARAS), headers={"ETag": '"good"'})
    w = make()
    w.check(target(server))
    server.route("/privacy", CHALLENGE, headers={"ETag": '"challenge"'})
    w.check(target(server))
    assert w.store.status("acme-tools", "privacy")["etag"] == '"good"'


# --- technical updates -------------------------------------------------------------------------------

def selector_page(paragraphs, aside="Related: our blog post about pricing."):
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><body><div class='wrap'><div class='policy'><h1>Privacy Policy</h1>{body}</div>"
            f"<div class='extra'><p>{aside}</p></div></div></body></html>")


def test_selector_change_reextracts_stored_raw_as_technical(server, make):
    server.route("/privacy", selector_page(PARAS))
    w = make()
    w.check(target(server))
    assert "Related: our blog post" in w.store.current_text("acme-tools", "privacy")
    outcome = w.check(target(server, select=".policy"))
    assert outcome.result == "unchanged"  # the page itself did not change
    events = w.store.changes("acme-tools", "privacy")
    assert [(e["initial"], e["technical"]) for e in events] == [(True, False), (False, True)]
    assert events[1]["raw"] == events[0]["raw"] and events[1]["select"] == ".policy"
    assert "Related: our blog post" not in w.store.current_text("acme-tools", "privacy")
    assert outcome.summary()["technical_updates"] == [events[1]["id"]]
    assert w.check(target(server, select=".policy")).technical == []  # done once


def test_selector_change_and_page_change_in_one_run(server, make):
    server.route("/privacy", selector_page(PARAS))
    w = make()
    w.check(target(server))
    server.route("/privacy", selector_page(PARAS[:-1] + ["Clause 12: we now keep data for one year."],
                                           aside="Related: a new blog post."))
    outcome = w.check(target(server, select=".policy"))
    events = w.store.changes("acme-tools", "privacy")
    assert [e["technical"] for e in events] == [False, True, False]
    assert outcome.result == "changed" and outcome.event == events[-1]
    changed_text = " ".join(t for op, t in events[-1]["diff"] if op != "=")
    assert "one year" in changed_text and "blog" not in changed_text


def test_new_selector_that_misses_the_old_raw_logs_the_next_version_as_technical(server, make):
    server.route("/privacy", "<html><body><div class='old'>" + "".join(f"<p>{p}</p>" for p in PARAS)
                 + "</div></body></html>")
    w = make()
    w.check(target(server))
    server.route("/privacy", "<html><body><main class='new'>" + "".join(f"<p>{p}</p>" for p in PARAS)
                 + "<p>One more clause only in the new layout for buyers.</p></main></body></html>")
    outcome = w.check(target(server, select="main.new"))
    assert outcome.result == "changed" and outcome.event["technical"] is True
    assert "could not be re-extracted" in outcome.event["reason"]


def test_extractor_upgrade_is_a_technical_update(server, make, monkeypatch):
    server.route("/privacy", policy_page(PARAS, after="<div class='cookie-notice'>We use cookies.</div>"))
    w = make()
    w.check(target(server))
    # a new extractor that gives a different text for the same page
    upgraded = lambda html, s=None, r=None: "Upgraded extraction. " * 30
    monkeypatch.setattr(pipeline, "EXTRACTOR_VERSION", 99)
    monkeypatch.setattr(pipeline, "extract", upgraded)
    monkeypatch.setattr(page_module, "extract", upgraded)
    outcome = w.check(target(server))
    assert outcome.result == "unchanged" and len(outcome.technical) == 1
    events = w.store.changes("acme-tools", "privacy")
    assert [e["technical"] for e in events] == [False, True] and events[-1]["extractor"] == 99


def test_reextract_never_fetches(server, make):
    server.route("/privacy", selector_page(PARAS))
    w = make()
    w.check(target(server))
    before = len(server.log)
    outcome = w.reextract(target(server, select=".policy"))
    assert outcome.result == "changed" and outcome.event["technical"] is True
    assert len(server.log) == before


# --- the store, as the site reads it -----------------------------------------------------------------

def test_store_read_api_and_deterministic_files(server, make):
    w = make()
    server.route("/privacy", policy_page(PARAS))
    w.check(target(server))
    server.route("/privacy", policy_page(PARAS[1:]))
    w.check(target(server))
    server.route("/terms", policy_page(sentences(30, "t"), title="Terms"))
    w.check(Target("acme-tools", "terms", server.url("/terms")))
    store = open_store(w.store.root)  # a fresh reader, as the site would open it
    assert store.documents() == [("acme-tools", "privacy"), ("acme-tools", "terms")]
    status = store.status("acme-tools", "privacy")
    assert {"checked_at", "last_success_at", "http_status", "failure", "message", "url"} <= set(status)
    assert status["checked_at"].endswith("Z")
    events = store.changes("acme-tools", "privacy")
    keys = {"id", "time", "old_hash", "new_hash", "diff", "added", "removed", "raw", "technical", "initial"}
    assert all(keys <= set(e) for e in events)
    assert events[1]["old_hash"] == events[0]["new_hash"] and events[1]["removed"] > 0
    assert events[0]["time"] < events[1]["time"] and all(e["time"].endswith("Z") for e in events)
    for e in events:
        assert store.version_text("acme-tools", "privacy", e["new_hash"]) is not None
        assert (store.root / e["raw"]).is_file()
    assert store.version_text("acme-tools", "privacy", "../../etc/passwd") is None
    folder = store.root / "acme-tools" / "privacy"
    for line in (folder / "changes.jsonl").read_text().splitlines():
        assert line == json.dumps(json.loads(line), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    raw_status = (folder / "status.json").read_text()
    expected = json.dumps(json.loads(raw_status), sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    assert raw_status == expected
    assert (folder / "current.md").read_text() == store.current_text("acme-tools", "privacy")


def test_reading_does_not_need_the_lock(server, make):
    w = make()
    server.route("/privacy", policy_page(PARAS))
    w.check(target(server))
    with w.store.lock():
        reader = open_store(w.store.root)
        assert reader.current_text("acme-tools", "privacy")
        assert reader.changes("acme-tools", "privacy")


def test_ids_must_be_slugs(tmp_path):
    with pytest.raises(ValueError):
        open_store(tmp_path).doc_dir("..", "x")
