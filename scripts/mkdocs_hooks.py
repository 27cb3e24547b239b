"""mkdocs hooks: validate the records and regenerate pages before every build.

The same generator runs from the command line (`python -m scripts.generate`); this hook only makes
`mkdocs build` and `mkdocs serve` do it too, and makes `serve` watch the records folder.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from mkdocs.exceptions import Abort

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import generate, records  # noqa: E402

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
    try:
        recs = generate.load()  # validated once per build, for the segmenter and the generator
        _teach_segmenter(recs)
        written, deleted = generate.generate(site_src=Path(config["docs_dir"]), recs=recs)
    except generate.RecordsInvalid as e:
        for line in e.problems:
            print(line, file=sys.stderr)
        raise Abort(f"{len(e.problems)} problem(s) in the vendor records: the site was not built") from None
    log.info("ERP Watch: generated pages (%d written, %d removed)", written, deleted)


def on_serve(server, config, builder, **kwargs):
    server.watch(str(records.vendors_dir()))
    return server
