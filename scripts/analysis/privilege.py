"""Least privilege: the marketplace data access a vendor requests, against what its features need.

"Need" is ERP Watch's reading of Amazon's SP-API documentation (`analysis:` in reference/sp-api.yaml), not
Amazon's statement, and every result carries that note. The judgement is deliberately conservative, because
it is published about real companies:
- access is called excess only when the analysis clearly supports it; where a feature's own role could
  request a report but the analysis does not say whether the feature needs it, the entry is left unassessed;
- a fuller report where the analysis names a lighter one is "more than the minimum", not "not needed";
- when nothing can be compared, the result says "not enough information", never "no excess".

Pure function of the record and the reference file.
"""

from __future__ import annotations

from scripts.lang.text import plain
from scripts.records.load import sp_api

# The same roles and report types are behind SP-API, the retired MWS and an Amazon seller API a source does
# not name. The Ads API, Seller Central user seats and other channels are outside the analysis.
ASSESSABLE_APIS = ("sp-api", "mws", "amazon-api")

# Report types that each feature's minimum includes. `analysis.<feature>.minimum_data` is prose, so this is
# our reading of it, kept next to the code that uses it; tests/test_privilege.py checks that every report id
# the prose names is here. Features whose minimum is met by operations alone have none.
MINIMUM_REPORTS: dict[str, tuple[str, ...]] = {
    "review-requests": (),  # getOrders + createProductReviewAndSellerFeedbackSolicitation
    "repricing": ("GET_MERCHANT_LISTINGS_DATA_LITE", "GET_FLAT_FILE_OPEN_LISTINGS_DATA"),  # "own SKUs"
    "inventory-sync": ("GET_MERCHANT_LISTINGS_DATA_LITER", "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"),
    "profit-analytics": ("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE", "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
                         "GET_V2_SETTLEMENT_REPORT_DATA_XML", "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"),
    "listing-management": (),  # catalog items and listings items (operations)
    "order-fulfilment": ("GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING", "GET_ORDER_REPORT_DATA_SHIPPING",
                         "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA_SHIPPING"),
}

# Listings reports ranked by how much they hold, from the `contains` texts in reference/sp-api.yaml: all
# listings > active listings with details > SKU, ASIN, price, quantity (LITE; price and quantity per SKU for
# the Inventory Report) > SKU and quantity (LITER). Only within this family can "a lighter report would do"
# be said; other reports are either needed, not needed, or unassessed.
LISTINGS_DETAIL = {
    "GET_MERCHANT_LISTINGS_ALL_DATA": 4,
    "GET_MERCHANT_LISTINGS_DATA": 3,
    "GET_MERCHANT_LISTINGS_DATA_LITE": 2,
    "GET_FLAT_FILE_OPEN_LISTINGS_DATA": 2,
    "GET_MERCHANT_LISTINGS_DATA_LITER": 1,
}

FEATURE_NAMES = {
    "review-requests": {"en": "review requests", "zh": "索评请求"},
    "repricing": {"en": "repricing", "zh": "自动调价"},
    "inventory-sync": {"en": "inventory sync", "zh": "库存同步"},
    "profit-analytics": {"en": "profit analytics", "zh": "利润分析"},
    "listing-management": {"en": "listing management", "zh": "商品刊登管理"},
    "order-fulfilment": {"en": "order fulfilment", "zh": "订单履行"},
    "ppc": {"en": "advertising (PPC)", "zh": "广告(PPC)"},
    "review-monitoring": {"en": "review monitoring", "zh": "评论监控"},
    "product-research": {"en": "product research", "zh": "选品调研"},
    "market-data": {"en": "market data", "zh": "市场数据"},
    "customer-messaging": {"en": "customer messaging", "zh": "买家消息"},
    "other": {"en": "other features", "zh": "其他功能"},
}

BASIS_NOTE = {
    "en": "This comparison is ERP Watch's own reasoning from Amazon's SP-API documentation (roles, report types "
          "and what they contain), not a statement by Amazon or by the vendor. Amazon grants roles to a whole "
          "application, not per feature, so a vendor may hold a role for a feature this record does not list.",
    "zh": "以上对比是 ERP Watch 根据亚马逊 SP-API 文档(角色、报告类型及其内容)作出的自行分析,并非亚马逊或服务商的说法。"
          "亚马逊按整个应用而非按功能授予角色,因此服务商持有某个角色,可能是为了本记录未列出的功能。",
}

# Order of strength when an entry is compared with several features: one feature that needs it is enough.
_RANK = {"needed": 0, "unclear": 1, "more-than-minimum": 2, "not-needed": 3}


def cite(path: str, citations) -> list[dict]:
    """Evidence items for the citations of one record part, quotes copied as the record gives them."""
    return [{"path": path, "source": c.get("source"), "quote": c.get("quote")}
            for c in citations or [] if isinstance(c, dict)]


def feature_name(feature: str, lang: str) -> str:
    return FEATURE_NAMES.get(feature, {"en": feature, "zh": feature})[lang]


def report_label(report: str, lang: str = "en") -> str:
    info = sp_api().get("reports", {}).get(report, {})
    name = info.get("zh") if lang == "zh" and info.get("zh") else info.get("name")
    return f"{name} ({report})" if name else report


def access_label(entry: dict, lang: str = "en") -> str:
    if "role" in entry:
        role = sp_api()["roles"].get(entry["role"], {})
        prefix = "SP-API 角色" if lang == "zh" else "SP-API role"
        return f"{prefix} {role.get('name', entry['role'])} ({entry['role']})"
    if "report" in entry:
        return report_label(entry["report"], lang)
    return plain(entry.get("data"), lang)


def _report_roles(report: str) -> set[str]:
    return {r for r, v in sp_api()["roles"].items() if report in v.get("reports", [])}


def _name(report: str) -> str:
    return sp_api().get("reports", {}).get(report, {}).get("name", report)


def _contains(report: str) -> str:
    return sp_api().get("reports", {}).get(report, {}).get("contains", "")


def _join(items, lang: str) -> str:
    return "、".join(items) if lang == "zh" else ", ".join(items)


def _features(record: dict) -> tuple[dict, dict]:
    """Offered features split into those with a usable analysis and the rest, each merged over duplicates."""
    analysis = sp_api().get("analysis", {})
    assessed, other = {}, {}
    for j, f in enumerate(record.get("features") or []):
        fid = f.get("feature")
        a = analysis.get(fid)
        # An analysis without minimum roles (ppc: the Ads API, "not covered here") cannot judge SP-API access.
        target = assessed if a and a.get("minimum_roles") else other
        item = target.setdefault(fid, {"feature": fid, "evidence": []})
        item["evidence"] += cite(f"features[{j}]", f.get("sources"))
    for fid, item in assessed.items():
        a = analysis[fid]
        item.update(name={lang: feature_name(fid, lang) for lang in ("en", "zh")}, roles=list(a["minimum_roles"]),
                    reports=list(MINIMUM_REPORTS.get(fid, ())), data=a.get("minimum_data", ""))
    for fid, item in other.items():
        note = (analysis.get(fid) or {}).get("note")
        item.update(name={lang: feature_name(fid, lang) for lang in ("en", "zh")}, reason={
            "en": f"ERP Watch's analysis gives no minimum SP-API access for it{f' ({note})' if note else ''}.",
            "zh": "ERP Watch 的分析未给出该功能所需的最低 SP-API 访问权限"
                  + ("(分析说明:广告使用独立的亚马逊广告 API,不在本分析范围内)" if fid == "ppc" else "") + "。"})
    return assessed, other


def _report_verdict(report: str, feat: dict) -> tuple[str, list[str]]:
    """How one feature's minimum relates to a report: the verdict and, for "more than the minimum", the
    lighter reports the analysis names."""
    minimum = feat["reports"]
    ranked = [r for r in minimum if r in LISTINGS_DETAIL]
    lighter_or_equal = report in LISTINGS_DETAIL and any(LISTINGS_DETAIL[report] <= LISTINGS_DETAIL[r] for r in ranked)
    if report in minimum or lighter_or_equal:
        return "needed", []
    if not _report_roles(report) & set(feat["roles"]):
        return "not-needed", []
    if report in LISTINGS_DETAIL and ranked:
        return "more-than-minimum", ranked
    return "unclear", []


def _why_report(report: str, verdicts: list, unassessed: dict) -> dict:
    en, zh = [], []
    # Features that do not need it first, then those for which a lighter report would do: the conclusion
    # ("more than the minimum" or "not needed") follows from the last kind named.
    for feat, verdict, lighter in sorted(verdicts, key=lambda v: -_RANK[v[1]]):
        n_en, n_zh = feat["name"]["en"], feat["name"]["zh"]
        if verdict == "not-needed":
            a = sp_api()["analysis"][feat["feature"]]
            named = [str(x) for x in a.get("not_needed", []) if report in str(x)]
            en.append(f"For {n_en}, it is not needed: none of the minimum roles ({', '.join(feat['roles'])}) can "
                      f"request this report"
                      + (f"; ERP Watch's analysis lists {'; '.join(named)} as not needed for {n_en}" if named else "")
                      + (f" (basis: {a['basis']})" if a.get("basis") else "") + ".")
            zh.append(f"对{n_zh}而言,不需要此报告:其最低所需角色({'、'.join(feat['roles'])})都无法请求该报告"
                      + (f";本站分析也将 {'; '.join(named)} 列为{n_zh}不需要的数据" if named else "")
                      + (f"(分析依据:{a['basis']})" if a.get("basis") else "") + "。")
        elif verdict == "more-than-minimum":
            alt_en = " or ".join(f"the {_name(r)} ({r}: {_contains(r)})" for r in lighter)
            alt_zh = " 或 ".join(f"{r}(内容:{_contains(r)})" for r in lighter)
            en.append(f"For {n_en}, the seller's own SKUs are needed, but the analysis names a lighter report for "
                      f"that: {alt_en}. The {_name(report)} holds more: {_contains(report)}.")
            zh.append(f"对{n_zh}而言,需要卖家自己的 SKU,但本站分析指出更精简的报告即可满足:{alt_zh}。"
                      f"此报告包含的内容更多(内容:{_contains(report)})。")
    if any(v == "more-than-minimum" for _, v, _ in verdicts):
        en.append("So it is more than the minimum these features need, rather than not needed at all.")
        zh.append("因此,它超出了这些功能所需的最低限度,但并非完全不需要。")
    else:
        en.append("None of the listed features that the analysis covers needs it.")
        zh.append("记录中列出且在分析范围内的功能都不需要它。")
    en.append(_unassessed_note(unassessed, "en"))
    zh.append(_unassessed_note(unassessed, "zh"))
    return {"en": " ".join(x for x in en if x), "zh": "".join(x for x in zh if x)}


def _why_role(role: str, feats: list[dict], unassessed: dict) -> dict:
    info = sp_api()["roles"].get(role, {})
    en = [f"For {f['name']['en']}, it is not needed: the minimum roles are {', '.join(f['roles'])}." for f in feats]
    zh = [f"对{f['name']['zh']}而言,不需要该角色:其最低所需角色为{'、'.join(f['roles'])}。" for f in feats]
    if info.get("restricted"):
        pii = ", ".join(info.get("pii", []))
        en.append(f"{info.get('name', role)} is a restricted role: it gives access to buyers' personal data ({pii}).")
        zh.append(f"{info.get('name', role)} 是受限角色,可访问买家个人信息({pii})。")
    en.append(_unassessed_note(unassessed, "en"))
    zh.append(_unassessed_note(unassessed, "zh"))
    return {"en": " ".join(x for x in en if x), "zh": "".join(x for x in zh if x)}


def _unassessed_note(unassessed: dict, lang: str) -> str:
    if not unassessed:
        return ""
    names = _join([feature_name(f, lang) for f in unassessed], lang)
    if lang == "zh":
        return f"记录还列出了分析未涵盖的功能({names}),它们是否用到这些数据未作评估。"
    return f"The record also lists features the analysis does not cover ({names}); whether they use this data is not assessed."


def least_privilege(record: dict) -> dict:
    """Compare `access` with what the offered features need.

    Returns {"status": "assessed" | "not-enough-information", "summary": {en, zh},
    "needed": [{feature, name, roles, reports, data, evidence}],
    "requested": [{path, api, role|report|data, label: {en, zh}, verdict}]  (verdict: needed, more-than-minimum,
        not-needed, unclear, not-assessed),
    "excess": [{access, verdict, why: {en, zh}, evidence}], "within": [{access, evidence}],
    "not_assessed": [{feature, name, reason, evidence}], "not_assessed_access": [{access, reason}],
    "basis_note": {en, zh}}.
    """
    assessed, unassessed = _features(record)
    requested, excess, within, skipped = [], [], [], []
    for i, entry in enumerate(record.get("access") or []):
        path = f"access[{i}]"
        desc = {"path": path, "api": entry.get("api"), "label": {lang: access_label(entry, lang) for lang in ("en", "zh")}}
        for key in ("role", "report", "data"):
            if key in entry:
                desc[key] = entry[key]
        evidence = cite(path, entry.get("sources"))
        if entry.get("api") not in ASSESSABLE_APIS:
            reason = {"en": f"Through a channel outside the SP-API analysis ({entry.get('api')}).",
                      "zh": f"属于 SP-API 分析范围之外的渠道({entry.get('api')})。"}
        elif not ({"role", "report"} & set(entry)):
            reason = {"en": "Described in words, not as an SP-API role or report type.",
                      "zh": "仅以文字描述,未写明 SP-API 角色或报告类型。"}
        else:
            reason = None
        if reason:
            requested.append({**desc, "verdict": "not-assessed"})
            skipped.append({"access": desc, "reason": reason})
            continue
        if not assessed:
            requested.append({**desc, "verdict": "not-assessed"})
            skipped.append({"access": desc, "reason": {
                "en": "None of the listed features has a minimum SP-API access in ERP Watch's analysis to compare it with.",
                "zh": "本站分析未给出所列任何功能的最低 SP-API 访问需求,无从对比。"}})
            continue
        if "role" in entry:
            verdicts = [(f, "needed" if entry["role"] in f["roles"] else "not-needed", []) for f in assessed.values()]
        else:
            verdicts = [(f, *_report_verdict(entry["report"], f)) for f in assessed.values()]
        verdict = min((v for _, v, _ in verdicts), key=_RANK.__getitem__)
        requested.append({**desc, "verdict": verdict})
        feature_evidence = [e for f, _, _ in verdicts for e in f["evidence"]]
        if verdict == "needed":
            needers = [f for f, v, _ in verdicts if v == "needed"]
            within.append({"access": desc, "evidence": evidence + [e for f in needers for e in f["evidence"]]})
        elif verdict == "unclear":
            skipped.append({"access": desc, "reason": {
                "en": "A role of a listed feature can request it, but the analysis does not say whether the feature needs it.",
                "zh": "所列功能的某个角色可以请求该报告,但本站分析未说明该功能是否需要它。"}})
        else:
            why = (_why_role(entry["role"], [f for f, _, _ in verdicts], unassessed) if "role" in entry
                   else _why_report(entry["report"], verdicts, unassessed))
            excess.append({"access": desc, "verdict": verdict, "why": why, "evidence": evidence + feature_evidence})
    checkable = len(requested) - sum(1 for r in requested if r["verdict"] == "not-assessed")
    enough = bool(assessed) and checkable > 0
    return {
        "status": "assessed" if enough else "not-enough-information",
        "summary": _summary(enough, assessed, requested, excess, within, skipped),
        "needed": list(assessed.values()),
        "requested": requested,
        "excess": excess,
        "within": within,
        "not_assessed": list(unassessed.values()),
        "not_assessed_access": skipped,
        "basis_note": BASIS_NOTE,
    }


def _summary(enough, assessed, requested, excess, within, skipped) -> dict:
    if not enough:
        if not requested:
            why_en, why_zh = "the record lists no data access", "记录中没有数据访问条目"
        elif not assessed:
            why_en, why_zh = ("none of the listed features has a minimum SP-API access in ERP Watch's analysis",
                              "本站分析未给出所列任何功能的最低 SP-API 访问需求")
        else:
            why_en, why_zh = ("none of the recorded access names an SP-API role or report type that can be checked",
                              "记录中的数据访问都没有可供核对的 SP-API 角色或报告类型")
        return {"en": f"Not enough information to compare access with needs: {why_en}.",
                "zh": f"信息不足,无法对比数据访问与功能所需:{why_zh}。"}
    more = sum(1 for e in excess if e["verdict"] == "more-than-minimum")
    return {
        "en": f"Of {len(requested)} access entries, {len(within)} within what the features need, {more} more than "
              f"the minimum, {len(excess) - more} not needed, {len(skipped)} not assessed.",
        "zh": f"共 {len(requested)} 项数据访问:{len(within)} 项在功能所需范围内,{more} 项超出最低限度,"
              f"{len(excess) - more} 项不需要,{len(skipped)} 项未评估。",
    }
