"""Test helpers: read a feed or an HTML fragment as a reader would, and refuse any live markup.

A feed reader takes an RSS item's description, XML-decoded, as HTML. So the check decodes the XML (ElementTree,
strict), parses the decoded description with html5lib (the HTML5 parsing algorithm browsers use), and allows only
the elements the feed writer puts there, with no event-handler attribute and no URL other than http(s). feedparser
must read the feed without complaint too.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import feedparser
import html5lib

FEED_ELEMENTS = {"p", "a", "ul", "li", "code", "del", "ins", "strong", "em"}
NEVER = {"script", "style", "iframe", "svg", "math", "object", "embed", "img", "meta", "link", "base", "form"}
URL_ATTRS = {"href", "src", "action", "formaction", "data", "background", "poster", "xlink:href"}
_CR = re.compile(r"\r\n?")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def fragment(markup: str, allowed: set[str], where: str = ""):
    """`markup` parsed as an HTML5 fragment (an ElementTree element); fails on any live markup it holds."""
    root = html5lib.parseFragment(markup, treebuilder="etree", namespaceHTMLElements=False)
    return check_tree(root, allowed, where, markup)


def check_tree(root, allowed: set[str], where: str = "", markup: str = ""):
    """Every element under `root` (an html5lib etree element) is allowed and inert."""
    for el in root.iter():
        if el is root or not isinstance(el.tag, str):
            continue  # the fragment's container; comments are inert
        name = _local(el.tag).lower()
        assert name not in NEVER and name in allowed, (where, name, markup[:300])
        for attr, value in el.attrib.items():
            attr = _local(attr).lower()
            assert not attr.startswith("on"), (where, name, attr, markup[:300])
            assert attr in {"href", "class", "lang", "id", "rel", "title"}, (where, name, attr)
            if attr in URL_ATTRS:
                scheme = re.match(r"^([a-z][a-z0-9+.-]*):", re.sub(r"[\x00-\x20]", "", value).lower())
                assert scheme is None or scheme.group(1) in ("http", "https"), (where, name, attr, value)
    return root


def diffs(page: str, where: str = "") -> list:
    """The word-level diffs (`.erp-diff`) of a change page as a browser parses it, each checked: only the
    elements the diff renderer makes (ins, del, span), with no live markup from the fetched text."""
    doc = html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=False)
    found = [el for el in doc.iter("div") if "erp-diff" in (el.get("class") or "").split()]
    for el in found:
        check_tree(el, {"ins", "del", "span"}, where)
    return found


def text_of(root) -> str:
    return "".join(root.itertext())


def read_feed(raw: str | bytes, where: str = "") -> list[dict]:
    """Every item of a feed as a reader gets it: title and category (plain text), link, the description as HTML
    (checked) and its text. Also checks the channel and that feedparser reads the feed."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    parsed = feedparser.parse(data)
    assert not parsed.bozo, (where, parsed.get("bozo_exception"))
    root = ET.fromstring(data)
    channel = root.find("channel")
    for link in channel.iter("link"):
        assert (link.text or "").startswith(("http://", "https://")), (where, link.text)
    for el in root.iter("{http://www.w3.org/2005/Atom}link"):
        assert el.get("href", "").startswith(("http://", "https://")), (where, el.get("href"))
    for entry in parsed.entries:  # feedparser's own reading, after its sanitiser
        fragment(entry.get("summary", ""), FEED_ELEMENTS, where)
    # readers (feedparser among them) take the channel's description as HTML: ours is text only
    fragment(channel.findtext("description") or "", set(), where)
    fragment(parsed.feed.get("subtitle", ""), set(), where)
    items = []
    for item in channel.iter("item"):
        description = item.findtext("description") or ""
        html = fragment(description, FEED_ELEMENTS, where)
        items.append({"title": item.findtext("title") or "", "category": item.findtext("category") or "",
                      "link": item.findtext("link"), "guid": item.findtext("guid") or "",
                      "description": description, "text": _CR.sub("\n", text_of(html))})
    assert len(items) == len(parsed.entries), where
    return items
