"""mkdocs hooks: validate the records and regenerate pages before every build, and render the pages that
grow with the number of vendors through the fast path (scripts/site/shell.py).

The same generator runs from the command line (`python -m scripts.generate`) and writes every page as
Markdown, which any mkdocs.yml builder can build; this hook makes `mkdocs build` and `mkdocs serve` do it
too, makes `serve` watch the records folder, and puts vendor and history pages (pages.FastPage) into the
theme's page frame itself instead of running Markdown and the theme once per page.
"""

from __future__ import annotations

import gc
import gzip
import json
import logging
import os
import shutil
import sys
from pathlib import Path

from mkdocs.exceptions import Abort

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))  # the repository: mkdocs loads this file by path

from scripts.records import load as records  # noqa: E402
from scripts.site import build as generate  # noqa: E402
from scripts.site import segmenter, shell  # noqa: E402
from scripts.site.pages import FastPage  # noqa: E402
from scripts.site.workers import WorkerError  # noqa: E402

log = logging.getLogger("mkdocs.erpwatch")


def _segmenter_words(vendors: list[dict]) -> list[str]:
    """Words to keep whole in the Chinese search index (the search plugin segments Chinese text with jieba
    when it is installed): vendors' Chinese names and key report names."""
    words = {n for v in vendors for n in v["zh_names"]}
    words |= {info["zh"] for info in records.sp_api().get("reports", {}).values() if info.get("zh")}
    return sorted(words)


def on_pre_build(config, **kwargs):
    import time
    started = time.perf_counter()
    global _PLAN, _WRITING
    if _PLAN is not None:  # `mkdocs serve`: the previous build's workers
        _PLAN.close()
    _PLAN = None
    _WRITING = False
    for d in (_FILL, _SHELLS):
        d.clear()
    plan = generate.start()  # the workers validate the records and make each vendor's files...
    try:
        segmenter.install()  # ...while this process readies the segmenter
        # What is loaded so far (mkdocs, the theme) lives as long as the build: keep the cyclic garbage
        # collector from walking it again and again while this process takes in the workers' results.
        # Undone when the build ends.
        gc.freeze()
        plan.finish()
        words = _segmenter_words(plan.vendors)
        segmenter.teach(words)
        # ERPWATCH_FAST_PAGES=0: every page through Markdown and the theme, as any builder would (slow; for
        # comparison, see tests/test_fast_pages.py)
        if os.environ.get("ERPWATCH_FAST_PAGES") == "0":
            written, deleted = generate.write_tree(plan.all_files(), Path(config["docs_dir"]))
            plan.close()
        else:
            plan.segment(words)  # the workers make their search entries into the index's JSON meanwhile
            written, deleted = generate.write_tree(plan.files, Path(config["docs_dir"]))
            _PLAN = plan
            _FILL.update((p, page) for p, page in plan.files.items() if isinstance(page, FastPage) and page.nav)
    except generate.RecordsInvalid as e:
        plan.close()
        for line in e.problems:
            print(line, file=sys.stderr)
        raise Abort(f"{len(e.problems)} problem(s) in the vendor records: the site was not built") from None
    except WorkerError as e:
        plan.close()
        raise Abort(f"ERP Watch: {e}") from None
    except BaseException:
        plan.close()
        raise
    log.info("ERP Watch: %d records validated and site-wide pages generated in %.1f s (%d written, %d removed)",
             len(plan.vendors), time.perf_counter() - started, written, deleted)


def on_build_error(error, **kwargs):
    gc.unfreeze()
    global _PLAN
    if _PLAN is not None:
        _PLAN.close()
        _PLAN = None


_PLAN = None        # this build's generate.Plan (None when the fast path is off)
_FILL: dict = {}    # fast pages in the navigation: mkdocs builds them from a stub, then the body is filled in
_SHELLS: dict = {}  # (lang, depth) -> shell.Shell, cut from the rendered shell pages
SHELLS = (("en", 2), ("zh", 2))  # vendor and history pages: vendors/<id>/, changes/<slug>/ in both languages


def on_files(files, config, **kwargs):
    from mkdocs.structure.files import File, Files
    if _PLAN is not None and _PLAN.vendors:
        # First in the collection, so mkdocs renders them first: the workers can write the vendors' pages into
        # them while mkdocs renders its own pages. (The shells' search and sitemap entries are dropped at the
        # end, so the other entries keep their order.)
        shells = [File.generated(config, shell.shell_src(lang, depth), content=shell.shell_markdown(lang))
                  for lang, depth in SHELLS]
        files = Files(shells + list(files))
    return files


def on_page_markdown(markdown, page, config, files, **kwargs):
    if page.file.src_uri in _FILL:  # no Markdown or search indexing of the long body: it is filled in later
        page.meta["search"] = {"exclude": True}
        return shell.FILL_MARKDOWN
    from scripts.site import methodology_parts
    extra = methodology_parts.for_page(page.file.src_uri)  # Amazon's rules as context, pending checks
    return markdown + extra if extra else markdown


def on_post_page(output, page, config, **kwargs):
    if page.file.src_uri in _FILL:
        try:
            return shell.fill(output, _FILL[page.file.src_uri])
        except shell.ShellError as e:
            raise Abort(f"ERP Watch: {e} ({page.file.src_uri}); the theme's markup may have changed") from None
    for lang, depth in SHELLS:
        if _PLAN is not None and page.file.src_uri == shell.shell_src(lang, depth):
            try:
                _SHELLS[(lang, depth)] = shell.Shell.parse(output, depth)
            except shell.ShellError as e:
                raise Abort(f"ERP Watch: {e} ({page.file.src_uri}); the theme's markup may have changed") from None
            if len(_SHELLS) == len(SHELLS):
                _start_writing(config)
    return output


def _start_writing(config) -> None:
    """Have the workers write the vendors' files into the site (once the shells are rendered)."""
    global _WRITING
    if _WRITING or not _PLAN.vendors:
        return
    _WRITING = True
    try:
        _PLAN.start_writing(_SHELLS, Path(config["site_dir"]))
    except WorkerError as e:
        raise Abort(f"ERP Watch: {e}") from None


_WRITING = False  # the workers were told to write this build's vendors' files


def on_post_build(config, **kwargs):
    if _PLAN is None:
        gc.unfreeze()
        return
    import time
    started = time.perf_counter()
    site = Path(config["site_dir"])
    # Every vendor's pages, history pages, feeds and API file (made by the plan's workers while mkdocs ran),
    # written by the workers since the shells were rendered, the pages inside the shells. Only the URLs and
    # the search index's JSON come back; this process completes the index and the sitemap meanwhile.
    try:
        missing = [key for key in SHELLS if key not in _SHELLS]
        if missing and _PLAN.vendors:
            raise Abort(f"ERP Watch: the shell pages {missing} were not rendered")
        _start_writing(config)
        urls = _PLAN.vendor_urls() if _PLAN.vendors else []
        entries = []
        for path, page in sorted(_FILL.items()):
            lang, _depth = shell.lang_and_depth(path)
            prefix = "zh/" if lang == "zh" else ""
            entries += [dict(e, location=prefix + e["location"], lang=lang)
                        for e in shell.search_entries(page, path[len(prefix):-len("index.md")])]
        list_docs = shell.search_docs(entries)
        base_url = (config.get("site_url") or "").rstrip("/") + "/"
        _add_to_sitemap(site, [base_url + u for u in urls])
        vendor_docs = _PLAN.search_docs() if _PLAN.vendors else ""
        _add_to_search_index(site, ",".join(docs for docs in (vendor_docs, list_docs) if docs))
        indexed = time.perf_counter()
        if _PLAN.vendors:
            _PLAN.written()
    except WorkerError as e:
        raise Abort(f"ERP Watch: {e}") from None
    finally:
        _PLAN.close(wait=False)  # the workers exit (and free their memory) while this process goes on
        gc.unfreeze()
    for lang, _depth in SHELLS:
        shutil.rmtree(site / ("zh" if lang == "zh" else "") / shell.SHELL, ignore_errors=True)
    log.info("ERP Watch: %d vendors' pages, feeds and API files made and written in %.1f s (search index and "
             "sitemap done after %.1f s)", len(_PLAN.vendors), time.perf_counter() - started, indexed - started)


def _add_to_search_index(site: Path, docs: str) -> None:
    """Append `docs` (shell.search_docs) to the index the search plugin wrote, in place of its shell pages'
    entries."""
    path = site / "search" / "search_index.json"
    if not path.is_file():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    own = [e for e in index.pop("docs") if shell.SHELL not in e["location"]]
    text = json.dumps({**index, "docs": own}, separators=(",", ":"))  # ends with the docs list: "...]}"
    if docs:
        text = text[:-2] + ("," if own else "") + docs + "]}"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _add_to_sitemap(site: Path, urls: list[str]) -> None:
    import re
    from xml.sax.saxutils import escape
    path = site / "sitemap.xml"
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\s*<url>\s*<loc>[^<]*" + shell.SHELL + r"[^<]*</loc>.*?</url>", "", text, flags=re.S)
    added = "".join(f"\n    <url>\n         <loc>{escape(u)}</loc>\n    </url>" for u in urls)
    text = text.replace("</urlset>", added.lstrip("\n") + "\n</urlset>" if added else "</urlset>")
    path.write_text(text, encoding="utf-8")
    with gzip.GzipFile(site / "sitemap.xml.gz", "wb", mtime=0) as f:
        f.write(text.encode("utf-8"))


def on_serve(server, config, builder, **kwargs):
    server.watch(str(records.vendors_dir()))
    return server
