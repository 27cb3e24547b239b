"""Incidents without a vendor record (incidents/*.yaml, checked by scripts/records/incidents.py) on the site: their
entries on the incidents page (in their own groups), their events (feeds, home page, events.json) and the
API's list of every incident with its `kind`.

An ecosystem incident's sources name no seller-tool vendor; a platform incident happened on the
marketplace's side. Each entry is written out in full on the incidents page (there is no page per
incident), with its sources as links, so its anchors and source ids are prefixed with the incident's id.
Escaping as in scripts/site/bodies.py: `_a` for values, `text_html` for record texts, `_href` for links.
"""

from __future__ import annotations

import datetime as dt

from scripts.analysis import derive
from scripts.lang import i18n
from scripts.lang.text import detect_lang, pick
from scripts.publish import api
from scripts.publish import events as ev
from scripts.records import incidents
from scripts.site import bodies

KINDS = incidents.KINDS
PAGE = api.INCIDENTS_PAGE


class IncidentsInvalid(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def load(vendors_dir=None) -> list[dict]:
    """The incident files (incidents.incidents_dir), valid, sorted by id; IncidentsInvalid when any has a
    problem (nothing is published from an invalid file, as for vendor records)."""
    found, problems = incidents.load_incidents(incidents.incidents_dir(vendors_dir))
    if problems:
        raise IncidentsInvalid(problems)
    return found


def _fallback(data: dict) -> dt.date | None:
    return derive.recorded_date(data, data.get("evidence"))


def sort_key(data: dict) -> tuple:
    d = derive.parse_date(data.get("reported")) or derive.parse_date(data.get("occurred"))
    fallback = _fallback(data)
    return d.sort_key(fallback) if d else (2, fallback.toordinal() if fallback else 0)


def _t(key: str, lang: str) -> str:
    return bodies._a(i18n.t(key, lang))


def _quotes(data: dict, citations, lang: str) -> str:
    """Citations with their quotes, each linked to its source in this incident's own source list."""
    parts = []
    for cit in citations or ():
        sid = str(cit.get("source"))
        src = next((s for s in data["sources"] if s["id"] == sid), {})
        link = (f'<a class="erp-cite" href="#incident-{bodies._a(data["id"])}-source-{bodies._a(sid)}">'
                f'{bodies._a(pick(src.get("publisher"), lang) or sid)}</a>')
        q = cit.get("quote")
        if q:
            parts.append(f'<blockquote class="erp-quote"><p lang="{detect_lang(q)}">“{bodies._a(q)}”</p>'
                         f'<footer>— {link}</footer></blockquote>')
        else:
            parts.append(f"[{link}]")
    return " ".join(parts)


def _sources(data: dict, lang: str) -> str:
    d, txt, a = (lambda v: bodies.date_html(v, lang)), (lambda v: bodies.text_html(v, lang)), bodies._a
    out = ['<ol class="erp-sources">']
    for s in data["sources"]:
        title = txt(s["title"]) if s.get("title") else _t("untitled", lang)
        out.append(f'<li id="incident-{a(data["id"])}-source-{a(s["id"])}"><a href="{bodies._href(s.get("url"))}" '
                   f'rel="nofollow noopener">{title}</a> · {txt(s.get("publisher"))} · {_t("kind_" + str(s.get("kind")), lang)}')
        if s.get("published"):
            out.append(f' · {_t("published", lang)} {d(s["published"])}')
        if s.get("retrieved"):
            out.append(f' · {_t("retrieved", lang)} {d(s["retrieved"])}')
        if s.get("note"):
            out.append(f'<br><small>{txt(s["note"])}</small>')
        out.append("</li>")
    out.append("</ol>")
    return "".join(out)


def item_html(data: dict, lang: str) -> str:
    """One incident's entry on the incidents page, complete: kind, status, dates, summary, who alleged it,
    each party's statement, the evidence and the sources."""
    a, txt = bodies._a, (lambda v: bodies.text_html(v, lang))
    iid = a(data["id"])
    head = f'<span class="erp-chip erp-kind-{a(data["kind"])}">{_t("incident_kind_" + data["kind"], lang)}</span> '
    head += f'<span class="erp-chip erp-status-{a(data.get("status"))}">{_t("status_" + str(data.get("status")), lang)}</span>'
    for key in ("occurred", "reported"):
        if data.get(key):
            head += f' · {_t(key, lang)}: {bodies.date_html(data[key], lang)}'
    out = [f'\n<li id="incident-{iid}" class="erp-incident erp-incident-{a(data["kind"])}"><p><strong>{txt(data.get("title"))}'
           f'</strong></p>\n<p>{head}</p>']
    if data.get("concerns"):
        out.append(f'<p><strong>{_t("concerns", lang)}:</strong> {txt(data["concerns"])}</p>')
    out.append(f'\n<p>{txt(data.get("summary"))}</p>')
    al = data.get("alleged_by")
    if isinstance(al, dict):
        where = f' — {txt(al["where"])}' if al.get("where") else ""
        when = f', {bodies.date_html(al["date"], lang)}' if al.get("date") else ""
        out.append(f'<div class="admonition warning erp-allegation"><p class="admonition-title">{_t("allegation", lang)}</p>'
                   f'<p><strong>{_t("alleged_by", lang)}:</strong> {txt(al.get("who"))}{where}{when}. '
                   f'{_t("allegation_note", lang)}</p>{_quotes(data, al.get("sources"), lang)}</div>')
    if data.get("statements"):
        out.append(f'<p><strong>{_t("statements", lang)}</strong></p><ul class="erp-statements">')
        for s in data["statements"]:
            who = f' ({txt(s["who"])})' if s.get("who") else ""
            date = f', {bodies.date_html(s["date"], lang)}' if s.get("date") else ""
            out.append(f'<li><strong>{_t("by_" + str(s.get("by")), lang)}{who}</strong>{date}: {txt(s.get("text"))} '
                       f'{_quotes(data, s.get("sources"), lang)}</li>')
        out.append("</ul>")
    out.append(f'\n<p><strong>{_t("evidence", lang)}</strong></p>{_quotes(data, data.get("evidence"), lang)}')
    out.append(f'\n<details><summary>{_t("sources", lang)} ({len(data["sources"])})</summary>{_sources(data, lang)}</details></li>')
    return "".join(out)


def page_body(vendor_items: list[str], files: list[dict], lang: str) -> str:
    """The incidents page: the vendors' incidents, then each kind of incident without a vendor record in its
    own group (`vendor_items`: bodies.incident_item_html entries, newest first)."""
    t = lambda key: _t(key, lang)  # noqa: E731
    out = [f'<h1 id="title">{t("incidents")}</h1>\n\n<p>{t("all_incidents")} {t("date_note_partial")}</p>\n\n']
    if not vendor_items and not files:
        return out[0] + f'<p>{t("no_incidents")}</p>\n\n'
    groups = [("vendor-incidents", "incident_group_vendor", vendor_items)]
    ordered = sorted(files, key=sort_key, reverse=True)
    for kind in KINDS:
        groups.append((f"{kind}-incidents", "incident_group_" + kind,
                       [item_html(x, lang) for x in ordered if x["kind"] == kind]))
    for hid, key, items in groups:
        if not items:
            continue
        out.append(bodies.heading(2, hid, i18n.t(key, lang), lang))
        out.append(f'\n\n<p class="erp-note"><small>{t(key + "_note")}</small></p>\n'
                   f'<ol class="erp-incident-list">{"".join(items)}\n</ol>\n\n')
    return "".join(out)


def home_groups(files: list[dict], lang: str, limit: int = 5) -> list[dict]:
    """For the home page: each kind's newest incidents, {heading, total, entries: [{title, link, date_text}]}; the page
    stays short, the incidents page has them all."""
    out = []
    ordered = sorted(files, key=sort_key, reverse=True)
    for kind in KINDS:
        items = [x for x in ordered if x["kind"] == kind]
        if items:
            out.append({"heading": i18n.t("incident_group_" + kind, lang), "total": len(items),
                        "entries": [{"title": str(pick(x["title"], lang) or ""), "link": f"{PAGE}#incident-{x['id']}",
                                   "date_text": ev._date_texts(x.get("reported") or x.get("occurred"))[lang]}
                                  for x in items[:limit]]})
    return out


def events(files: list[dict]) -> list[dict]:
    """One `incident-reported` event per incident (and one per status change), with `kind`; `vendor` is None."""
    out = []
    for data in files:
        kind = data["kind"]
        label = {lang: i18n.t("incident_kind_" + kind, lang) for lang in ("en", "zh")}
        title = ev._both(data["title"])
        who = {"id": "incident", "name": ""}  # the tag id reads tag:…:incident/<id>/… (record ids are single slugs)
        got = [ev._event("incident-reported", who, f"{data['id']}/reported", data.get("reported") or data.get("occurred"),
                         _fallback(data), {"en": f"{label['en']}: {title['en']}", "zh": f"{label['zh']}:{title['zh']}"},
                         ev._both(data["summary"]), f"{PAGE}#incident-{data['id']}")]
        for n, st in enumerate(data.get("status_history", [])):
            got.append(ev._event("incident-status", who, f"{data['id']}/status/{n}", st["date"],
                                 derive.recorded_date(data, st.get("sources")),
                                 {"en": f"{label['en']}: status {i18n.t('status_' + st['status'], 'en')} — {title['en']}",
                                  "zh": f"{label['zh']}:状态变为{i18n.t('status_' + st['status'], 'zh')} — {title['zh']}"},
                                 ev._both(data["summary"]), f"{PAGE}#incident-{data['id']}"))
        for e in got:
            if e is not None:
                e.update(vendor=None, vendor_name=None, kind=kind)
                out.append(e)
    return ev.sort_events(out)
