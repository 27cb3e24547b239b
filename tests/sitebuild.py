"""Test helpers: fictional vendor records and an isolated mkdocs build (never into the repo's site_src/)."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# A fictional vendor on reserved names; every feature of the format appears at least once.
BASE_RECORD = {
    "schema_version": 1,
    "id": "example-tools",
    "name": "Example Tools",
    "names": {"zh": ["示例工具"]},
    "website": "https://example-tools.example.com/",
    "company": {"name": "Example Tools Ltd.", "country": "Nowhere", "sources": [{"source": "tos"}]},
    "categories": ["review-requests", "repricer"],
    "marketplaces": ["amazon"],
    "sources": [
        {"id": "tos", "url": "https://example-tools.example.com/terms", "title": "Terms of Use",
         "publisher": "Example Tools", "kind": "vendor", "retrieved": "2025-01-10"},
        {"id": "news", "url": "https://news.example.test/story", "title": {"en": "Seller complains", "zh": "卖家投诉"},
         "publisher": "Example News", "kind": "press", "published": "2024-06", "retrieved": "2025-01-11",
         "note": "Fictional article for tests."},
    ],
    "policies": [{"id": "terms", "type": "terms-of-service", "title": "Terms of Use",
                  "url": "https://example-tools.example.com/terms", "language": "en"}],
    "claims": [
        {"id": "keeps-90-days", "topic": "retention", "summary": {"en": "Keeps data 90 days.", "zh": "数据保留 90 天。"},
         "since": "2023", "sources": [{"source": "tos", "quote": "We keep data for 90 days."}],
         "ended": {"date": "2024-03", "reason": "superseded", "superseded_by": "keeps-30-days",
                   "sources": [{"source": "tos"}]}},
        {"id": "keeps-30-days", "topic": "retention", "summary": "Keeps data 30 days.", "since": "2024-03",
         "sources": [{"source": "tos", "quote": "We keep data for 30 days."}]},
        {"id": "no-resale", "topic": "resale", "summary": "只在中文里说明不转售数据。",
         "sources": [{"source": "tos", "quote": "不转售"}]},
    ],
    "access": [
        {"api": "sp-api", "role": "pricing", "sources": [{"source": "tos"}]},
        {"api": "sp-api", "report": "GET_MERCHANT_LISTINGS_DATA", "frequency": "Every 30 minutes",
         "sources": [{"source": "news", "quote": "every half hour"}]},
        {"api": "other", "data": "Order ids", "sources": [{"source": "tos"}]},
    ],
    "features": [{"feature": "review-requests", "summary": "Sends review requests.", "sources": [{"source": "tos"}]}],
    "toggles": [{
        "id": "listings-download", "name": "Download listings report", "report": "GET_MERCHANT_LISTINGS_DATA",
        "controls": "Whether the listings report is downloaded.",
        "history": [
            {"default": "on", "applies_to": "not-stated", "where": "Settings", "sources": [{"source": "tos"}]},
            {"effective": "XXXX-05-31", "default": "off", "applies_to": "new-sign-ups",
             "note": "From 08:00 local time.", "sources": [{"source": "news", "quote": "off by default"}]},
        ],
    }],
    "incidents": [
        {"id": "listing-pulls", "title": "Seller reports frequent report downloads", "occurred": "2024-05-26",
         "reported": "2024-06-06", "status": "vendor-responded", "summary": "A seller reported frequent downloads.",
         "statements": [
             {"by": "seller", "text": "Downloads every half hour.", "sources": [{"source": "news", "quote": "half hour"}]},
             {"by": "marketplace", "who": "Marketplace support", "text": "The app requested the reports.",
              "sources": [{"source": "news"}]},
         ],
         "vendor_response": {"date": "2024-06-07", "summary": "The vendor said new sign-ups have it off.",
                             "sources": [{"source": "news", "quote": "now off"}]},
         "sources": [{"source": "news"}]},
        {"id": "older-one", "title": "An older report", "reported": "2023-02", "status": "reported",
         "summary": "Something was reported.", "vendor_response": {"none_recorded_as_of": "2025-01-11"},
         "sources": [{"source": "news"}]},
    ],
}


def record(**changes) -> dict:
    rec = copy.deepcopy(BASE_RECORD)
    rec.update(changes)
    return rec


def write_records(folder: Path, *records: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for rec in records:
        text = "# yaml-language-server: $schema=./schema.json\n" + yaml.safe_dump(rec, allow_unicode=True, sort_keys=False)
        (folder / f"{rec['id']}.yaml").write_text(text, encoding="utf-8")
    return folder


def build_site(tmp: Path, vendors_dir: Path, snapshots_dir: Path | None = None, check: bool = True,
               env_extra: dict | None = None):
    """Run `mkdocs build --strict` on a copy of the site config whose docs_dir and site_dir are in tmp."""
    docs = tmp / "site_src"
    if docs.exists():
        shutil.rmtree(docs)
    shutil.copytree(ROOT / "site_src", docs, ignore=shutil.ignore_patterns(
        "index.md", "vendors", "incidents", "changes", "api", "zh", "feed.xml"))
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = re.sub(r"^docs_dir: .*$", f"docs_dir: {docs}", config, flags=re.M)
    config = re.sub(r"^site_dir: .*$", f"site_dir: {tmp / 'site'}", config, flags=re.M)
    config = config.replace("  - scripts/site/mkdocs_hooks.py", f"  - {ROOT / 'scripts' / 'site' / 'mkdocs_hooks.py'}")
    (tmp / "mkdocs.yml").write_text(config, encoding="utf-8")
    env = {**os.environ, "ERPWATCH_VENDORS_DIR": str(vendors_dir), "NO_MKDOCS_2_WARNING": "1",
           "ERPWATCH_SNAPSHOTS_DIR": str(snapshots_dir or tmp / "no-snapshots"), **(env_extra or {})}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(tmp / "mkdocs.yml")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"mkdocs build failed:\n{proc.stdout}\n{proc.stderr}")
    return proc
