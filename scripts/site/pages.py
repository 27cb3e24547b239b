"""Render the generated site pages for one language.

Index pages are Markdown with escaped HTML blocks. Vendor pages, document history pages and the lists of
vendors, incidents and changes, the pages that grow with the number of vendors, are finished HTML bodies
(FastPage; most of them built as strings by scripts/site/bodies.py): the site build puts them into
the theme's page frame without running Markdown or the theme per page (scripts/site/mkdocs_hooks.py), and their
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

from scripts.analysis import changes
from scripts.lang import i18n
from scripts.lang.text import md, safe_url
from scripts.site import bodies

TEMPLATES = Path(__file__).resolve().parent / "templates"


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


# Headings made by bodies.heading (escaped text, then the permalink): the table of contents.
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
        head = f"---\n{front}---\n"
        self = super().__new__(cls, head + body)
        self._body_at = len(head)  # the body is this string's end: not kept twice (a build holds many pages)
        self.title, self.lang = title, lang
        self.vendor_feed, self.vendor_name, self.search = vendor_feed, vendor_name, search
        self.search_skip, self.nav = frozenset(search_skip), nav
        return self

    @property
    def body(self) -> str:
        return self[self._body_at:]

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
        return Markup(bodies.text_html(value, self.lang))

    def d(self, value) -> Markup:
        return Markup(bodies.date_html(value, self.lang))

    def render(self, template: str, **context) -> str:
        tpl = _env().get_template(template)
        return tpl.render(R=self, T=self.T, root=self.root, base=self.base, lang=self.lang,
                          lang_prefix=self.lang_prefix, **context)


def vendor_page(record: dict, renderer: Renderer, observed: dict, view: bodies.VendorView | None = None) -> FastPage:
    """`observed`: {"docs": rows in the renderer's language, "quotes": ..., "versions": ...}; `view`: the
    language-independent part, when the caller makes it once for both languages."""
    view = view or bodies.VendorView(record, observed, renderer.config)
    body = bodies.vendor_body(view, renderer.lang, renderer.base, renderer.root, observed.get("docs", []))
    name = record["name"]
    return FastPage(name, body, renderer.lang, vendor_feed=f"{renderer.lang_prefix}vendors/{record['id']}/feed.xml",
                    vendor_name=name, search_skip=VENDOR_SEARCH_SKIP)


# Vendor page sections not worth a search entry: the rubric and least-privilege text is derived and much the
# same on every page, the documents and sources are lists of titles and dates.
VENDOR_SEARCH_SKIP = frozenset({"rubric", "watched-documents", "least-privilege", "sources"})


def list_page(title_key: str, body: str, renderer: Renderer) -> FastPage:
    """A page of the navigation that lists every vendor or incident (grows with the site), from its body."""
    return FastPage(renderer.T(title_key), body, renderer.lang, search="title", nav=True)


def index_page(template: str, title_key: str, renderer: Renderer, **context) -> FastPage:
    """A page of the navigation that lists items of the whole site (the newest changes), from a template."""
    return FastPage(renderer.T(title_key), renderer.render(template, **context), renderer.lang, search="title",
                    nav=True)


def history_page(items: list[dict], renderer: Renderer, diffs: dict | None = None) -> FastPage:
    """One watched document's page: `items` are its changes (changes.collect entries), newest first.
    `diffs`: change id -> diff HTML, when the caller makes them once for both languages."""
    first = items[0]
    heading = f"{first['vendor_name']}: {changes.doc_label(first['policy'], renderer.lang)}"
    body = bodies.history_body(items, renderer.lang, renderer.base, renderer.config["repo_url"].rstrip("/"), diffs or {})
    return FastPage(heading, body, renderer.lang, vendor_feed=f"{renderer.lang_prefix}vendors/{first['vendor']}/feed.xml",
                    vendor_name=first["vendor_name"], search="title")


def _meta_title(text: str) -> str:
    """Front-matter title: the theme prints it unescaped, so escape it here; JSON-quote for YAML."""
    return Markup(json.dumps(html.escape(" ".join(text.split())), ensure_ascii=False)[1:-1])


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
