"""Extraction, normalisation and the word diff: pure functions, tested from tables of cases."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import yaml

from scrapers.diff import counts, word_diff
from scrapers.extract import SelectorMiss, extract
from scrapers.normalise import clean_text, comparison_key, count_words

CASES = yaml.safe_load((Path(__file__).parent / "watch_fixtures" / "extract_cases.yaml").read_text("utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_extract_case(case):
    run = lambda: extract(case["html"], case.get("select"), case.get("remove"))
    if "error" in case:
        assert case["error"] == "selector-miss"
        with pytest.raises(SelectorMiss):
            run()
        return
    text = run()
    if "expect" in case:
        assert text == case["expect"]
    for s in case.get("contains", []):
        assert s in text
    for s in case.get("absent", []):
        assert s not in text


def test_extract_is_pure_and_repeatable():
    html = "<body><nav>Menu</nav><h1>Policy</h1><p>Clause.</p></body>"
    assert extract(html) == extract(html) == "# Policy\n\nClause."
    assert extract(html, "p") == "Clause."


def test_very_deep_markup_does_not_hit_the_recursion_limit():
    depth = 3000
    html = "<body>" + "<div>" * depth + "<p>Deep clause.</p>" + "</div>" * depth + "</body>"
    assert extract(html) == "Deep clause."


def test_stored_text_is_nfc():
    decomposed = "Re\u0301sume\u0301 des donne\u0301es"  # e + combining acute
    text = extract(f"<body><p>{decomposed}</p></body>")
    assert text == unicodedata.normalize("NFC", decomposed)
    assert "\u0301" not in text


@pytest.mark.parametrize("a, b, same", [
    ("Data is kept.", "Data  is\nkept.", True),                         # layout
    ("## Retention\n\nData is kept.", "### Retention\nData is kept.", True),  # heading level
    ("- Orders\n- Returns", "1. Orders\n2. Returns", True),             # list style
    ("Kept for 30 days", "Kept for ３０ days", True),                     # full-width digits (NFKC)
    ("Kept for 30 days", "Kept for 31 days", False),
    ("We do not sell data.", "We do sell data.", False),
    ("We sell data.", "We sell data!", False),                          # punctuation is text
    ("| Orders | 30 days |", "Orders 30 days", True),                   # table pipes are markup
])
def test_comparison_key(a, b, same):
    assert (comparison_key(a) == comparison_key(b)) is same


def test_clean_text_collapses_blank_lines_and_trims():
    assert clean_text("\n\n  a  \n\n\n\n b \n") == "a\n\nb"


def test_word_count_counts_cjk_characters_one_by_one():
    assert count_words("We keep data") == 3
    assert count_words("我们保留数据") == 6
    assert count_words("データを保存します") == 9


def test_word_count_of_ascii_text_is_the_regex_count():
    # ASCII text is counted by translate + split (fast path); it must agree with the word regex exactly.
    import random
    import string

    from scrapers.normalise import words
    rng = random.Random(8)
    samples = ["", "_", "a_b", "x1-y2 z3.", "don't stop", "e-mail: a@b.c", "\tTab\u000bVT\x1cFS", "#Heading\n- item 1."]
    samples += ["".join(rng.choice(string.printable + "_\x00\x7f") for _ in range(rng.randint(0, 60)))
                for _ in range(3000)]
    for text in samples:
        assert text.isascii()
        assert count_words(text) == len(words(text)), repr(text)


@pytest.mark.parametrize("old, new", [
    ("We keep order data for 30 days.", "We keep order data for 90 days."),
    ("Line one.\nLine two.\nLine three.", "Line one.\nLine 2.\nLine three.\nLine four."),
    ("我们保留订单数据三十天。", "我们保留订单数据九十天。"),
    ("", "Fresh text."),
    ("Old text.", ""),
    ("Same.", "Same."),
])
def test_word_diff_rebuilds_the_new_text_and_counts_words(old, new):
    diff = word_diff(old, new)
    assert all(op in ("=", "+", "-") for op, _ in diff)
    assert "".join(t for op, t in diff if op != "-") == new
    if old.split() and new.split():
        assert "".join(t for op, t in diff if op != "+").split() == old.split() or "\n" in old
    added, removed = counts(diff)
    assert added == sum(count_words(t) for op, t in diff if op == "+")
    if old == new:
        assert (added, removed) == (0, 0)


def test_word_diff_is_word_level():
    diff = word_diff("We keep order data for 30 days.", "We keep order data for 90 days.")
    changed = [(op, t.strip()) for op, t in diff if op != "="]
    assert changed == [("-", "30"), ("+", "90")]
    assert counts(diff) == (1, 1)


def test_word_diff_marks_single_cjk_characters():
    diff = word_diff("我们保留订单数据三十天。", "我们保留订单数据九十天。")
    assert [d for d in diff if d[0] != "="] == [["-", "三"], ["+", "九"]]
