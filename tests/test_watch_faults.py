"""The watcher against a fault-injecting local server, through its real command line.

Every case first has a good version of a fictional vendor's page recorded (one run for all of them),
then the server answers that page's URL with a fault and the watcher runs again, in a subprocess whose
peak memory is measured (watch_fixtures.measured). Each fault must give the expected failure class in
the `--json` summary and in status.json (exit 1, no traceback), or — for the faults a browser would read
through (a bogus charset label, deep nesting) — decode to the same text: unchanged, exit 0. Either way
the store's change log, versions, raw HTML and current.md stay byte for byte as the good run left them
(no false change, the last good version kept), and the process stays under MEMORY_LIMIT_MB.

Runs use --timeout 1 (read timeout), a 1.5 s overall deadline per response and 1 retry (set by the
wrapper: the command line has no flag for them, and the defaults, 120 s and 3 retries, are for the
internet). The slow drips send a byte every 0.25 s: faster than the read timeout, so only the overall
deadline can stop them.

The figures (class, peak RSS, time per case) are printed with -s and written to
test-artifacts/watch-faults.md. Each case counts towards the "watcher-faults" line of the summary.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_watch_decode import ZH_HANS
from test_watch_decode import page as plain_page
from test_watch_pipeline import CHALLENGE
from watch_fixtures.faults import Big, Chunks, Drip, FaultServer, Reset, Send, bomb, filler_html, head
from watch_fixtures.measured import run_watch
from watch_fixtures.pages import policy_page, sentences
from watch_fixtures.records import policy, write_vendor

from scrapers.store import open_store

REPO = Path(__file__).resolve().parent.parent
MEMORY_LIMIT_MB = 300
DEADLINE = 1.5    # overall limit per response
RETRIES = 1
DRIP = 0.25       # seconds between two bytes of a slow drip (the read timeout is 1 s)
MB = 1024 * 1024
CLI = ["--json", "--allow-private", "--host-delay", "0", "--backoff", "0.01", "--timeout", "1"]


@dataclass
class Case:
    id: str           # also the fictional vendor's id
    expected: str | None  # failure class; None: read through, unchanged
    good: bytes | None = None  # the good page (default: an English policy page)
    content_type: str = "text/html; charset=utf-8"
    extra: dict = field(default_factory=dict)  # case-specific checks


def english(case_id: str) -> str:
    return policy_page(sentences(12, f" ({case_id})"))


ZH_PAGE = plain_page(ZH_HANS * 2 + [p.replace("。", "，并且每年审查一次。") for p in ZH_HANS])
GBK = "text/html; charset=gbk"

CASES = [
    # --- HTTP errors -------------------------------------------------------------------------------
    Case("http-500", "http-status"),
    Case("http-503", "http-status"),
    Case("http-404", "http-status"),
    Case("http-403", "http-status"),
    Case("http-429-retry-after", "http-status"),            # honoured (1 s), then still 429
    Case("http-429-retry-after-too-long", "http-status"),   # 3600 s: not retried this run
    # --- the network -------------------------------------------------------------------------------
    Case("slow-drip-body", "timeout"),          # Content-Length body, one byte every 0.25 s
    Case("slow-drip-headers", "timeout"),       # status line, then a header one byte at a time
    Case("slow-drip-chunked", "timeout"),       # one small chunk every 0.25 s, for ever
    Case("connection-reset", "network"),        # RST instead of an answer
    Case("connection-reset-mid-body", "network"),
    Case("truncated-body", "network"),          # half the Content-Length, then the connection closes
    Case("truncated-chunked", "network"),       # closes before the last (empty) chunk
    Case("content-length-too-long", "timeout"),  # declares 2 KB more than it sends, keeps the line open
    # declares less than it sends: what it declares is the response (browsers show the same); cut by
    # more than half, the shrink guard holds it back
    Case("content-length-too-short", "suspicious-shrink"),
    # --- redirects and pages that are not the document ----------------------------------------------
    Case("redirect-loop", "http-status"),
    Case("redirect-to-login", "login-or-home"),
    Case("redirect-to-home", "login-or-home"),
    Case("bot-challenge-200", "bot-challenge"),
    Case("empty-body", "empty-extraction"),
    # --- size --------------------------------------------------------------------------------------
    Case("body-50mb-declared", "too-large"),    # refused from its Content-Length
    Case("body-50mb-chunked", "too-large"),     # no length: counted while streaming
    Case("body-50mb-unframed", "too-large"),    # no length, not chunked: ends when the server closes
    Case("endless-chunked-stream", "too-large"),
    Case("gzip-bomb", "too-large"),             # 100 MB of HTML in ~350 KB
    Case("deflate-bomb", "too-large"),
    Case("gzip-bomb-twice", "too-large"),       # Content-Encoding: gzip, gzip
    # --- content -----------------------------------------------------------------------------------
    Case("not-html", "decode"),                 # %PDF- then junk: a broken PDF
    Case("nul-bytes", None),                    # three stray NULs in a page: removed, the same text
    Case("png-as-html", "decode"),              # an image under text/html, named
    # a label no one knows falls through to the next rule: UTF-8 bytes are UTF-8, GBK is detected
    Case("charset-unknown-label", None, ZH_PAGE.encode("utf-8")),
    Case("charset-unknown-label-gbk", None, ZH_PAGE.encode("gbk"), GBK),
    # utf-16 declared for 8-bit bytes: its strict decode fails, the detector finds GBK
    Case("charset-utf16-label-on-gbk", None, ZH_PAGE.encode("gbk"), GBK),
    # declared UTF-8 with a stray invalid byte: no charset fits (README: decode), nothing recorded
    Case("charset-invalid-utf8-bytes", "decode", ZH_PAGE.encode("utf-8")),
    Case("nested-100000-deep", None),           # the policy inside 100,000 nested <div>s
]


def install(server: FaultServer, case: Case, base: str) -> None:
    """Make `base` (the case's watched URL path) answer with the case's fault."""
    good = case.good or english(case.id).encode()
    html = "text/html; charset=utf-8"
    match case.id:
        case "http-500" | "http-503" | "http-404" | "http-403":
            server.route(base, status=int(case.id[-3:]), body="<p>error</p>")
        case "http-429-retry-after":
            server.route(base, status=429, headers={"Retry-After": "1"}, body="<p>slow down</p>")
        case "http-429-retry-after-too-long":
            server.route(base, status=429, headers={"Retry-After": "3600"}, body="<p>slow down</p>")
        case "slow-drip-body":
            server.fault(base, Drip(head(Content_Type=html, Content_Length=str(100 * len(good))) + good[:200],
                                    DRIP))
        case "slow-drip-headers":
            server.fault(base, Drip(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: ", DRIP))
        case "slow-drip-chunked":
            server.fault(base, Chunks(b"<p>a</p>", interval=DRIP))
        case "connection-reset":
            server.fault(base, Reset())
        case "connection-reset-mid-body":
            server.fault(base, Reset(head(Content_Type=html, Content_Length=str(len(good))) + good[:600]))
        case "truncated-body":
            server.fault(base, Send(head(Content_Type=html, Content_Length=str(len(good))) + good[:len(good) // 2]))
        case "truncated-chunked":
            server.fault(base, Chunks(good[:1000], count=1, finish=False))
        case "content-length-too-long":
            server.fault(base, Send(head(Content_Type=html, Content_Length=str(len(good) + 2048)) + good,
                                    hold=10))
        case "content-length-too-short":
            server.fault(base, Send(head(Content_Type=html, Content_Length=str(len(good) // 3)) + good))
        case "redirect-loop":
            server.route(base, status=302, headers={"Location": base + "-again"})
            server.route(base + "-again", status=302, headers={"Location": base})
        case "redirect-to-login":
            server.route(base, status=302, headers={"Location": f"/account/login?next={base}"})
            server.route("/account/login", "<html><head><title>Sign in</title></head><body><form method=post>"
                         "<input name=email><input type=password name=pw><button>Sign in</button></form>"
                         "</body></html>")
        case "redirect-to-home":
            server.route(base, status=301, headers={"Location": "/"})
            server.route("/", policy_page(sentences(30, " (home)"), title="Home"))
        case "bot-challenge-200":
            server.route(base, CHALLENGE)
        case "empty-body":
            server.route(base, b"")
        case "body-50mb-declared":
            server.fault(base, Big(50 * MB))
        case "body-50mb-chunked":
            server.fault(base, Chunks(filler_html(64 * 1024), count=50 * 16))
        case "body-50mb-unframed":
            server.fault(base, Big(50 * MB, length=False))
        case "endless-chunked-stream":
            server.fault(base, Chunks(filler_html(64 * 1024)))
        case "gzip-bomb" | "deflate-bomb" | "gzip-bomb-twice":
            encoding = {"gzip-bomb": "gzip", "deflate-bomb": "deflate", "gzip-bomb-twice": "gzip, gzip"}[case.id]
            server.route(base, bomb(100 * MB, encoding), headers={"Content-Encoding": encoding})
        case "not-html":
            server.route(base, b"%PDF-1.7\n" + bytes(range(256)) * 40, content_type="application/pdf")
        case "png-as-html":
            server.route(base, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), content_type=html)
        case "nul-bytes":
            server.route(base, good.replace(b"<main>", b"<main>\0\0\0"), content_type=html)
        case "charset-unknown-label":
            server.route(base, good.replace(b"<head>", b"<head><meta charset='x-no-such-charset'>"),
                         content_type="text/html; charset=x-no-such-charset")
        case "charset-unknown-label-gbk":
            server.route(base, good, content_type="text/html; charset=x-no-such-charset")
        case "charset-utf16-label-on-gbk":
            server.route(base, good, content_type="text/html; charset=utf-16")
        case "charset-invalid-utf8-bytes":
            server.route(base, good.replace(b"<head>", b"<head><script>var s = '\xff';</script>"), content_type=html)
        case "nested-100000-deep":
            n = 100_000
            deep = good.replace(b"<main>", b"<div>" * n + b"<main>").replace(b"</main>", b"</main>" + b"</div>" * n)
            server.route(base, deep)
        case _:
            raise AssertionError(f"no fault for {case.id}")


def path_of(case: Case) -> str:
    return f"/{case.id}/privacy"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The fault server, one fictional vendor per case, and a store holding each one's good version."""
    server = FaultServer().start()
    root = tmp_path_factory.mktemp("faults")
    vendors, store = root / "vendors", root / "store"
    for case in CASES:
        server.route(path_of(case), case.good or english(case.id), content_type=case.content_type)
        write_vendor(vendors, case.id, [policy("privacy", server.url(path_of(case)))])
    code, out, err, _ = run_watch(["--vendors", str(vendors), "--store", str(store), *CLI])
    assert code == 0, err
    assert len(json.loads(out)["changed"]) == len(CASES)
    results: dict[str, dict] = {}
    yield server, vendors, store, results
    server.stop()
    report(results)


def report(results: dict[str, dict]) -> None:
    if not results:
        return
    lines = ["| fault | expected | got | peak RSS (MiB) | seconds |", "|---|---|---|---|---|"]
    for case in CASES:
        r = results.get(case.id)
        if r:
            lines.append(f"| {case.id} | {case.expected or 'unchanged'} | {r['got']} | {r['rss']:.0f} | "
                         f"{r['seconds']:.1f} |")
    table = "\n".join(lines) + "\n"
    print("\n" + table)
    out = REPO / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "watch-faults.md").write_text(table, encoding="utf-8")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a document except status.json (which changes on every run by design)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "status.json"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault(site, case, suite):
    server, vendors, store_dir, results = site
    base = path_of(case)
    store = open_store(store_dir)
    folder = store_dir / case.id / "privacy"
    before, good_status = snapshot(folder), store.status(case.id, "privacy")
    good_text = store.current_text(case.id, "privacy")
    assert good_text and good_status["failure"] is None
    install(server, case, base)
    seen = len(server.log)
    start = time.monotonic()
    try:
        code, out, err, rss = run_watch(["--vendors", str(vendors), "--store", str(store_dir), "--vendor", case.id,
                                         *CLI], total_timeout=DEADLINE, retries=RETRIES, timeout=60)
    finally:
        server.route(base, case.good or english(case.id), content_type=case.content_type)  # the good page again
    seconds = time.monotonic() - start
    requests = [r for r in server.log[seen:] if r.path.startswith(base)]

    summary = json.loads(out) if out.strip().startswith("{") else None
    status = store.status(case.id, "privacy")
    if summary is None:
        got = "crash"
    elif summary["failed"]:
        got = summary["failed"][0]["failure"]
    else:
        got = "changed" if summary["changed"] else "unchanged"
    lost = store.current_text(case.id, "privacy") != good_text or snapshot(folder) != before
    handled = (code == (1 if case.expected else 0) and "Traceback" not in err and got == (case.expected or "unchanged")
               and status["failure"] == case.expected and rss < MEMORY_LIMIT_MB)
    results[case.id] = {"got": got, "rss": rss, "seconds": seconds}
    suite("watcher-faults", tried=1, rejected=int(handled and not lost), escaped=int(not handled), lost=int(lost))

    assert "Traceback" not in err, err
    assert summary is not None, (code, out, err)
    assert got == (case.expected or "unchanged"), (summary, err[-2000:])
    assert code == (1 if case.expected else 0)
    assert summary["checked"] == 1
    if case.expected:
        [item] = summary["failed"]
        assert (item["vendor"], item["document"]) == (case.id, "privacy") and item["message"]
        assert status["failure"] == case.expected and status["message"] == item["message"]
        assert status["consecutive_failures"] == 1
        assert status["last_success_at"] == good_status["last_success_at"]
    else:
        assert status["failure"] is None
    # no false change, the last good version kept: every file but status.json as the good run left it
    assert not lost, sorted(set(snapshot(folder).items()) ^ set(before.items()))[:4]
    assert rss < MEMORY_LIMIT_MB, f"peak RSS {rss:.0f} MiB"

    # what makes each fault the fault it claims to be
    message = status["message"] if case.expected else ""
    if case.id.startswith("slow-drip"):
        # stopped by the overall deadline (the read timeout never fires), once per attempt
        assert "no complete response" in message or "not complete after" in message, message
        assert len(requests) == RETRIES + 1
        assert seconds < 30  # without the deadline each attempt would last the server's 60 s
    if case.id == "content-length-too-long":
        assert "timed out" in message
    if case.id == "http-429-retry-after":
        assert len(requests) == RETRIES + 1 and requests[1].time - requests[0].time >= 0.95
    if case.id == "http-429-retry-after-too-long":
        assert len(requests) == 1 and "3600" in message
    if case.id in ("body-50mb-chunked", "body-50mb-unframed", "endless-chunked-stream") or "bomb" in case.id:
        assert "after decompression" in message
    if case.id == "body-50mb-declared":
        assert "Content-Length" in message
    if case.id == "content-length-too-short":
        assert status["pending_shrink"]["seen"] == 1


@pytest.mark.xfail(strict=True, reason="known limit: a Content-Length a little shorter than the body cuts "
                   "the page where it says, as in browsers; the watcher records the cut text as a change")
def test_content_length_a_little_too_short_is_a_false_change(tmp_path):
    """Not counted in the suite summary: it documents what the watcher cannot tell apart (the declared
    length is the response, and a cut of less than half the text passes the shrink guard)."""
    server = FaultServer().start()
    try:
        good = english("short-length").encode()
        server.route("/privacy", good)
        write_vendor(tmp_path / "vendors", "short-length", [policy("privacy", server.url("/privacy"))])
        argv = ["--vendors", str(tmp_path / "vendors"), "--store", str(tmp_path / "store"), *CLI]
        assert run_watch(argv)[0] == 0
        server.fault("/privacy", Send(head(Content_Type="text/html", Content_Length=str(len(good) - 200)) + good))
        run_watch(argv, total_timeout=DEADLINE, retries=RETRIES, timeout=60)
    finally:
        server.stop()
    events = open_store(tmp_path / "store").changes("short-length", "privacy")
    assert len(events) == 1, "the cut page was recorded as a new version"


def test_after_the_faults_every_good_page_reads_unchanged(site):
    """The good pages again: nothing failed, nothing changed (the faults left no trace)."""
    _, vendors, store_dir, _ = site
    code, out, err, _ = run_watch(["--vendors", str(vendors), "--store", str(store_dir), *CLI])
    summary = json.loads(out)
    assert code == 0 and summary["failed"] == [] and summary["changed"] == [], (summary, err[-2000:])
    store = open_store(store_dir)
    for case in CASES:
        assert len(store.changes(case.id, "privacy")) == 1
        assert store.status(case.id, "privacy")["consecutive_failures"] == 0

