"""Check vendor records: `python -m scripts.validate [PATH...]` (default: every record in vendors/).

Prints every problem as `PATH:LINE: message` and exits 1, or exits 0 when all records are valid.
Under GitHub Actions each problem is also printed as an `::error` annotation on the PR's line.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scripts import incidents, quotes, records
from scripts.derive import observed_store
from scripts.yamlsafe import format_path


def _annotation(line: str, level: str = "error") -> str:
    path, lineno, message = line.split(":", 2)
    message = message.strip().replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{level} file={path},line={lineno}::{message}"


def _quote_warnings(results: list[records.Result]) -> None:
    """A quote from a watched page that the page's current stored text does not contain is a warning, not an
    error: the page may not have been fetched yet, or may have changed (the site then marks the claim)."""
    store = observed_store()
    if store is None:
        return
    for r in results:
        if r.record is None:
            continue
        for path, _kind, _item, cit, policy in quotes.checked_citations(r.record):
            text = store.current_text(r.record["id"], policy)
            if text is not None and not quotes.quote_in(cit["quote"], text):
                where = path + ("quote",)
                line = r.loaded.value_lines.get(where) or r.loaded.line_of(where)
                r.warnings.append(f"{records.display_path(r.path)}:{line}: {format_path(where)}: quote not found in "
                                  f"the current stored text of watched policy {policy!r}")


def _other_files(files: list[Path], everything: bool) -> tuple[list[Path], list[records.Result]]:
    """Incident files (a folder named incidents/) and pending checks (reference/pending/) are checked
    against their own schemas; with no paths given, both folders are checked along with the records."""
    kinds = {"incidents": "incident", "pending": "pending"}
    extra = {"incident": [], "pending": []}
    if everything:
        extra["incident"] += incidents._files(incidents.incidents_dir())
        extra["pending"] += incidents._files(incidents.pending_dir())
    vendor_files = []
    for f in files:
        which = kinds.get(f.resolve().parent.name)
        (extra[which] if which else vendor_files).append(f)
    others = [records.Result(p, record=data, problems=probs)
              for which, paths in extra.items() for p, data, probs in incidents.check_files(paths, which)]
    return vendor_files, others


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.validate", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="record files or folders (default: vendors/)")
    args = parser.parse_args(argv)
    files: list[Path] = []
    for p in args.paths or [records.vendors_dir()]:
        files.extend(records.record_files(p) if p.is_dir() else [p])
    if not files:
        print("no records found", file=sys.stderr)
        return 1
    files, others = _other_files(files, not args.paths)
    results = records.check_paths(files)
    _quote_warnings(results)
    results += others
    on_github = os.environ.get("GITHUB_ACTIONS") == "true"
    problems = [line for r in results for line in r.problems]
    for line in problems:
        print(line)
        if on_github:
            print(_annotation(line))
    for r in results:
        for line in r.warnings:
            print(f"{line} (warning)", file=sys.stderr)
            if on_github:
                print(_annotation(line, "warning"))
    bad = sum(1 for r in results if r.problems)
    print(f"{len(results)} record(s) checked, {bad} with problems, {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
