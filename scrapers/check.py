"""`python -m scrapers.check URL`: try a page before adding it to a record's `policies:`.

Fetches the page twice, a few seconds apart, extracts its text the way the watcher will, prints the
text on stdout and warns on stderr when the two fetches give different text (the page carries something
that changes on every load: the watcher would cry wolf; narrow it with --select/--remove) or when the
text is short (a shell page that needs `render: browser`, or a selector that misses most of the policy).

Exit status: 0 the page can be watched (warnings may still be printed); 1 it cannot (the failure is
printed); 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
import time

from scrapers.diff import counts, word_diff
from scrapers.failures import Failure
from scrapers.http import FetchConfig, HttpClient
from scrapers.netguard import AddressPolicy
from scrapers.normalise import comparison_key
from scrapers.page import Page, Target, fetch_page, page_text

SHORT_TEXT_WORDS = 200


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m scrapers.check", description=(
        "Fetch a policy page twice and show the text the watcher would record, with warnings when the "
        "two fetches differ or the text is short."))
    p.add_argument("url", help="the page's http(s) URL")
    p.add_argument("--select", metavar="CSS", help="CSS selector(s) of the policy text")
    p.add_argument("--remove", metavar="CSS", help="CSS selector(s) of parts to drop")
    p.add_argument("--render", choices=["browser"], help="render with headless Chromium first")
    p.add_argument("--allow-private", action="store_true", help="allow private and loopback addresses")
    p.add_argument("--interval", type=float, default=3.0, metavar="SECONDS",
                   help="pause between the two fetches (default 3)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    target = Target("check", "page", args.url, args.select, args.remove, args.render)
    config = FetchConfig(host_delay=0.0, policy=AddressPolicy(allow_private=args.allow_private))
    renderer = None

    def get_renderer():
        nonlocal renderer
        if renderer is None:
            from scrapers.browser import Renderer
            renderer = Renderer(config.policy)
        return renderer

    texts = []
    with HttpClient(config) as client:
        for attempt in range(2):
            if attempt:
                time.sleep(args.interval)
            try:
                page = fetch_page(client, target, renderer=get_renderer)
                text, words = page_text(page, target)
            except Failure as f:
                print(f"error: {f.kind}: {f.message}", file=sys.stderr)
                return 1
            texts.append((page, text, words))
    (page, first, _), (_, second, words) = texts
    print(second)
    _report(page, first, second, words)
    return 0


def _report(page: Page, first: str, second: str, words: int) -> None:
    err = sys.stderr
    print(f"--- {words} words from {page.final_url} (HTTP {page.http_status}, {page.encoding})", file=err)
    if comparison_key(first) != comparison_key(second):
        diff = word_diff(first, second)
        added, removed = counts(diff)
        print(f"warning: the two fetches give different text (+{added} -{removed} words); the watcher "
              "would report a change on every run. Differences:", file=err)
        for op, text in [d for d in diff if d[0] != "="][:10]:
            print(f"  {op} {text.strip()[:120]}", file=err)
        print("Use --remove (or --select) to leave out the part that changes.", file=err)
    if words < SHORT_TEXT_WORDS:
        print(f"warning: only {words} words: is this the whole policy? A page built by JavaScript needs "
              "--render browser (render: browser in the record); a --select may be too narrow.", file=err)


if __name__ == "__main__":
    sys.exit(main())
