"""CONTRIBUTING.md cannot drift: its record example validates, its snippets fit the schema, the lists of
allowed values it gives are the schema's, and the commands it shows exist with the options it uses."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from scripts.records import load as records

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```$", TEXT, flags=re.MULTILINE | re.DOTALL)
YAML_BLOCKS = [body for lang, body in BLOCKS if lang == "yaml"]
RECORD = next(b for b in YAML_BLOCKS if b.startswith(records.SCHEMA_LINE))


def section(title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", TEXT, flags=re.MULTILINE | re.DOTALL)
    assert m, f"CONTRIBUTING.md has no section {title!r}"
    return m.group(1)


def check_record(tmp_path: Path, text: str) -> records.Result:
    record_id = yaml.safe_load(text)["id"]
    path = tmp_path / f"{record_id}.yaml"  # the id must equal the file name
    path.write_text(text, encoding="utf-8")
    return records.check_file(path)


def test_the_record_example_validates(tmp_path):
    result = check_record(tmp_path, RECORD)
    assert result.problems == [] and result.record is not None
    record = result.record
    for field in ("company", "sources", "policies", "claims", "access", "features", "toggles", "incidents"):
        assert record.get(field), f"the example should show {field}"
    hosts = {re.sub(r"^https?://([^/]+).*", r"\1", u) for u in re.findall(r"https?://\S+", RECORD)}
    assert all(h == "example.com" or h.endswith(".example.com") or h == "web.archive.org" for h in hosts), hosts


def test_the_policies_snippet_fits_the_example(tmp_path):
    snippet = next(b for b in YAML_BLOCKS if b.startswith("policies:"))
    record = yaml.safe_load(RECORD)
    record["policies"] = yaml.safe_load(snippet)["policies"]
    text = records.SCHEMA_LINE + "\n" + yaml.safe_dump(record, allow_unicode=True, sort_keys=False)
    assert check_record(tmp_path, text).problems == []


def test_the_ended_snippet_fits_the_schema():
    snippet = next(b for b in YAML_BLOCKS if b.lstrip().startswith("ended:"))
    ended = yaml.safe_load(textwrap.dedent(snippet))["ended"]
    schema = records.schema()
    jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/ended"}).validate(ended)


def enum(*path: str) -> set[str]:
    node = records.schema()
    for key in path:
        node = node[key]
    return set(node["enum"])


def test_the_allowed_values_it_lists_are_the_schemas():
    claim = section("Add a claim")
    topics = claim.split("under a controlled `topic`")[1].split("so that vendors can be compared")[0]
    listed = set(re.findall(r"`([a-z-]+)`", topics))
    assert listed == enum("$defs", "claim", "properties", "topic")
    incident = section("Add an incident")
    by = re.search(r"by: ([a-z| -]+)`", incident.replace("\n  ", " ")).group(1)
    assert {b.strip() for b in by.split("|")} == enum("$defs", "statement", "properties", "by")
    statuses = set(re.findall(r"`([a-z-]+)`", incident.split("`status`:")[1].split("\n-")[0]))
    assert statuses == enum("$defs", "incident", "properties", "status")
    types = re.search(r"type: privacy-policy\s+# (.*)", section("Add a watched page")).group(1)
    assert {t.strip() for t in types.split(",")} == enum("$defs", "policy", "properties", "type")
    kinds = set(re.findall(r"\(`kind: ([a-z-]+)`\)", section("What counts as a source")))
    assert kinds == enum("$defs", "source", "properties", "kind")


@pytest.mark.parametrize("module", ["scripts.validate", "scripts.new_vendor", "scrapers.check", "scrapers.watch"])
def test_the_commands_it_shows_exist(module):
    assert f"python -m {module}" in TEXT
    done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    if module == "scrapers.check":
        for option in set(re.findall(r"scrapers\.check \S+ (--[a-z]+)", TEXT)) | {"--select", "--remove", "--render"}:
            assert option in done.stdout, option


def test_the_scaffold_commands_it_shows_work(tmp_path):
    commands = re.findall(r"^\.venv/bin/python -m scripts\.new_vendor (.*?)\s+#", TEXT, flags=re.MULTILINE)
    assert len(commands) == 2
    for command in commands:
        argv = [a.strip('"') for a in re.findall(r'"[^"]*"|\S+', command)]
        done = subprocess.run([sys.executable, "-m", "scripts.new_vendor", *argv, "--vendors", str(tmp_path)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        (tmp_path / "example-tools.yaml").unlink()


def test_it_covers_what_contributors_need():
    for title in ("Set-up and checks", "What counts as a source", "Add a vendor", "Add a claim", "Add an incident",
                  "Add a watched page", "How review works", "Vendors: the right of reply", "Migrating records"):
        section(title)
    # the validator's own messages send people to the migration section
    assert "CONTRIBUTING.md ('Migrating records')" in (ROOT / "scripts" / "records" / "load.py").read_text(encoding="utf-8")
