"""The HTML bodies of vendor pages and document history pages, built as strings.

These pages grow with the number of vendors (two per vendor and two per watched document), so they are
built without a template engine: at 1,000 vendors, Jinja's per-call runtime (macros, filters, attribute lookups, Markup objects) was the
largest single cost of the site build. What does not depend on the language (rubric answers, least
privilege, quote checks, incidents' policy versions) is prepared once per vendor (`VendorView`) and used by
both languages' pages.

Every value from a record or the watcher is escaped where it is written: `_a` for values (markupsafe's
entities, as Jinja's autoescape wrote them), `html.escape` inside `text_html`, and `_href` for links, which
only ever links http(s) URLs. Strings from i18n are escaped as well (`_Lang.T`).
"""

from __future__ import annotations

import functools
import html

from scripts.analysis import changes, derive, privilege, quotes, rubric
from scripts.lang import i18n
from scripts.lang.text import LANGS, detect_lang, esc, pick, safe_url
from scripts.records import dates
from scripts.site import vendor_extras

TOPICS = ["collection", "purpose", "retention", "deletion", "sharing", "resale", "aggregate-use", "location",
          "security", "change-notice"]


def _a(value) -> str:
    """Escape a value for HTML text or a quoted attribute (markupsafe's entities, as autoescape writes them).
    Written out rather than through text.replace_chars: pages call it about a thousand times per vendor."""
    s = value if type(value) is str else str(value)
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if '"' in s:
        s = s.replace('"', "&#34;")
    if "'" in s:
        s = s.replace("'", "&#39;")
    return s


def _href(url) -> str:
    return _a(safe_url(url))


def text_html(value, lang: str) -> str:
    """A record text in the reader's language, escaped; text in the other language is marked as such (what
    text.pick chooses, without making a Localized string per call)."""
    if value is None:
        return ""
    if isinstance(value, str):
        got, text = detect_lang(value), value
    elif isinstance(value, dict):
        if value.get(lang):
            return html.escape(value[lang])
        for got in LANGS:
            if value.get(got):
                text = value[got]
                break
        else:
            return html.escape(str(value))
    else:
        return html.escape(str(value))
    if got == lang:
        return html.escape(text)
    note = html.escape(i18n.t("in_other_language", lang))
    return f'<span lang="{got}">{html.escape(text)}</span> <small class="erp-lang">{note}</small>'


@functools.lru_cache(maxsize=4096)
def _date_html(value: str, lang: str) -> str:
    parsed = derive.parse_date(value)
    if parsed is None:
        return str(esc(value))
    return f'<time class="erp-date" data-edtf="{esc(value)}">{esc(dates.render(parsed, lang))}</time>'


def date_html(value, lang: str) -> str:
    """A record date as a <time> element in the reader's language (an unparseable value as text)."""
    if isinstance(value, str):
        return _date_html(value, lang)
    return str(esc(value or ""))


def heading(level: int, hid: str, text: str, lang: str) -> str:
    """A heading with its id and a permalink, marked up as the theme's Markdown headings are. `text` is
    plain text."""
    title = "永久链接" if lang == "zh" else "Permanent link"
    return (f'<h{level} id="{_a(hid)}">{_a(text)}<a class="headerlink" href="#{_a(hid)}" title="{title}">'
            f'&para;</a></h{level}>')


class VendorView:
    """What a vendor's pages show that is the same in every language, prepared once per vendor.
    `observed`: {"quotes": quotes.statuses(...), "versions": {policy id: change log}}."""

    def __init__(self, record: dict, observed: dict, config: dict):
        self.record = record
        self.sources_by_id = {s["id"]: s for s in record.get("sources", [])}
        self.repo = config["repo_url"].rstrip("/")
        # Quote checks by the statement they belong to: (kind, item) -> [check], in the statuses' order.
        checks: dict[tuple, list] = {}
        for q in (observed.get("quotes") or {}).values():
            st = q["status"]
            checks.setdefault((q["kind"], q["item"]), []).append(
                {"state": st.state, "since": st.since, "slug": st.change_slug, "policy": q["policy"]})
        self.checks = checks
        self.claims_by_topic = []
        claims = record.get("claims", [])
        for topic in TOPICS:
            group = [c for c in claims if c["topic"] == topic]
            if group:
                self.claims_by_topic.append((topic, group))
        self.toggles = [(tg, derive.toggle_state(tg)) for tg in record.get("toggles", [])]
        self.access = []
        for a in record.get("access", []):
            item = {"restricted": False, "unlocks": None, "role_name": None, "report_name": None}
            if a.get("role"):
                info = derive.role_info(a["role"]) or {}
                item.update(role_name=info.get("name", a["role"]), restricted=info.get("restricted", False),
                            unlocks=info.get("description"))
            if a.get("report"):
                info = derive.report_info(a["report"])
                item.update(report_name=info.get("name", ""), unlocks=info.get("contains"))
            self.access.append((a, item))
        versions = observed.get("versions", {})
        self.incidents = []
        for inc in sorted(record.get("incidents", []), key=lambda i: incident_sort_key(record, i), reverse=True):
            when = inc.get("occurred") or inc.get("reported")
            at_date = []
            for p in record.get("policies", []):
                found = quotes.versions_at(when, versions.get(p["id"], []))
                at_date.append((p["id"], found, [(v["time"], f"{self.repo}/blob/main/snapshots/{record['id']}/"
                                                             f"{p['id']}/versions/{v['new_hash']}.md")
                                                 for v in found.versions]))
            self.incidents.append((inc, when, at_date))
        labels = rubric.answer_labels()
        self.rubric = [(a, q["title"], labels[a["answer"]]) for a, q in zip(rubric.evaluate(record), rubric.questions())]
        self.lp = privilege.least_privilege(record)


def incident_sort_key(record: dict, inc: dict) -> tuple:
    d = derive.parse_date(inc.get("reported")) or derive.parse_date(inc.get("occurred"))
    fallback = derive.recorded_date(record, inc.get("sources"))
    return d.sort_key(fallback) if d else (2, fallback.toordinal() if fallback else 0)


class _Lang:
    """One page's language and position: translated strings, dates and citations, escaped, with caches."""

    def __init__(self, view: VendorView, lang: str, base: str):
        self.view, self.lang, self.base = view, lang, base
        self._t: dict[str, str] = {}
        self._label: dict[str, str] = {}
        self.doc_titles = {p["id"]: str(pick(p.get("title"), lang) or p["url"])
                           for p in view.record.get("policies", [])}

    def T(self, key: str) -> str:
        got = self._t.get(key)
        if got is None:
            got = self._t[key] = _a(i18n.t(key, self.lang))
        return got

    def txt(self, value) -> str:
        return text_html(value, self.lang)

    def d(self, value) -> str:
        return date_html(value, self.lang)

    def _link(self, source_id) -> str:
        got = self._label.get(source_id)
        if got is None:
            src = self.view.sources_by_id.get(source_id, {})
            label = pick(src.get("publisher"), self.lang) or source_id
            got = self._label[source_id] = f'<a class="erp-cite" href="#source-{esc(source_id)}">{esc(label)}</a>'
        return got

    def quotes(self, citations) -> str:
        """Citations with their quotes as block quotes."""
        parts = []
        for cit in citations or ():
            link = self._link(cit.get("source"))
            q = cit.get("quote")
            if q:
                parts.append(f'<blockquote class="erp-quote"><p lang="{detect_lang(q)}">“{esc(q)}”</p>'
                             f'<footer>— {link}</footer></blockquote>')
            else:
                parts.append(f"[{link}]")
        return " ".join(parts)

    def cites(self, citations) -> str:
        """Citations as bracketed links."""
        return " ".join(f"[{self._link(cit.get('source'))}]" for cit in citations or ())

    def checks(self, kind: str, item: str) -> str:
        """Whether each quote of a statement is still in the watched policy it comes from."""
        parts = []
        for c in self.view.checks.get((kind, item), ()):
            doc = esc(self.doc_titles.get(c["policy"], c["policy"]))
            if c["state"] == "found":
                parts.append(f'<p class="erp-check erp-check-found">✓ {esc(i18n.t("quote_found", self.lang))} <em>{doc}</em>.</p>')
            elif c["state"] == "removed":
                since = esc((c["since"] or "")[:10])
                link = (f' (<a href="{self.base}changes/{esc(c["slug"])}">{esc(i18n.t("see_change", self.lang))}</a>)'
                        if c["slug"] else "")
                parts.append(f'<p class="erp-check erp-check-removed">⚠ {esc(i18n.t("quote_removed", self.lang))} {since}: '
                             f'<em>{doc}</em>{link}.</p>')
            elif c["state"] == "missing":
                parts.append(f'<p class="erp-check erp-check-missing">{esc(i18n.t("quote_missing", self.lang))} <em>{doc}</em>.</p>')
        return "".join(parts)


def vendor_body(view: VendorView, lang: str, base: str, root: str, docs: list[dict]) -> str:
    """The vendor page's body in `lang`. `base`/`root`: relative paths from the page to its language's root
    and to the site root; `docs`: the watched documents' rows in `lang` (generate._doc_rows)."""
    L = _Lang(view, lang, base)
    T, txt, d = L.T, L.txt, L.d
    r = view.record
    out: list[str] = []
    w = out.append
    rid = _a(r["id"])

    def section(hid: str, key: str, empty_key: str, build) -> None:
        """An h2 section: its heading, then what `build` writes, or a line saying there is none."""
        w(heading(2, hid, i18n.t(key, lang), lang))
        w("\n\n")
        start = len(out)
        build()
        if len(out) == start:
            w(f'<p>{T(empty_key)}</p>\n')
        w("\n\n")

    # Head
    w(f'\n<h1 id="title">{_a(r["name"])}</h1>\n\n<div class="erp-vendor-head">')
    names = r.get("names", {})
    other_names = [(n, code) for code in ("zh", "en") for n in names.get(code, [])]
    if other_names:
        w(f'<p><strong>{T("other_names")}:</strong> ')
        w(", ".join(f'<span class="erp-name" lang="{_a(code)}">{_a(n)}</span>' for n, code in other_names))
        w("</p>")
    if r.get("website"):
        w(f'<p><strong>{T("website")}:</strong> <a href="{_href(r["website"])}" rel="nofollow noopener">{_a(r["website"])}</a></p>')
    else:
        w(f'<p><strong>{T("website")}:</strong> {T("website_not_given")}</p>')
    company = r.get("company")
    if company:
        w(f'<p><strong>{T("company")}:</strong> {txt(company.get("name"))}')
        if company.get("country"):
            w(f' ({_a(company["country"])})')
        w(f' {L.cites(company.get("sources"))}</p>')
    w(vendor_extras.head_html(r, L))
    if r.get("categories"):
        w(f'<p><strong>{T("categories")}:</strong> ')
        w("".join(f'<span class="erp-chip">{_a(c)}</span> ' for c in r["categories"]))
        w("</p>")
    if r.get("marketplaces"):
        w(f'<p><strong>{T("marketplaces")}:</strong> {", ".join(_a(m) for m in r["marketplaces"])}</p>')
    w(f'<p><strong>{T("record")}:</strong> <a href="{_href(view.repo + "/blob/main/vendors/" + r["id"] + ".yaml")}">'
      f'{T("record_file")}</a> · <a href="{_href(view.repo + "/commits/main/vendors/" + r["id"] + ".yaml")}">'
      f'{T("edit_history")}</a> · <a href="feed.xml">RSS</a> · <a href="{root}api/v1/vendors/{rid}.json">JSON</a></p>'
      f'\n</div>\n\n')

    # Rubric
    w(heading(2, "rubric", i18n.t("rubric", lang), lang))
    w(f'\n\n<div class="erp-rubric"><p>{T("rubric_intro")} <a href="{base}rubric/">{T("rubric_how")}</a></p>\n'
      f'<table class="erp-rubric-table"><thead><tr><th>{T("question")}</th><th>{T("answer")}</th>'
      f'<th>{T("why_this_answer")}</th></tr></thead><tbody>')
    for a, title, label in view.rubric:
        qid = _a(a["question"])
        w(f'\n<tr id="rubric-{qid}"><td><a href="{base}rubric/#{qid}">{txt(title)}</a></td><td><span class="erp-chip '
          f'erp-answer-{_a(a["answer"])}">{txt(label)}</span></td><td>{txt(a.get("explanation"))}')
        if a.get("evidence"):
            w(f'<details><summary>{T("evidence")} ({len(a["evidence"])})</summary>{L.quotes(a["evidence"])}</details>')
        w("</td></tr>")
    w("\n</tbody></table></div>\n\n")

    # Watched documents
    def _watched_documents() -> None:
        if not r.get("policies"):
            return
        w(f'<div class="erp-table-wrap"><table class="erp-docs">\n<thead><tr><th>{T("document")}</th><th>{T("type")}</th>'
          f'<th>{T("language")}</th><th>{T("last_checked")}</th><th>{T("status")}</th><th>{T("last_policy_change")}</th>'
          f'</tr></thead>\n<tbody>')
        for p in docs:
            title = txt(p["title"]) if p["title"] else _a(p["url"])
            last = p["last_change"]
            last_html = (f'<a href="{base}changes/{_a(last["slug"])}">{_a(last["date"])}</a>' if last
                         else T("none_recorded"))
            w(f'\n<tr><td><a href="{_href(p["url"])}" rel="nofollow noopener">{title}</a></td>'
              f'<td>{T("policy_type_" + str(p["type"]))}</td><td>{_a(p["language"])}</td>'
              f'<td>{_a(p["checked"]) if p["checked"] else T("not_yet_checked")}</td>'
              f'<td class="erp-status-{_a(p["state"])}">{_a(p["state_text"])}</td><td>{last_html}</td></tr>')
        w("\n</tbody></table></div>")
        for p in docs:
            if not p["history"]:
                continue
            title = txt(p["title"]) if p["title"] else _a(p["url"])
            w(f'\n<details class="erp-history" id="history-{_a(p["id"])}"><summary>{T("version_history")}: {title} '
              f'({len(p["history"])})</summary><ul>')
            for h in p["history"]:
                w(f'<li><a href="{base}changes/{_a(h["slug"])}">{_a(h["date"])}</a> (+{_a(h["added"])} / −{_a(h["removed"])})</li>')
            if p["first_recorded"]:
                w(f'<li>{_a(p["first_recorded"])}: {T("first_recorded")}</li>')
            w("\n</ul></details>")
        w("\n")
    section("watched-documents", "watched_documents", "none", _watched_documents)

    # Claims
    def _claims() -> None:
        if not view.claims_by_topic:
            return
        w('<div class="erp-claims">')
        for topic, claims in view.claims_by_topic:
            w(f'\n<h3 id="claims-{_a(topic)}">{T("topic_" + topic)}</h3>')
            for c in claims:
                ended = c.get("ended")
                w(f'\n<div class="erp-claim{" erp-ended" if ended else ""}" id="claim-{_a(c["id"])}">\n<p>{txt(c["summary"])}')
                if c.get("since"):
                    w(f' <span class="erp-date">({T("since")} {d(c["since"])})</span>')
                w("</p>")
                if ended:
                    w(f'<p class="erp-ended-note"><strong>{T("ended")}</strong> {d(ended.get("date"))}: '
                      f'{T("reason_" + str(ended.get("reason")))}')
                    if ended.get("superseded_by"):
                        sup = _a(ended["superseded_by"])
                        w(f' ({T("superseded_by")} <a href="#claim-{sup}">{sup}</a>)')
                    if ended.get("note"):
                        w(f". {txt(ended['note'])}")
                    w(f' {L.cites(ended.get("sources"))}</p>')
                w(f'\n{L.quotes(c.get("sources"))}{L.checks("claim", c["id"])}\n</div>')
        w("\n</div>\n")
    section("claims", "claims", "no_claims", _claims)
    w(vendor_extras.yardstick_html(r, L))
    w(vendor_extras.reports_html(r, L))
    w(vendor_extras.observations_html(r, L))

    # Default settings
    def _toggles() -> None:
        if not view.toggles:
            return
        w('<div class="erp-toggles">')
        for tg, state in view.toggles:
            w(f'\n<h3 id="toggle-{_a(tg["id"])}">{txt(tg["name"])}</h3>')
            if tg.get("controls"):
                w(f'<p>{txt(tg["controls"])}</p>')
            if tg.get("report"):
                w(f'<p>{T("report")}: <code>{_a(tg["report"])}</code></p>')
            if state.conflict:
                w(f'<div class="admonition warning"><p class="admonition-title">{T("sources_disagree")}</p></div>')
            w('\n<ol class="erp-timeline">')
            for k, e in enumerate(tg["history"]):
                when = f'{T("effective")} {d(e["effective"])}' if e.get("effective") else T("undated")
                w(f'\n<li class="erp-toggle-entry"><p><strong>{when}</strong>: {T("default")} <span class="erp-value '
                  f'erp-value-{_a(e["default"])}">{T(e["default"])}</span> · {T("applies_to")}: '
                  f'{T("applies_" + str(e["applies_to"]))}')
                if e.get("where"):
                    w(f' · {T("where")}: {txt(e["where"])}')
                w("</p>")
                if e.get("note"):
                    w(f'<p>{txt(e["note"])}</p>')
                w(f'\n{L.quotes(e.get("sources"))}{L.checks("toggle", str(tg["id"]) + "/" + str(k))}</li>')
            w("\n</ol>")
        w("\n</div>\n")
    section("toggles", "toggles", "no_toggles", _toggles)

    # Data access
    def _data_access() -> None:
        if not view.access:
            return
        w(f'<div class="erp-access"><p>{T("access_intro")}</p>\n<ul>')
        for a, item in view.access:
            if a.get("role"):
                what = f'{T("role")}: {_a(item["role_name"])}'
            elif a.get("report"):
                what = f'{T("report")}: {_a(item["report_name"])} <code>{_a(a["report"])}</code>'
            else:
                what = txt(a.get("data"))
            w(f'\n<li><p><strong>{what}</strong> <span class="erp-chip">{_a(a["api"])}</span>')
            if item["restricted"]:
                w(f' <span class="erp-chip erp-restricted">{T("restricted_role")}</span>')
            w("</p>")
            if item["unlocks"]:
                w(f'<p>{T("unlocks")}: {_a(item["unlocks"])}</p>')
            if a.get("frequency"):
                w(f'<p>{T("frequency")}: {txt(a["frequency"])}</p>')
            if a.get("note"):
                w(f'<p>{txt(a["note"])}</p>')
            w(f'\n{L.quotes(a["sources"])}</li>')
        w("\n</ul></div>\n")
    section("data-access", "data_access", "no_access", _data_access)

    # Least privilege
    lp = view.lp
    w(heading(3, "least-privilege", i18n.t("least_privilege", lang), lang))
    w(f'\n\n<div class="erp-privilege"><p><strong>{txt(lp.get("summary"))}</strong></p>')
    if lp.get("excess"):
        w("<ul>")
        for x in lp["excess"]:
            w(f'<li><p><strong>{txt(x["access"].get("label"))}</strong> <span class="erp-chip erp-verdict-{_a(x["verdict"])}">'
              f'{T("verdict_" + str(x["verdict"]))}</span></p><p>{txt(x.get("why"))}</p>{L.quotes(x.get("evidence"))}</li>')
        w("\n</ul>")
    if lp.get("needed"):
        w(f'<p>{T("features_need")}</p><ul>')
        for n in lp["needed"]:
            roles = f'<code>{", ".join(_a(x) for x in n["roles"])}</code>; ' if n.get("roles") else ""
            w(f'<li>{txt(n.get("name"))}: {roles}{_a(n.get("data"))}</li>')
        w("</ul>")
    w(f'\n<p class="erp-note"><small>{txt(lp.get("basis_note"))}</small></p>\n</div>\n')
    if r.get("features"):
        w("\n")
        w(heading(3, "features", i18n.t("features", lang), lang))
        w('\n\n<ul class="erp-features">')
        for f in r["features"]:
            summary = f': {txt(f["summary"])}' if f.get("summary") else ""
            w(f'\n<li><strong>{_a(f["feature"])}</strong>{summary} {L.quotes(f.get("sources"))}</li>')
        w("\n</ul>\n")
    w("\n\n")

    # Incidents
    def _incidents() -> None:
        if not view.incidents:
            return
        for inc, when, at_date in view.incidents:
            iid = _a(inc["id"])
            w("\n")
            w(heading(3, "incident-" + str(inc["id"]), str(pick(inc["title"], lang)), lang))
            w(f'\n\n<div class="erp-incident" id="incident-body-{iid}">\n<p><span class="erp-chip '
              f'erp-status-{_a(inc["status"])}">{T("status_" + str(inc["status"]))}</span>')
            if inc.get("occurred"):
                w(f' · {T("occurred")}: {d(inc["occurred"])}')
            if inc.get("reported"):
                w(f' · {T("reported")}: {d(inc["reported"])}')
            w(f'</p>\n<p>{txt(inc["summary"])}</p>')
            if inc.get("statements"):
                w(f'<h4>{T("statements")}</h4><ul class="erp-statements">')
                for s in inc["statements"]:
                    who = f' ({txt(s["who"])})' if s.get("who") else ""
                    date = f', {d(s["date"])}' if s.get("date") else ""
                    w(f'<li><strong>{T("by_" + str(s["by"]))}{who}</strong>{date}: {txt(s["text"])} {L.quotes(s.get("sources"))}</li>')
                w("\n</ul>")
            w(f'\n<h4>{T("vendor_response")}</h4>')
            vr = inc["vendor_response"]
            if vr.get("none_recorded_as_of"):
                w(f'<p>{T("no_response_as_of")} {d(vr["none_recorded_as_of"])}.</p>')
            else:
                date = f'{d(vr["date"])}: ' if vr.get("date") else ""
                w(f'<p>{date}{txt(vr.get("summary"))}</p>{L.quotes(vr.get("sources"))}')
            w(f'\n<p class="erp-cites">{T("sources")}: {L.cites(inc.get("sources"))}</p>')
            if at_date:
                w(f'<h4>{T("policy_at_date")}')
                if when:
                    w(f" ({d(when)})")
                w('</h4><ul class="erp-at-date">')
                for pid, found, versions in at_date:
                    w(f'<li><strong>{_a(L.doc_titles[pid])}</strong>: ')
                    if found.state == "found":
                        w(", ".join(f'<a href="{_href(url)}" rel="nofollow">{T("version_of")} {_a(time[:10])}</a>'
                                    for time, url in versions))
                        if found.partial:
                            w(f' <small>{T("partial_date_range")}</small>')
                        if found.partly_before:
                            w(f' <small>{T("history_starts")} {_a((found.first_recorded or "")[:10])}.</small>')
                    elif found.state == "before-history":
                        w(f'{T("history_not_back")} {_a((found.first_recorded or "")[:10])}.')
                    elif found.state == "year-unknown":
                        w(T("year_unknown_no_lookup"))
                    else:
                        w(T("no_history"))
                    w("</li>")
                w("\n</ul>")
            w("\n</div>\n")
        w("\n")
    section("incidents", "incidents", "no_incidents", _incidents)

    # Sources
    w(heading(2, "sources", i18n.t("sources", lang), lang))
    w('\n\n<ol class="erp-sources">')
    for s in r.get("sources", []):
        title = txt(s["title"]) if s.get("title") else T("untitled")
        w(f'\n<li id="source-{_a(s["id"])}"><a href="{_href(s.get("url"))}" rel="nofollow noopener">{title}</a> · '
          f'{txt(s.get("publisher"))}')
        if s.get("author"):
            w(f' ({_a(s["author"])})')
        w(f' · {T("kind_" + str(s.get("kind")))}')
        if s.get("published"):
            w(f' · {T("published")} {d(s["published"])}')
        if s.get("retrieved"):
            w(f' · {T("retrieved")} {d(s["retrieved"])}')
        if s.get("archive_url"):
            w(f' · <a href="{_href(s["archive_url"])}" rel="nofollow noopener">{T("archived_copy")}</a>')
        if s.get("note"):
            w(f'<br><small>{txt(s["note"])}</small>')
        w("</li>")
    w("\n</ol>\n")
    return "".join(out)


def history_body(items: list[dict], lang: str, base: str, repo: str, diffs: dict) -> str:
    """A watched document's history page: every recorded change (changes.collect entries, newest first) with
    its word-level diff. `diffs`: change id -> diff HTML (changes.diff_html), made once for both languages."""
    first = items[0]
    label = changes.doc_label(first["policy"], lang)
    vid, name = _a(first["vendor"]), _a(first["vendor_name"])
    t = functools.partial(i18n.t, lang=lang)
    out = [f'\n<h1 id="title">{_a(first["vendor_name"] + ": " + label)}</h1>\n\n<div class="erp-change-head">\n'
           f'<p><strong>{_a(t("vendor"))}:</strong> <a href="{base}vendors/{vid}/">{name}</a> · '
           f'<strong>{_a(t("document"))}:</strong> <a href="{_href(first["policy"].get("url"))}" rel="nofollow noopener">'
           f'{_a(label)}</a></p>\n<p>{_a(t("history_intro"))} <a href="{base}vendors/{vid}/#watched-documents">'
           f'{_a(t("watched_documents"))}</a></p>\n</div>\n']
    doc_lang = _a(first["policy"].get("language"))
    previous, this, none = _a(t("previous_version")), _a(t("this_version")), _a(t("none"))
    words, raw = _a(t("words")), _a(t("raw_snapshot"))
    for c in items:
        change = c["change"]
        time = change["time"]
        prev = f'<time>{_a(c["previous_time"])}</time>' if c.get("previous_time") else none
        diff = diffs.get(change["id"]) or changes.diff_html(change.get("diff") or [])
        out.append(f'\n{heading(2, c["anchor"], time[:10] + " " + time[11:16] + " UTC", lang)}\n\n'
                   f'<div class="erp-change">\n<p><strong>{previous}:</strong> {prev} · <strong>{this}:</strong> '
                   f'<time>{_a(time)}</time></p>\n<p><ins class="erp-ins">+{_a(change["added"])}</ins> / '
                   f'<del class="erp-del">−{_a(change["removed"])}</del> {words} · '
                   f'<a href="{_href(repo + "/blob/main/snapshots/" + change["raw"])}" rel="nofollow">{raw}</a></p>\n'
                   + "".join(f'<p class="erp-note">{_a(t("change_" + k))}</p>\n' for k in ("minor", "revisit")
                             if change.get(k)) +
                   f'<div class="erp-diff" lang="{doc_lang}">{diff}</div>\n</div>\n')
    out.append("\n")
    return "".join(out)


# --- the site-wide lists: one row per vendor or incident, made in the build's workers, joined in order -----

def _t(key: str, lang: str) -> str:
    return _a(i18n.t(key, lang))


def compare_row_html(row: dict, lang: str) -> str:
    """One vendor's row of the comparison table (`row`: generate._compare_row)."""
    names = "".join(f'<br><span lang="zh">{_a(n)}</span>' for n in row["zh_names"]) + vendor_extras.compare_notes(row, lang)
    none = _t("none_recorded", lang)
    access = f'<ul>{"".join(f"<li>{_a(a)}</li>" for a in row["access"])}</ul>' if row["access"] else none
    if row["defaults"]:
        mark = i18n.t("sources_disagree", lang).split("." if lang == "en" else "。")[0]
        items = []
        for tg in row["defaults"]:
            entries = "; ".join(f'<span class="erp-value erp-value-{_a(e["value"])}">{_t(e["value"], lang)}</span> '
                                f'({_a(e["label"])})' for e in tg["entries"])
            conflict = f' <strong class="erp-conflict">⚠ {_a(mark)}</strong>' if tg["conflict"] else ""
            items.append(f"<li>{_a(tg['name'])}: {entries}{conflict}</li>")
        defaults = f'<ul>{"".join(items)}</ul>'
    else:
        defaults = none
    return (f'\n<tr data-categories="{" ".join(_a(c) for c in row["categories"])}" '
            f'data-marketplaces="{" ".join(_a(m) for m in row["marketplaces"])}" '
            f'data-languages="{" ".join(_a(x) for x in row.get("languages", ()))}"><td><a href="{_a(row["id"])}/">'
            f'<strong>{_a(row["name"])}</strong></a>{names}</td>\n'
            f'<td>{", ".join(_a(c) for c in row["categories"])}</td><td>{", ".join(_a(m) for m in row["marketplaces"])}</td>\n'
            f'<td>{access}</td>\n<td>{defaults}</td>\n<td data-sort="{_a(row["incidents"])}">{_a(row["incidents"])}</td>\n'
            f'<td data-sort="{_a(row["last_change_sort"])}">{_a(row["last_change"]) if row["last_change"] else none}</td></tr>')


def vendors_index_body(rows_html: list[str], lang: str) -> str:
    t = functools.partial(_t, lang=lang)
    return (f'<h1 id="title">{t("vendors")}</h1>\n\n<p>{t("vendor_index_intro")}</p>\n\n'
            f'<div class="erp-table-wrap"><table class="erp-compare" id="erp-compare">\n<thead><tr><th>{t("vendor")}</th>'
            f'<th>{t("categories")}</th><th>{t("marketplaces")}</th><th>{t("data_access")}</th>'
            f'<th>{t("current_defaults")}</th><th>{t("incident_count")}</th><th>{t("last_policy_change")}</th></tr>'
            f'</thead>\n<tbody>{"".join(rows_html)}\n</tbody></table></div>\n')


def incident_item_html(record: dict, inc: dict, lang: str) -> str:
    """One incident's entry in the list of every incident."""
    vid = _a(record["id"])
    dated = ""
    if inc.get("occurred"):
        dated += f' · {_t("occurred", lang)}: {date_html(inc["occurred"], lang)}'
    if inc.get("reported"):
        dated += f' · {_t("reported", lang)}: {date_html(inc["reported"], lang)}'
    return (f'\n<li><p><a href="../vendors/{vid}/#incident-{_a(inc["id"])}"><strong>{text_html(inc.get("title"), lang)}</strong>'
            f'</a> — <a href="../vendors/{vid}/">{_a(record["name"])}</a></p>\n<p><span class="erp-chip '
            f'erp-status-{_a(inc.get("status"))}">{_t("status_" + str(inc.get("status")), lang)}</span>{dated}</p>\n'
            f'<p>{text_html(inc.get("summary"), lang)}</p></li>')


def incidents_body(items_html: list[str], lang: str) -> str:
    t = functools.partial(_t, lang=lang)
    head = f'<h1 id="title">{t("incidents")}</h1>\n\n<p>{t("all_incidents")} {t("date_note_partial")}</p>\n\n'
    if not items_html:
        return head + f'<p>{t("no_incidents")}</p>\n\n'
    return head + f'<ol class="erp-incident-list">{"".join(items_html)}\n</ol>\n\n'
