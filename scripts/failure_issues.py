"""`python -m scripts.failure_issues`: the command; the logic and its arguments are in scripts/github/failure_issues.py.

One GitHub issue per watched document that keeps failing; it closes itself when the document recovers.
"""

import sys

from scripts.github.failure_issues import main

if __name__ == "__main__":
    sys.exit(main())
