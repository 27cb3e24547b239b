"""HTML -> the document's text, as Markdown-like plain text.

`extract(html, select, remove)` is a pure function of its arguments, so stored raw HTML can be
re-extracted after a selector fix or an extractor upgrade (see EXTRACTOR_VERSION).

Default extraction (no `select`), in order:
1. drop what is never text: scripts, styles, templates, media, form controls, comments; and put back the
   e-mail addresses Cloudflare's obfuscation hid (`data-cfemail`, `/cdn-cgi/l/email-protection#…`), so the
   text is the same whether a page is served obfuscated or not;
2. drop what is not the document, by meaning rather than by site: page-level <header>/<footer> (those
   not inside article/main/section, as ARIA maps them to banner/contentinfo), <nav>, <aside>, <form>,
   dialogs, ARIA navigation/banner/contentinfo/search/complementary regions, hidden elements (`hidden`,
   aria-hidden, inline display:none / visibility:hidden however spaced or cased) and consent banners (known consent-manager ids
   and classes such as cookie-banner, onetrust, didomi) and "skip to content" links. A guard keeps
   any such element that holds more than half of the page's text unless it is mostly links: a page
   that wraps everything in a <form> or shows its policy in a dialog still has its policy extracted,
   while a menu goes even when it outweighs a short article;
3. narrow to the content: starting at <body>, step into the child that holds at least 80% of the
   text as long as everything beside it is mostly link text (menus, link lists); small blocks after it
   (under 5% of the text) that carry a copyright notice are footers and are dropped wherever the
   descent stops. Site chrome written
   as plain <div>s (a footer with a build number, a menu with "new!" badges) falls away, while a title
   band or a "Last updated" line beside the body stops the descent and stays in;
4. render: headings as `#`, list items as `- ` or `1. `, table rows as `| a | b |`, links as their text,
   images dropped; then normalise (scrapers.normalise.clean_text).

With `select`, only the matched elements are rendered (in document order), after `remove` and step 1 and
the hidden-element rule; the site-chrome rules of step 2 and the narrowing of step 3 are not applied,
since the record says exactly where the text is.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from soupsieve import SelectorSyntaxError

from scrapers.normalise import clean_text

# Bump when a change here would change extracted text: the watcher then re-extracts stored raw HTML as a
# technical update before comparing, instead of announcing every document as changed.
EXTRACTOR_VERSION = 2  # 2: Cloudflare e-mail addresses revealed; display:none however spaced

NEVER_TEXT = {"script", "style", "noscript", "template", "svg", "math", "canvas", "iframe", "frame",
              "frameset", "object", "embed", "head", "button", "input", "select", "textarea", "option",
              "img", "picture", "video", "audio", "source", "track", "map", "area", "link", "meta",
              "title", "base"}
CHROME_TAGS = {"nav", "aside", "form", "dialog"}
CHROME_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary", "dialog", "alertdialog",
                "menu", "menubar"}
SECTIONING = {"article", "aside", "main", "nav", "section"}
# Consent banners, by the words sites and consent managers use for them. A bare "cookie" is not enough:
# a cookie *policy* page wraps its text in class="cookie-policy".
# Consent banners: a whole id/class token made of a consent word and a banner word, or the name of a
# consent-management platform. "privacy-notice" or "cookie-notice-content" are not here on purpose: a
# privacy notice *is* a policy.
_CONSENT = re.compile(
    r"^(cookies?|consent|gdpr)[-_]?(banner|bar|popup|pop-up|modal|overlay|wall|prompt|notification|alert|"
    r"dialog|layer|consent|accept|law-info-bar)$|^cookie-notice$|^cc[-_](window|banner)$|"
    r"onetrust|cookiebot|didomi|usercentrics|truste-consent|trustarc-banner|qc-cmp|sp_message|osano-cm|"
    r"iubenda-cs|cookieyes|cky-consent|cmplz-cookiebanner|borlabs-cookie|klaro|tarteaucitron|axeptio|"
    r"cookiefirst|termly-consent", re.IGNORECASE)
# Inline CSS that hides an element, however it is spaced or cased (`display:\tnone`, `DISPLAY : NONE`,
# `display:none !important`); not a longer property that ends the same (`--x-display: none`).
_HIDDEN_STYLE = re.compile(r"(?<![\w-])(?:display\s*:\s*none|visibility\s*:\s*hidden)(?![\w-])", re.IGNORECASE)
# Cloudflare's e-mail obfuscation: the address XOR-ed with the first byte, in hex, where the page had it.
_CF_LINK = re.compile(r"/cdn-cgi/l/email-protection#([0-9a-fA-F]{4,})")
_CF_PLACEHOLDER = re.compile(r"\[\s*email\s*protected\s*\]", re.IGNORECASE)
# "Skip to content" links
_SKIP_LINK = re.compile(r"skip[-_]?(link|button|to|nav|content|main)|skiplink", re.IGNORECASE)
HEADINGS = {f"h{n}": n for n in range(1, 7)}
# Elements that flow inside a line; everything else (incl. unknown custom elements) starts a new line, so
# words in neighbouring blocks never run together.
INLINE = {"a", "abbr", "acronym", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em",
          "font", "i", "ins", "kbd", "label", "mark", "nobr", "q", "rp", "rt", "ruby", "s", "samp", "small",
          "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr", "output"}
PARAGRAPHS = {"p", "ul", "ol", "dl", "table", "blockquote", "pre", "hr", "figure", "address", "details"}
# Copyright lines mark footers in every language we watch; a footer sits beside the content, never in it.
# Only the notice itself (©, "Copyright 2025", 版权所有): "All rights reserved" alone also occurs in
# the intellectual-property clauses of terms of service.
_COPYRIGHT = re.compile(r"©|\(c\)\s*(19|20)\d\d|copyright\s+(©\s*)?(19|20)\d\d|版权所有|版權所有",
                        re.IGNORECASE)
GUARD_SHARE = 0.5
FOOTER_SHARE = 0.05  # a footer is small beside the content
LINK_SHARE = 0.5
CONTENT_SHARE = 0.8


class SelectorMiss(Exception):
    """The record's `select` matched nothing, or a selector is not valid CSS."""


def extract(html: str, select: str | None = None, remove: str | None = None) -> str:
    soup = BeautifulSoup(html, "lxml")
    if "protected]" in html:  # Cloudflare's placeholder, "[email protected]": one cheap search per page
        _reveal_cf_emails(soup)
    # (Comments, doctypes and processing instructions need no removal: only plain strings are rendered.)
    for tag in _tags(soup):
        if tag.name in NEVER_TEXT and not _gone(tag):
            tag.decompose()
    body = soup.body or soup
    try:
        if remove:
            for tag in body.select(remove):
                tag.decompose()
        if select:
            roots = _top_level(body.select(select))
            if not roots:
                raise SelectorMiss(f"select {select!r} matched nothing")
        else:
            roots = None
    except SelectorSyntaxError as e:
        raise SelectorMiss(f"invalid CSS selector: {e}") from None
    if roots is not None:
        for root in roots:
            _drop(root, _is_hidden, sizes=None)
        return clean_text("\n\n".join(render(root) for root in roots))
    _drop(body, lambda tag: _is_hidden(tag) or _is_chrome(tag), _text_sizes(body))
    return clean_text(render(_content_root(body, _text_sizes(body))))


def _reveal_cf_emails(soup: BeautifulSoup) -> None:
    """Put back the addresses Cloudflare hid (data-cfemail elements, email-protection links whose text is
    the "[email protected]" placeholder), so a page reads the same served obfuscated or not. (A link whose
    text is not an address keeps its text either way: only its href is rewritten, and hrefs are not text.)"""
    for tag in soup.find_all(attrs={"data-cfemail": True}):
        address = cf_decode(str(tag["data-cfemail"]))
        if address is not None:
            tag.replace_with(NavigableString(address))
    for a in soup.find_all("a", href=_CF_LINK):
        m = _CF_LINK.search(str(a["href"]))
        address = cf_decode(m.group(1)) if m else None
        if address is not None and _CF_PLACEHOLDER.fullmatch(a.get_text().strip()):
            a.string = address


def cf_decode(code: str) -> str | None:
    """A Cloudflare-obfuscated address: hex bytes, each XOR-ed with the first (None if it is not that)."""
    try:
        data = bytes.fromhex(code.strip())
    except ValueError:
        return None
    if len(data) < 2 or len(data) > 512:
        return None
    key = data[0]
    return bytes(b ^ key for b in data[1:]).decode("utf-8", "replace")


def _tags(root) -> list[Tag]:
    # A plain walk: bs4's find_all(True) goes through its generic filter machinery, several times slower.
    return [node for node in root.descendants if isinstance(node, Tag)]


def _gone(tag: Tag) -> bool:
    """Inside an element already removed (decompose() marks the whole subtree)."""
    return bool(tag.__dict__.get("_decomposed"))


def _top_level(tags: list[Tag]) -> list[Tag]:
    """Matches not inside another match, in document order (soupsieve already returns that order)."""
    chosen = set(map(id, tags))
    return [t for t in tags if not any(id(p) in chosen for p in t.parents)]


def _text_sizes(root: Tag) -> dict[int, int]:
    """Characters of text (whitespace not counted) under every element, by id(element), computed in one
    bottom-up pass: asking each element separately is quadratic on deeply nested pages."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Tag, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            sizes[id(node)] = sum(sizes.get(id(c), 0) if isinstance(c, Tag) else
                                  len("".join(c.split())) if type(c) is NavigableString else 0
                                  for c in node.contents)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in node.contents if isinstance(c, Tag))
    return sizes


def _drop(root: Tag, rule, sizes: dict[int, int] | None) -> None:
    """Remove every element under `root` that `rule` picks, unless it holds more than GUARD_SHARE of
    the page's text and is not a link list (then the rule is wrong about this page: keep it)."""
    total = sizes.get(id(root), 0) if sizes else 0
    for tag in _tags(root):
        if _gone(tag) or not rule(tag):
            continue
        if total and sizes.get(id(tag), 0) > GUARD_SHARE * total and not _mostly_links(tag, sizes):
            continue  # a menu stays chrome even when it outweighs a short article
        tag.decompose()


def _is_hidden(tag: Tag) -> bool:
    # hidden="until-found" is collapsed-but-searchable content (accordions): it is text.
    if tag.has_attr("hidden") and str(tag.get("hidden")).lower() != "until-found":
        return True
    if str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    style = tag.get("style")
    return bool(style) and _HIDDEN_STYLE.search(str(style)) is not None


def _is_chrome(tag: Tag) -> bool:
    if tag.name in CHROME_TAGS:
        return True
    if str(tag.get("role", "")).lower() in CHROME_ROLES or str(tag.get("aria-modal", "")).lower() == "true":
        return True
    if tag.name in ("header", "footer") and not any(p.name in SECTIONING for p in tag.parents):
        return True
    names = [str(tag.get("id", ""))] + [str(c) for c in tag.get("class", [])]
    if tag.name == "a" and any(_SKIP_LINK.match(n) for n in names):
        return True
    return any(_CONSENT.search(n) for n in names if n)


def _content_root(body: Tag, sizes: dict[int, int]) -> Tag:
    """Step 3 of the module docstring: descend from <body> into the child that holds CONTENT_SHARE of
    the text, as long as everything beside it looks like site chrome. On the way, blocks beside the
    content that carry a copyright line are dropped even where the descent stops: that is the footer."""
    total = sizes.get(id(body), 0)
    node = body
    while total:
        kids = [c for c in node.find_all(True, recursive=False) if sizes.get(id(c))]
        bulk = next((c for c in kids if sizes[id(c)] >= CONTENT_SHARE * total), None)
        if bulk is None:
            break
        others = [c for c in kids if c is not bulk]
        after = kids[kids.index(bulk) + 1:]
        for footer in [c for c in after if sizes[id(c)] < FOOTER_SHARE * total and _has_copyright(c)]:
            others.remove(footer)
            footer.decompose()
        loose_text = any(type(x) is NavigableString and x.strip() for x in node.contents)
        if loose_text or not all(_mostly_links(c, sizes) for c in others):
            break
        node = bulk
    return node


def _mostly_links(tag: Tag, sizes: dict[int, int]) -> bool:
    """Menus and link lists."""
    return sum(sizes.get(id(a), 0) for a in tag.find_all("a")) >= LINK_SHARE * sizes.get(id(tag), 0)


def _has_copyright(tag: Tag) -> bool:
    return bool(_COPYRIGHT.search(tag.get_text(" ")))


def render(root: Tag) -> str:
    """Markdown-like text of `root` (not yet normalised)."""
    out = _Writer()
    _render_into(root, out)
    return out.result()


class _Writer:
    """Collects text; line breaks requested between blocks don't pile up (two nested blocks ending
    together still make one paragraph break), and a block's marker (`## `, `- `) is written only if
    some text follows it."""

    def __init__(self):
        self.parts: list[str] = []
        self.breaks = 0
        self.marker = ""

    def text(self, s: str) -> None:
        if self.breaks or self.marker:
            if not s.strip():
                return  # spaces at the start of a line are nothing
            if self.parts:
                self.parts.append("\n" * self.breaks)
            self.parts.append(self.marker)
            self.breaks, self.marker = 0, ""
            s = s.lstrip()
        self.parts.append(s)

    def block(self, breaks: int, marker: str = "") -> None:
        self.breaks = max(self.breaks, breaks)
        self.marker = marker

    def line_break(self) -> None:
        self.breaks = min(self.breaks + 1, 2)

    def result(self) -> str:
        return "".join(self.parts)


class _Close:
    """Breaks to request when an element's children are done (queued on the walk's stack)."""
    __slots__ = ("breaks",)

    def __init__(self, breaks: int):
        self.breaks = breaks


def _render_into(root: Tag, out: _Writer) -> None:
    # Iterative walk: real pages nest deeper than Python's recursion limit allows.
    stack: list = [root]
    numbers: dict[int, str] = {}  # id(li) -> "3. " for items of ordered lists
    while stack:
        node = stack.pop()
        if isinstance(node, _Close):
            out.block(node.breaks)
            continue
        if isinstance(node, NavigableString):
            if type(node) is NavigableString or node.__class__.__name__ == "CData":
                out.text(re.sub(r"\s+", " ", str(node)))
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name
        if name == "br":
            out.line_break()
        elif name == "tr":
            cells = [_cell_text(c) for c in node.find_all(["td", "th"], recursive=False)]
            if any(cells):
                out.block(1)
                out.text("| " + " | ".join(cells) + " |")
                out.block(1)
        elif name in INLINE:
            stack.extend(reversed(node.contents))
        elif name == "pre":
            out.block(2)
            for line in node.get_text().splitlines():
                out.text(line)
                out.block(1)
            out.block(2)
        else:
            paragraph = name in PARAGRAPHS or name in HEADINGS
            if name in ("ul", "ol") and node.parent is not None and node.parent.name == "li":
                paragraph = False  # a nested list continues its item's list
            if name in HEADINGS:
                out.block(2, "#" * HEADINGS[name] + " ")
            elif name == "li":
                out.block(1, numbers.get(id(node), "- "))
            else:
                out.block(2 if paragraph else 1)
            if name == "ol":
                numbers.update(_numbers(node))
            stack.append(_Close(2 if paragraph else 1))
            stack.extend(reversed(node.contents))


def _numbers(ol: Tag) -> dict[int, str]:
    try:
        n = int(ol.get("start", 1))
    except ValueError:
        n = 1
    out = {}
    for li in ol.find_all("li", recursive=False):
        out[id(li)] = f"{n}. "
        n += 1
    return out


def _cell_text(cell: Tag) -> str:
    out = _Writer()
    _render_into(cell, out)
    return re.sub(r"\s+", " ", out.result()).strip()


def extract_title(html: str) -> str | None:
    """The page's <title>, for reports (not part of the document's text)."""
    soup = BeautifulSoup(html, "lxml")
    return soup.title.get_text(" ", strip=True) if soup.title else None
