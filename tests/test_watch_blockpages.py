"""Pages that answer 200 but are not the document (block, consent, login, verification, firewall; en+zh)
never become a version, not on the first fetch, not after any number of sightings; the failure streak
keeps counting so the failure issue opens; the real page's return is `unchanged`; and real documents that
look like such pages (a policy at /pp/, /auth/privacy-policy, /account/privacy, a page about cookies or
logging in) stay documents. Served from 127.0.0.1."""

from __future__ import annotations

import itertools

import pytest
from watch_fixtures.blockpages import BLOCK, BLOCKED_OR_LOGIN, LOOKALIKES
from watch_fixtures.pages import FAST, policy_page, sentences
from watch_fixtures.server import server_fixture  # noqa: F401  (pytest fixture)

from scrapers import blockpage, evidence
from scrapers.failures import Failure
from scrapers.http import HttpClient
from scrapers.page import Page, Target, page_text
from scrapers.pipeline import SHRINK_CONFIRMATIONS, Watcher
from scrapers.store import open_store
from scripts.github import failure_issues

PARAS = sentences(30)  # a long document: about 700 words
DOC = "acme-tools/privacy"


@pytest.fixture
def make(tmp_path):
    clients = []
    clock = (f"2025-06-01T{h:02d}:{m:02d}:00Z" for h, m in itertools.product(range(24), range(60)))

    def factory(**kw):
        client = HttpClient(FAST)
        clients.append(client)
        return Watcher(open_store(tmp_path / "store"), client, now=lambda: next(clock), **kw)

    yield factory
    for c in clients:
        c.close()


def target(server, path="/privacy") -> Target:
    return Target("acme-tools", "privacy", server.url(path))


def summary_of(outcome) -> dict:
    listed = {"changed": [], "unchanged": [], "failed": []}
    listed["failed" if outcome.failure else outcome.result].append(outcome.summary())
    return listed


# --- the page on its own -------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(BLOCK))
def test_a_block_page_is_not_a_document(name):
    url = "https://www.example.test/legal/privacy"
    with pytest.raises(Failure) as e:
        page_text(Page(BLOCK[name], url, 200, "utf-8"), Target("acme-tools", "privacy", url))
    # (not merely `empty-extraction`: even the near-empty ones are recognised for what they are)
    assert e.value.kind in BLOCKED_OR_LOGIN, (e.value.kind, e.value.message)


@pytest.mark.parametrize("name", sorted(LOOKALIKES))
def test_a_lookalike_document_is_a_document(name):
    path, moved_to, html = LOOKALIKES[name]
    base = "https://www.example.test"
    text, words = page_text(Page(html, base + (moved_to or path), 200, "utf-8"),
                            Target("acme-tools", "privacy", base + path))
    assert words >= 20 and blockpage.plausible_document(text)


def test_no_single_signal_rejects_a_short_real_document():
    """Each signal alone (a strong one plus the points of a short page) stays under the bar."""
    body = sentences(4)
    cases = {
        "title": policy_page(body, "Access and verification"),
        "captcha": policy_page(body, after="<div class='g-recaptcha'></div>"),
        "password": policy_page(body, before="<form><input type='password'></form>"),
        "consent": policy_page(body, after="<div role='dialog'><button>Accept all</button></div>"),
        "script": policy_page(body, head="<script>location.href='/login'</script>"),
        "phrase": policy_page(body + ["Access denied pages appear when a request was blocked."]),
    }
    for name, html in cases.items():
        url = "https://www.example.test/privacy"
        text, _ = page_text(Page(html, url, 200, "utf-8"), Target("acme-tools", "privacy", url))
        verdict = blockpage.assess(html, text, len(text.split()), url, url)
        assert verdict is not None and not verdict.blocked, (name, verdict)


def test_long_pages_are_never_judged_and_auth_like_urls():
    assert blockpage.assess("<title>Access denied</title>", "word " * 400, 400) is None
    for url in ("https://a.example/passport/login?x=1", "https://login.a.example/", "https://a.example/u/signin",
                "https://a.example/account/", "https://a.example/oauth2/authorize"):
        assert blockpage.auth_like(url), url
    for url in ("https://a.example/pp/", "https://a.example/auth/privacy-policy", "https://a.example/account/privacy",
                "https://passport.a.example/agreement", "https://a.example/login-help/terms", "https://a.example/"):
        assert not blockpage.auth_like(url), url


# --- through the watcher -------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(BLOCK))
def test_a_block_page_never_becomes_a_version_and_the_streak_counts(server, make, suite, name):
    server.route("/privacy", policy_page(PARAS))
    w = make()
    good = w.check(target(server))
    assert good.result == "changed"
    server.route("/privacy", BLOCK[name])
    state, runs = {}, 2 * SHRINK_CONFIRMATIONS
    for run in range(1, runs + 1):
        outcome = w.check(target(server))
        assert outcome.failure in BLOCKED_OR_LOGIN, (run, outcome.failure, outcome.message)
        assert w.store.status("acme-tools", "privacy")["consecutive_failures"] == run
        state, _ = failure_issues.update_state(state, summary_of(outcome), f"2025-06-0{run}T00:00:00Z")
    assert state["documents"][DOC]["consecutive_failures"] == runs >= failure_issues.DEFAULT_THRESHOLD
    events = w.store.changes("acme-tools", "privacy")
    # the page is kept as evidence, beside the store's document folders, once however often it is seen
    status = w.store.status("acme-tools", "privacy")
    kept = w.store.root / status["evidence"]
    assert kept.read_text(encoding="utf-8") == BLOCK[name]
    assert kept.parent == w.store.root / evidence.FOLDER / "acme-tools" / "privacy"
    assert len(list(kept.parent.iterdir())) == 1
    w.store.recover()
    assert kept.exists() and w.store.documents() == [("acme-tools", "privacy")]
    # the real page comes back as it was: unchanged, no change event, the streak ends
    server.route("/privacy", policy_page(PARAS))
    back = w.check(target(server))
    assert back.result == "unchanged" and back.event is None
    assert w.store.status("acme-tools", "privacy")["consecutive_failures"] == 0
    ok = [e["id"] for e in events] == [good.event["id"]] == [e["id"] for e in w.store.changes("acme-tools", "privacy")]
    suite("block-pages", tried=1, rejected=int(ok), escaped=int(not ok))
    assert ok


@pytest.mark.parametrize("name", sorted(BLOCK))
def test_a_first_fetch_of_a_block_page_is_a_failure(server, make, name):
    server.route("/privacy", BLOCK[name])
    w = make()
    outcome = w.check(target(server))
    assert outcome.failure in BLOCKED_OR_LOGIN, outcome.message
    assert w.store.current("acme-tools", "privacy") is None
    server.route("/privacy", policy_page(PARAS))
    first = w.check(target(server))
    assert first.result == "changed" and first.event["initial"]


@pytest.mark.parametrize("name", sorted(LOOKALIKES))
def test_a_lookalike_document_is_recorded_and_kept(server, make, suite, name):
    path, moved_to, html = LOOKALIKES[name]
    if moved_to:
        server.route(path, status=301, headers={"Location": moved_to})
    server.route(moved_to or path, html)
    w = make()
    tgt = target(server, path)
    first = w.check(tgt)
    again = w.check(tgt)
    kept = first.result == "changed" and again.result == "unchanged"
    suite("block-page-lookalikes", tried=1, escaped=int(kept), lost=int(not kept))
    assert kept, (first.failure, first.message)


def test_a_long_document_cut_to_a_lookalike_is_recorded_after_confirmation(server, make):
    """A real cut to a short page that mentions logging in and cookies is a shrink, confirmed as usual."""
    server.route("/privacy", policy_page(PARAS))
    w = make()
    w.check(target(server))
    server.route("/privacy", LOOKALIKES["pp-with-login-box"][2])
    outcomes = [w.check(target(server)) for _ in range(SHRINK_CONFIRMATIONS)]
    assert [o.failure for o in outcomes[:-1]] == ["suspicious-shrink"] * (SHRINK_CONFIRMATIONS - 1)
    assert outcomes[-1].result == "changed" and "seen 3" in outcomes[-1].event["reason"]


def test_a_shrink_to_a_form_and_a_few_words_is_never_confirmed(server, make):
    """No block signal, but not a document either: held back however often it is seen, and the streak
    counts; --accept-shrink still lets a person record it."""
    server.route("/privacy", policy_page(PARAS))
    w = make()
    w.check(target(server))
    labels = ["Name", "Company", "Marketplace", "Country", "Phone", "Message"]
    form = policy_page(labels * 4, title="Acme Tools", after="<form><input name='q'></form>")
    server.route("/privacy", form)
    for run in range(1, 2 * SHRINK_CONFIRMATIONS + 1):
        outcome = w.check(target(server))
        assert outcome.failure == "suspicious-shrink" and "does not read as a document" in outcome.message
        assert w.store.status("acme-tools", "privacy")["consecutive_failures"] == run
    assert len(w.store.changes("acme-tools", "privacy")) == 1
    assert make(accept_shrink=True).check(target(server)).result == "changed"


def test_accept_shrink_never_records_a_block_page(server, make):
    server.route("/privacy", policy_page(PARAS))
    make().check(target(server))
    server.route("/privacy", BLOCK["consent-wall"])
    outcome = make(accept_shrink=True).check(target(server))
    assert outcome.failure in BLOCKED_OR_LOGIN


def test_a_consent_wall_longer_than_a_short_page_is_judged_against_the_long_document(server, make):
    """A wall that lists its partners is longer than the page-level bound; beside a long document it is
    still a block page."""
    server.route("/privacy", policy_page(sentences(120)))
    w = make()
    w.check(target(server))
    partners = " ".join(f"Partner {i} stores and reads cookies on your device for ad measurement." for i in range(40))
    wall = ("<html><head><title>Before you continue</title></head><body><div role='dialog' aria-modal='true'>"
            f"<h1>Before you continue</h1><p>{partners}</p><button>Accept all</button><button>Reject all</button>"
            "</div></body></html>")
    server.route("/privacy", wall)
    for _ in range(2 * SHRINK_CONFIRMATIONS):
        assert w.check(target(server)).failure in BLOCKED_OR_LOGIN
    assert len(w.store.changes("acme-tools", "privacy")) == 1


def test_evidence_is_bounded(tmp_path):
    root = tmp_path / "store"
    for i in range(evidence.KEEP + 3):
        assert evidence.save(root, "acme-tools", "privacy", f"<p>{i}</p>" + "x" * (evidence.MAX_BYTES + 10),
                             f"2025-06-01T00:00:{i:02d}Z")
    kept = sorted((root / evidence.FOLDER / "acme-tools" / "privacy").iterdir())
    assert len(kept) == evidence.KEEP and all(p.stat().st_size <= evidence.MAX_BYTES for p in kept)
    assert kept[-1].read_text(encoding="utf-8").startswith(f"<p>{evidence.KEEP + 2}</p>")
