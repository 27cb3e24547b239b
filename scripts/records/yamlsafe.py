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


_PLAIN_TEXT_START = frozenset("~nNtTfF+-.0123456789")  # a plain scalar starting otherwise is text


def _scalar(node: yaml.ScalarNode | yaml.ScalarEvent):
    if node.style:  # quoted or block scalar: always a string
        return node.value
    v = node.value
    if v and v[0] not in _PLAIN_TEXT_START:
        return v
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


def line_at(text: str) -> int:
    """The line number at the end of `text` (a prefix of the file), with CR, LF and CRLF as line breaks."""
    return text.count("\n") + text.count("\r") - text.count("\r\n") + 1


def _nbsp_hint(text: str, first: int, last: int) -> tuple[int, str] | None:
    """A no-break space (U+00A0, typed by some keyboards and pasted from web pages) looks like a space but is
    not one to YAML: `key:\u00a0value` or an indent of it breaks the syntax on its own line, while the parser
    notices a line or more later. Point at it when lines `first`..`last` hold one."""
    lines = text.split("\n")
    for n in range(max(first, 1), min(last, len(lines)) + 1):
        if "\u00a0" in lines[n - 1]:
            return n, f" (line {n} has a no-break space U+00A0, which YAML does not read as a space)"
    return None


def decode(raw: bytes) -> tuple[str | None, Problem | None]:
    if len(raw) > MAX_BYTES:
        return None, Problem(1, f"file is {len(raw):,} bytes; records are limited to {MAX_BYTES:,}")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = line_at(raw[: e.start].decode("latin-1"))
        return None, Problem(line, f"not UTF-8: byte 0x{raw[e.start]:02x} cannot be decoded (save the file as UTF-8)")
    # YAML reads CR, LF and CRLF alike as one line break (and so does every editor): one form here, so that
    # counting lines below (errors, values) agrees with the parser's marks for old-Mac CR-only files too.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # YAML treats NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR as line breaks: they would change the text
    # silently and shift every line number after them.
    m = re.search("[\u0085\u2028\u2029]", text)
    if m:
        line = text[: m.start()].count("\n") + 1
        return None, Problem(line, f"contains the line-break character U+{ord(m.group()):04X}: use a normal line break")
    return text, None


class _Refused(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def _events(text: str):
    """libyaml's events, refusing what a record never needs as soon as it appears (so an alias bomb costs
    nothing): tags, anchors, aliases, a second document, nesting deeper than MAX_DEPTH."""
    depth = 0
    documents = 0
    for event in yaml.parse(text, Loader=_Loader):
        kind = type(event)
        if kind is yaml.ScalarEvent or kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            if event.anchor is not None:
                raise _Refused(Problem(_line(event.start_mark), f"YAML anchors (&{event.anchor}) are not allowed: write the value out"))
            if event.tag is not None:
                raise _Refused(Problem(_line(event.start_mark), f"YAML tags ({event.tag}) are not allowed"))
            if kind is not yaml.ScalarEvent:
                depth += 1
                if depth > MAX_DEPTH:
                    raise _Refused(Problem(_line(event.start_mark), f"nesting deeper than {MAX_DEPTH} levels is not allowed"))
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            depth -= 1
        elif kind is yaml.AliasEvent:
            raise _Refused(Problem(_line(event.start_mark), f"YAML aliases (*{event.anchor}) are not allowed: write the value out"))
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Refused(Problem(_line(event.start_mark), "only one YAML document per file is allowed"))
        yield event


_NO_KEY = object()  # a mapping key that was refused: its value is read and dropped


def _build_events(text: str, out: Loaded):
    """The document's data, built straight from the screened event stream in one pass (no node graph, no
    recursion), recording the line of every key and value. Returns (found a node, data)."""
    stack: list[list] = []  # [container, path (None inside dropped data), pending key (mappings) or None]
    root, found = None, False
    key_lines, value_lines, problems = out.key_lines, out.value_lines, out.problems
    for event in _events(text):
        kind = type(event)
        if kind is yaml.ScalarEvent or kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            line = event.start_mark.line + 1
            if stack:
                top = stack[-1]
                container, cpath = top[0], top[1]
                if type(container) is dict:
                    if top[2] is None:  # this node is a key
                        if cpath is None:  # inside dropped data: nothing is recorded
                            top[2] = event.value if kind is yaml.ScalarEvent else _NO_KEY
                            if kind is not yaml.ScalarEvent:
                                stack.append([{} if kind is yaml.MappingStartEvent else [], None, None])
                            continue
                        if kind is not yaml.ScalarEvent:
                            problems.append(Problem(line, "keys must be plain text", cpath))
                            top[2] = _NO_KEY
                            stack.append([{} if kind is yaml.MappingStartEvent else [], None, None])
                            continue
                        key = event.value
                        if not isinstance(_scalar(event), str) or key == "<<":
                            problems.append(Problem(line, f"{key!r} is not allowed as a key", cpath))
                            top[2] = _NO_KEY
                        elif key in container:
                            first = key_lines[cpath + (key,)]
                            problems.append(Problem(line, f"duplicate key {key!r} (first defined on line {first})",
                                                    cpath + (key,)))
                            top[2] = _NO_KEY
                        else:
                            key_lines[cpath + (key,)] = line
                            top[2] = key
                        continue
                    key, top[2] = top[2], None
                    path = None if key is _NO_KEY or cpath is None else cpath + (key,)
                else:
                    key = len(container)
                    path = None if cpath is None else cpath + (key,)
                    if path is not None:
                        key_lines[path] = line
            else:
                key, path, container = None, (), None
            if path is not None:
                value_lines[path] = line
            if kind is yaml.ScalarEvent:
                value = _scalar(event)
            else:
                value = {} if kind is yaml.MappingStartEvent else []
            if container is None:
                root, found = value, True
            elif key is not _NO_KEY and path is not None:
                if type(container) is dict:
                    container[key] = value
                else:
                    container.append(value)
            elif type(container) is list:  # inside dropped data: keep list indexes counting
                container.append(value)
            if kind is not yaml.ScalarEvent:
                stack.append([value, path, None])
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            stack.pop()
    return found, root


class _Again(Exception):
    """The fast loader met something it leaves to the full one (a problem, or anything refused)."""


def load_data(raw: bytes):
    """The data of a file that `load` would read without any problem, or None when it has a problem (or is
    empty): then call `load` for the problems and their lines. The same screening and the same data as
    `load`, without recording lines: for the site build, which reads records already known to be valid."""
    text, problem = decode(raw)
    if problem:
        return None
    loader = _Loader(text)
    try:
        return _data(loader)
    except (_Again, yaml.YAMLError):
        return None
    finally:
        loader.dispose()


def _data(loader):
    stack: list[list] = []  # [container, pending key (mappings; _NO_KEY: none yet)]
    root, depth, documents = _NO_KEY, 0, 0
    get = loader.get_event
    while True:
        event = get()
        kind = type(event)
        if kind is yaml.ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                raise _Again
            value = _scalar(event)
            if not stack:
                root = value
                continue
            top = stack[-1]
            container = top[0]
            if type(container) is dict:
                key = top[1]
                if key is _NO_KEY:  # this scalar is a key
                    key = event.value
                    if type(value) is not str or key == "<<" or key in container:
                        raise _Again
                    top[1] = key
                else:
                    container[key] = value
                    top[1] = _NO_KEY
            else:
                container.append(value)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            if event.anchor is not None or event.tag is not None:
                raise _Again
            depth += 1
            if depth > MAX_DEPTH:
                raise _Again
            value = {} if kind is yaml.MappingStartEvent else []
            if stack:
                top = stack[-1]
                container = top[0]
                if type(container) is dict:
                    if top[1] is _NO_KEY:  # a mapping or list as a key
                        raise _Again
                    container[top[1]] = value
                    top[1] = _NO_KEY
                else:
                    container.append(value)
            else:
                root = value
            stack.append([value, _NO_KEY])
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            depth -= 1
            stack.pop()
        elif kind is yaml.AliasEvent:
            raise _Again
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Again
        elif kind is yaml.StreamEndEvent or event is None:
            break
    if root is _NO_KEY:  # empty
        raise _Again
    return root


def load(raw: bytes) -> Loaded:
    out = Loaded()
    text, problem = decode(raw)
    if problem:
        out.problems.append(problem)
        return out
    try:
        found, data = _build_events(text, out)
    except _Refused as e:
        out.problems[:] = [e.problem]
        out.key_lines.clear()
        out.value_lines.clear()
        return out
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        at_end = e.problem_mark is not None and e.problem_mark.index >= len(text.rstrip())
        if e.context_mark is not None and at_end:
            mark = e.context_mark  # an unclosed quote or bracket: point where it opened, not at the end
        line = _line(mark) if mark else 1
        what = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
        marks = [_line(m) for m in (e.context_mark, e.problem_mark) if m is not None] or [line]
        hint = _nbsp_hint(text, min(marks), max(marks))
        if hint:
            line, what = hint[0], what + hint[1]
        out.problems[:] = [Problem(line, f"YAML syntax error: {what}")]
        out.key_lines.clear()
        out.value_lines.clear()
        return out
    except yaml.reader.ReaderError as e:  # a character YAML does not allow in a file
        line = line_at(text[: e.position])
        out.problems[:] = [Problem(line, f"contains the control character U+{e.character:04X}" if isinstance(e.character, int)
                                   else "contains a character YAML does not allow")]
        return out
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        out.problems[:] = [Problem(_line(mark) if mark else 1, f"YAML error: {str(e).splitlines()[0]}")]
        return out
    if not found:
        out.problems.append(Problem(1, "the file is empty"))
        return out
    out.data = data
    return out


_UNPRINTABLE = re.compile("[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def format_path(path: Path_) -> str:
    """`claims[0].sources`; characters that could disguise a key are shown as \\uXXXX."""
    text = ""
    for part in path:
        if not isinstance(part, int):
            part = _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(part))
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_reference(path) -> object:
    """A project reference file (reference/*.yaml) read by the records' own loader; any problem is a bug in the
    repository, so it raises with the file and line instead of being collected."""
    loaded = load(path.read_bytes())
    if loaded.problems:
        raise ValueError("; ".join(f"{path}:{p.line}: {p.message}" for p in loaded.problems))
    return loaded.data
