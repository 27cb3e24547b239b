"""A Watcher factory for pipeline tests: a store in tmp_path, a fast client, a clock one second per check."""

from __future__ import annotations

import itertools

import pytest

from scrapers.http import HttpClient
from scrapers.pipeline import Watcher
from scrapers.store import open_store
from watch_fixtures.pages import FAST


@pytest.fixture(name="make")
def make_fixture(tmp_path):
    clients = []
    clock = (f"2025-06-01T00:{m:02d}:{s:02d}Z" for m, s in itertools.product(range(60), range(60)))

    def factory():
        client = HttpClient(FAST)
        clients.append(client)
        return Watcher(open_store(tmp_path / "store"), client, now=lambda: next(clock))

    yield factory
    for c in clients:
        c.close()
