"""Amazon's rules as context (reference/amazon-rules.yaml): for the methodology page and, as a yardstick,
beside a vendor's own statements on the same topic.

A rule is shown beside a vendor only where both facts are sourced: the rule by its quote and source, and
the vendor's side by a current claim (not ended) that cites at least one of the vendor's own pages. A
third party's report about the vendor is never a yardstick match: it is not the vendor's statement.
"""

from __future__ import annotations

import functools

from scripts.records import yamlsafe
from scripts.records.load import ROOT

RULES_PATH = ROOT / "reference" / "amazon-rules.yaml"


@functools.cache
def _rules() -> tuple:
    rules = yamlsafe.load_reference(RULES_PATH).get("rules") or []
    for r in rules:
        _check_rule(r)
    return tuple(rules)


_RULE_KEYS = {"id", "title", "quote", "label", "yardstick", "rubric", "source"}


def _check_rule(r: dict) -> None:
    """A rule without its quote and source link is shown nowhere; a text missing a language, or an unknown
    key (in a flow mapping, an unquoted comma starts a new key), is a mistake in the file."""
    where = f"{RULES_PATH}: rule {r.get('id')!r}"
    if set(r) - _RULE_KEYS:
        raise ValueError(f"{where}: unknown keys {sorted(set(r) - _RULE_KEYS)}")
    if not (isinstance(r.get("quote"), str) and isinstance(r.get("source"), dict) and r["source"].get("url")):
        raise ValueError(f"{where} needs a quote and a source with a url")
    for key in ("title", "label"):
        value = r.get(key)
        if key in r and not (isinstance(value, dict) and set(value) == {"en", "zh"}
                             and all(isinstance(v, str) and v for v in value.values())):
            raise ValueError(f"{where}: {key} needs exactly an en and a zh text")


def rules() -> tuple:
    """Every rule, in the file's order (read-only)."""
    return _rules()


def vendor_claims(record: dict, topic: str) -> list[dict]:
    """The record's current claims on `topic` that cite at least one of the vendor's own pages."""
    kinds = {s.get("id"): s.get("kind") for s in record.get("sources", []) if isinstance(s, dict)}
    return [c for c in record.get("claims", [])
            if c.get("topic") == topic and not c.get("ended")
            and any(kinds.get(cit.get("source")) == "vendor" for cit in c.get("sources", []))]


def pairs(record: dict) -> list[tuple[dict, list[dict]]]:
    """(rule, the vendor's matching claims) for every yardstick rule the record has sourced claims for."""
    out = []
    for rule in _rules():
        topic = rule.get("yardstick")
        if topic:
            claims = vendor_claims(record, topic)
            if claims:
                out.append((rule, claims))
    return out
