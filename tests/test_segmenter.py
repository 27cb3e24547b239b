"""The lazily loaded segmenter dictionary (scripts/site/segmenter.py) cuts exactly as jieba fully loaded."""

from __future__ import annotations

import random

import jieba
import pytest

from scripts.lang.i18n import STRINGS
from scripts.records.load import vendors_dir
from scripts.records.yamlsafe import load_data
from scripts.site import segmenter


def _chinese_texts() -> list[str]:
    texts = [s["zh"] for s in STRINGS.values()]

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                yield from walk(v)
        elif isinstance(x, list):
            for v in x:
                yield from walk(v)
        elif isinstance(x, str) and any("\u4e00" <= c <= "\u9fff" for c in x):
            yield x

    for path in sorted(vendors_dir().glob("*.yaml")):
        texts += walk(load_data(path.read_bytes()))
    return texts


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def tokenizers(cache_dir):
    full = jieba.Tokenizer()
    full.initialize()
    lazy = jieba.Tokenizer()
    total, groups = segmenter._groups(cache_dir)
    segmenter.make_lazy(lazy, total, groups)
    return full, lazy


def _random_texts(full, n: int) -> list[str]:
    rng = random.Random(8)
    words = sorted(w for w, f in full.FREQ.items() if f and len(w) > 1)
    texts = []
    for _ in range(n):
        parts = [rng.choice(words) if rng.random() < 0.8 else rng.choice("的了在 ,。ABC12x-") for _ in range(rng.randint(1, 12))]
        texts.append("".join(parts))
    return texts


def test_cuts_like_the_fully_loaded_dictionary(tokenizers):
    full, lazy = tokenizers
    assert isinstance(lazy.FREQ, segmenter._LazyEntries) and lazy.total == full.total
    site_texts = _chinese_texts()
    assert len(site_texts) > 50
    for texts in (site_texts, _random_texts(full, 400)):
        for text in texts:
            assert list(lazy.cut(text)) == list(full.cut(text)), text
            assert list(lazy.cut(text, HMM=False)) == list(full.cut(text, HMM=False)), text
            assert list(lazy.cut_for_search(text)) == list(full.cut_for_search(text)), text
        if texts is site_texts:  # only the entries of the characters used were loaded
            assert 0 < len(dict.keys(lazy.FREQ)) < len(full.FREQ) / 2


def test_added_words_change_the_cut_the_same_way(tokenizers):
    full, lazy = tokenizers
    # Words whose first character was never used yet, words that extend dictionary words, a word with a
    # frequency of 0 (del_word), and a suggested frequency
    words = [("虓虓示例服务商", 100000), ("示例供应商", 100000), ("在售商品报告", 100000), ("中华", 0)]
    texts = ["虓虓示例服务商每半小时下载一次在售商品报告", "示例供应商称中华人民共和国", "在售商品报告和中华"]
    # a dictionary word, given another frequency, before anything starting with its first character was read
    known = next(w for w, f in sorted(full.FREQ.items()) if f and len(w) > 1 and w[0] not in lazy.FREQ._loaded)
    words.append((known, full.FREQ[known] + 12345))
    texts.append(known + known[::-1] + known)
    for word, freq in words:
        for tk in (full, lazy):
            tk.add_word(word, freq=freq)
    assert lazy.total == full.total and lazy.FREQ[known] == full.FREQ[known]
    for tk in (full, lazy):
        tk.del_word("下载")
    assert lazy.suggest_freq(("每半", "小时"), tune=True) == full.suggest_freq(("每半", "小时"), tune=True)
    for text in texts + _random_texts(full, 100):
        assert list(lazy.cut(text)) == list(full.cut(text)), text


def test_the_cache_is_read_back_and_rebuilt_when_damaged(tmp_path, monkeypatch, cache_dir):
    total, groups = segmenter._groups(cache_dir)
    [made] = cache_dir.iterdir()
    cache = tmp_path / made.name
    cache.write_bytes(made.read_bytes())

    def no_reading(*args):
        raise AssertionError("read the dictionary file although the cache was there")

    with monkeypatch.context() as m:
        m.setattr(jieba.Tokenizer, "gen_pfdict", staticmethod(no_reading))
        assert segmenter._groups(tmp_path) == (total, groups)
    for damage in (b"not marshal", made.read_bytes()[:1000]):
        cache.write_bytes(damage)
        assert segmenter._groups(tmp_path) == (total, groups)
    assert [p.name for p in tmp_path.iterdir()] == [cache.name]


def test_an_unwritable_cache_still_segments(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    total, groups = segmenter._groups(blocker / "cache")
    assert total > 0 and "中" in groups


def test_install_makes_the_default_tokenizer_lazy(cache_dir, monkeypatch):
    fresh = jieba.Tokenizer()
    monkeypatch.setattr(jieba, "dt", fresh)
    assert segmenter.install(cache_dir)
    assert isinstance(fresh.FREQ, segmenter._LazyEntries) and fresh.initialized
    # another jieba than the one checked: the full load
    other = jieba.Tokenizer()
    monkeypatch.setattr(jieba, "dt", other)
    monkeypatch.setattr(jieba, "__version__", "0.0")
    assert segmenter.install(cache_dir)
    assert type(other.FREQ) is dict and len(other.FREQ) > 400_000


def test_teaching_a_word_again_changes_nothing(cache_dir, monkeypatch):
    fresh = jieba.Tokenizer()
    monkeypatch.setattr(jieba, "dt", fresh)
    monkeypatch.setattr(jieba, "add_word", fresh.add_word)
    monkeypatch.setattr(segmenter, "_TAUGHT", set())
    segmenter.install(cache_dir)
    segmenter.teach(["示例供应商", "在售商品报告"])
    total = fresh.total
    segmenter.teach(["在售商品报告", "示例供应商"])  # `mkdocs serve`'s next build, or a worker in this process
    assert fresh.total == total
    segmenter.teach(["比酷尔"])
    assert fresh.total == total + 100000
