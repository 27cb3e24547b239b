"""Getting one document's page and its text, with every failure classified (no store involved).

Shared by the watcher (scrapers.pipeline) and the contributors' check (scrapers.check), so both see a
page the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from scrapers import classify, formats
from scrapers.decode import DecodeError, decode_text
from scrapers.extract import SelectorMiss, extract
from scrapers.failures import (
    BLOCKED,
    BOT_CHALLENGE,
    DECODE,
    EMPTY_EXTRACTION,
    HTTP_STATUS,
    LOGIN_OR_HOME,
    NO_TEXT_LAYER,
    SELECTOR_MISS,
    TOO_LARGE,
    Failure,
)
from scrapers.http import HttpClient
from scrapers.normalise import count_words
from scrapers.pdf import NoTextLayer, PdfError

MIN_WORDS = 20  # no policy is shorter; fewer words means a shell page, a wrong selector or a stub
# Parsing costs memory per element (a million tiny elements took ~700 MiB): above this many tags a page is
# refused before parsing, which bounds memory for any input. Real policy pages have a few thousand.
MAX_TAGS = 250_000


@dataclass(frozen=True)
class Target:
    """One watched document, from a record's `policies:` entry."""
    vendor: str
    doc: str
    url: str
    select: str | None = None
    remove: str | None = None
    render: str | None = None

    @property
    def key(self) -> str:
        return f"{self.vendor}/{self.doc}"


@dataclass
class Page:
    html: str
    final_url: str
    http_status: int
    encoding: str
    etag: str | None = None
    last_modified: str | None = None
    kind: str = formats.HTML    # formats.HTML, TEXT (html holds the text) or PDF (raw holds the bytes)
    raw: bytes | None = None


def fetch_page(client: HttpClient, target: Target, validators: dict | None = None,
               renderer=None) -> Page | None:
    """The document's page, decoded; None when the server says 304 Not Modified. `renderer` is a
    callable returning a scrapers.browser.Renderer, used for `render: browser` documents."""
    validators = validators or {}
    if target.render == "browser":
        client.check_url(target.url)  # robots.txt and scheme, as for any fetch
        rendered = renderer().render(target.url)
        page = Page(rendered.html, rendered.final_url, rendered.status, "utf-8")
        _raise_for_status(page)
        return page
    response = client.get(target.url, validators.get("etag"), validators.get("last_modified"))
    if response.not_modified:
        if not (validators.get("etag") or validators.get("last_modified")):
            raise Failure(HTTP_STATUS, "HTTP 304 to a request without validators", 304, response.final_url)
        return None
    try:
        kind = formats.kind_of(response.body, response.content_type, response.final_url)
        decoded = None if kind == formats.PDF else decode_text(response.body, response.content_type)
    except DecodeError as e:
        raise Failure(DECODE, str(e), response.status, response.final_url) from None
    page = Page(decoded.text if decoded else "", response.final_url, response.status,
                decoded.encoding if decoded else None, response.headers.get("etag"),
                response.headers.get("last-modified"), kind, None if decoded else response.body)
    _raise_for_status(page)
    return page


def page_text(page: Page, target: Target) -> tuple[str, int]:
    """(extracted text, word count), or a Failure when the page is not the document or has no text."""
    if page.kind != formats.HTML:
        return _document_text(page, target)
    tags = page.html.count("<")
    if tags > MAX_TAGS:
        raise Failure(TOO_LARGE, f"the page has about {tags:,} tags; at most {MAX_TAGS:,} are parsed",
                      page.http_status, page.final_url)
    try:
        text = extract(page.html, target.select, target.remove)
    except SelectorMiss as e:
        # A bot wall or a login page also "misses" the selector: name the real cause.
        whole = extract(page.html)
        _raise_if_not_document(page, target, count_words(whole), whole)
        raise Failure(SELECTOR_MISS, str(e), page.http_status, page.final_url) from None
    words = count_words(text)
    _raise_if_not_document(page, target, words, text)
    if words < MIN_WORDS:
        raise Failure(EMPTY_EXTRACTION, f"only {words} words extracted; the page may be built by JavaScript "
                      "(render: browser) or need a `select`", page.http_status, page.final_url)
    return text, words


def _document_text(page: Page, target: Target) -> tuple[str, int]:
    """A plain-text or PDF document: its text as written (never through the HTML extractor, which would take
    `<privacy@example.test>` for a tag); `select`/`remove` are for HTML and do not apply."""
    try:
        text = formats.document_text(page.kind, page.raw if page.kind == formats.PDF else page.html)
    except NoTextLayer as e:
        raise Failure(NO_TEXT_LAYER, str(e), page.http_status, page.final_url) from None
    except PdfError as e:
        raise Failure(DECODE, str(e), page.http_status, page.final_url) from None
    words = count_words(text)
    if page.kind == formats.TEXT:  # a plain-text "access denied" is still not the document
        _raise_if_not_document(page, target, words, text)
    if words < MIN_WORDS:
        raise Failure(EMPTY_EXTRACTION, f"only {words} words in the {page.kind} document",
                      page.http_status, page.final_url)
    return text, words


def _raise_for_status(page: Page) -> None:
    if 200 <= page.http_status < 300:
        return
    # An error page is never the document, whatever its length: look for bot-wall marks in it.
    challenge = classify.challenge_reason(page.html, 0) if page.http_status in (403, 429, 503) else None
    if challenge:
        raise Failure(BOT_CHALLENGE, f"HTTP {page.http_status}: {challenge}", page.http_status,
                      page.final_url)
    raise Failure(HTTP_STATUS, f"HTTP {page.http_status}", page.http_status, page.final_url)


def _raise_if_not_document(page: Page, target: Target, words: int, text: str) -> None:
    reason = classify.challenge_reason(page.html, words)
    if reason:
        raise Failure(BOT_CHALLENGE, reason, page.http_status, page.final_url)
    reason = classify.login_or_home_reason(target.url, page.final_url, page.html, words)
    if reason:
        raise Failure(LOGIN_OR_HOME, reason, page.http_status, page.final_url)
    raise_if_blocked(page, target, text, words)


def raise_if_blocked(page: Page, target: Target, text: str, words: int, old_words: int | None = None) -> None:
    """A Failure when the scored signals (scrapers.blockpage) call the page a block page."""
    verdict = classify.blocked_page(target.url, page.final_url, page.html, text, words, old_words)
    if verdict:
        raise Failure(LOGIN_OR_HOME if verdict.login else BLOCKED, verdict.reason(), page.http_status,
                      page.final_url)
