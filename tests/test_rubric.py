"""Transparency rubric: questions as data, answers derived from fictional records with their evidence, the
no-answer-without-evidence invariant over every real record, and the real BQool record's answers."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from scripts.analysis import rubric
from scripts.analysis.rubric import evaluate, load_rubric
from scripts.records import load as records

CJK = re.compile(r"[\u4e00-\u9fff]")
QUESTION_IDS = ["data-minimisation", "privacy-by-default", "disclosure-of-data-pulled", "retention-stated",
                "deletion-on-request", "sharing-or-resale", "incident-response"]


def cit(source, quote):
    return [{"source": source, "quote": quote}]


SOURCES = [
    {"id": "terms", "url": "https://tool.example.com/terms", "title": "Terms", "publisher": "Example Tool",
     "kind": "vendor", "retrieved": "2025-01-10"},
    {"id": "news", "url": "https://news.example.test/story", "publisher": "Example News", "kind": "press",
     "retrieved": "2025-01-11"},
]

RICH = {
    "schema_version": 1, "id": "example-tool", "name": "Example Tool", "website": "https://tool.example.com/",
    "sources": SOURCES,
    "claims": [
        {"id": "keeps-90", "topic": "retention", "summary": "Kept 90 days.", "since": "2023",
         "sources": cit("terms", "We keep data for 90 days."),
         "ended": {"date": "2024-03", "reason": "superseded", "superseded_by": "keeps-30",
                   "sources": cit("terms", "We keep data for 30 days.")}},
        {"id": "keeps-30", "topic": "retention", "summary": {"en": "Kept 30 days.", "zh": "保留 30 天。"},
         "since": "2024-03", "sources": cit("terms", "We keep data for 30 days.")},
        {"id": "deletes", "topic": "deletion", "summary": "Deletes on request.",
         "sources": cit("terms", "We delete your data when you ask.")},
        {"id": "no-resale", "topic": "resale", "summary": "Does not sell data.",
         "sources": cit("terms", "We never sell your data.")},
    ],
    "access": [
        {"api": "sp-api", "role": "pricing", "sources": cit("terms", "The app uses the Pricing role.")},
        {"api": "sp-api", "report": "GET_MERCHANT_LISTINGS_DATA_LITE", "sources": cit("terms", "We read your SKUs.")},
    ],
    "features": [{"feature": "repricing", "sources": cit("terms", "Automatic repricing.")}],
    "toggles": [{"id": "sku-sync", "name": "SKU sync", "history": [
        {"effective": "2023-01", "default": "on", "applies_to": "all-accounts", "sources": cit("terms", "on for all")},
        {"effective": "2024-02-01", "default": "off", "applies_to": "all-accounts", "sources": cit("news", "now off")},
    ]}],
    "incidents": [{"id": "pulls", "title": "Frequent downloads", "status": "vendor-responded",
                   "summary": "A seller reported downloads.", "sources": cit("news", "a seller said"),
                   "vendor_response": {"summary": "The vendor explained.", "sources": cit("news", "the vendor said")}}],
}

EMPTY = {"schema_version": 1, "id": "bare-tool", "name": "Bare Tool", "website": "https://bare.example.com/",
         "sources": [{"id": "home", "url": "https://bare.example.com/", "publisher": "Bare Tool", "kind": "vendor"}]}


def answers(record) -> dict:
    return {a["question"]: a for a in evaluate(record)}


def with_(base=RICH, **parts) -> dict:
    out = copy.deepcopy(base)
    out.update(copy.deepcopy(parts))
    return out


# --- the rubric as data -------------------------------------------------------------------------------

def test_rubric_questions_are_complete_and_bilingual():
    questions = load_rubric()
    assert [q["id"] for q in questions] == QUESTION_IDS
    labels = rubric.methodology()["answer_labels"]
    parts = set(records.schema()["properties"])
    for q in questions:
        for key in ("title", "question", "why", "how"):
            assert q[key]["en"].strip() and CJK.search(q[key]["zh"]), (q["id"], key)
        assert q["derive"] in rubric._DERIVE
        assert set(q["uses"]) <= parts
        declared = [a["answer"] for a in q["answers"]]
        assert "unknown" in declared and len(set(declared)) == len(declared)
        assert all(isinstance(a, str) and a in labels for a in declared)  # "yes"/"no" stay strings
        assert all(a["meaning"]["en"] and CJK.search(a["meaning"]["zh"]) for a in q["answers"])
    meth = rubric.methodology()
    assert meth["intro"]["en"] and CJK.search(meth["intro"]["zh"]) and meth["principles"]


def test_statement_questions_never_answer_no():
    # Absence of a statement is never "no": the rule cannot produce it, and the rubric does not offer it.
    for q in load_rubric():
        if q["derive"] in ("retention", "deletion", "sharing", "disclosure"):
            assert "no" not in [a["answer"] for a in q["answers"]]


def test_fixture_records_are_valid(tmp_path):
    for r in (RICH, EMPTY):
        (tmp_path / f"{r['id']}.yaml").write_text(records.SCHEMA_LINE + "\n" + yaml.safe_dump(r, allow_unicode=True),
                                                  encoding="utf-8")
    loaded, problems = records.load_vendors(tmp_path)
    assert problems == [] and len(loaded) == 2


# --- answers ------------------------------------------------------------------------------------------

def test_rich_record_answers_every_question_with_evidence():
    got = answers(RICH)
    assert {q: a["answer"] for q, a in got.items()} == {
        "data-minimisation": "yes", "privacy-by-default": "yes", "disclosure-of-data-pulled": "yes",
        "retention-stated": "yes", "deletion-on-request": "yes", "sharing-or-resale": "yes",
        "incident-response": "yes"}
    for a in got.values():
        assert a["evidence"] and a["explanation"]["en"] and a["explanation"]["zh"]
    # retention: the current claim is the evidence; the ended one is mentioned, not cited
    assert got["retention-stated"]["evidence"] == [
        {"path": "claims[1]", "source": "terms", "quote": "We keep data for 30 days."}]
    assert "keeps-90" in got["retention-stated"]["explanation"]["en"]
    assert "保留 30 天" in got["retention-stated"]["explanation"]["zh"]
    # the later all-accounts default replaces the earlier one
    assert got["privacy-by-default"]["evidence"] == [{"path": "toggles[0].history[1]", "source": "news", "quote": "now off"}]
    assert {e["path"] for e in got["data-minimisation"]["evidence"]} == {"access[0]", "access[1]", "features[0]"}
    assert got["incident-response"]["evidence"][0]["path"] == "incidents[0].vendor_response"


def test_empty_record_is_unknown_everywhere_without_evidence():
    got = evaluate(EMPTY)
    assert [a["question"] for a in got] == QUESTION_IDS
    assert all(a["answer"] == "unknown" and a["evidence"] == [] for a in got)
    assert all(a["explanation"]["en"] and CJK.search(a["explanation"]["zh"]) for a in got)


def test_evaluate_is_pure():
    before = copy.deepcopy(RICH)
    assert evaluate(RICH) == evaluate(RICH)
    assert RICH == before


def test_ended_claims_do_not_count():
    claims = [c for c in RICH["claims"] if c["id"] == "keeps-90"]
    claims = [dict(claims[0], ended={"date": "2024-03", "reason": "removed", "sources": cit("terms", "gone")})]
    got = answers(with_(claims=claims))["retention-stated"]
    assert got["answer"] == "unknown" and got["evidence"] == []
    assert "keeps-90" in got["explanation"]["en"] and "keeps-90" in got["explanation"]["zh"]
    ended_deletion = [dict(RICH["claims"][2], ended={"date": "2024", "reason": "retracted", "sources": cit("news", "x")})]
    assert answers(with_(claims=ended_deletion))["deletion-on-request"]["answer"] == "unknown"


def test_other_topics_do_not_answer_deletion_or_sharing():
    got = answers(with_(claims=[RICH["claims"][1]]))
    assert got["deletion-on-request"]["answer"] == "unknown" and got["sharing-or-resale"]["answer"] == "unknown"


# --- privacy by default -------------------------------------------------------------------------------

def toggle(*history):
    return [{"id": "dl", "name": {"en": "Report download", "zh": "报告下载"}, "history": list(history)}]


def entry(default, applies_to, source="terms", effective=None, quote=None):
    e = {"default": default, "applies_to": applies_to, "sources": cit(source, quote or f"{default} {applies_to}")}
    if effective:
        e["effective"] = effective
    return e


def test_conflicting_sources_are_disputed_with_both_sides_cited():
    # The vendor's undated help page says on; a press report of vendor support says off for new sign-ups
    # from 31 May, year not given: their order cannot be established.
    rec = with_(toggles=toggle(entry("on", "not-stated", "terms", quote="on by default"),
                               entry("off", "new-sign-ups", "news", "XXXX-05-31", quote="off for new users")))
    got = answers(rec)["privacy-by-default"]
    assert got["answer"] == "disputed"
    assert got["evidence"] == [
        {"path": "toggles[0].history[0]", "source": "terms", "quote": "on by default"},
        {"path": "toggles[0].history[1]", "source": "news", "quote": "off for new users"}]
    assert "disagree" in got["explanation"]["en"] and "31 May, year not given" in got["explanation"]["en"]
    assert "说法不一" in got["explanation"]["zh"] and "年份未知" in got["explanation"]["zh"]


def test_two_undated_entries_for_the_same_accounts_disagree():
    got = answers(with_(toggles=toggle(entry("on", "all-accounts"), entry("off", "all-accounts", "news"))))
    assert got["privacy-by-default"]["answer"] == "disputed"


@pytest.mark.parametrize("history, expected", [
    ([entry("off", "all-accounts")], "yes"),
    ([entry("off", "not-stated")], "yes"),  # an entry that does not limit its accounts is the general default
    ([entry("off", "new-sign-ups"), entry("off", "existing-accounts")], "yes"),
    ([entry("on", "all-accounts")], "no"),
    ([entry("on", "new-sign-ups")], "no"),
    ([entry("off", "new-sign-ups", effective="2024-05-31")], "partly"),  # existing accounts: not stated
    ([entry("on", "all-accounts", effective="2023"), entry("off", "new-sign-ups", effective="2024-05-31")], "partly"),
    ([entry("off", "new-sign-ups", effective="2023"), entry("on", "all-accounts", effective="2024")], "no"),
])
def test_default_rules(history, expected):
    got = answers(with_(toggles=toggle(*history)))["privacy-by-default"]
    assert got["answer"] == expected and got["evidence"]


def test_new_sign_ups_only_says_existing_accounts_are_not_stated():
    got = answers(with_(toggles=toggle(entry("off", "new-sign-ups", effective="2024-05-31"))))["privacy-by-default"]
    assert "existing accounts the sources do not say" in got["explanation"]["en"]
    assert "现有账户的默认值来源未说明" in got["explanation"]["zh"]


def test_one_clear_setting_and_one_disputed_setting_is_disputed():
    toggles = toggle(entry("off", "all-accounts")) + [
        {"id": "other", "name": "Other", "history": [entry("on", "not-stated"), entry("off", "not-stated", "news")]}]
    assert answers(with_(toggles=toggles))["privacy-by-default"]["answer"] == "disputed"


# --- disclosure, incidents, data minimisation ---------------------------------------------------------

def test_disclosure_levels():
    words = [{"api": "amazon-api", "data": "orders", "sources": cit("terms", "we read orders")}]
    press = [{"api": "amazon-api", "report": "GET_MERCHANT_LISTINGS_DATA", "sources": cit("news", "it pulls listings")}]
    got = answers(with_(access=words))["disclosure-of-data-pulled"]
    assert got["answer"] == "partly" and got["evidence"][0]["source"] == "terms"
    got = answers(with_(access=press))["disclosure-of-data-pulled"]
    assert got["answer"] == "partly" and "Only other sources" in got["explanation"]["en"]
    assert got["evidence"] == [{"path": "access[0]", "source": "news", "quote": "it pulls listings"}]
    got = answers(with_(access=press + RICH["access"]))["disclosure-of-data-pulled"]
    assert got["answer"] == "yes" and {e["source"] for e in got["evidence"]} == {"terms"}  # only the vendor's word


def test_incident_answers():
    responded = RICH["incidents"][0]
    silent = {"id": "quiet", "title": "Another report", "status": "reported", "summary": "Reported.",
              "sources": cit("news", "reported"), "vendor_response": {"none_recorded_as_of": "2025-01-11"}}
    got = answers(with_(incidents=[silent]))["incident-response"]
    assert got["answer"] == "none-recorded" and got["evidence"][0]["path"] == "incidents[0]"
    assert "11 January 2025" in got["explanation"]["en"] and "2025年1月11日" in got["explanation"]["zh"]
    assert answers(with_(incidents=[responded, silent]))["incident-response"]["answer"] == "partly"


def test_data_minimisation_answers():
    feats = RICH["features"]
    listings = [{"api": "sp-api", "report": "GET_MERCHANT_LISTINGS_DATA", "sources": cit("terms", "listings")}]
    pii = [{"api": "sp-api", "role": "direct-to-consumer-shipping", "sources": cit("terms", "shipping role")}]
    words = [{"api": "amazon-api", "data": "orders", "sources": cit("terms", "orders")}]
    research = [{"feature": "product-research", "sources": cit("terms", "research")}]
    got = answers(with_(access=listings, features=feats))["data-minimisation"]
    assert got["answer"] == "partly" and "more than the minimum" in got["explanation"]["en"]
    got = answers(with_(access=pii, features=feats))["data-minimisation"]
    assert got["answer"] == "no" and {e["path"] for e in got["evidence"]} == {"access[0]", "features[0]"}
    # a feature outside the analysis might explain it: not a flat "no"
    assert answers(with_(access=pii, features=feats + research))["data-minimisation"]["answer"] == "partly"
    # within needs, but part of the access could not be assessed: not "yes"
    got = answers(with_(access=RICH["access"] + words, features=feats))["data-minimisation"]
    assert got["answer"] == "unknown" and got["evidence"] == []
    assert answers(with_(access=words, features=feats))["data-minimisation"]["answer"] == "unknown"
    for a in (answers(with_(access=listings, features=feats)), answers(RICH)):
        assert "not a statement by Amazon" in a["data-minimisation"]["explanation"]["en"]


# --- invariants -------------------------------------------------------------------------------------

def _part(record, path):
    """The record part an evidence path names ("toggles[0].history[1]", "incidents[2].vendor_response")."""
    node = record
    for name, index in re.findall(r"([a-z_]+)(?:\[(\d+)\])?", path):
        node = node[name]
        if index:
            node = node[int(index)]
    return node


def _check_evidence(record):
    source_ids = {s["id"] for s in record["sources"]}
    for a in evaluate(record):
        if a["answer"] == "no-policy-found":
            # rests on the record's policy_search (a search, not a passage), so it cites no source
            assert record.get("policy_search"), (record["id"], a["question"])
        elif a["answer"] != "unknown":
            assert a["evidence"], (record["id"], a["question"])
        for e in a["evidence"]:
            assert e["source"] in source_ids, (record["id"], a["question"], e)
            citations = _part(record, e["path"]).get("sources", [])
            # the quote is copied from the record, at the very part the path names
            assert {"source": e["source"], "quote": e["quote"]} in [
                {"source": c["source"], "quote": c.get("quote")} for c in citations], (record["id"], e)


def test_evidence_invariant_on_every_real_record():
    loaded, problems = records.load_vendors()
    assert loaded and problems == []
    for record in loaded:
        _check_evidence(record)


def test_evidence_invariant_on_fictional_records():
    variants = [RICH, EMPTY,
                with_(toggles=toggle(entry("on", "not-stated"), entry("off", "new-sign-ups", "news", "XXXX-05-31"))),
                with_(access=[{"api": "sp-api", "role": "tax-invoicing", "sources": cit("news", "tax")}])]
    for record in variants:
        _check_evidence(record)


def test_an_answer_without_evidence_is_refused(monkeypatch):
    monkeypatch.setitem(rubric._DERIVE, "retention", lambda record: ("yes", [], {"en": "x", "zh": "x"}))
    with pytest.raises(AssertionError, match="without evidence"):
        evaluate(EMPTY)
    monkeypatch.setitem(rubric._DERIVE, "retention", lambda record: ("no", [{"path": "x", "source": "s", "quote": None}],
                                                                     {"en": "x", "zh": "x"}))
    with pytest.raises(AssertionError, match="not one of"):
        evaluate(EMPTY)


# --- the real BQool record ------------------------------------------------------------------------------

def test_bqool_answers():
    bqool = next(r for r in records.load_vendors()[0] if r["id"] == "bqool")
    got = answers(bqool)
    dm = got["data-minimisation"]
    assert dm["answer"] == "partly"  # more than the minimum, not "not needed"
    assert "GET_MERCHANT_LISTINGS_DATA" in dm["explanation"]["en"]
    assert any(e["path"] == "access[0]" for e in dm["evidence"])
    pbd = got["privacy-by-default"]
    assert pbd["answer"] == "disputed"
    assert {e["source"] for e in pbd["evidence"]} == {"bqool-review-settings", "eeeen-article"}
    # no statement recorded and no privacy policy found (policy_search), so not "no"
    assert got["sharing-or-resale"]["answer"] == "no-policy-found"
