"""The validator against hostile files and file names (issue 17 §6): special files are refused before
they are read, in well under a second each, and every output line — plain or a GitHub annotation — shows
names and values as text: no new line, no workflow command, nothing unbounded."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from test_validate import BASE_TEXT, BY_NAME, parse_problem, run_cli, write_case

from scripts.records import load as records
from scripts.records import safeio

QUICK = 0.5  # seconds for one refused file, in process


def special(kind: str, folder: Path) -> Path:
    path = folder / "example-tools.yaml"
    if kind == "symlink-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "symlink-to-fifo":
        os.mkfifo(folder / "pipe")
        path.symlink_to(folder / "pipe")
    elif kind == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer for ever
    elif kind == "device":
        return Path("/dev/zero")
    elif kind == "folder":
        path.mkdir()
    elif kind == "sparse-2-gb":  # stat says 2 GB: refused without reading a byte
        with open(path, "wb") as f:
            f.truncate(2_000_000_000)
    return path


KINDS = {"symlink-to-dev-zero": "is a character device", "symlink-to-fifo": "is a FIFO",
         "fifo": "is a FIFO", "device": "is a character device", "folder": "is a folder",
         "sparse-2-gb": "file is 2,000,000,000 bytes; records are limited to 1,000,000"}


@pytest.mark.parametrize("kind", KINDS)
def test_special_files_are_refused_before_reading(tmp_path, kind, suite):
    path = special(kind, tmp_path)
    start = time.monotonic()
    for lines in (True, False):  # the validator and the site build's fast path
        result = records.check_file(path, lines=lines)
        [problem] = result.problems
        assert result.record is None and KINDS[kind] in problem, problem
        assert parse_problem(problem)[1] == 1
    assert time.monotonic() - start < QUICK
    suite("hostile-records", tried=1, rejected=1, escaped=0, lost=0)


def test_the_command_line_refuses_a_fifo_and_a_link_to_a_device_in_the_folder(tmp_path):
    os.mkfifo(tmp_path / "a-fifo.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    write_case({"name": "ok"}, tmp_path)
    start = time.monotonic()
    proc = run_cli(tmp_path, cwd=tmp_path)
    assert time.monotonic() - start < 20  # a process start; without the checks it never ends
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "a-fifo.yaml:1: is a FIFO" in proc.stdout and "zero.yaml:1: is a character device" in proc.stdout


def test_a_file_larger_than_its_stat_size_is_still_cut_at_the_cap():
    """The size check by stat is not all: a regular file whose stat says 0 (a /proc file, or one that grows
    after the check) is read with the cap, and refused past it."""
    data = safeio.read_capped("/proc/self/status", 10_000_000)  # st_size 0, yet it has content
    assert data and b"Name:" in data
    with pytest.raises(safeio.Refused, match="over 10"):
        safeio.read_capped("/proc/self/status", 10)


def test_yml_files_are_reported_not_ignored(tmp_path):
    write_case({"name": "ok"}, tmp_path)
    (tmp_path / "other-tools.yml").write_text(BASE_TEXT, encoding="utf-8")
    (tmp_path / "third-tools.YAML").write_text(BASE_TEXT, encoding="utf-8")
    proc = run_cli(tmp_path, cwd=tmp_path)
    assert proc.returncode == 1
    assert "other-tools.yml:1: not read: records are named ID.yaml" in proc.stdout
    assert "third-tools.YAML:1: not read" in proc.stdout


HOSTILE_NAMES = ["evil\n::error file=x.yaml,line=1::forged.yaml", "::warning::forged.yaml",
                 "a:1:b,c%0A.yaml", "cr\rreturn.yaml", "bell\x07\x1b[31m.yaml"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_file_names_cannot_forge_lines_or_workflow_commands(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BASE_TEXT.replace("name: Example Tools\n", "name: [Example Tools]\n").encode())
    proc = run_cli(name, cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    out = proc.stdout.splitlines()
    problems = [line for line in out if not line.startswith("::")]
    annotations = [line for line in out if line.startswith("::")]
    # one problem (the id does not match the file name, and name is a list: two), each once as an annotation
    assert len(problems) == len(annotations) >= 1, out
    for line in annotations:
        m = re.fullmatch(r"::error file=([^,:]*),line=(\d+)::(.*)", line)
        assert m, line  # exactly one command: the file= property holds no raw `:` or `,`
        assert "\n" not in m.group(1) and "\r" not in m.group(1)
    for line in out + proc.stderr.splitlines():
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", line), line
    assert all(not line.lstrip().startswith("::") for line in problems)


def test_annotations_use_githubs_escaping():
    assert safeio.annotation_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert safeio.annotation_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert safeio.output_line("::error::x") == "./::error::x"
    assert safeio.output_line("a\nb\u202ec") == "a\\nb\\u202ec"


def test_long_values_are_cut(tmp_path):
    case = dict(BY_NAME["url-javascript"])
    case["replace"] = ["website: https://example-tools.example.com/", "website: javascript:" + "a" * 200_000]
    write_case(case, tmp_path)
    proc = run_cli("example-tools.yaml", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines and all(len(line) <= 1100 for line in lines), [len(x) for x in lines]
    assert "more characters)" in lines[0]
