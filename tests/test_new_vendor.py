"""`python -m scripts.new_vendor`: the scaffold fails validation only on its TODO lines, and validates
once they are filled, even with every commented optional field uncommented. Names here are fictional."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scripts import new_vendor
from scripts.records import load as records
from scripts.records import yamlsafe

ROOT = Path(__file__).resolve().parent.parent
FILLED = {
    "website": 'website: "https://acme-seller-tools.example.com/"',
    "url": '    url: "https://acme-seller-tools.example.com/privacy"',
    "publisher": "    publisher: Acme Seller Tools",
}


def scaffold(tmp_path: Path, *argv: str) -> Path:
    assert new_vendor.main([*argv, "--vendors", str(tmp_path)]) == 0
    (path,) = tmp_path.glob("*.yaml")
    return path


def fill_todos(text: str) -> str:
    def fill(m: re.Match) -> str:
        return FILLED[m.group(1)]
    filled = re.sub(r"^\s*(\w+):\s+# TODO:.*$", fill, text, flags=re.MULTILINE)
    assert "# TODO:" not in filled
    return filled


def uncomment_fields(text: str) -> str:
    """Uncomment every commented field example below `schema_version:` (not the prose comments)."""
    head, sep, body = text.partition("\nschema_version:")
    body = re.sub(r"^# ((?:[a-z_]+:|  ).*)$", r"\1", body, flags=re.MULTILINE)
    return head + sep + body


@pytest.mark.parametrize("name, slug", [
    ("Helium 10", "helium-10"), ("Séller Labs!", "seller-labs"), ("  Jungle   Scout ", "jungle-scout"),
    ("ACME--Tools__Pro", "acme-tools-pro"), ("Acme (比酷尔)", "acme"), ("比酷尔", ""), ("---", ""),
    ("x" * 80, "x" * 64), ("Ä" * 40 + " b" * 20, "a" * 40 + "-b" * 12),
])
def test_slugify(name, slug):
    assert new_vendor.slugify(name) == slug
    assert slug == "" or new_vendor.SLUG.match(slug)


def test_the_scaffold_fails_only_on_its_todo_lines(tmp_path):
    path = scaffold(tmp_path, "Acme Seller Tools")
    assert path.name == "acme-seller-tools.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# yaml-language-server: $schema=./schema.json"
    todo_lines = {i + 1 for i, line in enumerate(lines) if "# TODO:" in line}
    result = records.check_file(path)
    problem_lines = {int(p.split(":")[1]) for p in result.problems}
    assert problem_lines == todo_lines and len(todo_lines) == 3, result.problems


def test_the_filled_scaffold_validates_with_or_without_the_optional_fields(tmp_path):
    path = scaffold(tmp_path, "Acme Seller Tools")
    path.write_text(fill_todos(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert records.check_file(path).problems == []
    record = records.check_file(path).record
    assert (record["id"], record["name"]) == ("acme-seller-tools", "Acme Seller Tools")
    text = uncomment_fields(path.read_text(encoding="utf-8"))
    # fields offered "instead of" another (company_unnamed, policy_search) cannot all be filled at once
    alternatives = re.findall(r"^([a-z_]+):.*# instead of", text, flags=re.MULTILINE)
    assert set(alternatives) == {"company_unnamed", "policy_search"}
    assert set(yamlsafe.load(text.encode()).data) == set(records.schema()["properties"])
    keep = yamlsafe.load(text.encode()).data
    for key in alternatives:
        keep.pop(key)
    path.write_text(yaml.safe_dump(keep, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = records.check_file(path)
    assert result.problems == []
    for field in ("names", "company", "categories", "marketplaces", "policies", "claims", "access", "features",
                  "toggles", "incidents"):
        assert field in result.record, field  # every optional field is offered in the template
    assert set(result.record) == set(records.schema()["properties"]) - set(alternatives)


def test_an_existing_id_is_refused_and_left_alone(tmp_path, capsys):
    path = scaffold(tmp_path, "Acme Seller Tools")
    path.write_text("kept", encoding="utf-8")
    assert new_vendor.main(["Acme Seller Tools", "--vendors", str(tmp_path)]) == 1
    assert "already exists: the id 'acme-seller-tools' is taken" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "kept"


def test_a_name_without_ascii_needs_an_id(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        new_vendor.main(["示例工具", "--vendors", str(tmp_path)])
    assert exit_.value.code == 2 and "give one with --id" in capsys.readouterr().err
    path = scaffold(tmp_path, "示例工具", "--id", "example-tools-cn")
    assert path.name == "example-tools-cn.yaml"
    path.write_text(fill_todos(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert records.check_file(path).record["name"] == "示例工具"


@pytest.mark.parametrize("name", ['Acme: "Pro" #1', "Acme's 'tools'", "- [acme] {tools} & *star*", "yes", "null"])
def test_awkward_names_stay_exact(tmp_path, name):
    path = scaffold(tmp_path, name, "--id", "acme")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["name"] == name


@pytest.mark.parametrize("argv, message", [
    (["Acme", "--id", "Acme_Tools"], "is not a valid id"),
    (["Acme", "--id", "acme--tools"], "is not a valid id"),
    (["Acme", "--website", "javascript:alert(1)"], "--website: not an http(s) URL"),
    (["   "], "give the vendor's name"),
    (["Acme\u202etools"], "no control characters"),
])
def test_usage_errors(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        new_vendor.main([*argv, "--vendors", str(tmp_path)])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_website_option_fills_the_website(tmp_path):
    path = scaffold(tmp_path, "Acme Seller Tools", "--website", "https://acme-seller-tools.example.com/")
    text = path.read_text(encoding="utf-8")
    assert 'website: "https://acme-seller-tools.example.com/"' in text
    assert len([p for p in records.check_file(path).problems]) == 2  # url and publisher remain


def test_command_line(tmp_path):
    cmd = [sys.executable, "-m", "scripts.new_vendor", "Acme Seller Tools", "--vendors", str(tmp_path)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.strip() == str(tmp_path / "acme-seller-tools.yaml")
    assert "fill the TODO lines" in done.stderr
    done = subprocess.run([sys.executable, "-m", "scripts.new_vendor", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0 and "--id ID" in done.stdout
