"""Progress on stderr: a redrawn bar on a terminal, one plain line per document otherwise (CI logs)."""

from __future__ import annotations

import sys
import threading


class Progress:
    def __init__(self, total: int, stream=None, width: int = 30):
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._lock = threading.Lock()

    def step(self, label: str, result: str) -> None:
        with self._lock:
            self.done += 1
            if self.tty:
                filled = self.width * self.done // max(self.total, 1)
                bar = "#" * filled + "." * (self.width - filled)
                self.stream.write(f"\r[{bar}] {self.done}/{self.total} {label[:40]:<40}")
                if self.done == self.total:
                    self.stream.write("\n")
            else:
                self.stream.write(f"[{self.done}/{self.total}] {label}: {result}\n")
            self.stream.flush()
