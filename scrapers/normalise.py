"""Text normalisation: what is stored, what is compared, what counts as a word.

Two forms of the same text:
- the *stored* text is NFC with whitespace normalised. NFC keeps every character as the page wrote it
  (full-width Chinese punctuation stays full-width, ligatures stay), so what the site shows is what the
  vendor published;
- the *comparison key* is NFKC, without invisible format and control characters, without the Markdown-like markers the
  extractor adds (heading #, list bullets and numbers, table pipes) and without layout (line breaks,
  blank lines, spacing). Two texts are "the same policy text" when their keys are equal, so a site that
  swaps a non-breaking space for a space, a heading level, a list style or a full-width digit for an ASCII
  one does not cry wolf, while any change of a word or a punctuation mark is a change.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata

# Characters with no visible width that pages sprinkle through text (soft hyphen, zero-width space, word
# joiner, BOM). Removed from the stored text; ZWJ/ZWNJ stay there because some scripts and emoji need them.
# Control characters (C0 but whitespace, DEL, C1) go too: NUL bytes and stray controls in a page are never text.
_CONTROL_CHARS = [c for c in [*range(0x20), *range(0x7f, 0xa0)] if chr(c) not in "\t\n\r\x0b\x0c"]
_INVISIBLE = dict.fromkeys([*map(ord, "\u00ad\u200b\u2060\ufeff"), *_CONTROL_CHARS])
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace except newline, incl. NBSP and ideographic space
_BLANK_RUNS = re.compile(r"\n{3,}")

# CJK ideographs, kana and hangul count one word per character: those scripts don't separate words by
# spaces, so counting runs would make a whole Chinese paragraph one "word".
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002ffff"
_WORD = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
# Diff tokens: a word (or CJK character) or one other non-space character, with the whitespace that
# follows it, so that concatenating the tokens gives the text back.
_TOKEN = re.compile(rf"(?:[{_CJK}]|[^\W_{_CJK}]+|[^\s]|(?<![^\s])\s+)\s*", re.DOTALL)
# Markers added by scrapers.extract at the start of a line.
_LINE_MARKER = re.compile(r"^(?:#{1,6} |- |\d+\. |> )+", re.MULTILINE)


def clean_text(text: str) -> str:
    """The stored form: NFC, invisible characters removed, spaces collapsed, lines trimmed,
    at most one blank line in a row, no leading or trailing blank lines."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


_format_table: dict[int, None] | None = None
_format_lock = threading.Lock()


def _format_chars() -> dict[int, None]:
    """Every Unicode format character (category Cf: joiners, direction marks, tags...), for translate().
    Built once, under a lock: it takes ~0.2 s, and with functools.cache each of a run's 200 worker
    threads that got there before the first had finished built it again (25 CPU seconds in a repeat run)."""
    global _format_table
    if _format_table is None:
        with _format_lock:
            if _format_table is None:
                _format_table = dict.fromkeys([*(cp for cp in range(0x110000) if unicodedata.category(chr(cp)) == "Cf"),
                                               *_CONTROL_CHARS])
    return _format_table


def comparison_key(text: str) -> str:
    """What change detection compares (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).translate(_format_chars())
    text = _LINE_MARKER.sub("", text)
    tokens = [t.strip() for t in _TOKEN.findall(text)]
    return " ".join(t for t in tokens if t and t != "|")


def text_hash(text: str) -> str:
    """Identity of a stored text (sha256 of its UTF-8 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def words(text: str) -> list[str]:
    return _WORD.findall(text)


# ASCII letters and digits kept, every other byte a space: for ASCII text, _WORD's words are exactly the
# runs of letters and digits (no CJK; `_` and punctuation separate words), and bytes.translate + split
# counts them ~6x faster than the regex (0.1 ms instead of 0.6-0.8 ms for a 10 KB policy, on every page).
_ASCII_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_ASCII_SPLIT = bytes(c if c in _ASCII_ALNUM else 0x20 for c in range(256))


def count_words(text: str) -> int:
    if text.isascii():
        return len(text.encode("ascii").translate(_ASCII_SPLIT).split())
    return len(_WORD.findall(text))


def diff_tokens(text: str) -> list[str]:
    """Tokens for the word-level diff; "".join(diff_tokens(t)) == t."""
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != text:  # cannot happen with the pattern above, but a diff must never lose text
        raise AssertionError("tokenizer lost text")
    return tokens
