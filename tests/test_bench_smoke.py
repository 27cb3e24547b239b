"""The benchmarks (`make bench`) at the smallest sizes, so their code can't rot: synthetic records valid under
the schema, a synthetic store the site reads, the site and naive builds, the local slow hosts and our
watcher against them, the accuracy pairs, and the table. Not a timed test: no figure is judged.
urlwatch is left out (it lives in .venv-bench/, installed from PyPI by the benchmark itself)."""

from __future__ import annotations

import json

from bench import accuracy as bench_accuracy
from bench import data as bench_data
from bench import run as bench
from scrapers.store import open_store
from scripts.analysis.changes import collect
from scripts.records.load import load_vendors


def test_synthetic_records_are_valid_and_the_store_is_readable(tmp_path):
    vendors = bench_data.write_vendors(tmp_path / "vendors", 2)
    recs, problems = load_vendors(vendors)
    assert problems == [] and [r["id"] for r in recs] == ["vendor-0001", "vendor-0002"]
    assert all(len(r["incidents"]) == bench_data.INCIDENTS_PER_VENDOR for r in recs)
    counts = bench_data.write_store(tmp_path / "store", 2, workers=1)
    assert counts == {"documents": 4, "initial": 4, "changes": 2 * bench_data.CHANGES_PER_VENDOR}
    store = open_store(tmp_path / "store")
    assert len(store.documents()) == 4
    assert all(store.current_text(v, d) for v, d in store.documents())
    assert len(collect(recs, store)) == 2 * bench_data.CHANGES_PER_VENDOR  # what the site lists as changes


def test_smoke_run_prints_one_table(tmp_path):
    out = tmp_path / "out"
    code = bench.main(["--smoke", "--no-urlwatch", "--out", str(out), "--tmp", str(tmp_path)])
    table = (out / "latest.md").read_text(encoding="utf-8")
    assert code == 0, table
    for row in ("| site N=1 |", "| site N=2 |", "| naive N=2 |", "t(site N=2) / t(naive N=2)",
                "| ours, full (--concurrency 2) |", "| ours, conditional (--concurrency 2) |",
                "| ours, sequential (--concurrency 1) |", "**extrapolated**", "full / sequential"):
        assert row in table, row
    if bench_accuracy.CORPUS.is_dir():
        assert "| ours (default extraction) |" in table
    data = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    watch = data["watch"]["runs"]
    assert watch["full"]["stats"]["pages_200"] == 4 and watch["full"]["stats"]["robots"] == 2
    assert watch["conditional"]["stats"]["not_modified"] == 4
    assert not any(r["problems"] for r in watch.values())
    assert not list(tmp_path.glob("erpwatch-bench-*"))  # the temporary folder is removed
