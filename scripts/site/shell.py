"""The site build's fast path for pages whose body the generator renders as finished HTML (pages.FastPage).

mkdocs spends about 8 ms per page on Markdown and the theme, so a site with thousands of vendor and
history pages would spend minutes there. Instead, the build renders one *shell* page per language and
folder depth through mkdocs and the theme like any other page (same navigation, header, language
selector, scripts), with markers where a page's own parts go: title, vendor name and feed, URL, table of
contents and body. Each fast page is then that shell with its parts filled in, a string join.

What depends on the theme's markup (the table of contents, the content area) is read from the shell
itself, so a theme update changes the pages with it; if a marker is not found where expected the build
stops with an error rather than writing broken pages.
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from scripts.site.pages import FastPage

SHELL = "erpwatch-shell"  # folder name of the shell pages (removed from the built site)
FEED = "erpwatch-shell-feed/"
TITLE, VENDOR = "ERPWATCHSHELLTITLE", "ERPWATCHSHELLVENDOR"
H1, TOC, TOC_SUB, BODY = "ERPWATCHSHELLHEADING", "ERPWATCHSHELLTOC", "ERPWATCHSHELLTOCSUB", "ERPWATCHSHELLBODY"
FILL_H1, FILL_BODY = "ERPWATCHFILLHEADING", "ERPWATCHFILLBODY"
FILL_MARKDOWN = f"# {FILL_H1}\n\n{FILL_BODY}\n"  # what mkdocs renders for a page in the navigation


def fill(output: str, page: FastPage) -> str:
    """A navigation page rendered from FILL_MARKDOWN, with its body put in."""
    start = output.find(f'<h1 id="{FILL_H1.lower()}"')
    end = output.find(f"<p>{FILL_BODY}</p>")
    if start < 0 or end < start:
        raise ShellError("the content area was not found in a page rendered from a stub")
    heads = page.headings()
    skip = f'href="#{heads[0][1]}"' if heads else 'href="#"'  # the theme's "skip to content" link
    before = output[:start].replace(f'href="#{FILL_H1.lower()}"', skip)
    after = output[end + len(f"<p>{FILL_BODY}</p>"):]
    if "erpwatchfill" in (before + after).lower():  # (the body is never searched: it is the records' text)
        raise ShellError("a marker of the stub page is left in an unexpected place")
    return before + page.body + after


class ShellError(Exception):
    pass


def lang_and_depth(path: str) -> tuple[str, int]:
    """("zh", 2) for "zh/vendors/x/index.md": the language tree and the folder depth inside it."""
    lang = "zh" if path.startswith("zh/") else "en"
    rest = path[3:] if lang == "zh" else path
    return lang, rest.count("/")


def shell_src(lang: str, depth: int) -> str:
    return ("zh/" if lang == "zh" else "") + "/".join([SHELL] * depth) + "/index.md"


def shell_markdown(lang: str) -> str:
    prefix = "zh/" if lang == "zh" else ""
    return (f'---\ntitle: "{TITLE}"\nvendor_feed: "{prefix}{FEED}feed.xml"\nvendor_name: "{VENDOR}"\n'
            f"search:\n  exclude: true\n---\n# {H1}\n\n## {TOC}\n\n### {TOC_SUB}\n\n{BODY}\n")


@dataclass
class Shell:
    """A rendered shell page cut into literal parts and slots."""
    parts: list  # str (literal) or a slot name: "title", "vendor", "url", "feed", "toc", "body"
    leaf: str    # one table-of-contents entry without children, with "\0id\0" and "\0text\0" slots
    parent: tuple[str, str]  # an entry with children: before and after the children

    @classmethod
    def parse(cls, output: str, depth: int) -> Shell:
        url = "/".join([SHELL] * depth) + "/"
        h1 = output.find(f'<h1 id="{H1.lower()}"')
        body = output.find(f"<p>{BODY}</p>")
        if h1 < 0 or body < h1:
            raise ShellError("the content area was not found in the shell page")
        content = (h1, body + len(f"<p>{BODY}</p>"))
        top = output.find(f'href="#{TOC.lower()}"')
        sub = output.find(f'href="#{TOC_SUB.lower()}"')
        if top < 0 or sub < top or top > h1:
            raise ShellError("the table of contents was not found in the shell page")
        top_li = output.rfind("<li", 0, top)
        sub_li = output.rfind("<li", 0, sub)
        sub_end = output.find("</li>", sub) + len("</li>")
        top_end = output.find("</li>", sub_end) + len("</li>")
        if min(top_li, sub_li) < 0 or sub_end < len("</li>") or top_end < sub_end:
            raise ShellError("the table of contents entries were not found in the shell page")
        leaf = output[sub_li:sub_end].replace(f"#{TOC_SUB.lower()}", "#\0id\0").replace(TOC_SUB, "\0text\0")
        parent_before = output[top_li:sub_li].replace(f"#{TOC.lower()}", "#\0id\0").replace(TOC, "\0text\0")
        parent_after = output[sub_end:top_end]
        # Literal parts and slots, in order.
        text = output[:top_li] + "\0toc\0" + output[top_end:content[0]] + "\0body\0" + output[content[1]:]
        for marker, slot in ((TITLE, "title"), (VENDOR, "vendor"), (FEED, "feed"), (url, "url"),
                             (f'href="#{H1.lower()}"', "skip")):  # the theme's "skip to content" link
            text = text.replace(marker, f"\0{slot}\0")
        left = text.lower().find("erpwatchshell")
        if SHELL in text or left >= 0:
            raise ShellError("a marker of the shell page is left in an unexpected place: "
                             + text[max(0, left - 80):][:160])
        return cls(parts=text.split("\0"), leaf=leaf, parent=(parent_before, parent_after))

    def render(self, page: FastPage, url: str, feed: str) -> str:
        """`url`: the page's folder relative to its language's root ("vendors/x/"); `feed`: the folder of its
        vendor feed, relative to the same root."""
        heads = page.headings()
        slots = {"title": html.escape(page.title), "vendor": html.escape(page.vendor_name or ""), "url": url,
                 "feed": feed, "toc": self.toc(page, heads), "body": page.body,
                 "skip": f'href="#{heads[0][1]}"' if heads else 'href="#"'}
        return "".join(slots[p] if i % 2 else p for i, p in enumerate(self.parts))

    def toc(self, page: FastPage, heads: list | None = None) -> str:
        out, children = [], []
        heads = [h for h in (page.headings() if heads is None else heads) if h[0] > 1]
        for k, (level, hid, text) in enumerate(heads):
            if level == 3:
                continue
            children = []
            for level2, hid2, text2 in heads[k + 1:]:
                if level2 == 2:
                    break
                children.append(self._entry(self.leaf, hid2, text2))
            if children:
                before, after = self.parent
                out.append(self._entry(before, hid, text) + "".join(children) + after)
            else:
                out.append(self._entry(self.leaf, hid, text))
        return "".join(out)

    @staticmethod
    def _entry(template: str, hid: str, text: str) -> str:
        # `text` is already escaped HTML (from our own body); the theme's aria-label takes it as is too.
        return template.replace("\0id\0", hid).replace("\0text\0", text)


_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_HEADING_AT = re.compile(r'<h([1-3])(?: id="([^"]*)")?>')


# Characters of text per search entry (a section: one topic's claims, one incident, ...). The browser
# downloads the whole index, so at 1,000 vendors every kilobyte per page is a megabyte per reader.
SEARCH_TEXT_LIMIT = 600


def search_entries(page: FastPage, url: str) -> list[dict]:
    """Search index entries in the theme's format: the page's head, then one per h2/h3 section (only the
    head for pages marked search="title", whose bodies are long diffs)."""
    body = page.body
    marks = []
    for m in _HEADING_AT.finditer(body):
        if m.group(1) != "1" and m.group(2):
            marks.append((m.start(), m.group(2)))
            if page.search == "title":  # only the head is indexed: its end is all that is needed
                break
    bounds = [(0, None)] + marks
    entries = []
    for n, (start, hid) in enumerate(bounds):
        if hid in page.search_skip:
            continue
        end = bounds[n + 1][0] if n + 1 < len(bounds) else len(body)
        chunk = body[start:end]
        if hid is None:
            title = html.escape(page.title)
            chunk = re.sub(r"<h1[ >].*?</h1>", "", chunk, count=1, flags=re.S)
        else:
            head_end = chunk.find("</h")
            title = _SPACE.sub(" ", _TAGS.sub("", chunk[:head_end].split("<a class=\"headerlink\"")[0])).strip()
            chunk = chunk[chunk.find(">", head_end) + 1:]
        text = _section_text(chunk)
        if len(text) > SEARCH_TEXT_LIMIT:  # cut at a word boundary, never inside a character reference
            cut = text.rfind(" ", 0, SEARCH_TEXT_LIMIT)
            text = text[:cut if cut > 0 else SEARCH_TEXT_LIMIT]
            amp = text.rfind("&")
            if amp > text.rfind(";"):
                text = text[:amp]
            text += " …"
        entries.append({"location": url + (f"#{hid}" if hid else ""), "title": title, "text": text})
        if page.search == "title":
            break
    return entries


def _section_text(chunk: str) -> str:
    """A section's text, tags removed and white space collapsed, as far as the search entry needs it: a long
    section is read in part when that part already gives more text than an entry keeps (the part ends after
    a tag, so no tag or character reference is cut; the text kept is the same as from the whole section)."""
    if len(chunk) > 8 * SEARCH_TEXT_LIMIT:
        end = chunk.rfind(">", 0, 8 * SEARCH_TEXT_LIMIT) + 1
        if end:
            text = _text_of(chunk[:end])
            if len(text) > SEARCH_TEXT_LIMIT + 1:
                return text
    return _text_of(chunk)


def _text_of(html_: str) -> str:
    # Each tag a space, white space collapsed to one space and trimmed (str.split's white space is the
    # regex \s: str.isspace). Twice as fast as one regex that does both.
    return " ".join(_TAGS.sub(" ", html_).split())


# --- writing a vendor's files (generate.Plan), under the mkdocs hook -------------------------------------

def page_entries(files: dict) -> tuple[list, list]:
    """Search entries (with their language) and URLs relative to the site root of one vendor's pages
    (generate.Plan's files)."""
    entries, urls = [], []
    for path, content in files.items():
        if isinstance(content, FastPage):
            lang, _depth = lang_and_depth(path)
            prefix = "zh/" if lang == "zh" else ""
            url = path[len(prefix):-len("index.md")]
            entries += [dict(e, location=prefix + e["location"], lang=lang) for e in search_entries(content, url)]
            urls.append(prefix + url)
    return entries, urls


def search_docs(entries: list[dict]) -> str:
    """Search entries (page_entries', with their language) as the JSON items of the search index's "docs"
    list, Chinese text segmented as the search plugin does it (segmenter.segment_chinese)."""
    from scripts.site.segmenter import segment_chinese
    for e in entries:
        if e.pop("lang") == "zh":
            e["title"] = segment_chinese(e["title"])
            e["text"] = segment_chinese(e["text"])
    return json.dumps(entries, separators=(",", ":"))[1:-1]


def write_vendor(files: dict, shells: dict, site: Path, made: set | None = None) -> None:
    """Write one vendor's files (generate.Plan) into the built site, pages inside their shell. `made`: folders
    known to exist (kept by the caller across vendors: a thousand vendors' files share a few folders)."""
    missing = {key for key in (("en", 2), ("zh", 2)) if key not in shells}
    if missing:
        raise ShellError(f"the shell pages {sorted(missing)} were not rendered")
    made = set() if made is None else made
    root = str(site)
    for path, content in files.items():
        if isinstance(content, FastPage):
            lang, depth = lang_and_depth(path)
            prefix = "zh/" if lang == "zh" else ""
            url = path[len(prefix):-len("index.md")]
            feed = (content.vendor_feed or "")[len(prefix):-len("feed.xml")]
            _write(f"{root}/{prefix}{url}index.html", shells[(lang, depth)].render(content, url, feed), made)
        else:
            _write(f"{root}/{path}", content, made)


def _write(path: str, text: str, made: set) -> None:
    folder = os.path.dirname(path)
    if folder not in made:
        os.makedirs(folder, exist_ok=True)
        made.add(folder)
    with open(path, "wb") as f:  # binary: no text layer to set up per file (11 files per vendor)
        f.write(text.encode("utf-8"))
