"""Crash safety: `kill -9` the watcher at random points in 20 runs.

Two fictional vendors on two local hosts (so two worker threads write at once), three documents each,
answered after a short delay with large pages; two of each vendor's documents get a new revision
before every run, so every run has versions to write. Each of the 20 runs is killed with SIGKILL:
even runs after a delay drawn uniformly from [0, length of a whole run] (start-up, recovery, fetching
and writing alike), odd runs just after they have written something plus a few milliseconds (the
writing phases, as in test_watch_crash), and every fourth run is killed twice in a row (the second
kill may land in the recovery of the first). After each kill:

- the store is consistent for a reader (check_store): every change-log line parses, every listed
  version has its text (with the right hash) and its raw HTML, the versions chain, current_text is the
  last version's text, status.json parses, and the read API never shows a temporary file;
- no version recorded before the run is lost (every change id is still there);
- the next run completes (exit 0, nothing failed), records the latest revisions, and leaves the store
  tidy: current.md up to date, no temporary or unreferenced files.

The random delays come from one seed, printed and part of every failure message; set
ERPWATCH_KILL_SEED to replay a sequence (the kill instants still depend on the machine's speed).
Each run counts towards the "watcher-kill-9" line of the summary (lost = versions lost).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from test_watch_crash import make_doc, watch_cmd
from watch_fixtures.pages import policy_page, sentences
from watch_fixtures.records import policy, write_vendor
from watch_fixtures.server import LocalServer, Reply

from scrapers.fsio import TEMP_MARK
from scrapers.normalise import text_hash
from scrapers.store import HASH, open_store

REPO = Path(__file__).resolve().parent.parent
RUNS = 20
DOCS = 3                 # per vendor
CHANGING = 2             # of which get a new revision before every run
DELAY = 0.06             # seconds before each answer
SEED = int(os.environ.get("ERPWATCH_KILL_SEED") or time.time_ns() % 1_000_000)


class Site:
    """The two hosts, their records and the revision each changing document is at."""

    def __init__(self, root: Path):
        self.revision = 0
        self.lock = threading.Lock()
        self.servers = [LocalServer("127.0.0.1").start(), LocalServer("127.0.0.2").start()]
        self.vendors, self.store = root / "vendors", root / "store"
        for n, (server, vendor) in enumerate(zip(self.servers, ("acme-tools", "bolt-erp"))):
            for i in range(DOCS):
                server.route(f"/doc{i}", handler=lambda r, n=n, i=i: Reply(
                    200, self.page(n, i), headers={"Content-Type": "text/html; charset=utf-8"}, delay=DELAY))
            write_vendor(self.vendors, vendor, [policy(f"doc-{i}", server.url(f"/doc{i}")) for i in range(DOCS)])

    def page(self, n: int, i: int) -> str:
        with self.lock:
            revision = self.revision if i < CHANGING else 0
        paragraphs = sentences(80, f"-{n}{i}")
        paragraphs[7] = f"Revision {revision}: this version of document {n}.{i} took effect on day {revision}."
        return policy_page(paragraphs)

    def marker(self, vendor: str, doc: str) -> str:
        n, i = ("acme-tools", "bolt-erp").index(vendor), int(doc.rsplit("-", 1)[1])
        return f"Revision {self.revision if i < CHANGING else 0}: this version of document {n}.{i} "

    def next_revision(self) -> None:
        with self.lock:
            self.revision += 1

    def stop(self) -> None:
        for s in self.servers:
            s.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, with every document recorded by one complete run; also how long such a run takes."""
    site = Site(tmp_path_factory.mktemp("killsuite"))
    result = subprocess.run(watch_cmd(site.vendors, site.store), cwd=REPO, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["changed"]) == 2 * DOCS
    site.next_revision()  # a run with revisions to compare and write: the length the kills are drawn from
    start = time.monotonic()
    result = subprocess.run(watch_cmd(site.vendors, site.store), cwd=REPO, capture_output=True, text=True,
                            timeout=120, check=False)
    site.run_seconds = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["changed"]) == 2 * CHANGING
    site.log = []
    yield site
    site.stop()
    lines = ["| run | kill | after (s) | versions before | kept | written by the killed run | lost "
             "| repairs by the next run | next run (s) |", "|---|---|---|---|---|---|---|---|---|"] + site.log
    table = "\n".join(lines) + "\n"
    print(f"\nkill -9 runs (seed {SEED}, a whole run takes {site.run_seconds:.2f} s)\n{table}")
    (REPO / "test-artifacts").mkdir(exist_ok=True)
    (REPO / "test-artifacts" / "watch-killsuite.md").write_text(
        f"seed {SEED}; a whole run takes {site.run_seconds:.2f} s\n\n{table}", encoding="utf-8")


def change_ids(store_dir: Path) -> dict[tuple[str, str], list[str]]:
    store = open_store(store_dir)
    return {(v, d): [e["id"] for e in store.changes(v, d)] for v, d in store.documents()}


def written(store_dir: Path) -> int:
    """How many version files the store holds (one more as soon as a run writes a version)."""
    return sum(1 for _ in store_dir.glob("*/*/versions/*"))


def check_store(store_dir: Path, tidy: bool) -> list[str]:
    """Problems a reader would meet (see the module docstring); with `tidy`, also leftovers on disk."""
    problems = []
    store = open_store(store_dir)
    for vendor, doc in store.documents():
        where = f"{vendor}/{doc}"
        folder = store_dir / vendor / doc
        log = folder / "changes.jsonl"
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        parsed = []
        for n, line in enumerate(lines, 1):
            try:
                event = json.loads(line)
            except ValueError:
                problems.append(f"{where}: change-log line {n} does not parse (the log is written atomically)")
                continue
            if not (isinstance(event, dict) and HASH.match(str(event.get("new_hash")))):
                problems.append(f"{where}: change-log line {n} is not an event")
                continue
            parsed.append(event)
        events = store.changes(vendor, doc)
        # The store's rule lets readers skip lines without their text; the commit order (text before
        # the log line) means there should never be any to skip.
        if [e["id"] for e in events] != [e["id"] for e in parsed]:
            problems.append(f"{where}: change-log lines without their text")
        previous = None
        for e in events:
            text = store.version_text(vendor, doc, e["new_hash"])
            if text is None or text_hash(text) != e["new_hash"]:
                problems.append(f"{where}: {e['id']}: text missing or not matching its hash")
            if store.raw_html(e) is None:
                problems.append(f"{where}: {e['id']}: raw HTML {e['raw']} missing")
            if e["old_hash"] != previous:
                problems.append(f"{where}: {e['id']}: old_hash does not chain to the previous version")
            if TEMP_MARK in e["raw"]:
                problems.append(f"{where}: {e['id']}: refers to a temporary file")
            previous = e["new_hash"]
        if events and store.current_text(vendor, doc) != store.version_text(vendor, doc, events[-1]["new_hash"]):
            problems.append(f"{where}: current_text is not the last version's text")
        status = folder / "status.json"
        if status.exists():
            try:
                json.loads(status.read_text(encoding="utf-8"))
            except ValueError:
                problems.append(f"{where}: status.json does not parse")
        if tidy:
            current = folder / "current.md"
            if not current.exists() or current.read_text(encoding="utf-8") != store.current_text(vendor, doc):
                problems.append(f"{where}: current.md is missing or stale")
            for sub, referenced in (("versions", {f"{e['new_hash']}.md" for e in events}),
                                    ("raw", {Path(e["raw"]).name for e in events})):
                present = {p.name for p in (folder / sub).iterdir()} if (folder / sub).is_dir() else set()
                if present != referenced:
                    problems.append(f"{where}: {sub}/ holds {sorted(present ^ referenced)} unreferenced or missing")
    if any(TEMP_MARK in vendor + doc for vendor, doc in store.documents()):
        problems.append("the read API lists a temporary name as a document")
    if tidy:
        problems += [f"temporary file left: {p}" for p in store_dir.rglob(f"*{TEMP_MARK}*")]
    return problems


def kill_run(site: Site, rng: random.Random, odd: bool) -> tuple[str, float]:
    """Start a run and SIGKILL it; returns (how the kill was chosen, seconds after the start)."""
    before = written(site.store)
    proc = subprocess.Popen(watch_cmd(site.vendors, site.store), cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    start = time.monotonic()
    if odd:
        how = "after a write"
        while written(site.store) <= before and proc.poll() is None and time.monotonic() - start < 30:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.03))
    else:
        how = "uniform"
        time.sleep(rng.uniform(0, site.run_seconds))
    after = time.monotonic() - start
    if proc.poll() is not None:
        how += " (the run had finished)"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return how, after


@pytest.mark.parametrize("run", range(RUNS))
def test_kill_9(site, run, suite):
    rng = random.Random(f"{SEED}-{run}")
    context = f"run {run}, ERPWATCH_KILL_SEED={SEED}"
    site.next_revision()
    before = change_ids(site.store)
    kills = [kill_run(site, rng, odd=run % 2 == 1)]
    if run % 4 == 3:  # a second kill straight away: it may land in the recovery of the first
        kills.append(kill_run(site, rng, odd=False))
    after_kill = change_ids(site.store)
    problems = check_store(site.store, tidy=False)

    start = time.monotonic()
    result = subprocess.run(watch_cmd(site.vendors, site.store), cwd=REPO, capture_output=True, text=True,
                            timeout=120, check=False)
    recovery = time.monotonic() - start
    recovered = change_ids(site.store)
    problems += [f"after the next run: {p}" for p in check_store(site.store, tidy=True)]

    versions_before = sum(map(len, before.values()))
    lost = sum(len(set(ids) - set(after_kill.get(doc, []))) for doc, ids in before.items())
    lost_later = sum(len(set(ids) - set(recovered.get(doc, []))) for doc, ids in after_kill.items())
    completed = result.returncode == 0 and not json.loads(result.stdout or '{"failed": [1]}')["failed"]
    store = open_store(site.store)
    stale = [f"{v}/{d}" for v, d in store.documents()
             if site.marker(v, d) not in (store.current_text(v, d) or "")]
    new = sum(len(set(ids) - set(before.get(doc, []))) for doc, ids in after_kill.items())
    site.log.append(f"| {run} | {' + '.join(h for h, _ in kills)} | {' + '.join(f'{a:.2f}' for _, a in kills)} "
                    f"| {versions_before} | {versions_before - lost} | {new} | {lost + lost_later} "
                    f"| {result.stderr.count('recovered: ')} | {recovery:.2f} |")
    ok = not problems and completed and not stale
    suite("watcher-kill-9", tried=1, rejected=int(ok), escaped=int(not ok), lost=lost + lost_later)

    assert lost == 0 and lost_later == 0, f"{context}: versions lost: before {before}, after the kill " \
                                          f"{after_kill}, after the next run {recovered}"
    assert not problems, f"{context}: {problems}"
    assert completed, f"{context}: the next run: exit {result.returncode}\n{result.stdout}\n{result.stderr[-3000:]}"
    assert not stale, f"{context}: the next run did not record the latest revision of {stale}"


def test_the_store_check_sees_damage(tmp_path):
    """check_store is not vacuous: each kind of damage a crash could do is reported."""
    _, folder, events = make_doc(tmp_path, "Policy text", n=2)
    assert check_store(tmp_path, tidy=True) == []
    (folder / "current.md").write_text("stale copy")
    (folder / ".changes.jsonl.tmp-1-abcd").write_text("partial")
    (folder / "versions" / f"{text_hash('orphan')}.md").write_text("orphan")
    with open(folder / "changes.jsonl", "a", encoding="utf-8") as f:
        f.write('{"id": "torn", "new_ha\n')
    problems = " / ".join(check_store(tmp_path, tidy=True))
    for words in ("does not parse", "current.md is missing or stale", "unreferenced or missing",
                  "temporary file left"):
        assert words in problems, problems
    (folder / "versions" / f"{events[0]['new_hash']}.md").unlink()
    problems = " / ".join(check_store(tmp_path, tidy=False))
    assert "without their text" in problems and "does not chain" in problems, problems
