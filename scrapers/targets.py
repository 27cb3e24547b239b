"""The documents to watch: every `policies:` entry of the valid vendor records.

Records are loaded and validated by scripts.records (the project's one loader); invalid records are
reported and skipped, the others are still watched. When scripts.records is not importable (the watcher
used on its own) a plain YAML reading of vendors/*.yaml stands in, without validation.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from scrapers.page import Target


def load_targets(vendors_dir: Path) -> tuple[list[Target], list[str]]:
    """(targets sorted by vendor and document id, problem messages)."""
    records, problems = _load_records(Path(vendors_dir))
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


def _load_records(vendors_dir: Path) -> tuple[list[dict], list[str]]:
    try:
        from scripts.records import load_vendors
    except ImportError:
        return _load_plain(vendors_dir)
    return load_vendors(vendors_dir)


def _load_plain(vendors_dir: Path) -> tuple[list[dict], list[str]]:
    records, problems = [], []
    for path in sorted(vendors_dir.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            problems.append(f"{path}:1: {e}")
            continue
        if not isinstance(data, dict) or data.get("id") != path.stem:
            problems.append(f"{path}:1: not a record, or its id is not the file name")
            continue
        records.append(data)
    return records, problems


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
