"""Start a vendor record: `python -m scripts.new_vendor "Name" [--id ID] [--website URL]`.

Writes vendors/<id>.yaml with the schema line, the required fields and every optional field commented
out. The lines marked TODO are left empty on purpose: `python -m scripts.validate` refuses the file until
each is filled, so a half-finished record cannot be merged by accident. The id is made from the name
(lowercase ASCII letters, digits and hyphens); a name that gives none, such as one written only in
Chinese, needs `--id`. An existing id is refused, never overwritten.

Exit status: 0 written; 1 the id is taken or the file cannot be written; 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import unicodedata
from pathlib import Path

from scripts.records import load as records

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_ID = 64


def slugify(name: str) -> str:
    """`Helium 10` -> `helium-10`, `Séller Labs!` -> `seller-labs`; '' when nothing ASCII is left."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:MAX_ID].rstrip("-")


def _quoted(text: str) -> str:
    # A JSON string is a YAML double-quoted scalar: safe for any name (colons, quotes, #, CJK, …).
    return json.dumps(text, ensure_ascii=False)


def template(vendor_id: str, name: str, website: str | None = None) -> str:
    site = f"website: {_quoted(website)}" if website else "website:  # TODO: the vendor's main website, https://…"
    return f"""{records.SCHEMA_LINE}
# Started with `python -m scripts.new_vendor`. Fill every line marked TODO (the validator refuses the
# file until you do), uncomment the optional fields you have a source for and delete the others.
# CONTRIBUTING.md explains each part; vendors/schema.json describes every field. Check with:
#   python -m scripts.validate vendors/{vendor_id}.yaml
schema_version: {records.SCHEMA_VERSION}
id: {vendor_id}
name: {_quoted(name)}
# names:
#   zh: [中文名]
# languages: [en]           # languages the vendor's own pages are published in (BCP 47: en, zh, zh-Hant)
{site}
# company:                  # the legal entity, only as a source names it
#   name: Example Ltd.
#   country: …
#   sources:
#     - source: privacy-policy
#       quote: "the exact words that name the company"
# company_unnamed: true     # instead of company: when the vendor's own page names no operator
# categories: [erp]         # erp, repricer, review-requests, feedback, analytics, ppc, listing-management,
#                           # inventory, product-research, market-data, crm, other
# marketplaces: [amazon]

# Every document this record cites. Statements cite one as {{source: <id>, quote: "exact excerpt"}}.
sources:
  - id: privacy-policy      # short id, unique in this record
    url:  # TODO: the document's address, https://…
    publisher:  # TODO: who published it (for the vendor's own pages, the vendor's name)
    kind: vendor            # vendor (its own page), press, marketplace or third-party
    # title: Privacy Policy # as the document shows it; leave out when it shows none
    # language: en
    # published: 2024-05-31 # only as far as the document gives it: 2024, 2024-05, XXXX-05-31 (no year)
    # retrieved: 2024-06-01 # when you read it
    # archive_url: https://web.archive.org/…
#   - id: directory-listing # a third party's page about the vendor (cited by reports:)
#     url: https://…
#     publisher: …
#     kind: third-party

# The vendor's pages the watcher checks twice a day. Try a page first: python -m scrapers.check URL
# policies:
#   - id: privacy-policy
#     type: privacy-policy  # privacy-policy, terms-of-service, data-processing, security, help-article,
#                           # cookie-policy, other
#     url: https://…
#     language: en
#     # select: main .policy   # CSS selector of the policy text, when the default extraction keeps noise
#     # seen_in_text: true       # the URL was only seen inside another text, not read yet

# The vendor's own data policy was searched for and none was found (never write "has no policy").
# policy_search:            # instead of a privacy policy under policies:
#   found: false            # always false
#   searched: 2026-12-06
#   note: What was searched (privacy policy, help centre).

# What the vendor says about its data practices, one claim per topic and statement.
# claims:
#   - id: keeps-data-90-days
#     topic: retention      # collection, purpose, retention, deletion, sharing, resale, aggregate-use,
#                           # location, security, change-notice
#     summary: The vendor says it keeps account data for 90 days after cancellation.
#     sources:
#       - source: privacy-policy
#         quote: "the exact words"

# What a third party says about the vendor (only press, marketplace or third-party sources).
# reports:
#   - id: directory-says
#     topic: collection
#     summary: According to a third-party directory, ...
#     sources:
#       - source: directory-listing
#         quote: "the exact words"

# Our own neutral, dated observations (placeholder, disagreement, permissions-beyond-features,
# identical-text, other).
# observations:
#   - id: placeholder-in-policy
#     kind: placeholder
#     observed: 2026-12-06
#     text: The policy's contact line is a placeholder.
#     sources:
#       - source: privacy-policy

# Marketplace data access the tool requests: one of role, report or data per entry.
# access:
#   - api: sp-api           # sp-api, mws, amazon-api, ads-api, seller-central-user, other
#     role: pricing         # reference/sp-api.yaml lists the roles and report types
#     sources:
#       - source: privacy-policy

# features:
#   - feature: repricing
#     sources:
#       - source: privacy-policy

# Settings that control data collection, with the dated history of their default.
# toggles:
#   - id: download-reports
#     name: Download reports
#     history:
#       - effective: 2024-05-31
#         default: "off"
#         applies_to: new-sign-ups   # new-sign-ups, existing-accounts, all-accounts, not-stated
#         sources:
#           - source: privacy-policy

# Reported incidents, each with the vendor's response or none_recorded_as_of a date.
# incidents:
#   - id: short-id
#     title: What was reported
#     occurred: XXXX-05-26
#     status: reported      # reported, vendor-responded, confirmed, disputed, resolved
#     summary: Neutral account of what was reported, and by whom.
#     vendor_response:
#       none_recorded_as_of: 2024-06-10
#     sources:
#       - source: privacy-policy
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m scripts.new_vendor", description=__doc__.splitlines()[0])
    p.add_argument("name", help="the vendor's or product's usual name, as the vendor writes it")
    p.add_argument("--id", dest="vendor_id", metavar="ID",
                   help="the record id (default: made from the name); lowercase letters, digits, hyphens")
    p.add_argument("--website", metavar="URL", help="the vendor's main website, if you have it at hand")
    p.add_argument("--vendors", type=Path, default=None, metavar="DIR",
                   help="records folder (default: $ERPWATCH_VENDORS_DIR or vendors/)")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    name = args.name.strip()
    if not name or len(name) > 200 or any(unicodedata.category(c)[0] == "C" for c in name):
        p.error("give the vendor's name: 1 to 200 characters, no control characters")
    vendor_id = args.vendor_id if args.vendor_id is not None else slugify(name)
    if not vendor_id:
        p.error(f"no id can be made from {name!r} (it has no ASCII letters or digits): give one with --id, "
                f"e.g. the vendor's romanised or English name")
    if not SLUG.match(vendor_id) or len(vendor_id) > MAX_ID:
        p.error(f"{vendor_id!r} is not a valid id: lowercase letters, digits and single hyphens, at most "
                f"{MAX_ID} characters")
    if args.website and records.url_problem(args.website):
        p.error(f"--website: {records.url_problem(args.website)}")
    folder = args.vendors or records.vendors_dir()
    path = folder / f"{vendor_id}.yaml"
    if path.exists():
        print(f"error: {path} already exists: the id {vendor_id!r} is taken. Edit that record, or choose "
              f"another id with --id if this is a different vendor.", file=sys.stderr)
        return 1
    for other in records.record_files(folder) if folder.is_dir() else []:
        if re.search(rf"^name:\s*[\"']?{re.escape(name)}[\"']?\s*$", other.read_text("utf-8", "replace"),
                     re.MULTILINE | re.IGNORECASE):
            print(f"note: {other} has the same name; make sure this is a different vendor", file=sys.stderr)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # never overwrite, even in a race
    except FileExistsError:
        print(f"error: {path} already exists: the id {vendor_id!r} is taken", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: cannot write {path}: {e.strerror}", file=sys.stderr)
        return 1
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(template(vendor_id, name, args.website))
    print(path)
    print(f"next: fill the TODO lines, then run python -m scripts.validate {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
