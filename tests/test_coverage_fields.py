"""Issue 19's record fields: validation (with refusals), the rubric's reading of them, the yardstick, and
the incident and pending-check files. Fictional vendors on reserved names only (tests/coverage_fixtures/)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from scripts.analysis import rubric, yardstick
from scripts.records import incidents, yamlsafe
from scripts.records import load as records

FIXTURES = Path(__file__).parent / "coverage_fixtures"
# The records' own loader: dates stay text, as in every record the site reads.
BASE = yamlsafe.load((FIXTURES / "vendors" / "example-erp.yaml").read_bytes()).data
INCIDENT = yamlsafe.load((FIXTURES / "incidents" / "example-ecosystem-leak.yaml").read_bytes()).data


def _check(tmp_path, data, name="example-erp.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    problems = records.check_file(path).problems
    # the compiled check and the full validator agree on whether the schema is met
    assert records.schema_valid(copy.deepcopy(data)) == (not list(records._validator().iter_errors(copy.deepcopy(data))))
    return problems


def _with(**changes) -> dict:
    data = copy.deepcopy(BASE)
    for k, v in changes.items():
        if v is None:
            data.pop(k, None)
        else:
            data[k] = v
    return data


def test_fixture_uses_every_new_field_and_is_valid(tmp_path):
    for key in ("languages", "company_unnamed", "policy_search", "reports", "observations"):
        assert key in BASE
    assert "website" not in BASE and BASE["policies"][0]["seen_in_text"] is True
    assert _check(tmp_path, BASE) == []


REFUSED = [
    ("company-and-unnamed", lambda d: d.update(company={"name": "Example Co.", "sources": [{"source": "example-help"}]}),
     "company_unnamed: give either company"),
    ("unnamed-false", lambda d: d.update(company_unnamed=False), "only `company_unnamed: true` is valid"),
    ("found-true", lambda d: d["policy_search"].update(found=True), "only `found: false` is valid"),
    ("search-undated", lambda d: d["policy_search"].pop("searched"), "missing required field 'searched'"),
    ("search-in-future", lambda d: d["policy_search"].update(searched="2999-01-01"), "is in the future"),
    ("search-but-policy-read", lambda d: d["policies"][0].pop("seen_in_text"), "policy_search says no policy was found"),
    ("report-cites-vendor", lambda d: d["reports"][0]["sources"].append({"source": "example-help", "quote": "x"}),
     "a report cites only third-party sources"),
    ("report-unknown-source", lambda d: d["reports"][0]["sources"][0].update(source="nowhere"), "no source with id 'nowhere'"),
    ("report-duplicate-id", lambda d: d["reports"].append(copy.deepcopy(d["reports"][0])), "duplicate id 'directory-listing'"),
    ("report-no-summary", lambda d: d["reports"][0].pop("summary"), "missing required field 'summary'"),
    ("observation-no-source", lambda d: d["observations"][0].update(sources=[]), "at least one source is required"),
    ("observation-bad-kind", lambda d: d["observations"][0].update(kind="opinion"), "'opinion' is not one of"),
    ("observation-undated", lambda d: d["observations"][0].pop("observed"), "missing required field 'observed'"),
    ("observation-bad-date", lambda d: d["observations"][0].update(observed="6 Dec 2026"), "is not a date in EDTF"),
    ("observation-duplicate-id", lambda d: d["observations"].append(copy.deepcopy(d["observations"][0])),
     "duplicate id 'todo-placeholder'"),
    ("language-not-a-tag", lambda d: d.update(languages=["Chinese"]), "is not a language tag"),
    ("language-twice", lambda d: d.update(languages=["zh", "zh"]), "lists the same item twice"),
    ("seen-in-text-false", lambda d: d["policies"][0].update(seen_in_text=False), "only `seen_in_text: true` is valid"),
]


@pytest.mark.parametrize("name,change,message", REFUSED, ids=[r[0] for r in REFUSED])
def test_refusals(tmp_path, name, change, message):
    data = copy.deepcopy(BASE)
    change(data)
    problems = _check(tmp_path, data)
    assert any(message in p for p in problems), problems


def test_website_optional_but_checked_when_given(tmp_path):
    assert _check(tmp_path, _with(website=None)) == []
    assert _check(tmp_path, _with(website="https://www.example.com/")) == []
    assert any("not an http(s) URL" in p for p in _check(tmp_path, _with(website="javascript:alert(1)")))


def test_report_may_cite_press_and_marketplace(tmp_path):
    data = copy.deepcopy(BASE)
    data["sources"].append({"id": "example-news", "url": "https://news.example.com/a", "publisher": "Example News",
                            "kind": "press"})
    data["reports"][0]["sources"].append({"source": "example-news", "quote": "a quote"})
    assert _check(tmp_path, data) == []


# --- the rubric and the yardstick ------------------------------------------------------------------

def _answers(record) -> dict:
    return {a["question"]: a for a in rubric.evaluate(record)}


def _retention_claim(source: str) -> dict:
    return {"id": "keeps-30-days", "topic": "retention", "summary": {"en": "Keeps data 30 days.", "zh": "保留 30 天。"},
            "sources": [{"source": source, "quote": "30 days"}]}


def test_policy_search_is_its_own_rubric_state():
    got = _answers(BASE)
    for q in ("retention-stated", "deletion-on-request", "sharing-or-resale"):
        assert got[q]["answer"] == "no-policy-found"
        assert got[q]["evidence"] == []
        assert "6 December 2026" in got[q]["explanation"]["en"] and "not a “no”" in got[q]["explanation"]["en"]
    assert rubric.answer_labels()["no-policy-found"]["en"] == "No first-party policy found"
    without = _with(policy_search=None)
    assert _answers(without)["retention-stated"]["answer"] == "unknown"


def test_only_claims_backed_by_the_vendor_count():
    third = _with(claims=[_retention_claim("example-directory")])
    got = _answers(third)["retention-stated"]
    assert got["answer"] == "no-policy-found" and "keeps-30-days" in got["explanation"]["en"]
    assert _answers(_with(claims=[_retention_claim("example-directory")], policy_search=None))["retention-stated"]["answer"] == "unknown"
    own = _with(claims=[_retention_claim("example-help")])
    got = _answers(own)["retention-stated"]
    assert got["answer"] == "yes" and [e["source"] for e in got["evidence"]] == ["example-help"]
    # a report never counts, whatever its topic
    reported = _with(reports=[{**BASE["reports"][0], "topic": "retention"}], policy_search=None)
    assert _answers(reported)["retention-stated"]["answer"] == "unknown"


def test_yardstick_needs_a_sourced_vendor_claim():
    rule_ids = [r["id"] for r in yardstick.rules() if r.get("yardstick") == "retention"]
    assert rule_ids, "no retention yardstick in reference/amazon-rules.yaml"
    assert yardstick.pairs(_with(claims=[_retention_claim("example-directory")])) == []
    ended = _retention_claim("example-help") | {"ended": {"date": "2026", "reason": "removed", "sources": [{"source": "example-help"}]}}
    assert yardstick.pairs(_with(claims=[ended])) == []
    pairs = yardstick.pairs(_with(claims=[_retention_claim("example-help")]))
    assert [r["id"] for r, _ in pairs] == rule_ids and pairs[0][1][0]["id"] == "keeps-30-days"
    for rule in yardstick.rules():  # every rule shown says where it comes from
        assert rule["quote"] and rule["source"]["url"].startswith(("http://", "https://")) and rule["source"]["kind"]
        if rule["source"]["kind"] != "marketplace":
            assert rule.get("label"), f"{rule['id']}: a rule not from Amazon's own page needs a label saying so"


# --- incident files and pending checks ----------------------------------------------------------------

def _check_incident(tmp_path, data, name="example-ecosystem-leak.yaml") -> list[str]:
    folder = tmp_path / "incidents"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return [p for _path, _d, probs in incidents.check_files([folder / name], "incident") for p in probs]


INCIDENT_REFUSED = [
    ("bad-kind", lambda d: d.update(kind="vendor"), "'vendor' is not one of: ecosystem, platform"),
    ("vendor-source", lambda d: d["sources"][0].update(kind="vendor"), "'vendor' is not one of: press, marketplace, third-party"),
    ("no-evidence", lambda d: d.pop("evidence"), "missing required field 'evidence'"),
    ("unknown-source", lambda d: d["evidence"][0].update(source="nope"), "no source with id 'nope'"),
    ("allegation-unknown-source", lambda d: d["alleged_by"]["sources"][0].update(source="nope"), "no source with id 'nope'"),
    ("allegation-no-who", lambda d: d["alleged_by"].pop("who"), "missing required field 'who'"),
    ("future", lambda d: d.update(reported="2999"), "is in the future"),
    ("reported-before-occurred", lambda d: d.update(occurred="2025-06", reported="2025-01"), "reported 2025-01 is before occurred"),
    ("id-not-file-name", lambda d: d.update(id="other"), "does not match the file name"),
    ("unknown-field", lambda d: d.update(vendor="example-erp"), "unknown field 'vendor'"),
    ("bad-url", lambda d: d["sources"][0].update(url="javascript:alert(1)"), "not an http(s) URL"),
]


def test_incident_fixture_is_valid(tmp_path):
    assert _check_incident(tmp_path, INCIDENT) == []


@pytest.mark.parametrize("name,change,message", INCIDENT_REFUSED, ids=[r[0] for r in INCIDENT_REFUSED])
def test_incident_refusals(tmp_path, name, change, message):
    data = copy.deepcopy(INCIDENT)
    change(data)
    problems = _check_incident(tmp_path, data)
    assert any(message in p for p in problems), problems


def test_incident_loading_and_shape(tmp_path):
    _check_incident(tmp_path, INCIDENT)
    broken = copy.deepcopy(INCIDENT) | {"id": "broken-one", "kind": "nonsense"}
    _check_incident(tmp_path, broken, "broken-one.yaml")
    found, problems = incidents.load_incidents(tmp_path / "incidents")
    assert [x["id"] for x in found] == ["example-ecosystem-leak"]  # nothing from an invalid file
    assert problems and all("broken-one.yaml" in p for p in problems)
    inc = incidents.as_incident(found[0])
    assert inc["sources"] == INCIDENT["evidence"] and inc["kind"] == "ecosystem"
    assert incidents.incidents_dir(tmp_path / "vendors") == tmp_path / "incidents"


def test_pending_checks(tmp_path):
    folder = tmp_path / "pending"
    folder.mkdir()
    (folder / "example-pending.yaml").write_text(
        "name: Example Pending\nfacts: 'example facts, vendors: Example'\nreason: {en: Domain to check., zh: 待核实域名。}\n",
        encoding="utf-8")
    (folder / "half.yaml").write_text("name: Half\nfacts: x\nreason: {en: only English}\n", encoding="utf-8")
    found, problems = incidents.load_pending(folder)
    assert [(x["name"], x["slug"]) for x in found] == [("Example Pending", "example-pending")]
    assert any("half.yaml" in p and "missing required field 'zh'" in p for p in problems), problems


def test_repository_files_are_valid():
    """The incident files and pending checks in the repository pass their own checks."""
    found, problems = incidents.load_incidents()
    assert problems == [] and found
    assert {x["kind"] for x in found} <= set(incidents.KINDS)
    pending, problems = incidents.load_pending()
    assert problems == [] and {x["slug"] for x in pending} >= {"zhenyi-erp", "sellingexpress"}


def test_contributing_snippet_fits_the_schema(tmp_path):
    text = (Path(__file__).parent.parent / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## What the vendor does not say itself", 1)[1].split("\n## ", 1)[0]
    snippet = yamlsafe.load(section.split("```yaml\n", 1)[1].split("```", 1)[0].encode()).data
    data = copy.deepcopy(BASE)
    data.update(snippet)
    data["sources"] += [{"id": "example-listing", "url": "https://apps.example.com/x", "publisher": "Example Apps",
                         "kind": "marketplace"},
                        {"id": "example-policy", "url": "https://example-erp.test/policy", "publisher": "Example ERP",
                         "kind": "vendor"}]
    assert set(snippet) == {"languages", "company_unnamed", "policy_search", "reports", "observations"}
    assert _check(tmp_path, data) == []


def test_a_record_without_sources_says_only_that_nothing_was_found(tmp_path):
    search = copy.deepcopy(BASE["policy_search"])
    bare = {k: BASE[k] for k in ("schema_version", "id", "name")} | {"sources": [], "policy_search": search}
    assert _check(tmp_path, bare) == []
    no_search = {k: v for k, v in bare.items() if k != "policy_search"}
    assert any("at least one source is required" in p for p in _check(tmp_path, no_search))
    with_reports = bare | {"reports": BASE["reports"]}
    assert any("reports cite sources, but sources: is empty" in p for p in _check(tmp_path, with_reports))
    assert any("at least one source is required" in p
               for p in _check(tmp_path, {k: v for k, v in no_search.items() if k != "sources"} | {"sources": []}))
