"""One watched document: fetch -> decode -> extract -> classify -> compare -> record.

Rules a reader of the change log relies on:
- a failure of any class is written to status.json only; the current version stays;
- a change is announced only when the comparison key (scrapers.normalise) differs;
- a technical update — the record's select/remove or the extractor changed, and the stored raw HTML
  re-extracted gives a different text — is logged with technical: true before the fresh page is
  compared, so a selector fix never reads as a policy change. When the stored raw HTML cannot be
  re-extracted with the new selectors, the first version fetched with them is logged as technical too,
  since nobody can tell selector effects from policy edits in it;
- a suspicious shrink (fewer than SHRINK_RATIO of the words at once) is held back as a failure until
  the same text has been seen SHRINK_CONFIRMATIONS checks in a row (or --accept-shrink): a half-loaded
  page or an A/B test must not read as "the vendor deleted half its policy", but a real cut gets
  recorded without anyone editing files. Only text that reads as a document (sentences, not a form and a
  few words: scrapers.blockpage.plausible_document) is ever confirmed, and a shrunk page is first judged
  as a block page knowing how long the document was: a block page fails however long it persists, so
  the failure streak keeps counting and the failure issue opens;
- a page that is not the document (block, login, consent, held-back shrink) is kept as evidence
  beside the store (scrapers.evidence), never as a version;
- a return to one of the last few variants, or a change of nothing but a labelled date, is recorded with
  `revisit` / `minor` (scrapers.variants): on the document's history, not in the feeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scrapers import evidence, formats, variants
from scrapers.blockpage import plausible_document
from scrapers.diff import counts, word_diff
from scrapers.extract import EXTRACTOR_VERSION, SelectorMiss, extract
from scrapers.failures import EMPTY_EXTRACTION, NOT_THE_DOCUMENT, SELECTOR_MISS, STORAGE, SUSPICIOUS_SHRINK, Failure
from scrapers.fsio import utc_now
from scrapers.http import HttpClient
from scrapers.normalise import comparison_key, count_words, text_hash
from scrapers.page import MIN_WORDS, Page, Target, fetch_page, page_text, raise_if_blocked
from scrapers.store import Store, event_id

SHRINK_RATIO = 0.5
SHRINK_CONFIRMATIONS = 3


@dataclass
class Outcome:
    target: Target
    result: str                      # changed | unchanged | failed
    failure: str | None = None
    message: str = ""
    event: dict | None = None
    technical: list[dict] = field(default_factory=list)  # technical updates made during this check

    def summary(self) -> dict:
        item = {"vendor": self.target.vendor, "document": self.target.doc}
        if self.failure:
            item.update(failure=self.failure, message=self.message)
        if self.event:
            item.update(change=self.event["id"], added=self.event["added"], removed=self.event["removed"],
                        initial=self.event["initial"], technical=self.event["technical"])
            item.update({k: True for k in ("minor", "revisit") if self.event.get(k)})
        if self.technical:
            item["technical_updates"] = [e["id"] for e in self.technical]
        return item


@dataclass
class Fetched:
    """A document after Watcher.fetch: its page (None: 304 Not Modified) or the fetch's Failure."""
    target: Target
    checked_at: str
    previous: dict                   # the status of the previous check
    technical: list[dict]
    unresolved: Failure | None
    current: dict | None             # the current version's event
    status: dict                     # the status being built for this check
    page: Page | None = None
    failure: Failure | None = None


class Watcher:
    def __init__(self, store: Store, client: HttpClient, renderer=None, accept_shrink: bool = False,
                 now=utc_now, pool=None):
        self.store = store
        self.client = client
        self.pool = pool  # scrapers.extract_pool.ExtractPool: extraction in worker processes, or None
        self.renderer = renderer  # scrapers.browser.Renderer, created on first need
        self.accept_shrink = accept_shrink
        self.now = now

    # --- entry points ----------------------------------------------------------------------------

    def check(self, target: Target) -> Outcome:
        return self.finish(self.fetch(target))

    def fetch(self, target: Target) -> Fetched:
        """The first half of a check: the network. A run's thread for a host fetches the host's next
        document while the previous one is finished elsewhere (scrapers.watch.run); Failures are kept for
        finish(), so that they are recorded in the same place as every other outcome."""
        checked_at = self.now()
        previous = self.store.status(target.vendor, target.doc) or {}
        storage = None
        try:
            technical, unresolved = self._technical_update(target, checked_at)
        except OSError as e:
            technical, unresolved = [], None
            storage = self._storage_failure(target, e, "recording a technical update")
        current = self.store.current(target.vendor, target.doc)
        same_url = previous.get("url") == target.url  # validators belong to the URL that gave them
        status = {"url": target.url, "checked_at": checked_at,
                  "last_success_at": previous.get("last_success_at"),
                  "etag": previous.get("etag") if same_url else None,
                  "last_modified": previous.get("last_modified") if same_url else None,
                  "pending_shrink": previous.get("pending_shrink"), "failure": None, "message": "",
                  "http_status": None, "final_url": None}
        fetched = Fetched(target, checked_at, previous, technical, unresolved, current, status)
        if storage:  # the store is failing: don't fetch what could not be recorded
            fetched.failure = storage
            return fetched
        use_validators = current is not None and not unresolved
        try:
            fetched.page = fetch_page(self.client, target, status if use_validators else {}, self._renderer)
        except Failure as f:
            fetched.failure = f
        return fetched

    def finish(self, fetched: Fetched) -> Outcome:
        """The second half: extract, compare, record, and write the document's status."""
        target, status, checked_at = fetched.target, fetched.status, fetched.checked_at
        try:
            if fetched.failure:
                raise fetched.failure
            outcome = self._compare(target, fetched.page, fetched.current, fetched.unresolved, status, checked_at)
        except (Failure, OSError) as e:
            f = e if isinstance(e, Failure) else self._storage_failure(target, e, "recording the new version")
            status.update(failure=f.kind, message=f.message, http_status=f.http_status,
                          final_url=f.final_url or status["final_url"])
            outcome = Outcome(target, "failed", f.kind, f.message)
            if f.kind in NOT_THE_DOCUMENT and fetched.page is not None:
                status["evidence"] = evidence.save(self.store.root, target.vendor, target.doc,
                                                   fetched.page.html, checked_at)
        else:
            status["last_success_at"] = checked_at
        failures = fetched.previous.get("consecutive_failures", 0) + 1 if outcome.failure else 0
        status["consecutive_failures"] = failures
        try:
            self.store.write_status(target.vendor, target.doc, status)
        except OSError as e:  # the previous status.json stays whole (atomic write); a version stays recorded
            f = self._storage_failure(target, e, "writing status.json", tidy=False)
            message = f"{outcome.message}; {f.message}" if outcome.failure else f.message
            outcome = Outcome(target, "failed", STORAGE, message, event=outcome.event)
        outcome.technical = fetched.technical
        return outcome

    def _storage_failure(self, target: Target, error: OSError, doing: str, tidy: bool = True) -> Failure:
        """A write to the store failed (disk full, read-only, I/O error): the document fails this run. What
        the failed commit left is removed, so the store holds the old state (or the new version whole), and
        the next run with space records what this one missed."""
        if tidy:
            self.store.discard_uncommitted(target.vendor, target.doc)
        where = f" ({error.filename})" if error.filename else ""
        return Failure(STORAGE, f"could not write to the store while {doing}: "
                       f"{error.strerror or type(error).__name__}{where}; nothing half-written was kept")

    def reextract(self, target: Target) -> Outcome:
        """Re-extract the current version's raw HTML with the record's selectors; never fetches."""
        event = self.store.current(target.vendor, target.doc)
        if event is None:
            return Outcome(target, "unchanged", message="no recorded version yet")
        try:
            technical, unresolved = self._technical_update(target, self.now(), force=True)
        except OSError as e:
            f = self._storage_failure(target, e, "recording a technical update")
            return Outcome(target, "failed", f.kind, f.message)
        if unresolved:
            return Outcome(target, "failed", unresolved.kind, unresolved.message)
        if technical:  # reported as changed, with technical: true in the summary item
            return Outcome(target, "changed", event=technical[-1], technical=technical)
        return Outcome(target, "unchanged")

    # --- steps -----------------------------------------------------------------------------------

    def _renderer(self):
        if self.renderer is None:
            from scrapers.browser import Renderer
            self.renderer = Renderer(self.client.config.policy)
        return self.renderer

    def _compare(self, target: Target, page: Page | None, current: dict | None, unresolved: Failure | None,
                 status: dict, checked_at: str) -> Outcome:
        if page is None:  # 304 Not Modified
            status.update(http_status=304, final_url=target.url, pending_shrink=None)
            return Outcome(target, "unchanged")
        status.update(http_status=page.http_status, final_url=page.final_url)
        if self._same_page(target, current, unresolved, page):
            status.update(etag=page.etag, last_modified=page.last_modified, pending_shrink=None)
            return Outcome(target, "unchanged")
        text, words = self.pool.page_text(page, target) if self.pool else page_text(page, target)
        old_text = self._text_of(target, current)
        if old_text is not None and comparison_key(old_text) == comparison_key(text):
            status.update(etag=page.etag, last_modified=page.last_modified, pending_shrink=None)
            return Outcome(target, "unchanged")
        reason = None
        if old_text is not None and not unresolved:
            reason = self._shrink_gate(target, text, words, count_words(old_text), status, page)
        if unresolved:
            reason = ("the record's selectors changed and the previous raw HTML could not be re-extracted "
                      f"with them ({unresolved.message}): logged as technical")
        event = self._record(target, page, text, current, checked_at, technical=bool(unresolved),
                             reason=reason, words=words)
        status.update(etag=page.etag, last_modified=page.last_modified, pending_shrink=None)
        return Outcome(target, "changed", event=event)

    def _same_page(self, target: Target, current: dict | None, unresolved: Failure | None, page: Page) -> bool:
        """The fetched page is, character for character, the raw HTML the current version was extracted
        from, fetched from the same URL and ending at the same final URL and status, and the record's
        selectors and the extractor are those that version was made with. Extraction is a pure function
        of (html, select, remove) and the page checks (scrapers.page) of the page, its words and its URLs,
        so the text is the current version's and the page passed the same checks when it was recorded:
        it is unchanged without parsing it again (most servers ignore validators, so this is the usual
        repeat run)."""
        if current is None or unresolved:
            return False
        made_with = (current.get("select"), current.get("remove"), current.get("extractor"), current.get("url"),
                     current.get("final_url"), current.get("http_status"))
        if made_with != (target.select, target.remove, EXTRACTOR_VERSION, target.url, page.final_url,
                         page.http_status):
            return False
        return formats.same_raw(self.store, current, page)

    def _shrink_gate(self, target: Target, text: str, words: int, old_words: int, status: dict,
                     page: Page) -> str | None:
        if words >= SHRINK_RATIO * old_words:
            return None
        # Judged again knowing the document was long: a block page is never confirmed, not even by
        # --accept-shrink, however many checks in a row it is seen.
        raise_if_blocked(page, target, text, words, old_words)
        new_hash = text_hash(text)
        pending = status.get("pending_shrink") or {}
        seen = pending.get("seen", 0) + 1 if pending.get("hash") == new_hash else 1
        plausible = plausible_document(text)
        if self.accept_shrink or (plausible and seen >= SHRINK_CONFIRMATIONS):
            how = "accepted with --accept-shrink" if self.accept_shrink else f"seen {seen} checks in a row"
            return f"text shrank from {old_words} to {words} words; {how}"
        status["pending_shrink"] = {"hash": new_hash, "seen": seen, "words": words}
        until = (f"until the same text is seen {SHRINK_CONFIRMATIONS} checks in a row (seen {seen}) or "
                 "--accept-shrink" if plausible else
                 f"(seen {seen}): it does not read as a document (too few sentences), so only --accept-shrink "
                 "records it")
        raise Failure(SUSPICIOUS_SHRINK, f"text shrank from {old_words} to {words} words at once; not recorded "
                      f"{until}", page.http_status, page.final_url)

    def _text_of(self, target: Target, event: dict | None) -> str | None:
        return self.store.version_text(target.vendor, target.doc, event["new_hash"]) if event else None

    def _technical_update(self, target: Target, time: str,
                          force: bool = False) -> tuple[list[dict], Failure | None]:
        """Re-extract the current raw HTML when the selectors or the extractor changed (or `force`).
        Returns (technical events written, why re-extraction was impossible or None)."""
        current = self.store.current(target.vendor, target.doc)
        if current is None:
            return [], None
        same = (current.get("select"), current.get("remove"), current.get("extractor")) == \
            (target.select, target.remove, EXTRACTOR_VERSION)
        if same and not force:
            return [], None
        stored = formats.read_raw(self.store, current)
        if stored is None:
            return [], Failure(EMPTY_EXTRACTION, "the raw HTML of the current version is missing")
        kind, content = stored
        pdf = kind == formats.PDF
        page = Page("" if pdf else content, current.get("final_url") or target.url,
                    current.get("http_status") or 200, current.get("encoding") or (None if pdf else "utf-8"),
                    kind=kind, raw=content if pdf else None)
        if kind != formats.HTML:  # plain text and PDF: no selectors; the text reader may have changed
            try:
                text, words = page_text(page, target)
            except Failure as f:
                return [], Failure(f.kind, f"the current version's raw {kind}, re-read: {f.message}")
        else:
            try:
                text = extract(content, target.select, target.remove)
            except SelectorMiss as e:
                return [], Failure(SELECTOR_MISS, f"the current version's raw HTML, re-extracted: {e}")
            words = count_words(text)
            if words < MIN_WORDS:
                return [], Failure(EMPTY_EXTRACTION, "the current version's raw HTML, re-extracted with the "
                                   f"record's selectors, gives {words} words")
        if text == self.store.version_text(target.vendor, target.doc, current["new_hash"]):
            return [], None  # nothing to update (the selectors' effect is nil on this page)
        event = self._record(target, page, text, current, time, technical=True, raw=current["raw"],
                             reason="re-extracted the stored raw HTML with new selectors or a new extractor",
                             words=words)
        return [event], None

    def _record(self, target: Target, page: Page, text: str, current: dict | None, time: str,
                technical: bool, reason: str | None, raw: str | None = None, words: int | None = None) -> dict:
        """`words`: count_words(text), when the caller has it already (counting is a regex over the text)."""
        new_hash = text_hash(text)
        words = count_words(text) if words is None else words
        old_text = self._text_of(target, current)
        diff = word_diff(old_text, text) if old_text is not None else []
        added, removed = counts(diff) if old_text is not None else (words, 0)
        event = {
            "id": event_id(new_hash, time), "time": time,
            "old_hash": current["new_hash"] if current else None,
            "new_hash": new_hash, "diff": diff, "added": added, "removed": removed,
            "raw": raw or formats.save_raw(self.store, target.vendor, target.doc, page, time),
            "technical": technical, "initial": current is None, "reason": reason,
            "url": target.url, "final_url": page.final_url, "http_status": page.http_status,
            "encoding": page.encoding, "words": words,
            "select": target.select, "remove": target.remove, "extractor": EXTRACTOR_VERSION,
        }
        if old_text is not None and not technical:  # recorded, but maybe not news (scrapers.variants)
            event.update(variants.flags(text, old_text, variants.earlier_texts(self.store, target.vendor, target.doc)))
        return self.store.append_event(target.vendor, target.doc, event, text)

