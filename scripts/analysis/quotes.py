"""Claims held against the watched policies: is a quote still in the policy text, since when not, and what
did a policy say at a given date.

A citation is checked when its source is one of the vendor's watched documents (same URL). Matching
ignores whitespace, line breaks, punctuation, case and full-width/half-width forms (NFKC), so a quote
copied from a rendered page still matches the extracted text.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field

from scripts.analysis.changes import change_slug
from scripts.records import dates

_KEEP = re.compile(r"[^\w]|_", re.UNICODE)


_ASCII_DROP = {c: None for c in range(128) if not chr(c).isalnum()}


def fold(text: str) -> str:
    """Letters and digits only, NFKC-normalised and case-folded."""
    if text.isascii():  # the same result, without the Unicode machinery: NFKC changes no ASCII text
        return text.lower().translate(_ASCII_DROP)
    text = unicodedata.normalize("NFKC", text).casefold()
    return _KEEP.sub("", text)


@functools.lru_cache(maxsize=64)
def _fold_cached(text: str) -> str:
    return fold(text)  # the same policy text is searched for every quote that cites it


def quote_in(quote: str, text: str) -> bool:
    folded = fold(quote)
    return bool(folded) and folded in _fold_cached(text)


def _norm_url(url: str) -> str:
    url = url.strip()
    url = re.sub(r"^https?://", "", url, flags=re.I)
    host, _, rest = url.partition("/")
    return host.lower() + "/" + rest.rstrip("/")


def watched_sources(record: dict) -> dict[str, str]:
    """source id -> policy id, for sources that are one of the record's watched documents."""
    by_url = {_norm_url(p["url"]): p["id"] for p in record.get("policies", [])}
    return {s["id"]: by_url[_norm_url(s["url"])] for s in record.get("sources", []) if _norm_url(s["url"]) in by_url}


def checked_citations(record: dict):
    """(path, kind, item id, citation, policy id) for every quote that can be checked against a watched page."""
    watched = watched_sources(record)
    for i, claim in enumerate(record.get("claims", [])):
        for j, cit in enumerate(claim.get("sources", [])):
            if cit.get("quote") and cit["source"] in watched:
                yield ("claims", i, "sources", j), "claim", claim["id"], cit, watched[cit["source"]]
    for i, toggle in enumerate(record.get("toggles", [])):
        for k, entry in enumerate(toggle.get("history", [])):
            for j, cit in enumerate(entry.get("sources", [])):
                if cit.get("quote") and cit["source"] in watched:
                    yield (("toggles", i, "history", k, "sources", j), "toggle", f"{toggle['id']}/{k}", cit,
                           watched[cit["source"]])


@dataclass
class QuoteStatus:
    state: str  # "found", "removed" (was there, gone now), "missing" (never seen), "unchecked" (no text yet)
    since: str | None = None  # with "removed": when it disappeared (the change's time)
    change_slug: str | None = None  # the change that removed it
    transitions: list[dict] = field(default_factory=list)  # [{"kind": "removed"|"restored", "change": event}]


def quote_history(quote: str, versions: list[dict], texts: dict[str, str]) -> QuoteStatus:
    """Follow a quote through a document's versions (oldest first; technical updates included, since they
    change the text, but they never count as the moment a policy changed)."""
    present_before = None
    transitions = []
    removed_at = None
    for event in versions:
        text = texts.get(event["new_hash"])
        if text is None:
            continue
        present = quote_in(quote, text)
        # A technical update or a return to a variant seen before (scrapers.variants: an A/B test, a rotating
        # banner) changes the state but is never announced, like the change event itself.
        if present_before is not None and present != present_before and not (
                event.get("technical") or event.get("revisit")):
            transitions.append({"kind": "restored" if present else "removed", "change": event})
        if present_before is not None and present != present_before:
            removed_at = None if present else event
        present_before = present
    if present_before is None:
        return QuoteStatus("unchecked", transitions=transitions)
    if present_before:
        return QuoteStatus("found", transitions=transitions)
    if removed_at is None and not any(t["kind"] == "removed" for t in transitions):
        return QuoteStatus("missing", transitions=transitions)
    return QuoteStatus("removed", since=removed_at["time"] if removed_at else None, transitions=transitions)


def statuses(record: dict, store) -> dict[tuple, dict]:
    """path of each checked citation -> {status, policy, item} for a record, from the watcher's store."""
    out = {}
    cache: dict[str, tuple[list, dict]] = {}
    for path, kind, item, cit, policy in checked_citations(record):
        if policy not in cache:
            versions = store.changes(record["id"], policy) if store else []
            texts = {e["new_hash"]: store.version_text(record["id"], policy, e["new_hash"]) for e in versions}
            cache[policy] = (versions, {k: v for k, v in texts.items() if v is not None})
        versions, texts = cache[policy]
        status = quote_history(cit["quote"], versions, texts)
        if status.state == "removed" and status.since:
            removing = next(e for e in versions if e["time"] == status.since)
            if not removing.get("technical"):  # technical updates have no change page
                status.change_slug = change_slug(record["id"], policy, removing["id"])
        out[path] = {"status": status, "policy": policy, "kind": kind, "item": item, "quote": cit["quote"]}
    return out


# --- what a policy said at a date ---------------------------------------------------------------

@dataclass
class AtDate:
    state: str  # "found" (versions listed), "before-history", "year-unknown", "no-history"
    versions: list[dict] = field(default_factory=list)  # versions in effect during the date's range
    first_recorded: str | None = None
    partial: bool = False  # the date is a range (month, year, or a span of years)
    partly_before: bool = False  # the range starts before the first recorded version


def versions_at(raw_date: str | None, versions: list[dict]) -> AtDate:
    """The stored versions in effect at a (possibly partial) date. A partial date is a range: every version
    in effect at some point of it is returned."""
    usable = [e for e in versions if not e.get("technical")]
    if not usable:
        return AtDate("no-history")
    first = usable[0]["time"]
    try:
        d = dates.parse(raw_date) if raw_date else None
    except dates.DateError:
        d = None
    if d is None or d.lower() is None:
        return AtDate("year-unknown", first_recorded=first)
    lo, hi = d.lower(), d.upper()
    partial = lo != hi
    start = dt.datetime.combine(lo, dt.time.min, dt.UTC)
    end = dt.datetime.combine(hi, dt.time.max, dt.UTC)
    times = [dt.datetime.fromisoformat(e["time"].replace("Z", "+00:00")) for e in usable]
    if end < times[0]:
        return AtDate("before-history", first_recorded=first, partial=partial)
    in_effect = []
    for n, event in enumerate(usable):
        begins = times[n]
        ends = times[n + 1] if n + 1 < len(usable) else None
        if begins <= end and (ends is None or ends > start):
            in_effect.append(event)
    return AtDate("found", in_effect, first, partial, partly_before=start < times[0])
