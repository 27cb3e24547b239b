"""Page extraction (scrapers.page.page_text) in worker processes, for runs with many documents.

One watch run checks every host in its own thread, and parsing and extraction are pure Python CPU work
(about 4 ms for a 40 KB page): in one process the threads take turns on the GIL, and 200 hosts' pages
contending for it cost about twice the CPU of the same pages one after the other. Worker processes parse in
parallel, on other cores, and the run's own threads are left with the network and the store.

The workers only compute: they get a decoded page and its Target and return the text and its word count,
or the page's Failure. They never open the store, so a worker can't leave anything half-written. They are
spawned (a fresh interpreter, not a fork of a process full of threads and sockets, and without the store
lock's file descriptor) and exit by themselves when the run that started them is gone, even when it was
killed with SIGKILL. If a worker dies (the pool is then "broken"), the rest of the run extracts in its own
process, as without a pool.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from scrapers.failures import Failure
from scrapers.page import Page, Target, page_text

# Below this many documents a run extracts in its own process: starting a worker costs ~0.3 s of CPU
# (its imports), about as much as extracting 75 pages.
MIN_DOCUMENTS = 50


def default_processes(documents: int) -> int:
    """Worker processes for a run of `documents` documents: one per CPU core (at most 4), or none when
    the run is small or the machine has a single core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, 4) if cores > 1 and documents >= MIN_DOCUMENTS else 0


class ExtractPool:
    def __init__(self, processes: int):
        self._pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_watch_parent, initargs=(os.getpid(),))
        self._broken = False
        for _ in range(processes):  # start the workers now: they load while the first requests go out
            self._pool.submit(_ready)

    def page_text(self, page: Page, target: Target) -> tuple[str, int]:
        """As scrapers.page.page_text, in a worker process."""
        if not self._broken:
            try:
                result = self._pool.submit(_page_text, page, target).result()
            except BrokenProcessPool:
                self._broken = True
            else:
                if result[0] == "failure":
                    raise Failure(*result[1:])
                return result[1], result[2]
        return page_text(page, target)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ExtractPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- in the workers -------------------------------------------------------------------------------

def _watch_parent(parent: int) -> None:
    """Exit when the run is gone: a killed run can't tell its workers to stop, and they would otherwise
    wait for work forever."""
    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)
    threading.Thread(target=watch, daemon=True, name="erpwatch-parent-watch").start()


def _ready() -> None:
    pass


def _page_text(page: Page, target: Target) -> tuple:
    # A Failure does not survive pickling (its one argument is the joined message): send its fields.
    try:
        text, words = page_text(page, target)
    except Failure as f:
        return ("failure", f.kind, f.message, f.http_status, f.final_url)
    return ("ok", text, words)
