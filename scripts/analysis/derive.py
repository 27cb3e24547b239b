"""Facts derived from a record (and the watcher's observations) for pages, feeds and the API.

Pure functions of their inputs: nothing here reads files except through `observed`.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from scripts.records import dates
from scripts.records.load import ROOT, sp_api


def parse_date(value) -> dates.PartialDate | None:
    try:
        return dates.parse(value) if isinstance(value, str) else None
    except dates.DateError:
        return None


def recorded_date(record: dict, citations) -> dt.date | None:
    """When the statement was recorded: the latest `retrieved` date among the cited sources."""
    by_id = {s["id"]: s for s in record.get("sources", [])}
    best = None
    for cit in citations or []:
        d = parse_date(by_id.get(cit.get("source"), {}).get("retrieved"))
        if d is not None and d.lower() is not None:
            best = max(best, d.lower()) if best else d.lower()
    return best


@dataclass
class ToggleState:
    entries: list[dict]  # the entries that describe the current default, each as given in the record
    conflict: bool  # the sources disagree and their order cannot be established


def toggle_state(toggle: dict) -> ToggleState:
    """Current default(s) of a setting. The newest dated entry for each audience counts as current;
    undated entries cannot be placed in time, so they stand beside it. Differing values among these
    mean the sources disagree: the site shows all of them and says so."""
    history = toggle.get("history", [])
    dated = [e for e in history if parse_date(e.get("effective"))]
    undated = [e for e in history if not parse_date(e.get("effective"))]
    latest: dict[str, dict] = {}
    for entry in dated:  # records list history oldest first
        latest[entry.get("applies_to", "not-stated")] = entry
    current = list(latest.values()) + undated
    values = {e.get("default") for e in current}
    return ToggleState(current, len(values) > 1)


def role_info(role: str) -> dict | None:
    return sp_api()["roles"].get(role)


def report_info(report: str) -> dict:
    """Name and contents of a report type, and the roles that can request it."""
    ref = sp_api()
    info = dict(ref.get("reports", {}).get(report, {}))
    info["roles"] = sorted(r for r, v in ref["roles"].items() if report in v.get("reports", []))
    return info


def observed_store():
    """The watcher's store, or None when there is none (no snapshots yet, or the watcher isn't installed)."""
    path = Path(os.environ.get("ERPWATCH_SNAPSHOTS_DIR") or ROOT / "snapshots")
    if not path.is_dir():
        return None
    try:
        from scrapers.store import open_store
    except ImportError:
        return None
    return open_store(path)


class CachedStore:
    """Read-through cache over the store's read API for one build: the generator asks for the same change
    log many times (per language, per page, per quote), and each call re-reads and re-parses the file."""

    def __init__(self, store):
        self._store = store
        self._cache: dict[tuple, object] = {}

    def clear(self) -> None:
        """Forget what was read (a build's worker is done with one vendor's files)."""
        self._cache.clear()

    def _get(self, name: str, *args):
        key = (name, *args)
        if key not in self._cache:
            self._cache[key] = getattr(self._store, name)(*args)
        return self._cache[key]

    def documents(self):
        return self._get("documents")

    def status(self, vendor, doc):
        return self._get("status", vendor, doc)

    def changes(self, vendor, doc):
        return self._get("changes", vendor, doc)

    def current_text(self, vendor, doc):
        return self._get("current_text", vendor, doc)

    def version_text(self, vendor, doc, text_hash):
        return self._get("version_text", vendor, doc, text_hash)
