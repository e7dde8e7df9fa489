"""Shared test setup: keep inner pytest runs lean and isolated."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester whose inner runs skip plugins the project's own suite loads but users' runs
    need not: hypothesis re-imports itself on every in-process run, which costs seconds."""
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest -p no:xdist -p no:randomly")
    # When this suite itself runs under xdist, inner runs must not believe they are workers.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    return pytester
