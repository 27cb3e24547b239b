"""Damage that no crash of ours leaves: a change-log line or a status.json that does not parse (edited by
hand, a bad merge, a bad disk). Every store file is written atomically, so this is never a half-written
file of a killed run, and it is never repaired by guessing.

Recovery (scrapers.store) reports each damaged line as `PATH:LINE`, copies the file as it was to
`<name>.damaged-<time>` beside it for a person, and rebuilds what it can from the intact files: the change
log from its intact lines, current.md from the last of them, status.json from the last change event.
While such a copy is in a document's folder, recovery deletes no version text and no raw page: one of
them may be what a damaged line referred to. A person who has looked deletes the copy.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from scrapers.fsio import dumps, utc_now, write_atomic

DAMAGED_MARK = ".damaged-"


def on_record(folder: Path) -> bool:
    """A damaged file of this document is kept aside (so nothing may be deleted as unreferenced)."""
    return any(folder.glob(f"*{DAMAGED_MARK}*"))


def set_aside_log(folder: Path, lines: list[dict | None]) -> list[str]:
    """Keep changes.jsonl aside when some of its lines (None in `lines`) are damaged; one note per line."""
    damaged = [n for n, event in enumerate(lines, 1) if event is None]
    if not damaged:
        return []
    log = folder / "changes.jsonl"
    aside = _aside(log, log.read_bytes())
    return [f"{log}:{n}: damaged change-log line (not a change event), dropped from the log; the file as it "
            f"was is kept in {aside.name}" for n in damaged]


def repair_status(folder: Path, last: dict | None) -> list[str]:
    """A status.json that is not a JSON object: kept aside, rebuilt from `last` (the last intact change
    event) or removed when there is none; the next check writes a full one either way."""
    path = folder / "status.json"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    try:
        if isinstance(json.loads(data), dict):
            return []
        problem, line = "not a JSON object", 1
    except UnicodeDecodeError as e:
        problem, line = "not UTF-8", data.count(b"\n", 0, e.start) + 1
    except ValueError as e:
        problem, line = getattr(e, "msg", "not JSON"), getattr(e, "lineno", 1)
    aside = _aside(path, data)
    if last is None:
        path.unlink()
        done = "removed (no version to rebuild it from)"
    else:
        write_atomic(path, dumps(rebuilt_status(last)).encode("utf-8"))
        done = "rebuilt from the last change-log entry"
    return [f"{path}:{line}: damaged status.json ({problem}); kept in {aside.name}; {done}"]


def rebuilt_status(last: dict) -> dict:
    """What the last change event says of the last successful check; no validators (a fresh full fetch)."""
    return {"url": last.get("url"), "checked_at": last.get("time"), "last_success_at": last.get("time"),
            "etag": None, "last_modified": None, "pending_shrink": None, "failure": None,
            "message": "rebuilt from the change log: status.json was damaged", "http_status": last.get("http_status"),
            "final_url": last.get("final_url"), "consecutive_failures": 0}


def _aside(path: Path, data: bytes) -> Path:
    stamp = re.sub(r"[^0-9TZ]", "", utc_now())
    target, n = path.with_name(f"{path.name}{DAMAGED_MARK}{stamp}"), 1
    while target.exists():
        target, n = path.with_name(f"{path.name}{DAMAGED_MARK}{stamp}-{n}"), n + 1
    write_atomic(target, data)
    return target
