"""Build benchmark: the full site build for N synthetic vendors, and a naive mkdocs-material baseline.

Each build is a cold `python -m mkdocs build --strict -f <tmp>/mkdocs.yml` in its own child process, in a
fresh temporary folder (a copy of the hand-written site_src/ without anything generated, the project's
mkdocs.yml with docs_dir/site_dir pointed there, as tests/sitebuild.py does), with ERPWATCH_VENDORS_DIR and
ERPWATCH_SNAPSHOTS_DIR pointing at the synthetic records and store. So the time covers everything `make
build` does for those records: validation, the generator (pages in two languages, feeds, the JSON API),
mkdocs (Markdown, theme, search index) and the hook's fast path (vendor and history pages, see
scripts/site/shell.py). The project's site_src/ and vendors/ are never touched.

The naive baseline is a separate plain mkdocs-material project (same theme, the search plugin, nothing
else): N simple pages, every one listed in the navigation.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.util import ROOT, Measured, python_cmd, run_measured, say

PHASES = ("config", "pre_build", "generated", "nav", "env", "rendered", "done")


@dataclass
class BuildResult:
    label: str
    n: int
    measured: Measured
    pages: int                  # HTML files written
    site_mb: float              # size of the built site
    search_mb: float            # size of the search index (search/search_index.json), which browsers download
    phases: dict = field(default_factory=dict)  # phase name -> seconds

    @property
    def ok(self) -> bool:
        return self.measured.returncode == 0


def site_project(tmp: Path) -> Path:
    """A copy of the site config and hand-written pages in `tmp`; returns the mkdocs.yml path."""
    from scripts.site.build import GENERATED_DIRS, GENERATED_FILES

    docs = tmp / "site_src"
    docs.mkdir()
    skip = {*GENERATED_DIRS, *GENERATED_FILES, "generated"}
    for entry in (ROOT / "site_src").iterdir():  # the hand-written part only (generated parts are top-level)
        if entry.name in skip:
            continue
        if entry.is_dir():
            shutil.copytree(entry, docs / entry.name)
        else:
            shutil.copy2(entry, docs / entry.name)
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = re.sub(r"^docs_dir: .*$", f"docs_dir: {docs}", config, flags=re.M)
    config = re.sub(r"^site_dir: .*$", f"site_dir: {tmp / 'site'}", config, flags=re.M)
    hooks = f"  - {ROOT / 'scripts' / 'site' / 'mkdocs_hooks.py'}\n  - {ROOT / 'bench' / 'hooks.py'}"
    if "  - scripts/site/mkdocs_hooks.py" not in config:
        raise RuntimeError("mkdocs.yml no longer lists scripts/site/mkdocs_hooks.py: update bench/build.py")
    config = config.replace("  - scripts/site/mkdocs_hooks.py", hooks)
    path = tmp / "mkdocs.yml"
    path.write_text(config, encoding="utf-8")
    return path


NAIVE_PAGE = """# Page {i}

This is page {i} of a plain mkdocs-material site used as the benchmark's baseline. It has a few
paragraphs of text, a list and a table, like a short documentation page.

## Section

- first point about page {i}
- second point, with a [link to page {j}](page-{j}.md)

| key | value |
| --- | --- |
| number | {i} |
| next | {j} |

Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et
dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip.
"""


def naive_project(tmp: Path, n: int) -> Path:
    """Plain mkdocs-material: N simple pages, all in the navigation, the search plugin, no hooks but the
    benchmark's phase stamps."""
    docs = tmp / "docs"
    docs.mkdir(parents=True)
    (docs / "index.md").write_text("# Baseline\n\nA plain mkdocs-material site.\n", encoding="utf-8")
    nav = ["  - Home: index.md"]
    for i in range(1, n + 1):
        (docs / f"page-{i}.md").write_text(NAIVE_PAGE.format(i=i, j=i % n + 1), encoding="utf-8")
        nav.append(f"  - Page {i}: page-{i}.md")
    config = (f"site_name: Naive baseline\ndocs_dir: {docs}\nsite_dir: {tmp / 'site'}\n"
              "theme:\n  name: material\nplugins:\n  - search\n"
              f"hooks:\n  - {ROOT / 'bench' / 'hooks.py'}\n"
              "nav:\n" + "\n".join(nav) + "\n")
    path = tmp / "mkdocs.yml"
    path.write_text(config, encoding="utf-8")
    return path


def run_build(label: str, n: int, config: Path, env_extra: dict, logs: Path, timeout: float = 3600) -> BuildResult:
    stamps = config.parent / "stamps.jsonl"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "ERPWATCH_BENCH_STAMPS": str(stamps), **env_extra}
    say(f"build: {label} ...")
    # Start each build with the disk quiet: the data just generated (or the previous build's site) would
    # otherwise still be written back while this build runs, on whichever build comes next.
    if hasattr(os, "sync"):
        os.sync()
    peak = config.parent / "peak.txt"
    m = run_measured(python_cmd(sys.executable, peak, "-m", "mkdocs", "build", "--strict", "-f", str(config)),
                     env=env, cwd=ROOT, timeout=timeout, log=logs / re.sub(r"[^a-z0-9]+", "-", label.lower()),
                     peak_file=peak)
    site = config.parent / "site"
    pages = sum(1 for _ in site.rglob("*.html")) if site.is_dir() else 0
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 2**20 if site.is_dir() else 0.0
    index = site / "search" / "search_index.json"
    search = index.stat().st_size / 2**20 if index.is_file() else 0.0
    result = BuildResult(label, n, m, pages, size, search, phases(stamps, m))
    if not result.ok:
        say(f"build: {label} FAILED (exit {m.returncode}):\n{m.tail()}")
    else:
        say(f"build: {label}: {m.wall:.1f} s, peak {m.peak_mb:.0f} MiB, {pages} HTML pages, {size:.0f} MiB "
            f"(search index {search:.1f} MiB)")
    return result


def phases(stamps: Path, m: Measured) -> dict:
    """Seconds per phase from the hook's stamps (see bench/hooks.py)."""
    try:
        t = {}
        for line in stamps.read_text(encoding="utf-8").splitlines():
            e = json.loads(line)
            t.setdefault(e["event"], e["t"])
    except (OSError, ValueError):
        return {}
    out = {}
    points = [("start", m.start)] + [(p, t[p]) for p in PHASES if p in t] + [("exit", m.start + m.wall)]
    names = {"config": "startup (imports, config)", "pre_build": "config to pre_build",
             "generated": "records + site-wide pages", "nav": "files + navigation", "env": "Markdown",
             "rendered": "theme + write (mkdocs' pages)",
             "done": "vendors' pages through the fast path, search index", "exit": "exit"}
    for (_, a), (name, b) in zip(points, points[1:]):
        out[names[name]] = b - a
    return out


def site_build(tmp: Path, vendors_dir: Path, store_dir: Path, n: int, logs: Path) -> BuildResult:
    tmp.mkdir(parents=True)
    config = site_project(tmp)
    env = {"ERPWATCH_VENDORS_DIR": str(vendors_dir), "ERPWATCH_SNAPSHOTS_DIR": str(store_dir)}
    return run_build(f"site N={n}", n, config, env, logs)


def naive_build(tmp: Path, n: int, logs: Path) -> BuildResult:
    tmp.mkdir(parents=True)
    return run_build(f"naive N={n}", n, naive_project(tmp, n), {}, logs)
