"""Hostile records: each is rejected with PATH:LINE (no traceback) or, where it is legal text, rendered
safely; always in bounded time and memory. Counts go to the `hostile-records` summary line."""

from __future__ import annotations

import re
import time
import tracemalloc
from dataclasses import dataclass

import pytest
from bs4 import BeautifulSoup

from scripts.records import load as records
from scripts.site import build as generate

BASE = """\
# yaml-language-server: $schema=./schema.json
schema_version: 1
id: example-tools
name: Example Tools
website: https://example-tools.example.com/
sources:
  - id: s1
    url: https://example-tools.example.com/terms
    publisher: Example Tools
    kind: vendor
claims:
  - id: c1
    topic: retention
    summary: Keeps data.
    sources:
      - source: s1
"""
MAX_SECONDS = 2.0
MAX_PEAK_BYTES = 64 * 1024 * 1024


@dataclass
class Case:
    name: str
    data: bytes
    line: int | None = None  # expected line of the (first) problem; None: any line
    message: str = ""  # expected substring of a problem
    render: bool = False  # legal text: must validate and render escaped
    filename: str = "example-tools.yaml"


def sub(old: str, new: str) -> bytes:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new).encode("utf-8")


def add(text: str) -> bytes:
    return (BASE + text).encode("utf-8")


def _billion_laughs(levels: int = 9) -> bytes:
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return (BASE + "\n".join(lines) + "\n").encode()


CASES = [
    # alias bombs, anchors, aliases, merge keys
    Case("alias-bomb-billion-laughs", _billion_laughs(), 17, "anchors"),
    Case("alias-bomb-deep", _billion_laughs(30), 17, "anchors"),
    Case("alias-plain", sub("name: Example Tools", "name: &n Example Tools\nwebsite2: *n"), 4, "anchors"),
    Case("merge-key", add("extra: {<<: {a: 1}}\n"), 17, "not allowed"),
    # deep nesting
    Case("nesting-flow-100000", add("deep: " + "[" * 100_000 + "]" * 100_000 + "\n"), 17, "nesting deeper"),
    Case("nesting-block-100", add("".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v: 1\n"),
         None, "nesting deeper"),
    Case("nesting-flow-mapping", add("deep: " + "{a: " * 500 + "1" + "}" * 500 + "\n"), 17, "nesting deeper"),
    # huge strings and files
    Case("huge-file", add("note: " + "x" * 1_100_000 + "\n"), 1, "limited to"),
    Case("huge-summary", sub("summary: Keeps data.", "summary: " + "x" * 30_000), 14, "at most 20,000"),
    Case("huge-name", sub("name: Example Tools", "name: " + "N" * 5_000), 4, "at most 200"),
    Case("many-keys", add("".join(f"k{i}: {i}\n" for i in range(20_000))), 17, "unknown field"),
    # duplicate keys
    Case("duplicate-top-key", add("name: Other\n"), 17, "duplicate key 'name'"),
    Case("duplicate-nested-key", sub("    kind: vendor\n", "    kind: vendor\n    kind: press\n"), 11, "duplicate key 'kind'"),
    Case("duplicate-key-different-quoting", add('"id": other\n'), 17, "duplicate key 'id'"),
    # YAML tags
    Case("tag-python-apply", add('x: !!python/object/apply:os.system ["echo pwned > /tmp/erpwatch-pwned"]\n'), 17, "tags"),
    Case("tag-python-name", add("x: !!python/name:os.system\n"), 17, "tags"),
    Case("tag-python-module", add("x: !!python/module:os\n"), 17, "tags"),
    Case("tag-custom", add("x: !vendor {a: 1}\n"), 17, "tags"),
    Case("tag-binary", add("x: !!binary aGVsbG8=\n"), 17, "tags"),
    Case("tag-set", add("x: !!set {a, b}\n"), 17, "tags"),
    Case("tag-verbatim", add("x: !<tag:yaml.org,2002:str> y\n"), 17, "tags"),
    # path traversal and odd ids
    Case("id-traversal", sub("id: example-tools", "id: ../x"), 3, "not a valid id"),
    Case("id-traversal-encoded", sub("id: example-tools", "id: ..%2Fx"), 3, "not a valid id"),
    Case("id-absolute-path", sub("id: example-tools", "id: /etc/passwd"), 3, "not a valid id"),
    Case("policy-id-traversal", add("policies:\n  - {id: ../../snapshots, type: other, url: https://a.example.com/, language: en}\n"),
         18, "not a valid id"),
    Case("source-id-traversal", sub("  - id: s1\n", "  - id: ../s1\n"), 7, "not a valid id"),
    Case("filename-traversal", BASE.replace("id: example-tools", "id: x").encode(), 3, "does not match the file name",
         filename="x..yaml"),
    Case("id-number", sub("id: example-tools", "id: 123"), 3, "expected text"),
    # Unicode bidi and control characters
    Case("bidi-rlo-name", sub("name: Example Tools", "name: \"Example \u202eslooT\""), 4, "U+202E"),
    Case("bidi-isolate-summary", sub("summary: Keeps data.", "summary: Keeps \u2067data\u2069."), 14, "U+2067"),
    Case("escape-nul", sub("summary: Keeps data.", 'summary: "Keeps\\0data"'), 14, "U+0000"),
    Case("escape-esc", sub("summary: Keeps data.", 'summary: "\\e[31mred"'), 14, "U+001B"),
    Case("escape-c1", sub("summary: Keeps data.", 'summary: "\\x9b31m"'), 14, "U+009B"),
    Case("raw-control", sub("summary: Keeps data.", "summary: Keeps\x07data."), 14, "control character"),
    Case("raw-nel", sub("summary: Keeps data.", "summary: Keeps\u0085data."), 14, "U+0085"),
    Case("raw-line-separator", sub("summary: Keeps data.", "summary: Keeps\u2028data."), 14, "U+2028"),
    Case("bidi-in-key", add("na\u202eme2: x\n"), 17, "unknown field"),
    # URLs
    Case("url-javascript", sub("website: https://example-tools.example.com/", "website: javascript:alert(1)"), 5, "http(s)"),
    Case("url-javascript-case", sub("website: https://example-tools.example.com/", "website: JaVaScRiPt:alert(1)"), 5, "http(s)"),
    Case("url-javascript-space", sub("website: https://example-tools.example.com/", "website: ' javascript:alert(1)'"), 5, "http(s)"),
    Case("url-data", sub("    url: https://example-tools.example.com/terms", "    url: data:text/html,<script>alert(1)</script>"), 8, "http(s)"),
    Case("url-vbscript", sub("    url: https://example-tools.example.com/terms", "    url: vbscript:msgbox(1)"), 8, "http(s)"),
    Case("url-file", sub("    url: https://example-tools.example.com/terms", "    url: file:///etc/passwd"), 8, "http(s)"),
    Case("url-credentials", sub("    url: https://example-tools.example.com/terms", "    url: https://user:pw@example.com/"), 8, "password"),
    Case("url-newline", sub("    url: https://example-tools.example.com/terms", '    url: "https://example.com/\\nx"'), 8, ""),
    Case("url-relative", sub("    url: https://example-tools.example.com/terms", "    url: /terms"), 8, "http(s)"),
    Case("url-protocol-relative", sub("    url: https://example-tools.example.com/terms", "    url: //evil.test/"), 8, "http(s)"),
    # encodings and file shapes
    Case("latin-1", BASE.replace("Keeps data.", "Garde les données.").encode("latin-1"), 14, "not UTF-8"),
    Case("utf-16", BASE.encode("utf-16"), 1, "not UTF-8"),
    Case("gbk", BASE.replace("Keeps data.", "保留数据").encode("gbk"), 14, "not UTF-8"),
    Case("empty", b"", 1, "empty"),
    Case("only-comments", b"# nothing here\n# at all\n", 1, "empty"),
    Case("whitespace-only", b"   \n\n  \n", 1, "empty"),
    Case("a-list", b"- id: example-tools\n- name: x\n", 1, "not a list"),
    Case("a-scalar", b"just a string\n", 1, "not a string"),
    Case("two-documents", add("---\nid: other\n"), 17, "one YAML document"),
    Case("tab-indent", sub("    kind: vendor", "\tkind: vendor"), None, "YAML syntax error"),
    Case("unclosed-bracket", add("categories: [erp, repricer\n"), 17, "YAML syntax error"),
    Case("unclosed-quote", sub("summary: Keeps data.", 'summary: "Keeps data.'), 14, "YAML syntax error"),
    Case("complex-key", add("? [a, b]\n: c\n"), 17, "plain text"),
    Case("null-key", add("~: value\n"), 17, "not allowed as a key"),
    Case("crlf-error-line", sub("summary: Keeps data.", "summary: 5").replace(b"\n", b"\r\n"), 14, "expected text"),
    Case("version-huge-int", sub("schema_version: 1", "schema_version: " + "9" * 5000), 2, "whole number"),
    Case("version-inf", sub("schema_version: 1", "schema_version: .inf"), 2, "whole number"),
    Case("version-string", sub("schema_version: 1", 'schema_version: "1"'), 2, "whole number"),
    Case("future-date", sub("    kind: vendor\n", "    kind: vendor\n    published: 2999-01-01\n"), 11, "future"),
    # legal but nasty text: accepted and rendered as text
    Case("bom", b"\xef\xbb\xbf" + BASE.encode(), render=True),
    Case("crlf", BASE.replace("\n", "\r\n").encode(), render=True),
    Case("html-summary", sub("summary: Keeps data.", "summary: '<script>alert(1)</script><img src=x onerror=alert(2)>'"), render=True),
    Case("markdown-link-summary", sub("summary: Keeps data.", "summary: '[x](javascript:alert(1)) ![i](x onerror=alert(1))'"), render=True),
    Case("attr-list-name", sub("name: Example Tools", "name: 'Tools {: onclick=\"alert(1)\" }'"), render=True),
    Case("template-syntax", sub("summary: Keeps data.", "summary: '{{ 7*7 }} {% raw %} ${7*7}'"), render=True),
    Case("rtl-text", sub("summary: Keeps data.", "summary: 'يحتفظ بالبيانات 90 يومًا'"), render=True),
    Case("zero-width-and-emoji", sub("summary: Keeps data.", "summary: 'Keeps\u200bdata 👩\u200d💻'"), render=True),
    Case("long-word", sub("summary: Keeps data.", "summary: " + "a" * 15_000), render=True),
    Case("on-off-strings", add("toggles:\n  - id: t\n    name: T\n    history:\n      - {default: on, applies_to: not-stated, sources: [{source: s1}]}\n"), render=True),
]


def test_enough_cases():
    assert len(CASES) >= 50
    assert len({c.name for c in CASES}) == len(CASES)


def _check(path):
    """Time one check, then measure its peak memory in a second run (tracemalloc slows Python down)."""
    start = time.perf_counter()
    result = records.check_file(path)
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    try:
        records.check_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, elapsed, peak


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_record(case, tmp_path, suite):
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    result, elapsed, peak = _check(path)
    assert elapsed < MAX_SECONDS, f"took {elapsed:.2f}s"
    assert peak < MAX_PEAK_BYTES, f"peak memory {peak / 1e6:.0f} MB"
    if case.render:
        assert result.problems == [], result.problems
        _assert_rendered_safely(tmp_path, result.record)
        suite("hostile-records", tried=1, escaped=1)
        return
    assert result.problems, "accepted a hostile record"
    pattern = re.compile(r"^" + re.escape(str(path)) + r":(\d+): .+")
    for line in result.problems:
        assert pattern.match(line) or re.match(r"^.+:\d+: .+", line), line
        assert "Traceback" not in line
    lines = [int(re.match(r"^.*?:(\d+): ", p).group(1)) for p in result.problems]
    if case.message:
        matching = [p for p in result.problems if case.message in p]
        assert matching, f"no problem mentions {case.message!r}: {result.problems}"
        if case.line is not None:
            assert any(f":{case.line}: " in p for p in matching), result.problems
    elif case.line is not None:
        assert case.line in lines, result.problems
    suite("hostile-records", tried=1, rejected=1)


def test_python_tag_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "example-tools.yaml"
    path.write_bytes(add(f'x: !!python/object/apply:os.system ["touch {marker}"]\n'))
    assert records.check_file(path).problems
    assert not marker.exists()


def _assert_rendered_safely(tmp_path, record):
    files = generate.build_pages([record], None, {"repo_url": "https://github.test/x/y", "site_url": "https://erpwatch.test/"},
                                 tmp_path)
    for rel in ("vendors/example-tools/index.md", "zh/vendors/example-tools/index.md", "vendors/index.md"):
        soup = BeautifulSoup(files[rel], "html.parser")
        assert not soup.find("script")
        for el in soup.find_all(True):
            assert not any(a.lower().startswith("on") for a in el.attrs), (rel, el)
            for attr in ("href", "src"):
                assert "javascript:" not in str(el.get(attr, "")).lower(), (rel, el)
    page = files["vendors/example-tools/index.md"]
    heading = re.search(r"<h1 id=\"title\">(.*?)</h1>", page, re.S)
    assert heading and "<" not in heading.group(1)  # the name is text in the page's one heading, never markup
    assert page.startswith("---\n") and page.body in page  # the portable Markdown form carries the same body
