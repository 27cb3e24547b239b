"""Least privilege: access against what features need, on fictional vendors; the real BQool record's excess."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from scripts.analysis import privilege
from scripts.analysis.privilege import least_privilege
from scripts.records import load as records

SOURCES = [
    {"id": "help", "url": "https://tool.example.com/help", "publisher": "Example Tool", "kind": "vendor",
     "retrieved": "2025-01-10"},
    {"id": "news", "url": "https://news.example.test/a", "publisher": "Example News", "kind": "press",
     "retrieved": "2025-01-11"},
]


def rec(access=(), features=(), **more) -> dict:
    out = {"schema_version": 1, "id": "example-tool", "name": "Example Tool", "website": "https://tool.example.com/",
           "sources": copy.deepcopy(SOURCES), "access": list(access), "features": list(features)}
    out.update(more)
    return out


def role(name, source="help", api="sp-api"):
    return {"api": api, "role": name, "sources": [{"source": source, "quote": f"we use {name}"}]}


def report(name, source="help", api="sp-api"):
    return {"api": api, "report": name, "sources": [{"source": source, "quote": f"we download {name}"}]}


def feature(name, source="help"):
    return {"feature": name, "sources": [{"source": source, "quote": f"we offer {name}"}]}


def test_fixtures_are_valid_records(tmp_path):
    r = rec([role("pricing"), report("GET_MERCHANT_LISTINGS_DATA", api="amazon-api"),
             {"api": "ads-api", "data": "ads", "sources": [{"source": "help"}]}],
            [feature("repricing"), feature("ppc"), feature("market-data")])
    (tmp_path / "example-tool.yaml").write_text(records.SCHEMA_LINE + "\n" + yaml.safe_dump(r, allow_unicode=True),
                                                encoding="utf-8")
    assert records.load_vendors(tmp_path)[1] == []


def test_within_needs_no_excess():
    lp = least_privilege(rec([role("pricing"), report("GET_MERCHANT_LISTINGS_DATA_LITE")], [feature("repricing")]))
    assert lp["status"] == "assessed"
    assert lp["excess"] == [] and lp["not_assessed_access"] == []
    assert [w["access"]["path"] for w in lp["within"]] == ["access[0]", "access[1]"]
    assert {r["verdict"] for r in lp["requested"]} == {"needed"}
    # a lighter report than the minimum is within it too
    assert least_privilege(rec([report("GET_MERCHANT_LISTINGS_DATA_LITER")], [feature("repricing")]))["excess"] == []
    needed = lp["needed"][0]
    assert needed["feature"] == "repricing" and needed["roles"] == ["pricing"]
    assert needed["evidence"] == [{"path": "features[0]", "source": "help", "quote": "we offer repricing"}]


def test_role_not_needed_is_excess_and_restricted_roles_say_so():
    lp = least_privilege(rec([role("buyer-solicitation"), role("direct-to-consumer-shipping", source="news")],
                             [feature("review-requests")]))
    assert [e["access"]["role"] for e in lp["excess"]] == ["direct-to-consumer-shipping"]
    item = lp["excess"][0]
    assert item["verdict"] == "not-needed"
    assert "buyer-solicitation" in item["why"]["en"] and "restricted" in item["why"]["en"]
    assert "受限角色" in item["why"]["zh"]
    # evidence: the access entry's citation and the feature it was compared with
    assert {"path": "access[1]", "source": "news", "quote": "we use direct-to-consumer-shipping"} in item["evidence"]
    assert {"path": "features[0]", "source": "help", "quote": "we offer review-requests"} in item["evidence"]


def test_fuller_report_is_more_than_the_minimum_not_unneeded():
    lp = least_privilege(rec([report("GET_MERCHANT_LISTINGS_DATA")], [feature("inventory-sync")]))
    (item,) = lp["excess"]
    assert item["verdict"] == "more-than-minimum"
    assert "GET_MERCHANT_LISTINGS_DATA_LITER" in item["why"]["en"]  # the lighter report is named
    assert "rather than not needed" in item["why"]["en"]


def test_report_no_minimum_role_can_request_is_not_needed():
    lp = least_privilege(rec([report("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE")], [feature("review-requests")]))
    (item,) = lp["excess"]
    assert item["verdict"] == "not-needed"
    assert "buyer-solicitation" in item["why"]["en"]


def test_one_feature_that_needs_it_is_enough():
    lp = least_privilege(rec([report("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE")],
                             [feature("review-requests"), feature("profit-analytics")]))
    assert lp["excess"] == [] and lp["within"][0]["access"]["report"] == "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE"


def test_unclear_reports_are_left_unassessed_not_called_excess():
    # The Amazon Fulfillment role (a profit-analytics minimum role) can request reimbursements, but the
    # analysis does not say whether profit analytics needs them: no verdict either way.
    lp = least_privilege(rec([report("GET_FBA_REIMBURSEMENTS_DATA")], [feature("profit-analytics")]))
    assert lp["excess"] == [] and lp["within"] == []
    assert [x["access"]["report"] for x in lp["not_assessed_access"]] == ["GET_FBA_REIMBURSEMENTS_DATA"]
    assert lp["requested"][0]["verdict"] == "unclear"


def test_features_without_analysis_are_listed_and_hedge_the_excess():
    lp = least_privilege(rec([role("finance-and-accounting")],
                             [feature("review-requests"), feature("market-data"), feature("ppc")]))
    assert [f["feature"] for f in lp["not_assessed"]] == ["market-data", "ppc"]
    assert all(f["reason"]["en"] and f["reason"]["zh"] for f in lp["not_assessed"])
    assert "Ads API" in lp["not_assessed"][1]["reason"]["en"]  # ppc: the analysis's own note
    assert "not assessed" in lp["excess"][0]["why"]["en"] and "market data" in lp["excess"][0]["why"]["en"]


@pytest.mark.parametrize("access, features", [
    ([], [feature("repricing")]),  # no access
    ([role("pricing")], []),  # no features
    ([role("pricing")], [feature("market-data"), feature("ppc")]),  # no feature with an analysis
    ([{"api": "amazon-api", "data": "orders", "sources": [{"source": "help"}]},
      {"api": "ads-api", "role": "pricing", "sources": [{"source": "help"}]}], [feature("repricing")]),  # nothing checkable
])
def test_not_enough_information_is_never_no_excess(access, features):
    lp = least_privilege(rec(access, features))
    assert lp["status"] == "not-enough-information"
    assert lp["excess"] == [] and lp["within"] == []
    assert lp["summary"]["en"].startswith("Not enough information") and "信息不足" in lp["summary"]["zh"]


def test_duplicate_features_are_merged():
    lp = least_privilege(rec([role("pricing")], [feature("repricing"), feature("repricing", source="news")]))
    assert len(lp["needed"]) == 1 and len(lp["needed"][0]["evidence"]) == 2


def test_basis_note_and_shape_on_every_result():
    for r in [rec(), rec([role("pricing")], [feature("repricing")]), *records.load_vendors()[0]]:
        lp = least_privilege(r)
        assert "not a statement by Amazon" in lp["basis_note"]["en"] and "并非亚马逊" in lp["basis_note"]["zh"]
        assert set(lp) >= {"status", "summary", "needed", "requested", "excess", "within", "not_assessed",
                           "not_assessed_access", "basis_note"}
        assert len(lp["requested"]) == len(r.get("access") or [])


def test_minimum_reports_follow_the_analysis():
    ref = records.sp_api()
    analysed = {k for k, v in ref["analysis"].items() if v.get("minimum_roles")}
    assert set(privilege.MINIMUM_REPORTS) == analysed
    for fid in analysed:
        named = set(re.findall(r"GET_[A-Z_]+", ref["analysis"][fid].get("minimum_data", "")))
        assert named <= set(privilege.MINIMUM_REPORTS[fid]), fid
    known = records.known_reports()
    assert all(r in known for rs in privilege.MINIMUM_REPORTS.values() for r in rs)
    assert all(r in known for r in privilege.LISTINGS_DETAIL)
    schema_features = records.schema()["$defs"]["feature"]["properties"]["feature"]["enum"]
    assert set(privilege.FEATURE_NAMES) == set(schema_features)


def test_real_records_excess_cites_the_record():
    for r in records.load_vendors()[0]:
        source_ids = {s["id"] for s in r["sources"]}
        for item in least_privilege(r)["excess"]:
            assert item["evidence"] and all(e["source"] in source_ids for e in item["evidence"])


def test_bqool_active_listings_report_is_more_than_the_minimum():
    bqool = next(r for r in records.load_vendors()[0] if r["id"] == "bqool")
    lp = least_privilege(bqool)
    assert lp["status"] == "assessed"
    assert {f["feature"] for f in lp["needed"]} == {"review-requests", "repricing"}
    assert {f["feature"] for f in lp["not_assessed"]} >= {"review-monitoring"}
    (item,) = lp["excess"]
    assert item["access"]["report"] == "GET_MERCHANT_LISTINGS_DATA"
    assert item["verdict"] == "more-than-minimum"  # repricing needs own SKUs; a lighter report would do
    assert {e["source"] for e in item["evidence"]} >= {"bqool-review-settings"}
    # the entries BQool describes only in words are listed as not assessed, not as fine
    assert all("data" in x["access"] for x in lp["not_assessed_access"]) and lp["not_assessed_access"]
