"""The project's sourced-facts files (../shared/data/*.yaml and ../shared/seeds/* beside the repository), as
text for checking that published quotes are verbatim: whitespace and Unicode width folded (NFKC), both the
raw text of each file and every string YAML parses out of it (a quote may be folded over lines or written
with YAML's escapes in the file)."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


# Pinyin syllables in brackets after characters (`數(shù)據(jù)`): pronunciation marks left over from copying in a
# stored copy, not part of the text (../shared/seeds/README.md). Dropped on both sides of the comparison, so a
# quote that keeps them, as one from a garbled mirror does, matches too. Only syllables with a tone mark.
_TONES = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN = re.compile(rf"\((?=[a-zü]*[{_TONES}])[a-zü{_TONES}]{{1,8}}\)")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", " ", _PINYIN.sub("", text)).strip()


def shared_dir() -> Path | None:
    """$ERPWATCH_SHARED_DIR, else ../shared beside the repository, else beside the main checkout of a git
    worktree (a worktree lives elsewhere but shares the main checkout's .git)."""
    if os.environ.get("ERPWATCH_SHARED_DIR"):
        return Path(os.environ["ERPWATCH_SHARED_DIR"])
    candidates = [ROOT.parent / "shared"]
    try:
        common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=ROOT,
                                capture_output=True, text=True, timeout=20).stdout.strip()
        if common:
            candidates.append(Path(common).parent.parent / "shared")
    except (OSError, subprocess.TimeoutExpired):
        pass
    return next((c for c in candidates if (c / "data").is_dir()), None)


def _strings(node):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)
    elif isinstance(node, str):
        yield node


@functools.cache
def corpus(shared: Path) -> str:
    parts = []
    for path in sorted((shared / "data").glob("*.yaml")) + sorted(p for p in (shared / "seeds").glob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        parts.append(fold(text))
        if path.suffix == ".yaml":
            try:
                parts.extend(fold(s) for s in _strings(yaml.safe_load(text)))
            except yaml.YAMLError:
                pass
    return "\n".join(parts)


def record_quotes(node, path=()):
    """(path, quote) of every `quote:` string in a record or incident file, anywhere in it."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "quote" and isinstance(v, str):
                yield path + (k,), v
            else:
                yield from record_quotes(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from record_quotes(v, path + (i,))
