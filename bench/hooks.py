"""mkdocs hook used only by the benchmarks: wall-clock stamps of the build's phases.

Added to the benchmark's temporary mkdocs.yml (never to the project's). Each stamp is appended as one JSON
line `{"event": ..., "t": time.time()}` to the file named by $ERPWATCH_BENCH_STAMPS. Priorities put the
stamps around the other hooks and plugins of the same event (higher runs first), so:

    config          -> on_config (mkdocs imported, config loaded)
    pre_build       -> before the site's own on_pre_build (records validated, pages generated)
    generated       -> after every on_pre_build and the scan of the docs folder
    nav             -> navigation built
    env             -> every page's Markdown converted
    rendered        -> the last page rendered with the theme and written
    done            -> after every on_post_build (search index written)
"""

from __future__ import annotations

import json
import os
import time

from mkdocs.plugins import event_priority


def _stamp(event: str, when: float | None = None) -> None:
    path = os.environ.get("ERPWATCH_BENCH_STAMPS")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"event": event, "t": when or time.time()}) + "\n")


@event_priority(100)
def on_config(config, **kwargs):
    _stamp("config")
    return config


@event_priority(100)
def on_pre_build(config, **kwargs):
    _stamp("pre_build")


@event_priority(-100)
def on_files(files, config, **kwargs):
    # on_files runs after every on_pre_build and after the docs folder is scanned
    _stamp("generated")
    return files


@event_priority(-100)
def on_nav(nav, config, files, **kwargs):
    _stamp("nav")
    return nav


@event_priority(-100)
def on_env(env, config, files, **kwargs):
    _stamp("env")
    return env


_last_page = [0.0]


@event_priority(-100)
def on_post_page(output, page, config, **kwargs):
    _last_page[0] = time.time()
    return output


@event_priority(-100)
def on_post_build(config, **kwargs):
    if _last_page[0]:
        _stamp("rendered", _last_page[0])
    _stamp("done")
