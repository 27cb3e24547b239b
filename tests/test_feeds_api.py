"""Feeds, policy-change pages and the JSON API, from fictional records and a stand-in snapshot store."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import feedparser
import jsonschema
import pytest
import referencing
from bs4 import BeautifulSoup
from sitebuild import record, write_records

from scripts import generate, records

CONFIG = {"repo_url": "https://github.test/erpwatch/erpwatch", "site_url": "https://erpwatch.test/site/"}
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;'


class FakeStore:
    """The read API of scrapers.store, holding fixed data."""

    def __init__(self, changes: dict[tuple[str, str], list[dict]]):
        self._changes = changes

    def documents(self):
        return sorted(self._changes)

    def status(self, vendor, doc):
        return {"checked_at": "2026-11-27T06:00:00Z", "last_success_at": "2026-11-27T06:00:00Z", "http_status": 200,
                "failure": None, "message": None, "url": "https://example-tools.example.com/terms"}

    def changes(self, vendor, doc):
        return self._changes.get((vendor, doc), [])

    def current_text(self, vendor, doc):
        return None

    def version_text(self, vendor, doc, text_hash):
        return None


def _change(n, time, diff, technical=False, initial=False):
    return {"id": f"c{n}", "time": time, "old_hash": None if initial else f"h{n - 1}", "new_hash": f"h{n}",
            "diff": diff, "added": sum(len(t.split()) for o, t in diff if o == "+"),
            "removed": sum(len(t.split()) for o, t in diff if o == "-"),
            "raw": f"example-tools/terms/raw/{n}.html", "technical": technical, "initial": initial}


STORE_CHANGES = {("example-tools", "terms"): [
    _change(1, "2025-02-01T06:00:00Z", [["+", "We keep data for 90 days."]], initial=True),
    _change(2, "2025-03-01T06:00:00Z", [["=", "We keep data for"], ["-", "90"], ["+", "30"], ["=", "days."]]),
    _change(3, "2025-03-02T06:00:00Z", [["=", "We keep data for 30 days."]], technical=True),
    _change(4, "2025-04-01T06:00:00Z", [["=", "We keep data for 30 days."], ["+", XSS]]),
]}


def _build(tmp_path, *recs, store=None):
    vdir = write_records(tmp_path / "vendors", *(recs or (record(),)))
    loaded, problems = records.load_vendors(vdir)
    assert problems == []
    return generate.build_pages(loaded, store if store is not None else FakeStore(STORE_CHANGES), CONFIG, vdir)


def _parse(feed_text):
    parsed = feedparser.parse(feed_text)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_feed_items_and_order(tmp_path):
    files = _build(tmp_path)
    feed = _parse(files["feed.xml"])
    assert feed.version == "rss20"
    ids = [e.id for e in feed.entries]
    assert len(ids) == len(set(ids)) and all(i.startswith("tag:") for i in ids)
    types = [e.tags[0].term for e in feed.entries]
    # two real policy changes (not the first version, not the technical re-extraction)
    assert types.count("policy-changed") == 2
    assert {"incident-reported", "vendor-responded", "toggle-default"} <= set(types)
    dates = [e.published_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True)
    change = next(e for e in feed.entries if e.tags[0].term == "policy-changed" and "−1" in e.title)
    assert "Removed" in change.summary and "Added" in change.summary and "30" in change.summary
    assert change.link == "https://erpwatch.test/site/changes/example-tools--terms/#change-c2"


def test_partial_date_event_is_published_with_its_uncertainty(tmp_path):
    feed = _parse(_build(tmp_path)["feed.xml"])
    toggle = next(e for e in feed.entries if e.tags[0].term == "toggle-default")
    assert "31 May, year not given" in toggle.title
    # placed by when it was recorded (the cited source's retrieved date), and says so
    assert "placed by when it was recorded, 2025-01-11" in toggle.summary
    assert toggle.published_parsed[:3] == (2025, 1, 11)


def test_ids_identical_across_two_builds(tmp_path):
    a = _build(tmp_path / "a")
    b = _build(tmp_path / "b")
    assert a["feed.xml"] == b["feed.xml"]
    assert a["api/v1/events.json"] == b["api/v1/events.json"]
    assert a["api/v1/vendors.json"] == b["api/v1/vendors.json"]


def test_vendor_feed_holds_only_that_vendors_events(tmp_path):
    other = record(id="other-tool", name="Other Tool", names={})
    files = _build(tmp_path, record(), other)
    mine = _parse(files["vendors/example-tools/feed.xml"])
    theirs = _parse(files["vendors/other-tool/feed.xml"])
    assert mine.entries and theirs.entries
    assert all(e.id.split(":", 2)[2].startswith("example-tools/") for e in mine.entries)
    assert all(e.id.split(":", 2)[2].startswith("other-tool/") for e in theirs.entries)
    everything = _parse(files["feed.xml"])
    assert {e.id for e in everything.entries} == {e.id for e in mine.entries} | {e.id for e in theirs.entries}


def test_change_pages(tmp_path):
    files = _build(tmp_path)
    index = BeautifulSoup(files["changes/index.md"], "html.parser")
    links = [a["href"] for a in index.select(".erp-change-list a")]
    # newest first, no technical/initial; each change is a section of its document's history page
    assert links == ["example-tools--terms/#change-c4", "example-tools--terms/#change-c2"]
    assert not any(p.startswith("changes/example-tools--terms--") for p in files)  # no page per change
    page = files["changes/example-tools--terms/index.md"]
    soup = BeautifulSoup(page, "html.parser")
    assert [h["id"] for h in soup.select("h2")] == ["change-c4", "change-c2"]
    section = soup.select_one("#change-c2").find_next_sibling("div")
    assert [d.get_text() for d in section.select("del.erp-del")][-1] == "90"
    assert [i.get_text() for i in section.select("ins.erp-ins")][-1] == "30"
    assert "2025-02-01T06:00:00Z" in section.get_text() and "2025-03-01T06:00:00Z" in section.get_text()
    assert section.select_one('a[href="https://github.test/erpwatch/erpwatch/blob/main/snapshots/example-tools/terms/raw/2.html"]')
    assert [h[1] for h in page.headings()] == ["title", "change-c4", "change-c2"]  # for the table of contents


def test_xss_in_policy_diff_and_record_is_escaped_everywhere(tmp_path):
    rec = record(name="Example " + XSS[:40])
    rec["incidents"][0]["summary"] = "Summary " + XSS
    files = _build(tmp_path, rec)
    page = files["changes/example-tools--terms/index.md"]
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.find("script") and not soup.find("img")
    assert XSS in soup.select_one("#change-c4").find_next_sibling("div").select("ins.erp-ins")[-1].get_text()
    for path in ("feed.xml", "vendors/example-tools/feed.xml"):
        feed = _parse(files[path])
        raw = files[path]
        assert "<script>" not in raw and "<img" not in raw
        assert feed.entries
        # the text survives intact as escaped character data (feedparser sanitises, so read the XML itself)
        descriptions = [d.text for d in ET.fromstring(raw.encode()).iter("description")]
        assert any(XSS in (d or "") for d in descriptions)
    for path in ("api/v1/events.json", "api/v1/vendors/example-tools.json", "api/v1/vendors.json"):
        raw = files[path]
        raw = raw.decode("utf-8") if isinstance(raw, bytes) else raw  # events.json is made as bytes
        assert "<" not in raw and ">" not in raw and "&" not in raw
    events = json.loads(files["api/v1/events.json"])["events"]
    assert any(XSS in (e["excerpt"] or "") for e in events)
    detail = json.loads(files["api/v1/vendors/example-tools.json"])
    assert detail["record"]["incidents"][0]["summary"] == "Summary " + XSS


def test_characters_xml_forbids_are_removed(tmp_path):
    store = FakeStore({("example-tools", "terms"): [
        _change(1, "2025-02-01T06:00:00Z", [["+", "a"]], initial=True),
        _change(2, "2025-03-01T06:00:00Z", [["+", "bad\x01char\ufffe here"]])]})
    files = _build(tmp_path, store=store)
    feed = _parse(files["feed.xml"])
    assert any("badchar here" in e.summary for e in feed.entries)


def test_api_files_validate_against_openapi(tmp_path):
    files = _build(tmp_path)
    doc = json.loads(files["api/v1/openapi.json"])
    assert doc["openapi"].startswith("3.1")
    record_schema = json.loads(files["api/v1/schema/vendor.json"])
    registry = referencing.Registry().with_resources([
        (record_schema["$id"], referencing.Resource.from_contents(record_schema)),
        ("urn:openapi", referencing.Resource.from_contents(doc, default_specification=referencing.jsonschema.DRAFT202012)),
    ])

    def validate(instance, name):
        schema = {"$ref": f"urn:openapi#/components/schemas/{name}"}
        jsonschema.Draft202012Validator(schema, registry=registry).validate(instance)

    validate(json.loads(files["api/v1/vendors.json"]), "VendorList")
    validate(json.loads(files["api/v1/events.json"]), "EventList")
    validate(json.loads(files["api/v1/vendors/example-tools.json"]), "VendorDetail")
    # the schemas are not vacuous: a broken file fails
    broken = json.loads(files["api/v1/vendors.json"])
    del broken["vendors"][0]["links"]
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "VendorList")
    broken = json.loads(files["api/v1/vendors/example-tools.json"])
    broken["record"]["bogus"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "VendorDetail")
    # every path in the OpenAPI document names a file that was generated
    for path in doc["paths"]:
        concrete = path.replace("{id}", "example-tools")
        assert f"api/v1{concrete}" in files


def test_api_detail_has_derived_fields(tmp_path):
    files = _build(tmp_path)
    detail = json.loads(files["api/v1/vendors/example-tools.json"])
    defaults = detail["derived"]["current_defaults"][0]
    assert defaults["toggle"] == "listings-download" and defaults["conflict"] is True
    assert {c["id"]: c["status"] for c in detail["derived"]["claims"]}["keeps-90-days"] == "ended"
    changes = detail["derived"]["policies"][0]["changes"]
    assert [c["id"] for c in changes] == ["c2", "c4"]
    summary = json.loads(files["api/v1/vendors.json"])["vendors"][0]
    assert summary["last_policy_change"] == "2025-04-01"
    assert list(summary) == sorted(summary)  # stable key order


def test_changes_list_shows_the_most_recent_and_says_so(tmp_path, monkeypatch):
    from scripts import generate
    full = BeautifulSoup(_build(tmp_path / "a")["changes/index.md"], "html.parser")
    assert not full.select(".erp-note")
    monkeypatch.setattr(generate, "CHANGES_LIST_LIMIT", 1)
    files = _build(tmp_path / "b")
    page = BeautifulSoup(files["changes/index.md"], "html.parser")
    assert [a["href"] for a in page.select(".erp-change-list a")] == ["example-tools--terms/#change-c4"]
    assert "The 1 most recent of 2 changes" in page.select_one(".erp-note").get_text()
    assert "共 2 条变更" in BeautifulSoup(files["zh/changes/index.md"], "html.parser").select_one(".erp-note").get_text()
    assert BeautifulSoup(files["changes/example-tools--terms/index.md"], "html.parser").find(id="change-c2")


def _rss_with_elementtree(events, *, title, description, site_url, feed_path, limit, lang="en", link_prefix=""):
    """The feed as the project first wrote it, with ElementTree: feeds.rss must give the same bytes."""
    from scripts.feeds import _rfc822, item_text, xml_clean
    base = site_url.rstrip("/") + "/"
    rss_el = ET.Element("rss", {"version": "2.0", "xmlns:atom": "http://www.w3.org/2005/Atom"})
    channel = ET.SubElement(rss_el, "channel")
    ET.SubElement(channel, "title").text = xml_clean(title)
    ET.SubElement(channel, "link").text = base + link_prefix
    ET.SubElement(channel, "description").text = xml_clean(description)
    ET.SubElement(channel, "language").text = "zh-cn" if lang == "zh" else "en"
    ET.SubElement(channel, "atom:link", {"href": base + feed_path, "rel": "self", "type": "application/rss+xml"})
    if events:
        ET.SubElement(channel, "lastBuildDate").text = _rfc822(events[0]["sort_date"])
    for event in events[:limit]:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = xml_clean(event["title"][lang])
        ET.SubElement(item, "link").text = base + link_prefix + event["link"]
        ET.SubElement(item, "guid", {"isPermaLink": "false"}).text = event["id"]
        ET.SubElement(item, "pubDate").text = _rfc822(event["sort_date"])
        ET.SubElement(item, "category").text = event["type"]
        ET.SubElement(item, "description").text = xml_clean(item_text(event, lang))
    ET.indent(rss_el)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(rss_el, encoding="unicode") + "\n").encode()


def test_feed_writer_matches_elementtree_on_hostile_text():
    import random

    from scripts import feeds
    rng = random.Random(7)
    alphabet = ["a", " ", "&", "<", ">", '"', "'", "\n", "\t", "\r", "\x00", "\x0b", "]]>", "&amp;", "中", "\ud800",
                "\ufffe", "<script>", "x\x1fy", ""]

    def text():
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 8)))

    for case in range(300):
        events = [{"title": {"en": text(), "zh": text()}, "summary": {"en": text(), "zh": text()},
                   "link": text(), "id": text(), "type": rng.choice(["policy-change", "incident", ""]),
                   "sort_date": f"20{rng.randrange(10, 30)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 10)}",
                   "date_exact": rng.random() < 0.5, "date_text": {"en": text(), "zh": text()},
                   "excerpt": rng.choice([None, "", text()])} for _ in range(rng.randrange(0, 4))]
        kw = {"title": text(), "description": text(), "site_url": "https://erpwatch.example.org/" + text(),
              "feed_path": text(), "limit": rng.randrange(0, 4), "lang": rng.choice(["en", "zh"]),
              "link_prefix": rng.choice(["", "zh/", text()])}
        assert _outcome(feeds.rss, events, kw) == _outcome(_rss_with_elementtree, events, kw), (case, events, kw)


def _outcome(write, events, kw):
    try:  # fields that are not cleaned (ids, links) can't carry a lone surrogate in either writer
        return write(events, **kw)
    except UnicodeEncodeError as exc:
        return type(exc)
