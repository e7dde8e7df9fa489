"""What the plugin adds to pytest's report: the header line, the template summary, and the
sections of a failed test (the run seed of its data; with ``--acodb-keep-failed``, a copy of its
database)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from .. import bundled_migrations_dir
from ..db import driver as drivers
from ..db.connect import Connector, Database
from ..db.template import Template
from ..errors import AcodbError
from ..migrate import quote, resolve
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
    directory (a temporary directory, with a warning, when the cache is off or unusable). The
    name is the node id made safe for a file name plus 8 hex digits of its SHA-256, so two node
    ids that read alike (``test[a/b]``, ``test[a_b]``) never share a file."""
    cache = getattr(config, "cache", None)
    directory: Path | None = None
    if cache is not None:
        try:
            directory = Path(cache.mkdir("acodb-failed"))
        except OSError as exc:
            warnings.warn(
                pytest.PytestWarning(
                    f"--acodb-keep-failed: pytest's cache directory cannot be used ({exc}); "
                    "failed tests' databases are kept in a temporary directory"
                ),
                stacklevel=2,
            )
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="acodb-failed-"))
    digest = hashlib.sha256(nodeid.encode()).hexdigest()[:8]
    stem = re.sub(r"[^\w.-]+", "_", nodeid).strip("_")[-140:]
    return directory / f"{stem}-{digest}.sqlite"


def seed_section(item: pytest.Item) -> list[tuple[str, str]]:
    """The ``acodb`` report section naming the run seed, for a test that used the kit's data."""
    if TEST_SEED_KEY not in item.stash:
        return []
    seed = item.stash[TEST_SEED_KEY]
    return [("acodb", f"test data seeded from run seed {seed}; replay with --acodb-seed {seed}")]


def keep_failed(
    item: pytest.Item, database: object, isolation: str, connections: Sequence[Any] = ()
) -> list[tuple[str, str]]:
    """The ``acodb`` report section of ``--acodb-keep-failed``: a copy of the failed test's
    ``database`` (a :class:`~pytest_acodb.db.connect.Database`) made now, while it exists, or why
    none was made.

    The copy is read through one of ``connections`` (the DB-API connections of the test's
    engine) that is inside a transaction, so it holds what the test saw, its uncommitted writes
    included; else through a new connection that waits at most
    :data:`~pytest_acodb.db.isolation.clone.REFILL_WAIT_MS` on a lock (a connection the kit
    does not know, holding a write, means no copy, and the section says why)."""
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
    image = _test_image(database, connections)
    if image is None:
        return [
            (
                "acodb",
                "database not kept: another connection holds a lock on it (a connection the "
                "test opened itself, inside a transaction); close it or commit before the "
                "assertion that fails, to keep the database",
            )
        ]
    path = kept_path(item.config, item.nodeid)
    keep_secrets = item.config.stash[SETTINGS_KEY].keep_secrets
    try:
        _write(image, path, database.connector, keep_secrets)
    except (OSError, *drivers.Error) as exc:  # type: ignore[misc]
        with contextlib.suppress(OSError):
            path.unlink()
        return [("acodb", f"database not kept: it could not be written to {path} ({exc})")]
    blanked = "" if keep_secrets else "; secret configuration values are replaced by '***'"
    return [
        (
            "acodb",
            f"database kept at {path} (readable by you only{blanked}; open it with "
            f"`sqlite3 {path}` or `acodb schema -D sqlite:{path}`)",
        )
    ]


def _write(image: bytes, path: Path, connector: Connector, keep_secrets: bool) -> None:
    """Write the database ``image`` to a new file at ``path`` readable by its owner only
    (0600), with the ``value`` of every row whose ``is_secret`` is true replaced by ``'***'``
    unless ``keep_secrets``."""
    from ..schema import snapshot

    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(image)
    if keep_secrets:
        return
    target = connector.connect(path)
    try:
        for table in snapshot(target).tables.values():
            if table.column("is_secret") and table.column("value"):
                target.execute(f"UPDATE {quote(table.name)} SET value = '***' WHERE is_secret")
        target.commit()
    finally:
        target.close()


def _test_image(database: Any, connections: Sequence[Any]) -> bytes | None:
    """The bytes of the test's database as the test sees it (see :func:`keep_failed`), or
    ``None`` when another connection's lock keeps it from being read."""
    from ..db import driver as drivers
    from ..db.isolation.clone import REFILL_WAIT_MS

    connector = database.connector
    for conn in connections:
        if not conn.closed and conn.in_transaction:
            try:
                return connector.image(conn)  # type: ignore[no-any-return]
            except drivers.Error:
                break
    source = database.connect()
    try:
        source.execute(f"PRAGMA busy_timeout = {REFILL_WAIT_MS}")
        return connector.image(source)  # type: ignore[no-any-return]
    except (*drivers.Error, MemoryError):  # type: ignore[misc]  # serialize: MemoryError
        return None
    finally:
        source.close()
