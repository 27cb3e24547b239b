"""The watcher's only way to the network.

One client per run: a fixed, identifying User-Agent; connect and read timeouts plus an overall deadline
per response; bounded retries with exponential backoff on connection errors, timeouts, 429 and 5xx,
honouring Retry-After up to a cap (a server asking for a longer pause is not retried this run); a size
cap counted on the *decompressed* bytes while streaming (a gzip bomb stops at the cap); redirects
followed by hand so every hop is checked (scheme, robots.txt, address); conditional GET; robots.txt
fetched once per origin per run; at most one request at a time per host, and two requests to the same host
start at least a pause apart (the larger of the configured delay and the site's Crawl-delay, capped),
counted from the start of the previous request.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from scrapers import __version__
from scrapers.deadlines import ResponseDeadline, watched
from scrapers.failures import HTTP_STATUS, NETWORK, PRIVATE_ADDRESS, ROBOTS, TIMEOUT, TOO_LARGE, Failure
from scrapers.netguard import AddressPolicy, BlockedAddress, pool_classes
from scrapers.robots import MAX_BYTES as ROBOTS_MAX_BYTES
from scrapers.robots import Robots

PRODUCT = "ERPWatchBot"
USER_AGENT = f"{PRODUCT}/{__version__} (+https://github.com/erpwatch/erpwatch; policy watcher)"
REDIRECTS = {301, 302, 303, 307, 308}
RETRY_STATUSES = {429, 500, 502, 503, 504}  # other 5xx (501, 505, ...) won't get better by retrying


@dataclass(frozen=True)
class FetchConfig:
    user_agent: str = USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0      # per response, against servers that trickle bytes forever
    deadline: float = 300.0           # per document: every attempt, redirect, robots.txt and wait together
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 10
    retries: int = 3                  # extra attempts after the first
    backoff: float = 2.0              # first wait; doubles each retry
    retry_after_cap: float = 60.0
    host_delay: float = 1.0           # pause between two requests to the same host
    robots: bool = True
    policy: AddressPolicy = field(default_factory=AddressPolicy)


@dataclass
class Response:
    url: str                 # what was asked for
    final_url: str           # after redirects
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    redirects: list[str] = field(default_factory=list)  # every URL visited before final_url

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, policy: AddressPolicy):
        self._policy = policy
        super().__init__(max_retries=0)  # retries are ours, so that each is visible and paced

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = watched(pool_classes(self._policy))


class HostGate:
    """At most one request at a time per host, and two requests to a host start at least `delay` seconds
    apart.

    The delay counts from the *start* of the previous request (as Scrapy's DOWNLOAD_DELAY does), not from
    the end of its response: a host sees at most one request every `delay` seconds and never two at once,
    however slowly it answers; a slow answer is not followed by a further full pause. (Counting from the
    end made every document cost latency + delay: 6.8 s per host for robots.txt and 5 pages at 300 ms.)"""

    def __init__(self):
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._last: dict[str, float] = {}  # host -> when its last request started
        self._guard = threading.Lock()

    @contextmanager
    def slot(self, host: str, delay: float):
        with self._guard:
            lock = self._locks[host]
        with lock:
            wait = self._last.get(host, -1e9) + delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last[host] = time.monotonic()
            yield


class HttpClient:
    def __init__(self, config: FetchConfig | None = None):
        self.config = config or FetchConfig()
        # requests.Session is not documented as thread-safe: one per worker thread.
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._gate = HostGate()
        self._robots: dict[str, Robots] = {}
        self._crawl_delays: dict[str, float] = {}  # host -> the largest Crawl-delay of its origins
        self._unreachable: dict[str, Failure] = {}
        self._robots_lock: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._robots_guard = threading.Lock()

    def close(self) -> None:
        for session in self._sessions:
            session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- public ----------------------------------------------------------------------------------

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Response:
        """Fetch `url`, following redirects; raises Failure. A 304 is returned, not raised."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        visited: list[str] = []
        current = url
        until = time.monotonic() + self.config.deadline
        while True:
            self.check_url(current, until)
            response = self._with_retries(current, headers, until=until)
            if response.status in REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise Failure(HTTP_STATUS, f"HTTP {response.status} without a Location", response.status,
                                  current)
                visited.append(current)
                if len(visited) > self.config.max_redirects:
                    raise Failure(HTTP_STATUS, f"more than {self.config.max_redirects} redirects",
                                  response.status, current)
                current = urljoin(current, location.strip())
                continue
            response.url, response.redirects = url, visited
            return response

    def check_url(self, url: str, until: float | None = None) -> None:
        """Scheme and robots.txt checks for one URL (each redirect hop goes through this too); `until`: the
        document's deadline (time.monotonic()), which a first fetch of robots.txt counts against."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Failure(HTTP_STATUS, f"not an http(s) URL: {url}", final_url=url)
        if self.config.robots and not self.robots_for(url, until).allows(url):
            robots = self.robots_for(url)
            why = robots.reason or "robots.txt disallows this path for " + PRODUCT
            raise Failure(ROBOTS, f"{why}: {url}", final_url=url)

    def robots_for(self, url: str, until: float | None = None) -> Robots:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        with self._robots_guard:
            lock = self._robots_lock[origin]
        with lock:  # one fetch per origin even when several threads ask at once
            if origin in self._unreachable:
                # Don't knock again on a host that could not be reached earlier in this run.
                f = self._unreachable[origin]
                raise Failure(f.kind, f"{f.message} (earlier in this run)", final_url=url)
            if origin not in self._robots:
                try:
                    robots = self._fetch_robots(origin, until)
                    if robots.crawl_delay:
                        host = parts.hostname or ""
                        self._crawl_delays[host] = max(self._crawl_delays.get(host, 0.0), robots.crawl_delay)
                    self._robots[origin] = robots
                except Failure as f:
                    if f.kind in (NETWORK, TIMEOUT):
                        self._unreachable[origin] = f
                    raise
            return self._robots[origin]

    def crawl_delay(self, host: str) -> float:
        """The pause between two requests to `host`: the configured delay or the host's Crawl-delay.
        (A lookup by host: scanning every origin's robots.txt on each request cost O(hosts) per request,
        8 of the 60 profiled CPU seconds of a 200-host run.)"""
        return max(self.config.host_delay, self._crawl_delays.get(host, 0.0))

    # --- internals -------------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxies or .netrc from the environment: we pin addresses
            adapter = _GuardedAdapter(self.config.policy)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
            with self._robots_guard:
                self._sessions.append(session)
        return session

    def _fetch_robots(self, origin: str, until: float | None = None) -> Robots:
        url = origin + "/robots.txt"
        small = replace(self.config, max_bytes=ROBOTS_MAX_BYTES * 2)
        current = url
        try:
            for _ in range(5):  # the RFC asks to follow at least five redirects
                r = self._with_retries(current, {}, config=small, truncate=True, until=until)
                if r.status in REDIRECTS and r.headers.get("location"):
                    current = urljoin(current, r.headers["location"])
                    if urlsplit(current).scheme not in ("http", "https"):
                        break
                    continue
                break
            else:
                return Robots()  # too many redirects: the RFC treats that as "unavailable"
        except Failure as f:
            if f.kind in (PRIVATE_ADDRESS, NETWORK, TIMEOUT):
                raise  # the host itself is unreachable (or refused): that is the document's failure too
            return Robots.unreachable(f"robots.txt could not be read ({f.message}); "
                                      "RFC 9309 says to assume everything is disallowed")
        if 200 <= r.status < 300:
            return Robots.parse(r.body.decode("utf-8", "replace"), PRODUCT)
        if r.status == 429 or r.status >= 500:
            return Robots.unreachable(f"robots.txt answered HTTP {r.status}; RFC 9309 says to assume "
                                      "everything is disallowed while the server fails")
        return Robots()  # 4xx: no robots.txt, everything allowed

    def _with_retries(self, url: str, headers: dict, config: FetchConfig | None = None,
                      truncate: bool = False, until: float | None = None) -> Response:
        """`until`: the document's deadline. Each attempt's overall limit is cut to what is left of it, and
        a retry that could not start before it is not made: a server that trickles bytes, answers 503 or
        redirects costs at most the deadline, not (retries + 1) x redirects x the per-response limit."""
        config = config or self.config
        attempt = 0
        while True:
            try:
                response = self._once(url, headers, _within(config, until), truncate)
            except Failure as f:
                if until is not None and f.kind == TIMEOUT and time.monotonic() >= until - 0.05:
                    raise _past_deadline(self.config, url, f) from None
                if f.kind not in (NETWORK, TIMEOUT) or attempt >= config.retries:
                    raise
                wait = config.backoff * 2 ** attempt
            else:
                if response.status not in RETRY_STATUSES:
                    return response
                wait = _retry_after(response.headers.get("retry-after"))
                if wait is not None and wait > config.retry_after_cap:
                    raise Failure(HTTP_STATUS, f"HTTP {response.status}; the server asks to retry after "
                                  f"{wait:.0f} s, longer than the {config.retry_after_cap:.0f} s we wait",
                                  response.status, url)
                if attempt >= config.retries:
                    return response
                if wait is None:
                    wait = config.backoff * 2 ** attempt
            attempt += 1
            wait = min(wait, config.retry_after_cap)
            if until is not None and time.monotonic() + wait >= until:
                raise _past_deadline(self.config, url, None)
            time.sleep(wait)

    def _once(self, url: str, headers: dict, config: FetchConfig, truncate: bool) -> Response:
        host = urlsplit(url).hostname or ""
        send = {"User-Agent": config.user_agent, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                "Accept-Encoding": "gzip, deflate", "Accept-Language": "en;q=0.9, *;q=0.5", **headers}
        with self._gate.slot(host, self.crawl_delay(host)), ResponseDeadline(config.total_timeout) as deadline:
            late = f"no complete response after {config.total_timeout:g} s (the server sends too slowly)"
            try:
                r = self._session().get(url, headers=send, stream=True, allow_redirects=False,
                                      timeout=(config.connect_timeout, config.read_timeout))
                try:
                    body = _read_capped(r, config, truncate)
                finally:
                    r.close()
            except BlockedAddress as e:
                raise Failure(PRIVATE_ADDRESS, str(e), final_url=url) from None
            except (requests.Timeout, urllib3.exceptions.TimeoutError) as e:
                raise Failure(TIMEOUT, _describe(e), final_url=url) from None
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as e:
                if deadline.expired:  # the deadline cut the connection: not a network error
                    raise Failure(TIMEOUT, late, final_url=url) from None
                if isinstance(getattr(e, "__context__", None), BlockedAddress):
                    raise Failure(PRIVATE_ADDRESS, str(e.__context__), final_url=url) from None
                raise Failure(NETWORK, _describe(e), final_url=url) from None
            if deadline.expired:  # a cut connection can also look like an early, "complete" end
                raise Failure(TIMEOUT, late, r.status_code, url)
        return Response(url=url, final_url=url, status=r.status_code,
                        headers={k.lower(): v for k, v in r.headers.items()}, body=body)


def _within(config: FetchConfig, until: float | None) -> FetchConfig:
    """`config` with its per-response limit cut to what is left of the document's deadline."""
    if until is None:
        return config
    left = until - time.monotonic()
    if left <= 0:
        raise Failure(TIMEOUT, f"the document's {config.deadline:g} s deadline passed", final_url=None)
    return config if left >= config.total_timeout else replace(config, total_timeout=left)


def _past_deadline(config: FetchConfig, url: str, cause: Failure | None) -> Failure:
    why = f" ({cause.message})" if cause else " before the next retry"
    return Failure(TIMEOUT, f"no complete document within the {config.deadline:g} s deadline per document "
                   f"(--deadline){why}", cause.http_status if cause else None, url)


def _read_capped(r: requests.Response, config: FetchConfig, truncate: bool) -> bytes:
    declared = r.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > config.max_bytes and not truncate:
        raise Failure(TOO_LARGE, f"Content-Length {declared} is over the {config.max_bytes}-byte cap",
                      r.status_code, r.url)
    deadline = time.monotonic() + config.total_timeout
    chunks, total = [], 0
    # decode_content=True: count what gzip/deflate expand to, not what travels on the wire
    for chunk in r.raw.stream(64 * 1024, decode_content=True):
        total += len(chunk)
        if total > config.max_bytes:
            if truncate:
                chunks.append(chunk[: config.max_bytes - (total - len(chunk))])
                break
            raise Failure(TOO_LARGE, f"body is over the {config.max_bytes}-byte cap (after decompression)",
                          r.status_code, r.url)
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise Failure(TIMEOUT, f"body not complete after {config.total_timeout:.0f} s", r.status_code,
                          r.url)
    return b"".join(chunks)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe(e: BaseException) -> str:
    """A short reason for a network error: the root cause, not requests' and urllib3's wrappers."""
    seen, cause = set(), e
    while cause is not None and id(cause) not in seen:  # requests > MaxRetryError > the cause
        seen.add(id(cause))
        if isinstance(cause, urllib3.exceptions.NewConnectionError):  # incl. NameResolutionError
            return _short(cause._message)
        if isinstance(cause, (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError)):
            return _short(f"timed out ({cause})")
        if isinstance(cause, urllib3.exceptions.SSLError):
            return _short(f"TLS error: {cause}")
        inner = getattr(cause, "reason", None)
        cause = inner if isinstance(inner, BaseException) else (cause.__cause__ or cause.__context__)
    return _short(f"{type(e).__name__}: {e}")


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:297] + "..."
