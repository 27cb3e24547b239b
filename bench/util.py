"""Benchmark plumbing: measured child processes, progress on stderr, machine facts."""

from __future__ import annotations

import datetime as dt
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_T0 = time.monotonic()


def say(message: str) -> None:
    """One progress line on stderr, with the time since the benchmark started."""
    elapsed = time.monotonic() - _T0
    print(f"[bench {int(elapsed) // 60:2d}:{int(elapsed) % 60:02d}] {message}", file=sys.stderr, flush=True)


@dataclass
class Measured:
    wall: float       # seconds, from just before the child started to its exit
    peak_mb: float    # the program's own peak resident set (VmHWM), MiB; nan when unknown
    cpu: float        # user + system CPU seconds of the child (and of its waited-for children)
    returncode: int
    stdout: str
    stderr: str
    start: float      # time.time() when the child was started
    tree_mb: float = float("nan")  # peak total PSS of the child and every process of its session (workers)

    def tail(self, lines: int = 30) -> str:
        return "\n".join((self.stdout + "\n" + self.stderr).strip().splitlines()[-lines:])


PEAK = ROOT / "bench" / "peak.py"


def python_cmd(python: str | Path, peak_file: Path, *program: str) -> list[str]:
    """`python -m module args` or `python script args`, run through bench/peak.py so that the
    program's own peak memory is written to `peak_file`."""
    return [str(python), str(PEAK), str(peak_file), *program]


def run_measured(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None, timeout: float = 3600,
                 log: Path | None = None, peak_file: Path | None = None) -> Measured:
    """Run `cmd` and wait for it with wait4(), for its own CPU time. Its peak memory is read from
    `peak_file` (see python_cmd): ru_maxrss would include the size of this process at fork time.
    Output goes to files, so a chatty child never blocks on a pipe."""
    log = log or Path(os.devnull)
    out_path = log.with_suffix(".out") if log != Path(os.devnull) else None
    err_path = log.with_suffix(".err") if log != Path(os.devnull) else None
    with open(out_path or os.devnull, "wb") as out, open(err_path or os.devnull, "wb") as err:
        start = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        timer = threading.Timer(timeout, _kill_group, (proc.pid,))
        timer.start()
        sampler = _TreeMemory(proc.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            sampler.stop()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    read = (lambda p: p.read_text(encoding="utf-8", errors="replace") if p else "")
    try:
        peak = int(peak_file.read_text()) / 1024 if peak_file else float("nan")
    except (OSError, ValueError):
        peak = float("nan")
    return Measured(wall, peak, usage.ru_utime + usage.ru_stime, proc.returncode, read(out_path),
                    read(err_path), start, sampler.peak_mb)


class _TreeMemory(threading.Thread):
    """Samples, every 0.2 s, the summed proportional set size (PSS: shared pages counted once, split between
    the processes sharing them) of every process in the child's session, i.e. the program and the worker
    processes it starts. Keeps the peak, in MiB (nan if /proc cannot be read)."""

    def __init__(self, session: int):
        super().__init__(daemon=True)
        self.session = session
        self.peak_mb = float("nan")
        self._done = threading.Event()

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=5)

    def run(self) -> None:
        while not self._done.wait(0.2):
            total = self._sample()
            if total is not None and not total <= self.peak_mb:  # (nan compares false)
                self.peak_mb = total

    def _sample(self) -> float | None:
        try:
            pids = [p for p in os.listdir("/proc") if p.isdigit()]
        except OSError:
            return None
        kib = 0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[3]) != self.session:  # field 6 of stat, the session id
                    continue
                with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            kib += int(line.split()[1])
                            break
            except (OSError, ValueError, IndexError):
                continue
        return kib / 1024 if kib else None


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                  if x.startswith("MemTotal"))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "ram": ram, "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}", "commit": commit(),
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "load": load()}


def commit() -> str:
    """The checked-out commit, and whether tracked files differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (head or "unknown") + (" with uncommitted changes" if dirty else "")


def load() -> str:
    """The 1-minute load average."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"
