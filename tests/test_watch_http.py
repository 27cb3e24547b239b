"""scrapers.http against the local server: retries, Retry-After, caps, redirects, conditional GET,
robots.txt, address checks, politeness."""

from __future__ import annotations

import gzip
import itertools
import threading
import time
from dataclasses import replace
from email.utils import formatdate

import pytest
from watch_fixtures.pages import FAST
from watch_fixtures.server import LocalServer, Reply, server2_fixture, server_fixture  # noqa: F401  (pytest fixtures)

from scrapers.failures import Failure
from scrapers.http import PRODUCT, HttpClient, _retry_after
from scrapers.netguard import AddressPolicy
from scrapers.robots import Robots


def fetch(url, config=FAST, **kw):
    with HttpClient(config) as client:
        return client.get(url, **kw)


def failure_of(url, config=FAST, **kw) -> Failure:
    with pytest.raises(Failure) as info:
        fetch(url, config, **kw)
    return info.value


def test_identifies_itself_with_a_contact_url(server):
    server.route("/p", "<p>hi</p>")
    fetch(server.url("/p"))
    agent = server.requests_to("/p")[0].headers["user-agent"]
    assert agent.startswith(PRODUCT + "/") and "+https://" in agent


def test_retries_5xx_then_succeeds(server):
    server.route("/p", responses=[Reply(503), Reply(502), Reply(200, "<p>ok</p>")])
    r = fetch(server.url("/p"))
    assert r.status == 200 and r.body == b"<p>ok</p>"
    assert len(server.requests_to("/p")) == 3


def test_retries_are_bounded(server):
    server.route("/p", status=500, body="down")
    r = fetch(server.url("/p"), replace(FAST, retries=2))
    assert r.status == 500
    assert len(server.requests_to("/p")) == 3  # first attempt + 2 retries


def test_4xx_is_not_retried(server):
    server.route("/p", status=404, body="gone")
    assert fetch(server.url("/p")).status == 404
    assert len(server.requests_to("/p")) == 1


def test_retry_after_seconds_is_honoured(server):
    server.route("/p", responses=[Reply(429, headers={"Retry-After": "1"}), Reply(200, "<p>ok</p>")])
    start = time.monotonic()
    assert fetch(server.url("/p"), replace(FAST, backoff=0.0)).status == 200
    first, second = server.requests_to("/p")
    assert second.time - first.time >= 0.95
    assert time.monotonic() - start < 5


def test_retry_after_longer_than_the_cap_is_not_waited_for(server):
    server.route("/p", status=503, headers={"Retry-After": "3600"}, body="maintenance")
    start = time.monotonic()
    f = failure_of(server.url("/p"), replace(FAST, retry_after_cap=5.0))
    assert f.kind == "http-status" and "3600" in f.message
    assert time.monotonic() - start < 2 and len(server.requests_to("/p")) == 1


def test_retry_after_http_date():
    assert _retry_after(formatdate(time.time() + 30, usegmt=True)) == pytest.approx(30, abs=2)
    assert _retry_after("7") == 7.0
    assert _retry_after("soon") is None


def test_connection_refused_is_a_network_failure_after_retries():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    f = failure_of(f"http://127.0.0.1:{port}/p", replace(FAST, robots=False))
    assert f.kind == "network"


def test_slow_server_is_a_timeout(server):
    server.route("/p", handler=lambda r: Reply(200, "<p>late</p>", delay=1.5))
    start = time.monotonic()
    f = failure_of(server.url("/p"), replace(FAST, read_timeout=0.3, retries=1))
    assert f.kind == "timeout"
    assert time.monotonic() - start < 3
    assert len(server.requests_to("/p")) == 2


def test_declared_length_over_the_cap_is_too_large(server):
    server.route("/p", "x" * 2000)
    f = failure_of(server.url("/p"), replace(FAST, max_bytes=1000))
    assert f.kind == "too-large"


def test_chunked_body_over_the_cap_is_too_large(server):
    server.route("/p", handler=lambda r: Reply(200, headers={"Content-Type": "text/html"},
                                                 chunks=[b"y" * 600] * 5))
    f = failure_of(server.url("/p"), replace(FAST, max_bytes=1000))
    assert f.kind == "too-large"


def test_gzip_bomb_stops_at_the_cap_on_decompressed_bytes(server):
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024), compresslevel=9)  # 50 MB that travel as ~50 KB
    assert len(bomb) < 200_000
    server.route("/p", bomb, headers={"Content-Encoding": "gzip"})
    start = time.monotonic()
    f = failure_of(server.url("/p"), replace(FAST, max_bytes=1024 * 1024))
    assert f.kind == "too-large" and "decompression" in f.message
    assert time.monotonic() - start < 5


def test_gzip_body_under_the_cap_is_decompressed(server):
    server.route("/p", gzip.compress(b"<p>small</p>"), headers={"Content-Encoding": "gzip"})
    assert fetch(server.url("/p")).body == b"<p>small</p>"


def test_redirects_are_followed_and_recorded(server):
    server.route("/a", status=301, headers={"Location": "/b"})
    server.route("/b", status=302, headers={"Location": server.url("/c")})
    server.route("/c", "<p>final</p>")
    r = fetch(server.url("/a"))
    assert r.status == 200 and r.final_url == server.url("/c")
    assert r.redirects == [server.url("/a"), server.url("/b")]


def test_redirect_loop_is_stopped(server):
    server.route("/a", status=302, headers={"Location": "/b"})
    server.route("/b", status=302, headers={"Location": "/a"})
    f = failure_of(server.url("/a"), replace(FAST, max_redirects=5))
    assert f.kind == "http-status" and "redirects" in f.message
    assert len(server.log) <= 5 + 1 + 1  # hops + robots.txt


def test_conditional_get_sends_validators_and_returns_304(server):
    def conditional(request):
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(200, "<p>body</p>", headers={"ETag": '"v1"', "Content-Type": "text/html"})
    server.route("/p", handler=conditional)
    first = fetch(server.url("/p"))
    assert first.status == 200 and first.headers["etag"] == '"v1"'
    second = fetch(server.url("/p"), etag='"v1"', last_modified="Sat, 01 Nov 2025 00:00:00 GMT")
    assert second.not_modified and second.body == b""
    sent = server.requests_to("/p")[1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"].startswith("Sat, 01 Nov 2025")


# --- private addresses ---------------------------------------------------------------------------

def test_loopback_is_refused_without_allow_private(server):
    server.route("/p", "<p>secret</p>")
    f = failure_of(server.url("/p"), replace(FAST, policy=AddressPolicy()))
    assert f.kind == "private-address" and "127.0.0.1" in f.message
    assert server.log == []  # not even robots.txt was asked for


def test_redirect_to_a_private_address_is_refused(server, server2):
    # `server` plays a public site (exempted by address and port); it redirects to 127.0.0.2, private.
    server2.route("/internal", "<p>internal admin page</p>")
    server.route("/p", status=302, headers={"Location": server2.url("/internal")})
    policy = AddressPolicy(exempt=frozenset({("127.0.0.1", server.port)}))
    f = failure_of(server.url("/p"), replace(FAST, policy=policy))
    assert f.kind == "private-address" and "127.0.0.2" in f.message
    assert len(server.requests_to("/p")) == 1 and server2.log == []


def test_redirect_to_127_0_0_1_is_refused(server):
    internal = LocalServer("127.0.0.1").start()  # same address as `server`, another port: not exempt
    try:
        internal.route("/admin", "<p>internal admin page</p>")
        server.route("/p", status=302, headers={"Location": internal.url("/admin")})
        policy = AddressPolicy(exempt=frozenset({("127.0.0.1", server.port)}))
        f = failure_of(server.url("/p"), replace(FAST, policy=policy))
        assert f.kind == "private-address" and "127.0.0.1" in f.message
        assert internal.log == []
    finally:
        internal.stop()


def test_redirect_to_localhost_by_name_is_refused(server, server2):
    # by name this time: "localhost" resolves to loopback addresses, none of them exempt on that port
    server.route("/p", status=302, headers={"Location": f"http://localhost:{server2.port}/q"})
    policy = AddressPolicy(exempt=frozenset({("127.0.0.1", server.port)}))
    f = failure_of(server.url("/p"), replace(FAST, policy=policy))
    assert f.kind == "private-address" and "localhost" in f.message


@pytest.mark.parametrize("ip, refused", [
    ("127.0.0.1", True), ("10.0.0.8", True), ("172.16.5.4", True), ("192.168.1.1", True),
    ("169.254.169.254", True), ("0.0.0.0", True), ("224.0.0.251", True), ("100.64.0.1", True),
    ("::1", True), ("::", True), ("fe80::1", True), ("fc00::1", True), ("ff02::1", True),
    ("::ffff:127.0.0.1", True), ("::ffff:10.0.0.1", True), ("64:ff9b::a00:1", True),
    ("8.8.8.8", False), ("2606:4700:4700::1111", False), ("::ffff:8.8.8.8", False),
])
def test_address_classes(ip, refused):
    assert (AddressPolicy().refusal(ip) is not None) is refused
    assert AddressPolicy(allow_private=True).refusal(ip) is None


def test_non_http_redirect_is_refused(server):
    server.route("/p", status=302, headers={"Location": "file:///etc/passwd"})
    assert failure_of(server.url("/p")).kind == "http-status"


# --- robots.txt ------------------------------------------------------------------------------------

def test_robots_disallow_is_a_robots_failure_and_fetched_once_per_run(server):
    server.route("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.route("/private/policy", "<p>x</p>")
    server.route("/public/policy", "<p>y</p>")
    with HttpClient(FAST) as client:
        with pytest.raises(Failure) as info:
            client.get(server.url("/private/policy"))
        assert info.value.kind == "robots"
        assert client.get(server.url("/public/policy")).status == 200
    assert server.requests_to("/private/policy") == []
    assert len(server.requests_to("/robots.txt")) == 1


def test_robots_checked_on_every_redirect_hop(server):
    server.route("/robots.txt", "User-agent: *\nDisallow: /members\n", content_type="text/plain")
    server.route("/p", status=301, headers={"Location": "/members/terms"})
    assert failure_of(server.url("/p")).kind == "robots"


def test_robots_server_error_means_disallow(server):
    server.route("/robots.txt", status=503, body="down")
    server.route("/p", "<p>x</p>")
    f = failure_of(server.url("/p"))
    assert f.kind == "robots" and "503" in f.message
    assert server.requests_to("/p") == []


def test_missing_robots_allows_everything(server):
    server.route("/p", "<p>x</p>")  # /robots.txt answers 404
    assert fetch(server.url("/p")).status == 200


@pytest.mark.parametrize("rules, path, allowed", [
    ("User-agent: *\nDisallow: /", "/privacy", False),
    ("User-agent: *\nDisallow: /\nAllow: /legal/", "/legal/privacy", True),       # longest match wins
    ("User-agent: *\nDisallow: /legal/privacy\nAllow: /legal/", "/legal/privacy", False),
    ("User-agent: *\nAllow: /p\nDisallow: /p", "/p", True),                       # tie: allow wins
    ("User-agent: *\nDisallow: /*.pdf$", "/terms.pdf", False),
    ("User-agent: *\nDisallow: /*.pdf$", "/terms.pdf.html", True),
    ("User-agent: *\nDisallow: /*?session=", "/p?session=1", False),
    ("User-agent: *\nDisallow:", "/anything", True),                              # empty disallow
    ("User-agent: ERPWatchBot\nDisallow: /\n\nUser-agent: *\nAllow: /", "/p", False),  # our group
    ("User-agent: erpwatchbot\nUser-agent: other\nDisallow: /x", "/x/y", False),  # grouped agents
    ("User-agent: Googlebot\nDisallow: /", "/p", True),                           # not for us
    ("User-agent: *\nDisallow: /%7Euser/", "/~user/terms", False),                # percent-encoding
])
def test_robots_rules(rules, path, allowed):
    assert Robots.parse(rules, PRODUCT).allows("https://example.com" + path) is allowed


def test_crawl_delay_is_read_and_capped():
    assert Robots.parse("User-agent: *\nCrawl-delay: 2", PRODUCT).crawl_delay == 2.0
    assert Robots.parse("User-agent: *\nCrawl-delay: 3600", PRODUCT).crawl_delay == 10.0


# --- politeness ------------------------------------------------------------------------------------

@pytest.mark.parametrize("response_time, delay", [(0.1, 0.3), (0.3, 0.1)])
def test_one_request_at_a_time_per_host_with_a_delay(server, response_time, delay):
    server.route("/p", handler=lambda r: Reply(200, "<p>x</p>", delay=response_time))
    config = replace(FAST, host_delay=delay)
    with HttpClient(config) as client:
        threads = [threading.Thread(target=client.get, args=(server.url("/p"),)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    requests = sorted(server.requests_to("/p"), key=lambda r: r.time)
    # Never two at once: each request starts after the previous reply was written. (The server's own
    # "active" counter can't tell: it drops only after its handler thread is scheduled again, by when the
    # client may already have read the reply and sent the next request; hence the 50 ms allowance, far
    # below the reply's own `response_time`.)
    assert all(b.time >= a.end - 0.05 for a, b in itertools.pairwise(requests))
    gaps = [b.time - a.time for a, b in itertools.pairwise(requests)]
    # Starts are `delay` apart (counted from the previous start), and a slow response is never overlapped.
    assert min(gaps) >= max(response_time, delay) - 0.02


def test_crawl_delay_applies_to_its_host_only(server, server2):
    server.route("/robots.txt", "User-agent: *\nCrawl-delay: 0.4\n", content_type="text/plain")
    for s in (server, server2):
        s.route("/p", "<p>x</p>")
    with HttpClient(replace(FAST, host_delay=0.0)) as client:
        for _ in range(3):
            client.get(server.url("/p"))
            client.get(server2.url("/p"))
        assert client.crawl_delay(server.host) == 0.4
        assert client.crawl_delay(server2.host) == 0.0
    times = [r.time for r in server.requests_to("/p")]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.4 - 0.02


def test_different_hosts_are_fetched_in_parallel(server, server2):
    for s in (server, server2):
        s.route("/p", handler=lambda r: Reply(200, "<p>x</p>", delay=0.5))
    with HttpClient(FAST) as client:
        threads = [threading.Thread(target=client.get, args=(s.url("/p"),)) for s in (server, server2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    [a], [b] = server.requests_to("/p"), server2.requests_to("/p")
    assert abs(a.time - b.time) < 0.4  # one after the other, they would start at least 0.5 s apart


def test_an_unreachable_host_is_not_knocked_on_again_for_each_document(server):
    server.route("/robots.txt", handler=lambda r: Reply(200, "", delay=1.0))
    with HttpClient(replace(FAST, read_timeout=0.2, retries=1)) as client:
        for path in ("/a", "/b"):
            with pytest.raises(Failure) as info:
                client.get(server.url(path))
            assert info.value.kind == "timeout"
    assert len(server.requests_to("/robots.txt")) == 2  # first document: 1 try + 1 retry; second: none
    assert "earlier in this run" in info.value.message
