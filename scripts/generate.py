"""Generate the site's pages (and feeds and API files) from the records: `python -m scripts.generate`.

Writes into git-ignored parts of site_src/ so that any builder that reads mkdocs.yml can build the
site. Files are written only when their content changed (so `mkdocs serve` doesn't loop) and files
from a previous run that are no longer produced (a removed vendor) are deleted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

import yaml

from scripts import api, bodies, changes, feeds, pages, quotes, records, rubric
from scripts import events as ev
from scripts.derive import CachedStore, observed_store, toggle_state
from scripts.text import pick

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
    from scripts.i18n import t
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
    from scripts.i18n import t
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
            "last_change": last, "last_change_sort": last or ""}


def build_pages(recs: list[dict], store, config: dict, vendors_dir: Path, workers: int | None = None) -> dict[str, str]:
    """All generated files as {path relative to site_src: content}: the English tree at the root, the
    Chinese tree under zh/, feeds in both languages, and the (language-neutral) API."""
    plan = Plan(recs, store, config, vendors_dir, workers)
    out = dict(plan.files)
    for files in plan.map_vendors(_vendor_files_job):
        out.update(files)
    return out


LANGS = ("en", "zh")
# The policy-changes page lists the most recent changes only (at 1,000 vendors there are tens of thousands);
# every change stays on its document's history page, in the feeds and in api/v1/events.json.
CHANGES_LIST_LIMIT = 500
PARALLEL_FROM = 40  # records; below this a process pool costs more than it saves


class Plan:
    """A build in two phases, both run per vendor (in `workers` forked processes for large sites):

    1. on creation, each vendor's events, changes, comparison-table rows and API summary (small, sent back
       to this process), and from them the site-wide files (`files`: lists, home, global feeds, API index);
    2. `vendor_files(rec)`: one vendor's own files (its pages and document history pages in both languages,
       feeds, API file). The mkdocs hook runs this phase after the theme's shell pages are rendered, in
       worker processes that write the finished pages themselves, so the pages never travel between
       processes; `build_pages` collects them instead.
    """

    def __init__(self, recs: list[dict], store, config: dict, vendors_dir: Path | None, workers: int | None = None):
        self.recs = recs
        self.store = CachedStore(store) if store is not None else None
        self.config = config
        added = ev.git_added_dates(vendors_dir) if vendors_dir is not None else None
        self.git_dir = vendors_dir if added is not None else None  # not a git checkout: no dates to look up
        self.added = added
        self.workers = records.build_workers() if workers is None else workers
        metas = self.map_vendors(_vendor_meta_job)
        self.events_of = {rec["id"]: m["events"] for rec, m in zip(recs, metas)}
        self.change_list = sorted((c for m in metas for c in m["changes"]), key=changes.sort_key, reverse=True)
        self.all_events = ev.sort_events([e for m in metas for e in m["events"]])
        self.compare = {lang: [m["compare"][lang] for m in metas] for lang in LANGS}
        self.files: dict[str, str] = {}
        for tree in self._map(_tree_job, LANGS):  # the two languages' site-wide pages side by side
            self.files.update(tree)
        self.files.update(api.index_files([m["summary"] for m in metas], self.all_events, config["site_url"]))

    def map_vendors(self, job) -> list:
        """[job(i) for every record index i], in worker processes for large sites. `job` is a module-level
        function that reads the plan as `generate.PLAN` (forked workers inherit it: nothing is pickled but
        the index and the result)."""
        return self._map(job, range(len(self.recs)), chunksize=max(1, len(self.recs) // (self.workers * 8)))

    def _map(self, job, items, chunksize: int = 1) -> list:
        global PLAN
        PLAN = self
        if self.workers <= 1 or len(self.recs) < PARALLEL_FROM:
            return [job(x) for x in items]
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(self.workers) as pool:
            return pool.map(job, items, chunksize=chunksize)

    def _observed(self, rec: dict) -> tuple:
        # Both phases read this (≈ 2.5 ms per vendor): cheaper than sending the change logs, diffs included,
        # from phase 1's workers to phase 2's through this process.
        vendor_changes = changes.collect_vendor(rec, self.store)
        qinfo = quotes.statuses(rec, self.store)
        rows = {lang: _doc_rows(rec, self.store, lang) for lang in LANGS}
        return vendor_changes, qinfo, rows

    def vendor_meta(self, rec: dict) -> dict:
        """Phase 1 for one vendor: what the site-wide files need (no pages)."""
        vendor_changes, qinfo, rows = self._observed(rec)
        events = ev.sort_events(ev.policy_events(vendor_changes) + ev.record_events(rec, self.git_dir, self.added)
                                + ev.quote_events(rec, qinfo))
        compare = {lang: _compare_row(rec, {"docs": rows[lang]}, lang) for lang in LANGS}
        summary = api.vendor_summary(rec, rows["en"], self.config["site_url"])
        slim = [{**c, "change": {k: v for k, v in c["change"].items() if k != "diff"}} for c in vendor_changes]
        return {"events": events, "changes": slim, "compare": compare, "summary": summary}

    def vendor_files(self, rec: dict) -> dict[str, str]:
        """Phase 2 for one vendor: its pages (pages.FastPage) and history pages in both languages, its feeds
        and its API file, as {path relative to site_src: content}."""
        vid = rec["id"]
        vendor_changes, qinfo, rows = self._observed(rec)
        events = self.events_of[vid]
        versions = {p["id"]: self.store.changes(vid, p["id"]) if self.store else [] for p in rec.get("policies", [])}
        by_doc: dict[str, list[dict]] = {}
        for c in vendor_changes:
            by_doc.setdefault(c["history"], []).append(c)
        diffs = {c["change"]["id"]: changes.diff_html(c["change"].get("diff") or []) for c in vendor_changes}
        files: dict[str, str] = {}
        view = bodies.VendorView(rec, {"quotes": qinfo, "versions": versions}, self.config)
        for lang in LANGS:
            prefix = "" if lang == "en" else f"{lang}/"
            observed = {"docs": rows[lang], "quotes": qinfo, "versions": versions}
            r = pages.Renderer(lang, 2, self.config)
            files[f"{prefix}vendors/{vid}/index.md"] = pages.vendor_page(rec, r, observed, view)
            for slug, items in by_doc.items():
                files[f"{prefix}changes/{slug}/index.md"] = pages.history_page(items, r, diffs)
            files.update({prefix + k: v for k, v in _vendor_feed(rec, events, self.config["site_url"], lang).items()})
        _summary, path, content = api.vendor_file(rec, events, vendor_changes, rows["en"], self.config["site_url"], qinfo)
        files[path] = content
        return files


PLAN: Plan | None = None  # the plan whose per-vendor jobs are running (read by forked workers)


def _vendor_meta_job(i: int) -> dict:
    return PLAN.vendor_meta(PLAN.recs[i])


def _vendor_files_job(i: int) -> dict[str, str]:
    return PLAN.vendor_files(PLAN.recs[i])


def _tree_job(lang: str) -> dict[str, str]:
    tree = _language_tree(PLAN.recs, PLAN.change_list, PLAN.all_events, PLAN.compare[lang], PLAN.config, lang)
    prefix = "" if lang == "en" else f"{lang}/"
    return {prefix + path: content for path, content in tree.items()}


def _language_tree(recs, change_list, all_events, compare_rows, config, lang) -> dict[str, str]:
    out: dict[str, str] = {}
    incidents = []
    for rec in recs:
        for inc in rec.get("incidents", []):
            incidents.append((bodies.incident_sort_key(rec, inc), {**inc, "vendor_id": rec["id"], "vendor_name": rec["name"]}))
    incidents.sort(key=lambda x: x[0], reverse=True)
    r = pages.Renderer(lang, 1, config)
    out["vendors/index.md"] = pages.index_page("vendors_index.html.j2", "vendors", r,
                                               rows=[pages._Defaults(x) for x in compare_rows])
    out["incidents/index.md"] = pages.index_page("incidents.html.j2", "incidents", r,
                                                 items=[pages._Defaults(i) for _, i in incidents])
    out["changes/index.md"] = pages.index_page("changes.html.j2", "policy_changes", r, total=len(change_list),
                                               limit=CHANGES_LIST_LIMIT, items=[
        pages._Defaults({**c, "label": changes.doc_label(c["policy"], lang)}) for c in change_list[:CHANGES_LIST_LIMIT]])
    out["rubric/index.md"] = pages.Renderer(lang, 1, config).render("rubric.md.j2", m=pages._Defaults(rubric.methodology()))
    counts = {"vendors": len(recs), "incidents": len(incidents),
              "claims": sum(len(x.get("claims", [])) for x in recs),
              "docs": sum(len(x.get("policies", [])) for x in recs),
              "sources": sum(len(x.get("sources", [])) for x in recs)}
    home_events = [{"date_text": e["date_text"][lang], "link": e["link"], "title": e["title"][lang]} for e in all_events[:10]]
    out["index.md"] = pages.Renderer(lang, 0, config).render("home.md.j2", counts=counts, events=home_events)
    out["feed.xml"] = _global_feed(all_events, config["site_url"], lang)
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


def write_tree(files: dict[str, str], site_src: Path = SITE_SRC) -> tuple[int, int]:
    """Write changed files, delete generated files no longer produced. Returns (written, deleted)."""
    written = deleted = 0
    for rel, content in sorted(files.items()):
        path = site_src / rel
        data = content.encode("utf-8")
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


def load(vendors_dir: Path | None = None) -> list[dict]:
    """The valid records, or RecordsInvalid with every problem."""
    recs, problems = records.load_vendors(Path(vendors_dir or records.vendors_dir()))
    if problems:
        raise RecordsInvalid(problems)
    return recs


def generate(vendors_dir: Path | None = None, site_src: Path = SITE_SRC, recs: list[dict] | None = None) -> tuple[int, int]:
    """Every page, feed and API file into site_src/ (pages as Markdown). `recs`: records already loaded and
    validated from `vendors_dir`. Returns (files written, files removed)."""
    vendors_dir = Path(vendors_dir or records.vendors_dir())
    if recs is None:
        recs = load(vendors_dir)
    return write_tree(build_pages(recs, observed_store(), site_config(), vendors_dir), site_src)


def prepare(site_src: Path, recs: list[dict], vendors_dir: Path | None = None) -> tuple[Plan, int, int]:
    """For the mkdocs hook: phase 1 of the build, with the site-wide files written into site_src/ (the
    vendors' own files are made later by the hook, from the returned plan). Returns (plan, written, removed)."""
    vendors_dir = Path(vendors_dir or records.vendors_dir())
    plan = Plan(recs, observed_store(), site_config(), vendors_dir)
    written, deleted = write_tree(plan.files, site_src)
    return plan, written, deleted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.generate", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    try:
        written, deleted = generate()
    except RecordsInvalid as e:
        for line in e.problems:
            print(line)
        print("records are invalid: nothing generated", file=sys.stderr)
        return 1
    print(f"generated site_src/: {written} file(s) written, {deleted} removed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
