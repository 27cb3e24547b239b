"""The observed-data store (snapshots/): layout, the read API the site uses, writes, recovery.

    <store>/.lock                          held by a writing run (flock); readers never take it
    <store>/<vendor>/<doc>/changes.jsonl   append-only change log, one JSON object per line, oldest first
    <store>/<vendor>/<doc>/versions/<sha256>.md   text of every recorded version (sha256 of the text)
    <store>/<vendor>/<doc>/raw/<time>-<sha12>.html  the page (decoded, UTF-8) that produced a version
                                           (.txt for a plain-text document, .pdf for a PDF's bytes)
    <store>/<vendor>/<doc>/current.md      copy of the current version's text, for people browsing git
    <store>/<vendor>/<doc>/status.json     the last check: time, HTTP status, failure class, message

The change log is the source of truth: the current version is its last event. A version is committed in
this order — raw HTML, version text, change log, current.md — each file written atomically, so a run
killed at any instant leaves either the old state or the new one plus unreferenced files; `recover()`
(run at the start of every writing run, under the lock) deletes temporary and unreferenced files, drops
change-log lines whose text file is missing and rewrites a stale current.md. Damage no run of ours leaves
(a line or a status.json that does not parse) is kept aside and reported (scrapers.damage); a write that
fails (disk full) is undone the same way at once (discard_uncommitted). Readers skip such lines too,
so the site reads a consistent store even while a run is writing or after a crash.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from scrapers import damage
from scrapers.fsio import TEMP_MARK, StoreLock, dumps, dumps_line, write_atomic, write_text
from scrapers.normalise import text_hash

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
HASH = re.compile(r"^[0-9a-f]{64}$")


def open_store(path) -> Store:
    return Store(Path(path))


def event_id(new_hash: str, time: str) -> str:
    """Stable id of a change: first 12 hex of the new text's hash and the UTC time, compact."""
    return f"{new_hash[:12]}-{re.sub(r'[^0-9TZ]', '', time)}"


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


class Store:
    def __init__(self, root: Path):
        self.root = Path(root)

    # --- read API (no lock) ----------------------------------------------------------------------

    def documents(self) -> list[tuple[str, str]]:
        """(vendor, document) of every folder with something to read: a change log or a status."""
        return [(v, d) for v, d in self._doc_folders()
                if (self.root / v / d / "changes.jsonl").exists() or (self.root / v / d / "status.json").exists()]

    def status(self, vendor: str, doc: str) -> dict | None:
        try:
            status = json.loads(_read(self._doc_path(vendor, doc) + "/status.json"))
        except (FileNotFoundError, ValueError):
            return None
        return status if isinstance(status, dict) else None  # damaged: recover() sets it aside

    def changes(self, vendor: str, doc: str) -> list[dict]:
        """Change events, oldest first; lines a crashed run left without their text file are skipped."""
        lines = self._log_lines(vendor, doc)
        if not lines:
            return []
        try:  # one directory listing instead of a stat per line
            texts = set(os.listdir(self._doc_path(vendor, doc) + "/versions"))
        except OSError:
            texts = set()
        return [e for e in lines if e is not None and f"{e['new_hash']}.md" in texts]

    def current(self, vendor: str, doc: str) -> dict | None:
        """The event of the current version (the last one), or None before the first version."""
        events = self.changes(vendor, doc)
        return events[-1] if events else None

    def current_text(self, vendor: str, doc: str) -> str | None:
        event = self.current(vendor, doc)
        return self.version_text(vendor, doc, event["new_hash"]) if event else None

    def version_text(self, vendor: str, doc: str, text_hash_: str) -> str | None:
        if not HASH.match(text_hash_ or ""):
            return None
        try:
            return _read(f"{self._doc_path(vendor, doc)}/versions/{text_hash_}.md")
        except FileNotFoundError:
            return None

    def raw_html(self, event: dict) -> str | None:
        try:
            return (self.root / event["raw"]).read_text(encoding="utf-8")
        except (FileNotFoundError, KeyError, TypeError, UnicodeDecodeError):
            return None

    def raw_bytes(self, event: dict) -> bytes | None:
        """A raw snapshot that is not text (a PDF), as stored."""
        try:
            return (self.root / event["raw"]).read_bytes()
        except (FileNotFoundError, KeyError, TypeError):
            return None

    # --- writing (callers hold the lock) ---------------------------------------------------------

    def lock(self, timeout: float = 0.0) -> StoreLock:
        return StoreLock(self.root, timeout)

    def _doc_path(self, vendor: str, doc: str) -> str:
        """doc_dir as a string, for the read API (the site build reads thousands of files through it)."""
        if not (SLUG.match(vendor) and SLUG.match(doc)):  # ids become paths: no "..", no "/"
            raise ValueError(f"not a valid id: {vendor!r}/{doc!r}")
        return f"{self.root}/{vendor}/{doc}"

    def doc_dir(self, vendor: str, doc: str) -> Path:
        return Path(self._doc_path(vendor, doc))

    def save_raw(self, vendor: str, doc: str, html: str | bytes, time: str, ext: str = "html") -> str:
        """Store raw HTML (or a document's text or bytes, named by `ext`); returns its path relative to
        the store root."""
        stamp = re.sub(r"[^0-9TZ]", "", time)
        data = html if isinstance(html, bytes) else html.encode("utf-8")
        name = f"{stamp}-{hashlib.sha256(data).hexdigest()[:12]}.{ext}"
        path = self.doc_dir(vendor, doc) / "raw" / name
        if not path.exists():
            write_atomic(path, data)
        return path.relative_to(self.root).as_posix()

    def append_event(self, vendor: str, doc: str, event: dict, text: str) -> dict:
        """Commit a new version: its text, then its change-log line, then current.md."""
        folder = self.doc_dir(vendor, doc)
        assert event["new_hash"] == text_hash(text)
        version = folder / "versions" / f"{event['new_hash']}.md"
        if not version.exists():
            write_text(version, text)
        lines = [e for e in self._log_lines(vendor, doc) if e is not None]
        write_text(folder / "changes.jsonl", "".join(dumps_line(e) for e in [*lines, event]))
        # current.md is a copy for people browsing git, derived from the change log: written atomically
        # but not fsync'ed (2 of the 10 fsyncs of a new version). A kill -9 can't tear it (the rename is
        # atomic and the page cache outlives the process); after a power loss it may be the previous text
        # or empty, and recover() at the start of the next run rewrites it from the last change-log entry.
        # The files that hold information (raw HTML, version text, change log, status) stay durable, in
        # that order.
        write_text(folder / "current.md", text, durable=False)
        return event

    def write_status(self, vendor: str, doc: str, status: dict) -> None:
        write_text(self.doc_dir(vendor, doc) / "status.json", dumps(status))

    def recover(self) -> list[str]:
        """Repair what a killed run may have left (see the module docstring); returns what was done."""
        notes = []
        if not self.root.is_dir():
            return notes
        for tmp in self.root.rglob(f"*{TEMP_MARK}*"):
            if tmp.is_file():
                tmp.unlink()
                notes.append(f"removed temporary file {tmp.relative_to(self.root)}")
        for vendor, doc in self._doc_folders():
            try:
                notes.extend(self._recover_doc(vendor, doc))
            except OSError as e:  # disk full, read-only: the next run tries again; the others go on
                notes.append(f"{vendor}/{doc}: could not repair: {e}")
        return notes

    def _doc_folders(self) -> list[tuple[str, str]]:
        """Every document folder, including one a run was killed in before its first change-log line or
        status (documents() leaves those out: they hold nothing to read, but recover() must clean them)."""
        if not self.root.is_dir():
            return []
        found = []
        for vendor_dir in self.root.iterdir():
            if vendor_dir.is_dir() and SLUG.match(vendor_dir.name):
                found += [(vendor_dir.name, d.name) for d in vendor_dir.iterdir() if d.is_dir() and SLUG.match(d.name)]
        return sorted(found)

    # --- internals -------------------------------------------------------------------------------

    def _log_lines(self, vendor: str, doc: str) -> list[dict | None]:
        try:
            with open(self._doc_path(vendor, doc) + "/changes.jsonl", "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        out: list[dict | None] = []
        # Split the bytes on b"\n" only: str.splitlines() also splits at U+2028 or U+0085, which JSON
        # leaves raw inside quoted text, and a stray invalid byte must damage one line, not the whole log.
        for line in data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n"):
            try:
                event = json.loads(line)
                valid = isinstance(event, dict) and HASH.match(str(event.get("new_hash")))
                out.append(event if valid else None)
            except ValueError:
                out.append(None)
        return out

    def _has_text(self, vendor: str, doc: str, event: dict) -> bool:
        return (self.doc_dir(vendor, doc) / "versions" / f"{event['new_hash']}.md").exists()

    def discard_uncommitted(self, vendor: str, doc: str) -> list[str]:
        """After a failed write (disk full, I/O error): remove what the failed commit left for this
        document, so the store is as it was before it (or has the new version whole). Never raises."""
        try:
            return self._recover_doc(vendor, doc)
        except OSError as e:
            return [f"{vendor}/{doc}: could not tidy up after a failed write: {e}"]

    def _recover_doc(self, vendor: str, doc: str) -> list[str]:
        folder = self.doc_dir(vendor, doc)
        lines = self._log_lines(vendor, doc)
        # Damaged lines (not a change event: edited by hand, a bad disk) are kept aside for a person and
        # dropped from the log; while any damage is on record, no version text or raw page is deleted:
        # one of them may be what a damaged line referred to.
        notes = damage.set_aside_log(folder, lines)
        good = [e for e in lines if e is not None and self._has_text(vendor, doc, e)]
        if len(good) != len(lines):
            write_text(folder / "changes.jsonl", "".join(dumps_line(e) for e in good))
            missing = sum(1 for e in lines if e is not None) - len(good)
            if missing:
                notes.append(f"{vendor}/{doc}: dropped {missing} change-log line(s) without text")
        keep_versions = {f"{e['new_hash']}.md" for e in good}
        keep_raw = {Path(e.get("raw") or "").name for e in good}
        tidy = () if damage.on_record(folder) else (("versions", keep_versions), ("raw", keep_raw))
        for sub, keep in tidy:
            for path in sorted((folder / sub).glob("*")) if (folder / sub).is_dir() else []:
                if path.name not in keep:
                    path.unlink()
                    notes.append(f"{vendor}/{doc}: removed unreferenced {sub}/{path.name}")
        notes += damage.repair_status(folder, good[-1] if good else None)
        current = folder / "current.md"
        if good:
            text = self.version_text(vendor, doc, good[-1]["new_hash"])
            if not current.exists() or current.read_bytes() != text.encode("utf-8"):
                try:
                    write_text(current, text)
                except OSError:  # no space: no copy rather than a stale one (unlinking needs none)
                    current.unlink(missing_ok=True)
                    raise
                notes.append(f"{vendor}/{doc}: rewrote current.md from the last change-log entry")
        elif current.exists():
            current.unlink()
            notes.append(f"{vendor}/{doc}: removed current.md without a change-log entry")
        return notes
