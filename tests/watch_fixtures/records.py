"""Fixture vendor records, written at test time (their URLs point at the local server's port).

Fictional vendors on example.com only; each record is valid under vendors/schema.json.
"""

from __future__ import annotations

from pathlib import Path

import yaml


def policy(doc: str, url: str, **extra) -> dict:
    return {"id": doc, "type": extra.pop("type", "privacy-policy"), "url": url, "language": "en", **extra}


def write_vendor(folder: Path, vendor: str, policies: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = vendor.replace("-", " ").title()
    record = {
        "schema_version": 1,
        "id": vendor,
        "name": name,
        "website": f"https://{vendor}.example.com/",
        "sources": [{"id": "home", "url": f"https://{vendor}.example.com/", "title": f"{name} home page",
                     "publisher": name, "kind": "vendor"}],
        "policies": policies,
    }
    path = folder / f"{vendor}.yaml"
    path.write_text("# yaml-language-server: $schema=./schema.json\n"
                    + yaml.safe_dump(record, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
