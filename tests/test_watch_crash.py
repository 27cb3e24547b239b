"""Crash safety and concurrent runs: kill -9 in the middle of real runs (subprocesses), hand-made
leftovers of a crash, and two runs started at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from watch_fixtures.pages import policy_page, sentences
from watch_fixtures.records import policy, write_vendor
from watch_fixtures.server import Reply, server_fixture  # noqa: F401  (pytest fixtures)

from scrapers.fsio import LockBusy, StoreLock, dumps_line
from scrapers.normalise import text_hash
from scrapers.store import open_store

REPO = Path(__file__).resolve().parent.parent
DOCS = 12


def watch_cmd(vendors: Path, store: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "scrapers.watch", "--vendors", str(vendors), "--store", str(store),
            "--json",
            "--allow-private", "--host-delay", "0", "--backoff", "0.01", *extra]


@pytest.fixture
def slow_site(server, tmp_path):
    """DOCS documents of one vendor, each answered after a short delay, with large pages so that
    writes take a measurable time."""
    for i in range(DOCS):
        server.route(f"/doc{i}", handler=lambda r, i=i: Reply(
            200, policy_page(sentences(150, f"-{i}")), headers={"Content-Type": "text/html"}, delay=0.05))
    vendors = tmp_path / "vendors"
    write_vendor(vendors, "acme-tools", [policy(f"doc-{i}", server.url(f"/doc{i}")) for i in range(DOCS)])
    return vendors, tmp_path / "store"


def assert_consistent(store_dir: Path, finished: bool) -> None:
    """What a reader must always find; after a finished run also: no leftovers at all."""
    store = open_store(store_dir)
    for vendor, doc in store.documents():
        events = store.changes(vendor, doc)
        for e in events:
            text = store.version_text(vendor, doc, e["new_hash"])
            assert text is not None and text_hash(text) == e["new_hash"]
            assert (store_dir / e["raw"]).is_file()
        if events:
            assert store.current_text(vendor, doc) == store.version_text(vendor, doc, events[-1]["new_hash"])
        json.dumps(store.status(vendor, doc))  # readable (or None)
        if finished:
            assert len(events) == 1, f"{vendor}/{doc}: {len(events)} events for an unchanged page"
            folder = store_dir / vendor / doc
            assert (folder / "current.md").read_text(encoding="utf-8") == store.current_text(vendor, doc)
            assert len(list((folder / "versions").iterdir())) == 1
            assert len(list((folder / "raw").iterdir())) == 1
    if finished:
        assert not [p for p in store_dir.rglob("*") if ".tmp-" in p.name]


def test_kill_9_mid_run_leaves_a_readable_store_and_the_next_run_recovers(slow_site):
    vendors, store = slow_site
    recorded = []
    # Kill each run just after it has recorded one more document, a little later each time, so the
    # kills land in different phases of writing (raw HTML, text, change log, current.md, status).
    for extra in (0.0, 0.02, 0.05, 0.09):
        already = count_recorded(store)
        proc = subprocess.Popen(watch_cmd(vendors, store), cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while count_recorded(store) <= already and proc.poll() is None:
            assert time.monotonic() < deadline, "the run recorded nothing"
            time.sleep(0.005)
        time.sleep(extra)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert_consistent(store, finished=False)
        recorded.append(count_recorded(store))
    print("documents recorded after each kill:", recorded)
    assert 0 < recorded[-1] < DOCS, recorded  # the kills did land in the middle of runs
    result = subprocess.run(watch_cmd(vendors, store), cwd=REPO, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["checked"] == DOCS and summary["failed"] == []
    assert len(summary["changed"]) + len(summary["unchanged"]) == DOCS
    assert_consistent(store, finished=True)
    assert len(open_store(store).documents()) == DOCS


def count_recorded(store_dir: Path) -> int:
    s = open_store(store_dir)
    return sum(1 for v, d in s.documents() if s.changes(v, d))


def make_doc(store_dir: Path, text: str, n: int = 1) -> tuple:
    """A document with n committed versions, written through the store's own API."""
    store = open_store(store_dir)
    events = []
    for i in range(n):
        body = f"{text} version {i}"
        raw = store.save_raw("acme-tools", "privacy", f"<p>{body}</p>", f"2025-01-0{i + 1}T00:00:00Z")
        event = {"id": f"e{i}", "time": f"2025-01-0{i + 1}T00:00:00Z",
                 "old_hash": events[-1]["new_hash"] if events else None,
                 "new_hash": text_hash(body), "diff": [], "added": 1, "removed": 0, "raw": raw,
                 "technical": False, "initial": i == 0}
        events.append(store.append_event("acme-tools", "privacy", event, body))
    return store, store_dir / "acme-tools" / "privacy", events


def test_recovery_of_each_crash_point(tmp_path):
    store, folder, events = make_doc(tmp_path, "Policy text", n=2)
    good_log = (folder / "changes.jsonl").read_text()
    # killed while writing a file: a temporary file
    (folder / ".changes.jsonl.tmp-123-abcd").write_text("partial")
    # killed after writing the raw HTML and the text, before the change-log line
    (folder / "raw" / "20250105T000000Z-aaaaaaaaaaaa.html").write_text("<p>orphan</p>")
    orphan_text = "Orphan version"
    (folder / "versions" / f"{text_hash(orphan_text)}.md").write_text(orphan_text)
    # killed after the change-log line, before current.md
    (folder / "current.md").write_text("stale copy")
    # a change-log line whose text file is missing (a damaged line is not a crash leftover, since every
    # file is replaced atomically: test_store_damage)
    ghost = {**events[-1], "id": "ghost", "new_hash": "f" * 64, "old_hash": events[-1]["new_hash"]}
    with open(folder / "changes.jsonl", "a", encoding="utf-8") as f:
        f.write(dumps_line(ghost))

    reader = open_store(tmp_path)  # what the site sees before any repair
    assert [e["id"] for e in reader.changes("acme-tools", "privacy")] == ["e0", "e1"]
    assert reader.current_text("acme-tools", "privacy") == "Policy text version 1"

    notes = store.recover()
    assert notes and any("temporary" in n for n in notes)
    assert (folder / "changes.jsonl").read_text() == good_log
    assert (folder / "current.md").read_text() == "Policy text version 1"
    assert not (folder / "raw" / "20250105T000000Z-aaaaaaaaaaaa.html").exists()
    assert not (folder / "versions" / f"{text_hash(orphan_text)}.md").exists()
    assert not list(folder.glob(".*tmp-*"))
    assert store.recover() == []  # nothing left to repair


def test_recovery_of_a_first_version_killed_before_its_change_log_line(tmp_path):
    """The first check of a document, killed after its raw HTML and text were written: the folder has no
    change log or status yet, and the next run must still remove the orphans (or the document ends up with
    two raw files for one version)."""
    store, _folder, _events = make_doc(tmp_path, "Policy text", n=1)
    folder = tmp_path / "acme-tools" / "terms"
    (folder / "raw").mkdir(parents=True)
    (folder / "versions").mkdir()
    (folder / "raw" / "20250105T000000Z-aaaaaaaaaaaa.html").write_text("<p>orphan</p>")
    (folder / "versions" / f"{text_hash('Orphan')}.md").write_text("Orphan")
    assert ("acme-tools", "terms") not in store.documents()
    notes = store.recover()
    assert any("terms: removed unreferenced raw/" in n for n in notes), notes
    assert not list((folder / "raw").iterdir()) and not list((folder / "versions").iterdir())
    assert store.recover() == []


def test_a_lock_holder_blocks_a_second_writer_but_not_readers(tmp_path):
    make_doc(tmp_path, "Policy text")
    with StoreLock(tmp_path):
        with pytest.raises(LockBusy, match=f"pid {os.getpid()}"), StoreLock(tmp_path, timeout=0.2):
            pass
        assert open_store(tmp_path).current_text("acme-tools", "privacy") == "Policy text version 0"
    with StoreLock(tmp_path, timeout=0):
        pass  # released


def test_two_runs_at_once(slow_site, server):
    vendors, store = slow_site
    gate = threading.Event()  # the first run stays inside its first request until the test opens it
    for i in range(DOCS):
        server.route(f"/doc{i}", handler=lambda r, i=i: gate.wait(60) and Reply(
            200, policy_page(sentences(150, f"-{i}")), headers={"Content-Type": "text/html"}))
    first = subprocess.Popen(watch_cmd(vendors, store), cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not (store / ".lock").exists() or not (store / ".lock").read_text():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    second = subprocess.run(watch_cmd(vendors, store), cwd=REPO, capture_output=True, text=True, timeout=60,
                            check=False)
    assert second.returncode == 3
    assert "another watch run" in second.stderr and second.stdout == ""
    waiting = subprocess.Popen(watch_cmd(vendors, store, "--lock-timeout", "60"), cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)  # let it start waiting for the lock
    assert waiting.poll() is None
    gate.set()
    out1, _ = first.communicate(timeout=120)
    out2, err2 = waiting.communicate(timeout=120)
    assert first.returncode == 0 and waiting.returncode == 0, err2
    assert len(json.loads(out1)["changed"]) == DOCS
    assert len(json.loads(out2)["unchanged"]) == DOCS  # it waited, then found everything recorded
    assert_consistent(store, finished=True)
