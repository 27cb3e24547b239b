"""Watcher benchmark: our watcher's CLI and urlwatch 2.x against the same slow local hosts.

The hosts are bench.server (its own process). Our watcher runs as a real run would:
`python -m scrapers.watch --vendors DIR --store DIR --allow-private --json --concurrency N` with every other
setting at its default (per-host delay, timeouts, retries, robots.txt), on fictional vendor records (valid
under the schema, one vendor per host) whose `policies:` point at the local hosts. urlwatch runs with its
own defaults on a urls.yaml of the same URLs, each job with `filter: [html2text]`.

Runs, all within one benchmark run:
- full: empty store, the server ignores conditional requests;
- repeat: the same store again, the server still ignores them (the text is unchanged: measures the cost of
  fetching and extracting without 304s);
- conditional: the same store again, the server answers If-None-Match/If-Modified-Since with 304;
- default concurrency: the CLI's own --concurrency default, all hosts, fresh store;
- sequential (--concurrency 1): on the first hosts only, fresh store; the time for all hosts is the measured
  time x (all hosts / hosts run), and the table says so;
- urlwatch full (fresh cache) and urlwatch conditional (the same cache, 304s).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import data as bd
from bench.server import WATCH_DOCS, host_address
from bench.util import ROOT, Measured, python_cmd, run_measured, say

URLWATCH_PIN = "urlwatch==2.29"
HTML2TEXT_PIN = "html2text==2025.4.15"  # urlwatch's optional converter (html2text filter, method pyhtml2text)
BENCH_VENV = ROOT / ".venv-bench"


@dataclass
class WatchRun:
    label: str
    documents: int            # documents in the run that was measured
    hosts: int
    measured: Measured
    stats: dict               # the server's counters for this run
    factor: float = 1.0       # > 1: the figure for all hosts is extrapolated (wall x factor)
    summary: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)  # earlier attempts that crashed (the figure is the retry's)

    @property
    def seconds(self) -> float:
        return self.measured.wall * self.factor

    @property
    def extrapolated(self) -> bool:
        return self.factor != 1.0


# --- the server ------------------------------------------------------------------------------------

class Server:
    def __init__(self, tmp: Path, hosts: int, docs: int, latency: float, lifetime: float):
        self.ready = tmp / "server.json"
        self.log = open(tmp / "server.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", "--hosts", str(hosts), "--docs", str(docs),
             "--latency", str(latency), "--ready", str(self.ready), "--lifetime", str(lifetime)],
            cwd=ROOT, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not self.ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"the benchmark server did not start: see {tmp / 'server.log'}")
            time.sleep(0.1)
        self.ports: dict[str, int] = json.loads(self.ready.read_text())["hosts"]
        self.control = f"http://{host_address(1)}:{self.ports[host_address(1)]}/__bench/"

    def url(self, i: int, doc: str) -> str:
        return f"http://{host_address(i)}:{self.ports[host_address(i)]}/{doc}"

    def _get(self, cmd: str) -> dict:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy for loopback
        with opener.open(self.control + cmd, timeout=10) as r:
            return json.loads(r.read())

    def mode(self, conditional: bool) -> None:
        self._get("mode/" + ("conditional" if conditional else "plain"))

    def reset(self) -> None:
        self._get("reset")

    def stats(self) -> dict:
        return self._get("stats")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- our watcher -----------------------------------------------------------------------------------

def write_watch_records(folder: Path, server: Server, hosts: range, docs: int) -> Path:
    return bd.write_records(folder, [bd.vendor_record(i, [(d, server.url(i, d)) for d in WATCH_DOCS[:docs]])
                                     for i in hosts])


def run_ours(label: str, server: Server, vendors: Path, store: Path, concurrency: int, logs: Path,
             expect: str, factor: float = 1.0, extra: list[str] | None = None) -> WatchRun:
    peak = logs / (_slug(label) + ".peak")
    cmd = python_cmd(sys.executable, peak, "-m", "scrapers.watch", "--vendors", str(vendors), "--store", str(store),
                     "--allow-private", "--json", "--concurrency", str(concurrency), *(extra or []))
    env = {k: v for k, v in os.environ.items() if k not in ("ERPWATCH_VENDORS_DIR", "ERPWATCH_SNAPSHOTS_DIR")}
    crashes = []
    patched = False
    for attempt in (1, 2, 3):  # a crashed run (no summary) is run again; the third time with the known race
        server.reset()         # worked around (bench/watch_patched.py), and the table says so
        if attempt > 1 and expect == "changed":  # a first run starts from an empty store
            shutil.rmtree(store, ignore_errors=True)
        if attempt == 3:
            cmd = [("bench.watch_patched" if c == "scrapers.watch" else c) for c in cmd]
            patched = True
        say(f"watch: {label} ..." + (f" (attempt {attempt}{', race patched' if patched else ''})" if attempt > 1 else ""))
        m = run_measured(cmd, env=env, cwd=ROOT, timeout=7200, log=logs / (_slug(label) + f"-{attempt}"),
                         peak_file=peak)
        stats = server.stats()
        try:
            summary = json.loads(m.stdout.strip().splitlines()[-1])
            break
        except (ValueError, IndexError):
            summary = {}
            last = m.stderr.strip().splitlines()[-1:] or [f"exit {m.returncode}"]
            crashes.append(f"attempt {attempt} crashed after {m.wall:.1f} s (exit {m.returncode}): {last[0]}")
            say(f"watch: {label}: CRASHED: {m.tail(8)}")
    if patched and summary:
        crashes.append("the figure is from attempt 3, run with HttpClient.crawl_delay's race worked around in "
                       "memory (bench/watch_patched.py)")
    problems = [] if summary else list(crashes)
    docs = summary.get("checked", 0)
    if summary.get("failed"):
        problems.append(f"{len(summary['failed'])} document(s) failed, e.g. {summary['failed'][0]}")
    if summary and expect == "changed" and len(summary.get("changed", [])) != docs:
        problems.append(f"expected every document to be recorded, {len(summary.get('changed', []))} of {docs} were")
    if summary and expect == "unchanged" and len(summary.get("unchanged", [])) != docs:
        problems.append(f"expected every document unchanged, {len(summary.get('unchanged', []))} of {docs} were")
    hosts = len({d["vendor"] for k in ("changed", "unchanged", "failed") for d in summary.get(k, [])})
    run = WatchRun(label, docs, hosts, m, stats, factor, summary, problems, crashes if summary else [])
    _report(run)
    return run


# --- urlwatch ----------------------------------------------------------------------------------------

def urlwatch_python(install: bool = True) -> Path | None:
    """The Python of .venv-bench/ with urlwatch (created and filled from PyPI on first use), or None."""
    py = BENCH_VENV / "bin" / "python"
    check = [str(py), "-c", "import urlwatch, html2text; print(urlwatch.__version__)"]
    want = URLWATCH_PIN.split("==")[1]
    if py.exists():
        out = subprocess.run(check, capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip() == want:
            return py
    if not install:
        return None
    say(f"urlwatch: creating {BENCH_VENV.name}/ with {URLWATCH_PIN} and {HTML2TEXT_PIN} from PyPI ...")
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        (BENCH_VENV / ".gitignore").write_text("*\n", encoding="utf-8")  # keep it out of git status
    pip = subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          URLWATCH_PIN, HTML2TEXT_PIN], capture_output=True, text=True)
    if pip.returncode != 0:
        say(f"urlwatch: installation failed; urlwatch rows are skipped:\n{pip.stderr[-2000:]}")
        return None
    out = subprocess.run(check, capture_output=True, text=True)
    return py if out.returncode == 0 and out.stdout.strip() == want else None


def write_urlwatch_files(folder: Path, urls: list[str]) -> tuple[Path, Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    jobs = "---\n".join(f"name: {u}\nurl: {u}\nfilter:\n  - html2text\n" for u in urls)
    (folder / "urls.yaml").write_text(jobs, encoding="utf-8")
    return folder / "urls.yaml", folder / "urlwatch.yaml", folder / "cache.db"


def run_urlwatch(label: str, py: Path, server: Server, files: tuple[Path, Path, Path], logs: Path,
                 documents: int, hosts: int) -> WatchRun:
    urls, config, cache = files
    args = ["--urls", str(urls), "--config", str(config), "--cache", str(cache)]
    uw = [str(py.parent / "urlwatch"), *args]
    peak = logs / (_slug(label) + ".peak")
    env = {**{k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
           "HOME": str(config.parent), "XDG_CONFIG_HOME": str(config.parent), "XDG_CACHE_HOME": str(config.parent)}
    if not config.exists():  # urlwatch writes its default configuration on first use: not part of the run
        subprocess.run([*uw, "--list"], env=env, capture_output=True, check=True)
    server.reset()
    say(f"watch: {label} ...")
    m = run_measured(python_cmd(py, peak, str(py.parent / "urlwatch"), *args), env=env, cwd=config.parent,
                     timeout=7200, log=logs / _slug(label), peak_file=peak)
    stats = server.stats()
    problems = []
    entries = _cache_entries(cache)
    if entries < documents:
        problems.append(f"urlwatch's cache holds {entries} entries for {documents} URLs")
    served = stats.get("pages_200", 0) + stats.get("not_modified", 0)
    if served < documents:
        problems.append(f"the server answered {served} page requests for {documents} URLs")
    if m.returncode != 0:
        problems.append(f"urlwatch exited {m.returncode}: {m.tail(5)}")
    run = WatchRun(label, documents, hosts, m, stats, 1.0, {"cache_entries": entries}, problems)
    _report(run)
    return run


def _cache_entries(cache: Path) -> int:
    try:
        with sqlite3.connect(cache) as db:
            return db.execute("SELECT COUNT(DISTINCT guid) FROM CacheEntry WHERE data IS NOT NULL AND data != ''"
                              ).fetchone()[0]
    except sqlite3.Error:
        return 0


# --- the whole benchmark ---------------------------------------------------------------------------------

@dataclass
class WatchPlan:
    hosts: int = 200
    docs: int = 5
    latency: float = 0.3
    wide: int = 0                # --concurrency of the full runs; 0: one worker per host
    default_hosts: int | None = None  # hosts of the default-concurrency run (None: all; fewer: extrapolated; 0: skip)
    sequential_hosts: int = 10   # hosts of the sequential run (extrapolated); 0: skip
    urlwatch: bool = True
    repeat: bool = True          # the "repeat without 304" run
    extra: list[str] = field(default_factory=list)  # extra watcher flags (the smoke test shortens delays)


@dataclass
class WatchResults:
    plan: WatchPlan
    runs: dict[str, WatchRun] = field(default_factory=dict)
    default_concurrency: int = 4
    host_delay: float = 1.0
    urlwatch_version: str | None = None
    notes: list[str] = field(default_factory=list)


def run(tmp: Path, plan: WatchPlan, logs: Path) -> WatchResults:
    from scrapers.http import FetchConfig
    from scrapers.watch import parser

    delay = FetchConfig.host_delay
    if "--host-delay" in plan.extra:
        delay = float(plan.extra[plan.extra.index("--host-delay") + 1])
    res = WatchResults(plan, default_concurrency=parser().get_default("concurrency"), host_delay=delay)
    wide = plan.wide or plan.hosts
    lifetime = 3 * 3600
    say(f"watch: starting {plan.hosts} hosts x {plan.docs} documents, {plan.latency * 1000:.0f} ms per response")
    server = Server(tmp, plan.hosts, plan.docs, plan.latency, lifetime)
    try:
        vendors = write_watch_records(tmp / "vendors", server, range(1, plan.hosts + 1), plan.docs)
        store = tmp / "store"
        r = res.runs
        r["full"] = run_ours(f"ours, full (--concurrency {wide})", server, vendors, store, wide, logs,
                             "changed", extra=plan.extra)
        if plan.repeat:
            r["repeat"] = run_ours(f"ours, repeat without 304 (--concurrency {wide})", server, vendors, store,
                                   wide, logs, "unchanged", extra=plan.extra)
        server.mode(conditional=True)
        r["conditional"] = run_ours(f"ours, conditional (--concurrency {wide})", server, vendors, store, wide,
                                    logs, "unchanged", extra=plan.extra)
        server.mode(conditional=False)
        default_hosts = plan.hosts if plan.default_hosts is None else plan.default_hosts
        for key, k, conc in (("default", default_hosts, res.default_concurrency),
                             ("sequential", plan.sequential_hosts, 1)):
            if not k:
                continue
            k = min(k, plan.hosts)
            sub = write_watch_records(tmp / f"vendors-{key}", server, range(1, k + 1), plan.docs)
            name = "sequential (--concurrency 1)" if conc == 1 else f"default (--concurrency {conc})"
            r[key] = run_ours(f"ours, {name}", server, sub, tmp / f"store-{key}", conc, logs, "changed",
                              factor=plan.hosts / k, extra=plan.extra)
        if plan.urlwatch:
            py = urlwatch_python()
            if py is None:
                res.notes.append("urlwatch could not be installed: its rows are missing")
            else:
                res.urlwatch_version = subprocess.run([str(py), "-c", "import urlwatch; print(urlwatch.__version__)"],
                                                      capture_output=True, text=True).stdout.strip()
                urls = [server.url(i, d) for i in range(1, plan.hosts + 1) for d in WATCH_DOCS[:plan.docs]]
                files = write_urlwatch_files(tmp / "urlwatch", urls)
                n = len(urls)
                r["urlwatch"] = run_urlwatch(f"urlwatch {res.urlwatch_version}, full", py, server, files, logs,
                                             n, plan.hosts)
                server.mode(conditional=True)
                r["urlwatch_conditional"] = run_urlwatch(f"urlwatch {res.urlwatch_version}, conditional", py,
                                                         server, files, logs, n, plan.hosts)
                server.mode(conditional=False)
    finally:
        server.close()
        shutil.rmtree(tmp / "urlwatch", ignore_errors=True)
    return res


def _report(run: WatchRun) -> None:
    s = run.stats
    extra = f" (x{run.factor:g} = {run.seconds:.1f} s for all hosts)" if run.extrapolated else ""
    say(f"watch: {run.label}: {run.measured.wall:.1f} s{extra}, peak {run.measured.peak_mb:.0f} MiB; server: "
        f"{s.get('pages_200', 0)} pages, {s.get('not_modified', 0)} x 304, {s.get('robots', 0)} robots.txt, "
        f"at most {s.get('max_active', 0)} at once")
    for p in run.problems:
        say(f"watch: PROBLEM: {p}")


def _slug(text: str) -> str:
    import re
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
