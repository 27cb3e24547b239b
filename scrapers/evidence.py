"""Pages that answered but were not the document, kept for a person to look at.

    <store>/_evidence/<vendor>/<doc>/<time>-<sha12>.html

A block, login, consent or verification page (and a held-back shrink) is never a version, but whoever
reads the failure issue wants to see what the site served. It is kept beside the store's document
folders, not in them: recovery, the site and the change log only read versions/ and raw/ inside
<vendor>/<doc>/, and `_evidence` is not a valid vendor id, so no reader mistakes it for a document.
Bounded: each page is cut at MAX_BYTES and only the KEEP newest pages of a document stay; a page whose
bytes are already kept is not written again, so a wall that persists for months costs one file.
"""

from __future__ import annotations

import re
from pathlib import Path

from scrapers.fsio import TEMP_MARK, write_text
from scrapers.normalise import text_hash

FOLDER = "_evidence"
MAX_BYTES = 256 * 1024
KEEP = 5


def save(root: Path, vendor: str, doc: str, html: str, time: str) -> str | None:
    """Keep `html` as evidence; returns its path relative to the store root, or None when it could not
    be written (evidence must never turn a classified failure into a crash)."""
    data = html.encode("utf-8")[:MAX_BYTES].decode("utf-8", "ignore")
    folder = Path(root) / FOLDER / vendor / doc
    digest = text_hash(data)[:12]
    try:
        kept = sorted(p for p in folder.glob("*.html") if TEMP_MARK not in p.name) if folder.is_dir() else []
        same = next((p for p in kept if p.name.endswith(f"-{digest}.html")), None)
        if same is not None:
            return same.relative_to(root).as_posix()
        path = folder / f"{re.sub(r'[^0-9TZ]', '', time)}-{digest}.html"
        write_text(path, data, durable=False)  # evidence, not observed data: no fsync needed
        for old in kept[:max(0, len(kept) + 1 - KEEP)]:
            old.unlink(missing_ok=True)
        return path.relative_to(root).as_posix()
    except OSError:
        return None
