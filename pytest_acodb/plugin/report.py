"""What the plugin adds to pytest's report: the header line, the template summary, and the
sections of a failed test (the run seed of its data; with ``--acodb-keep-failed``, a copy of its
database)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest

from .. import bundled_migrations_dir
from ..db.connect import Connector
from ..db.template import Template
from ..errors import AcodbError
from ..migrate import resolve
from .settings import SETTINGS_KEY, AcodbSettings

TEMPLATE_REPORT_KEY = pytest.StashKey[list[str]]()
"""Lines for the terminal summary saying how each process got its template."""

TEST_SEED_KEY = pytest.StashKey[int]()
"""On ``item.stash``: the run seed a test's data was seeded from (for the failure report)."""


def header(settings: AcodbSettings, connector: Connector, run_seed: int) -> str:
    """The report-header line: migrations directory and count, SQLite driver and version,
    extensions, backend, isolation, template cache, whether checks are collected, run seed."""
    directory = settings.migrations or bundled_migrations_dir()
    origin = " (bundled)" if settings.migrations is None else ""
    try:
        count = f"{len(resolve(directory))} migrations"
    except AcodbError as error:
        count = f"unreadable: {error}"
    extensions = f", extensions {', '.join(connector.extensions)}" if connector.extensions else ""
    reuse = ", template cache on" if settings.reuse_template else ""
    checks = ", checks on" if settings.check_migrations else ""
    return (
        f"acodb: migrations {directory}{origin} ({count}), SQLite "
        f"{connector.driver.describe()}{extensions}, backend {settings.backend}, "
        f"isolation {settings.isolation}{reuse}{checks}, seed {run_seed}"
    )


def describe_template(template: Template) -> str:
    """One summary line: the template's fingerprint, how many migrations this process ran for
    it and how long that (or reading the cache) took."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    who = f"[{worker}] " if worker else ""
    ms = template.build_ns / 1e6
    if template.applied or template.cache_path is None:
        how = f"{template.applied} migrations run in {ms:.1f} ms"
    else:
        how = f"0 migrations run, read from {template.cache_path} in {ms:.1f} ms"
    stored = ", stored in the cache" if template.applied and template.cache_path else ""
    return f"acodb: {who}template {template.fingerprint[:12]}: {how}{stored}"


def template_report(config: pytest.Config) -> list[str]:
    """The summary lines recorded in this process (and, under xdist, sent by workers)."""
    return config.stash.get(TEMPLATE_REPORT_KEY, [])


def add_template_report(config: pytest.Config, lines: list[str]) -> None:
    """Record summary lines (used by the xdist controller for its workers' lines)."""
    config.stash.setdefault(TEMPLATE_REPORT_KEY, []).extend(lines)


def kept_path(config: pytest.Config, nodeid: str) -> Path:
    """Where ``--acodb-keep-failed`` keeps the database of the test ``nodeid``: in pytest's cache
    directory (a temporary directory without the cache plugin)."""
    cache = getattr(config, "cache", None)
    directory = (
        cache.mkdir("acodb-failed")
        if cache is not None
        else Path(tempfile.mkdtemp(prefix="acodb-failed-"))
    )
    return Path(directory) / (re.sub(r"[^\w.-]+", "_", nodeid).strip("_")[-150:] + ".sqlite")


def seed_section(item: pytest.Item) -> list[tuple[str, str]]:
    """The ``acodb`` report section naming the run seed, for a test that used the kit's data."""
    if TEST_SEED_KEY not in item.stash:
        return []
    seed = item.stash[TEST_SEED_KEY]
    return [("acodb", f"test data seeded from run seed {seed}; replay with --acodb-seed {seed}")]


def keep_failed(item: pytest.Item, database: object, isolation: str) -> list[tuple[str, str]]:
    """The ``acodb`` report section of ``--acodb-keep-failed``: a copy of the failed test's
    ``database`` (a :class:`~pytest_acodb.db.connect.Database`) made now, while it exists, or why
    none was made."""
    from ..db.connect import Database

    assert isinstance(database, Database)
    if not item.config.stash[SETTINGS_KEY].keep_failed:
        return []
    if isolation == "rollback":
        # The test's rows live in a transaction of the shared database that is about to be
        # rolled back; a second connection could only wait for it, and would see none of them.
        return [
            (
                "acodb",
                "database not kept: isolation 'rollback' keeps the test's rows in a transaction "
                "that is rolled back; mark the test @pytest.mark.acodb(isolation='clone') to "
                "keep its database",
            )
        ]
    path = kept_path(item.config, item.nodeid)
    source = database.connect()
    target = database.connector.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return [
        (
            "acodb",
            f"database kept at {path} (open it with `sqlite3 {path}` or "
            f"`acodb schema -D sqlite:{path}`)",
        )
    ]
