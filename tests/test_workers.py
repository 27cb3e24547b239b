"""scripts/site/workers.py: worker processes that keep their share of a job between steps."""

from __future__ import annotations

import os

import pytest

from scripts.site.workers import WorkerError, Workers


class Share:
    def __init__(self, k: int, n: int):
        self.k, self.n, self.items = k, n, []

    def add(self, *values):
        self.items += [v for i, v in enumerate(values) if i % self.n == self.k]
        return os.getpid()

    def total(self):
        return sum(self.items)

    def fail(self):
        raise ValueError(f"share {self.k} can't")

    def die(self):
        os._exit(3)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_each_worker_keeps_its_share_between_steps(n):
    with Workers(n, Share) as w:
        pids = w.call("add", *range(10))
        assert w.call("total") == [sum(v for v in range(10) if v % n == k) for k in range(n)]
        assert len(set(pids)) == n and (n > 1) == (os.getpid() not in pids)


def test_chained_steps_run_without_waiting_for_the_parent():
    with Workers(2, Share) as w:
        w.chain(("add", (1, 2, 3, 4)), ("total", ()))
        assert w.pending == "add"
        w.results()
        assert w.pending == "total"
        assert w.results() == [4, 6]
        assert w.pending is None


@pytest.mark.parametrize("n", [1, 2])
def test_steps_started_while_others_run_follow_them(n):
    with Workers(n, Share) as w:
        w.chain(("add", (1, 2, 3, 4)))
        w.start("total")  # queued behind `add`: results come back in the order the steps were started
        assert w.pending == "add"
        w.results()
        w.start("add", 10, 20)
        assert w.results() == ([4, 6] if n == 2 else [10])  # `total`, run before the second `add`
        with pytest.raises(WorkerError, match="still running"):
            w.call("total")  # `call` waits for its own step only: not with others pending
        w.results()
        assert w.call("total") == ([14, 26] if n == 2 else [40])


@pytest.mark.parametrize("n", [1, 2])
def test_a_failing_step_is_reported_with_its_traceback(n):
    w = Workers(n, Share)
    with pytest.raises(WorkerError, match=r"(?s)step 'fail' failed.*ValueError: share \d can't"):
        w.call("fail")
    w.close()


def test_a_worker_that_dies_is_reported_not_waited_for():
    w = Workers(2, Share)
    procs = list(w._procs)
    with pytest.raises(WorkerError, match="died during step 'die'"):
        w.call("die")
    w.close()
    assert procs and all(not p.is_alive() for p in procs)


def test_closing_ends_the_workers():
    w = Workers(2, Share)
    procs = list(w._procs)
    w.call("add", 1)
    w.close()
    assert all(p.exitcode == 0 for p in procs)


def test_records_are_handed_out_once_each_to_whichever_worker_asks():
    from scripts.site.build import _HandOut
    hand_out = _HandOut(103, shared=True)

    class Taker:
        def __init__(self, k, n):
            pass

        def take_all(self):
            got = []
            while batch := hand_out.take():
                got += batch
            return got

    w = Workers(3, Taker)
    parts = w.call("take_all")
    w.close()
    assert sorted(i for part in parts for i in part) == list(range(103))
    serial = _HandOut(5, shared=False)
    assert list(serial.take()) == [0, 1, 2, 3, 4] and not serial.take()
