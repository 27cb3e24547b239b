"""Render the generated site pages for one language.

Index pages are Markdown with escaped HTML blocks. Vendor pages and document history pages, the pages
that grow with the number of vendors, are finished HTML bodies (FastPage): the site build puts them into
the theme's page frame without running Markdown or the theme per page (scripts/mkdocs_hooks.py), and their
Markdown form (front matter + the same HTML) stays buildable by any mkdocs.yml builder.
"""

from __future__ import annotations

import functools
import html
import json
import re
from pathlib import Path

import jinja2
from markupsafe import Markup

from scripts import changes, dates, derive, i18n, privilege, quotes, rubric
from scripts.text import detect_lang, esc, md, pick, safe_url

TEMPLATES = Path(__file__).resolve().parent / "templates"
TOPICS = ["collection", "purpose", "retention", "deletion", "sharing", "resale", "aggregate-use", "location",
          "security", "change-notice"]


@functools.cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["md"] = md
    env.filters["href"] = safe_url
    # Language-dependent filters read the page's Renderer from the template context.
    env.filters["txt"] = jinja2.pass_context(lambda ctx, value: ctx["R"].txt(value))
    env.filters["d"] = jinja2.pass_context(lambda ctx, value: ctx["R"].d(value))
    return env


# Headings made by the _macros.html.j2 `h` macro (escaped text, then the permalink): the table of contents.
_HEADING = re.compile(r'<h([1-3]) id="([^"]+)">([^<]*)(?:<a class="headerlink"|</h1>)')
_TAG = re.compile(r"<[^>]*>")


class FastPage(str):
    """A generated page with a finished HTML body. As a string it is the page's portable Markdown (front
    matter, then the body, which Markdown passes through); the attributes are what the site build's fast path
    needs. `title` and `vendor_name` are plain text (escaped where they are written)."""

    title: str
    body: str
    lang: str
    vendor_feed: str | None
    vendor_name: str | None
    search: str  # "sections": every h2/h3 section is a search entry; "title": one entry, the page's head only
    search_skip: frozenset  # ids of sections left out of the search index (derived boilerplate, long lists)
    nav: bool  # a page in the site navigation: built by mkdocs from a stub, then filled with the body

    def __new__(cls, title: str, body: str, lang: str, vendor_feed: str | None = None,
                vendor_name: str | None = None, search: str = "sections", search_skip=frozenset(),
                nav: bool = False):
        meta = {"title": _meta_title(title)}
        if vendor_feed:
            meta.update(vendor_feed=vendor_feed, vendor_name=_meta_title(vendor_name or ""))
        front = "".join(f'{k}: "{v}"\n' for k, v in meta.items())
        self = super().__new__(cls, f"---\n{front}---\n{body}")
        self.title, self.body, self.lang = title, body, lang
        self.vendor_feed, self.vendor_name, self.search = vendor_feed, vendor_name, search
        self.search_skip, self.nav = frozenset(search_skip), nav
        return self

    def __reduce__(self):  # pickled between the build's worker processes
        return (FastPage, (self.title, self.body, self.lang, self.vendor_feed, self.vendor_name, self.search,
                           self.search_skip, self.nav))

    def headings(self) -> list[tuple[int, str, str]]:
        """(level, id, text as escaped HTML) of the page's h1 and every h2/h3 with a permalink, in order."""
        return [(int(lv), hid, _TAG.sub("", inner).strip()) for lv, hid, inner in _HEADING.findall(self.body)]


class Renderer:
    """Holds the language and the page's position so templates can link and translate."""

    def __init__(self, lang: str, depth: int, config: dict):
        """`depth`: how many folders below its language's root the page is (vendors/x/index.md: 2)."""
        self.lang = lang
        self.config = config
        self.lang_prefix = "" if lang == "en" else f"{lang}/"
        self.base = "../" * depth  # from the page to its language's root (the Chinese tree is under zh/)
        self.root = "../" * (depth + (0 if lang == "en" else 1))  # from the page to the site root

    def T(self, key: str) -> str:
        return i18n.t(key, self.lang)

    def txt(self, value) -> Markup:
        got = pick(value, self.lang)
        if got is None:
            return Markup("")
        body = esc(got)
        if got.fallback:
            note = esc(i18n.t("in_other_language", self.lang)) if got.lang != self.lang else ""
            return Markup(f'<span lang="{got.lang}">{body}</span>') + (Markup(f' <small class="erp-lang">{note}</small>') if note else "")
        return body

    def d(self, value) -> Markup:
        parsed = derive.parse_date(value)
        if parsed is None:
            return esc(value or "")
        return Markup(f'<time class="erp-date" data-edtf="{esc(value)}">{esc(dates.render(parsed, self.lang))}</time>')

    def render(self, template: str, **context) -> str:
        tpl = _env().get_template(template)
        return tpl.render(R=self, T=self.T, root=self.root, base=self.base, lang=self.lang,
                          lang_prefix=self.lang_prefix, **context)


def _citation_html(renderer: Renderer, by_id: dict, citations, with_quotes: bool) -> Markup:
    """`by_id`: the record's sources by id."""
    parts = []
    for cit in citations or []:
        src = by_id.get(cit.get("source"), {})
        label = pick(src.get("publisher"), renderer.lang) or cit.get("source")
        link = Markup(f'<a class="erp-cite" href="#source-{esc(cit.get("source"))}">{esc(label)}</a>')
        if with_quotes and cit.get("quote"):
            q = cit["quote"]
            parts.append(Markup(f'<blockquote class="erp-quote"><p lang="{detect_lang(q)}">“{esc(q)}”</p>'
                                f'<footer>— {link}</footer></blockquote>'))
        else:
            parts.append(Markup(f"[{link}]"))
    return Markup(" ").join(parts)


def vendor_page(record: dict, renderer: Renderer, observed: dict) -> str:
    lang = renderer.lang
    names = record.get("names", {})
    other_names = [{"text": n, "lang": code} for code in ("zh", "en") for n in names.get(code, [])]
    qinfo = observed.get("quotes", {})
    doc_titles = {p["id"]: str(pick(p.get("title"), lang) or p["url"]) for p in record.get("policies", [])}

    def checks(kind, item):
        found = []
        for q in qinfo.values():
            if q["kind"] == kind and q["item"] == item:
                st = q["status"]
                found.append({"state": st.state, "since": st.since, "slug": st.change_slug,
                              "doc": doc_titles.get(q["policy"], q["policy"]), "quote": q["quote"]})
        return found

    claims = [{**c, "checks": checks("claim", c["id"])} for c in record.get("claims", [])]
    claims_by_topic = []
    for topic in TOPICS:
        group = [c for c in claims if c["topic"] == topic]
        if group:
            claims_by_topic.append((topic, group))
    toggles = []
    for tg in record.get("toggles", []):
        history = [{**e, "checks": checks("toggle", f"{tg['id']}/{k}")} for k, e in enumerate(tg["history"])]
        toggles.append({**tg, "history": history, "controls": tg.get("controls"), "report": tg.get("report"),
                        "state": derive.toggle_state(tg)})
    access = []
    for a in record.get("access", []):
        item = {"api": a["api"], "role": a.get("role"), "report": a.get("report"), "data": a.get("data"),
                "frequency": a.get("frequency"), "note": a.get("note"), "sources": a["sources"],
                "restricted": False, "unlocks": None, "role_name": None, "report_name": None}
        if a.get("role"):
            info = derive.role_info(a["role"]) or {}
            item.update(role_name=info.get("name", a["role"]), restricted=info.get("restricted", False),
                        unlocks=info.get("description"))
        if a.get("report"):
            info = derive.report_info(a["report"])
            item.update(report_name=info.get("name", ""), unlocks=info.get("contains"))
        access.append(item)
    repo = renderer.config["repo_url"].rstrip("/")
    incidents = []
    for inc in sorted(record.get("incidents", []), key=lambda i: incident_sort_key(record, i), reverse=True):
        when = inc.get("occurred") or inc.get("reported")
        at_date = []
        for p in record.get("policies", []):
            found = quotes.versions_at(when, observed.get("versions", {}).get(p["id"], []))
            at_date.append({"doc": doc_titles[p["id"]], "state": found.state, "partial": found.partial,
                            "partly_before": found.partly_before, "first_recorded": (found.first_recorded or "")[:10],
                            "versions": [{"time": v["time"], "url": f"{repo}/blob/main/snapshots/{record['id']}/"
                                                                   f"{p['id']}/versions/{v['new_hash']}.md"}
                                         for v in found.versions]})
        incidents.append({**inc, "occurred": inc.get("occurred"), "reported": inc.get("reported"),
                          "statements": inc.get("statements", []), "when": when, "at_date": at_date,
                          "title_text": str(pick(inc["title"], lang))})
    repo = renderer.config["repo_url"].rstrip("/")
    name = record["name"]
    sources_by_id = {s["id"]: s for s in record.get("sources", [])}
    labels = rubric.answer_labels()
    body = renderer.render(
        "vendor.html.j2", r=_Defaults(record), name=name,
        other_names=other_names, claims_by_topic=[(t, [_Defaults(c) for c in cs]) for t, cs in claims_by_topic],
        toggles=[_Defaults(t) for t in toggles], access=[_Defaults(a) for a in access],
        incidents=[_Defaults(i) for i in incidents], docs=observed.get("docs", []),
        record_url=f"{repo}/blob/main/vendors/{record['id']}.yaml",
        history_url=f"{repo}/commits/main/vendors/{record['id']}.yaml",
        quotes=lambda cits: _citation_html(renderer, sources_by_id, cits, True),
        evidence=lambda items: _citation_html(renderer, sources_by_id, items, True),
        rubric=[_Defaults({**a, "title": q["title"], "label": labels[a["answer"]]})
                for a, q in zip(rubric.evaluate(record), rubric.questions())],
        lp=_Defaults(privilege.least_privilege(record)),
        checks=lambda items: _checks_html(renderer, items),
        cites=lambda cits: _citation_html(renderer, sources_by_id, cits, False),
    )
    return FastPage(name, body, lang, vendor_feed=f"{renderer.lang_prefix}vendors/{record['id']}/feed.xml",
                    vendor_name=name, search_skip=VENDOR_SEARCH_SKIP)


# Vendor page sections not worth a search entry: the rubric and least-privilege text is derived and much the
# same on every page, the documents and sources are lists of titles and dates.
VENDOR_SEARCH_SKIP = frozenset({"rubric", "watched-documents", "least-privilege", "sources"})


def index_page(template: str, title_key: str, renderer: Renderer, **context) -> FastPage:
    """A page of the navigation that lists every vendor, incident or change (grows with the site)."""
    return FastPage(renderer.T(title_key), renderer.render(template, **context), renderer.lang, search="title",
                    nav=True)


def _checks_html(renderer: Renderer, items) -> Markup:
    """Whether a quote is still in the watched policy it comes from."""
    parts = []
    for c in items or []:
        doc = esc(c["doc"])
        if c["state"] == "found":
            parts.append(Markup(f'<p class="erp-check erp-check-found">✓ {esc(renderer.T("quote_found"))} <em>{doc}</em>.</p>'))
        elif c["state"] == "removed":
            since = esc((c["since"] or "")[:10])
            link = (Markup(f' (<a href="{renderer.base}changes/{esc(c["slug"])}">{esc(renderer.T("see_change"))}</a>)')
                    if c["slug"] else Markup(""))
            parts.append(Markup(f'<p class="erp-check erp-check-removed">⚠ {esc(renderer.T("quote_removed"))} {since}: '
                                f'<em>{doc}</em>{link}.</p>'))
        elif c["state"] == "missing":
            parts.append(Markup(f'<p class="erp-check erp-check-missing">{esc(renderer.T("quote_missing"))} <em>{doc}</em>.</p>'))
    return Markup("").join(parts)


def history_page(items: list[dict], renderer: Renderer, diffs: dict | None = None) -> FastPage:
    """One watched document's page: `items` are its changes (changes.collect entries), newest first.
    `diffs`: change id -> diff HTML, when the caller makes them once for both languages."""
    diffs = diffs or {}
    lang = renderer.lang
    first = items[0]
    label = changes.doc_label(first["policy"], lang)
    heading = f"{first['vendor_name']}: {label}"
    repo = renderer.config["repo_url"].rstrip("/")
    rows = [_Defaults({**c, "diff": diffs.get(c["change"]["id"]) or changes.diff_html(c["change"].get("diff") or []),
                       "raw_url": f"{repo}/blob/main/snapshots/{c['change']['raw']}"}) for c in items]
    body = renderer.render("history.html.j2", heading=heading, label=label, vendor_id=first["vendor"],
                           vendor_name=first["vendor_name"], policy=_Defaults(first["policy"]), items=rows)
    return FastPage(heading, body, lang, vendor_feed=f"{renderer.lang_prefix}vendors/{first['vendor']}/feed.xml",
                    vendor_name=first["vendor_name"], search="title")


def _meta_title(text: str) -> str:
    """Front-matter title: the theme prints it unescaped, so escape it here; JSON-quote for YAML."""
    return Markup(json.dumps(html.escape(" ".join(text.split())), ensure_ascii=False)[1:-1])


def incident_sort_key(record: dict, inc: dict) -> tuple:
    d = derive.parse_date(inc.get("reported")) or derive.parse_date(inc.get("occurred"))
    fallback = derive.recorded_date(record, inc.get("sources"))
    return d.sort_key(fallback) if d else (2, fallback.toordinal() if fallback else 0)


class _Defaults(dict):
    """A mapping whose missing keys read as None in templates (records omit optional fields)."""

    def __getattr__(self, key):
        value = self.get(key)
        if isinstance(value, dict) and not isinstance(value, _Defaults):
            value = self[key] = _Defaults(value)  # wrapped once: templates read the same field many times
        elif isinstance(value, list) and any(isinstance(v, dict) and not isinstance(v, _Defaults) for v in value):
            value = self[key] = [_Defaults(v) if isinstance(v, dict) and not isinstance(v, _Defaults) else v
                                 for v in value]  # (a _Defaults is a copy: the record itself is not changed)
        return value
