"""Chinese word segmentation for the search index, as the search plugin does it (jieba), without loading
jieba's whole dictionary.

jieba's default dictionary has about 500,000 entries (words and their prefixes). `jieba.initialize()`
loads all of them, about 1 s of CPU on every build, although a site's Chinese text uses a few hundred
distinct characters. `install()` makes jieba's default tokenizer load the dictionary one first character
at a time instead, when a sentence or an added word first uses that character.

Why the segmentation is the same: the table of entries loads the entries starting with a character before
any key starting with that character is looked up or changed, so every lookup and change (cut, add_word,
suggest_freq, ...) sees what the fully loaded table would hold. The entries come from jieba's own reader
(Tokenizer.gen_pfdict) of its own dictionary file, and the total frequency is the dictionary's.
tests/test_segmenter.py compares the output with a fully loaded tokenizer.

The entries, grouped by first character, are kept in a cache file derived from the installed dictionary
(like jieba's own /tmp/jieba.cache), under $XDG_CACHE_HOME/erpwatch/ or ~/.cache/erpwatch/; it is rebuilt
when jieba or its dictionary changes, or when it cannot be read. Anything unexpected (another jieba
version, a custom dictionary configured for the search plugin) falls back to jieba's full load.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import marshal
import os
import re
import tempfile
from pathlib import Path

log = logging.getLogger("mkdocs.erpwatch")

JIEBA_VERSION = "0.42.1"  # the version whose internals (FREQ, total, get_DAG, add_word) this relies on
_FORMAT = 1


def install(cache_dir: Path | None = None) -> bool:
    """Make jieba's default tokenizer (the one the search plugin uses) load its dictionary lazily.
    Returns False when jieba is not installed; jieba is then fully loaded or absent, never half-set."""
    try:
        import jieba
    except ImportError:
        return False
    dt = jieba.dt
    if dt.initialized:
        return True  # already loaded (e.g. the search plugin read a user dictionary), or already lazy
    if jieba.__version__ != JIEBA_VERSION or dt.dictionary != jieba.DEFAULT_DICT:
        dt.initialize()
        return True
    make_lazy(dt, *_groups(cache_dir))
    return True


def make_lazy(tokenizer, total: int, groups: dict[str, bytes]) -> None:
    """Give `tokenizer` (a jieba.Tokenizer) the dictionary `groups` (first character -> its entries,
    marshalled) with `total`, loading a character's entries when a key starting with it is first used."""
    with tokenizer.lock:
        tokenizer.FREQ = _LazyEntries(groups)
        tokenizer.total = total
        tokenizer.initialized = True


class _LazyEntries(dict):
    """jieba's word -> frequency table (FREQ), filled one first character at a time: every lookup or change
    of a key first loads the entries starting with the key's first character, so each key reads and
    changes exactly as in the fully loaded table. (jieba never iterates over the table or counts it.)"""

    __slots__ = ("_groups", "_loaded")

    def __init__(self, groups: dict[str, bytes]):
        super().__init__()
        self._groups = groups
        self._loaded: set = set()

    def _load(self, key) -> None:
        ch = key[:1]
        if ch not in self._loaded:
            self._loaded.add(ch)
            group = self._groups.get(ch)
            if group is not None:
                dict.update(self, marshal.loads(group))

    def __contains__(self, key) -> bool:
        self._load(key)
        return dict.__contains__(self, key)

    def __getitem__(self, key):
        self._load(key)
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        self._load(key)
        return dict.get(self, key, default)

    def __setitem__(self, key, value) -> None:
        self._load(key)
        dict.__setitem__(self, key, value)


def _groups(cache_dir: Path | None) -> tuple[int, dict[str, bytes]]:
    import jieba
    dict_file = os.path.join(os.path.dirname(os.path.abspath(jieba.__file__)), jieba.DEFAULT_DICT_NAME)
    st = os.stat(dict_file)
    key = f"{_FORMAT}|{jieba.__version__}|{dict_file}|{st.st_size}|{st.st_mtime_ns}"
    folder = cache_dir or _cache_folder()
    path = folder / f"jieba-{hashlib.sha256(key.encode()).hexdigest()[:16]}.groups"
    try:
        loaded = marshal.loads(path.read_bytes())
        if (type(loaded) is tuple and len(loaded) == 3 and loaded[0] == key and type(loaded[1]) is int
                and type(loaded[2]) is dict):
            return loaded[1], loaded[2]
    except FileNotFoundError:
        pass
    except (OSError, ValueError, EOFError, TypeError) as e:
        log.info("ERP Watch: rebuilding the segmenter's dictionary cache %s (%s)", path, e)
    with open(dict_file, "rb") as f:
        entries, total = jieba.Tokenizer.gen_pfdict(f)
    by_char: dict[str, dict] = {}
    for word, count in entries.items():
        by_char.setdefault(word[0], {})[word] = count
    groups = {ch: marshal.dumps(words) for ch, words in by_char.items()}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(marshal.dumps((key, total, groups)))
        os.replace(tmp, path)
    except OSError as e:  # no writable cache: this build still works, the next one rebuilds
        log.info("ERP Watch: could not write the segmenter's dictionary cache %s (%s)", path, e)
    return total, groups


def _cache_folder() -> Path:
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "erpwatch"
    try:
        return Path.home() / ".cache" / "erpwatch"
    except RuntimeError:  # no home folder: jieba's own choice
        return Path(tempfile.gettempdir()) / "erpwatch"


def teach(words) -> None:
    """Keep `words` (vendors' Chinese names, key report names) whole when segmenting. Each word is added once
    per process: adding it again would count its frequency twice in the dictionary's total, which changes
    how everything else is cut (`mkdocs serve` rebuilds; a worker in this process)."""
    try:
        import jieba
    except ImportError:
        return
    new = sorted(set(words) - _TAUGHT)
    for word in new:
        jieba.add_word(word, freq=100000)
    _TAUGHT.update(new)
    if new:
        _cut_han.cache_clear()  # runs cut before a word was added may now be cut otherwise


_TAUGHT: set = set()


_HAN = None


def segment_chinese(text: str) -> str:
    """What the search plugin's SearchIndex._segment_chinese does (each run of Han characters cut into words
    by jieba, words separated by zero-width spaces), with each distinct run cut once: the same labels recur
    on every Chinese page."""
    global _HAN
    if _HAN is None:
        import backrefs.bre
        # backrefs expands the Unicode property into a plain character class: the same pattern for `re`,
        # without backrefs' per-call wrapper
        _HAN = re.compile(backrefs.bre.compile(r"(\p{script: Han}+)", backrefs.bre.UNICODE).pattern)
    return _HAN.sub(_cut_match, text).strip("\u200b")


def _cut_match(m: re.Match) -> str:
    return _cut_han(m.group())


@functools.lru_cache(maxsize=200_000)
def _cut_han(run: str) -> str:
    import jieba
    return "\u200b" + "\u200b".join(jieba.cut(run.encode("utf-8"))) + "\u200b"
