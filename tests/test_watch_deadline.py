"""A server that trickles bytes (one a second) is cut at the per-document deadline (--deadline), which
covers every attempt, redirect hop, robots.txt and retry wait of one document together: the per-read
timeout never fires, and per response the 120 s limit times (retries + 1) x hops would be minutes."""

from __future__ import annotations

import json
import time

import pytest
from watch_fixtures.faults import Drip, FaultServer, head
from watch_fixtures.pages import policy_page, sentences
from watch_fixtures.records import policy, write_vendor

from scrapers import watch
from scrapers.failures import Failure
from scrapers.http import FetchConfig, HttpClient
from scrapers.netguard import AddressPolicy

DEADLINE = 2.0
SLOW = FetchConfig(host_delay=0, backoff=0.01, read_timeout=5, deadline=DEADLINE,
                   policy=AddressPolicy(allow_private=True))  # 120 s per response, 3 retries: the defaults


@pytest.fixture
def server():
    s = FaultServer().start()
    yield s
    s.stop()


def fetch(server, path: str, config: FetchConfig = SLOW) -> tuple[Failure, float]:
    start = time.monotonic()
    with HttpClient(config) as client, pytest.raises(Failure) as info:
        client.get(server.url(path))
    return info.value, time.monotonic() - start


@pytest.mark.parametrize("where", ["body", "headers"])
def test_a_trickle_is_cut_at_the_document_deadline(server, where):
    prefix = head(Content_Type="text/html", Content_Length="100000") + b"<p>" if where == "body" else \
        b"HTTP/1.1 200 OK\r\nX-Padding: "
    server.fault("/privacy", Drip(prefix, 1.0))
    failure, seconds = fetch(server, "/privacy")
    assert failure.kind == "timeout" and "deadline" in failure.message, failure.message
    assert DEADLINE - 0.2 < seconds < DEADLINE + 1.5


def test_the_deadline_covers_redirect_hops_and_robots(server):
    """robots.txt takes 0.8 s, then each redirect hop 0.5 s: every response completes, far within its own
    120 s, but together they pass the document's deadline."""
    server.route("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain", delay=0.8)
    for n in range(6):
        server.route(f"/hop{n}", status=302, headers={"Location": f"/hop{n + 1}"}, delay=0.5)
    server.route("/hop6", policy_page(sentences(20)))
    failure, seconds = fetch(server, "/hop0")
    assert failure.kind == "timeout" and "deadline" in failure.message
    assert DEADLINE - 0.2 < seconds < DEADLINE + 1.5
    assert server.requests_to("/hop1") and not server.requests_to("/hop6")


def test_a_retry_that_would_start_after_the_deadline_is_not_made(server):
    server.route("/privacy", status=503, body="<p>busy</p>")
    config = FetchConfig(host_delay=0, backoff=5, deadline=DEADLINE, policy=AddressPolicy(allow_private=True))
    failure, seconds = fetch(server, "/privacy", config)
    assert failure.kind == "timeout" and "before the next retry" in failure.message
    assert seconds < 1 and len(server.requests_to("/privacy")) == 1


def test_a_normal_page_is_not_affected(server):
    server.route("/privacy", policy_page(sentences(20)))
    with HttpClient(SLOW) as client:
        assert client.get(server.url("/privacy")).status == 200


def test_the_command_line_deadline(server, tmp_path, capsys):
    server.route("/ok", policy_page(sentences(14, "ok")))
    server.fault("/slow", Drip(head(Content_Type="text/html", Content_Length="100000") + b"<p>", 1.0))
    vendors = tmp_path / "vendors"
    write_vendor(vendors, "acme-tools", [policy("privacy", server.url("/slow")), policy("terms", server.url("/ok"))])
    start = time.monotonic()
    code = watch.main(["--vendors", str(vendors), "--store", str(tmp_path / "store"), "--json", "--allow-private",
                       "--host-delay", "0", "--processes", "0", "--deadline", "1.5"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1 and time.monotonic() - start < 6
    [failed] = summary["failed"]
    assert failed["document"] == "privacy" and failed["failure"] == "timeout" and "1.5 s deadline" in failed["message"]
    assert [c["document"] for c in summary["changed"]] == ["terms"]
    for bad in ("0", "-1", "nan"):
        with pytest.raises(SystemExit):
            watch.main(["--vendors", str(vendors), "--deadline", bad])
