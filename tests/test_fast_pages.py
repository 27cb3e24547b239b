"""The build's fast path (scripts/site/shell.py): vendor and history pages put into the theme's page frame without
running Markdown and the theme per page. The same site is built twice, with the fast path and without it
(ERPWATCH_FAST_PAGES=0: every page through mkdocs), and the pages must match outside the content area."""

from __future__ import annotations

import gzip
import json
import posixpath
import re

import pytest
from bs4 import BeautifulSoup

from bench import data as bench_data
from scripts.site import shell
from tests.sitebuild import build_site


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fast")
    vendors = bench_data.write_vendors(tmp / "vendors", 2)  # fictional vendors on example.test
    store = tmp / "store"
    bench_data.write_store(store, 2, workers=1)
    fast = tmp / "fast"
    slow = tmp / "slow"
    build_site(fast, vendors, store)
    build_site(slow, vendors, store, env_extra={"ERPWATCH_FAST_PAGES": "0"})
    return fast / "site", slow / "site"


def _fast_pages(site):
    return sorted(str(p.relative_to(site)) for p in site.glob("**/index.html")
                  if re.match(r"(zh/)?(vendors|changes)/[^/]+/index.html$", str(p.relative_to(site))))


def _chrome(site, page: str) -> str:
    """The page without its content area, table of contents and skip link (which targets the first heading),
    whitespace normalised, and every relative link resolved from the page's folder (mkdocs writes the
    shortest relative form, the fast path one that is the same from every page at that depth)."""
    soup = BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser")
    for el in soup.select("nav.md-nav--secondary, article.md-content__inner, a.md-skip"):
        el.decompose()
    folder = posixpath.dirname(page)
    for el in soup.find_all(True):
        for attr in ("href", "src"):
            value = el.get(attr)
            if value and not re.match(r"^([a-z]+:|#|/)", value):
                resolved = posixpath.normpath(posixpath.join(folder, value))
                el[attr] = resolved + ("/" if value.endswith("/") or value in (".", "..") else "")
    return re.sub(r"\s+", " ", str(soup))


def test_same_pages_exist(sites):
    fast, slow = sites
    pages = _fast_pages(fast)
    assert pages == _fast_pages(slow)
    assert len([p for p in pages if "/changes/" in f"/{p}"]) == 2 * 2 * len(bench_data.SITE_DOCS)  # 2 langs
    assert len([p for p in pages if "/vendors/" in f"/{p}"]) == 2 * 2
    assert not list(fast.glob(f"**/{shell.SHELL}*")), "the shell pages are removed from the site"


def test_frame_matches_what_mkdocs_renders(sites):
    fast, slow = sites
    for page in _fast_pages(fast):
        assert _chrome(fast, page) == _chrome(slow, page), page
        html = (fast / page).read_text(encoding="utf-8")
        assert "erpwatchshell" not in html.lower() and shell.SHELL not in html
        skip = BeautifulSoup(html, "html.parser").select_one("a.md-skip")["href"]
        assert skip == "#title"  # "skip to content" goes to the page's heading


@pytest.mark.parametrize("page", ["vendors/index.html", "incidents/index.html", "changes/index.html",
                                  "zh/vendors/index.html", "zh/changes/index.html"])
def test_navigation_pages_are_filled(sites, page):
    """Pages in the navigation that list every vendor, incident or change: mkdocs builds them from a stub (so
    the navigation marks them active), and the body is put in afterwards."""
    fast, slow = sites
    assert _chrome(fast, page) == _chrome(slow, page)
    html = (fast / page).read_text(encoding="utf-8")
    assert "erpwatchfill" not in html.lower()
    soup = BeautifulSoup(html, "html.parser")
    slow_soup = BeautifulSoup((slow / page).read_text(encoding="utf-8"), "html.parser")
    assert soup.select_one("article h1#title") and soup.select_one("a.md-skip")["href"] == "#title"
    assert [a["href"] for a in soup.select("article a")] == [a["href"] for a in slow_soup.select("article a")]
    active = soup.select_one(".md-tabs__item--active a")  # its tab is marked, as for any page in the navigation
    assert active is not None and active["href"] in (".", "./", "../")


def test_vendor_feeds_and_api_files_are_in_the_site(sites):
    fast, slow = sites
    vid = bench_data.vendor_id(1)
    for path in (f"vendors/{vid}/feed.xml", f"zh/vendors/{vid}/feed.xml", f"vendors/{vid}/sitemap.xml",
                 f"api/v1/vendors/{vid}.json"):
        assert (fast / path).read_bytes() == (slow / path).read_bytes(), path


def test_content_title_feed_and_language_links(sites):
    fast, _ = sites
    vid = bench_data.vendor_id(1)
    soup = BeautifulSoup((fast / f"zh/vendors/{vid}/index.html").read_text(encoding="utf-8"), "html.parser")
    name = soup.select_one("article h1").get_text()
    assert soup.title.get_text().startswith(name)
    assert soup.select_one('link[rel="canonical"]')["href"].endswith(f"/zh/vendors/{vid}/")
    feeds = [link["href"] for link in soup.select('link[type="application/rss+xml"]')]
    assert f"../../vendors/{vid}/feed.xml" in feeds  # this vendor's Chinese feed, relative to zh/vendors/<id>/
    assert soup.select_one("a.erp-lang-en")["href"] == f"../../../vendors/{vid}/"
    toc = [a["href"] for a in soup.select("nav.md-nav--secondary a.md-nav__link")]
    assert toc[:3] == ["#rubric", "#watched-documents", "#claims"] and "#sources" in toc
    assert all(soup.find(id=h[1:]) for h in toc)


def test_search_index_and_sitemap(sites):
    fast, _ = sites
    index = json.loads((fast / "search/search_index.json").read_text(encoding="utf-8"))
    locations = [d["location"] for d in index["docs"]]
    assert not any(shell.SHELL in loc for loc in locations)
    vid = bench_data.vendor_id(2)
    assert f"vendors/{vid}/" in locations and f"vendors/{vid}/#claims" in locations
    assert f"zh/vendors/{vid}/#incidents" in locations
    history = [loc for loc in locations if loc.startswith(f"changes/{vid}--")]
    assert len(history) == len(bench_data.SITE_DOCS)  # one entry per history page: diffs are not indexed
    sitemap = (fast / "sitemap.xml").read_text(encoding="utf-8")
    assert f"/zh/changes/{vid}--" in sitemap and f"/vendors/{vid}/</loc>" in sitemap and shell.SHELL not in sitemap
    assert gzip.decompress((fast / "sitemap.xml.gz").read_bytes()).decode("utf-8") == sitemap


def test_search_entries_skip_sections_and_cut_long_text():
    from scripts.site.pages import FastPage
    body = ('<h1 id="title">T</h1>\n<p>head</p>\n'
            '<h2 id="rubric">R<a class="headerlink" href="#rubric">&para;</a></h2><p>boilerplate</p>\n'
            '<h2 id="claims">C<a class="headerlink" href="#claims">&para;</a></h2><p>' + "word &amp; " * 400 + "</p>")
    entries = shell.search_entries(FastPage("T &", body, "en", search_skip={"rubric"}), "vendors/x/")
    assert [e["location"] for e in entries] == ["vendors/x/", "vendors/x/#claims"]
    assert entries[0]["title"] == "T &amp;" and entries[0]["text"] == "head"
    text = entries[1]["text"]
    assert len(text) <= shell.SEARCH_TEXT_LIMIT + 2 and text.endswith(" …")
    assert text.count("&") == text.count("&amp;")  # never cut inside a character reference


def test_chinese_segmentation_is_the_search_plugins():
    from material.plugins.search.plugin import SearchIndex

    from scripts.site.segmenter import segment_chinese
    samples = ["", "abc", "比酷尔在售商品报告", "BQool 的 Active Listings Report(在售商品报告)每半小时下载一次。",
               "来源只给出部分信息的日期按原样显示,并按记录时间排序。", "x 中 y 中文 z", "繁體中文與简体中文"]
    for text in samples * 2:  # twice: the second time from the cache
        assert segment_chinese(text) == SearchIndex._segment_chinese(None, text), text


def test_marker_text_in_records_is_just_text():
    """Record text that happens to spell the shell's or the stub's markers is inserted, never interpreted."""
    from scripts.site.pages import FastPage
    tricky = f'{shell.TITLE} {shell.BODY} {shell.FILL_H1} href="#{shell.FILL_H1.lower()}" {shell.SHELL}/'
    stub = (f'<a class="md-skip" href="#{shell.FILL_H1.lower()}">Skip</a><article><h1 id="{shell.FILL_H1.lower()}">'
            f'{shell.FILL_H1}</h1>\n<p>{shell.FILL_BODY}</p></article>')
    body = f'<h1 id="title">List</h1><p>{tricky}</p>'
    out = shell.fill(stub, FastPage("List", body, "en", nav=True))
    assert out == f'<a class="md-skip" href="#title">Skip</a><article>{body}</article>'


def test_search_entries_read_long_sections_in_part_with_the_same_result(monkeypatch):
    import random

    from scripts.site.pages import FastPage
    rng = random.Random(5)
    words = ["policy", "data", "&amp;", "&lt;b&gt;", "中文", "report", "a", "\n", "  ", "\t", "\u00a0", "\u3000", "\x1c"]
    tags = ["<p>", "</p>", '<a href="#x">', "</a>", "<br>", '<span class="erp-chip">', "</span>", "<li>", "</li>"]

    def section(n):  # from mostly text to mostly tags, so that some parts hold about as much text as is kept
        density = rng.uniform(0.3, 0.995)
        return "".join(rng.choice(tags) if rng.random() < density else rng.choice(words) + " " for _ in range(n))

    pages = []
    for _ in range(400):
        body = '<h1 id="title">T</h1>' + section(rng.randrange(0, 400)) + "".join(
            f'<h2 id="s{k}">S{k}<a class="headerlink" href="#s{k}">&para;</a></h2>' + section(rng.randrange(0, 3000))
            for k in range(rng.randrange(0, 4)))
        pages.append(FastPage("T", body, "en", search=rng.choice(["sections", "title"])))
    # a long tag across the point where the part would end, with just under an entry's worth of text before it
    limit = shell.SEARCH_TEXT_LIMIT
    filler = "<br>" * ((8 * limit - 3 - 590 - 40) // 4)
    pages.append(FastPage("T", '<h1 id="title">T</h1><p>' + "y" * 590 + "</p>" + filler
                          + '<span class="' + "z" * 200 + '">' + "w " * 300 + "</span>", "en"))
    fast = [shell.search_entries(p, "x/") for p in pages]
    monkeypatch.setattr(shell, "_section_text", lambda chunk: shell._SPACE.sub(" ", shell._TAGS.sub(" ", chunk)).strip())
    assert fast == [shell.search_entries(p, "x/") for p in pages]
    assert any(len(p.body) > 8 * shell.SEARCH_TEXT_LIMIT for p in pages)
