"""Worker processes that keep their share of a job, and its state, from one step to the next.

The site build does several steps per vendor (validate the record, read its change logs, make its pages,
write them once mkdocs has rendered the theme's shells). A process pool per step would read each vendor's
change logs again in every step, or send its pages between processes. Here each worker keeps its share
of the vendors for the whole build: the parent sends a step's name, each worker runs it on its share and
sends back only what the parent needs. Workers are forked early, while the parent is small, so they don't
copy (and, through reference counts, touch) a large heap.

With one worker the share runs in this process: the same code, no fork.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import traceback
from multiprocessing.connection import wait


class WorkerError(RuntimeError):
    pass


class Workers:
    """`make_share(k, n)` builds worker k's share object (called in the worker, after the fork); `call(step,
    *args)` runs `share.step(*args)` in every worker and returns their results, worker 0 first. `chain`
    queues steps that each worker runs one after the other without waiting for the parent, and `results`
    collects the next step's results, so the parent can work while the workers do."""

    def __init__(self, n: int, make_share):
        self.n = max(1, n)
        self._local = None
        self._conns: list = []
        self._procs: list = []
        self._pending: list[tuple[str, tuple]] = []  # steps started, whose results are not collected yet
        if self.n == 1:
            self._local = make_share(0, 1)
            return
        ctx = multiprocessing.get_context("fork")
        for k in range(self.n):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(make_share, k, self.n, child, [*self._conns, parent]), daemon=True)
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)

    @property
    def pending(self) -> str | None:
        """The step whose results `results()` returns next."""
        return self._pending[0][0] if self._pending else None

    def chain(self, *steps: tuple[str, tuple]) -> None:
        """Start (step name, args) steps, run in order by each worker, after any steps still running (their
        results are collected first). In a single worker (this process) each step runs when its results are
        asked for."""
        self._pending += steps
        if self._local is not None:
            return
        for conn in self._conns:
            try:
                conn.send(list(steps))
            except OSError as e:
                self.close()
                raise WorkerError(f"a build worker process is gone ({e})") from None

    def start(self, step: str, *args) -> None:
        self.chain((step, args))

    def results(self) -> list:
        if not self._pending:
            raise WorkerError("no step running")
        step, args = self._pending.pop(0)
        if self._local is not None:
            ok, value = _run(self._local, step, args)
            if not ok:
                self._pending = []
                raise WorkerError(f"step {step!r} failed:\n{value}")
            return [value]
        got: dict[int, object] = {}
        index = {conn: k for k, conn in enumerate(self._conns)}
        waiting = list(self._conns)
        while waiting:
            for conn in wait(waiting):
                waiting.remove(conn)
                try:
                    ok, value = conn.recv()
                except (EOFError, OSError):
                    self.close()
                    raise WorkerError(f"a build worker process died during step {step!r}") from None
                if not ok:
                    self.close()
                    raise WorkerError(f"step {step!r} failed in a build worker:\n{value}")
                got[index[conn]] = value
        return [got[k] for k in range(self.n)]

    def call(self, step: str, *args) -> list:
        if self._pending:
            raise WorkerError(f"step {self.pending!r} still running")
        self.start(step, *args)
        return self.results()

    def close(self, wait: bool = True) -> None:
        """Stop the workers (running steps are abandoned). `wait=False`: don't wait for them to exit (a later
        close() reaps them, as does the interpreter's exit)."""
        for conn in self._conns:
            try:
                conn.close()
            except OSError:
                pass
        self._conns, self._local, self._pending = [], None, []
        if not wait:
            return
        for proc in self._procs:
            proc.join(timeout=0.5)
            if proc.is_alive():
                proc.kill()
                proc.join()
        self._procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _run(share, step: str, args: tuple) -> tuple[bool, object]:
    try:
        return True, getattr(share, step)(*args)
    except Exception:  # reported to the parent, which stops the build
        return False, traceback.format_exc()


def _serve(make_share, k: int, n: int, conn, parent_ends: list) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the build and closes the pipes, which ends
    # the workers quietly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for end in parent_ends:  # the parent's ends of the pipes, inherited by the fork: closed so that every
        end.close()          # worker sees EOF when the parent closes its pipe or dies
    try:
        share = make_share(k, n)
    except Exception:
        conn.send((False, traceback.format_exc()))
        os._exit(1)
    while True:
        try:
            steps = conn.recv()
        except (EOFError, OSError):  # the parent closed the pipe or died
            break
        for step, args in steps:
            ok, value = _run(share, step, args)
            try:
                conn.send((ok, value))
            except OSError:  # the parent is gone
                os._exit(0)
            if not ok:
                break
    os._exit(0)
