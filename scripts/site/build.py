"""The site's build plan: every page (and feed and API file) from the records, as `python -m scripts.generate`
and the mkdocs hook run it.

Writes into git-ignored parts of site_src/ so that any builder that reads mkdocs.yml can build the
site. Files are written only when their content changed (so `mkdocs serve` doesn't loop) and files
from a previous run that are no longer produced (a removed vendor) are deleted.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import yaml

from scripts.analysis import changes, quotes, rubric
from scripts.analysis.derive import CachedStore, observed_store, toggle_state
from scripts.lang.text import pick
from scripts.publish import api, feeds
from scripts.publish import events as ev
from scripts.records import load as records
from scripts.site import bodies, incident_pages, pages, segmenter, shell
from scripts.site.workers import Workers

ROOT = records.ROOT
SITE_SRC = ROOT / "site_src"
# Everything generate owns inside site_src/ (and nothing else: hand-written pages live beside these).
GENERATED_DIRS = ("vendors", "incidents", "changes", "api", "rubric", "zh")
GENERATED_FILES = ("index.md", "feed.xml")  # (the root sitemap.xml is mkdocs' own)
STALE_AFTER = dt.timedelta(days=3)


class RecordsInvalid(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def site_config() -> dict:
    with open(ROOT / "mkdocs.yml", encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    return {"repo_url": (cfg.get("extra") or {}).get("repo_url", ""),
            "site_url": os.environ.get("ERPWATCH_SITE_URL") or cfg.get("site_url", "")}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _doc_rows(record: dict, store, lang: str) -> list[dict]:
    from scripts.lang.i18n import t
    rows = []
    for p in record.get("policies", []):
        status = store.status(record["id"], p["id"]) if store else None
        doc_changes = [c for c in (store.changes(record["id"], p["id"]) if store else [])
                       if not c.get("technical") and not c.get("initial")]
        state, checked = "unchecked", None
        if status:
            checked = (status.get("last_success_at") or "")[:10] or None
            if status.get("failure"):
                state = "failed"
            else:
                state = "ok"
            last_ok = status.get("last_success_at")
            if last_ok and _now() - dt.datetime.fromisoformat(last_ok.replace("Z", "+00:00")) > STALE_AFTER:
                state = "stale"
        text = {"unchecked": "not_yet_checked", "failed": "failed", "ok": "ok", "stale": "stale"}[state]
        if state == "unchecked" and p.get("seen_in_text"):
            text = "not_yet_fetched"  # the facts saw the URL only inside another text: nobody has read it yet
        state_text = t(text, lang)
        if state == "failed":
            state_text += f" ({status.get('failure')})"
        last = doc_changes[-1] if doc_changes else None
        history = [{"date": c["time"][:10], "time": c["time"], "slug": changes.change_slug(record["id"], p["id"], c["id"]),
                    "added": c["added"], "removed": c["removed"]} for c in reversed(doc_changes)]
        first = next((c for c in (store.changes(record["id"], p["id"]) if store else []) if c.get("initial")), None)
        rows.append({**p, "title": p.get("title"), "checked": checked, "state": state, "state_text": state_text,
                     "history": history, "first_recorded": first["time"][:10] if first else None,
                     "last_change": {"date": last["time"][:10], "slug": changes.change_slug(record["id"], p["id"], last["id"])}
                     if last else None})
    return rows


def _compare_row(record: dict, observed: dict, lang: str) -> dict:
    from scripts.lang.i18n import t
    access = []
    for a in record.get("access", []):
        if a.get("role"):
            access.append(f"{t('role', lang)}: {a['role']}")
        elif a.get("report"):
            access.append(a["report"])
        else:
            access.append(str(pick(a.get("data"), lang)))
    defaults = []
    for tg in record.get("toggles", []):
        state = toggle_state(tg)
        entries = [{"value": e["default"], "label": t("applies_" + e["applies_to"], lang)
                    + ("" if e.get("effective") else ", " + t("undated", lang))} for e in state.entries]
        defaults.append({"name": str(pick(tg["name"], lang)), "entries": entries, "conflict": state.conflict})
    changes = [d["last_change"]["date"] for d in observed["docs"] if d["last_change"]]
    last = max(changes) if changes else None
    return {"id": record["id"], "name": record["name"], "zh_names": record.get("names", {}).get("zh", []),
            "categories": record.get("categories", []), "marketplaces": record.get("marketplaces", []),
            "access": access, "defaults": defaults, "incidents": len(record.get("incidents", [])),
            "last_change": last, "last_change_sort": last or "",
            "languages": record.get("languages", []), "policy_search": record.get("policy_search"),
            "reports": len(record.get("reports", [])), "observations": len(record.get("observations", []))}


def build_pages(recs: list[dict], store, config: dict, vendors_dir: Path, workers: int | None = None) -> dict[str, str]:
    """All generated files as {path relative to site_src: content}: the English tree at the root, the
    Chinese tree under zh/, feeds in both languages, and the (language-neutral) API."""
    with Plan(recs, store, config, vendors_dir, workers) as plan:
        return plan.all_files()


LANGS = ("en", "zh")
# The policy-changes page lists the most recent changes only (at 1,000 vendors there are tens of thousands);
# every change stays on its document's history page, in the feeds and in api/v1/events.json.
CHANGES_LIST_LIMIT = 500
PARALLEL_FROM = 40  # records; below this worker processes cost more than they save


class Plan:
    """A build: each vendor's own files (its pages and document history pages in both languages as
    pages.FastPage, its feeds and its API file) and the site-wide files (`files`: lists, home, global
    feeds, API index).

    The per-vendor work runs in worker processes (scripts/site/workers.py; one per CPU, from PARALLEL_FROM
    records on), each keeping the vendors it takes (a few at a time, _HandOut) for the whole build:

    1. `summaries`: one vendor at a time, validate the record (when the plan starts from the files), read
       its change logs once, make its files and keep them; send back what the site-wide files need (events,
       changes, comparison-table rows, API summary);
    2. `entries` (straight after, without waiting for this process): the search entries of the pages (kept)
       and their URLs (`vendor_urls`), while this process makes the site-wide files and mkdocs renders;
    3. `segment` (under the mkdocs hook, once this process knows the words to keep whole): the search
       entries as the search index's JSON, while this process renders;
    4. `start_writing` (once mkdocs has rendered the theme's shell pages): write the kept files into the built
       site, pages inside the shells (`search_docs`, then `written`). `all_files` collects the files instead.

    Close the plan (`close`, or use it as a context manager) to stop its workers.
    """

    def __init__(self, recs: list[dict], store, config: dict, vendors_dir: Path | None, workers: int | None = None):
        """A plan for records already loaded and validated."""
        self._begin(list(recs), store, config, vendors_dir, workers)
        self.finish()

    @classmethod
    def start(cls, vendors_dir: Path, store, config: dict, workers: int | None = None) -> Plan:
        """A plan for the record files of `vendors_dir`, validated by the workers. Returns at once; call
        `finish()` (RecordsInvalid if any record is invalid) before using it."""
        plan = cls.__new__(cls)
        plan._begin(records.record_files(vendors_dir), store, config, vendors_dir, workers)
        return plan

    def _begin(self, items: list, store, config: dict, vendors_dir: Path | None, workers: int | None) -> None:
        self.store = store
        self.config = config
        self.vendors_dir = vendors_dir
        added = ev.git_added_dates(vendors_dir) if vendors_dir is not None else None
        self.git_dir = vendors_dir if added is not None else None  # not a git checkout: no dates to look up
        self.added = added
        self._items = items
        self.vendors: list[dict] = []
        self._urls: list | None = None
        n = 1 if len(items) < PARALLEL_FROM else records.build_workers() if workers is None else workers
        if n > 1:
            _warm_caches()
        self._hand_out = _HandOut(len(items), shared=n > 1)
        self.workers = Workers(n, self._share)
        # each worker goes straight on to make its vendors' pages: if a record is invalid, that work is lost
        self.workers.chain(("summaries", ()), ("entries", ()))

    def _share(self, k: int, n: int) -> _Share:
        return _Share(self)

    def finish(self) -> None:
        try:
            parts = self.workers.results()
            done = sorted((x for part in parts for x in part["vendors"]), key=lambda x: x[0])
            problems = [p for _i, found, _meta in done for p in found]
            try:
                standalone = incident_pages.load(self.vendors_dir)
            except incident_pages.IncidentsInvalid as e:
                standalone, problems = [], problems + e.problems
            if problems:
                raise RecordsInvalid(problems)
        except BaseException:
            self.close()
            raise
        metas = sorted((meta for _i, _found, meta in done), key=lambda m: m["vendor"]["id"])
        self.vendors = [m["vendor"] for m in metas]
        # Of the events and changes, only the newest few travel as data (feeds, home and changes pages); the
        # events for events.json come as one UTF-8 text per worker, with their sort keys (api.event_run).
        change_total = sum(part["changes_total"] for part in parts)
        change_list = sorted((c for part in parts for c in part["changes"]), key=changes.sort_key,
                             reverse=True)[:CHANGES_LIST_LIMIT]
        own_events = incident_pages.events(standalone)  # incidents without a vendor record
        newest = ev.sort_events([e for part in parts for e in part["events"]] + own_events)[:feeds.MAX_ITEMS_ALL]
        events_json = api.merge_runs([part["events_json"] for part in parts]
                                     + [api.event_run(own_events, self.config["site_url"])])
        self.files: dict[str, str | bytes] = {}
        for lang in LANGS:
            tree = _language_tree(self.vendors, change_list, change_total, newest, [m["compare"][lang] for m in metas],
                                  [i for m in metas for i in m["incidents"]], self.config, lang, standalone)
            prefix = "" if lang == "en" else f"{lang}/"
            self.files.update({prefix + path: content for path, content in tree.items()})
        self.files.update(api.index_files([m["summary"] for m in metas], events_json, self.config["site_url"]))
        self.files.update(api.incidents_file([i for m in metas for i in m["incidents_api"]], standalone,
                                             self.config["site_url"]))

    def vendor_urls(self) -> list[str]:
        """Once the workers have made the vendors' files: the URLs of their pages relative to the site root,
        in the records' files' order."""
        if self._urls is None:
            got = {i: r for part in self.workers.results() for i, r in part.items()}  # the entries step
            self._urls = [u for i in sorted(got) for u in got[i]]
        return self._urls

    def all_files(self) -> dict[str, str]:
        """Every generated file, the vendors' own included (collected from the workers)."""
        self.vendor_urls()
        out = dict(self.files)
        made = {i: files for part in self.workers.call("take_pages") for i, files in part.items()}
        for i in sorted(made):
            out.update(made[i])
        return out

    def segment(self, words: list[str]) -> None:
        """Have the workers make their pages' search entries into the search index's JSON (shell.search_docs),
        Chinese segmented with `words` kept whole (segmenter.teach), once they have made the entries;
        returns at once (see `search_docs`)."""
        self.workers.start("segment", words)

    def start_writing(self, shells: dict, site: Path) -> None:
        """Have the workers write every vendor's files into the built site (shell.write_vendor); returns at
        once (see `written`)."""
        self.vendor_urls()
        self.workers.start("write", shells, str(site))

    def search_docs(self) -> str:
        """The vendors' search entries as JSON items of the search index's "docs" list, in the records' files'
        order (waits for `segment`, not for the writing)."""
        if self.workers.pending != "segment":
            raise RuntimeError("Plan.segment was not started, or its results were taken")
        got = {i: docs for part in self.workers.results() for i, docs in part.items()}
        return ",".join(got[i] for i in sorted(got) if got[i])

    def written(self) -> None:
        """Wait until the files are written (after `search_docs`)."""
        self.workers.results()

    def close(self, wait: bool = True) -> None:
        self.workers.close(wait)

    def __enter__(self) -> Plan:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _warm_caches() -> None:
    """Load what every worker needs (the schema compiled for validation, the SP-API and rubric references)
    before the workers are forked, so that each one doesn't do it again."""
    records._fast_check()
    records.known_reports()
    rubric.questions()
    rubric.answer_labels()


class _HandOut:
    """Hands out record positions, a few at a time, to whichever worker asks next (a counter shared by the
    forked workers), so that the workers finish together however fast each one happens to run; without
    workers, this process takes them all at once."""

    BATCH = 4  # records (about 50 ms of work)

    def __init__(self, total: int, shared: bool):
        self.total = total
        self._serial_next = 0
        self._shared_next = None
        if shared:
            import multiprocessing
            self._shared_next = multiprocessing.get_context("fork").Value("q", 0)

    def take(self) -> range:
        if self._shared_next is None:
            start, self._serial_next = self._serial_next, self.total
            return range(start, self.total)
        with self._shared_next.get_lock():
            start = self._shared_next.value
            self._shared_next.value = end = min(start + self.BATCH, self.total)
        return range(start, end)


class _Share:
    """One worker's share of the plan's records (by position in the plan's items, as _HandOut gives them)."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.store = CachedStore(plan.store) if plan.store is not None else None
        self.pages: dict[int, dict[str, str]] = {}
        self.search: dict[int, list[dict]] = {}  # the pages' search entries (`entries`), until `segment`

    def summaries(self) -> dict:
        """Check each record and make its vendor's files (kept until `write`), one vendor at a time: its change
        logs, diffs included, are read once and let go as soon as its pages are made (holding a whole share's
        made the garbage collector's work, and memory, grow with it). Returns what the site-wide files need:
        per record (index, problems, what they need of it), and of all this share's events and changes the
        newest few, with every event as events.json text. The records stay here: the main process gets much
        less to receive and to hold."""
        out, all_changes, all_events = [], [], []
        for i in self._records():
            item = self.plan._items[i]
            if isinstance(item, dict):
                rec, problems = item, []
            else:
                res = records.check_file(item, lines=False)
                rec, problems = res.record, res.problems
            if problems or rec is None:
                out.append((i, problems, None))
                continue
            meta, vendor_changes, events, qinfo, rows = self._meta(rec)
            out.append((i, [], meta))
            all_changes += [{**c, "change": {k: v for k, v in c["change"].items() if k != "diff"}}  # no diffs
                            for c in vendor_changes]
            all_events += events
            self.pages[i] = self._vendor_files(rec, vendor_changes, qinfo, rows, events)
            if self.store is not None:
                self.store.clear()
        all_events = ev.sort_events(all_events)
        return {"vendors": out, "changes_total": len(all_changes),
                "changes": sorted(all_changes, key=changes.sort_key, reverse=True)[:CHANGES_LIST_LIMIT],
                "events": all_events[:feeds.MAX_ITEMS_ALL],
                "events_json": api.event_run(all_events, self.plan.config["site_url"])}

    def _records(self):
        """Positions of this worker's records, taken a few at a time as it gets through them."""
        while batch := self.plan._hand_out.take():
            yield from batch

    def _meta(self, rec: dict) -> tuple[dict, list, list, dict, dict]:
        """(what the site-wide files need of one vendor, its changes, its events, its quotes' statuses, its
        documents' table rows per language)"""
        plan = self.plan
        vendor_changes = changes.collect_vendor(rec, self.store)
        qinfo = quotes.statuses(rec, self.store)
        rows = {lang: _doc_rows(rec, self.store, lang) for lang in LANGS}
        events = ev.sort_events(ev.policy_events(vendor_changes) + ev.record_events(rec, plan.git_dir, plan.added)
                                + ev.quote_events(rec, qinfo))
        vendor = {"id": rec["id"], "name": rec["name"], "zh_names": rec.get("names", {}).get("zh", []),
                  "claims": len(rec.get("claims", [])), "docs": len(rec.get("policies", [])),
                  "sources": len(rec.get("sources", []))}
        return {"vendor": vendor,
                "compare": {lang: bodies.compare_row_html(_compare_row(rec, {"docs": rows[lang]}, lang), lang)
                            for lang in LANGS},
                "incidents": [(bodies.incident_sort_key(rec, inc), {lang: bodies.incident_item_html(rec, inc, lang)
                                                                    for lang in LANGS})
                              for inc in rec.get("incidents", [])],
                "incidents_api": [api.vendor_api_entry(rec, inc, plan.config["site_url"])
                                  for inc in rec.get("incidents", [])],
                "summary": api.vendor_summary(rec, rows["en"], plan.config["site_url"])}, vendor_changes, events, qinfo, rows

    def entries(self) -> dict[int, list[str]]:
        """The URLs of the vendors' pages; their search entries are kept for `segment` (shell.page_entries)."""
        urls = {}
        for i, files in self.pages.items():
            self.search[i], urls[i] = shell.page_entries(files)
        return urls

    def _vendor_files(self, rec, vendor_changes, qinfo, rows, events) -> dict[str, str]:
        vid, config = rec["id"], self.plan.config
        versions = {p["id"]: self.store.changes(vid, p["id"]) if self.store else [] for p in rec.get("policies", [])}
        by_doc: dict[str, list[dict]] = {}
        for c in vendor_changes:
            by_doc.setdefault(c["history"], []).append(c)
        diffs = {c["change"]["id"]: changes.diff_html(c["change"].get("diff") or []) for c in vendor_changes}
        files: dict[str, str] = {}
        view = bodies.VendorView(rec, {"quotes": qinfo, "versions": versions}, config)
        for lang in LANGS:
            prefix = "" if lang == "en" else f"{lang}/"
            observed = {"docs": rows[lang], "quotes": qinfo, "versions": versions}
            r = pages.Renderer(lang, 2, config)
            files[f"{prefix}vendors/{vid}/index.md"] = pages.vendor_page(rec, r, observed, view)
            for slug, items in by_doc.items():
                files[f"{prefix}changes/{slug}/index.md"] = pages.history_page(items, r, diffs)
            files.update({prefix + k: v for k, v in _vendor_feed(rec, events, config["site_url"], lang).items()})
        _summary, path, content = api.vendor_file(rec, events, vendor_changes, rows["en"], config["site_url"], qinfo)
        files[path] = content
        return files

    def take_pages(self) -> dict[int, dict[str, str]]:
        pages_, self.pages = self.pages, {}
        return pages_

    def segment(self, words: list[str]) -> dict[int, str]:
        """The search entries (`entries`) as the search index's JSON, per record."""
        segmenter.install()
        segmenter.teach(words)
        docs = {i: shell.search_docs(entries) for i, entries in self.search.items()}
        self.search.clear()
        return docs

    def write(self, shells: dict, site: str) -> None:
        made: set = set()
        for files in self.pages.values():
            shell.write_vendor(files, shells, Path(site), made)
        self.pages.clear()


def _language_tree(vendors, change_list, change_total, newest, compare_rows, incident_items, config,
                   lang, standalone=()) -> dict[str, str]:
    """The site-wide files of one language. `vendors`: Plan.vendors; `change_list`: the newest changes (of
    `change_total`); `newest`: the newest events; `compare_rows`: the comparison table's rows in `lang` (HTML,
    in the vendors' order); `incident_items`: (sort key, {lang: list entry HTML}) of every vendor's incident;
    `standalone`: the incidents without a vendor record (incident_pages.load)."""
    out: dict[str, str] = {}
    incidents = sorted(incident_items, key=lambda x: x[0], reverse=True)  # (sort key, {lang: html}), stable
    r = pages.Renderer(lang, 1, config)
    out["vendors/index.md"] = pages.list_page("vendors", bodies.vendors_index_body(compare_rows, lang), r)
    out["incidents/index.md"] = pages.list_page(
        "incidents", incident_pages.page_body([i[lang] for _, i in incidents], list(standalone), lang), r)
    out["changes/index.md"] = pages.index_page("changes.html.j2", "policy_changes", r, total=change_total,
                                               limit=CHANGES_LIST_LIMIT, items=[
        pages._Defaults({**c, "label": changes.doc_label(c["policy"], lang)}) for c in change_list[:CHANGES_LIST_LIMIT]])
    out["rubric/index.md"] = pages.Renderer(lang, 1, config).render("rubric.md.j2", m=pages._Defaults(rubric.methodology()))
    counts = {"vendors": len(vendors), "incidents": len(incidents) + len(standalone),
              "claims": sum(v["claims"] for v in vendors), "docs": sum(v["docs"] for v in vendors),
              "sources": sum(v["sources"] for v in vendors)}
    home_events = [{"date_text": e["date_text"][lang], "link": e["link"], "title": e["title"][lang]} for e in newest[:10]]
    out["index.md"] = pages.Renderer(lang, 0, config).render("home.md.j2", counts=counts, events=home_events,
                                                             beyond=incident_pages.home_groups(list(standalone), lang))
    out["feed.xml"] = _global_feed(newest, config["site_url"], lang)
    if lang != "en":
        out["sitemap.xml"] = EMPTY_SITEMAP  # the root's feed sits beside the real sitemap
        out.update(_translations(lang))
    return out


def _translations(lang: str) -> dict[str, str]:
    """Hand-written pages in another language (site_src/translations/<lang>/), and the styles they need."""
    files = {}
    folder = SITE_SRC / "translations" / lang
    for path in sorted(folder.rglob("*.md")):
        files[str(path.relative_to(folder))] = path.read_text(encoding="utf-8")
    return files


# The theme's script fetches a sitemap.xml beside every <link rel="alternate"> (feeds included); an empty one
# beside each feed keeps that from being a 404 in every reader's console.
EMPTY_SITEMAP = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>\n')


def _global_feed(all_events: list[dict], site_url: str, lang: str) -> str:
    prefix = "" if lang == "en" else f"{lang}/"
    zh = lang == "zh"
    return feeds.rss(all_events, title="ERP Watch:全部动态" if zh else "ERP Watch: all events",
                     description=("ERP Watch 记录的政策变更、默认设置、事件与服务商回应。" if zh else
                                  "Policy changes, default settings, incidents and vendor responses "
                                  "recorded by ERP Watch."),
                     site_url=site_url, feed_path=prefix + "feed.xml", limit=feeds.MAX_ITEMS_ALL,
                     lang=lang, link_prefix=prefix).decode("utf-8")


def _vendor_feed(rec: dict, events: list[dict], site_url: str, lang: str) -> dict[str, str]:
    """A vendor's feed (`events`: its own, sorted) and the empty sitemap beside it, paths within the language tree."""
    prefix = "" if lang == "en" else f"{lang}/"
    zh = lang == "zh"
    path = f"vendors/{rec['id']}/feed.xml"
    return {path: feeds.rss(events, title=f"ERP Watch:{rec['name']}" if zh else f"ERP Watch: {rec['name']}",
                            description=(f"ERP Watch 记录的 {rec['name']} 相关动态。" if zh else
                                         f"Events recorded by ERP Watch about {rec['name']}."),
                            site_url=site_url, feed_path=prefix + path, limit=feeds.MAX_ITEMS_VENDOR,
                            lang=lang, link_prefix=prefix).decode("utf-8"),
            f"vendors/{rec['id']}/sitemap.xml": EMPTY_SITEMAP}


def write_tree(files: dict[str, str | bytes], site_src: Path = SITE_SRC) -> tuple[int, int]:
    """Write changed files (text, or UTF-8 bytes), delete generated files no longer produced. Returns (written,
    deleted)."""
    written = deleted = 0
    for rel, content in sorted(files.items()):
        path = site_src / rel
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        written += 1
    keep = {site_src / rel for rel in files}
    candidates = [site_src / f for f in GENERATED_FILES]
    for d in GENERATED_DIRS:
        if (site_src / d).is_dir():
            candidates += [p for p in (site_src / d).rglob("*") if p.is_file()]
    for path in candidates:
        if path.is_file() and path not in keep:
            path.unlink()
            deleted += 1
    for d in GENERATED_DIRS:  # remove emptied folders, deepest first
        base = site_src / d
        if base.is_dir():
            for sub in sorted((p for p in base.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
                if not any(sub.iterdir()):
                    sub.rmdir()
    return written, deleted


def generate(vendors_dir: Path | None = None, site_src: Path = SITE_SRC) -> tuple[int, int]:
    """Every page, feed and API file into site_src/ (pages as Markdown). Returns (files written, files
    removed); RecordsInvalid (nothing written) if a record is invalid."""
    with start(vendors_dir) as plan:
        plan.finish()
        files = plan.all_files()
    return write_tree(files, site_src)


def start(vendors_dir: Path | None = None) -> Plan:
    """A plan for the records of `vendors_dir` (default: vendors/) and the watcher's store, started (see
    Plan.start)."""
    return Plan.start(Path(vendors_dir or records.vendors_dir()), observed_store(), site_config())

