"""Word-level diff between two stored texts.

`word_diff(old, new)` returns `[[op, text], ...]` with op "=" (in both), "-" (only in old), "+" (only in
new). Joining the "=" and "+" texts gives `new` exactly; joining "=" and "-" gives `old` up to the
whitespace inside unchanged runs (those carry the new text's spacing). Words are what
scrapers.normalise counts: runs of letters/digits, and single CJK characters (Chinese and Japanese
don't separate words by spaces, so a changed character shows as one changed word, not a whole sentence).

Lines are matched first, then words inside the lines that differ: much faster than one diff over all
words of a long policy, and a paragraph moved elsewhere shows as removed and added rather than as
scattered word matches.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from scrapers.normalise import count_words, diff_tokens

# Above this many token pairs a word-level match of one changed block gets slow (SequenceMatcher is
# quadratic in the worst case); such a block is shown as removed-then-added lines instead.
MAX_BLOCK_PRODUCT = 4_000_000


def word_diff(old: str, new: str) -> list[list[str]]:
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    out: list[list[str]] = []
    matcher = SequenceMatcher(None, [s.strip() for s in old_lines], [s.strip() for s in new_lines],
                              autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        if op == "equal":
            _emit(out, "=", b)
        elif op == "delete":
            _emit(out, "-", a)
        elif op == "insert":
            _emit(out, "+", b)
        else:
            _words(a, b, out)
    return out


def _words(old: str, new: str, out: list[list[str]]) -> None:
    a, b = diff_tokens(old), diff_tokens(new)
    if len(a) * len(b) > MAX_BLOCK_PRODUCT:
        _emit(out, "-", old)
        _emit(out, "+", new)
        return
    matcher = SequenceMatcher(None, [t.strip() for t in a], [t.strip() for t in b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            _emit(out, "=", "".join(b[j1:j2]))
            continue
        if op in ("delete", "replace"):
            _emit(out, "-", "".join(a[i1:i2]))
        if op in ("insert", "replace"):
            _emit(out, "+", "".join(b[j1:j2]))


def _emit(out: list[list[str]], op: str, text: str) -> None:
    if not text:
        return
    if out and out[-1][0] == op:
        out[-1][1] += text
    else:
        out.append([op, text])


def counts(diff: list[list[str]]) -> tuple[int, int]:
    """(words added, words removed) of a diff."""
    added = sum(count_words(t) for op, t in diff if op == "+")
    removed = sum(count_words(t) for op, t in diff if op == "-")
    return added, removed
