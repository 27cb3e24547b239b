"""Damage that is not a crash: a change-log line or a status.json that does not parse. Recovery reports
`PATH:LINE`, keeps the damaged bytes aside, rebuilds what it can, and never deletes an intact version text
or raw page; the read API and the next run go on."""

from __future__ import annotations

import json

import pytest
from test_watch_crash import make_doc

from scrapers.normalise import text_hash

DAMAGE = {
    "torn": b'{"id": "torn", "new_ha',
    "not-json": b"this is not json",
    "invalid-utf8": b'{"id": "x", "new_hash": "\xff\xfe"}',
    "nul-bytes": b"\0" * 40,
    "not-an-object": b"[1, 2, 3]",
    "bad-hash": b'{"id": "x", "new_hash": "../../etc/passwd"}',
    "blank": b"",
}


@pytest.mark.parametrize("kind", DAMAGE)
@pytest.mark.parametrize("where", [0, 1, 2])  # before, between, after the intact lines
def test_a_damaged_change_log_line(tmp_path, kind, where):
    store, folder, events = make_doc(tmp_path, "Policy text", n=2)
    log = folder / "changes.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    lines.insert(where, DAMAGE[kind] + b"\n")
    damaged_bytes = b"".join(lines)
    log.write_bytes(damaged_bytes)
    # an intact version no intact line refers to (the damaged one may have): must survive
    orphan = "Policy text a version only the damaged line knew"
    (folder / "versions" / f"{text_hash(orphan)}.md").write_text(orphan)
    before = {p.name: p.read_bytes() for sub in ("versions", "raw") for p in (folder / sub).iterdir()}

    assert [e["id"] for e in store.changes("acme-tools", "privacy")] == ["e0", "e1"]  # the reader skips it
    notes = store.recover()
    assert any(n.startswith(f"{log}:{where + 1}: damaged change-log line") for n in notes), notes
    [aside] = folder.glob("changes.jsonl.damaged-*")
    assert aside.read_bytes() == damaged_bytes
    assert log.read_bytes() == b"".join(line for i, line in enumerate(lines) if i != where)
    after = {p.name: p.read_bytes() for sub in ("versions", "raw") for p in (folder / sub).iterdir()}
    assert after == before
    assert (folder / "current.md").read_text() == "Policy text version 1"
    assert store.recover() == []  # repaired: nothing more to say, and still nothing deleted
    assert {p.name for sub in ("versions", "raw") for p in (folder / sub).iterdir()} == set(before)


def test_a_line_separator_inside_a_quote_is_not_a_line_end(tmp_path):
    """JSON keeps U+2028 raw in strings; the log is split on \\n only, so such an event stays whole."""
    store, folder, events = make_doc(tmp_path, "Policy text\u2028with a line separator\x85", n=2)
    assert len(store.changes("acme-tools", "privacy")) == 2
    assert store.recover() == [] and not list(folder.glob("*.damaged-*"))


@pytest.mark.parametrize("content", [b'{"checked_at": "2025-', b"\xff\xfe\0", b"[]", b'{\n"a": 1,\n"b": oops}'])
def test_a_damaged_status_is_kept_aside_and_rebuilt(tmp_path, content):
    store, folder, events = make_doc(tmp_path, "Policy text", n=2)
    status = folder / "status.json"
    status.write_bytes(content)
    assert store.status("acme-tools", "privacy") is None  # the reader is not confused
    notes = store.recover()
    line = 3 if b"oops" in content else 1
    assert any(n.startswith(f"{status}:{line}: damaged status.json") for n in notes), notes
    [aside] = folder.glob("status.json.damaged-*")
    assert aside.read_bytes() == content
    rebuilt = json.loads(status.read_text())
    assert rebuilt["failure"] is None and rebuilt["last_success_at"] == events[-1]["time"]
    assert rebuilt["consecutive_failures"] == 0
    assert len(list((folder / "versions").iterdir())) == 2 and len(list((folder / "raw").iterdir())) == 2
    assert store.recover() == []


def test_a_damaged_status_without_any_version_is_removed(tmp_path):
    store, folder, _ = make_doc(tmp_path, "Policy text", n=1)
    other = tmp_path / "acme-tools" / "terms"
    other.mkdir()
    (other / "status.json").write_text("{")
    notes = store.recover()
    assert any("terms/status.json:1: damaged status.json" in n and "removed" in n for n in notes), notes
    assert not (other / "status.json").exists() and list(other.glob("status.json.damaged-*"))


def test_a_run_reports_the_damage_and_records_what_the_damaged_line_held(tmp_path, capsys):
    """Through the watcher: the last line (the current version) is damaged; the run says where, keeps the
    file aside, and since the page is the one of that lost line, records it again (nothing is lost)."""
    from watch_fixtures.pages import policy_page, sentences
    from watch_fixtures.records import policy, write_vendor
    from watch_fixtures.server import LocalServer

    from scrapers import watch
    server = LocalServer().start()
    try:
        server.route("/privacy", policy_page(sentences(14, "a")))
        vendors, store_dir = tmp_path / "vendors", tmp_path / "store"
        write_vendor(vendors, "acme-tools", [policy("privacy", server.url("/privacy"))])
        argv = ["--vendors", str(vendors), "--store", str(store_dir), "--json", "--allow-private",
                "--host-delay", "0", "--processes", "0"]
        assert watch.main(argv) == 0
        server.route("/privacy", policy_page(sentences(14, "a") + ["A new paragraph on how logs are kept."]))
        assert watch.main(argv) == 0
        capsys.readouterr()
        log = store_dir / "acme-tools" / "privacy" / "changes.jsonl"
        first, second = log.read_bytes().splitlines(keepends=True)
        log.write_bytes(first + second[:40] + b"\n")  # the last line cut short
        assert watch.main(argv) == 0
        out, err = capsys.readouterr()
    finally:
        server.stop()
    assert f"recovered: {log}:2: damaged change-log line" in err
    assert list(log.parent.glob("changes.jsonl.damaged-*"))
    [changed] = json.loads(out)["changed"]
    events = json.loads("[" + ",".join(log.read_text().splitlines()) + "]")
    assert len(events) == 2 and "logs are kept" in (log.parent / "current.md").read_text()
    assert changed["change"] == events[1]["id"]
