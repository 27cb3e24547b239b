"""Record text for display: pick the reader's language, escape for HTML and Markdown.

Record text is untrusted. Pages are Markdown files whose record-derived parts are either raw HTML blocks
(every value HTML-escaped by the templates' autoescape) or Markdown inline text passed through `md()`,
which escapes HTML and every Markdown/attr_list metacharacter so a name like `x {: onclick=...}` or
`[a](javascript:...)` stays text.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata

from markupsafe import Markup

LANGS = ("en", "zh")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ASCII_CZ = re.compile(r"[\x00-\x20\x7f]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~^=:<>&\"'])")


@functools.lru_cache(maxsize=8192)  # the same quotes appear on both languages' pages, often several times
def detect_lang(text: str) -> str:
    """Language of a plain-string field: Chinese if it has a good share of CJK characters."""
    cjk = len(_CJK.findall(text))
    letters = sum(1 for c in text if c.isalpha())
    return "zh" if letters and cjk / letters >= 0.3 else "en"


class Localized(str):
    """A string that knows its language and whether it is a fallback from the other language."""

    lang: str
    fallback: bool

    def __new__(cls, value: str, lang: str, fallback: bool):
        obj = super().__new__(cls, value)
        obj.lang = lang
        obj.fallback = fallback
        return obj


def pick(value, lang: str) -> Localized | None:
    """The text of a `text` field in `lang`, or in the language it has (marked as a fallback)."""
    if value is None:
        return None
    if isinstance(value, str):
        got = detect_lang(value)
        return Localized(value, got, got != lang)
    if isinstance(value, dict):
        if value.get(lang):
            return Localized(value[lang], lang, False)
        for other in LANGS:
            if value.get(other):
                return Localized(value[other], other, True)
    return Localized(str(value), lang, False)


def plain(value, lang: str = "en") -> str:
    got = pick(value, lang)
    return str(got) if got is not None else ""


def replace_chars(text: str, pairs: tuple) -> str:
    """`text` with each (character, replacement) of `pairs` replaced in order; skips absent characters (most
    text has none of them), which is faster than html.escape's unconditional replaces."""
    for raw, entity in pairs:
        if raw in text:
            text = text.replace(raw, entity)
    return text


def esc(value) -> Markup:
    return Markup(html.escape(str(value), quote=True))


def md(value) -> Markup:
    """Escape text for a Markdown inline context (headings, link text): HTML and Markdown syntax."""
    text = " ".join(str(value).split())
    # Character references rather than backslashes: Python-Markdown only honours backslash escapes for
    # some characters, and extensions (attr_list, emoji, tilde, mark) give meaning to others.
    return Markup(_MD_SPECIAL.sub(lambda m: f"&#{ord(m.group(1))};", text))


_HTTP = re.compile(r"^https?://", re.I)


def safe_url(url) -> str:
    """Only http(s) URLs are ever linked (validation refuses others; this is the last line of defence)."""
    url = str(url or "")
    if not _HTTP.match(url):
        return "#"
    if url.isascii():  # in ASCII, the C and Z categories are the controls and the space
        return "#" if _ASCII_CZ.search(url) else url
    return "#" if any(unicodedata.category(c)[0] in "CZ" for c in url) else url


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
