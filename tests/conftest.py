"""Shared pytest plumbing: the one-line-per-suite summary of the hostile-input and fault suites.

Tests report their counts through the `suite` fixture (as user properties, so the figures also travel
from pytest-xdist workers to the controller); the terminal summary adds them up per suite.
"""

from __future__ import annotations

import collections
import json

import pytest

_COUNTS: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
_FIELDS = ("tried", "rejected", "escaped", "lost")


@pytest.fixture
def suite(record_property):
    """`suite("hostile-records", tried=1, rejected=1)`: count one case towards a suite's summary line."""
    def add(name: str, **counts: int) -> None:
        unknown = set(counts) - set(_FIELDS)
        assert not unknown, f"unknown counters {unknown}"
        record_property("erpwatch_suite", json.dumps({"suite": name, **counts}))
    return add


def pytest_runtest_logreport(report):
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == "erpwatch_suite":
            data = json.loads(value)
            _COUNTS[data.pop("suite")].update(data)


def pytest_terminal_summary(terminalreporter):
    if not _COUNTS:
        return
    terminalreporter.section("ERP Watch suites")
    for name in sorted(_COUNTS):
        c = _COUNTS[name]
        terminalreporter.write_line(f"{name}: {c['tried']} cases tried, {c['rejected']} rejected, "
                                    f"{c['escaped']} escaped, lost = {c['lost']}")
