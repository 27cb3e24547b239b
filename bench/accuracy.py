"""Accuracy benchmark: change detection on the 12 real Open Terms Archive pairs (../shared/corpus/ota-pairs).

For each pair (before.html, after.html, label `changed` or `noise`):
- ours: the watcher's own path for a page, no per-page selector: decode (scrapers.decode), extract and check
  (scrapers.page.page_text, which also refuses bot walls, login pages and near-empty text), then compare the
  comparison keys (scrapers.normalise), exactly as scrapers.pipeline decides "changed";
- urlwatch: its `html2text` filter as a urls.yaml job `filter: [html2text]` applies it (default method `re`),
  and with `method: pyhtml2text` (the html2text module) for reference; urlwatch reports a change when the
  filtered texts differ. This part runs in .venv-bench/'s Python (bench/uwfilter.py).
A `changed` pair reported as changed is a true positive, a `noise` pair reported as changed a false positive.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.util import ROOT, say

CORPUS = ROOT.parent / "shared" / "corpus" / "ota-pairs"


@dataclass
class Confusion:
    name: str
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    wrong: list[str] = field(default_factory=list)   # pairs judged wrongly
    failed: list[str] = field(default_factory=list)  # pairs the tool could not read (counted as "no change")

    def add(self, case: str, label_changed: bool, detected: bool) -> None:
        if label_changed and detected:
            self.tp += 1
        elif label_changed:
            self.fn += 1
            self.wrong.append(f"{case} (missed)")
        elif detected:
            self.fp += 1
            self.wrong.append(f"{case} (false alarm)")
        else:
            self.tn += 1

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.tn + self.fn


def cases(corpus: Path = CORPUS) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if (p / "meta.json").is_file()) if corpus.is_dir() else []


def ours(corpus: Path = CORPUS, limit: int | None = None) -> Confusion:
    from scrapers.decode import decode_html
    from scrapers.failures import Failure
    from scrapers.normalise import comparison_key
    from scrapers.page import Page, Target, page_text

    result = Confusion("ours (default extraction)")
    for case in cases(corpus)[:limit]:
        label = json.loads((case / "meta.json").read_text(encoding="utf-8"))["label"] == "changed"
        keys = []
        try:
            for side in ("before.html", "after.html"):
                decoded = decode_html((case / side).read_bytes(), "text/html")
                target = Target("ota", "doc", "https://ota.example.test/doc")
                text, _ = page_text(Page(decoded.text, target.url, 200, decoded.encoding), target)
                keys.append(comparison_key(text))
        except Failure as f:
            result.failed.append(f"{case.name}: {f.kind}: {f.message}")
            result.add(case.name, label, False)
            continue
        result.add(case.name, label, keys[0] != keys[1])
    return result


def urlwatch(py: Path | None, corpus: Path = CORPUS, limit: int | None = None) -> list[Confusion]:
    if py is None or not corpus.is_dir():
        return []
    out = subprocess.run([str(py), str(ROOT / "bench" / "uwfilter.py"), str(corpus)],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        say(f"accuracy: urlwatch's filter failed:\n{out.stderr[-2000:]}")
        return []
    verdicts = json.loads(out.stdout)
    results = []
    for method, per_case in verdicts.items():
        c = Confusion(f"urlwatch html2text ({'default, method re' if method == 're' else 'method ' + method})")
        for case in cases(corpus)[:limit]:
            label = json.loads((case / "meta.json").read_text(encoding="utf-8"))["label"] == "changed"
            c.add(case.name, label, per_case[case.name])
        results.append(c)
    return results


def run(py: Path | None, corpus: Path = CORPUS, limit: int | None = None) -> list[Confusion]:
    """`limit`: only the first pairs (the smoke test)."""
    if not corpus.is_dir():
        say(f"accuracy: no corpus at {corpus}: skipped")
        return []
    say(f"accuracy: {len(cases(corpus)[:limit])} pairs from {corpus}")
    results = [ours(corpus, limit), *urlwatch(py, corpus, limit)]
    for c in results:
        say(f"accuracy: {c.name}: TP {c.tp} FP {c.fp} TN {c.tn} FN {c.fn}"
            + (f"; wrong: {', '.join(c.wrong)}" if c.wrong else ""))
    return results
