"""The transparency rubric: questions kept as data (reference/rubric.yaml), answers derived from a record.

`evaluate(record)` answers every question with the evidence it rests on: the citations of the record parts
that support it, each as {path, source, quote}. The honesty rules are enforced here, in one place, rather
than trusted to each rule (`_checked`): an answer other than "unknown" cites at least one passage, "unknown"
cites none, and every answer is one the question declares. The absence of a statement is never read as
"no"; claims with `ended` are mentioned but not counted; sources that disagree give "disputed" or "partly".

Pure function of the record and the reference files.
"""

from __future__ import annotations

import copy
import functools

from scripts.analysis import derive
from scripts.analysis.privilege import access_label, cite, least_privilege
from scripts.lang.i18n import t
from scripts.lang.text import plain
from scripts.records import dates, yamlsafe
from scripts.records.load import ROOT

RUBRIC_PATH = ROOT / "reference" / "rubric.yaml"


@functools.cache
def _reference() -> dict:
    # The records' loader: YAML 1.2 core schema, so the answers "yes" and "no" stay strings.
    return yamlsafe.load_reference(RUBRIC_PATH)


def load_rubric() -> list[dict]:
    """The questions, in order: id, title, question, why, how, uses, derive, answers [{answer, meaning}]."""
    return copy.deepcopy(_reference()["questions"])


def questions() -> tuple:
    """The questions, read-only (shared: not to be modified)."""
    return tuple(_reference()["questions"])


def answer_labels() -> dict:
    """Answer id -> label text, read-only (shared: not to be modified)."""
    return _reference()["answer_labels"]


def methodology() -> dict:
    """Everything the methodology page shows: intro, principles, answer_labels and the questions."""
    return copy.deepcopy(_reference())


def evaluate(record: dict) -> list[dict]:
    """One answer per question: {question, answer, evidence: [{path, source, quote}], explanation: {en, zh}}."""
    out = []
    for q in _reference()["questions"]:
        answer, evidence, explanation = _DERIVE[q["derive"]](record)
        out.append(_checked(q, {"question": q["id"], "answer": answer, "evidence": _dedupe(evidence),
                                "explanation": explanation}))
    return out


# Answers that rest on no passage: nothing supports "unknown"; "no-policy-found" rests on the record's dated
# policy_search, a search that found nothing to quote.
_NO_EVIDENCE = ("unknown", "no-policy-found")


def _checked(question: dict, result: dict) -> dict:
    # Explicit raises rather than `assert`, which `python -O` would strip.
    allowed = [a["answer"] for a in question["answers"]]
    if result["answer"] not in allowed:
        raise AssertionError(f"{question['id']}: answer {result['answer']!r} is not one of {allowed}")
    if result["answer"] not in _NO_EVIDENCE and not result["evidence"]:
        raise AssertionError(f"{question['id']}: answer {result['answer']!r} without evidence")
    if result["answer"] in _NO_EVIDENCE and result["evidence"]:
        raise AssertionError(f"{question['id']}: 'unknown' cites evidence; nothing should support it")
    return result


def _dedupe(evidence: list[dict]) -> list[dict]:
    seen, out = set(), []
    for e in evidence:
        key = (e["path"], e["source"], e["quote"])
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def _text(en: list[str], zh: list[str]) -> dict:
    return {"en": " ".join(x for x in en if x), "zh": "".join(x for x in zh if x)}


def _date(value, lang: str) -> str:
    try:
        return dates.render(value, lang)
    except (dates.DateError, TypeError):
        return str(value)


# --- data minimisation -------------------------------------------------------------------------------

def data_minimisation(record: dict):
    lp = least_privilege(record)
    en, zh = [lp["summary"]["en"]], [lp["summary"]["zh"]]
    if lp["status"] != "assessed":
        return "unknown", [], _text(en, zh)
    for item in lp["excess"]:
        en.append(f"{item['access']['label']['en']}: {item['why']['en']}")
        zh.append(f"{item['access']['label']['zh']}:{item['why']['zh']}")
    en.append(lp["basis_note"]["en"])
    zh.append(lp["basis_note"]["zh"])
    if lp["excess"]:
        # "no" only when nothing in the record could explain the access: no feature outside the analysis.
        flat_no = any(e["verdict"] == "not-needed" for e in lp["excess"]) and not lp["not_assessed"]
        return ("no" if flat_no else "partly"), [e for x in lp["excess"] for e in x["evidence"]], _text(en, zh)
    if lp["not_assessed_access"]:
        return "unknown", [], _text(en, zh)  # what could be checked is within needs, but not all of it
    return "yes", [e for x in lp["within"] for e in x["evidence"]], _text(en, zh)


# --- privacy by default -------------------------------------------------------------------------------

# Which groups of accounts an entry speaks for. An entry that does not say is read as the general default.
_GROUPS = {"new-sign-ups": ("new",), "existing-accounts": ("existing",), "all-accounts": ("new", "existing"),
           "not-stated": ("new", "existing")}


def _surely_latest(entries: list[dict]) -> dict | None:
    """The entry surely later than all the others, or None when their order cannot be established
    (an entry without a date, or without a year, cannot be placed)."""
    parsed = [(derive.parse_date(e.get("effective")), e) for e in entries]
    if any(d is None or d.lower() is None for d, _ in parsed):
        return None
    d_last, last = max(parsed, key=lambda p: p[0].lower())
    if all(e is last or dates.definitely_before(d, d_last) for d, e in parsed):
        return last
    return None


def _toggle_defaults(toggle: dict) -> tuple[dict, list[dict]]:
    """Current default entries per group of accounts ({"new": [...], "existing": [...]}; a group no entry
    speaks for is absent), and the entries that disagree when their order cannot be established."""
    groups: dict[str, list[dict]] = {}
    for e in derive.toggle_state(toggle).entries:
        for g in _GROUPS.get(e.get("applies_to"), ("new", "existing")):
            groups.setdefault(g, []).append(e)
    resolved, disputed = {}, []
    for g, entries in groups.items():
        if len({e.get("default") for e in entries}) > 1:
            latest = _surely_latest(entries)
            if latest is None:
                disputed += [e for e in entries if all(e is not d for d in disputed)]
                continue
            entries = [latest]
        resolved[g] = entries
    return resolved, disputed


def _publishers(record: dict, entry: dict, lang: str) -> str:
    by_id = {s.get("id"): s for s in record.get("sources", [])}
    names = []
    for c in entry.get("sources", []):
        source = by_id.get(c.get("source"), {})
        name = plain(source.get("publisher"), lang)
        if source.get("kind"):  # whose word it is matters as much as what is said
            kind = t("kind_" + source["kind"], lang)
            name = f"{name}({kind})" if lang == "zh" else f"{name} [{kind}]"
        if name and name not in names:
            names.append(name)
    return ("、" if lang == "zh" else " and ").join(names)


def _describe_entry(record: dict, e: dict, lang: str) -> str:
    value = t(e.get("default", ""), lang)
    applies = e.get("applies_to", "not-stated")
    who = _publishers(record, e, lang)
    if lang == "zh":
        aud = "未说明适用账户" if applies == "not-stated" else f"适用于{t('applies_' + applies, lang)}"
        when = f"自{_date(e['effective'], lang)}起" if e.get("effective") else "未注明日期"
        return f"{'据' + who + ',' if who else ''}默认{value}({aud};{when})"
    aud = "accounts not stated" if applies == "not-stated" else t("applies_" + applies, lang)
    when = f"from {_date(e['effective'], lang)}" if e.get("effective") else "date not given"
    return f"{value} by default ({aud}; {when}){' according to ' + who if who else ''}"


def privacy_by_default(record: dict):
    toggles = record.get("toggles") or []
    if not toggles:
        return "unknown", [], _text(["No data-collection setting is recorded."], ["记录中没有数据收集类设置。"])
    evidence, en, zh = [], [], []
    values, any_disputed, gaps = [], False, False
    for i, toggle in enumerate(toggles):
        history = toggle.get("history") or []
        resolved, disputed = _toggle_defaults(toggle)
        position = {id(h): k for k, h in enumerate(history)}
        disputed.sort(key=lambda e: position[id(e)])  # as the record lists them
        used = disputed + [e for es in resolved.values() for e in es if all(e is not d for d in disputed)]
        for e in used:
            evidence += cite(f"toggles[{i}].history[{position[id(e)]}]", e.get("sources"))
        name_en, name_zh = plain(toggle.get("name"), "en"), plain(toggle.get("name"), "zh")
        if disputed:
            any_disputed = True
            en.append(f"Sources disagree about “{name_en}”: "
                      + "; ".join(_describe_entry(record, e, "en") for e in disputed)
                      + ". ERP Watch does not decide which is right.")
            zh.append(f"各来源对“{name_zh}”的默认值说法不一:"
                      + ";".join(_describe_entry(record, e, "zh") for e in disputed) + "。本站不判断哪一方正确。")
            continue
        shown = []
        for e in (e for es in resolved.values() for e in es):
            if all(e is not s for s in shown):
                shown.append(e)
                values.append(e.get("default"))
        missing = [g for g in ("new", "existing") if g not in resolved]
        gaps = gaps or bool(missing)
        en.append(f"“{name_en}”: " + "; ".join(_describe_entry(record, e, "en") for e in shown)
                  + ("; for existing accounts the sources do not say" if "existing" in missing else "")
                  + ("; for new sign-ups the sources do not say" if "new" in missing else "") + ".")
        zh.append(f"“{name_zh}”:" + ";".join(_describe_entry(record, e, "zh") for e in shown)
                  + (";现有账户的默认值来源未说明" if "existing" in missing else "")
                  + (";新注册用户的默认值来源未说明" if "new" in missing else "") + "。")
    if any_disputed:
        answer = "disputed"
    elif not values:  # no usable entry (only possible in a record that failed validation)
        return "unknown", [], _text(["No usable default is recorded."], ["没有可用的默认值记录。"])
    elif values and all(v == "off" for v in values) and not gaps:
        answer = "yes"
    elif values and all(v == "on" for v in values):
        answer = "no"
    else:
        answer = "partly"
    return answer, evidence, _text(en, zh)


# --- disclosure of what is pulled --------------------------------------------------------------------

def disclosure(record: dict):
    kinds = {s.get("id"): s.get("kind") for s in record.get("sources", [])}
    named, words, others = [], [], []
    for i, entry in enumerate(record.get("access") or []):
        cits = entry.get("sources") or []
        own = [c for c in cits if kinds.get(c.get("source")) == "vendor"]
        if own:
            (named if ({"role", "report"} & set(entry)) else words).append((i, entry, own))
        elif cits:
            others.append((i, entry, cits))
    name = record.get("name", "")

    def labels(items, lang):
        return ("; " if lang == "en" else ";").join(access_label(e, lang) for _, e, _ in items)

    def ev(items):
        return [x for i, _, c in items for x in cite(f"access[{i}]", c)]

    if named:
        en = [f"{name}'s own pages name what it uses: {labels(named, 'en')}."]
        zh = [f"{name} 自己的页面写明了其使用的数据:{labels(named, 'zh')}。"]
        if words:
            en.append(f"They also describe, in general words: {labels(words, 'en')}.")
            zh.append(f"此外还笼统描述了:{labels(words, 'zh')}。")
        return "yes", ev(named) + ev(words), _text(en, zh)
    if words:
        return "partly", ev(words), _text(
            [f"{name}'s own pages describe the data only in general words: {labels(words, 'en')}."],
            [f"{name} 自己的页面只笼统描述了数据:{labels(words, 'zh')}。"])
    if others:
        return "partly", ev(others), _text(
            [f"Only other sources say what {name} pulls: {labels(others, 'en')}.",
             f"None of {name}'s own pages in the record does."],
            [f"只有其他来源说明了 {name} 拉取的数据:{labels(others, 'zh')}。记录中没有 {name} 自己页面的说明。"])
    return "unknown", [], _text(["The record lists no data access."], ["记录中没有数据访问条目。"])


# --- statements by topic -----------------------------------------------------------------------------

def _claims(record: dict, topics: tuple[str, ...], said: dict):
    current, ended, others = [], [], []
    kinds = {s.get("id"): s.get("kind") for s in record.get("sources") or [] if isinstance(s, dict)}
    for i, claim in enumerate(record.get("claims") or []):
        if claim.get("topic") in topics:
            if isinstance(claim.get("ended"), dict):
                ended.append((i, claim))
            elif any(kinds.get(c.get("source")) == "vendor" for c in claim.get("sources") or []):
                current.append((i, claim))
            else:  # only others say the vendor says it: shown on the page, never counted as the vendor's claim
                others.append((i, claim))
    # Only the vendor's own pages are evidence of what the vendor states.
    evidence = [e for i, c in current for e in cite(f"claims[{i}]", c.get("sources"))
                if kinds.get(e["source"]) == "vendor"]
    search = record.get("policy_search")
    answer = "yes" if current else "unknown"
    if current:
        en = [said["en"] + " " + " ".join(plain(c.get("summary"), "en") for _, c in current)]
        zh = [said["zh"] + "".join(plain(c.get("summary"), "zh") for _, c in current)]
    elif isinstance(search, dict):
        when, answer = search.get("searched"), "no-policy-found"
        en = [f"No published data policy of the vendor was found (searched as of {_date(when, 'en')}), and no "
              f"statement on this from the vendor's own pages is recorded. This is not a “no”."]
        zh = [f"未找到服务商已发布的数据政策(检索截至{_date(when, 'zh')}),记录中也没有服务商自己页面的相关说明。这不等于“否”。"]
    else:
        en, zh = ["No current statement on this is recorded."], ["记录中没有这方面的现行说明。"]
    if others:
        en.append("Statements that cite no page of the vendor's own are not counted: "
                  + "; ".join(str(c.get("id")) for _, c in others) + ".")
        zh.append("未引用服务商自己页面的说法不计入:" + ";".join(str(c.get("id")) for _, c in others) + "。")
    if ended:
        listed_en = "; ".join(f"{c.get('id')} ({t('reason_' + str(c['ended'].get('reason')), 'en')}, "
                              f"{_date(c['ended'].get('date'), 'en')})" for _, c in ended)
        listed_zh = ";".join(f"{c.get('id')}({t('reason_' + str(c['ended'].get('reason')), 'zh')},"
                             f"{_date(c['ended'].get('date'), 'zh')})" for _, c in ended)
        en.append(f"Earlier statements that no longer apply are not counted: {listed_en}.")
        zh.append(f"已不再适用的先前说法不计入:{listed_zh}。")
    return answer, evidence, _text(en, zh)


def retention(record: dict):
    return _claims(record, ("retention",), {"en": "The vendor states how long data is kept:",
                                            "zh": "服务商说明了数据保留期限:"})


def deletion(record: dict):
    return _claims(record, ("deletion",), {"en": "The vendor says data is deleted:",
                                           "zh": "服务商表示会删除数据:"})


def sharing(record: dict):
    return _claims(record, ("sharing", "resale", "aggregate-use"),
                   {"en": "The vendor makes a statement on sharing, resale or aggregate use:",
                    "zh": "服务商就共享、转售或汇总使用作出了说明:"})


# --- response to incidents ---------------------------------------------------------------------------

def incident_response(record: dict):
    incidents = [(i, x) for i, x in enumerate(record.get("incidents") or []) if isinstance(x, dict)]
    if not incidents:
        return "unknown", [], _text(["No incident is recorded."], ["记录中没有事件。"])
    evidence, en, zh, answered = [], [], [], 0
    for i, inc in incidents:
        resp = inc.get("vendor_response") or {}
        title_en, title_zh = plain(inc.get("title"), "en"), plain(inc.get("title"), "zh")
        if resp.get("sources"):
            answered += 1
            evidence += cite(f"incidents[{i}].vendor_response", resp["sources"])
            en.append(f"“{title_en}”: a vendor response is recorded. {plain(resp.get('summary'), 'en')}")
            zh.append(f"“{title_zh}”:有服务商回应的记录。{plain(resp.get('summary'), 'zh')}")
        else:
            # No response is a fact recorded as of a date; the report of the incident is its evidence.
            evidence += cite(f"incidents[{i}]", inc.get("sources"))
            as_of = resp.get("none_recorded_as_of")
            en.append(f"“{title_en}”: no vendor response recorded"
                      + (f" as of {_date(as_of, 'en')}." if as_of else "."))
            zh.append(f"“{title_zh}”:" + (f"截至{_date(as_of, 'zh')}," if as_of else "") + "没有服务商回应的记录。")
    answer = "yes" if answered == len(incidents) else "partly" if answered else "none-recorded"
    return answer, evidence, _text(en, zh)


_DERIVE = {
    "data_minimisation": data_minimisation,
    "privacy_by_default": privacy_by_default,
    "disclosure": disclosure,
    "retention": retention,
    "deletion": deletion,
    "sharing": sharing,
    "incident_response": incident_response,
}
