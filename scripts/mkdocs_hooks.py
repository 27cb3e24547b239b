"""mkdocs hooks: validate the records and regenerate pages before every build, and render the pages that
grow with the number of vendors through the fast path (scripts/shell.py).

The same generator runs from the command line (`python -m scripts.generate`) and writes every page as
Markdown, which any mkdocs.yml builder can build; this hook makes `mkdocs build` and `mkdocs serve` do it
too, makes `serve` watch the records folder, and puts vendor and history pages (pages.FastPage) into the
theme's page frame itself instead of running Markdown and the theme once per page.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import os
import shutil
import sys
from pathlib import Path

from mkdocs.exceptions import Abort

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import generate, records, shell  # noqa: E402

log = logging.getLogger("mkdocs.erpwatch")


def _teach_segmenter(recs: list[dict]) -> None:
    """Keep vendors' Chinese names and key report names whole in the Chinese search index (the search
    plugin segments Chinese text with jieba when it is installed)."""
    try:
        import jieba
    except ImportError:
        return
    words = {n for r in recs for n in r.get("names", {}).get("zh", [])}
    words |= {info["zh"] for info in records.sp_api().get("reports", {}).values() if info.get("zh")}
    for word in sorted(words):
        jieba.add_word(word, freq=100000)


def on_pre_build(config, **kwargs):
    import time
    started = time.perf_counter()
    try:
        recs = generate.load()  # validated once per build, for the segmenter and the generator
        validated = time.perf_counter()
        _teach_segmenter(recs)
        for d in (_FAST, _FILL, _SHELLS, _DIRECT):
            d.clear()
        # ERPWATCH_FAST_PAGES=0: every page through Markdown and the theme, as any builder would (slow; for
        # comparison, see tests/test_fast_pages.py)
        fast = os.environ.get("ERPWATCH_FAST_PAGES") != "0"
        written, deleted = generate.generate(site_src=Path(config["docs_dir"]), recs=recs,
                                             fast_pages=_FAST if fast else None, direct_files=_DIRECT if fast else None)
        for path in [p for p, page in _FAST.items() if page.nav]:
            _FILL[path] = _FAST.pop(path)
    except generate.RecordsInvalid as e:
        for line in e.problems:
            print(line, file=sys.stderr)
        raise Abort(f"{len(e.problems)} problem(s) in the vendor records: the site was not built") from None
    log.info("ERP Watch: %d records valid (%.1f s); generated pages in %.1f s (%d written, %d removed; %d through "
             "the fast path)", len(recs), validated - started, time.perf_counter() - validated, written, deleted,
             len(_FAST) + len(_FILL))


_FAST: dict = {}    # this build's fast pages outside the navigation: source path ("vendors/x/index.md") -> pages.FastPage
_FILL: dict = {}    # fast pages in the navigation: mkdocs builds them from a stub, then the body is filled in
_SHELLS: dict = {}  # (lang, depth) -> shell.Shell, cut from the rendered shell pages
_DIRECT: dict = {}  # per-vendor feeds and API files, written straight into the built site


def on_files(files, config, **kwargs):
    from mkdocs.structure.files import File
    for path in _FAST:  # a Markdown copy left by `python -m scripts.generate`: built by the fast path instead
        f = files.get_file_from_path(path)
        if f is not None:
            files.remove(f)
    for lang, depth in sorted({shell.lang_and_depth(path) for path in _FAST}):
        files.append(File.generated(config, shell.shell_src(lang, depth), content=shell.shell_markdown(lang)))
    return files


def on_page_markdown(markdown, page, config, files, **kwargs):
    if page.file.src_uri in _FILL:  # no Markdown or search indexing of the long body: it is filled in later
        page.meta["search"] = {"exclude": True}
        return shell.FILL_MARKDOWN
    return markdown


def on_post_page(output, page, config, **kwargs):
    if page.file.src_uri in _FILL:
        try:
            return shell.fill(output, _FILL[page.file.src_uri])
        except shell.ShellError as e:
            raise Abort(f"ERP Watch: {e} ({page.file.src_uri}); the theme's markup may have changed") from None
    for lang, depth in {shell.lang_and_depth(path) for path in _FAST}:
        if page.file.src_uri == shell.shell_src(lang, depth):
            try:
                _SHELLS[(lang, depth)] = shell.Shell.parse(output, lang, depth)
            except shell.ShellError as e:
                raise Abort(f"ERP Watch: {e} ({page.file.src_uri}); the theme's markup may have changed") from None
    return output


def on_post_build(config, **kwargs):
    import time
    started = time.perf_counter()
    site = Path(config["site_dir"])
    base_url = (config.get("site_url") or "").rstrip("/") + "/"
    entries, urls = [], []
    from concurrent.futures import ThreadPoolExecutor
    writes = []
    with ThreadPoolExecutor(4) as writer:  # file writes release the GIL: overlap them with the rendering
        for path, page in sorted(_FAST.items()):
            lang, depth = shell.lang_and_depth(path)
            prefix = "zh/" if lang == "zh" else ""
            url = path[len(prefix):-len("index.md")]
            feed = (page.vendor_feed or "")[len(prefix):-len("feed.xml")]
            writes.append(writer.submit(_write, site / prefix / url / "index.html",
                                        _SHELLS[(lang, depth)].render(page, url, feed)))
            entries += [dict(e, location=prefix + e["location"], lang=lang) for e in shell.search_entries(page, url)]
            urls.append(base_url + prefix + url)
        for path, content in _DIRECT.items():
            writes.append(writer.submit(_write, site / path, content))
    for w in writes:
        w.result()  # a failed write fails the build
    for path, page in sorted(_FILL.items()):
        lang, _depth = shell.lang_and_depth(path)
        prefix = "zh/" if lang == "zh" else ""
        entries += [dict(e, location=prefix + e["location"], lang=lang)
                    for e in shell.search_entries(page, path[len(prefix):-len("index.md")])]
    for lang, _depth in _SHELLS:
        shutil.rmtree(site / ("zh" if lang == "zh" else "") / shell.SHELL, ignore_errors=True)
    written = time.perf_counter()
    _add_to_search_index(site, entries)
    _add_to_sitemap(site, urls)
    log.info("ERP Watch: %d pages and %d feed and API files written through the fast path in %.1f s; "
             "search index and sitemap %.1f s", len(_FAST), len(_DIRECT), written - started,
             time.perf_counter() - written)


def segment_chinese(text: str) -> str:
    """What the search plugin's SearchIndex._segment_chinese does (each run of Han characters cut into words
    by jieba, words separated by zero-width spaces), with each distinct run cut once: the same labels recur
    on every Chinese page."""
    import backrefs.bre
    global _HAN
    if _HAN is None:
        _HAN = backrefs.bre.compile(r"(\p{script: Han}+)", backrefs.bre.UNICODE)
    return _HAN.sub(lambda m: _cut_han(m.group(0)), text).strip("\u200b")


_HAN = None


@functools.lru_cache(maxsize=200_000)
def _cut_han(run: str) -> str:
    import jieba
    return "\u200b" + "\u200b".join(jieba.cut(run.encode("utf-8"))) + "\u200b"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _add_to_search_index(site: Path, entries: list[dict]) -> None:
    """Append the fast pages' entries to the index the search plugin wrote (Chinese text segmented the way
    the plugin does it)."""
    path = site / "search" / "search_index.json"
    if not path.is_file():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    index["docs"] = [e for e in index["docs"] if shell.SHELL not in e["location"]]
    for e in entries:
        if e.pop("lang") == "zh":
            e["title"] = segment_chinese(e["title"])
            e["text"] = segment_chinese(e["text"])
        index["docs"].append(e)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(index, separators=(",", ":")), encoding="utf-8")
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
