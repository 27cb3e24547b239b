"""Real policy pages: the 12 Open Terms Archive snapshot pairs in ../shared/corpus/ota-pairs.

Each pair is served by the local server (before, then after) and checked by the watcher with its
default extraction, no per-page selector. Two things are measured:
- detection: the 6 `changed` pairs are reported as changed, the 6 `noise` pairs are not;
- coverage: the share of Open Terms Archive's own extracted lines (versions_*.md, made with per-page
  selectors) found in our text. Both sides are normalised the same way: Markdown markup removed (links
  keep their text, emphasis, headings, list markers, escapes, table pipes, <br>), NFKC, case folded, only
  letters and digits kept, one space between words. A line counts as found when its normalised text
  occurs in our normalised text. Lines with no letters or digits are not counted.
The per-pair figures are printed (pytest -s) and written to test-artifacts/ota-coverage.md.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from watch_fixtures.pages import FAST
from watch_fixtures.server import server_fixture  # noqa: F401  (pytest fixtures)

from scrapers.extract import extract
from scrapers.http import HttpClient
from scrapers.page import Target
from scrapers.pipeline import Watcher
from scrapers.store import open_store

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "ota-pairs"
MIN_MEAN_COVERAGE = 0.90

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"OTA corpus not found at {CORPUS}")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)     # images -> alt text
    text = re.sub(r"\]\([^)]*\)", "]", text)                   # links -> their text
    text = re.sub(r"<br\s*/?>", " ", text)
    text = re.sub(r"^\s*(?:#{1,6}\s|[-*+]\s|\d+\.\s)", "", text, flags=re.MULTILINE)
    text = re.sub(r"\\(.)", r"\1", text)                        # Markdown escapes
    text = text.replace("*", "").replace("_", "")             # emphasis (may sit inside words)
    return " ".join(re.findall(r"[^\W_]+", text))


def coverage(reference_md: str, ours: str) -> float:
    ours_n = normalise(ours)
    lines = [n for n in (normalise(line) for line in reference_md.splitlines()) if n]
    return sum(1 for n in lines if n in ours_n) / len(lines) if lines else 1.0


def cases() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if (p / "meta.json").is_file()) if CORPUS.is_dir() else []


def test_changes_detected_noise_ignored_and_coverage(server, tmp_path):
    rows, failures = [], []
    with HttpClient(FAST) as client:
        watcher = Watcher(open_store(tmp_path / "store"), client)
        for case in cases():
            meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
            doc = re.sub(r"[^a-z0-9]+", "-", case.name.lower()).strip("-")
            target = Target("ota", doc, server.url(f"/{doc}"))
            before, after = ((case / f).read_bytes() for f in ("before.html", "after.html"))
            server.route(f"/{doc}", before)
            first = watcher.check(target)
            assert first.result == "changed" and first.event["initial"], (case.name, first.message)
            server.route(f"/{doc}", after)
            second = watcher.check(target)
            assert second.failure is None, (case.name, second.failure, second.message)
            detected = second.result == "changed"
            if detected != (meta["label"] == "changed"):
                failures.append(f"{case.name}: label {meta['label']}, watcher said {second.result}")
            # the texts the watcher extracted (for an unchanged pair it kept the first; extract the second)
            text_before = watcher.store.version_text("ota", doc, first.event["new_hash"])
            text_after = second.event and watcher.store.current_text("ota", doc) or extract(after.decode())
            cov_before = coverage((case / "versions_before.md").read_text(encoding="utf-8"), text_before)
            cov_after = coverage((case / "versions_after.md").read_text(encoding="utf-8"), text_after)
            rows.append((case.name, meta["label"], second.result, cov_before, cov_after))
    report(rows)
    assert len(rows) == 12
    assert not failures, failures
    mean = sum(b + a for *_, b, a in rows) / (2 * len(rows))
    assert mean >= MIN_MEAN_COVERAGE, f"mean coverage {mean:.3f}"


def report(rows) -> None:
    lines = ["| pair | label | watcher | coverage before | coverage after |", "|---|---|---|---|---|"]
    lines += [f"| {name} | {label} | {result} | {b:.3f} | {a:.3f} |" for name, label, result, b, a in rows]
    mean = sum(b + a for *_, b, a in rows) / (2 * len(rows)) if rows else 0
    lines.append(f"\nmean coverage: {mean:.4f} over {2 * len(rows)} pages")
    text = "\n".join(lines)
    print("\n" + text)
    out = REPO / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "ota-coverage.md").write_text(text + "\n", encoding="utf-8")


@pytest.mark.parametrize("md, ours, expected", [
    ("**Last Updated:** May 1", "Last Updated: May 1", 1.0),
    ("1.  See [our policy](https://x.example/p) \\[here\\]", "See our policy [here]", 1.0),
    ("| A | B |\n| --- | --- |\n| Orders | 30 days |", "| A | B |\n| Orders | 30 days |", 1.0),
    ("We keep data.\nWe sell data.", "We keep data.", 0.5),
])
def test_coverage_measure(md, ours, expected):
    assert coverage(md, ours) == expected
