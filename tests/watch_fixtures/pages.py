"""Fixture pages: a fictional policy with enough distinct text to be a real document."""

from __future__ import annotations

from html import escape

from scrapers.http import FetchConfig
from scrapers.netguard import AddressPolicy

# Fast settings for tests: no pauses between requests, tiny backoff, short timeouts, loopback allowed.
FAST = FetchConfig(host_delay=0.0, backoff=0.01, retries=2, connect_timeout=2.0, read_timeout=2.0,
                   total_timeout=10.0, policy=AddressPolicy(allow_private=True))

TOPICS = ["order data", "buyer messages", "inventory levels", "advertising reports", "settlement reports",
          "product reviews", "seller feedback", "return requests", "shipment tracking", "pricing history"]


def sentences(n: int, seed: str = "") -> list[str]:
    """n distinct sentences about marketplace data (seed varies the wording between documents)."""
    out = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        out.append(f"Clause {i + 1}{seed}: we collect {topic} from the marketplace account you connect, "
                   f"keep it for {30 + i} days and never sell it to third parties or data brokers.")
    return out


def policy_page(paragraphs: list[str], title: str = "Privacy Policy", head: str = "", before: str = "",
                after: str = "") -> str:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"{head}</head><body>{before}<main><h1>{escape(title)}</h1>{body}</main>{after}</body></html>")
