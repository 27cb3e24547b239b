"""Feeds, policy-change pages and the JSON API, from fictional records and a stand-in snapshot store."""

from __future__ import annotations

import html
import json

import feedparser
import jsonschema
import pytest
import referencing
from bs4 import BeautifulSoup
from feedcheck import read_feed
from sitebuild import record, write_records

from scripts.records import load as records
from scripts.site import build as generate

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
    # what a reader shows: HTML built by the writer, the summary, then each edit with the words before it
    item = next(i for i in read_feed(files["feed.xml"]) if i["link"] == change.link)
    assert item["description"] == ("<p>The watched text of “Terms of Use” changed.</p><ul><li><strong>Removed:"
                                   "</strong> “We keep data for <del>90</del>”</li><li><strong>Added:</strong> "
                                   "“<ins>30</ins>”</li></ul>")
    zh = next(i for i in read_feed(files["zh/feed.xml"]) if i["link"].endswith("#change-c2"))
    assert "<strong>删除:</strong> “We keep data for <del>90</del>”" in zh["description"]


def test_partial_date_event_is_published_with_its_uncertainty(tmp_path):
    feed = _parse(_build(tmp_path)["feed.xml"])
    toggle = next(e for e in feed.entries if e.tags[0].term == "toggle-default")
    assert "31 May, year not given" in toggle.title
    # placed by when it was recorded (the cited source's retrieved date), and says so
    assert "<p><em>Date: 31 May, year not given (the source gives no full date; placed by when it was recorded, " \
           "2025-01-11).</em></p>" in toggle.summary
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
        raw = files[path]
        assert "<script>" not in raw and "<img" not in raw
        # as a reader renders it: the decoded description is HTML holding the payload as text, not as markup
        items = read_feed(raw, path)
        assert any(XSS in item["text"] for item in items)
        assert any(html.escape(XSS) in item["description"] for item in items)
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
    from scripts.site import build as generate
    full = BeautifulSoup(_build(tmp_path / "a")["changes/index.md"], "html.parser")
    assert not full.select(".erp-note")
    monkeypatch.setattr(generate, "CHANGES_LIST_LIMIT", 1)
    files = _build(tmp_path / "b")
    page = BeautifulSoup(files["changes/index.md"], "html.parser")
    assert [a["href"] for a in page.select(".erp-change-list a")] == ["example-tools--terms/#change-c4"]
    assert "The 1 most recent of 2 changes" in page.select_one(".erp-note").get_text()
    assert "共 2 条变更" in BeautifulSoup(files["zh/changes/index.md"], "html.parser").select_one(".erp-note").get_text()
    assert BeautifulSoup(files["changes/example-tools--terms/index.md"], "html.parser").find(id="change-c2")
