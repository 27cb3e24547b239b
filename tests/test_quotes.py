"""Claims held against the watched policies: quote matching, quote drift through real watcher runs, and
what a policy said at an incident's date."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from bs4 import BeautifulSoup
from sitebuild import ROOT, record, write_records

from scripts.analysis import quotes
from scripts.analysis.quotes import quote_in, versions_at
from scripts.site import build as generate

CONFIG = {"repo_url": "https://github.test/erpwatch/erpwatch", "site_url": "https://erpwatch.test/"}


@pytest.mark.parametrize("quote, text", [
    ("We keep data for 90 days.", "Intro.\nWe keep data\n  for 90 days.\nMore."),
    ("we keep DATA for 90 days", "We keep data for 90 days."),
    ("“Data” is kept—for 90 days.", '"Data" is kept - for 90 days.'),
    ("我们会保留数据,最多90天。", "前言。我们会保留数据，最多９０天。其他。"),
    ("Ａｃｍｅ keeps data", "Acme keeps data for a while"),
    ("自北京時間5月31日上午8點起", "客服稱:自北京時間 5 月 31 日上午 8 點起注冊的用戶"),
])
def test_quote_matches_across_whitespace_punctuation_and_width(quote, text):
    assert quote_in(quote, text)


@pytest.mark.parametrize("quote, text", [
    ("We keep data for 90 days.", "We keep data for 30 days."),
    ("不转售数据", "我们可能转售数据"),
    ("", "anything"),
    ("...", "anything"),
])
def test_quote_does_not_match_other_text(quote, text):
    assert not quote_in(quote, text)


VERSIONS = [
    {"time": "2024-01-10T06:00:00Z", "new_hash": "a" * 64, "initial": True},
    {"time": "2024-05-15T06:00:00Z", "new_hash": "b" * 64},
    {"time": "2024-05-20T06:00:00Z", "new_hash": "c" * 64, "technical": True},
    {"time": "2024-09-01T06:00:00Z", "new_hash": "d" * 64},
]


def test_a_flip_flopping_page_announces_a_quote_once():
    # variant A has the quote, B does not; the page then flips back and forth (each return is a revisit)
    texts = {"a" * 64: "We delete data after 30 days.", "b" * 64: "Try our new dashboard."}
    flips = [{"time": f"2024-0{i + 1}-01T06:00:00Z", "new_hash": ("a" if i % 2 == 0 else "b") * 64,
              **({"revisit": True} if i >= 2 else {})} for i in range(6)]
    status = quotes.quote_history("We delete data after 30 days.", flips, texts)
    assert [t["kind"] for t in status.transitions] == ["removed"]
    assert status.state == "removed"  # the state still follows the text: the last version is variant B
    status = quotes.quote_history("We delete data after 30 days.", flips[:5], texts)
    assert status.state == "found" and [t["kind"] for t in status.transitions] == ["removed"]


def _times(found):
    return [v["time"][:10] for v in found.versions]


def test_version_in_effect_at_an_exact_date():
    found = versions_at("2024-06-01", VERSIONS)
    assert found.state == "found" and not found.partial and _times(found) == ["2024-05-15"]


def test_partial_date_gives_a_range_of_versions():
    found = versions_at("2024-05", VERSIONS)  # the May change happened within the month
    assert found.partial and _times(found) == ["2024-01-10", "2024-05-15"]
    assert _times(versions_at("2024", VERSIONS)) == ["2024-01-10", "2024-05-15", "2024-09-01"]


def test_dates_outside_the_history():
    before = versions_at("2023-12-31", VERSIONS)
    assert before.state == "before-history" and before.first_recorded.startswith("2024-01-10")
    partly = versions_at("2024-01", VERSIONS)  # the month starts before the first version
    assert partly.state == "found" and partly.partly_before and _times(partly) == ["2024-01-10"]
    assert versions_at("XXXX-05-31", VERSIONS).state == "year-unknown"
    assert versions_at("2024-06-01", []).state == "no-history"


# --- quote drift through real watcher runs --------------------------------------------------------

QUOTE = "We delete all seller data 30 days after cancellation."
FILLER = " ".join(f"Section {i} describes how the service works in ordinary terms." for i in range(30))


class _Page(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802
        if self.path != "/privacy":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def _serve(text: str):
    _Page.body = f"<html><body><main><h1>Privacy</h1><p>{FILLER}</p><p>{text}</p></main></body></html>".encode()


def _drift_record(port: int) -> dict:
    url = f"http://127.0.0.1:{port}/privacy"
    rec = record(policies=[{"id": "privacy", "type": "privacy-policy", "title": "Privacy Policy", "url": url,
                            "language": "en"}])
    rec["sources"].append({"id": "privacy-page", "url": url, "title": "Privacy Policy", "publisher": "Example Tools",
                           "kind": "vendor"})
    rec["claims"].append({"id": "deletes-after-30-days", "topic": "deletion", "summary": "Deletes data 30 days after cancellation.",
                          "sources": [{"source": "privacy-page", "quote": QUOTE}]})
    return rec


@pytest.fixture
def drift(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    vdir = write_records(tmp_path / "vendors", _drift_record(server.server_port))
    store = tmp_path / "snapshots"
    env = {**os.environ, "ERPWATCH_VENDORS_DIR": str(vdir), "ERPWATCH_SNAPSHOTS_DIR": str(store)}

    def step(text: str) -> dict:
        _serve(text)
        proc = subprocess.run([sys.executable, "-m", "scrapers.watch", "--allow-private", "--json"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        from scrapers.store import open_store
        from scripts.records.load import load_vendors
        recs, problems = load_vendors(vdir)
        assert problems == []
        files = generate.build_pages(recs, open_store(store), CONFIG, vdir)
        validate = subprocess.run([sys.executable, "-m", "scripts.validate"], cwd=ROOT, env=env, capture_output=True,
                                  text=True, timeout=60)
        return {"files": files, "validate": validate}

    yield step
    server.shutdown()


def _claim_block(files, lang=""):
    soup = BeautifulSoup(files[f"{lang}vendors/example-tools/index.md"], "html.parser")
    return soup.select_one("#claim-deletes-after-30-days")


def _quote_check(files):
    detail = json.loads(files["api/v1/vendors/example-tools.json"])
    claim = next(c for c in detail["derived"]["claims"] if c["id"] == "deletes-after-30-days")
    return claim["quote_checks"]


def _events(files, kind):
    return [e for e in json.loads(files["api/v1/events.json"])["events"] if e["type"] == kind]


def test_claim_follows_its_quote_out_of_and_back_into_the_policy(drift):
    # 1. the page says it
    step = drift(f"{QUOTE} Contact us.")
    block = _claim_block(step["files"])
    assert "This quote is in the current text of" in block.get_text()
    assert _quote_check(step["files"])[0]["state"] == "found"
    assert not _events(step["files"], "claim-removed")
    assert "quote not found" not in step["validate"].stderr

    # 2. the passage is altered: the claim is marked, with the change that did it, and an event is published
    step = drift("We delete all seller data 90 days after cancellation. Contact us.")
    block = _claim_block(step["files"])
    text = " ".join(block.get_text().split())
    assert "No longer in the current policy since" in text
    link = block.select_one(".erp-check-removed a")["href"]
    assert link.startswith("../../changes/example-tools--privacy/#change-")
    page, anchor = link.split("changes/")[1].split("#")
    assert BeautifulSoup(step["files"][f"changes/{page}index.md"], "html.parser").find(id=anchor)
    check = _quote_check(step["files"])[0]
    assert check["state"] == "removed" and check["since"] and check["change"].endswith(link.split("changes/")[1])
    removed = _events(step["files"], "claim-removed")
    assert len(removed) == 1 and removed[0]["url"].endswith(link.split("../../")[1])
    assert "zh" in removed[0]["title"] and removed[0]["title"]["zh"]
    zh_block = _claim_block(step["files"], "zh/")
    assert "自以下日期起已不在当前政策中" in zh_block.get_text()
    # the validator warns (not an error: exit 0) with the quote's line
    assert step["validate"].returncode == 0
    assert "claims[3].sources[0].quote: quote not found in the current stored text of watched policy 'privacy'" \
        in step["validate"].stderr
    feed = step["files"]["vendors/example-tools/feed.xml"]
    assert "no longer" in feed

    # 3. it comes back: found again, and that is an event too
    step = drift(f"{QUOTE} Contact us today.")
    assert _quote_check(step["files"])[0]["state"] == "found"
    assert len(_events(step["files"], "claim-removed")) == 1
    restored = _events(step["files"], "claim-restored")
    assert len(restored) == 1 and restored[0]["id"] != _events(step["files"], "claim-removed")[0]["id"]
    assert "quote not found" not in step["validate"].stderr
    # the vendor page lists the document's version history with links to each change page
    soup = BeautifulSoup(step["files"]["vendors/example-tools/index.md"], "html.parser")
    history = soup.select("#history-privacy li a")
    assert len(history) == 2
    for a in history:
        page, anchor = a["href"].split("changes/")[1].split("#")
        assert BeautifulSoup(step["files"][f"changes/{page}index.md"], "html.parser").find(id=anchor)


def test_incident_shows_the_policy_in_effect_or_says_history_is_short(drift):
    step = drift(f"{QUOTE} Contact us.")
    soup = BeautifulSoup(step["files"]["vendors/example-tools/index.md"], "html.parser")
    items = [" ".join(li.get_text().split()) for li in soup.select(".erp-at-date li")]
    # the fixture's incidents happened in 2024 and 2023, before this watcher history began
    assert any("Privacy Policy: The watcher's history does not reach back that far" in i for i in items)


def test_statuses_without_store_are_unchecked():
    rec = _drift_record(1)
    info = quotes.statuses(rec, None)
    assert [v["status"].state for v in info.values()] == ["unchecked"]
