"""Cross-site scripting payloads through issue 19's fields, on the page path: third-party reports, our
observations, a policy search's note, publishers' names, and an incident without a vendor record (title,
summary, who alleged it, statements, sources). Every payload must reach the reader as text."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from sitebuild import build_site, write_records
from test_xss import _inert_html
from xss_payloads import PAYLOADS

from scripts.records import load as records
from scripts.records import yamlsafe

FIXTURES = Path(__file__).parent / "coverage_fixtures"
JOINED = " ".join(PAYLOADS)
HALVES = [" ".join(PAYLOADS[:20]), " ".join(PAYLOADS[20:])]  # quotes are limited to 2,000 characters
FREE_TEXT = {"summary", "text", "note", "publisher", "title", "who", "where", "concerns", "en", "zh"}


def _poison(value, key=None, quotes=None):
    quotes = quotes if quotes is not None else iter(range(10_000))
    if isinstance(value, dict):  # (names are short lists, poisoned by test_xss already)
        return {k: (v if k == "names" else _poison(v, k, quotes)) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, key, quotes) for v in value]
    if isinstance(value, str) and key == "quote":
        return HALVES[next(quotes) % 2]
    if isinstance(value, str) and key in FREE_TEXT:
        return value + " " + JOINED
    return value


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cov-xss")
    vendor = _poison(yamlsafe.load((FIXTURES / "vendors" / "example-erp.yaml").read_bytes()).data)
    vendor["observations"][0]["sources"].append({"source": "example-forum"})  # a citation without a quote
    vdir = write_records(tmp / "vendors", vendor)
    assert records.load_vendors(vdir)[1] == []
    incident = _poison(yamlsafe.load((FIXTURES / "incidents" / "example-ecosystem-leak.yaml").read_bytes()).data)
    incident["statements"] = [{"by": "third-party", "who": "who " + JOINED, "date": "2025", "text": "said " + JOINED,
                               "sources": [{"source": "example-forum", "quote": HALVES[0]}]}]
    platform = copy.deepcopy(incident) | {"id": "example-platform-slip", "kind": "platform"}
    (tmp / "incidents").mkdir()
    for inc in (incident, platform):
        (tmp / "incidents" / f"{inc['id']}.yaml").write_text(
            yaml.safe_dump(inc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    build_site(tmp, vdir)  # the incidents beside the vendors' folder are the site's
    return tmp / "site"


def _text(path) -> str:
    return " ".join(_inert_html(path).get_text().split())


def test_new_fields_show_payloads_as_text(site, suite):
    pages = {"vendor": site / "vendors/example-erp/index.html", "vendor-zh": site / "zh/vendors/example-erp/index.html",
             "incidents": site / "incidents/index.html", "incidents-zh": site / "zh/incidents/index.html"}
    for name, page in pages.items():
        text = _text(page)
        for payload in PAYLOADS:
            assert " ".join(payload.split()) in text, f"{name}: payload not shown as text: {payload!r}"
    for page in (site / "vendors/index.html", site / "index.html", site / "zh/index.html"):
        _inert_html(page)
    home = _text(site / "index.html")
    assert "Incidents beyond one vendor" in home and " ".join(PAYLOADS[0].split()) in home
    suite("xss-coverage-fields", tried=4 * len(PAYLOADS), escaped=4 * len(PAYLOADS))


def test_labels_survive_hostile_text(site):
    vendor = _inert_html(site / "vendors/example-erp/index.html")
    report = vendor.select_one(".erp-report strong").get_text()
    assert report.startswith("According to Example Directory") and "(third party):" in report
    assert vendor.select_one(".erp-observation strong").get_text().startswith("Our observation (as of 6 December 2026")
    assert "No published data policy found" in vendor.select_one(".erp-policy-search").get_text()
    incidents = _inert_html(site / "incidents/index.html")
    groups = [h.get_text() for h in incidents.select("h2")]
    assert any("Ecosystem incidents (vendor not named)" in g for g in groups)
    assert any("Platform incidents" in g for g in groups)
    assert incidents.select_one(".erp-allegation") is not None


def test_incidents_json_round_trips(site):
    data = json.loads((site / "api/v1/incidents.json").read_text(encoding="utf-8"))
    kinds = {x["id"]: x["kind"] for x in data["incidents"]}
    assert kinds == {"example-ecosystem-leak": "ecosystem", "example-platform-slip": "platform"}
    own = next(x for x in data["incidents"] if x["id"] == "example-ecosystem-leak")
    assert own["record"]["alleged_by"]["sources"][0]["quote"] in HALVES
    events = json.loads((site / "api/v1/events.json").read_text(encoding="utf-8"))["events"]
    assert {e["kind"] for e in events if e["vendor"] is None} == {"ecosystem", "platform"}
