"""Failure classes: why a document could not be checked this time.

A failure is recorded as the document's status, never as a version; the last good version stays.
The class says what to do about it (docs-watcher.md has the table); `TRANSIENT` ones usually clear up by
themselves, the others need a person (a selector to fix, a page that moved, a bot wall).
"""

from __future__ import annotations

NETWORK = "network"                  # DNS, connection refused/reset, TLS
TIMEOUT = "timeout"                  # connect or read timeout
HTTP_STATUS = "http-status"          # 4xx/5xx after retries, redirect loops, bad redirects
TOO_LARGE = "too-large"              # body (decompressed) over the size cap
DECODE = "decode"                    # not HTML, text or PDF; no charset fits; an unreadable PDF
NO_TEXT_LAYER = "no-text-layer"      # a PDF of scanned images: no page has text
BOT_CHALLENGE = "bot-challenge"      # a page that is really a bot check / captcha
LOGIN_OR_HOME = "login-or-home"      # ended on a login page or the site's home page
BLOCKED = "blocked"                  # a block, firewall, consent or verification page answered instead
EMPTY_EXTRACTION = "empty-extraction"  # (almost) no text extracted
SELECTOR_MISS = "selector-miss"      # the record's `select` matched nothing (or is invalid CSS)
SUSPICIOUS_SHRINK = "suspicious-shrink"  # most of the text vanished at once; not recorded until confirmed
ROBOTS = "robots"                    # robots.txt disallows the URL (or could not be read)
PRIVATE_ADDRESS = "private-address"  # the URL or a redirect points at a private/loopback/... address
BROWSER_UNAVAILABLE = "browser-unavailable"  # render: browser, but Chromium is missing or failed
STORAGE = "storage"                  # the store could not be written (disk full, read-only, I/O error)

ALL = (NETWORK, TIMEOUT, HTTP_STATUS, TOO_LARGE, DECODE, BOT_CHALLENGE, LOGIN_OR_HOME, BLOCKED,
       EMPTY_EXTRACTION, SELECTOR_MISS, SUSPICIOUS_SHRINK, ROBOTS, PRIVATE_ADDRESS, BROWSER_UNAVAILABLE, NO_TEXT_LAYER,
       STORAGE)
# The page that answered is kept as evidence for these (scrapers.evidence), never as a version.
NOT_THE_DOCUMENT = frozenset({BOT_CHALLENGE, LOGIN_OR_HOME, BLOCKED, SUSPICIOUS_SHRINK})
TRANSIENT = frozenset({NETWORK, TIMEOUT, HTTP_STATUS})


class Failure(Exception):
    """A classified, expected failure of one document (operational, not a bug)."""

    def __init__(self, kind: str, message: str, http_status: int | None = None,
                 final_url: str | None = None):
        assert kind in ALL, kind
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.http_status = http_status
        self.final_url = final_url
