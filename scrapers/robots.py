"""robots.txt rules (RFC 9309), parsed and matched; fetching is scrapers.http's job.

Python's urllib.robotparser predates the RFC: it applies the first matching rule instead of the longest
and knows neither `*` nor `$`, so it would refuse or allow the wrong paths on many real sites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

MAX_BYTES = 500 * 1024  # the RFC asks crawlers to parse at least 500 KiB; the rest is ignored
MAX_CRAWL_DELAY = 10.0


@dataclass
class Robots:
    # (allow, pattern) pairs of the group that applies to us
    rules: list[tuple[bool, str]] = field(default_factory=list)
    crawl_delay: float | None = None
    disallow_all: bool = False  # robots.txt unreachable: the RFC says assume everything is disallowed
    reason: str = ""

    @classmethod
    def unreachable(cls, reason: str) -> Robots:
        return cls(disallow_all=True, reason=reason)

    @classmethod
    def parse(cls, text: str, product: str) -> Robots:
        """Rules for `product` (our user-agent token, matched case-insensitively), else for `*`."""
        groups: list[tuple[list[str], list[tuple[bool, str]], list[float]]] = []
        agents: list[str] = []
        in_rules = False
        for raw in text[:MAX_BYTES].splitlines():
            line = raw.split("#", 1)[0].strip()
            key, sep, value = line.partition(":")
            if not sep:
                continue
            key, value = key.strip().lower(), value.strip()
            if key == "user-agent":
                if in_rules or not groups:
                    agents = []
                    groups.append((agents, [], []))
                    in_rules = False
                agents.append(value.lower())
            elif key in ("allow", "disallow") and groups:
                in_rules = True
                if value:  # an empty Disallow means "nothing is disallowed": no rule
                    groups[-1][1].append((key == "allow", value))
            elif key == "crawl-delay" and groups:
                in_rules = True
                try:
                    groups[-1][2].append(float(value))
                except ValueError:
                    pass
        product = product.lower()
        mine = [g for g in groups if product in g[0]] or [g for g in groups if "*" in g[0]]
        rules = [r for g in mine for r in g[1]]
        delays = [d for g in mine for d in g[2]]
        return cls(rules=rules, crawl_delay=min(max(delays), MAX_CRAWL_DELAY) if delays else None)

    def allows(self, url: str) -> bool:
        if self.disallow_all:
            return False
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if parts.path == "/robots.txt":
            return True
        target = unquote(path)
        best: tuple[int, bool] | None = None  # (length of the matching pattern, allow)
        for allow, pattern in self.rules:
            if _matches(unquote(pattern), target):
                key = (len(pattern), allow)  # longest match wins; on a tie, allow wins (True > False)
                if best is None or key > best:
                    best = key
        return True if best is None else best[1]


def _matches(pattern: str, path: str) -> bool:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(part) for part in body.split("*"))
    return re.match(regex + ("$" if anchored else ""), path, re.DOTALL) is not None
