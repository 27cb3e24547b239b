"""Check vendor records: `python -m scripts.validate [PATH...]` (default: every record in vendors/).

Prints every problem as `PATH:LINE: message` and exits 1, or exits 0 when all records are valid.
Under GitHub Actions each problem is also printed as an `::error` annotation on the PR's line.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scripts.analysis import quotes
from scripts.analysis.derive import observed_store
from scripts.records import incidents, safeio
from scripts.records import load as records
from scripts.records.yamlsafe import format_path


def _annotation(display: str, line: str, level: str = "error") -> str:
    """`line` is `DISPLAY:LINE: message`; split at the known path (a file name may contain `:`)."""
    lineno, _, message = line[len(display) + 1:].partition(":") if line.startswith(display + ":") else ("1", "", line)
    lineno = lineno if lineno.isdigit() else "1"
    return (f"::{level} file={safeio.annotation_property(display)},line={lineno}::"
            f"{safeio.annotation_data(message.strip())}")


def stray_files(directory: Path) -> list[tuple[str, str]]:
    """Files in a records folder that look like records but are not read (`*.yml`, `*.YAML`): a contributor
    who named one so would otherwise see it pass without being checked."""
    found = []
    for p in sorted(Path(directory).iterdir()):
        if p.suffix.lower() in (".yml", ".yaml") and p.suffix != ".yaml" and not p.name.startswith("_"):
            display = records.display_path(p)
            found.append((display, f"{display}:1: not read: records are named ID.yaml (rename the file)"))
    return found


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
    strays: list[tuple[str, str]] = []
    for p in args.paths or [records.vendors_dir()]:
        if p.is_dir() and not p.is_symlink():
            files.extend(records.record_files(p))
            strays.extend(stray_files(p))
        else:
            files.append(p)
    if not files and not strays:
        print("no records found", file=sys.stderr)
        return 1
    files, others = _other_files(files, not args.paths)
    results = records.check_paths(files)
    _quote_warnings(results)
    results += others
    on_github = os.environ.get("GITHUB_ACTIONS") == "true"
    # Every line is made safe to print (names and values escaped, long lines cut): see scripts.records.safeio.
    problems = [(records.display_path(r.path), line) for r in results for line in r.problems]
    problems += strays
    for display, line in problems:
        print(safeio.output_line(line))
        if on_github:
            print(_annotation(display, line))
    for r in results:
        for line in r.warnings:
            print(safeio.output_line(f"{line} (warning)"), file=sys.stderr)
            if on_github:
                print(_annotation(records.display_path(r.path), line, "warning"))
    bad = sum(1 for r in results if r.problems) + len(strays)
    print(f"{len(results)} record(s) checked, {bad} with problems, {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
