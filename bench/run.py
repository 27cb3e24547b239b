"""`make bench` / `python -m bench`: the benchmarks of issue 8, as one table.

    python -m bench                  # everything (about 25 minutes on 2 cores)
    python -m bench --quick          # smaller sizes (a few minutes); targets shown for reference
    python -m bench --only build     # or watch, or accuracy (repeatable)

Benchmarks report; they are not tests and never fail on a missed target (exit 0 unless a run broke).
Every figure is measured within the one run; ratios compare runs of the same run. Progress goes to stderr,
the table to stdout and to bench-results/latest.md (with the raw figures in latest.json).

- build: the full site build (records, generator, feeds, API, mkdocs) of N synthetic vendors for two sizes,
  and a naive mkdocs-material site of N pages all listed in the navigation (bench/build.py); the
  larger size's site and naive builds run three times, alternating, and each keeps its median run;
- watch: our watcher and urlwatch against 1,000 documents on 200 local hosts answering in 300 ms
  (bench/watch.py, bench/server.py);
- accuracy: change detection on the Open Terms Archive pairs (bench/accuracy.py).
Synthetic data (bench/data.py) goes to a temporary folder, never to vendors/ or snapshots/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import accuracy as bench_accuracy
from bench import build as bench_build
from bench import data as bench_data
from bench import watch as bench_watch
from bench.util import ROOT, load, machine, say

PARTS = ("build", "watch", "accuracy")


@dataclass
class Plan:
    name: str
    build_sizes: tuple[int, int] = (100, 1000)
    naive_sizes: tuple[int, ...] = (100, 1000)
    watch: bench_watch.WatchPlan = field(default_factory=bench_watch.WatchPlan)
    install_urlwatch: bool = True
    accuracy_pairs: int | None = None  # None: every pair
    # Builds of the larger size (site and naive, alternating): the table shows each one's median run. On a
    # shared machine a single build's time varies by ±15% from one minute to the next.
    build_repeats: int = 3


PLANS = {
    "full": Plan("full"),
    "quick": Plan("quick", (10, 100), (100,), bench_watch.WatchPlan(hosts=40, sequential_hosts=2), build_repeats=1),
    # for tests/test_bench_smoke.py: every code path at the smallest size, in seconds
    "smoke": Plan("smoke", (1, 2), (2,), bench_watch.WatchPlan(
        hosts=2, docs=2, latency=0.02, default_hosts=0, sequential_hosts=1, repeat=False,
        extra=["--host-delay", "0.02"]), install_urlwatch=False, accuracy_pairs=2, build_repeats=2),
}


# --- running -------------------------------------------------------------------------------------------

def run_build(plan: Plan, tmp: Path, logs: Path) -> dict:
    small, big = plan.build_sizes
    say(f"build: generating {big} synthetic vendors ({bench_data.INCIDENTS_PER_VENDOR} incidents, "
        f"{bench_data.CHANGES_PER_VENDOR} policy changes each) in {tmp}")
    vendors = bench_data.write_vendors(tmp / f"vendors-{big}", big)
    from scripts.records.load import load_vendors
    recs, problems = load_vendors(vendors)
    if problems or len(recs) != big:
        raise RuntimeError(f"synthetic records are invalid: {problems[:5]}")
    counts = bench_data.write_store(tmp / f"store-{big}", big)
    say(f"build: store written: {counts}")
    vendors_small, store_small = _subset(tmp, vendors, tmp / f"store-{big}", small)
    out = {"sizes": [small, big], "records_valid": True, "store": counts, "runs": {}}
    out["runs"]["site_small"] = bench_build.site_build(tmp / f"site-{small}", vendors_small, store_small, small, logs)
    for n in plan.naive_sizes:
        if n != big:
            out["runs"][f"naive_{n}"] = bench_build.naive_build(tmp / f"naive-{n}", n, logs)
    # The larger size several times, site and naive alternating, so that both meet the machine's slow and fast
    # minutes alike; each keeps its median run (by wall time), and every run's time is listed.
    sites, naives = [], []
    for k in range(1, plan.build_repeats + 1):
        sites.append(bench_build.site_build(tmp / f"site-{big}-{k}", vendors, tmp / f"store-{big}", big, logs))
        if big in plan.naive_sizes:
            naives.append(bench_build.naive_build(tmp / f"naive-{big}-{k}", big, logs))
    out["runs"]["site_big"] = _median(sites)
    out["repeats"] = {"site_big": [x.measured.wall for x in sites]}
    if naives:
        out["runs"][f"naive_{big}"] = _median(naives)
        out["repeats"][f"naive_{big}"] = [x.measured.wall for x in naives]
    broken = [x for x in sites + naives if not x.ok]
    if broken:
        out["runs"]["failed"] = broken[0]
    for name in ("site-", "naive-"):  # the built sites are large: drop them as soon as they are measured
        for d in tmp.glob(name + "*"):
            shutil.rmtree(d / "site", ignore_errors=True)
    return out


def _median(runs: list):
    """The run with the median wall time (the lower middle one of an even number)."""
    return sorted(runs, key=lambda x: x.measured.wall)[(len(runs) - 1) // 2]


def _subset(tmp: Path, vendors: Path, store: Path, n: int) -> tuple[Path, Path]:
    """Records and store of the first n vendors, as symlinks into the full set (same data, no copy)."""
    v, s = tmp / f"vendors-{n}", tmp / f"store-{n}"
    v.mkdir()
    s.mkdir()
    for i in range(1, n + 1):
        vid = bench_data.vendor_id(i)
        (v / f"{vid}.yaml").symlink_to(vendors / f"{vid}.yaml")
        (s / vid).symlink_to(store / vid, target_is_directory=True)
    return v, s


# --- the table -----------------------------------------------------------------------------------------

def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "**NOT met**")


def _mb(x: float) -> str:
    return "n/a" if x != x else f"{x:,.0f}"


def _s(x: float) -> str:
    return f"{x:,.1f}" if x < 100 else f"{x:,.0f}"


def render(results: dict, plan: Plan, info: dict) -> str:
    lines = [f"## Benchmark results ({plan.name} run)", "",
             f"Machine: {info['cpus']} CPU(s), {info['cpu']}, {info['ram']} RAM; Python {info['python']}; "
             f"{info['os']}; commit {info.get('commit', '?')}; {info['date']}. 1-minute load average at start / end: {info['load']} / "
             f"{info.get('load_end', '?')} (other work on the machine inflates wall times; CPU seconds are the "
             "measured program's and its waited-for worker processes'). Peak MiB: the program's main process "
             "(VmHWM); all processes MiB: the largest total PSS of the program and its worker processes, "
             "sampled every 0.2 s.", ""]
    b = results.get("build")
    if b:
        small, big = b["sizes"]
        r = b["runs"]
        lines += [f"### Site build (N synthetic vendors; each: {bench_data.INCIDENTS_PER_VENDOR} incidents, "
                  f"{bench_data.CHANGES_PER_VENDOR} policy changes over {len(bench_data.SITE_DOCS)} documents, "
                  "claims, toggles)", "",
                  "| build | HTML pages | site MiB | search index MiB | wall s | CPU s | peak MiB | all processes MiB "
                  "| records + site-wide pages s | mkdocs + fast path s |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for key in ["site_small", "site_big", *[k for k in r if k.startswith("naive_")], *(["failed"] if "failed" in r else [])]:
            x = r[key]
            gen = x.phases.get("records + site-wide pages", 0.0)
            note = "" if x.ok else " (FAILED)"
            lines.append(f"| {x.label}{note} | {x.pages:,} | {x.site_mb:,.0f} | {x.search_mb:,.1f} | "
                         f"{_s(x.measured.wall)} | {_s(x.measured.cpu)} | "
                         f"{x.measured.peak_mb:,.0f} | {_mb(x.measured.tree_mb)} | {_s(gen)} | "
                         f"{_s(x.measured.wall - gen)} |")
        sb, ss = r["site_big"], r["site_small"]
        naive = r.get(f"naive_{big}")
        scale = big / small
        ratio_naive = sb.measured.wall / naive.measured.wall if naive else None
        ratio_scale = sb.measured.wall / ss.measured.wall
        full = plan.name == "full"
        lines += ["", "| figure | value | target | |", "|---|---:|---:|---|"]
        if ratio_naive is not None:
            lines.append(f"| t(site N={big:,}) / t(naive N={big:,}) | {ratio_naive:.2f} | ≤ 0.33 | "
                         f"{_verdict(ratio_naive <= 1 / 3 if full else None)} |")
        lines.append(f"| t(site N={big:,}) / t(site N={small:,}) | {ratio_scale:.2f} | ≤ {1.2 * scale:g} | "
                     f"{_verdict(ratio_scale <= 1.2 * scale if full else None)} |")
        lines.append(f"| peak memory, site N={big:,}: main process / all processes (PSS) | "
                     f"{sb.measured.peak_mb:,.0f} / {_mb(sb.measured.tree_mb)} MiB | | |")
        phases = " · ".join(f"{k} {_s(v)} s" for k, v in sb.phases.items())
        repeats = b.get("repeats", {})
        if any(len(v) > 1 for v in repeats.values()):
            each = "; ".join(f"{r[key].label}: " + ", ".join(_s(t) for t in times) + " s"
                             for key, times in repeats.items() if key in r)
            lines += ["", f"The N={big:,} builds ran {len(repeats['site_big'])} times each, site and naive "
                      f"alternating; the table shows each one's median run. Every run's wall time, in order: "
                      f"{each}."]
        lines += ["", f"Phases of the site N={big:,} build (its median run): {phases}."]
        if not full:
            lines.append("Targets are for the full run (N = 100 and 1,000): not judged here.")
        lines.append("")
    w = results.get("watch")
    if w:
        runs, p = w.runs, w.plan
        total_docs = p.hosts * p.docs
        lines += [f"### Watcher ({total_docs:,} documents on {p.hosts} hosts 127.0.0.1–{p.hosts}, "
                  f"{p.latency * 1000:.0f} ms per response)", "",
                  f"Our watcher: `python -m scrapers.watch --allow-private --json --concurrency N`, every other "
                  f"setting at its default (per-host delay {w.host_delay:g} s, one request at a time per host, "
                  f"robots.txt fetched once per host: {p.hosts} extra requests, each also {p.latency * 1000:.0f} ms; "
                  f"the CLI's default concurrency is {w.default_concurrency}). urlwatch: its defaults "
                  "(10 worker threads, no robots.txt, no per-host limit), `filter: [html2text]`.", "",
                  "| run | wall s | CPU s | peak MiB | all processes MiB | pages 200 / 304 / robots.txt | note |",
                  "|---|---:|---:|---:|---:|---|---|"]
        for key in ("full", "repeat", "conditional", "default", "sequential", "urlwatch", "urlwatch_conditional"):
            x = runs.get(key)
            if not x:
                continue
            s = x.stats
            note = []
            if x.extrapolated:
                note.append(f"**extrapolated**: {_s(x.measured.wall)} s measured on {x.hosts} hosts "
                            f"({x.documents} documents) x {x.factor:g}")
            if x.crashes:
                note.append("retried: " + "; ".join(x.crashes))
            if x.problems:
                note.append("PROBLEM: " + "; ".join(x.problems))
            cpu = f"{_s(x.measured.cpu)}" + (" (measured part)" if x.extrapolated else "")
            note_text = " ".join(note).replace("\n", " ").replace("|", "\\|")
            lines.append(f"| {x.label} | {_s(x.seconds)} | {cpu} | {x.measured.peak_mb:,.0f} | "
                         f"{_mb(x.measured.tree_mb)} | "
                         f"{s.get('pages_200', 0)} / {s.get('not_modified', 0)} / {s.get('robots', 0)} | "
                         f"{note_text} |")
        lines += ["", "| figure | value | target | |", "|---|---:|---:|---|"]
        full, seq, uw, cond = (runs.get(k) for k in ("full", "sequential", "urlwatch", "conditional"))
        dflt = runs.get("default")
        judged = plan.name == "full"

        def ratio(a, b, target, label, strict=False):
            if a and b:
                v = a.seconds / b.seconds
                ok = (v < target if strict else v <= target) if judged else None
                lines.append(f"| {label} | {v:.3f} | {'<' if strict else '≤'} {target:.3g} | {_verdict(ok)} |")
        ratio(full, seq, 0.1, "full / sequential")
        ratio(full, uw, 1 / 3, "full / urlwatch")
        ratio(cond, full, 1.0, "conditional / full", strict=True)
        if dflt:
            ratio(dflt, seq, 0.1, f"default (--concurrency {w.default_concurrency}) / sequential")
            ratio(dflt, uw, 1 / 3, f"default (--concurrency {w.default_concurrency}) / urlwatch")
        if full:
            startup = full.stats["first"] - full.measured.start if full.stats.get("first") else 0
            span = full.stats["last"] - full.stats["first"] if full.stats.get("first") else 0
            lines += ["", f"Full run: {_s(startup)} s from start to the first request (imports, validating "
                      f"{p.hosts} records, opening the store), {_s(span)} s from the first request to the last "
                      f"(the politeness floor, with the per-host delay counted from each request's start and "
                      f"robots.txt first, is {p.docs} x max({w.host_delay:g}, {p.latency:g}) + {p.latency:g} = "
                      f"{p.docs * max(w.host_delay, p.latency) + p.latency:.1f} s per host)."]
        if not judged:
            lines.append("Targets are for the full run: not judged here.")
        for n in w.notes:
            lines.append(f"Note: {n}")
        lines.append("")
    a = results.get("accuracy")
    if a:
        pairs = a[0].total
        lines += [f"### Change detection on {pairs} Open Terms Archive pairs (../shared/corpus/ota-pairs)", "",
                  "| detector | TP | FP | TN | FN | wrong |", "|---|---:|---:|---:|---:|---|"]
        for c in a:
            wrong = ", ".join(c.wrong) or "none"
            if c.failed:
                wrong += "; unreadable: " + ", ".join(c.failed)
            lines.append(f"| {c.name} | {c.tp} | {c.fp} | {c.tn} | {c.fn} | {wrong} |")
        lines.append("")
    return "\n".join(lines)


def _jsonable(results: dict) -> dict:
    def conv(x):
        if hasattr(x, "__dataclass_fields__"):
            return {k: conv(v) for k, v in asdict(x).items()}
        if isinstance(x, dict):
            return {k: conv(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [conv(v) for v in x]
        return x
    out = conv(results)
    for part in out.values():  # drop the children's full output
        for run in (part.get("runs", {}) if isinstance(part, dict) else {}).values():
            if isinstance(run, dict) and "measured" in run:
                run["measured"].pop("stdout", None)
                run["measured"].pop("stderr", None)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller sizes, a few minutes; targets not judged")
    p.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--only", action="append", choices=PARTS, help="run only this part (repeatable)")
    p.add_argument("--no-urlwatch", action="store_true", help="skip urlwatch (no .venv-bench/ install)")
    p.add_argument("--out", type=Path, default=ROOT / "bench-results", help="where latest.md/json go")
    p.add_argument("--tmp", type=Path, default=None, help="parent of the temporary folder (default: system)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, data)")
    args = p.parse_args(argv)
    plan = PLANS["smoke" if args.smoke else "quick" if args.quick else "full"]
    parts = args.only or list(PARTS)
    info = machine()
    tmp = Path(tempfile.mkdtemp(prefix="erpwatch-bench-", dir=args.tmp))
    logs = tmp / "logs"
    logs.mkdir()
    say(f"{plan.name} run of {', '.join(parts)}; temporary folder {tmp}; load average {info['load']}")
    results: dict = {}
    broken = False
    try:
        uw_py = None
        want_uw = not args.no_urlwatch and ("watch" in parts or "accuracy" in parts)
        if want_uw:
            uw_py = bench_watch.urlwatch_python(install=plan.install_urlwatch)
        plan.watch.urlwatch = uw_py is not None
        if "accuracy" in parts:
            results["accuracy"] = bench_accuracy.run(uw_py, limit=plan.accuracy_pairs)
        if "watch" in parts:
            (tmp / "watch").mkdir()
            results["watch"] = bench_watch.run(tmp / "watch", plan.watch, logs)
            broken |= any(r.problems for r in results["watch"].runs.values())
        if "build" in parts:
            results["build"] = run_build(plan, tmp / "build", logs)
            broken |= not all(r.ok for r in results["build"]["runs"].values())
    finally:
        if args.keep:
            say(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    info["load_end"] = load()
    table = render(results, plan, info)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.md").write_text(table + "\n", encoding="utf-8")
    (args.out / "latest.json").write_text(json.dumps({"plan": plan.name, "machine": info, **_jsonable(results)},
                                                     indent=1, default=str) + "\n", encoding="utf-8")
    say(f"table written to {args.out / 'latest.md'}")
    return 1 if broken else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
