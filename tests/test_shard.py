"""Sharded watching as .github/workflows/watch.yml does it: `scrapers.watch --shard I/N` in parallel jobs
that start from the same store, `scripts.watch_merge export` in each, `merge` in the final job.

The end-to-end test runs the real watcher against fictional vendors served from 127.0.0.1 and checks that
the merged store holds the same documents as one unsharded run, and that every document was checked by
exactly one shard.
"""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from scrapers import watch
from scrapers.store import open_store
from scrapers.targets import in_shard, load_targets
from scripts.github import watch_merge

FAST = ["--allow-private", "--host-delay", "0", "--backoff", "0.01", "--timeout", "3"]
VENDORS = {f"shard-vendor-{v}": [f"doc-{d}" for d in range(1 + v % 3)] for v in range(7)}  # 13 documents
BROKEN = ("shard-vendor-2", "doc-1")  # answers 404


def page(vendor: str, doc: str, edition: int = 1) -> bytes:
    clauses = " ".join(f"<p>Clause {i} of {doc} at {vendor}, edition {edition}: we keep order reports for "
                       f"{30 + i} days and delete them when you disconnect the marketplace account.</p>"
                       for i in range(8))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Policy</title></head>"
            f"<body><main><h1>Privacy Policy</h1>{clauses}</main></body></html>").encode()


class Site:
    """The fictional vendors' pages on 127.0.0.1; `edition` changes every page's text."""

    def __init__(self):
        self.edition = 1
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                parts = self.path.strip("/").split("/")
                if len(parts) == 2 and tuple(parts) != BROKEN and parts[0] in VENDORS and parts[1] in VENDORS[parts[0]]:
                    body, status = page(parts[0], parts[1], site.edition), 200
                else:
                    body, status = b"not found", 404
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8" if status == 200 else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def write_records(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for vendor, docs in VENDORS.items():
            record = {
                "schema_version": 1, "id": vendor, "name": vendor.replace("-", " ").title(),
                "website": "https://shard-vendor.example.com/",
                "sources": [{"id": "home", "url": "https://shard-vendor.example.com/", "publisher": "Example",
                             "kind": "vendor"}],
                "policies": [{"id": d, "type": "privacy-policy", "url": f"{self.url}/{vendor}/{d}",
                              "language": "en"} for d in docs],
            }
            (folder / f"{vendor}.yaml").write_text("# yaml-language-server: $schema=./schema.json\n"
                                                  + yaml.safe_dump(record, sort_keys=False), encoding="utf-8")
        return folder


@pytest.fixture(scope="module")
def site():
    s = Site()
    yield s
    s.server.shutdown()
    s.server.server_close()


def watch_json(capsys, *argv: str) -> dict:
    code = watch.main([*argv, "--json", *FAST])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    return json.loads(out)


def tree(store: Path) -> dict[str, bytes]:
    """Every file of a store except the lock and the watcher's per-check status (its times differ)."""
    return {p.relative_to(store).as_posix(): p.read_bytes() for p in sorted(store.rglob("*"))
            if p.is_file() and p.name not in (".lock", "status.json") and "/raw/" not in f"/{p.relative_to(store)}"}


def copy_store(base: Path, dest: Path) -> None:
    if base.exists():
        shutil.copytree(base, dest)
    else:
        dest.mkdir(parents=True)


def sharded_run(capsys, tmp: Path, vendors: Path, base: Path, count: int) -> tuple[Path, dict, list[dict]]:
    """What watch.yml does: N shard jobs from copies of `base`, exported, then merged into a copy of `base`."""
    exports, summaries = [], []
    for index in range(1, count + 1):
        job = tmp / f"job-{count}-{index}"
        copy_store(base, job / "store")
        summary = watch_json(capsys, "--vendors", str(vendors), "--store", str(job / "store"),
                             "--shard", f"{index}/{count}")
        (job / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
        summaries.append(summary)
        out = job / "export"
        assert watch_merge.main(["export", "--shard", f"{index}/{count}", "--summary", str(job / "summary.json"),
                                 "--store", str(job / "store"), "--out", str(out)]) == 0
        exports.append(out)
    merged_store = tmp / f"merged-{count}"
    copy_store(base, merged_store)
    merged_summary = tmp / f"merged-{count}.json"
    assert watch_merge.main(["merge", "--shards", str(count), "--store", str(merged_store),
                             "--summary-out", str(merged_summary), *map(str, exports)]) == 0
    return merged_store, json.loads(merged_summary.read_text(encoding="utf-8")), summaries


def keys(summary: dict) -> list[tuple[str, str]]:
    return sorted((i["vendor"], i["document"]) for name in ("changed", "unchanged", "failed") for i in summary[name])


def test_sharded_runs_merge_to_what_one_run_records(site, tmp_path, capsys):
    vendors = site.write_records(tmp_path / "vendors")
    all_docs = sorted((v, d) for v, docs in VENDORS.items() for d in docs)
    site.edition = 1
    single = tmp_path / "single"
    first = watch_json(capsys, "--vendors", str(vendors), "--store", str(single))
    assert keys(first) == all_docs
    for count in (1, 3, 4):
        merged, summary, shards = sharded_run(capsys, tmp_path, vendors, tmp_path / "empty", count)
        checked = [k for s in shards for k in keys(s)]
        assert sorted(checked) == all_docs and len(set(checked)) == len(checked)  # each doc in exactly one shard
        assert keys(summary) == all_docs and summary["checked"] == len(all_docs)
        assert summary["shards"] == {"count": count, "merged": list(range(1, count + 1)), "missing": []}
        assert [(i["vendor"], i["document"]) for i in summary["failed"]] == [BROKEN]
        assert tree(merged).keys() == tree(single).keys()
        assert {k: v for k, v in tree(merged).items() if k.endswith(".md")} == \
            {k: v for k, v in tree(single).items() if k.endswith(".md")}
        store = open_store(merged)
        assert store.documents() == all_docs
        assert store.status(*BROKEN)["failure"] == "http-status"

    # a second run starting from the merged store: the pages changed, each change recorded once
    site.edition = 2
    base = tmp_path / "merged-4"
    (tmp_path / "second").mkdir()
    merged, summary, _ = sharded_run(capsys, tmp_path / "second", vendors, base, 4)
    assert len(summary["changed"]) == len(all_docs) - 1
    store = open_store(merged)
    for vendor, doc in all_docs:
        events = store.changes(vendor, doc)
        assert len(events) == (0 if (vendor, doc) == BROKEN else 2), (vendor, doc)


def test_a_missing_shard_is_reported_and_its_documents_keep_their_state(site, tmp_path, capsys):
    vendors = site.write_records(tmp_path / "vendors")
    base = tmp_path / "base"
    watch_json(capsys, "--vendors", str(vendors), "--store", str(base))
    before = tree(base)
    job = tmp_path / "job"
    shutil.copytree(base, job / "store")
    summary = watch_json(capsys, "--vendors", str(vendors), "--store", str(job / "store"), "--shard", "2/3")
    (job / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    watch_merge.main(["export", "--shard", "2/3", "--summary", str(job / "summary.json"),
                      "--store", str(job / "store"), "--out", str(job / "export")])
    merged = watch_merge.merge([job / "export"], 3, base)
    assert merged["shards"] == {"count": 3, "merged": [2], "missing": [1, 3]}
    assert tree(base) == before  # no text changed; the other shards' documents untouched
    assert "Shard(s) 1, 3 produced no results" in watch_merge.pr_body(merged)
    capsys.readouterr()
    assert watch_merge.main(["merge", "--shards", "3", "--store", str(base), str(job / "export")]) == 0
    assert "::warning::watch shard(s) 1, 3 of 3 produced no results" in capsys.readouterr().out


def export_dir(tmp: Path, name: str, shard: str, docs: list[tuple[str, str]]) -> Path:
    out = tmp / name
    for vendor, doc in docs:
        folder = out / "store" / vendor / doc
        folder.mkdir(parents=True)
        (folder / "status.json").write_text(json.dumps({"shard": shard}), encoding="utf-8")
    summary = {"checked": len(docs), "changed": [], "failed": [], "shard": shard,
               "unchanged": [{"vendor": v, "document": d} for v, d in docs]}
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return out


def test_merge_refuses_a_document_claimed_by_two_shards(tmp_path, capsys):
    a = export_dir(tmp_path, "a", "1/2", [("acme", "privacy")])
    b = export_dir(tmp_path, "b", "2/2", [("acme", "privacy")])
    assert watch_merge.main(["merge", "--shards", "2", "--store", str(tmp_path / "store"), str(a), str(b)]) == 1
    assert "acme/privacy was checked by shards 1 and 2" in capsys.readouterr().err


@pytest.mark.parametrize("shard, count, message", [
    ("1/3", 2, "is not one of 2 shards"), ("0/2", 2, "wants I/N"), ("x", 2, "wants I/N")])
def test_merge_refuses_inconsistent_shards(tmp_path, shard, count, message):
    a = export_dir(tmp_path, "a", shard, [("acme", "privacy")])
    with pytest.raises(watch_merge.MergeError, match=message):
        watch_merge.merge([a], count, tmp_path / "store")


def test_merge_refuses_the_same_shard_twice_and_unsafe_ids(tmp_path):
    a = export_dir(tmp_path, "a", "1/2", [("acme", "privacy")])
    b = export_dir(tmp_path, "b", "1/2", [("acme", "terms")])
    with pytest.raises(watch_merge.MergeError, match="shard 1 given twice"):
        watch_merge.merge([a, b], 2, tmp_path / "store")
    evil = export_dir(tmp_path, "evil", "2/2", [("acme", "privacy")])
    summary = json.loads((evil / "summary.json").read_text())
    summary["unchanged"] = [{"vendor": "..", "document": "etc"}]
    (evil / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(watch_merge.MergeError, match="does not name a vendor and document id"):
        watch_merge.merge([evil], 2, tmp_path / "store")


def test_merge_replaces_only_the_shards_documents(tmp_path):
    store = tmp_path / "store"
    for doc in ("privacy", "terms"):
        (store / "acme" / doc).mkdir(parents=True)
        (store / "acme" / doc / "status.json").write_text('{"old": true}')
        (store / "acme" / doc / "stale.txt").write_text("from the base")
    a = export_dir(tmp_path, "a", "1/1", [("acme", "privacy")])
    watch_merge.merge([a], 1, store)
    assert json.loads((store / "acme" / "privacy" / "status.json").read_text()) == {"shard": "1/1"}
    assert not (store / "acme" / "privacy" / "stale.txt").exists()  # the shard's folder replaces the base's
    assert (store / "acme" / "terms" / "stale.txt").exists()


def test_export_wants_an_empty_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("x")
    (tmp_path / "s.json").write_text('{"changed": [], "unchanged": [], "failed": []}')
    with pytest.raises(watch_merge.MergeError, match="must be empty"):
        watch_merge.export((1, 1), tmp_path / "s.json", tmp_path / "store", tmp_path / "out")


def test_pull_request_title_and_body():
    summary = {"checked": 4, "unchanged": [{"vendor": "acme", "document": "terms"}],
               "changed": [{"vendor": "acme", "document": "privacy", "added": 12, "removed": 3},
                           {"vendor": "bolt", "document": "privacy", "initial": True},
                           {"vendor": "bolt", "document": "terms", "technical": True}],
               "failed": [{"vendor": "crow", "document": "faq", "failure": "bot-challenge",
                           "message": "page says `verify you are human` @someone"}],
               "shards": {"count": 2, "merged": [1, 2], "missing": []}}
    assert watch_merge.pr_title(summary) == "Watch: 2 document(s) changed, 1 failing"
    body = watch_merge.pr_body(summary, "https://github.example.test/o/r/actions/runs/1")
    assert "- `acme/privacy`: +12 −3 words" in body
    assert "- `bolt/privacy`: first recorded version" in body
    assert "- `bolt/terms`: technical update" in body
    assert "- `crow/faq`: `bot-challenge` ``page says `verify you are human` @someone``" in body
    assert "([run](https://github.example.test/o/r/actions/runs/1))" in body
    quiet = dict(summary, changed=[summary["changed"][2]], failed=[])
    assert watch_merge.pr_title(quiet) == "Watch: no policy changes"


def test_the_watchers_shard_split_is_a_partition(site, tmp_path):
    targets, problems = load_targets(site.write_records(tmp_path / "vendors"))
    assert not problems and len(targets) == 13
    for count in range(1, 9):
        owners = [[i for i in range(1, count + 1) if in_shard(t, i, count)] for t in targets]
        assert all(len(o) == 1 for o in owners), count
    with pytest.raises(ValueError):
        watch.parse_shard("0/4")
