"""Changes that are recorded but not announced: a return to a recent variant, and a date-only update.

Both are versions like any other (the history shows them, with their diff); the change event carries a flag
that the site's feeds and event lists skip (scripts.publish.events.policy_events):
- `revisit`: the new text is, by its comparison key, the text of one of the REVISIT_WINDOW versions before
  the current one. A page that flips between two variants (an A/B test, a banner rotating inside the text)
  is recorded once per variant and then recognised; `revisit_of` names the version it returned to;
- `minor`: the only difference is a date next to a label saying what the date is ("Last updated",
  "Effective date", "更新日期", "生效日期", "Stand", "mis à jour"...). Found by masking such dates in both
  texts and comparing what is left: every changed token is date-like and sits beside a label, so a changed
  number of days ("kept for 30 days") or a date in a clause without such a label is a real change.
"""

from __future__ import annotations

import re

from scrapers.normalise import comparison_key

REVISIT_WINDOW = 5

_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
           r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|janvier|février|fevrier|mars|avril|mai|juin|juillet|août|"
           r"septembre|octobre|novembre|décembre|januar|februar|märz|juni|juli|oktober|dezember|enero|febrero|"
           r"marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre")
_ZH_NUM = "〇零一二三四五六七八九十"
_DAY = r"\d{1,2}(?:st|nd|rd|th|er)?"
# One date, written in any of the usual ways: ISO or numeric, CJK (numerals or digits), English or European
# with month names. A time may follow an ISO date.
_DATE = (
    rf"\d{{4}}\s*[-/.]\s*\d{{1,2}}\s*[-/.]\s*\d{{1,2}}(?:[T ]\d{{1,2}}:\d{{2}}(?::\d{{2}})?Z?)?"
    rf"|\d{{1,2}}\s*[-/.]\s*\d{{1,2}}\s*[-/.]\s*\d{{2,4}}"
    rf"|[\d{_ZH_NUM}]{{2,4}}\s*年\s*[\d{_ZH_NUM}]{{1,3}}\s*月(?:\s*[\d{_ZH_NUM}]{{1,3}}\s*[日号號])?"
    rf"|\b(?:{_MONTHS})\.?\s+{_DAY},?\s+\d{{4}}"
    rf"|\b{_DAY}\.?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+\d{{4}}"
    rf"|\b(?:{_MONTHS})\.?,?\s+\d{{4}}"
)
# What a date beside it is: last updated, revised, effective, version date... in the languages we watch.
_LABEL = (r"\b(?:updated|update|revised|revision|modified|amended|effective|last\s+changed|published|"
          r"as\s+of|dated?|version|valid\s+from|in\s+force|mis\s+à\s+jour|en\s+vigueur|révisé|"
          r"aktualisiert|stand|gültig|actualizad[oa]|actualización|vigencia|vigente)\b|"
          r"更新|生效|修订|修訂|修改|日期|发布|發布|施行|实施|實施|版本|改定|制定|最終")
_DATED = re.compile(rf"(?P<date>{_DATE})", re.IGNORECASE)
_LABEL_RE = re.compile(_LABEL, re.IGNORECASE)
BEFORE_CHARS = 30   # a label this close before the date on its line, or...
AFTER_CHARS = 12    # ...this far after it (本政策于2025年3月5日更新 / 2025年3月5日生效)
_MARK = "\ue000"    # a private-use character: no page text contains it after masking


def flags(new_text: str, old_text: str, earlier_texts: list[tuple[str, str]]) -> dict:
    """The flags of a change from old_text to new_text. `earlier_texts`: (event id, text) of the versions
    before the current one, newest first (at most REVISIT_WINDOW are looked at)."""
    out: dict = {}
    key = comparison_key(new_text)
    for event_id, text in earlier_texts[:REVISIT_WINDOW]:
        if text is not None and comparison_key(text) == key:
            out.update(revisit=True, revisit_of=event_id)
            break
    if date_only(old_text, new_text):
        out["minor"] = True
    return out


def earlier_texts(store, vendor: str, doc: str) -> list[tuple[str, str]]:
    """(event id, text) of the REVISIT_WINDOW versions before the current one, newest first."""
    events = store.changes(vendor, doc)[:-1][-REVISIT_WINDOW:]
    return [(e["id"], store.version_text(vendor, doc, e["new_hash"])) for e in reversed(events)]


def date_only(old_text: str, new_text: str) -> bool:
    """The texts differ, and only in labelled dates."""
    masked_old, n_old = mask_dates(old_text)
    masked_new, n_new = mask_dates(new_text)
    if not (n_old and n_new) or comparison_key(old_text) == comparison_key(new_text):
        return False
    return comparison_key(masked_old) == comparison_key(masked_new)


def mask_dates(text: str) -> tuple[str, int]:
    """The text with every labelled date replaced by one mark, and how many were replaced."""
    lines = text.split("\n")
    count = 0
    for i, line in enumerate(lines):
        if not _DATED.search(line):
            continue
        previous = next((p for p in reversed(lines[:i]) if p.strip()), "")
        parts, last = [], 0
        for m in _DATED.finditer(line):
            before, after = line[max(0, m.start() - BEFORE_CHARS):m.start()], line[m.end():m.end() + AFTER_CHARS]
            alone = not _words(line[:m.start()] + line[m.end():])  # a date on a line of its own: label above
            if _LABEL_RE.search(before) or _LABEL_RE.search(after) or (alone and _LABEL_RE.search(previous[-80:])):
                parts += [line[last:m.start()], _MARK]
                last = m.end()
                count += 1
        lines[i] = "".join(parts) + line[last:]
    return "\n".join(lines), count


def _words(text: str) -> bool:
    return bool(re.search(r"\w", text))
