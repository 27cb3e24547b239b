"""RSS 2.0 feeds of events: all events, and one per vendor.

Text is escaped as ElementTree escapes it; characters XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/FFFF)
are removed first, since no escaping can carry them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from email.utils import format_datetime

from scripts.text import replace_chars

MAX_ITEMS_ALL = 100
MAX_ITEMS_VENDOR = 50
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_clean(text: str) -> str:
    return _XML_FORBIDDEN.sub("", str(text))


@functools.lru_cache(maxsize=4096)
def _rfc822(day: str) -> str:
    return format_datetime(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(0, 0), dt.UTC))


def item_text(event: dict, lang: str = "en") -> str:
    """Plain-words description: what changed, when (saying what the date leaves open), the excerpt."""
    parts = [event["summary"][lang].strip()]
    if not event["date_exact"]:
        if lang == "zh":
            parts.append(f"日期:{event['date_text'][lang]}(来源未给出完整日期;按记录时间 {event['sort_date']} 排序)。")
        else:
            parts.append(f"Date: {event['date_text'][lang]} (the source gives no full date; placed by when it "
                         f"was recorded, {event['sort_date']}).")
    if event.get("excerpt"):
        parts.append(event["excerpt"])
    return " ".join(p for p in parts if p)


_XML_TEXT = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_XML_ATTR = _XML_TEXT + (('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))


def _text(value: str) -> str:
    """Escape element text as ElementTree does."""
    return replace_chars(value, _XML_TEXT)


def _attr(value: str) -> str:
    """Escape an attribute value as ElementTree does."""
    return replace_chars(value, _XML_ATTR)


def _el(indent: str, tag: str, text: str, attrs: str = "") -> str:
    return f"{indent}<{tag}{attrs}>{_text(text)}</{tag}>\n" if text else f"{indent}<{tag}{attrs} />\n"


def rss(events: list[dict], *, title: str, description: str, site_url: str, feed_path: str,
        limit: int, lang: str = "en", link_prefix: str = "") -> bytes:
    """The feed as ElementTree would write it, indented, built as a string (feeds are made per vendor and
    language: at 1,000 vendors the tree and its serialisation were a noticeable part of the build)."""
    base = site_url.rstrip("/") + "/"
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n'
           "  <channel>\n",
           _el("    ", "title", xml_clean(title)),
           _el("    ", "link", base + link_prefix),
           _el("    ", "description", xml_clean(description)),
           _el("    ", "language", "zh-cn" if lang == "zh" else "en"),
           f'    <atom:link href="{_attr(base + feed_path)}" rel="self" type="application/rss+xml" />\n']
    if events:
        # The newest event's date, so that the feed is byte-identical when nothing changed.
        out.append(_el("    ", "lastBuildDate", _rfc822(events[0]["sort_date"])))
    for event in events[:limit]:
        out += ["    <item>\n",
                _el("      ", "title", xml_clean(event["title"][lang])),
                _el("      ", "link", base + link_prefix + event["link"]),
                _el("      ", "guid", event["id"], ' isPermaLink="false"'),
                _el("      ", "pubDate", _rfc822(event["sort_date"])),
                _el("      ", "category", event["type"]),
                _el("      ", "description", xml_clean(item_text(event, lang))),
                "    </item>\n"]
    out.append("  </channel>\n</rss>\n")
    return "".join(out).encode("utf-8")
