"""Helpers for the watcher's tests: a local HTTP server and fixture vendor records."""
