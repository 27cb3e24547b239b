"""Vendor records: load, check against the JSON Schema and the rules a schema can't express.

Every problem is collected (never only the first) and reported as `PATH:LINE: where: message`, where
LINE is the line of the offending key or value. Nothing here raises on bad input.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import yaml

from scripts.records import dates, record_fields, safeio, yamlsafe
from scripts.records.yamlsafe import format_path

ROOT = Path(__file__).resolve().parent.parent.parent  # the repository (this file is scripts/records/load.py)
SCHEMA_PATH = ROOT / "vendors" / "schema.json"
SP_API_PATH = ROOT / "reference" / "sp-api.yaml"
SCHEMA_VERSION = 1
MAX_PROBLEMS = 200  # per file
SCHEMA_LINE = "# yaml-language-server: $schema=./schema.json"

# Bidirectional overrides can make text read differently from what it is; C0/C1 controls have no place
# in a record. Both are refused wherever they appear.
_FORBIDDEN_CHARS = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]")


def vendors_dir() -> Path:
    return Path(os.environ.get("ERPWATCH_VENDORS_DIR") or ROOT / "vendors")


@functools.cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _whole_string_pattern(validator, pattern, instance, schema_):
    """JSON Schema's `pattern` as the schema means it: Python's `$` also matches before a final newline,
    which would let `"amazon\\n"` pass as a slug."""
    if not validator.is_type(instance, "string"):
        return
    if not re.search(pattern, instance) or (pattern.endswith("$") and instance.endswith("\n")):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _whole_string_pattern})


@functools.cache
def _validator():
    return _Validator(schema())


def _escape_class_dollars(pattern: str) -> str:
    """`$` inside a character class written as `\\$` (the same regex), because fastjsonschema rewrites every
    unescaped `$` to `\\Z` to make patterns anchor at the very end, and `\\Z` is invalid inside a class."""
    out, class_start, escaped = [], None, False  # class_start: index just after an opening `[` or `[^`
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif class_start is not None:
            if ch == "^" and i == class_start and pattern[i - 1] == "[":
                class_start = i + 1
            elif ch == "]" and i != class_start:  # a `]` first in a class is a literal
                class_start = None
            elif ch == "$":
                ch = "\\$"
        elif ch == "[":
            class_start = i + 1
        out.append(ch)
    return "".join(out)


def _disjoint_types(branches) -> bool:
    """oneOf branches that each allow one JSON type, all different: no value can match two of them, so
    anyOf means the same, and the compiled check stops at the first branch that matches."""
    types = [b.get("type") if isinstance(b, dict) else None for b in branches]
    if not all(isinstance(t, str) for t in types):
        return False
    kinds = ["number" if t == "integer" else t for t in types]  # an integer is also a number
    return len(set(kinds)) == len(kinds)


def _fast_schema(node):
    if isinstance(node, dict):
        node = {("anyOf" if k == "oneOf" and _disjoint_types(v) else k): v for k, v in node.items()}
        return {k: (_escape_class_dollars(v) if k == "pattern" and isinstance(v, str) else _fast_schema(v))
                for k, v in node.items() if k != "$schema"}
    if isinstance(node, list):
        return [_fast_schema(x) for x in node]
    return node


@functools.cache
def _fast_check():
    """The schema compiled to Python code by fastjsonschema: only to say *whether* a record is valid (about
    100 times faster than jsonschema); the full validator runs only for invalid records, for its detailed
    errors. Both read `$` in a pattern as the very end of the text (see _whole_string_pattern), and
    tests/test_validate.py checks that both agree on every case in its table."""
    import fastjsonschema
    return fastjsonschema.compile(_fast_schema(schema()))


def schema_valid(data) -> bool:
    import fastjsonschema
    try:
        _fast_check()(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


@functools.cache
def sp_api() -> dict:
    return yaml.safe_load(SP_API_PATH.read_text(encoding="utf-8"))


@functools.cache
def known_reports() -> frozenset[str]:
    ref = sp_api()
    names = set(ref.get("reports", {}))
    for role in ref["roles"].values():
        names.update(role.get("reports", []))
    return frozenset(names)


@dataclass
class Result:
    path: Path
    record: dict | None = None  # set only when the record is valid
    problems: list[str] = field(default_factory=list)  # "PATH:LINE: message"
    warnings: list[str] = field(default_factory=list)
    loaded: yamlsafe.Loaded | None = None  # the parsed file, with the line of every key and value


class _Collector:
    def __init__(self, display: str, loaded: yamlsafe.Loaded):
        self.display = display
        self.loaded = loaded
        self.items: list[tuple[int, str]] = []

    def add(self, path, message: str, value_line: bool = False) -> None:
        path = tuple(path)
        line = None
        if value_line:
            line = self.loaded.value_lines.get(path)
        if line is None:
            line = self.loaded.line_of(path)
        where = format_path(path)
        self.items.append((line, f"{where}: {message}" if where else message))

    def lines(self) -> list[str]:
        seen, out = set(), []
        for line, msg in sorted(self.items, key=lambda x: x[0]):
            text = f"{self.display}:{line}: {msg}"
            if text not in seen:
                seen.add(text)
                out.append(text)
        if len(out) > MAX_PROBLEMS:  # a file this broken needs fixing at the top first
            rest = len(out) - MAX_PROBLEMS
            out = out[:MAX_PROBLEMS] + [f"{out[MAX_PROBLEMS].split(': ', 1)[0]}: ... and {rest} more problem(s)"]
        return out


def display_path(path: Path) -> str:
    try:
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))  # not resolve(): name the link itself
    except ValueError:
        return str(path)


def check_file(path: Path, lines: bool = True) -> Result:
    """The record of a file and its problems. `lines=False` (the site build): a valid file is read without
    recording the line of every key and value (its `loaded` then has none); a file with any problem is read
    again as with `lines=True`, so the problems are the same."""
    path = Path(path)
    if not lines:
        try:
            raw = safeio.read_capped(path, yamlsafe.MAX_BYTES)
        except (OSError, safeio.Refused):
            raw = None
        data = yamlsafe.load_data(raw) if raw is not None else None
        if isinstance(data, dict):
            loaded = yamlsafe.Loaded(data=data)
            out = _Collector("", loaded)  # never shown: with any problem the file is read again below
            _check_record(data, path, out)
            if not out.items:
                return Result(path, record=data, loaded=loaded)
    result = Result(path)
    display = display_path(path)
    try:  # special files (a FIFO, /dev/zero, a link to one) and oversized ones are refused before reading
        raw = safeio.read_capped(path, yamlsafe.MAX_BYTES)
    except safeio.Refused as e:
        result.problems.append(f"{display}:1: {e}")
        return result
    except OSError as e:
        result.problems.append(f"{display}:1: cannot read the file: {e.strerror}")
        return result
    loaded = yamlsafe.load(raw)
    result.loaded = loaded
    out = _Collector(display, loaded)
    for p in loaded.problems:
        out.items.append((p.line, p.message))
    if loaded.data is not None:
        if not isinstance(loaded.data, dict):
            out.add((), f"a record is a mapping of fields, not a {_type_name(loaded.data)}", value_line=True)
        else:
            _check_record(loaded.data, path, out)
    result.problems = out.lines()
    if not result.problems:
        result.record = loaded.data
    return result


def check_paths(paths: list[Path]) -> list[Result]:
    return [check_file(p) for p in paths]


def record_files(directory: Path) -> list[Path]:
    return sorted(p for p in Path(directory).glob("*.yaml") if not p.name.startswith("_"))


PARALLEL_FROM = 100  # record files; below this a process pool costs more than it saves


def build_workers() -> int:
    """Worker processes for validation and generation: $ERPWATCH_BUILD_WORKERS, else one per CPU this
    process may run on (at most 4)."""
    try:
        if os.environ.get("ERPWATCH_BUILD_WORKERS"):
            return max(1, int(os.environ["ERPWATCH_BUILD_WORKERS"]))
    except ValueError:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, 4))


def _record_and_problems(path: Path) -> tuple[dict | None, list[str]]:
    res = check_file(path)
    return res.record, res.problems


def load_vendors(directory: Path | None = None, workers: int | None = None) -> tuple[list[dict], list[str]]:
    """All valid records of a folder (sorted by id) and the problems of the others. Large folders are checked
    by `workers` processes (default: one per CPU, at most 4, or $ERPWATCH_BUILD_WORKERS)."""
    paths = record_files(directory or vendors_dir())
    if workers is None:
        workers = build_workers()
    if workers > 1 and len(paths) >= PARALLEL_FROM:
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_record_and_problems, paths, chunksize=max(1, len(paths) // (workers * 8)))
    else:
        results = [_record_and_problems(p) for p in paths]
    records, problems = [], []
    for record, found in results:
        if record is not None:
            records.append(record)
        problems.extend(found)
    records.sort(key=lambda r: r["id"])
    return records, problems


# --- checks -------------------------------------------------------------------------------------

def _type_name(value) -> str:
    return {dict: "mapping", list: "list", str: "string", int: "number", float: "number",
            bool: "true/false", type(None): "empty value"}.get(type(value), type(value).__name__)


def _years_as_text(data) -> None:
    """`published: 2024` is a number in YAML; as a date field it can only mean the year, so read it as text."""
    _scan(data)


@dataclass
class _Scan:
    """What the checks need from one walk over a record: the values they look at, by path."""
    strings: list = field(default_factory=list)    # (path, str) with a forbidden character
    urls: list = field(default_factory=list)       # (path, str) under a URL key
    dates: list = field(default_factory=list)      # (path, str) under a date key
    citations: list = field(default_factory=list)  # (path, dict): `sources:` items outside the registry


def _scan(data) -> _Scan:
    """One iterative walk over the record, in document order (parents first). Also turns year-only numbers
    under date keys into text, in place (see _years_as_text)."""
    found = _Scan()
    stack = [((), data)]
    while stack:
        path, value = stack.pop()
        kind = type(value)
        if kind is dict:
            if len(path) >= 2 and path[-2] == "sources" and type(path[-1]) is int and path[0] != "sources":
                found.citations.append((path, value))
            for k, v in value.items():
                if k in _DATE_KEYS and type(v) is int and 1000 <= v <= 9999:
                    value[k] = str(v)
            stack.extend((path + (k,), v) for k, v in reversed(value.items()))
        elif kind is list:
            stack.extend((path + (i,), value[i]) for i in range(len(value) - 1, -1, -1))
        elif kind is str:
            if _FORBIDDEN_CHARS.search(value):
                found.strings.append((path, value))
            if path:
                if path[-1] in _DATE_KEYS:
                    found.dates.append((path, value))
                elif path[-1] in _URL_KEYS:
                    found.urls.append((path, value))
    return found


def _check_record(data: dict, path: Path, out: _Collector) -> None:
    scan = _scan(data)
    version = data.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version != SCHEMA_VERSION:
        if version < SCHEMA_VERSION:
            out.add(("schema_version",), f"this record uses schema_version {version}; the current is "
                    f"{SCHEMA_VERSION}: migrate it as CONTRIBUTING.md ('Migrating records') describes")
        else:
            out.add(("schema_version",), f"schema_version {version} is newer than this checkout understands "
                    f"({SCHEMA_VERSION}): update ERP Watch")
    elif not schema_valid(data):
        for error in _validator().iter_errors(data):
            _schema_error(error, out)
    for p, value in scan.strings:
        m = _FORBIDDEN_CHARS.search(value)
        out.add(p, f"contains the control or bidirectional-override character U+{ord(m.group()):04X}",
                value_line=True)
    _check_semantics(data, path, out, scan)


def _schema_error(error: jsonschema.ValidationError, out: _Collector) -> None:
    path = tuple(error.absolute_path)
    v = error.validator
    inst = error.instance
    if v == "schema_version":
        return
    if v == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        for n, key in enumerate(k for k in inst if k not in allowed):
            hint = difflib.get_close_matches(key, allowed, n=1) if n < 50 else []  # suggestions cost time
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            out.add(path + (key,), f"unknown field {key!r}{extra}")
        return
    if v == "required":
        missing = re.match(r"'(.*)' is a required property", error.message)
        name = missing.group(1) if missing else error.message
        if name in ("sources",):
            out.add(path, "at least one source is required (sources: [{source: <id>, quote: ...}])")
        else:
            out.add(path, f"missing required field {name!r}")
        return
    if v == "minItems" and path and path[-1] == "sources":
        out.add(path, "at least one source is required")
        return
    if v == "const" and path == ("schema_version",):
        return
    if v == "const":
        out.add(path, record_fields.const_message(path, error.validator_value), value_line=True)
        return
    if v == "type":
        expected = error.validator_value
        out.add(path, f"expected {_article(expected)}, got {_type_name(inst)}", value_line=True)
        return
    if v == "enum":
        options = ", ".join(str(x) for x in error.validator_value)
        shown = json.dumps(inst, ensure_ascii=False) if not isinstance(inst, str) else repr(inst)
        out.add(path, f"{shown} is not one of: {options}", value_line=True)
        return
    if v == "pattern":
        out.add(path, _pattern_message(error.validator_value, inst), value_line=True)
        return
    if v in ("oneOf", "anyOf"):
        _one_of(error, out)
        return
    if v == "maxLength":
        out.add(path, f"text is {len(inst):,} characters; at most {error.validator_value:,} allowed", value_line=True)
        return
    if v == "minLength":
        out.add(path, "must not be empty", value_line=True)
        return
    if v == "uniqueItems":
        out.add(path, "lists the same item twice", value_line=True)
        return
    if v == "minProperties":
        out.add(path, "give the text in at least one language (en or zh)", value_line=True)
        return
    out.add(path, error.message, value_line=True)


def _article(expected) -> str:
    names = {"string": "text", "object": "a mapping", "array": "a list", "integer": "a whole number",
             "number": "a number", "boolean": "true or false"}
    if isinstance(expected, list):
        return " or ".join(names.get(e, e) for e in expected)
    return names.get(expected, expected)


def _pattern_message(pattern: str, value) -> str:
    if "https?" in pattern:
        return f"not an http(s) URL: {value!r}"
    if "[0-9X]{4}" in pattern:
        return (f"{value!r} is not a date in EDTF notation (YYYY, YYYY-MM or YYYY-MM-DD; write X for digits "
                f"the source does not give, e.g. XXXX-05-31)")
    if "[a-z]{2,3}" in pattern:
        return f"{value!r} is not a language tag (e.g. en, zh, zh-Hant)"
    if "a-z0-9" in pattern:
        return f"{value!r} is not a valid id: use lowercase letters, digits and single hyphens"
    return f"{value!r} does not match {pattern}"


def _one_of(error: jsonschema.ValidationError, out: _Collector) -> None:
    path = tuple(error.absolute_path)
    inst = error.instance
    schema_ = error.schema
    # "exactly one of" object shapes (access: role / report / data)
    branches = schema_.get("oneOf", [])
    if branches and all(set(b) == {"required"} for b in branches):
        names = [b["required"][0] for b in branches]
        present = [n for n in names if isinstance(inst, dict) and n in inst]
        if len(present) > 1:
            out.add(path, f"give only one of {', '.join(names)} (found {', '.join(present)})")
        else:
            out.add(path, f"give one of {', '.join(names)}")
        return
    # localized text: a string or {en, zh}
    if any(b.get("type") == "string" for b in branches) and any(b.get("type") == "object" for b in branches):
        if isinstance(inst, dict):
            for sub in error.context:
                if sub.validator != "type":
                    _schema_error(sub, out)
            return
        if isinstance(inst, str):
            for sub in error.context:
                if sub.validator in ("maxLength", "minLength"):
                    _schema_error(sub, out)
                    return
        out.add(path, f"expected text (a string, or en:/zh: texts), got {_type_name(inst)}", value_line=True)
        return
    best = jsonschema.exceptions.best_match(error.context)
    if best is not None:
        if isinstance(inst, dict) and "none_recorded_as_of" in inst and len(inst) > 1:
            out.add(path, "either describe the response (summary, sources) or give none_recorded_as_of, not both")
            return
        _schema_error(best, out)
    else:
        out.add(path, error.message)


def _items(data: dict, key: str) -> list[tuple[int, dict]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [(i, x) for i, x in enumerate(value) if isinstance(x, dict)]


def _date(value, path, out: _Collector, now) -> dates.PartialDate | None:
    if not isinstance(value, str):
        return None
    try:
        d = dates.parse(value)
    except dates.DateError as e:
        if dates._PATTERN.match(value):  # the schema already reported malformed notation
            out.add(path, str(e), value_line=True)
        return None
    if dates.is_future(d, now):
        out.add(path, f"{value} is in the future", value_line=True)
    return d


def _check_semantics(data: dict, path: Path, out: _Collector, scan: _Scan) -> None:
    now = dates.today()
    rid = data.get("id")
    if isinstance(rid, str) and rid != path.stem:
        out.add(("id",), f"id {rid!r} does not match the file name {path.name!r} (expected {path.stem!r})",
                value_line=True)

    # unique ids per list
    for key in ("sources", "policies", "claims", "toggles", "incidents", "reports", "observations"):
        seen: dict[str, int] = {}
        for i, item in _items(data, key):
            iid = item.get("id")
            if isinstance(iid, str):
                if iid in seen:
                    out.add((key, i, "id"), f"duplicate id {iid!r} (also {key}[{seen[iid]}])", value_line=True)
                else:
                    seen[iid] = i

    source_ids = {s.get("id") for _, s in _items(data, "sources") if isinstance(s.get("id"), str)}
    claim_ids = {c.get("id") for _, c in _items(data, "claims") if isinstance(c.get("id"), str)}

    # every URL is a real http(s) URL with a host
    for p, value in scan.urls:
        problem = url_problem(value)
        if problem:
            out.add(p, problem, value_line=True)

    # every date parses, none is in the future
    for p, value in scan.dates:
        _date(value, p, out, now)

    # citations point at sources
    for p, cit in scan.citations:
        sid = cit.get("source")
        if isinstance(sid, str) and sid not in source_ids:
            hint = difflib.get_close_matches(sid, sorted(source_ids), n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            out.add(p + ("source",), f"no source with id {sid!r} in this record's sources{extra}", value_line=True)

    for i, src in _items(data, "sources"):
        pub, ret = _quiet_date(src.get("published")), _quiet_date(src.get("retrieved"))
        if pub and ret and dates.definitely_before(ret, pub):
            out.add(("sources", i, "retrieved"), f"retrieved {ret} is before published {pub}", value_line=True)

    for i, claim in _items(data, "claims"):
        ended = claim.get("ended")
        if isinstance(ended, dict):
            since, end = _quiet_date(claim.get("since")), _quiet_date(ended.get("date"))
            if since and end and dates.definitely_before(end, since):
                out.add(("claims", i, "ended", "date"), f"ended {end} is before since {since}", value_line=True)
            sup = ended.get("superseded_by")
            if ended.get("reason") == "superseded" and sup is None:
                out.add(("claims", i, "ended"), "reason superseded needs superseded_by: <claim id>")
            if isinstance(sup, str) and sup not in claim_ids:
                out.add(("claims", i, "ended", "superseded_by"), f"no claim with id {sup!r}", value_line=True)
            if sup == claim.get("id"):
                out.add(("claims", i, "ended", "superseded_by"), "a claim cannot supersede itself", value_line=True)
    _superseded_circles(data, out)

    for i, toggle in _items(data, "toggles"):
        previous = None
        for j, entry in _items(toggle, "history"):
            eff = _quiet_date(entry.get("effective"))
            if eff is None:
                continue
            if previous is not None and dates.definitely_before(eff, previous[1]):
                out.add(("toggles", i, "history", j, "effective"),
                        f"history is out of order: {eff} comes after {previous[1]} (history[{previous[0]}]); "
                        f"list entries oldest first", value_line=True)
            previous = (j, eff)
        _check_report(toggle.get("report"), ("toggles", i, "report"), out)

    for i, inc in _items(data, "incidents"):
        occ, rep = _quiet_date(inc.get("occurred")), _quiet_date(inc.get("reported"))
        if occ and rep and dates.definitely_before(rep, occ):
            out.add(("incidents", i, "reported"), f"reported {rep} is before occurred {occ}", value_line=True)
        resp = inc.get("vendor_response")
        if isinstance(resp, dict):
            rdate = _quiet_date(resp.get("date"))
            if rdate and occ and dates.definitely_before(rdate, occ):
                out.add(("incidents", i, "vendor_response", "date"),
                        f"the response {rdate} is before the incident occurred {occ}", value_line=True)

    roles = sp_api()["roles"]
    for i, acc in _items(data, "access"):
        role = acc.get("role")
        if isinstance(role, str) and acc.get("api") in _AMAZON_APIS and role not in roles:
            hint = difflib.get_close_matches(role, list(roles), n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            out.add(("access", i, "role"), f"unknown SP-API role {role!r}{extra}; roles are listed in "
                    f"reference/sp-api.yaml", value_line=True)
        if acc.get("api") in _AMAZON_APIS:
            _check_report(acc.get("report"), ("access", i, "report"), out)
    record_fields.check(data, out)


_AMAZON_APIS = ("sp-api", "mws", "amazon-api")


def _superseded_circles(data: dict, out: _Collector) -> None:
    """A chain of superseded_by that comes back to where it started has no current claim at its end."""
    successor = {c.get("id"): (i, c["ended"].get("superseded_by")) for i, c in _items(data, "claims")
                 if isinstance(c.get("ended"), dict) and isinstance(c.get("id"), str)}
    for start, (i, _) in successor.items():
        chain, at = [start], successor[start][1]
        while at in successor and at not in chain:
            chain.append(at)
            at = successor[at][1]
        if at == start and len(chain) > 1:
            out.add(("claims", i, "ended", "superseded_by"),
                    f"superseded_by goes round in a circle: {' -> '.join([*chain, start])}", value_line=True)


def _check_report(report, path, out: _Collector) -> None:
    if isinstance(report, str) and report not in known_reports():
        hint = difflib.get_close_matches(report, sorted(known_reports()), n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        out.add(path, f"unknown SP-API report type {report!r}{extra}; report types are listed in "
                f"reference/sp-api.yaml", value_line=True)


def _quiet_date(value) -> dates.PartialDate | None:
    try:
        return dates.parse(value) if isinstance(value, str) else None
    except dates.DateError:
        return None


_DATE_KEYS = {"published", "retrieved", "since", "date", "effective", "occurred", "reported", "none_recorded_as_of",
              "searched", "observed"}
_URL_KEYS = {"url", "website", "archive_url"}


def url_problem(url: str) -> str | None:
    """Why `url` is not a safe absolute http(s) URL, or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return f"malformed URL: {safeio.cut(url)!r}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"not an http(s) URL: {safeio.cut(url)!r}"
    if not host:
        return f"URL has no host: {safeio.cut(url)!r}"
    if "@" in parts.netloc:  # also `https://:@host/`: empty credentials are still credentials
        return f"URL must not contain a user name or password: {safeio.cut(url)!r}"
    if any(unicodedata.category(c)[0] in "CZ" for c in url):
        return f"URL contains spaces or control characters: {safeio.cut(url)!r}"
    return None
