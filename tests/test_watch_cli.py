"""The two commands: `python -m scrapers.watch` and `python -m scrapers.check`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from watch_fixtures.pages import policy_page, sentences
from watch_fixtures.records import policy, write_vendor
from watch_fixtures.server import server_fixture  # noqa: F401  (pytest fixtures)

from scrapers import check, extract_pool, watch
from scrapers.page import Target
from scrapers.store import open_store
from scrapers.targets import in_shard, load_targets

FAST = ["--allow-private", "--host-delay", "0", "--backoff", "0.01", "--timeout", "3"]
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def site(server, tmp_path):
    """Two fictional vendors: acme-tools (privacy + terms) and bolt-erp (privacy, answering 404)."""
    server.route("/acme/privacy", policy_page(sentences(12, "a")))
    server.route("/acme/terms", policy_page(sentences(12, "b"), title="Terms of Service"))
    vendors = tmp_path / "vendors"
    write_vendor(vendors, "acme-tools", [policy("privacy", server.url("/acme/privacy")),
                                         policy("terms", server.url("/acme/terms"), type="terms-of-service")])
    write_vendor(vendors, "bolt-erp", [policy("privacy", server.url("/bolt/privacy"))])
    return vendors, tmp_path / "store"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = watch.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_summary_and_exit_codes(server, site, capsys):
    vendors, store = site
    code, out, err = run(capsys, "--vendors", str(vendors), "--store", str(store), "--json", *FAST)
    summary = json.loads(out)
    assert code == 1
    assert summary["checked"] == 3
    assert [(i["vendor"], i["document"]) for i in summary["changed"]] == [("acme-tools", "privacy"),
                                                                          ("acme-tools", "terms")]
    assert summary["unchanged"] == []
    [failed] = summary["failed"]
    assert (failed["vendor"], failed["document"], failed["failure"]) == ("bolt-erp", "privacy", "http-status")
    assert "404" in failed["message"]
    assert "[3/3]" in err  # plain progress lines when stderr is not a terminal

    server.route("/bolt/privacy", policy_page(sentences(12, "c")))
    code, out, _ = run(capsys, "--vendors", str(vendors), "--store", str(store), "--json", *FAST)
    summary = json.loads(out)
    assert code == 0 and summary["failed"] == []
    assert [i["vendor"] for i in summary["changed"]] == ["bolt-erp"]
    assert len(summary["unchanged"]) == 2


def test_text_summary(site, capsys):
    vendors, store = site
    code, out, _ = run(capsys, "--vendors", str(vendors), "--store", str(store), *FAST)
    assert code == 1
    assert out.splitlines()[0] == "checked 3: 2 changed, 0 unchanged, 1 failed"
    assert "FAILED   bolt-erp/privacy: http-status" in out


def test_vendor_filter(site, capsys):
    vendors, store = site
    code, out, _ = run(capsys, "--vendors", str(vendors), "--store", str(store), "--json",
                       "--vendor", "acme-tools", *FAST)
    assert code == 0 and json.loads(out)["checked"] == 2


@pytest.mark.parametrize("argv", [
    ["--shard", "3/2"], ["--shard", "0/2"], ["--shard", "one"], ["--vendor", "no-such-vendor"],
    ["--concurrency", "0"], ["--no-such-option"],
])
def test_usage_errors_exit_2(site, capsys, argv):
    vendors, store = site
    with pytest.raises(SystemExit) as info:
        watch.main(["--vendors", str(vendors), "--store", str(store), *argv])
    assert info.value.code == 2


def test_refuses_loopback_without_allow_private(site, capsys):
    vendors, store = site
    code, out, _ = run(capsys, "--vendors", str(vendors), "--store", str(store), "--json",
                       "--host-delay", "0", "--backoff", "0.01")
    summary = json.loads(out)
    assert code == 1 and summary["changed"] == []
    assert {i["failure"] for i in summary["failed"]} == {"private-address"}


def test_shards_partition_the_documents_stably():
    targets = [Target(f"vendor-{v}", f"doc-{d}", f"https://host-{v}.example.com/doc-{d}") for v in range(20) for d in range(4)]
    for n in (1, 2, 3, 7):
        shards = [[t for t in targets if in_shard(t, i, n)] for i in range(1, n + 1)]
        assert sorted(t.key for s in shards for t in s) == sorted(t.key for t in targets)  # each exactly once
    assert all(in_shard(t, 1, 1) for t in targets)
    # the assignment depends on the document only, not on what else is watched
    alone = {t.key: next(i for i in range(1, 4) if in_shard(t, i, 3)) for t in targets[:5]}
    assert alone == {t.key: next(i for i in range(1, 4) if in_shard(t, i, 3)) for t in targets[:5]}
    assert len({next(i for i in range(1, 4) if in_shard(t, i, 3)) for t in targets}) == 3
    # all documents of one host share a shard, so parallel jobs never hit one host at once
    by_host = {}
    for t in targets:
        by_host.setdefault(t.url.split("/")[2], set()).add(next(i for i in range(1, 4) if in_shard(t, i, 3)))
    assert all(len(shards) == 1 for shards in by_host.values())


def test_shard_runs_add_up(site, capsys):
    vendors, store = site
    counts = []
    for shard in ("1/2", "2/2"):
        _, out, _ = run(capsys, "--vendors", str(vendors), "--store", str(store), "--json", "--shard", shard,
                        *FAST)
        counts.append(json.loads(out)["checked"])
    assert sum(counts) == 3


def test_environment_defaults(site, capsys, monkeypatch):
    vendors, store = site
    monkeypatch.setenv("ERPWATCH_VENDORS_DIR", str(vendors))
    monkeypatch.setenv("ERPWATCH_SNAPSHOTS_DIR", str(store))
    code, out, _ = run(capsys, "--json", "--vendor", "acme-tools", *FAST)
    assert code == 0 and json.loads(out)["checked"] == 2
    assert (store / "acme-tools" / "privacy" / "changes.jsonl").is_file()


def test_invalid_records_are_reported_and_the_others_checked(site, capsys):
    vendors, store = site
    (vendors / "broken.yaml").write_text("schema_version: 1\nid: broken\nname: Broken\n", encoding="utf-8")
    code, out, err = run(capsys, "--vendors", str(vendors), "--store", str(store), "--json",
                         "--vendor", "acme-tools", *FAST)
    assert code == 0 and json.loads(out)["checked"] == 2
    assert "skipped:" in err and "broken.yaml" in err


def test_load_targets_reads_selectors_and_render(tmp_path):
    write_vendor(tmp_path, "acme-tools", [policy("privacy", "https://acme-tools.example.com/p", select="main",
                                                 remove=".share", render="browser")])
    [t], problems = load_targets(tmp_path)
    assert problems == []
    assert (t.vendor, t.doc, t.select, t.remove, t.render) == ("acme-tools", "privacy", "main", ".share",
                                                               "browser")


def test_reextract_from_the_command_line(server, site, capsys):
    vendors, store = site
    run(capsys, "--vendors", str(vendors), "--store", str(store), "--vendor", "acme-tools", *FAST)
    write_vendor(vendors, "acme-tools", [policy("privacy", server.url("/acme/privacy"), select="p")])
    requests_before = len(server.log)
    code, out, _ = run(capsys, "--vendors", str(vendors), "--store", str(store), "--json", "--reextract",
                       "--vendor", "acme-tools", *FAST)
    summary = json.loads(out)
    assert code == 0 and len(server.log) == requests_before
    [item] = summary["changed"]
    assert item["technical"] is True and item["document"] == "privacy"


@pytest.mark.parametrize("module", ["scrapers.watch", "scrapers.check"])
def test_help(module):
    result = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True,
                            check=False,
                            cwd=REPO, timeout=60)
    assert result.returncode == 0 and "--allow-private" in result.stdout


# --- scrapers.check ---------------------------------------------------------------------------------

def test_check_prints_the_text(server, capsys):
    server.route("/p", policy_page(sentences(40)))
    code = check.main([server.url("/p"), "--allow-private", "--interval", "0"])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("# Privacy Policy") and "Clause 40" in out
    assert "warning" not in err
    assert len(server.requests_to("/p")) == 2


def test_check_warns_when_two_fetches_differ_and_when_text_is_short(server, capsys):
    counter = iter(range(100))
    from watch_fixtures.server import Reply
    server.route("/p", handler=lambda r: Reply(200, policy_page(sentences(3) + [f"Visitor {next(counter)}."]),
                                               headers={"Content-Type": "text/html"}))
    code = check.main([server.url("/p"), "--allow-private", "--interval", "0"])
    _, err = capsys.readouterr()
    assert code == 0
    assert "two fetches give different text" in err and "only" in err


def test_check_fails_on_a_selector_miss(server, capsys):
    server.route("/p", policy_page(sentences(10)))
    code = check.main([server.url("/p"), "--allow-private", "--interval", "0", "--select", "#nope"])
    assert code == 1 and "selector-miss" in capsys.readouterr().err


def test_extraction_in_worker_processes_gives_what_the_run_itself_gives(server, site, tmp_path, capsys):
    vendors, _ = site
    server.route("/bolt/privacy", "<html><body><p>Only a few words here.</p></body></html>")  # empty-extraction
    stores = {n: tmp_path / f"store-{n}" for n in (0, 2)}
    summaries = {}
    for n, store in stores.items():
        code, out, _ = run(capsys, "--vendors", str(vendors), "--store", str(store), "--json", "--processes", str(n),
                           *FAST)
        summaries[n] = json.loads(out)
        assert code == 1
    def without_ids(summary):
        return {k: [{f: v for f, v in i.items() if f != "change"} for i in summary[k]] if k != "checked" else summary[k]
                for k in summary}
    assert without_ids(summaries[2]) == without_ids(summaries[0])
    [failed] = summaries[2]["failed"]
    assert failed["failure"] == "empty-extraction" and "words extracted" in failed["message"]
    for doc in ("privacy", "terms"):
        texts = {n: open_store(s).current_text("acme-tools", doc) for n, s in stores.items()}
        assert texts[2] and texts[2] == texts[0]


def test_worker_processes_by_default_only_for_many_documents():
    assert extract_pool.default_processes(3) == 0
    cores = len(os.sched_getaffinity(0))
    assert extract_pool.default_processes(1000) == (min(cores, 4) if cores > 1 else 0)


def test_extract_pool_returns_texts_and_failures_from_its_workers():
    from scrapers.failures import Failure
    from scrapers.page import Page, page_text
    good = Page(policy_page(sentences(12, "a")), "https://example.com/p", 200, "utf-8")
    short = Page("<html><body><p>Too short.</p></body></html>", "https://example.com/p", 200, "utf-8")
    t = Target("acme-tools", "privacy", "https://example.com/p")
    with extract_pool.ExtractPool(1) as pool:
        assert pool.page_text(good, t) == page_text(good, t)
        with pytest.raises(Failure) as info:
            pool.page_text(short, t)
        assert info.value.kind == "empty-extraction" and info.value.http_status == 200
        assert not pool._broken  # answered by the worker, not by the fallback in this process
