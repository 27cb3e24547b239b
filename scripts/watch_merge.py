"""`python -m scripts.watch_merge`: the command; the logic and its arguments are in scripts/github/watch_merge.py.

Sharded watch runs on GitHub Actions: hand each shard's results to the final job and merge them there.
"""

import sys

from scripts.github.watch_merge import main

if __name__ == "__main__":
    sys.exit(main())
