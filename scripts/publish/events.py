"""Events: what changed, with a date and a stable id, for the home page, feeds and the API.

An event's id is a `tag:` URI built only from record ids and the change's own identity, so it never
changes once published. An event whose date is known only in part keeps that partial date (`date`)
and is placed by when it was recorded (`sort_date`); its text states the uncertainty.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from scripts.analysis import derive
from scripts.analysis.changes import doc_label, excerpt, excerpt_parts
from scripts.lang import i18n
from scripts.lang.text import pick
from scripts.records import dates

# Fixed forever: ids must not change if the site moves. The authority is the project's GitHub Pages host.
TAG = "tag:erpwatch.github.io,2026:"


def _both(value) -> dict[str, str]:
    return {lang: str(pick(value, lang) or "") for lang in ("en", "zh")}


def _date_texts(raw: str | None) -> dict[str, str]:
    parsed = derive.parse_date(raw)
    if parsed is None:
        return {"en": "date not given", "zh": "日期未知"}
    return {lang: dates.render(parsed, lang) for lang in ("en", "zh")}


def _event(kind, vendor, key, raw_date, fallback: dt.date | None, title, summary, link) -> dict | None:
    parsed = derive.parse_date(raw_date)
    if parsed is not None and parsed.lower() is not None:
        sort_date = parsed.lower()
    else:
        sort_date = fallback
    if sort_date is None:
        return None  # neither a date nor a recording date: it cannot be placed in a feed honestly
    exact = parsed is not None and parsed.is_exact_day() and not parsed.qualifier
    return {
        "id": f"{TAG}{vendor['id']}/{key}",
        "type": kind,
        "vendor": vendor["id"],
        "vendor_name": vendor["name"],
        "date": raw_date,
        "date_text": _date_texts(raw_date),
        "date_exact": exact,
        "sort_date": sort_date.isoformat(),
        "title": title,
        "summary": summary,
        "link": link,
        "excerpt": None,
    }


def _git_added_date(path: Path) -> dt.date | None:
    try:
        out = subprocess.run(["git", "log", "--diff-filter=A", "--follow", "--format=%cI", "--", path.name],
                             cwd=path.parent, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [x for x in out.stdout.split() if x]
    if out.returncode != 0 or not lines:
        return None
    return dt.datetime.fromisoformat(lines[-1]).astimezone(dt.UTC).date()


def git_added_dates(vendors_dir: Path) -> dict[str, dt.date] | None:
    """File name -> date its first version was committed, for every record file, from one `git log` (one
    process for the whole folder, not one per record). None when the folder is not in a git checkout."""
    try:
        out = subprocess.run(["git", "log", "--diff-filter=A", "--no-renames", "--format=%x00%cI", "--name-only",
                              "--", "."], cwd=vendors_dir, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    dates: dict[str, dt.date] = {}
    for chunk in out.stdout.split("\0")[1:]:  # newest commit first: the last date seen for a file is its first
        when, *names = chunk.strip().splitlines()
        day = dt.datetime.fromisoformat(when).astimezone(dt.UTC).date()
        for name in names:
            if name.strip():
                dates[Path(name).name] = day
    return dates


def record_events(record: dict, vendors_dir: Path | None = None, added_dates: dict | None = None) -> list[dict]:
    """`added_dates`: git_added_dates(vendors_dir), read once for all records; a file it lacks (renamed, say)
    is looked up on its own, following renames."""
    vid = record["id"]
    page = f"vendors/{vid}/"
    out = []
    name = record["name"]
    if vendors_dir is not None:
        added = (added_dates or {}).get(f"{vid}.yaml") or _git_added_date(Path(vendors_dir) / f"{vid}.yaml")
        if added:
            out.append(_event("vendor-added", record, "added", added.isoformat(), added,
                              {"en": f"{name} added to ERP Watch", "zh": f"新增服务商:{name}"},
                              {"en": f"A record for {name} was published.", "zh": f"已发布 {name} 的记录。"}, page))
    for tg in record.get("toggles", []):
        tname = _both(tg["name"])
        for n, entry in enumerate(tg["history"]):
            when = entry.get("effective")
            if not when:
                continue  # an undated statement of a default is not a dated change
            fallback = derive.recorded_date(record, entry.get("sources"))
            d = _date_texts(when)
            value = {lang: i18n.t(entry["default"], lang) for lang in ("en", "zh")}
            who = {lang: i18n.t("applies_" + entry["applies_to"], lang) for lang in ("en", "zh")}
            out.append(_event(
                "toggle-default", record, f"toggle/{tg['id']}/{n}", when, fallback,
                {"en": f"{name}: default of “{tname['en']}” is {value['en']} for {who['en']} from {d['en']}",
                 "zh": f"{name}:“{tname['zh']}”自{d['zh']}起对{who['zh']}默认{value['zh']}"},
                {"en": f"From {d['en']}, the default is {value['en']} ({who['en']}). " + str(pick(entry.get("note"), "en") or ""),
                 "zh": f"自{d['zh']}起,默认{value['zh']}({who['zh']})。" + str(pick(entry.get("note"), "zh") or "")},
                f"{page}#toggle-{tg['id']}"))
    for inc in record.get("incidents", []):
        title = _both(inc["title"])
        link = f"{page}#incident-{inc['id']}"
        fallback = derive.recorded_date(record, inc.get("sources"))
        when = inc.get("reported") or inc.get("occurred")
        out.append(_event("incident-reported", record, f"incident/{inc['id']}/reported", when, fallback,
                          {"en": f"{name}: incident reported — {title['en']}", "zh": f"{name}:事件报道 — {title['zh']}"},
                          _both(inc["summary"]), link))
        for n, st in enumerate(inc.get("status_history", [])):
            label = {lang: i18n.t("status_" + st["status"], lang) for lang in ("en", "zh")}
            out.append(_event("incident-status", record, f"incident/{inc['id']}/status/{n}", st["date"],
                              derive.recorded_date(record, st.get("sources")),
                              {"en": f"{name}: incident status {label['en']} — {title['en']}",
                               "zh": f"{name}:事件状态变为{label['zh']} — {title['zh']}"},
                              _both(inc["summary"]), link))
        resp = inc.get("vendor_response", {})
        if "summary" in resp:
            out.append(_event("vendor-responded", record, f"incident/{inc['id']}/response", resp.get("date"),
                              derive.recorded_date(record, resp.get("sources")),
                              {"en": f"{name} responded — {title['en']}", "zh": f"{name} 作出回应 — {title['zh']}"},
                              _both(resp["summary"]), link))
    return [e for e in out if e is not None]


def policy_events(changes: list[dict]) -> list[dict]:
    """Events for policy text changes (see scripts.analysis.changes.collect: no first versions, no technical updates).
    A return to a recent variant and a date-only update (scrapers.variants) stay on the document's history
    page but are not news: no event, so no feed item."""
    out = []
    for c in changes:
        ch, name = c["change"], c["vendor_name"]
        if ch.get("revisit") or ch.get("minor"):
            continue
        label = {lang: doc_label(c["policy"], lang) for lang in ("en", "zh")}
        when = ch["time"][:10]
        event = _event(
            "policy-changed", {"id": c["vendor"], "name": name}, f"policy/{c['doc']}/{ch['id']}", when,
            dt.date.fromisoformat(when),
            {"en": f"{name}: “{label['en']}” changed (+{ch['added']} / −{ch['removed']} words)",
             "zh": f"{name}:“{label['zh']}”有变更(+{ch['added']} / −{ch['removed']} 词)"},
            {"en": f"The watched text of “{label['en']}” changed.", "zh": f"被监测的“{label['zh']}”文本发生变化。"},
            f"changes/{c['slug']}")
        parts = excerpt_parts(ch.get("diff") or [])  # the feeds mark them up; the API has the plain excerpt
        event["excerpt"], event["excerpt_parts"] = excerpt([], parts=parts), parts
        out.append(event)
    return out


def sort_events(events: list[dict]) -> list[dict]:
    """Newest first; ties broken by id so the order is stable across builds."""
    return sorted(events, key=lambda e: (e["sort_date"], e["id"]), reverse=True)


def quote_events(record: dict, quote_statuses: dict) -> list[dict]:
    """A claim's quote vanishing from (or coming back to) a watched policy, at the change that did it."""
    from scripts.analysis.changes import change_slug
    out = []
    name = record["name"]
    for info in quote_statuses.values():
        if info["kind"] != "claim":
            continue
        claim = next(c for c in record["claims"] if c["id"] == info["item"])
        summary = _both(claim["summary"])
        for t in info["status"].transitions:
            ch = t["change"]
            when = ch["time"][:10]
            removed = t["kind"] == "removed"
            out.append(_event(
                "claim-removed" if removed else "claim-restored", record,
                f"claim/{claim['id']}/{t['kind']}/{info['policy']}/{ch['id']}", when, dt.date.fromisoformat(when),
                {"en": f"{name}: a claim's quote is {'no longer' if removed else 'again'} in the watched policy — "
                       f"{summary['en'][:80]}",
                 "zh": f"{name}:某条声明的引文{'已不在' if removed else '重新出现在'}被监测的政策中 — {summary['zh'][:60]}"},
                {"en": (f"The quoted passage “{info['quote'][:200]}” " +
                        ("was removed from or altered in" if removed else "is back in") + " the watched policy."),
                 "zh": f"引文“{info['quote'][:200]}”" + ("已从被监测的政策中删除或被修改。" if removed else "重新出现在被监测的政策中。")},
                f"changes/{change_slug(record['id'], info['policy'], ch['id'])}"))
    return [e for e in out if e is not None]
