"""RSS 2.0 feeds of events: all events, and one per vendor.

Each element is escaped for what a reader does with it, since RSS leaves readers to guess:
- `description` is rendered as HTML. It is HTML this module builds (`item_html`) from a few elements (p, em,
  strong, ul, li, ins, del), in which every piece of record or fetched text is HTML-escaped, carried in a CDATA
  section (smaller and faster than escaping it again for XML; see `_cdata` on `]]>`). The decoded description
  is therefore our markup around character references, never markup from the text.
- the channel's description is HTML as well: its text, HTML-escaped, in CDATA.
- titles, categories, guids are plain text: escaped once, with the hexadecimal references for & < > that the
  RSS Best Practices Profile names as the form most readers take as plain text.
- links are only http(s) URLs (`text.safe_url`); an element whose URL is anything else is left out.
Characters XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/FFFF) are removed first, since no
escaping can carry them. The feed is written as a string (feeds are made per vendor and language: at 1,000
vendors a tree and its serialisation were a noticeable part of the build); tests/test_feed_reader.py reads it
with an XML parser, feedparser and an HTML5 parser on random hostile text and on every XSS payload.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from email.utils import format_datetime

from scripts.analysis.changes import EXCERPT_LABELS
from scripts.lang.text import replace_chars, safe_url

MAX_ITEMS_ALL = 100
MAX_ITEMS_VENDOR = 50
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Plain text: `&` first, so the references made after it are not escaped again. CR is a reference, or the XML
# parser would turn it into LF.
_PLAIN = (("&", "&#x26;"), ("<", "&#x3C;"), (">", "&#x3E;"), ("\r", "&#x0D;"))
_XML_TEXT = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_XML_ATTR = _XML_TEXT + (('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))
# Text inside our HTML: the five characters HTML gives meaning to, in element content and in quoted attributes.
_HTML = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;"))


def xml_clean(text: str) -> str:
    text = str(text)
    if text.isprintable():  # the common case, at C speed: no control character, surrogate or non-character
        return text
    return _XML_FORBIDDEN.sub("", text)


def plain(text) -> str:
    """Plain text as XML element text."""
    return replace_chars(xml_clean(text), _PLAIN)


def feed_url(url: str) -> str | None:
    """The URL if a reader may follow it (http or https, no spaces or controls, so nothing XML forbids), else
    None."""
    return None if safe_url(url) == "#" else url


@functools.lru_cache(maxsize=4096)
def _rfc822(day: str) -> str:
    return format_datetime(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(0, 0), dt.UTC))


def date_note(event: dict, lang: str) -> str:
    """What the date leaves open, for an event whose date is not an exact day ("" otherwise)."""
    if event["date_exact"]:
        return ""
    if lang == "zh":
        return f"日期:{event['date_text'][lang]}(来源未给出完整日期;按记录时间 {event['sort_date']} 排序)。"
    return (f"Date: {event['date_text'][lang]} (the source gives no full date; placed by when it was recorded, "
            f"{event['sort_date']}).")


_TAGS = {"+": "ins", "-": "del"}


def item_html(event: dict, lang: str = "en") -> str:
    """The description as HTML: the summary, the date note, and for a policy change its first edits (each with
    the words before it, the text marked as added or removed)."""
    out = f"<p>{replace_chars(event['summary'][lang].strip(), _HTML)}</p>"
    if not event["date_exact"]:
        out += f"<p><em>{replace_chars(date_note(event, lang), _HTML)}</em></p>"
    parts = event.get("excerpt_parts")
    if parts:
        label = EXCERPT_LABELS["zh" if lang == "zh" else "en"]
        out += "<ul>" + "".join(
            f"<li><strong>{label[op]}:</strong> “{replace_chars(before, _HTML) + ' ' if before else ''}"
            f"<{_TAGS[op]}>{replace_chars(text, _HTML)}</{_TAGS[op]}>”</li>" for op, before, text in parts) + "</ul>"
    elif event.get("excerpt"):
        out += f"<p>{replace_chars(event['excerpt'], _HTML)}</p>"
    return xml_clean(out)


def _cdata(markup: str) -> str:
    """`markup` as a CDATA section. Our HTML holds no `]]>` (every `>` of the texts is escaped and each of our
    tags ends in a letter), but a section must never end early, so one is split if it ever appears."""
    return "<![CDATA[" + (markup.replace("]]>", "]]]]><![CDATA[>") if "]]>" in markup else markup) + "]]>"


def _el(indent: str, tag: str, escaped: str, attrs: str = "") -> str:
    return f"{indent}<{tag}{attrs}>{escaped}</{tag}>\n" if escaped else f"{indent}<{tag}{attrs} />\n"


def _link(indent: str, url: str | None) -> str:
    return _el(indent, "link", replace_chars(url, _XML_TEXT)) if url else ""


_category = functools.lru_cache(maxsize=64)(plain)  # a few event types, in every item


def _item(event: dict, lang: str, link: str | None) -> str:
    return (f"    <item>\n      <title>{plain(event['title'][lang])}</title>\n{_link('      ', link)}"
            f"      <guid isPermaLink=\"false\">{plain(event['id'])}</guid>\n"
            f"      <pubDate>{_rfc822(event['sort_date'])}</pubDate>\n"
            f"      <category>{_category(event['type'])}</category>\n"
            f"      <description>{_cdata(item_html(event, lang))}</description>\n    </item>\n")


def rss(events: list[dict], *, title: str, description: str, site_url: str, feed_path: str,
        limit: int, lang: str = "en", link_prefix: str = "") -> bytes:
    """The feed, indented as ElementTree would indent it. `description` is plain text, shown as HTML by readers
    (feedparser takes a channel's description as HTML too), so it is HTML-escaped like an item's texts."""
    base = site_url.rstrip("/") + "/"
    self_url = feed_url(base + feed_path)
    home = feed_url(base + link_prefix)
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n'
           "  <channel>\n",
           _el("    ", "title", plain(title)),
           _link("    ", home),
           _el("    ", "description", _cdata(xml_clean(replace_chars(description, _HTML)))),
           _el("    ", "language", "zh-cn" if lang == "zh" else "en")]
    if self_url:
        out.append(f'    <atom:link href="{replace_chars(self_url, _XML_ATTR)}" rel="self" type="application/rss+xml" />\n')
    if events:
        # The newest event's date, so that the feed is byte-identical when nothing changed.
        out.append(_el("    ", "lastBuildDate", _rfc822(events[0]["sort_date"])))
    for event in events[:limit]:
        tail = event["link"]
        # A path of printable ASCII without spaces after a followable home keeps it followable (what feed_url
        # checks), so only other links are checked whole.
        link = home + tail if home and tail.isascii() and tail.isprintable() and " " not in tail \
            else feed_url(base + link_prefix + tail)
        out.append(_item(event, lang, link))
    out.append("  </channel>\n</rss>\n")
    return "".join(out).encode("utf-8")
