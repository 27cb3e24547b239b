"""RSS 2.0 feeds of events: all events, and one per vendor.

ElementTree escapes markup; characters XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/FFFF)
are removed first, since no escaping can carry them.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from email.utils import format_datetime

MAX_ITEMS_ALL = 100
MAX_ITEMS_VENDOR = 50
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_clean(text: str) -> str:
    return _XML_FORBIDDEN.sub("", str(text))


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


def rss(events: list[dict], *, title: str, description: str, site_url: str, feed_path: str,
        limit: int, lang: str = "en", link_prefix: str = "") -> bytes:
    base = site_url.rstrip("/") + "/"
    rss_el = ET.Element("rss", {"version": "2.0", "xmlns:atom": "http://www.w3.org/2005/Atom"})
    channel = ET.SubElement(rss_el, "channel")
    ET.SubElement(channel, "title").text = xml_clean(title)
    ET.SubElement(channel, "link").text = base + link_prefix
    ET.SubElement(channel, "description").text = xml_clean(description)
    ET.SubElement(channel, "language").text = "zh-cn" if lang == "zh" else "en"
    ET.SubElement(channel, "atom:link", {"href": base + feed_path, "rel": "self", "type": "application/rss+xml"})
    if events:
        # The newest event's date, so that the feed is byte-identical when nothing changed.
        ET.SubElement(channel, "lastBuildDate").text = _rfc822(events[0]["sort_date"])
    for event in events[:limit]:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = xml_clean(event["title"][lang])
        ET.SubElement(item, "link").text = base + link_prefix + event["link"]
        ET.SubElement(item, "guid", {"isPermaLink": "false"}).text = event["id"]
        ET.SubElement(item, "pubDate").text = _rfc822(event["sort_date"])
        ET.SubElement(item, "category").text = event["type"]
        ET.SubElement(item, "description").text = xml_clean(item_text(event, lang))
    ET.indent(rss_el)
    body = ET.tostring(rss_el, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")
