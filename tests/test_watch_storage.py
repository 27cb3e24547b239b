"""Faults without loss: the disk fills up (or any write fails) while one document is being stored.

Each write the store makes goes through scrapers.fsio in steps (mkdir, open the temporary file, write,
close, fsync, rename, fsync the folder). The run is repeated with OSError(ENOSPC) raised at the N-th step
that touches one document's folder, and at every later one (a full disk stays full), for every N of a
normal run. After each: that document failed with the typed `storage` failure, the other document was
recorded, the run printed its JSON summary and exited 1; the store holds the old state or the new
version whole (no temporary or unreferenced file, every change-log line with its text and raw page, a
status.json that parses, current.md the current text or absent). The next run, with space, records what
was missed and leaves the store tidy.
"""

from __future__ import annotations

import builtins
import errno
import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from watch_fixtures.pages import policy_page, sentences
from watch_fixtures.records import policy, write_vendor
from watch_fixtures.server import server_fixture  # noqa: F401  (pytest fixtures)

from scrapers import fsio, watch
from scrapers.normalise import text_hash
from scrapers.store import open_store

FAST = ["--json", "--allow-private", "--host-delay", "0", "--backoff", "0.01", "--timeout", "3",
        "--processes", "0"]
FULL, OTHER = ("acme-tools", "privacy"), ("bolt-erp", "privacy")


class DiskFull:
    """Counts the write steps under `folder`; from the `at`-th on (None: never), each raises ENOSPC."""

    def __init__(self, folder: Path, at: int | None):
        self.folder, self.at, self.steps = str(folder), at, []
        self.fds: set[int] = set()
        self.lock = threading.Lock()

    def step(self, what: str, path) -> None:
        if not str(path).startswith(self.folder):
            return
        with self.lock:
            self.steps.append(f"{what} {Path(path).name}")
            if self.at is not None and len(self.steps) >= self.at:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    def install(self, monkeypatch) -> None:
        real_open, real_fsync, real_replace, real_mkdir = builtins.open, os.fsync, os.replace, Path.mkdir
        real_fsync_dir, disk = fsio._fsync_dir, self

        class File:
            def __init__(self, path, mode):
                disk.step("open", path)
                self.path, self.f = path, real_open(path, mode)

            def write(self, data):
                try:
                    disk.step("write", self.path)
                except OSError:
                    self.f.write(data[: len(data) // 2])  # a short write, then the error
                    raise
                return self.f.write(data)

            def flush(self):
                self.f.flush()

            def fileno(self):
                fd = self.f.fileno()
                disk.fds.add(fd) if str(self.path).startswith(disk.folder) else None
                return fd

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                try:
                    disk.step("close", self.path)
                finally:
                    self.f.close()

        def fsync(fd):
            if fd in disk.fds:
                disk.fds.discard(fd)
                disk.step("fsync", disk.folder)
            return real_fsync(fd)

        def replace(src, dst, **kw):
            disk.step("rename", dst)
            return real_replace(src, dst, **kw)

        def mkdir(self_, *a, **kw):
            disk.step("mkdir", self_)
            return real_mkdir(self_, *a, **kw)

        def fsync_dir(folder):
            disk.step("fsync-dir", folder)
            return real_fsync_dir(folder)

        monkeypatch.setattr(fsio, "open", File, raising=False)
        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(Path, "mkdir", mkdir)
        monkeypatch.setattr(fsio, "_fsync_dir", fsync_dir)


def run(capsys, vendors: Path, store: Path) -> tuple[int, dict, str]:
    code = watch.main(["--vendors", str(vendors), "--store", str(store), *FAST])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def check_store(store_dir: Path, vendor: str, doc: str) -> str:
    """The store invariants for one document; returns its current text."""
    store, folder = open_store(store_dir), store_dir / vendor / doc
    events = store.changes(vendor, doc)
    lines = (folder / "changes.jsonl").read_bytes().splitlines()
    assert len(lines) == len(events), "a change-log line without its text"
    for e in events:
        assert text_hash(store.version_text(vendor, doc, e["new_hash"])) == e["new_hash"]
        assert (store_dir / e["raw"]).is_file()
    assert {p.name for p in (folder / "versions").iterdir()} == {f"{e['new_hash']}.md" for e in events}
    assert {p.name for p in (folder / "raw").iterdir()} == {Path(e["raw"]).name for e in events}
    assert not [p for p in folder.rglob("*") if fsio.TEMP_MARK in p.name], "a temporary file left"
    assert isinstance(json.loads((folder / "status.json").read_text(encoding="utf-8")), dict)
    text = store.current_text(vendor, doc)
    current = folder / "current.md"
    assert not current.exists() or current.read_text(encoding="utf-8") == text
    return text


@pytest.fixture
def site(server, tmp_path, capsys):
    """Two vendors with a recorded first version each, and a new revision of both pages served."""
    for v, _ in (FULL, OTHER):
        server.route(f"/{v}", policy_page(sentences(14, v)))
    vendors = tmp_path / "vendors"
    for v, d in (FULL, OTHER):
        write_vendor(vendors, v, [policy(d, server.url(f"/{v}"))])
    good = tmp_path / "good"
    assert run(capsys, vendors, good)[0] == 0
    old = {v: open_store(good).current_text(v, "privacy") for v, _ in (FULL, OTHER)}
    for v, _ in (FULL, OTHER):
        server.route(f"/{v}", policy_page(sentences(14, v) + [f"A new paragraph on how {v} keeps logs."]))
    return vendors, good, old


def steps_of_a_normal_run(site, tmp_path, capsys, monkeypatch) -> list[str]:
    vendors, good, _ = site
    store = tmp_path / "count"
    shutil.copytree(good, store)
    disk = DiskFull(store / "/".join(FULL), None)
    with monkeypatch.context() as m:
        disk.install(m)
        assert run(capsys, vendors, store)[0] == 0
    return disk.steps


def test_disk_full_at_every_write_step(site, tmp_path, capsys, monkeypatch, suite):
    vendors, good, old = site
    steps = steps_of_a_normal_run(site, tmp_path, capsys, monkeypatch)
    # raw page, version text, change log, current.md, status.json: each in several steps
    assert len(steps) >= 20 and any("changes.jsonl" in s for s in steps), steps
    for at in range(1, len(steps) + 1):
        where = f"ENOSPC from step {at} ({steps[at - 1]})"
        store = tmp_path / f"run-{at}"
        shutil.copytree(good, store)
        disk = DiskFull(store / "/".join(FULL), at)
        with monkeypatch.context() as m:
            disk.install(m)
            code, summary, err = run(capsys, vendors, store)
        assert code == 1 and "Traceback" not in err, where
        [failed] = summary["failed"]
        assert (failed["vendor"], failed["document"], failed["failure"]) == (*FULL, "storage"), where
        assert "No space left" in failed["message"], where
        assert [(c["vendor"], c["document"]) for c in summary["changed"]] == [OTHER], where
        text = check_store(store, *FULL)
        assert text == old[FULL[0]] or "keeps logs" in text, where  # the old state, or the new version whole
        check_store(store, *OTHER)

        code, summary, err = run(capsys, vendors, store)  # space again
        assert code == 0 and summary["failed"] == [], (where, summary)
        text = check_store(store, *FULL)
        assert "keeps logs" in text and (store / "/".join(FULL) / "current.md").read_text() == text, where
        assert len(open_store(store).changes(*FULL)) == 2, where
        assert open_store(store).status(*FULL)["failure"] is None, where
        suite("watcher-storage", tried=1, rejected=1, escaped=0, lost=0)


def test_a_status_that_cannot_be_written_after_a_failure_keeps_the_old_one(site, tmp_path, capsys, monkeypatch):
    """The page fails (404) and status.json can't be written either: the class says storage, both reasons
    are in the message, and the previous status.json stays whole."""
    vendors, good, _ = site
    store = tmp_path / "store"
    shutil.copytree(good, store)
    before = (store / "/".join(FULL) / "status.json").read_bytes()
    (vendors / "acme-tools.yaml").write_text((vendors / "acme-tools.yaml").read_text().replace(
        "/acme-tools", "/gone"), encoding="utf-8")
    disk = DiskFull(store / "/".join(FULL), 1)
    with monkeypatch.context() as m:
        disk.install(m)
        code, summary, err = run(capsys, vendors, store)
    [failed] = summary["failed"]
    assert code == 1 and failed["failure"] == "storage"
    assert "HTTP 404" in failed["message"] and "status.json" in failed["message"]
    assert (store / "/".join(FULL) / "status.json").read_bytes() == before


def test_a_store_that_cannot_be_opened_is_an_error_not_a_traceback(site, tmp_path, capsys):
    vendors, _, _ = site
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = watch.main(["--vendors", str(vendors), "--store", str(blocker / "store"), *FAST])
    _, err = capsys.readouterr()
    assert code == 1 and "cannot open the store" in err
