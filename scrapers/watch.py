"""`python -m scrapers.watch`: check every watched document and record real changes.

Exit status: 0 nothing failed; 1 some document failed (see the summary); 2 usage error;
3 another run holds the store's lock (nothing was checked).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from scrapers.extract_pool import MIN_DOCUMENTS, ExtractPool, default_processes
from scrapers.fsio import LockBusy
from scrapers.http import FetchConfig, HttpClient
from scrapers.netguard import AddressPolicy
from scrapers.page import Target
from scrapers.pipeline import Fetched, Outcome, Watcher
from scrapers.progress import Progress
from scrapers.store import open_store
from scrapers.targets import in_shard, load_targets

ROOT = Path(__file__).resolve().parent.parent
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3


def default_vendors() -> Path:
    return Path(os.environ.get("ERPWATCH_VENDORS_DIR") or ROOT / "vendors")


def default_store() -> Path:
    return Path(os.environ.get("ERPWATCH_SNAPSHOTS_DIR") or ROOT / "snapshots")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m scrapers.watch", description=(
        "Check every watched policy document (vendors/*.yaml `policies:`), record real text changes in "
        "the snapshots store, and report what changed, what did not and what failed."))
    p.add_argument("--vendors", type=Path, default=None, metavar="DIR",
                   help="vendor records folder (default: $ERPWATCH_VENDORS_DIR or vendors/)")
    p.add_argument("--store", type=Path, default=None, metavar="DIR",
                   help="snapshots store (default: $ERPWATCH_SNAPSHOTS_DIR or snapshots/)")
    p.add_argument("--vendor", action="append", default=[], metavar="ID",
                   help="only this vendor (repeatable)")
    p.add_argument("--shard", default=None, metavar="I/N",
                   help="only shard I of N (1 <= I <= N); each document is in exactly one shard")
    p.add_argument("--allow-private", action="store_true",
                   help="allow private, loopback and link-local addresses (local testing only)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    p.add_argument("--concurrency", type=int, default=256, metavar="N",
                   help="hosts checked in parallel (one request at a time per host; default 256: the threads "
                        "mostly wait, so every host of a normal run is checked at once)")
    p.add_argument("--processes", type=int, default=None, metavar="N",
                   help="worker processes that parse and extract pages, beside the run's threads (default: one "
                        f"per CPU core, at most 4, for runs of {MIN_DOCUMENTS} documents or more; 0: extract in "
                        "the run's own process)")
    p.add_argument("--reextract", action="store_true",
                   help="re-extract the current versions' raw HTML with the records' selectors, without "
                        "fetching; differences are logged as technical updates")
    p.add_argument("--accept-shrink", action="store_true",
                   help="record a text that lost more than half its words without waiting for confirmation")
    p.add_argument("--lock-timeout", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for another run's lock (default: exit 3 at once)")
    p.add_argument("--host-delay", type=float, default=FetchConfig.host_delay, metavar="SECONDS",
                   help="two requests to one host start at least this far apart, counted from the start of the "
                        "previous request as Scrapy's DOWNLOAD_DELAY (one request at a time per host; a larger "
                        f"Crawl-delay in robots.txt wins; default {FetchConfig.host_delay})")
    p.add_argument("--backoff", type=float, default=FetchConfig.backoff, metavar="SECONDS",
                   help=f"first retry wait, doubled each retry (default {FetchConfig.backoff})")
    p.add_argument("--timeout", type=float, default=FetchConfig.read_timeout, metavar="SECONDS",
                   help=f"read timeout per request (default {FetchConfig.read_timeout})")
    p.add_argument("--deadline", type=float, default=FetchConfig.deadline, metavar="SECONDS",
                   help="overall limit per document: its attempts, redirects, robots.txt and waits together, "
                        "whatever a server that trickles bytes does (default %(default)s)")
    return p


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    m = re.fullmatch(r"(\d+)/(\d+)", value.strip())
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise ValueError(f"--shard wants I/N with 1 <= I <= N, got {value!r}")
    return int(m.group(1)), int(m.group(2))


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    try:
        shard = parse_shard(args.shard)
    except ValueError as e:
        p.error(str(e))
    if args.concurrency < 1:
        p.error("--concurrency must be at least 1")
    if not args.deadline > 0 or not args.timeout > 0:
        p.error("--deadline and --timeout must be more than 0 seconds")
    if args.processes is not None and args.processes < 0:
        p.error("--processes must be 0 or more")
    vendors_dir = args.vendors or default_vendors()
    if not vendors_dir.is_dir():
        p.error(f"no vendors folder at {vendors_dir}")
    targets, problems = load_targets(vendors_dir)
    for problem in problems:
        print(f"skipped: {problem}", file=sys.stderr)
    if args.vendor:
        known = {t.vendor for t in targets}
        unknown = sorted(set(args.vendor) - known)
        if unknown:
            p.error(f"no valid record with watched policies for: {', '.join(unknown)}")
        targets = [t for t in targets if t.vendor in set(args.vendor)]
    if shard:
        targets = [t for t in targets if in_shard(t, *shard)]
    store = open_store(args.store or default_store())
    config = FetchConfig(host_delay=args.host_delay, backoff=args.backoff, read_timeout=args.timeout,
                         deadline=args.deadline, policy=AddressPolicy(allow_private=args.allow_private))
    processes = default_processes(len(targets)) if args.processes is None else args.processes
    # Started before the lock is taken (spawned workers never hold it anyway); they load while the lock is
    # taken, the store recovered and robots.txt fetched.
    pool = ExtractPool(processes) if processes > 0 and not args.reextract else None
    try:
        with store.lock(args.lock_timeout):
            for note in store.recover():
                print(f"recovered: {note}", file=sys.stderr)
            with HttpClient(config) as client:
                watcher = Watcher(store, client, accept_shrink=args.accept_shrink, pool=pool)
                outcomes = run(watcher, targets, args.concurrency, args.reextract)
    except LockBusy as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_LOCKED
    except OSError as e:  # the store's folder or lock can't be made (read-only, full): nothing was checked
        print(f"error: cannot open the store {store.root} for writing: {e.strerror or e}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if pool:
            pool.close()
    summary = summarise(outcomes)
    if args.json:
        print(json.dumps(summary, sort_keys=True, ensure_ascii=False))
    else:
        print_summary(summary)
    return EXIT_FAILED if summary["failed"] else EXIT_OK


FINISHERS = 8  # threads that extract, compare and record fetched pages (the CPU work is in worker processes)


def run(watcher: Watcher, targets: list[Target], concurrency: int, reextract: bool = False) -> list[Outcome]:
    """Check `targets`: hosts in parallel, the documents of one host fetched one after the other.

    A host's thread only fetches: each fetched page is handed to a few finishing threads (extraction,
    comparison, the store) and the thread goes on to the host's next document, whose request is then due
    as soon as the politeness delay allows, however long the previous page takes to extract."""
    progress = Progress(len(targets))
    by_host: dict[str, list[Target]] = defaultdict(list)
    for t in targets:
        by_host[(urlsplit(t.url).hostname or "").lower()].append(t)

    def finish(fetched: Fetched) -> Outcome:
        return report(watcher.finish(fetched))

    def report(outcome: Outcome) -> Outcome:
        label = outcome.failure or outcome.result
        progress.step(outcome.target.key, label + (" (technical update)" if outcome.technical else ""))
        return outcome

    def one_host(host_targets: list[Target]) -> list[Future]:
        if reextract:
            return [_done(report(watcher.reextract(t))) for t in host_targets]
        return [finishers.submit(finish, watcher.fetch(t)) for t in host_targets]

    with ThreadPoolExecutor(max_workers=FINISHERS) as finishers, \
            ThreadPoolExecutor(max_workers=concurrency) as pool:
        # Hosts with the most documents first: with fewer workers than hosts, the run ends sooner.
        futures = [pool.submit(one_host, ts) for _, ts in sorted(by_host.items(), key=lambda h: (-len(h[1]), h[0]))]
        outcomes = [o.result() for f in futures for o in f.result()]  # a bug in one check is raised here
    return sorted(outcomes, key=lambda o: (o.target.vendor, o.target.doc))


def _done(value) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


def summarise(outcomes: list[Outcome]) -> dict:
    summary = {"checked": len(outcomes), "changed": [], "unchanged": [], "failed": []}
    for o in outcomes:
        summary[o.result].append(o.summary())
    return summary


def print_summary(summary: dict) -> None:
    print(f"checked {summary['checked']}: {len(summary['changed'])} changed, "
          f"{len(summary['unchanged'])} unchanged, {len(summary['failed'])} failed")
    for item in summary["changed"]:
        kind = "first version" if item.get("initial") else "technical update" if item.get("technical") else \
            f"+{item.get('added', 0)} -{item.get('removed', 0)} words"
        print(f"  changed  {item['vendor']}/{item['document']}: {kind}")
    for item in summary["failed"]:
        print(f"  FAILED   {item['vendor']}/{item['document']}: {item['failure']}: {item['message']}")


if __name__ == "__main__":
    sys.exit(main())
