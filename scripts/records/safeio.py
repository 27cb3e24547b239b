"""Reading contributor files and writing what is said about them, for a hostile pull request.

- A record is read only if it is (or links to) a regular file no larger than the cap: it is opened
  without blocking (a FIFO would wait for a writer for ever), then
  checked with fstat on the open file (no race between the check and the read), then read with the cap
  (a file that grows in between is still cut). /dev/zero, a FIFO or a device is refused at once.
- Every line printed about a file shows its name and values as text: control and line-break characters
  are written as escapes, so a file name can't start a new line (or a GitHub workflow command, `::...`),
  and a long line is cut.
- GitHub annotations escape data and properties as the runner's own toolkit does.
"""

from __future__ import annotations

import os
import re
import stat

MAX_LINE = 1000  # characters of one output line; values inside are already cut where they are quoted

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
# C0/C1 controls, DEL, line and paragraph separators, bidi overrides and isolates, zero-width and BOM
_UNSAFE = re.compile("[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class Refused(Exception):
    """The file is not read; the message says why (without the path)."""


def read_capped(path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; raises Refused or OSError."""
    # A link is followed (the benchmarks and some checkouts link records in): what it points at is checked.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        for test, kind in _KINDS:
            if test(info.st_mode):
                raise Refused(f"is {kind}, not a regular file")
        if info.st_size > max_bytes:
            raise Refused(f"file is {info.st_size:,} bytes; records are limited to {max_bytes:,}")
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, max_bytes + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise Refused(f"file is over {max_bytes:,} bytes; records are limited to {max_bytes:,}")
        return b"".join(chunks)
    finally:
        os.close(fd)


def shown(text: str) -> str:
    """`text` with every unsafe character as a visible escape (\\n, \\u202e, ...)."""
    return _UNSAFE.sub(lambda m: repr(m.group())[1:-1] if m.group() in "\n\r\t" else f"\\u{ord(m.group()):04x}",
                       text)


def cut(text: str, limit: int = 120) -> str:
    """A value to quote in a message: at most `limit` characters, and says how much was left out."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit:,} more characters)"


def output_line(text: str) -> str:
    """One line of the validator's output: unsafe characters escaped, cut at MAX_LINE characters, and never
    starting with `::` (which the Actions runner would read as a workflow command)."""
    line = cut(shown(text), MAX_LINE)
    return "./" + line if line.lstrip().startswith("::") else line


def annotation_data(text: str) -> str:
    """The message of `::error ...::MESSAGE`: % CR LF escaped as the runner expects, other controls shown."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return cut(shown(text), MAX_LINE)


def annotation_property(text: str) -> str:
    """A property value (file=, title=): also `:` and `,`, which end a property."""
    return annotation_data(text).replace(":", "%3A").replace(",", "%2C")
