"""The checks of the record fields issue 19 added, which a JSON Schema cannot express: who says what (the
vendor, a third party, us) and what was searched for. Called by records._check_semantics; `out` is its
problem collector (`out.add(path, message, value_line=False)`)."""

from __future__ import annotations

import json


def _items(data: dict, key: str) -> list[tuple[int, dict]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [(i, x) for i, x in enumerate(value) if isinstance(x, dict)]


_CONST_HINTS = {
    "found": "only `found: false` is valid here: a policy that was found goes under `policies:`",
    "company_unnamed": "only `company_unnamed: true` is valid: leave the field out when the operator is named",
    "seen_in_text": "only `seen_in_text: true` is valid: leave the field out for a page that was read",
}


def const_message(path, value) -> str:
    key = path[-1] if path else None
    return _CONST_HINTS.get(key, f"must be {json.dumps(value)}")


# Reports are what someone other than the vendor says: citing the vendor's own page there would pass a
# vendor claim off as outside evidence (and the other way round in the rubric).
THIRD_PARTY_KINDS = ("press", "marketplace", "third-party")
# A found policy of these types contradicts a `policy_search` that says none was found.
_POLICY_TYPES_FOUND = ("privacy-policy", "data-processing")


def check(data: dict, out) -> None:
    if isinstance(data.get("company"), dict) and data.get("company_unnamed") is True:
        out.add(("company_unnamed",), "give either company (the operator a source names) or company_unnamed: "
                "true (no source names one), not both")
    kinds = {s["id"]: s.get("kind") for _, s in _items(data, "sources") if isinstance(s.get("id"), str)}
    for i, rep in _items(data, "reports"):
        for j, cit in _items(rep, "sources"):
            sid = cit.get("source")
            kind = kinds.get(sid) if isinstance(sid, str) else None
            if isinstance(kind, str) and kind not in THIRD_PARTY_KINDS:
                out.add(("reports", i, "sources", j, "source"),
                        f"a report cites only third-party sources (kind {', '.join(THIRD_PARTY_KINDS)}); "
                        f"{sid!r} has kind {kind!r}: what the vendor says goes under claims:",
                        value_line=True)
    _check_sourceless(data, out)
    if isinstance(data.get("policy_search"), dict):
        for i, pol in _items(data, "policies"):
            if pol.get("type") in _POLICY_TYPES_FOUND and pol.get("seen_in_text") is not True:
                out.add(("policy_search",), f"policy_search says no policy was found, but policies[{i}] is a "
                        f"{pol.get('type')} that was read: drop policy_search (or mark the policy seen_in_text)")


# Statement lists that each cite sources: a record holding any of them needs a `sources:` list.
_CITING = ("claims", "access", "features", "toggles", "incidents", "reports", "observations")


def _check_sourceless(data: dict, out) -> None:
    """A record with no sources says one thing only: that its policy was searched for and none was found
    (a major vendor the reader looks for, of which nothing is stored). Anything else needs a source."""
    if data.get("sources") not in ([], None) or "sources" not in data:
        return
    if not isinstance(data.get("policy_search"), dict):
        out.add(("sources",), "at least one source is required (an empty list only goes with a policy_search: "
                "searched, nothing found)")
    for key in _CITING:
        if data.get(key):
            out.add((key,), f"{key} cite sources, but sources: is empty")
