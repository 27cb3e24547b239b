"""Sharded watch runs on GitHub Actions: hand each shard's results to the final job and merge them there.

    python -m scripts.watch_merge export --shard I/N --summary FILE --store DIR --out DIR
    python -m scripts.watch_merge merge --shards N --store DIR [--summary-out F] [--title-out F]
                                        [--body-out F] SHARD_DIR...

Every shard job starts from the same store (.github/workflows/watch.yml), runs
`python -m scrapers.watch --shard I/N --json` and `export`s the folders of the documents it checked
(snapshots/<vendor>/<doc>/, listed by the watcher's JSON summary) with that summary. A document is in
exactly one shard, so the final job's `merge` replaces each exported folder in its own copy of the store
and nothing else; it refuses shards that claim the same document (a sharding bug) and reports shards that
are missing (their documents keep their previous state). It also writes the merged summary — the watcher's
format, plus `shards` — and the title and body of the pull request that carries the observed changes.

Exit status: 0 merged (missing shards are a warning); 1 the shards' results are inconsistent or unreadable;
2 usage error.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

from scrapers.fsio import TEMP_MARK, dumps, write_text

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LISTS = ("changed", "unchanged", "failed")
SUMMARY_NAME = "summary.json"
STORE_NAME = "store"


class MergeError(Exception):
    pass


def parse_shard(value: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)/(\d+)", value.strip())
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise argparse.ArgumentTypeError(f"wants I/N with 1 <= I <= N, got {value!r}")
    return int(m.group(1)), int(m.group(2))


def documents(summary: dict) -> list[tuple[str, str]]:
    """(vendor, document) of every item of a watcher summary, checked for being safe path parts."""
    found = []
    for name in LISTS:
        items = summary.get(name, [])
        if not isinstance(items, list):
            raise MergeError(f"summary: {name!r} is not a list")
        for item in items:
            vendor, doc = (item.get("vendor"), item.get("document")) if isinstance(item, dict) else (None, None)
            if not (isinstance(vendor, str) and isinstance(doc, str) and SLUG.match(vendor) and SLUG.match(doc)):
                raise MergeError(f"summary: {name} item {item!r} does not name a vendor and document id")
            found.append((vendor, doc))
    return found


def read_summary(path: Path) -> dict:
    try:
        summary = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise MergeError(f"{path}: cannot read the watcher's JSON summary: {e}") from None
    if not isinstance(summary, dict):
        raise MergeError(f"{path}: the summary is not a JSON object")
    return summary


def _copy_doc(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=lambda _dir, names: [n for n in names if TEMP_MARK in n])


def export(shard: tuple[int, int], summary_path: Path, store: Path, out: Path) -> dict:
    summary = read_summary(summary_path)
    docs = documents(summary)
    if out.exists() and any(out.iterdir()):
        raise MergeError(f"{out}: the export folder must be empty")
    for vendor, doc in docs:
        folder = store / vendor / doc
        if folder.is_dir():  # a document whose first check failed before anything was written has none
            _copy_doc(folder, out / STORE_NAME / vendor / doc)
    summary = dict(summary, shard=f"{shard[0]}/{shard[1]}")
    write_text(out / SUMMARY_NAME, dumps(summary))
    return summary


def merge(shard_dirs: list[Path], count: int, store: Path) -> dict:
    """Copy every shard's documents into `store`; returns the merged summary."""
    owner: dict[tuple[str, str], int] = {}
    shards: dict[int, tuple[Path, dict]] = {}
    for folder in shard_dirs:
        summary = read_summary(folder / SUMMARY_NAME)
        try:
            index, total = parse_shard(str(summary.get("shard", "")))
        except argparse.ArgumentTypeError as e:
            raise MergeError(f"{folder}: 'shard' {e}") from None
        if total != count:
            raise MergeError(f"{folder}: shard {index}/{total} is not one of {count} shards")
        if index in shards:
            raise MergeError(f"{folder}: shard {index} given twice (also {shards[index][0]})")
        for key in documents(summary):
            if key in owner:
                raise MergeError(f"{'/'.join(key)} was checked by shards {owner[key]} and {index}: every "
                                 f"document must be in exactly one shard")
            owner[key] = index
        shards[index] = (folder, summary)
    for (vendor, doc), index in sorted(owner.items()):
        src = shards[index][0] / STORE_NAME / vendor / doc
        if src.is_dir():
            _copy_doc(src, store / vendor / doc)
    merged = {name: sorted((item for _, s in shards.values() for item in s.get(name, [])),
                           key=lambda i: (i["vendor"], i["document"])) for name in LISTS}
    merged["checked"] = sum(len(merged[name]) for name in LISTS)
    merged["shards"] = {"count": count, "merged": sorted(shards),
                        "missing": [i for i in range(1, count + 1) if i not in shards]}
    return merged


# --- the pull request -----------------------------------------------------------------------------

def _code(text: str, limit: int = 300) -> str:
    """`text` as one Markdown code span: whatever a page put in a message renders as plain text."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _change(item: dict) -> str:
    if item.get("initial"):
        return "first recorded version"
    if item.get("technical"):
        return "technical update (re-extraction; not announced)"
    if item.get("revisit"):
        return f"+{item.get('added', 0)} −{item.get('removed', 0)} words, back to a recent variant (not announced)"
    if item.get("minor"):
        return f"+{item.get('added', 0)} −{item.get('removed', 0)} words, only a labelled date (not announced)"
    return f"+{item.get('added', 0)} −{item.get('removed', 0)} words"


def pr_title(summary: dict) -> str:
    real = [i for i in summary["changed"] if not i.get("technical")]
    parts = [f"{len(real)} document(s) changed"] if real else ["no policy changes"]
    if summary["failed"]:
        parts.append(f"{len(summary['failed'])} failing")
    return "Watch: " + ", ".join(parts)


def pr_body(summary: dict, run_url: str | None = None) -> str:
    lines = ["Observed by the scheduled policy watch" + (f" ([run]({run_url}))." if run_url else "."), "",
             (f"**{summary['checked']} document(s) checked**: {len(summary['changed'])} changed, "
             f"{len(summary['unchanged'])} unchanged, {len(summary['failed'])} failed."), ""]
    missing = summary.get("shards", {}).get("missing") or []
    if missing:
        lines += [(f"> [!WARNING]\n> Shard(s) {', '.join(map(str, missing))} produced no results: their "
                  f"documents were not checked in this run and keep their previous state."), ""]
    if summary["changed"]:
        lines += ["### Changed", ""]
        lines += [f"- {_code(i['vendor'] + '/' + i['document'])}: {_change(i)}" for i in summary["changed"]]
        lines.append("")
    if summary["failed"]:
        lines += ["### Failed", ""]
        lines += [f"- {_code(i['vendor'] + '/' + i['document'])}: {_code(i.get('failure', '?'))} "
                  f"{_code(i.get('message', ''))}" for i in summary["failed"]]
        lines += ["", "A document that keeps failing gets its own issue (label `watch-failure`).", ""]
    lines += ["---", ("This pull request is written by `.github/workflows/watch.yml`: every run rebuilds its "
              "branch as main plus the observed store (`snapshots/`), so do not push to it. Review the "
              "changes under `snapshots/` and merge to publish them.")]
    return "\n".join(lines) + "\n"


# --- command line ---------------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m scripts.watch_merge", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export", help="in a shard job: copy the checked documents' folders and the summary")
    e.add_argument("--shard", type=parse_shard, required=True, metavar="I/N", help="this job's shard")
    e.add_argument("--summary", type=Path, required=True, metavar="FILE",
                   help="the output of `python -m scrapers.watch --json`")
    e.add_argument("--store", type=Path, required=True, metavar="DIR", help="the store the watcher wrote")
    e.add_argument("--out", type=Path, required=True, metavar="DIR", help="empty folder to upload")
    m = sub.add_parser("merge", help="in the final job: copy every shard's documents into the store")
    m.add_argument("--shards", type=int, required=True, metavar="N", help="how many shards the run had")
    m.add_argument("--store", type=Path, required=True, metavar="DIR", help="the store to update")
    m.add_argument("--summary-out", type=Path, metavar="FILE", help="write the merged summary here")
    m.add_argument("--title-out", type=Path, metavar="FILE", help="write the pull request's title here")
    m.add_argument("--body-out", type=Path, metavar="FILE", help="write the pull request's body here")
    m.add_argument("--run-url", metavar="URL", help="link to the workflow run, for the body")
    m.add_argument("shard_dirs", nargs="*", type=Path, metavar="SHARD_DIR", help="exported shard folders")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    try:
        if args.command == "export":
            summary = export(args.shard, args.summary, args.store, args.out)
            print(f"shard {summary['shard']}: exported {len(documents(summary))} document(s)", file=sys.stderr)
            return 0
        if args.shards < 1:
            p.error("--shards must be at least 1")
        merged = merge(args.shard_dirs, args.shards, args.store)
    except MergeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if merged["shards"]["missing"]:
        print(f"::warning::watch shard(s) {', '.join(map(str, merged['shards']['missing']))} of "
              f"{args.shards} produced no results; their documents keep their previous state")
    if args.summary_out:
        write_text(args.summary_out, dumps(merged))
    if args.title_out:
        write_text(args.title_out, pr_title(merged) + "\n")
    if args.body_out:
        write_text(args.body_out, pr_body(merged, args.run_url))
    print(f"merged {len(merged['shards']['merged'])} of {args.shards} shard(s): {merged['checked']} checked, "
          f"{len(merged['changed'])} changed, {len(merged['failed'])} failed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
