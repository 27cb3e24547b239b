"""Feeds as a reader renders them: every XSS payload, in every record field and fetched text that reaches a feed,
in both languages, in the global and the vendor feeds, must come out as text. The checks (tests/feedcheck.py)
decode the XML, parse each description as HTML5 and allow only the elements the writer puts there. The change
pages' diffs of the same fetched texts get the same check."""

from __future__ import annotations

import copy
import random
import re
import xml.etree.ElementTree as ET

import html5lib
import pytest
from feedcheck import diffs, read_feed, text_of
from sitebuild import BASE_RECORD, write_records
from test_xss import FREE_TEXT
from xss_payloads import PAYLOADS

from scripts.publish import feeds
from scripts.records import load as records
from scripts.site import build as generate

CONFIG = {"repo_url": "https://github.test/erpwatch/erpwatch", "site_url": "https://erpwatch.test/site/"}
WORDS = " ".join(f"Clause {i} says we keep records for a while." for i in range(12))


def _norm(text: str) -> str:
    return " ".join(re.sub(r"\r\n?", "\n", text).split())


# --- the writer alone, on random hostile text --------------------------------------------------------

PIECES = ["a", " ", "&", "<", ">", '"', "'", "\n", "\t", "\r", "\r\n", "\x00", "\x0b", "]]>", "<![CDATA[", "&amp;",
          "&#60;", "&lt;", "中", "\ud800", "\ufffe", "<script>", "</p>", "<!--", "-->", "x\x1fy", "javascript:", ""]
URLS = ["https://erpwatch.example.org/", "http://erpwatch.example.org/a/", "javascript:alert(1)//", "JAVASCRIPT:x/",
        "data:text/html,<script>alert(1)</script>/", "//erpwatch.example.org/", " https://a.example/", "vbscript:x/",
        "https://a.example/\x00/", "https://a example/", "ftp://a.example/", ""]


def _random_event(rng, text) -> dict:
    parts = [(rng.choice("+-"), text(), text()) for _ in range(rng.randrange(0, 3))]
    return {"title": {"en": text(), "zh": text()}, "summary": {"en": text(), "zh": text()}, "link": text(),
            "id": text(), "type": rng.choice(["policy-changed", "incident-reported", text()]),
            "sort_date": f"20{rng.randrange(10, 30)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 10)}",
            "date_exact": rng.random() < 0.5, "date_text": {"en": text(), "zh": text()},
            "excerpt": rng.choice([None, "", text()]), **({"excerpt_parts": parts} if rng.random() < 0.5 else {})}


def test_writer_keeps_every_text_as_text_for_xml_feedparser_and_html5():
    """The string writer, proven on hostile text: the XML is well-formed, feedparser reads it, each plain-text
    element decodes to exactly the text given (less what XML cannot carry), each description holds only our
    elements and every text in it as text, and only http(s) links are kept."""
    rng = random.Random(17)
    extra = PAYLOADS + [p.upper() for p in PAYLOADS[:10]]

    def text():
        return "".join(rng.choice(PIECES + [rng.choice(extra)]) for _ in range(rng.randrange(0, 6)))

    for case in range(400):
        events = [_random_event(rng, text) for _ in range(rng.randrange(0, 4))]
        lang = rng.choice(["en", "zh"])
        kw = {"title": text(), "description": text(), "site_url": rng.choice(URLS), "feed_path": text(),
              "limit": rng.randrange(0, 4), "lang": lang, "link_prefix": rng.choice(["", "zh/", text()])}
        out = feeds.rss(events, **kw)
        items = read_feed(out, f"case {case}")
        channel = ET.fromstring(out).find("channel")
        assert channel.findtext("title") == feeds.xml_clean(kw["title"])
        described = html5lib.parseFragment(channel.findtext("description"), treebuilder="etree")
        assert _norm(text_of(described)) == _norm(feeds.xml_clean(kw["description"])), case
        shown = events[:kw["limit"]]
        assert len(items) == len(shown)
        for item, event in zip(items, shown):
            assert item["title"] == feeds.xml_clean(event["title"][lang]), case
            assert item["guid"] == feeds.xml_clean(event["id"]) and item["category"] == feeds.xml_clean(event["type"])
            url = kw["site_url"].rstrip("/") + "/" + kw["link_prefix"] + event["link"]
            assert item["link"] == feeds.feed_url(url), (case, url)
            if item["link"] is not None:
                assert re.match(r"https?://", item["link"]), item["link"]
            described = _norm(item["text"])
            wanted = [event["summary"][lang], feeds.date_note(event, lang)]
            wanted += [t for _op, before, after in event.get("excerpt_parts") or [] for t in (before, after)]
            if not event.get("excerpt_parts"):
                wanted.append(event["excerpt"] or "")
            for piece in wanted:
                assert _norm(feeds.xml_clean(piece)) in described, (case, piece, item["description"])


def test_links_other_than_http_are_left_out():
    event = _random_event(random.Random(1), lambda: "x")
    for url in ("javascript:alert(1)//", "data:text/html,x/", "//example.test/", "https://a b.example/"):
        out = feeds.rss([event], title="t", description="d", site_url=url, feed_path="feed.xml", limit=1).decode()
        assert "<link>" not in out and "atom:link" not in out and "javascript" not in out.lower(), out
        read_feed(out, url)


# --- the site build: one fictional vendor per payload, the payload in every field --------------------

def _poisoned(k: int, payload: str) -> dict:
    def poison(value, key=None):
        if isinstance(value, dict):
            return {kk: poison(v, kk) for kk, v in value.items()}
        if isinstance(value, list):
            return [poison(v, key) for v in value]
        if isinstance(value, str) and key == "quote":
            return "Kept " + payload  # in the first stored version only: its claim's quote is removed
        if isinstance(value, str) and key in FREE_TEXT:
            return value + " " + payload
        return value

    rec = poison(copy.deepcopy(BASE_RECORD))
    rec["id"] = f"payload-{k:02d}"
    rec["name"] = f"Payload {k} {payload}"[:200]
    rec["names"] = {"zh": [payload]}
    rec["policies"][0]["title"] = "Terms " + payload
    rec["incidents"][0]["status_history"] = [{"status": "reported", "date": "2024-06-06",
                                              "sources": [{"source": "news"}]}]
    return rec


class _Store:
    """A stand-in store (scrapers.store's read API): per vendor, a first version that holds every quote and a
    change that removes it, whose diff carries the payload as added, removed and surrounding text."""

    def __init__(self, payloads: dict[str, str]):
        self.payloads = payloads

    def documents(self):
        return [(v, "terms") for v in sorted(self.payloads)]

    def status(self, vendor, doc):
        return {"checked_at": "2026-11-27T06:00:00Z", "last_success_at": "2026-11-27T06:00:00Z", "http_status": 200,
                "failure": None, "message": None, "url": "https://example-tools.example.com/terms"}

    def changes(self, vendor, doc):
        p = self.payloads.get(vendor)
        if p is None or doc != "terms":
            return []
        diff = [["=", WORDS + " " + p], ["-", p], ["+", "New " + p], ["=", p + " " + WORDS]]
        return [{"id": "c1", "time": "2025-02-01T06:00:00Z", "old_hash": None, "new_hash": "h1", "diff": [],
                 "added": 40, "removed": 0, "raw": f"{vendor}/terms/raw/1.html", "technical": False, "initial": True},
                {"id": "c2", "time": "2025-03-01T06:00:00Z", "old_hash": "h1", "new_hash": "h2", "diff": diff,
                 "added": 9, "removed": 7, "raw": f"{vendor}/terms/raw/2.html", "technical": False, "initial": False}]

    def current_text(self, vendor, doc):
        return self.version_text(vendor, doc, "h2")

    def version_text(self, vendor, doc, text_hash):
        p = self.payloads.get(vendor, "")
        return f"{WORDS} Kept {p} We keep data for 90 days. 不转售" if text_hash == "h1" else f"{WORDS} New {p}"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feed-reader")
    recs = [_poisoned(k, p) for k, p in enumerate(PAYLOADS)]
    loaded, problems = records.load_vendors(write_records(tmp / "vendors", *recs))
    assert problems == []
    return generate.build_pages(loaded, _Store({r["id"]: p for r, p in zip(recs, PAYLOADS)}), CONFIG, tmp / "vendors")


EVERY_PATH = {"policy-changed", "incident-reported", "incident-status", "vendor-responded", "toggle-default",
              "claim-removed"}


@pytest.mark.parametrize("prefix", ["", "zh/"])
def test_every_payload_reaches_the_vendor_feeds_as_text(files, prefix, suite):
    for k, payload in enumerate(PAYLOADS):
        path = f"{prefix}vendors/payload-{k:02d}/feed.xml"
        items = read_feed(files[path], path)
        assert EVERY_PATH <= {i["category"] for i in items}, (path, {i["category"] for i in items})
        # shown as text: in the titles (plain) and in the descriptions (HTML, decoded as a reader does)
        short = _norm(payload)[:50]
        assert all(_norm(payload)[:40] in _norm(i["title"]) for i in items if i["category"] != "claim-removed"), path
        for kind in EVERY_PATH:
            described = " ".join(_norm(i["text"]) for i in items if i["category"] == kind)
            assert short in described, (path, kind, payload)
        change = next(i for i in items if i["category"] == "policy-changed")
        assert "<del>" in change["description"]  # the diff's edits, marked up by us around the fetched text
        if len(payload) < 100:  # the excerpt stops at about 280 characters
            assert _norm("New " + payload) in _norm(change["text"]) and "<ins>" in change["description"]
    suite("xss", tried=2 * len(PAYLOADS), escaped=2 * len(PAYLOADS))


@pytest.mark.parametrize("path", ["feed.xml", "zh/feed.xml"])
def test_global_feeds_show_payloads_as_text(files, path, suite):
    items = read_feed(files[path], path)
    assert len(items) == feeds.MAX_ITEMS_ALL
    shown = " ".join(_norm(i["title"] + " " + i["text"]) for i in items)
    newest = {i["guid"].split(":", 2)[2].split("/")[0] for i in items}
    for k, payload in enumerate(PAYLOADS):
        if f"payload-{k:02d}" in newest:
            assert _norm(payload)[:40] in shown, payload
    suite("xss", tried=1, escaped=1)


@pytest.mark.parametrize("prefix", ["", "zh/"])
def test_change_page_diffs_show_payloads_as_text(files, prefix, suite):
    for k, payload in enumerate(PAYLOADS):
        path = f"{prefix}changes/payload-{k:02d}--terms/index.md"
        found = diffs(files[path], path)
        assert len(found) == 1, path
        shown = _norm(text_of(found[0]))
        assert _norm(payload) in shown and _norm("New " + payload) in shown, (path, payload)
        assert [_norm(text_of(d)) for d in found[0].iter("del")] == [_norm(payload)]
    suite("xss", tried=len(PAYLOADS), escaped=len(PAYLOADS))
