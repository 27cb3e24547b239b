"""The documents to watch: every `policies:` entry of the valid vendor records.

Records are loaded and validated by scripts.records.load (the project's one loader, the one module of
scripts/ the watcher depends on); invalid records are reported and skipped, the others are still watched.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

from scrapers.page import Target
from scripts.records.load import load_vendors


def load_targets(vendors_dir: Path) -> tuple[list[Target], list[str]]:
    """(targets sorted by vendor and document id, problem messages)."""
    records, problems = load_vendors(Path(vendors_dir))
    targets = []
    for record in records:
        for policy in record.get("policies") or []:
            try:
                targets.append(Target(vendor=record["id"], doc=policy["id"], url=policy["url"],
                                      select=policy.get("select"), remove=policy.get("remove"),
                                      render=policy.get("render")))
            except (KeyError, TypeError) as e:
                problems.append(f"{record.get('id')}: policy without {e}: skipped")
    targets.sort(key=lambda t: (t.vendor, t.doc))
    return targets, problems


def shard_key(target: Target) -> str:
    """All documents of one host share a shard, so that parallel jobs never hit the same host at once
    (politeness is per host and per run). A URL without a usable host falls back to the document's key."""
    try:
        parts = urlsplit(target.url)
        host = (parts.hostname or "").lower()
        return f"{host}:{parts.port or ''}" if host else target.key
    except ValueError:
        return target.key


def in_shard(target: Target, index: int, count: int) -> bool:
    """Shard `index` of `count` (1-based). A hash of the document's host decides (see shard_key), so a
    document stays in its shard when others are added or removed, and every document is in exactly one."""
    digest = hashlib.sha256(shard_key(target).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count == index - 1
