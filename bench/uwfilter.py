"""Run by .venv-bench/'s Python (urlwatch installed there, not in the project's venv):

    .venv-bench/bin/python bench/uwfilter.py CORPUS_DIR

For each pair folder of CORPUS_DIR, applies urlwatch's `html2text` filter (through urlwatch's own filter
machinery, as a job with `filter: [html2text]` does) to before.html and after.html, and prints one JSON
object: {method: {pair name: changed?}} for the default method (`re`) and for `pyhtml2text`. urlwatch
reports a change when the filtered texts differ. Imports nothing from the project.
"""

import json
import sys
from pathlib import Path

from urlwatch.filters import FilterBase
from urlwatch.jobs import UrlJob


class _State:
    def __init__(self, job):
        self.job = job


def filtered(html: str, spec) -> str:
    job = UrlJob(url="https://ota.example.test/doc", filter=spec)
    state = _State(job)
    data = html
    for kind, subfilter in FilterBase.normalize_filter_list(spec):
        data = FilterBase.process(kind, subfilter, state, data)
    return data


def main(corpus: Path) -> int:
    specs = {"re": ["html2text"], "pyhtml2text": [{"html2text": {"method": "pyhtml2text"}}]}
    out = {}
    for method, spec in specs.items():
        out[method] = {}
        for case in sorted(p for p in corpus.iterdir() if (p / "meta.json").is_file()):
            # urlwatch decodes a response as UTF-8 first; these pages are UTF-8
            before, after = ((case / f).read_text(encoding="utf-8") for f in ("before.html", "after.html"))
            out[method][case.name] = filtered(before, spec) != filtered(after, spec)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
