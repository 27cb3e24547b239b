"""Load contributor YAML safely, remembering the line of every key and value.

Records come from pull requests, so the loader treats them as hostile: it reads the event stream
first and refuses tags, anchors and aliases (no alias bombs, no object construction), excessive
nesting, several documents and oversized files before anything is built. Scalars are resolved as in
YAML 1.2's core schema, so `on`, `off`, `yes` and `no` stay strings and dates stay text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

MAX_BYTES = 1_000_000
# libyaml's parser when PyYAML has it (the wheels do): the same events and marks, many times faster.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DEPTH = 40

Path_ = tuple  # path inside the document: keys (str) and list indexes (int)


@dataclass
class Problem:
    line: int
    message: str
    path: Path_ = ()


@dataclass
class Loaded:
    data: object = None
    problems: list[Problem] = field(default_factory=list)
    key_lines: dict = field(default_factory=dict)  # path -> line of the key (or list item)
    value_lines: dict = field(default_factory=dict)  # path -> line where the value starts

    def line_of(self, path: Path_) -> int:
        """Line of the closest known ancestor of `path` (the key if it has one)."""
        path = tuple(path)
        while path:
            if path in self.key_lines:
                return self.key_lines[path]
            path = path[:-1]
        return 1


_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


def _scalar(node: yaml.ScalarNode):
    if node.style:  # quoted or block scalar: always a string
        return node.value
    v = node.value
    if _NULL.match(v):
        return None
    if v in _BOOL:
        return _BOOL[v]
    if _INT.match(v):
        return int(v) if len(v) <= 50 else v  # absurdly long numbers stay text (and fail the schema)
    if _FLOAT.match(v):
        return float(v)
    return v


def _line(mark) -> int:
    return mark.line + 1


def decode(raw: bytes) -> tuple[str | None, Problem | None]:
    if len(raw) > MAX_BYTES:
        return None, Problem(1, f"file is {len(raw):,} bytes; records are limited to {MAX_BYTES:,}")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return None, Problem(line, f"not UTF-8: byte 0x{raw[e.start]:02x} cannot be decoded (save the file as UTF-8)")
    # YAML treats NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR as line breaks: they would change the text
    # silently and shift every line number after them.
    m = re.search("[\u0085\u2028\u2029]", text)
    if m:
        line = text[: m.start()].count("\n") + 1
        return None, Problem(line, f"contains the line-break character U+{ord(m.group()):04X}: use a normal line break")
    return text, None


def _screen_events(text: str) -> Problem | None:
    """Refuse what a record never needs, before composing anything (so an alias bomb costs nothing)."""
    depth = 0
    documents = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = _line(event.start_mark)
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                return Problem(line, "only one YAML document per file is allowed")
        elif isinstance(event, yaml.AliasEvent):
            return Problem(line, f"YAML aliases (*{event.anchor}) are not allowed: write the value out")
        elif isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if event.anchor is not None:
                return Problem(line, f"YAML anchors (&{event.anchor}) are not allowed: write the value out")
            if event.tag is not None:
                return Problem(line, f"YAML tags ({event.tag}) are not allowed")
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return Problem(line, f"nesting deeper than {MAX_DEPTH} levels is not allowed")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return None


def load(raw: bytes) -> Loaded:
    out = Loaded()
    text, problem = decode(raw)
    if problem:
        out.problems.append(problem)
        return out
    try:
        problem = _screen_events(text)
        if problem:
            out.problems.append(problem)
            return out
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        at_end = e.problem_mark is not None and e.problem_mark.index >= len(text.rstrip())
        if e.context_mark is not None and at_end:
            mark = e.context_mark  # an unclosed quote or bracket: point where it opened, not at the end
        line = _line(mark) if mark else 1
        what = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
        out.problems.append(Problem(line, f"YAML syntax error: {what}"))
        return out
    except yaml.reader.ReaderError as e:  # a character YAML does not allow in a file
        line = text[: e.position].count("\n") + 1
        out.problems.append(Problem(line, f"contains the control character U+{e.character:04X}" if isinstance(e.character, int)
                                    else "contains a character YAML does not allow"))
        return out
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        out.problems.append(Problem(_line(mark) if mark else 1, f"YAML error: {str(e).splitlines()[0]}"))
        return out
    if root is None:
        out.problems.append(Problem(1, "the file is empty"))
        return out
    out.data = _build(root, (), out)
    return out


def _build(node, path: Path_, out: Loaded):
    out.value_lines[path] = _line(node.start_mark)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, child in enumerate(node.value):
            out.key_lines[path + (i,)] = _line(child.start_mark)
            items.append(_build(child, path + (i,), out))
        return items
    result = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            out.problems.append(Problem(_line(key_node.start_mark), "keys must be plain text", path))
            continue
        key = key_node.value
        if not isinstance(_scalar(key_node), str) or key == "<<":
            out.problems.append(Problem(_line(key_node.start_mark), f"{key!r} is not allowed as a key", path))
            continue
        if key in result:
            first = out.key_lines[path + (key,)]
            out.problems.append(Problem(_line(key_node.start_mark),
                                        f"duplicate key {key!r} (first defined on line {first})", path + (key,)))
            continue
        out.key_lines[path + (key,)] = _line(key_node.start_mark)
        result[key] = _build(value_node, path + (key,), out)
    return result


_UNPRINTABLE = re.compile("[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def format_path(path: Path_) -> str:
    """`claims[0].sources`; characters that could disguise a key are shown as \\uXXXX."""
    text = ""
    for part in path:
        if not isinstance(part, int):
            part = _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(part))
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
