"""Incidents that belong to no vendor record (incidents/*.yaml) and pending checks (reference/pending/*.yaml):
load them and check them the way records.py checks vendor records (JSON Schema, then the rules a schema
can't express), every problem reported as `PATH:LINE: where: message`.

An incident file is turned into the shape the rest of the build already knows for vendor incidents: the
file's `sources` are its source registry (like a record's top-level `sources`) and its `evidence` the
incident's own citations (a vendor incident's `sources`); see as_incident().
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import jsonschema
import referencing

from scripts.records import dates, safeio, yamlsafe
from scripts.records import load as records

ROOT = records.ROOT
INCIDENT_SCHEMA_PATH = ROOT / "incidents" / "schema.json"
PENDING_SCHEMA_PATH = ROOT / "reference" / "pending" / "schema.json"
KINDS = ("ecosystem", "platform")


def incidents_dir(vendors_dir: Path | None = None) -> Path:
    """$ERPWATCH_INCIDENTS_DIR, else the incidents/ folder beside the vendors' folder (a site built from
    another folder of records, as tests do, has only the incidents beside those records)."""
    if os.environ.get("ERPWATCH_INCIDENTS_DIR"):
        return Path(os.environ["ERPWATCH_INCIDENTS_DIR"])
    return (Path(vendors_dir).parent if vendors_dir is not None else ROOT) / "incidents"


def pending_dir() -> Path:
    return Path(os.environ.get("ERPWATCH_PENDING_DIR") or ROOT / "reference" / "pending")


@functools.cache
def _validator(which: str):
    """The incident schema refers to the vendor schema's types by its $id; both are local files."""
    path = INCIDENT_SCHEMA_PATH if which == "incident" else PENDING_SCHEMA_PATH
    schema = json.loads(path.read_text(encoding="utf-8"))
    vendor = records.schema()
    registry = referencing.Registry().with_resource(vendor["$id"], referencing.Resource.from_contents(vendor))
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _load(path: Path, which: str) -> tuple[dict | None, list[str]]:
    display = records.display_path(path)
    try:  # as records: special and oversized files are refused before reading (scripts.records.safeio)
        raw = safeio.read_capped(path, yamlsafe.MAX_BYTES)
    except safeio.Refused as e:
        return None, [f"{display}:1: {e}"]
    except OSError as e:
        return None, [f"{display}:1: cannot read the file: {e.strerror}"]
    loaded = yamlsafe.load(raw)
    out = records._Collector(display, loaded)
    for p in loaded.problems:
        out.items.append((p.line, p.message))
    data = loaded.data
    if data is not None and not isinstance(data, dict):
        out.add((), f"expected a mapping of fields, not a {records._type_name(data)}", value_line=True)
    elif isinstance(data, dict):
        scan = records._scan(data)  # also reads year-only numbers under date keys as text
        for error in _validator(which).iter_errors(data):
            records._schema_error(error, out)
        for p, value in scan.strings:
            m = records._FORBIDDEN_CHARS.search(value)
            out.add(p, f"contains the control or bidirectional-override character U+{ord(m.group()):04X}",
                    value_line=True)
        if which == "incident":
            _check_incident(data, path, out, scan)
    problems = out.lines()
    return (data if not problems else None), problems


def _check_incident(data: dict, path: Path, out, scan) -> None:
    rid = data.get("id")
    if isinstance(rid, str) and rid != path.stem:
        out.add(("id",), f"id {rid!r} does not match the file name {path.name!r} (expected {path.stem!r})",
                value_line=True)
    ids: dict[str, int] = {}
    for i, src in records._items(data, "sources"):
        sid = src.get("id")
        if isinstance(sid, str):
            if sid in ids:
                out.add(("sources", i, "id"), f"duplicate id {sid!r} (also sources[{ids[sid]}])", value_line=True)
            ids.setdefault(sid, i)
    citations = list(scan.citations) + [(("evidence", j), c) for j, c in records._items(data, "evidence")]
    for p, cit in citations:
        sid = cit.get("source")
        if isinstance(sid, str) and sid not in ids:
            out.add(p + ("source",), f"no source with id {sid!r} in this file's sources", value_line=True)
    now = dates.today()
    for p, value in scan.urls:
        problem = records.url_problem(value)
        if problem:
            out.add(p, problem, value_line=True)
    for p, value in scan.dates:
        records._date(value, p, out, now)
    occ, rep = records._quiet_date(data.get("occurred")), records._quiet_date(data.get("reported"))
    if occ and rep and dates.definitely_before(rep, occ):
        out.add(("reported",), f"reported {rep} is before occurred {occ}", value_line=True)


def _files(directory: Path) -> list[Path]:
    return records.record_files(directory) if Path(directory).is_dir() else []


def check_files(paths: list[Path], which: str) -> list[tuple[Path, dict | None, list[str]]]:
    return [(p, *_load(p, which)) for p in paths]


def load_incidents(directory: Path | None = None) -> tuple[list[dict], list[str]]:
    """The valid incident files of a folder (sorted by id) and the problems of the others."""
    found, problems = [], []
    for _path, data, probs in check_files(_files(directory or incidents_dir()), "incident"):
        problems.extend(probs)
        if data is not None:
            found.append(data)
    found.sort(key=lambda d: d["id"])
    return found, problems


def load_pending(directory: Path | None = None) -> tuple[list[dict], list[str]]:
    """The pending checks (sorted by name) and the problems of invalid files."""
    found, problems = [], []
    for path, data, probs in check_files(_files(directory or pending_dir()), "pending"):
        problems.extend(probs)
        if data is not None:
            found.append({**data, "slug": path.stem})
    found.sort(key=lambda d: d["name"].casefold())
    return found, problems


def as_incident(data: dict) -> dict:
    """An incident file in the shape of a vendor record's incident (its citations under `sources`), with
    `kind`; the file's own `sources` stay with the file."""
    inc = {k: v for k, v in data.items() if k not in ("schema_version", "sources", "evidence")}
    inc["sources"] = data["evidence"]
    return inc
