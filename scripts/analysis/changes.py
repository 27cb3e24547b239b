"""Policy changes recorded by the watcher: the list, one page per change, and short diff excerpts.

The diff comes from the store as [[op, text], ...] with op "=", "+" or "-" (word level). Everything in
it is text fetched from vendors' sites, so it is escaped like any record text.
"""

from __future__ import annotations

import html

from scripts.lang.text import pick

EXCERPT_CHARS = 280
CONTEXT_WORDS = 8


def _last_words(text: str, n: int) -> str:
    """The last n (≥ 1) words of `text`, marked as cut if there are more. Splits off no more than it needs:
    the unchanged run before a change can be a whole page."""
    parts = text.rsplit(None, n)
    return " ".join(parts) if len(parts) <= n else "… " + " ".join(parts[1:])


def excerpt_parts(diff: list) -> list[tuple[str, str, str]]:
    """The first changes of a diff, each as (op, the few words before it, its text cut short): the pieces
    of `excerpt`, kept apart so that a feed can mark them up (every piece is fetched text)."""
    out, used = [], 0
    for i, (op, text) in enumerate(diff):
        if op == "=":
            continue
        before = diff[i - 1][1] if i > 0 and diff[i - 1][0] == "=" else ""
        part = (op, _last_words(before, 4), " ".join(text.split())[:160])
        out.append(part)
        used += len(part[1]) + len(part[2]) + (12 if op == "+" else 14)  # the length of its English line
        if used > EXCERPT_CHARS:
            break
    return out


EXCERPT_LABELS = {"en": {"+": "Added", "-": "Removed"}, "zh": {"+": "加入", "-": "删除"}}


def excerpt(diff: list, lang: str = "en", parts: list | None = None) -> str:
    """A short plain-text excerpt of the first changes, with a little context (`parts`: excerpt_parts(diff),
    if made already)."""
    label = EXCERPT_LABELS["zh" if lang == "zh" else "en"]
    return " · ".join(f"{label[op]}: “{before} [{text}]”" for op, before, text in
                      (excerpt_parts(diff) if parts is None else parts))


def diff_html(diff: list) -> str:
    """Readable word-level diff as HTML: insertions and deletions marked, long unchanged runs shortened."""
    parts = []
    last = len(diff) - 1
    for i, (op, text) in enumerate(diff):
        if op == "+":
            parts.append(f'<ins class="erp-ins">{html.escape(text)}</ins>')
        elif op == "-":
            parts.append(f'<del class="erp-del">{html.escape(text)}</del>')
        else:
            if text.count(" ") + 1 > 2 * CONTEXT_WORDS + 5:  # words; unchanged runs can be whole pages
                head = " ".join(text.split(" ", CONTEXT_WORDS)[:CONTEXT_WORDS]) if i > 0 else ""
                tail = " ".join(text.rsplit(" ", CONTEXT_WORDS)[-CONTEXT_WORDS:]) if i < last else ""
                parts.append(f'{html.escape(head)} <span class="erp-skip">[…]</span> {html.escape(tail)}')
            else:
                parts.append(html.escape(text))
    return "".join(parts)


def collect(recs: list[dict], store) -> list[dict]:
    """Every recorded policy change (not first versions, not technical updates), newest first."""
    out = [c for rec in recs for c in collect_vendor(rec, store)]
    out.sort(key=sort_key, reverse=True)
    return out


def sort_key(c: dict) -> tuple:
    return c["change"]["time"], c["slug"]


def collect_vendor(rec: dict, store) -> list[dict]:
    """One vendor's recorded policy changes, newest first."""
    if store is None:
        return []
    out = []
    vendor = rec["id"]
    for policy in rec.get("policies", []):
        doc = policy["id"]
        previous_time = None
        for ch in store.changes(vendor, doc):
            if ch.get("technical"):
                continue
            if not ch.get("initial"):
                out.append({"vendor": vendor, "vendor_name": rec["name"], "doc": doc, "policy": policy,
                            "change": ch, "previous_time": previous_time,
                            "slug": change_slug(vendor, doc, ch["id"]), "history": history_slug(vendor, doc),
                            "anchor": change_anchor(ch["id"])})
            previous_time = ch["time"]
    out.sort(key=sort_key, reverse=True)
    return out


def history_slug(vendor: str, doc: str) -> str:
    """The folder of a watched document's history page under changes/ (every change of the document, with its
    diff, newest first: one page per document rather than per change keeps a large site small)."""
    return f"{vendor}--{doc}".lower()


def change_anchor(change_id: str) -> str:
    return f"change-{change_id}".lower()


def change_slug(vendor: str, doc: str, change_id: str) -> str:
    """Where a change is shown, relative to changes/: its document's history page and the change's anchor."""
    return f"{history_slug(vendor, doc)}/#{change_anchor(change_id)}"


def doc_label(policy: dict, lang: str) -> str:
    return str(pick(policy.get("title"), lang) or policy["url"])
