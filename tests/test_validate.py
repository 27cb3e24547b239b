"""The record validator against a table of invalid records (tests/validate_cases/cases.yaml).

Every case is the valid fictional record tests/validate_cases/example-tools.yaml with one thing changed; each
must yield a problem `PATH:LINE: message` at exactly the expected line. Most cases call
`scripts.records.load.check_file` directly; a few run `python -m scripts.validate` as a subprocess.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `pytest` run without `python -m`
    sys.path.insert(0, str(ROOT))

from scripts.records import load as records  # noqa: E402

CASES_DIR = Path(__file__).resolve().parent / "validate_cases"
BASE_PATH = CASES_DIR / "example-tools.yaml"
BASE_TEXT = BASE_PATH.read_text(encoding="utf-8")
CASES: list[dict] = yaml.safe_load((CASES_DIR / "cases.yaml").read_text(encoding="utf-8"))
BY_NAME = {c["name"]: c for c in CASES}

# Every rule the validator enforces; each must be covered by at least one case.
RULES = {
    "yaml-syntax", "duplicate-key", "unknown-field", "yaml-tag", "yaml-anchor-alias", "alias-bomb",
    "wrong-type", "id-file-name", "id-slug", "url", "missing-source", "unknown-citation", "future-date",
    "malformed-date", "date-order", "sp-api-name", "duplicate-id", "schema-version", "empty-file",
    "not-a-mapping", "not-utf8", "forbidden-char", "deep-nesting", "superseded", "vendor-response",
    "language-tag", "line-ends",
}
CASE_KEYS = {"name", "rule", "replace", "append", "text", "bytes", "encoding", "file", "fast", "line",
             "message", "xfail", "line_ends"}

# `PATH:LINE: message` (the temporary paths here contain no colon).
PROBLEM_LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>[1-9][0-9]*): (?P<message>\S.*)$")
# What a record must never contain, and so what the validator's own output must not echo raw.
FORBIDDEN_IN_OUTPUT = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]")


def case_bytes(case: dict) -> bytes:
    """The file content of a case: the base record with the case's one change."""
    if "text" in case:
        text = case["text"]
    else:
        text = BASE_TEXT
        if "replace" in case:
            old, new = case["replace"]
            assert text.count(old) == 1, f"{case['name']}: {old!r} occurs {text.count(old)} times"
            text = text.replace(old, new)
        if "append" in case:
            text += case["append"]
    if "line_ends" in case:
        text = text.replace("\n", case["line_ends"])
    data = text.encode(case.get("encoding", "utf-8"))
    if "bytes" in case:
        old, new = (s.encode("latin-1") for s in case["bytes"])
        assert data.count(old) == 1, f"{case['name']}: {old!r} occurs {data.count(old)} times"
        data = data.replace(old, new)
    return data


def write_case(case: dict, directory: Path) -> Path:
    path = directory / case.get("file", "example-tools.yaml")
    path.write_bytes(case_bytes(case))
    return path


def parse_problem(line: str) -> tuple[str, int, str]:
    m = PROBLEM_LINE.match(line)
    assert m, f"not a `PATH:LINE: message` line: {line!r}"
    return m.group("path"), int(m.group("line")), m.group("message")


def case_params(cases=CASES):
    out = []
    for case in cases:
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []
        out.append(pytest.param(case, id=case["name"], marks=marks))
    return out


def run_cli(*args: str | Path, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    environ["PYTHONPATH"] = str(ROOT)
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "scripts.validate", *map(str, args)], cwd=cwd, env=environ,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


# --- the table itself ---------------------------------------------------------------------------------------

def test_base_record_is_valid():
    result = records.check_file(BASE_PATH)
    assert result.problems == []
    assert result.record is not None and result.record["id"] == "example-tools"


def test_base_record_is_fictional():
    """The base must not borrow a real vendor's content: only example.com / *.test addresses."""
    for url in re.findall(r"https?://[^\s\"'}\]]+", BASE_TEXT):
        host = url.split("/")[2]
        assert host == "example.com" or host.endswith((".example.com", ".test")), url


def test_case_table_is_well_formed():
    assert len(CASES) >= 30
    assert len(BY_NAME) == len(CASES), "case names must be unique"
    for case in CASES:
        assert set(case) <= CASE_KEYS, f"{case['name']}: unknown keys {set(case) - CASE_KEYS}"
        assert {"name", "rule", "line", "message"} <= set(case), case.get("name")
        assert case["rule"] in RULES, f"{case['name']}: unknown rule {case['rule']!r}"
        assert sum(k in case for k in ("replace", "append", "text", "bytes", "encoding")) >= 1, case["name"]
        assert not ("text" in case and ("replace" in case or "append" in case)), case["name"]
        assert "xfail" not in case or case["xfail"].startswith("BUG: "), case["name"]
        assert case_bytes(case) != BASE_TEXT.encode(), f"{case['name']} changes nothing"


def test_every_rule_is_covered_by_a_passing_case():
    covered = {c["rule"] for c in CASES if "xfail" not in c}
    assert RULES <= covered, f"rules without a (non-xfail) case: {sorted(RULES - covered)}"


# --- each case, through check_file -------------------------------------------------------------------------

@pytest.mark.parametrize("case", case_params())
def test_invalid_record(case, tmp_path):
    path = write_case(case, tmp_path)
    started = time.perf_counter()
    result = records.check_file(path)  # must not raise: a traceback fails the case
    elapsed = time.perf_counter() - started
    if case.get("fast"):
        assert elapsed < 0.5, f"took {elapsed:.2f}s"
    display = records.display_path(path)
    assert result.record is None
    assert result.problems, "no problem reported"
    parsed = [parse_problem(line) for line in result.problems]
    assert {p for p, _, _ in parsed} == {display}
    wanted = [(n, msg) for _, n, msg in parsed if case["message"] in msg]
    assert wanted, f"no problem contains {case['message']!r}:\n" + "\n".join(result.problems)
    assert case["line"] in [n for n, _ in wanted], (
        f"{case['message']!r} reported on line(s) {[n for n, _ in wanted]}, expected {case['line']}:\n"
        + "\n".join(result.problems))


def test_alias_bomb_is_refused_before_expansion(tmp_path):
    """Deeper than the table's bomb: 10^15 leaves if expanded. The screen must not even compose it."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, cur in zip("abcdefghijklmn", "bcdefghijklmno"):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    path = tmp_path / "example-tools.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    result = records.check_file(path)
    assert time.perf_counter() - started < 0.5
    assert [parse_problem(p)[1:] for p in result.problems] == [
        (1, "YAML anchors (&a) are not allowed: write the value out")]


def test_python_tag_is_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "example-tools.yaml"
    tagged = f"name: !!python/object/apply:os.system [\"touch {marker}\"]\n"
    path.write_text(BASE_TEXT.replace("name: Example Tools\n", tagged), encoding="utf-8")
    result = records.check_file(path)
    assert not marker.exists()
    assert [parse_problem(p)[1] for p in result.problems] == [6]
    assert "YAML tags" in result.problems[0]


def test_block_nesting_reports_the_line_of_the_41st_level(tmp_path):
    # marketplaces' value is level 2 (the record is level 1); key k<i> opens level i + 1 on line 17 + i.
    nested = "".join("  " * i + f"k{i}:\n" for i in range(1, 46)) + "  " * 46 + "x\n"
    text = BASE_TEXT.replace("marketplaces: [amazon]\n", "marketplaces:\n" + nested)
    path = tmp_path / "example-tools.yaml"
    path.write_text(text, encoding="utf-8")
    problems = [parse_problem(p)[1:] for p in records.check_file(path).problems]
    assert problems == [(17 + 40, "nesting deeper than 40 levels is not allowed")]


def test_nesting_of_40_levels_is_allowed(tmp_path):
    text = BASE_TEXT.replace("categories: [repricer, review-requests]", "categories: " + "[" * 39 + "]" * 39)
    path = tmp_path / "example-tools.yaml"
    path.write_text(text, encoding="utf-8")
    problems = [parse_problem(p) for p in records.check_file(path).problems]
    assert not any("nesting" in message for _, _, message in problems)
    assert problems  # the nested lists are still not categories


def test_oversized_file(tmp_path):
    path = tmp_path / "example-tools.yaml"
    path.write_bytes(BASE_TEXT.encode() + b"# " + b"x" * 1_000_000 + b"\n")
    problems = [parse_problem(p)[1:] for p in records.check_file(path).problems]
    assert len(problems) == 1 and problems[0][0] == 1
    assert "records are limited to 1,000,000" in problems[0][1]


def test_unreadable_path(tmp_path):
    problems = records.check_file(tmp_path / "missing.yaml").problems
    assert len(problems) == 1 and parse_problem(problems[0])[1] == 1
    assert "cannot read the file" in problems[0]


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "example-tools.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE_TEXT.encode())
    assert records.check_file(path).problems == []


def test_yaml_11_booleans_stay_text(tmp_path):
    """`default: on` (unquoted) is the string "on", not true (YAML 1.2 core schema)."""
    path = tmp_path / "example-tools.yaml"
    text = BASE_TEXT.replace('default: "on"', "default: on").replace('default: "off"', "default: off")
    path.write_text(text, encoding="utf-8")
    result = records.check_file(path)
    assert result.problems == []
    assert result.record["toggles"][0]["history"][2]["default"] == "off"


def test_problems_are_sorted_by_line_and_all_reported(tmp_path):
    text = (BASE_TEXT.replace("website: https://example-tools.example.com/", "website: javascript:alert(1)")
            .replace("    role: pricing\n", "    role: pricng\n")
            .replace("  - id: settings-reset\n", "  - id: listings-report-downloads\n"))
    path = tmp_path / "example-tools.yaml"
    path.write_text(text, encoding="utf-8")
    lines = [parse_problem(p)[1] for p in records.check_file(path).problems]
    assert lines == [9, 84, 151]


def test_output_never_contains_raw_bidi_or_control_characters(tmp_path):
    path = tmp_path / "example-tools.yaml"
    path.write_text(BASE_TEXT.replace("  country: Nowhere\n", "  count\u202ery: Nowhere\n"), encoding="utf-8")
    problems = records.check_file(path).problems
    assert any(parse_problem(p)[1] == 12 and "unknown field" in p for p in problems)
    assert not any(FORBIDDEN_IN_OUTPUT.search(p) for p in problems), problems


# --- the CLI, as a subprocess ------------------------------------------------------------------------------

def test_cli_valid_record_exits_0(tmp_path):
    (tmp_path / "example-tools.yaml").write_text(BASE_TEXT, encoding="utf-8")
    proc = run_cli("example-tools.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert "1 record(s) checked, 0 with problems, 0 problem(s)" in proc.stderr


def test_cli_folder_argument(tmp_path):
    (tmp_path / "example-tools.yaml").write_text(BASE_TEXT, encoding="utf-8")
    (tmp_path / "_draft.yaml").write_text("not: [a record", encoding="utf-8")  # `_` files are skipped
    proc = run_cli(".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 record(s) checked" in proc.stderr


def test_cli_invalid_record_exit_1_and_format(tmp_path):
    write_case(BY_NAME["unknown-role-with-hint"], tmp_path)
    proc = run_cli("example-tools.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "example-tools.yaml:84: access[0].role: unknown SP-API role 'pricng' (did you mean 'pricing'?); "
        "roles are listed in reference/sp-api.yaml"]
    assert "Traceback" not in proc.stderr


def test_cli_several_problems_in_one_file(tmp_path):
    text = (BASE_TEXT.replace("website: https://example-tools.example.com/", "website: ftp://example.com/")
            .replace("    published: 2024-03-01\n", "    published: 2024-13-01\n")
            .replace("- source: trade-news\n            quote:", "- source: trade-new\n            quote:")
            .replace("      superseded_by: retention-60-days\n", ""))
    (tmp_path / "example-tools.yaml").write_text(text, encoding="utf-8")
    proc = run_cli("example-tools.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    got = [parse_problem(line) for line in proc.stdout.splitlines()]
    assert {p for p, _, _ in got} == {"example-tools.yaml"}
    assert [(n, m.split(":")[0]) for _, n, m in got] == [
        (9, "website"), (26, "sources[0].published"), (66, "claims[0].ended"),
        (122, "toggles[0].history[2].sources[0].source")]  # one line up: line 69 is gone
    assert "1 record(s) checked, 1 with problems, 4 problem(s)" in proc.stderr


def test_cli_several_files_in_one_run(tmp_path):
    (tmp_path / "example-tools.yaml").write_text(BASE_TEXT, encoding="utf-8")
    for name in ("empty-file", "file-is-a-list"):
        sub = tmp_path / name
        sub.mkdir()
        write_case(BY_NAME[name], sub)
    proc = run_cli("example-tools.yaml", "empty-file/example-tools.yaml", "file-is-a-list", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "empty-file/example-tools.yaml:1: the file is empty",
        "file-is-a-list/example-tools.yaml:2: a record is a mapping of fields, not a list",
    ]
    assert "3 record(s) checked, 2 with problems, 2 problem(s)" in proc.stderr


def test_cli_github_annotations(tmp_path):
    write_case(BY_NAME["type-name-is-a-list"], tmp_path)
    proc = run_cli("example-tools.yaml", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "example-tools.yaml:6: name: expected text, got list",
        "::error file=example-tools.yaml,line=6::name: expected text, got list",
    ]


def test_cli_every_case_no_traceback(tmp_path):
    """All cases (except known bugs) in ONE run: exit 1, every file reported in the format, no traceback."""
    cases = [c for c in CASES if "xfail" not in c]
    paths = []
    for case in cases:
        sub = tmp_path / case["name"]
        sub.mkdir()
        paths.append(write_case(case, sub).relative_to(tmp_path))
    proc = run_cli(*paths, cwd=tmp_path)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    assert proc.returncode == 1
    reported = {}
    for line in proc.stdout.splitlines():
        path, n, message = parse_problem(line)
        reported.setdefault(path, []).append((n, message))
    for case, path in zip(cases, paths):
        got = reported.get(str(path), [])
        assert any(n == case["line"] and case["message"] in m for n, m in got), (case["name"], got)
    assert f"{len(cases)} record(s) checked, {len(cases)} with problems" in proc.stderr


# --- the fast schema check agrees with the full validator ----------------------------------------------------

def _schema_inputs():
    """Every parsed record the tests know: the table's cases, the real records, the base record."""
    from scripts.records import yamlsafe
    datas = []
    for case in CASES:
        loaded = yamlsafe.load(case_bytes(case))
        if isinstance(loaded.data, dict):
            datas.append((case["name"], loaded.data))
    for path in sorted((ROOT / "vendors").glob("*.yaml")) + [BASE_PATH]:
        datas.append((path.name, yamlsafe.load(path.read_bytes()).data))
    return datas


def test_fast_schema_check_agrees_with_jsonschema():
    """records.schema_valid (fastjsonschema, used to skip the slow validator for valid records) must say
    "valid" exactly when jsonschema finds no error, or an invalid record could pass unreported."""
    inputs = _schema_inputs()
    invalid = 0
    for name, data in inputs:
        records._years_as_text(data)
        slow_ok = not any(True for _ in records._validator().iter_errors(data))
        invalid += not slow_ok
        assert records.schema_valid(data) == slow_ok, name
    assert invalid >= 20  # the table reaches the schema check with many invalid records, not just valid ones


@pytest.mark.parametrize("value,ok", [
    ("amazon", True), ("amazon\n", False), ("Amazon", False), ("a--b", False), ("a-b-1", True)])
def test_fast_schema_check_anchors_patterns_at_the_very_end(value, ok):
    data = yamlsafe_load_base()
    data["id"] = value
    slow_ok = not any(e.validator == "pattern" for e in records._validator().iter_errors(data))
    assert slow_ok == ok
    assert records.schema_valid(data) == ok


def yamlsafe_load_base() -> dict:
    from scripts.records import yamlsafe
    return yamlsafe.load(BASE_TEXT.encode("utf-8")).data


def test_escape_class_dollars_keeps_the_regex():
    for pattern in (r"^https?://[^\s/$.?#][^\s]*$", r"[]$]x$", r"[^]$]$", r"a\[$", r"[\]$]$", r"[^^$]$"):
        fixed = records._escape_class_dollars(pattern)
        assert "$]" not in fixed.replace("\\$", "")  # no bare `$` left inside a class
        for text in ("$", "x", "]", "^", "a[", "https://a.test/$", "https://$x", "$x"):
            assert bool(re.search(pattern, text)) == bool(re.search(fixed, text)), (pattern, text)


def test_parallel_loading_gives_the_same_records_and_problems(tmp_path):
    """Large folders are checked by several processes: same records, same problems, same order."""
    for case in CASES[: records.PARALLEL_FROM]:
        (tmp_path / f"{case['name']}.yaml").write_bytes(case_bytes(case))
    for i in range(records.PARALLEL_FROM - len(list(tmp_path.iterdir())) + 1):
        (tmp_path / f"example-tools-{i}.yaml").write_text(BASE_TEXT.replace("id: example-tools", f"id: example-tools-{i}", 1),
                                                           encoding="utf-8")
    serial = records.load_vendors(tmp_path, workers=1)
    parallel = records.load_vendors(tmp_path, workers=2)
    assert serial == parallel
    assert serial[0] and serial[1]  # both valid records and problems


YAML_EDGES = [b"", b"\n", b"# only a comment\n", b"just text\n", b"- a\n- b\n", b"a: 1\na: 2\n", b"? [a]\n: b\n",
              b"1: x\n", b"true: x\n", b"null: x\n", b"<<: {a: 1}\n", b"a: &x 1\nb: *x\n", b"a: !!python/object x\n",
              b"a: 1\n---\nb: 2\n", b"a: [1, 2\n", b"a: \"x\n", b"\xef\xbb\xbfa: 1\n", b"a: \x07\n", b"\xff\xfe",
              b"a: {b: {c: [d, {e: f}]}}\n", ("x:\n" + "".join("  " * i + "- \n" for i in range(45))).encode(),
              b"[" * 41 + b"]" * 41 + b"\n", b"[" * 40 + b"]" * 40 + b"\n", b"a: 'x'\nb: \"y\"\nc: |\n  z\n",
              b"a: 0x10\nb: 1e3\nc: .5\nd: ~\ne: yes\nf: 2024-01-01\n", "a: \u2028\n".encode()]


def test_build_loader_gives_the_same_records_and_problems(tmp_path):
    """The site build reads records without line numbers (yamlsafe.load_data, check_file(lines=False)); it
    must give the same record for every valid file, and the same problems (with lines) for every other."""
    from scripts.records import yamlsafe
    inputs = [("example-tools.yaml", case_bytes(case)) for case in CASES] + [("x.yaml", raw) for raw in YAML_EDGES]
    inputs += [(p.name, p.read_bytes()) for p in sorted((ROOT / "vendors").glob("*.yaml")) + [BASE_PATH]]
    fast_valid = 0
    for n, (name, raw) in enumerate(inputs):
        full = yamlsafe.load(raw)
        data = yamlsafe.load_data(raw)
        if full.problems or not full.data and full.data != 0:
            assert data is None or not full.problems and data == full.data, raw[:200]
        else:
            assert data == full.data, raw[:200]
        path = tmp_path / str(n) / name
        path.parent.mkdir()
        path.write_bytes(raw)
        slow, fast = records.check_file(path), records.check_file(path, lines=False)
        assert (fast.record, fast.problems) == (slow.record, slow.problems), raw[:200]
        fast_valid += fast.record is not None
    assert fast_valid >= 10


def test_one_of_becomes_any_of_only_for_branches_of_different_types():
    assert records._disjoint_types([{"type": "string"}, {"type": "object"}])
    assert not records._disjoint_types([{"type": "object"}, {"type": "object"}])
    assert not records._disjoint_types([{"type": "integer"}, {"type": "number"}])
    assert not records._disjoint_types([{"$ref": "#/x"}, {"type": "string"}])
