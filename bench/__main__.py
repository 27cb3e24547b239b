"""`python -m bench` (what `make bench` runs): the benchmarks as one table; see bench/run.py."""

import os
import sys

from bench.run import main

if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
