"""Bounded work per page: a page with an absurd number of elements is refused before parsing."""

from __future__ import annotations

import pytest

from scrapers.failures import TOO_LARGE, Failure
from scrapers.page import MAX_TAGS, Page, Target, page_text


def _page(html: str) -> Page:
    return Page(html, "https://example.com/privacy", 200, "utf-8")


def test_a_page_with_too_many_tags_is_too_large_without_parsing():
    html = "<html><body>" + "<p>x</p>" * (MAX_TAGS // 2 + 10) + "</body></html>"
    with pytest.raises(Failure) as info:
        page_text(_page(html), Target("example-tools", "privacy", "https://example.com/privacy"))
    assert info.value.kind == TOO_LARGE and "tags" in info.value.message


def test_an_ordinary_page_is_extracted():
    words = " ".join(f"word{i}" for i in range(60))
    text, count = page_text(_page(f"<html><body><main><p>{words}</p></main></body></html>"),
                            Target("example-tools", "privacy", "https://example.com/privacy"))
    assert count == 60 and "word59" in text
