"""Run a Python program and record its own peak memory: `python bench/peak.py OUT -m MODULE ARGS...`
or `python bench/peak.py OUT SCRIPT ARGS...`.

Runs the module (as `python -m` would, the current folder first on sys.path) or the script in this process,
then writes the process's VmHWM (peak resident set of its program, in KiB, from /proc/self/status) to OUT,
whatever the program's exit. getrusage()/wait4()'s ru_maxrss would not do: on Linux it keeps the peak of
the process image before exec, so a child forked from a large parent reports the parent's size.
Standard library only: the benchmark also runs it with .venv-bench/'s Python (urlwatch).
"""

import os
import runpy
import sys


def _peak_kib() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    out, rest = sys.argv[1], sys.argv[2:]
    try:
        if rest[0] == "-m":
            sys.argv = [rest[1], *rest[2:]]
            sys.path.insert(0, os.getcwd())
            runpy.run_module(rest[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = rest
            sys.path.insert(0, os.path.dirname(os.path.abspath(rest[0])))
            runpy.run_path(rest[0], run_name="__main__")
    finally:
        with open(out, "w", encoding="ascii") as f:
            f.write(str(_peak_kib()))


if __name__ == "__main__":
    sys.path.pop(0)  # this file's folder is not the program's
    main()
