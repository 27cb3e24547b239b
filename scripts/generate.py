"""Generate the site's pages (and feeds and API files) from the records: `python -m scripts.generate`.

Writes into git-ignored parts of site_src/ so that any builder that reads mkdocs.yml can build the
site. Files are written only when their content changed (so `mkdocs serve` doesn't loop) and files
from a previous run that are no longer produced (a removed vendor) are deleted.
"""

from __future__ import annotations

import argparse
import sys

from scripts.site.build import RecordsInvalid, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.generate", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    try:
        written, deleted = generate()
    except RecordsInvalid as e:
        for line in e.problems:
            print(line)
        print("records are invalid: nothing generated", file=sys.stderr)
        return 1
    print(f"generated site_src/: {written} file(s) written, {deleted} removed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
