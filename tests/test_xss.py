"""XSS suite: OWASP filter-evasion payloads in every free-text field of a record and in a fetched policy page
that becomes a diff, through the real watcher and a real site build. Pages, feeds and JSON must carry them as
text only. Counts go to the `xss` summary line (escaped = payload placements checked and found inert)."""

from __future__ import annotations

import copy
import html
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from bs4 import BeautifulSoup
from feedcheck import diffs, read_feed, text_of
from sitebuild import BASE_RECORD, ROOT, build_site, write_records
from xss_payloads import PAYLOADS

from scripts.records import load as records

FREE_TEXT = {"name", "title", "publisher", "author", "note", "summary", "quote", "text", "who", "where",
             "controls", "frequency", "data", "en", "zh"}
POLICY_WORDS = " ".join(f"Clause {i} says we keep records for a while." for i in range(40))


class _Pages(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path != "/terms":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def _page(extra: str) -> bytes:
    return (f"<html><head><title>Terms</title></head><body><main><h1>Terms of Use</h1><p>{POLICY_WORDS}</p>"
            f"{extra}</main></body></html>").encode()


def _hostile_record(port: int) -> dict:
    joined = " ".join(PAYLOADS)
    halves = [" ".join(PAYLOADS[:20]), " ".join(PAYLOADS[20:])]  # quotes are limited to 2,000 characters
    quotes = iter(range(10_000))

    def poison(value, key=None):
        if isinstance(value, dict):
            return {k: poison(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [poison(v, key) for v in value]
        if isinstance(value, str) and key == "quote":
            return halves[next(quotes) % 2]
        if isinstance(value, str) and key in FREE_TEXT:
            return value + " " + joined
        return value

    rec = poison(copy.deepcopy(BASE_RECORD))
    rec["name"] = "Example Tools " + PAYLOADS[0]
    rec["names"] = {"zh": PAYLOADS[:20], "en": PAYLOADS[20:]}
    rec["policies"] = [{"id": "terms", "type": "terms-of-service", "title": "Terms " + joined,
                        "url": f"http://127.0.0.1:{port}/terms", "language": "en"}]
    return rec


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("xss")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        vdir = write_records(tmp / "vendors", _hostile_record(server.server_port))
        assert records.load_vendors(vdir)[1] == []
        store = tmp / "snapshots"
        cmd = [sys.executable, "-m", "scrapers.watch", "--vendors", str(vdir), "--store", str(store),
               "--allow-private", "--json"]
        _Pages.body = _page("<p>Nothing else.</p>")
        first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stdout + first.stderr
        # the second version carries every payload as page text (escaped in the HTML, as a real page would)
        _Pages.body = _page("".join(f"<p>{html.escape(p)}</p>" for p in PAYLOADS))
        second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stdout + second.stderr
        assert json.loads(second.stdout)["changed"], second.stdout
    finally:
        server.shutdown()
    build_site(tmp, vdir, snapshots_dir=store)
    return tmp / "site"


def _inert_html(path) -> BeautifulSoup:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for script in soup.find_all("script"):
        assert "alert" not in script.get_text() and "xss.test" not in str(script.get("src", "")), path
    for el in soup.find_all(True):
        for attr, value in el.attrs.items():
            assert not attr.lower().startswith("on"), (path, el.name, attr)
            if attr in ("href", "src", "data", "background", "action", "formaction"):
                v = str(value).strip().lower()
                assert not v.startswith(("javascript:", "vbscript:", "data:text/html")), (path, attr, value)
                assert "xss.test" not in v, (path, attr, value)
        assert el.name not in ("iframe", "object", "embed", "bgsound", "meta") or "xss" not in str(el).lower() \
            and "javascript" not in str(el).lower(), (path, el)
    return soup


def _pages(site):
    return [site / "vendors/example-tools/index.html", site / "zh/vendors/example-tools/index.html",
            site / "vendors/index.html", site / "zh/vendors/index.html", site / "incidents/index.html",
            site / "index.html", site / "changes/index.html"] + sorted(site.glob("changes/*/index.html")) \
        + sorted(site.glob("zh/changes/*/index.html"))


def test_site_pages_show_payloads_as_text(built, suite):
    pages = _pages(built)
    change_pages = [p for p in pages if p.parent.parent.name == "changes"]
    assert change_pages, "the watcher recorded no change page"
    vendor_text = " ".join(_inert_html(built / "vendors/example-tools/index.html").get_text().split())
    for p in pages:
        _inert_html(p)
    diff_text = _inert_html(change_pages[0]).select_one(".erp-diff").get_text()
    for payload in PAYLOADS:
        assert " ".join(payload.split()) in vendor_text, f"record payload not shown as text: {payload!r}"
        # the extractor normalises whitespace; compare on collapsed whitespace
        assert " ".join(payload.split()) in " ".join(diff_text.split()), f"diff payload missing: {payload!r}"
    suite("xss", tried=2 * len(PAYLOADS), escaped=2 * len(PAYLOADS))


def test_feeds_show_payloads_as_text_when_rendered(built, suite):
    """As a reader renders them: each decoded description parsed as HTML holds only the writer's elements, and
    the payloads of the record and of the fetched page as text."""
    feeds = ["feed.xml", "zh/feed.xml", "vendors/example-tools/feed.xml", "zh/vendors/example-tools/feed.xml"]
    for path in feeds:
        raw = (built / path).read_text(encoding="utf-8")
        assert "<script" not in raw.lower() and "<img" not in raw.lower()
        items = read_feed(raw, path)
        shown = " ".join(" ".join(i["text"].split()) for i in items)
        titles = " ".join(i["title"] for i in items)
        assert PAYLOADS[0] in titles  # the vendor's name, as plain text
        for payload in PAYLOADS:  # in the incidents' and toggles' texts
            assert " ".join(payload.split()) in shown, (path, payload)
        change = next(i for i in items if i["category"] == "policy-changed")
        assert "<ins>" in change["description"] and PAYLOADS[0] in change["text"]  # the fetched page's payload
    suite("xss", tried=len(feeds), escaped=len(feeds))


def test_change_page_diffs_are_inert_as_parsed_by_a_browser(built, suite):
    pages = sorted(built.glob("changes/*/index.html")) + sorted(built.glob("zh/changes/*/index.html"))
    assert len(pages) == 2
    for page in pages:
        found = diffs(page.read_text(encoding="utf-8"), str(page))
        shown = " ".join(" ".join(text_of(d).split()) for d in found)
        for payload in PAYLOADS:
            assert " ".join(payload.split()) in shown, (page, payload)
    suite("xss", tried=len(pages), escaped=len(pages))


def test_json_is_inert_and_round_trips(built, suite):
    for path in [built / "api/v1/vendors/example-tools.json", built / "api/v1/events.json", built / "api/v1/vendors.json"]:
        raw = path.read_text(encoding="utf-8")
        assert not any(c in raw for c in "<>&"), path
        json.loads(raw)
    detail = json.loads((built / "api/v1/vendors/example-tools.json").read_text(encoding="utf-8"))
    assert detail["record"]["names"]["zh"] == PAYLOADS[:20]
    events = json.loads((built / "api/v1/events.json").read_text(encoding="utf-8"))["events"]
    assert any("<script>" in (e.get("excerpt") or "") for e in events)
    suite("xss", tried=3, escaped=3)
