"""Run the watcher's command line and report the process's peak memory.

    python -m watch_fixtures.measured [--total-timeout S] [--retries N] -- WATCH-ARGS...

runs `scrapers.watch.main(WATCH-ARGS)` in this process and, however it ends, writes
`peak-rss-kib <N>` as the last line of stderr: the peak resident set size of this process (VmHWM).
Not getrusage's ru_maxrss: on Linux that keeps the high-water mark of the process before exec, i.e. of
the pytest worker that started us. `--total-timeout` and `--retries` set the
per-response deadline and the retry count, which the command line does not expose (its defaults, 120 s
and 3 retries, would make fault tests take minutes); nothing else differs from `python -m scrapers.watch`.

`run_watch()` is the test side: it runs this in a subprocess and returns (exit code, stdout, stderr,
peak RSS in MiB).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m watch_fixtures.measured")
    p.add_argument("--total-timeout", type=float, default=None)
    p.add_argument("--retries", type=int, default=None)
    p.add_argument("watch_args", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    watch_args = args.watch_args[1:] if args.watch_args[:1] == ["--"] else args.watch_args

    from scrapers import watch
    from scrapers.http import FetchConfig

    overrides = {k: v for k, v in (("total_timeout", args.total_timeout), ("retries", args.retries))
                 if v is not None}
    if overrides:
        # Same class, other defaults: watch.main builds its FetchConfig from the command line as usual.
        namespace = {"__annotations__": {k: type(v) for k, v in overrides.items()}, **overrides}
        watch.FetchConfig = dataclass(frozen=True)(type("FetchConfig", (FetchConfig,), namespace))
    try:
        return watch.main(watch_args)
    finally:
        print(f"peak-rss-kib {peak_rss_kib()}", file=sys.stderr, flush=True)


def peak_rss_kib() -> int:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux: an upper bound
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


def run_watch(watch_args: list[str], total_timeout: float | None = None, retries: int | None = None,
              timeout: float = 120) -> tuple[int, str, str, float]:
    cmd = [sys.executable, "-m", "watch_fixtures.measured"]
    if total_timeout is not None:
        cmd += ["--total-timeout", str(total_timeout)]
    if retries is not None:
        cmd += ["--retries", str(retries)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    result = subprocess.run([*cmd, "--", *watch_args], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    last = result.stderr.rstrip("\n").rsplit("\n", 1)[-1]
    assert last.startswith("peak-rss-kib "), result.stderr[-2000:]
    return result.returncode, result.stdout, result.stderr, int(last.split()[1]) / 1024


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
