"""Synthetic data for the benchmarks: fictional vendors on example.test and their policy history.

Everything is deterministic (seeded) and written into a folder the caller gives (a temporary one), never
into vendors/ or snapshots/.

- `policy_text(vendor, doc, version)`: a policy of ~1,500 words made of plausible clauses; version k differs
  from version k-1 by one edit (a number, a sentence added, a sentence reworded or removed), so the word
  diffs and the "quote no longer in the policy" logic see realistic input.
- `vendor_record(i, ...)`: a record that is valid under vendors/schema.json, with every part the site shows:
  sources, watched policies, claims (one ended and superseded, some quoting the watched policies), access,
  features, two toggles with dated history, and 5 incidents with statements and vendor responses.
- `write_store(...)`: the policy-change history of each vendor, written with the watcher's own store API
  (scrapers.store.Store.save_raw / append_event / write_status) and the watcher's word diff, so the format is
  exactly the one the site reads. Per vendor: CHANGES_PER_VENDOR real changes spread over its documents,
  plus each document's first version (initial, not a change).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
from pathlib import Path
from unittest import mock

import yaml

SITE_DOCS = ("privacy-policy", "terms-of-service")  # watched documents per vendor in the site benchmark
CHANGES_PER_VENDOR = 20   # real (non-initial) policy changes per vendor
INCIDENTS_PER_VENDOR = 5
WORDS_PER_POLICY = 1500

_TOPICS = ["collection", "purpose", "retention", "deletion", "sharing", "security", "location", "change-notice"]
_DATA = ["order data", "listing data", "inventory reports", "advertising metrics", "buyer messages",
         "settlement reports", "product reviews", "pricing history", "return reasons", "shipment records"]
_PARTIES = ["hosting providers", "payment processors", "analytics services", "our affiliates",
            "customer-support tools", "e-mail delivery services", "auditors", "law-enforcement authorities"]
_PURPOSES = ["provide the service", "improve repricing rules", "prepare aggregate benchmarks",
             "detect fraud and abuse", "send review requests on your behalf", "answer support requests",
             "comply with legal obligations", "compute profit dashboards"]
_CLAUSES = [
    "We collect {data} from the marketplace account you connect, through the access you grant in Seller Central.",
    "We use {data} to {purpose}, and for no other purpose unless you agree to it in writing.",
    "We keep {data} for {days} days after your subscription ends, after which it is deleted from our systems.",
    "We share {data} with {party} only to the extent needed to {purpose}.",
    "We do not sell {data} to third parties, and we do not let {party} use it for their own purposes.",
    "Backups that contain {data} are kept for {days} days and are encrypted at rest with keys we rotate yearly.",
    "You may ask us to delete {data} at any time by writing to the address given in section {section}.",
    "Our staff may read {data} when you open a support ticket, and every such access is logged.",
    "We store {data} in data centres in {region}, and transfers outside it follow standard contractual clauses.",
    "We will tell you about material changes to this policy {days} days before they take effect.",
    "Aggregated statistics derived from {data} may be shown to other customers without identifying you.",
    "Access tokens for the marketplace API are stored encrypted and can be revoked from your account page.",
]
_REGIONS = ["the European Union", "the United States", "Singapore", "Japan", "Ireland", "Frankfurt"]
_POLICY_TYPES = ("privacy-policy", "terms-of-service", "data-processing", "security", "cookie-policy")
_HEADINGS = ["Information we collect", "How we use information", "Retention", "Sharing", "Your choices",
             "Security", "International transfers", "Changes to this policy", "Contact"]


def _sentence(rng: random.Random, section: int) -> str:
    return rng.choice(_CLAUSES).format(data=rng.choice(_DATA), purpose=rng.choice(_PURPOSES),
                                       party=rng.choice(_PARTIES), days=rng.choice([30, 60, 90, 180, 365]),
                                       region=rng.choice(_REGIONS), section=section)


def _base_sections(vendor: str, doc: str) -> list[tuple[str, list[list[str]]]]:
    """[(heading, [paragraph = [sentences]])] of version 0."""
    rng = random.Random(f"{vendor}/{doc}")
    sections, words, n = [], 0, 0
    while words < WORDS_PER_POLICY:
        heading = _HEADINGS[n % len(_HEADINGS)] + (f" ({n // len(_HEADINGS) + 1})" if n >= len(_HEADINGS) else "")
        paragraphs = []
        for _ in range(rng.randint(2, 4)):
            para = [_sentence(rng, n + 1) for _ in range(rng.randint(3, 6))]
            words += sum(len(s.split()) for s in para)
            paragraphs.append(para)
        sections.append((heading, paragraphs))
        n += 1
    return sections


def _apply_edit(sections, rng: random.Random, k: int) -> None:
    """One realistic edit, in place."""
    si = rng.randrange(len(sections))
    paragraphs = sections[si][1]
    pi = rng.randrange(len(paragraphs))
    para = paragraphs[pi]
    kind = k % 4
    if kind == 0:  # a number changes (retention days, notice period)
        j = rng.randrange(len(para))
        para[j] = para[j].replace(" days", f" days (revision {k})", 1) if " days" in para[j] else \
            para[j].rstrip(".") + f", as revised in update {k}."
    elif kind == 1:  # a sentence is added
        para.insert(rng.randrange(len(para) + 1), _sentence(rng, si + 1))
    elif kind == 2 and len(para) > 2:  # a sentence is removed
        para.pop(rng.randrange(len(para)))
    else:  # a sentence is reworded
        j = rng.randrange(len(para))
        para[j] = _sentence(rng, si + 1)


def policy_versions(vendor: str, doc: str, changes: int) -> list[list[tuple[str, list[list[str]]]]]:
    """The structured text of versions 0..changes (version 0 is the first one recorded)."""
    sections = _base_sections(vendor, doc)
    rng = random.Random(f"{vendor}/{doc}/edits")
    out = [[(h, [list(p) for p in ps]) for h, ps in sections]]
    for k in range(1, changes + 1):
        _apply_edit(sections, rng, k)
        out.append([(h, [list(p) for p in ps]) for h, ps in sections])
    return out


def version_text(sections) -> str:
    """The text as the watcher stores it (headings as `#`, paragraphs separated by a blank line)."""
    parts = []
    for heading, paragraphs in sections:
        parts.append(f"## {heading}")
        parts.extend(" ".join(p) for p in paragraphs)
    return "\n\n".join(parts)


def version_html(title: str, sections, vendor_name: str, build: str = "") -> str:
    """The page a vendor's site would serve: site chrome (header, nav, cookie banner, footer) around it."""
    body = []
    for heading, paragraphs in sections:
        body.append(f"<h2>{heading}</h2>")
        body.extend(f"<p>{' '.join(p)}</p>" for p in paragraphs)
    nav = "".join(f'<li><a href="/{x}">{x.title()}</a></li>' for x in
                  ("pricing", "features", "blog", "careers", "help", "login", "sign-up"))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | {vendor_name}</title>'
            f'<link rel="stylesheet" href="/assets/site.css?v={build}">'
            '<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}</script>'
            f'</head><body><header><a href="/" class="logo">{vendor_name}</a><nav><ul>{nav}</ul></nav></header>'
            '<div id="cookie-banner" class="cookie-banner">We use cookies. <button>Accept</button></div>'
            f'<main><article><h1>{title}</h1><p class="updated">Last updated: see below</p>{"".join(body)}'
            '</article></main>'
            f'<footer><p>© 2026 {vendor_name}. All rights reserved.</p><ul>{nav}</ul>'
            f'<p class="build">build {build}</p></footer></body></html>')


# --- records -------------------------------------------------------------------------------------------

def vendor_id(i: int) -> str:
    return f"vendor-{i:04d}"


def vendor_record(i: int, docs: list[tuple[str, str]] | None = None) -> dict:
    """A valid record for fictional vendor i. `docs`: [(policy id, url)] to watch (default: the site
    benchmark's documents on the vendor's example.test site)."""
    vid = vendor_id(i)
    name = f"Vendor {i:04d} Tools"
    site = f"https://{vid}.example.test/"
    docs = docs or [(d, f"{site}{d}") for d in SITE_DOCS]
    rng = random.Random(vid)
    sources = [{"id": f"doc-{d}", "url": url, "title": d.replace("-", " ").title(), "publisher": name,
                "kind": "vendor", "language": "en", "retrieved": "2026-01-15"} for d, url in docs]
    sources += [
        {"id": "help-settings", "url": f"{site}help/settings", "title": "Settings", "publisher": name,
         "kind": "vendor", "retrieved": "2026-01-15", "note": "Fictional help page for the benchmark."},
        {"id": "press-1", "url": f"https://news.example.test/{vid}/report", "title": {
            "en": f"Sellers question {name}'s report downloads", "zh": f"卖家质疑 {name} 下载报告"},
         "publisher": {"en": "Example Seller News", "zh": "示例卖家新闻"}, "kind": "press", "language": "zh",
         "published": "2025-06", "retrieved": "2026-01-16"},
        {"id": "press-2", "url": f"https://forum.example.test/t/{vid}", "title": "Forum thread",
         "publisher": "Example Seller Forum", "kind": "third-party", "published": "2025-09-02",
         "retrieved": "2026-01-16"},
        {"id": "marketplace-notice", "url": f"https://marketplace.example.test/notice/{i}",
         "title": "Marketplace notice", "publisher": "Example Marketplace", "kind": "marketplace",
         "retrieved": "2026-01-17"},
    ]
    first_doc = docs[0][0]
    quote_text = version_text(policy_versions(vid, first_doc, 0)[0]).split("\n\n")[1].split(". ")[0]
    claims = [
        {"id": "keeps-90-days", "topic": "retention", "summary": {"en": "Keeps data 90 days.", "zh": "数据保留 90 天。"},
         "since": "2023", "sources": [{"source": "help-settings", "quote": "We keep data for 90 days."}],
         "ended": {"date": "2024-03", "reason": "superseded", "superseded_by": "keeps-30-days",
                   "sources": [{"source": "help-settings"}]}},
        {"id": "keeps-30-days", "topic": "retention", "summary": "Keeps data 30 days after cancellation.",
         "since": "2024-03", "sources": [{"source": "help-settings", "quote": "We keep data for 30 days."}]},
        {"id": "policy-statement", "topic": "collection",
         "summary": {"en": "Says what it collects in its policy.", "zh": "在政策中说明收集哪些数据。"},
         "sources": [{"source": f"doc-{first_doc}", "quote": quote_text}]},
    ]
    claims += [{"id": f"claim-{n}", "topic": rng.choice(_TOPICS),
                "summary": {"en": _sentence(rng, n), "zh": "服务商在帮助页面中说明了该做法。"},
                "sources": [{"source": "help-settings", "quote": f"Statement {n} of the help page."}]}
               for n in range(1, 5)]
    incidents = []
    for n in range(1, INCIDENTS_PER_VENDOR + 1):
        month = (n * 2) % 12 + 1
        inc = {"id": f"incident-{n}", "title": {"en": f"Sellers report unexpected downloads ({n})",
                                                "zh": f"卖家反映异常下载({n})"},
               "occurred": f"2025-{month:02d}-0{n}", "reported": f"2025-{month:02d}-1{n}",
               "status": ["reported", "vendor-responded", "confirmed", "disputed", "resolved"][n % 5],
               "summary": {"en": f"A seller reported that {name} downloaded {rng.choice(_DATA)} every half hour.",
                           "zh": f"一位卖家反映 {name} 每半小时下载一次数据。"},
               "statements": [
                   {"by": "seller", "text": "Downloads happened every half hour.",
                    "sources": [{"source": "press-1", "quote": f"half hour {n}"}]},
                   {"by": "marketplace", "who": "Marketplace support", "text": "The app requested the reports.",
                    "sources": [{"source": "marketplace-notice"}]},
               ],
               "sources": [{"source": "press-1"}, {"source": "press-2"}]}
        if n % 2:
            inc["vendor_response"] = {"date": f"2025-{month:02d}-2{n}",
                                      "summary": {"en": "The vendor said the setting is now off for new sign-ups.",
                                                  "zh": "服务商称新注册用户现已默认关闭。"},
                                      "sources": [{"source": "press-1", "quote": f"now off {n}"}]}
        else:
            inc["vendor_response"] = {"none_recorded_as_of": "2026-01-16"}
        incidents.append(inc)
    return {
        "schema_version": 1, "id": vid, "name": name, "names": {"zh": [f"示例供应商{i:04d}"]},
        "website": site, "company": {"name": f"{name} Ltd.", "country": "Nowhere", "sources": [{"source": "help-settings"}]},
        "categories": rng.sample(["erp", "repricer", "review-requests", "analytics", "ppc", "inventory"], 2),
        "marketplaces": rng.sample(["amazon", "walmart", "shopee", "tiktok-shop", "ebay"], 2),
        "sources": sources,
        "policies": [{"id": d, "type": d if d in _POLICY_TYPES else "other",
                      "title": d.replace("-", " ").title(), "url": url, "language": "en"} for d, url in docs],
        "claims": claims,
        "access": [
            {"api": "sp-api", "role": "pricing", "sources": [{"source": "help-settings"}]},
            {"api": "sp-api", "report": "GET_MERCHANT_LISTINGS_DATA", "frequency": "Every 30 minutes",
             "sources": [{"source": "press-1", "quote": "every half hour"}]},
            {"api": "other", "data": {"en": "Order ids", "zh": "订单编号"}, "sources": [{"source": "help-settings"}]},
        ],
        "features": [{"feature": "review-requests", "summary": "Sends review requests.",
                      "sources": [{"source": "help-settings"}]},
                     {"feature": "repricing", "summary": "Reprices listings.", "sources": [{"source": "help-settings"}]}],
        "toggles": [
            {"id": "listings-download", "name": "Download listings report", "report": "GET_MERCHANT_LISTINGS_DATA",
             "controls": {"en": "Whether the listings report is downloaded.", "zh": "是否下载商品报告。"},
             "history": [
                 {"default": "on", "applies_to": "not-stated", "where": "Settings", "sources": [{"source": "help-settings"}]},
                 {"effective": "2025-05-31", "default": "off", "applies_to": "new-sign-ups",
                  "note": "From 08:00 local time.", "sources": [{"source": "press-1", "quote": "off by default"}]},
                 {"effective": "2025-11-01", "default": "off", "applies_to": "all-accounts",
                  "sources": [{"source": "press-2"}]},
             ]},
            {"id": "aggregate-benchmarks", "name": {"en": "Share data for benchmarks", "zh": "共享数据用于基准"},
             "history": [{"effective": "XXXX-03-01", "default": "on", "applies_to": "existing-accounts",
                          "sources": [{"source": "help-settings", "quote": "on by default"}]}]},
        ],
        "incidents": incidents,
    }


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write_records(folder: Path, records: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for rec in records:
        text = "# yaml-language-server: $schema=./schema.json\n" + yaml.dump(
            rec, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
        (folder / f"{rec['id']}.yaml").write_text(text, encoding="utf-8")
    return folder


def write_vendors(folder: Path, n: int) -> Path:
    """N site-benchmark records in `folder` (created)."""
    return write_records(folder, [vendor_record(i) for i in range(1, n + 1)])


# --- the store -----------------------------------------------------------------------------------------

@contextlib.contextmanager
def _no_fsync():
    """The store fsyncs every file (crash safety); generating test data needs none of that. Only inside this
    block, in this process."""
    with mock.patch.object(os, "fsync", lambda fd: None):
        yield


def _times(n: int, start: dt.datetime, end: dt.datetime, rng: random.Random) -> list[str]:
    span = (end - start).total_seconds()
    points = sorted(rng.uniform(0, span) for _ in range(n))
    return [(start + dt.timedelta(seconds=int(p))).strftime("%Y-%m-%dT%H:%M:%SZ") for p in points]


def write_store(store_dir: Path, n: int, docs: tuple[str, ...] = SITE_DOCS,
                changes_per_vendor: int = CHANGES_PER_VENDOR, workers: int | None = None) -> dict:
    """The policy history of vendors 1..n in a store at `store_dir`, written by `workers` processes (default:
    one per core). Returns counts."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    jobs = [(str(store_dir), i, tuple(docs), changes_per_vendor, now) for i in range(1, n + 1)]
    workers = workers or min(os.cpu_count() or 1, 4)
    if workers > 1 and n > 20:
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.starmap(_write_vendor_history, jobs, chunksize=max(1, n // (workers * 8)))
    else:
        results = [_write_vendor_history(*job) for job in jobs]
    total = {"documents": 0, "initial": 0, "changes": 0}
    for r in results:
        for k in total:
            total[k] += r[k]
    return total


def _write_vendor_history(store_dir: str, i: int, docs: tuple[str, ...], changes_per_vendor: int,
                          now: dt.datetime) -> dict:
    from scrapers.diff import counts, word_diff
    from scrapers.extract import EXTRACTOR_VERSION
    from scrapers.normalise import count_words, text_hash
    from scrapers.store import event_id, open_store

    store = open_store(store_dir)
    written = {"documents": 0, "initial": 0, "changes": 0}
    vid = vendor_id(i)
    rng = random.Random(f"{vid}/times")
    per_doc = [changes_per_vendor // len(docs) + (1 if k < changes_per_vendor % len(docs) else 0)
               for k in range(len(docs))]
    with _no_fsync():
        for doc, k_changes in zip(docs, per_doc):
            times = _times(k_changes + 1, now - dt.timedelta(days=700), now - dt.timedelta(hours=2), rng)
            old_text, current = None, None
            url = f"https://{vid}.example.test/{doc}"
            for k, (sections, time) in enumerate(zip(policy_versions(vid, doc, k_changes), times)):
                text = version_text(sections)
                html = version_html(doc.replace("-", " ").title(), sections, f"Vendor {i:04d} Tools", str(k))
                diff = word_diff(old_text, text) if old_text is not None else []
                added, removed = counts(diff) if old_text is not None else (count_words(text), 0)
                new_hash = text_hash(text)
                event = {"id": event_id(new_hash, time), "time": time,
                         "old_hash": current["new_hash"] if current else None, "new_hash": new_hash,
                         "diff": diff, "added": added, "removed": removed,
                         "raw": store.save_raw(vid, doc, html, time), "technical": False,
                         "initial": current is None, "reason": None, "url": url, "final_url": url,
                         "http_status": 200, "encoding": "utf-8", "words": count_words(text),
                         "select": None, "remove": None, "extractor": EXTRACTOR_VERSION}
                current = store.append_event(vid, doc, event, text)
                old_text = text
                written["initial" if k == 0 else "changes"] += 1
            checked = now.strftime("%Y-%m-%dT%H:%M:%SZ")
            store.write_status(vid, doc, {
                "url": url, "checked_at": checked, "last_success_at": checked, "etag": None,
                "last_modified": None, "pending_shrink": None, "failure": None, "message": "",
                "http_status": 200, "final_url": url, "consecutive_failures": 0})
            written["documents"] += 1
    return written
