"""Migrated templates: a migrations directory applied once, copied cheaply for every test.

A :class:`Template` migrates a directory once into an in-memory database and keeps its serialised
image (the exact bytes of a database file), optionally cached on disk across runs
(:meth:`Template.cached`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import AcodbError, AttachRefusedError, MigrateError, RefillError
from ..migrate import MigrationSource, Migrator
from . import driver as drivers
from .connect import (
    Connector,
    Database,
    default_connector,
    file_database,
    has_dbpage,
    memory_database,
    page_size,
    pages,
    split_pages,
    write_pages,
)

LOCK_WAIT_S = 60.0
"""Seconds a process waits for another one building the cached template before giving up on
the cache (and building its own in memory)."""

TEMPLATES_KEPT = 4
"""How many template images :meth:`Template.cached` keeps in its directory (newest used)."""


def template_fingerprint(
    source: MigrationSource, connector: Connector | None = None, target: int | None = None
) -> str:
    """The cache key of ``source``'s template: the source's checksum-based hex fingerprint, a
    dash, and the driver and SQLite library version (an image is only reused by the same SQLite),
    the extensions loaded (they can change what a migration does) and ``@<target>`` for a
    template migrated only up to ``target``."""
    chosen = connector or default_connector()
    extensions = "".join(f"+{e}" for e in chosen.extensions)
    up_to = "" if target is None else f"@{target}"
    return (
        f"{source.fingerprint}-{chosen.driver.name}{chosen.driver.sqlite_version}{extensions}"
        f"{up_to}"
    )


class Template:
    """A migrations directory migrated once; copies of it are cheap.

    ``image`` holds the serialised database (bytes of a database file); ``fingerprint`` is
    :func:`template_fingerprint`; ``applied``: how many migrations this process ran to make it
    (0 when read from a cache); ``build_ns``: nanoseconds spent migrating (or reading the cache);
    ``cache_path``: the image file when :meth:`cached` read or stored it; ``cache_problem``: why
    :meth:`cached` could not use its directory (``None`` when it could); ``target``: the last
    version applied (``None``: every migration). Building raises what :meth:`Migrator.run`
    raises (``MigrateError`` naming the file and statement; ``AcodbError`` for a target that is
    not a version of ``source``; ``AttachRefusedError`` for a migration that attaches a file).
    """

    def __init__(
        self,
        source: MigrationSource,
        image: bytes | None = None,
        connector: Connector | None = None,
        target: int | None = None,
    ) -> None:
        self.source = source
        self.target = target
        self.connector = connector or default_connector()
        self.fingerprint = template_fingerprint(source, self.connector, target)
        self.applied = 0
        self.build_ns = 0
        self.cache_path: Path | None = None
        self.cache_problem: str | None = None
        if image is None:
            start = time.perf_counter_ns()
            conn = self.connector.connect(":memory:")
            attached: list[str] = []
            conn.set_authorizer(_refuse_file_attach(attached))
            try:
                self.applied = len(Migrator(source).run(conn, target=target).apply)
                conn.set_authorizer(None)
                image = self.connector.image(conn)
            except MigrateError as error:
                if attached:
                    raise AttachRefusedError(error.version, error.path, attached[0]) from None
                raise
            finally:
                conn.close()
            self.build_ns = time.perf_counter_ns() - start
        self.image = image
        self.pages = split_pages(image)
        """The image cut into pages, page 1 first."""
        self.schema_version = int.from_bytes(image[40:44], "big")
        """The image's schema cookie (``PRAGMA schema_version``)."""
        self._origin: sqlite3.Connection | None = None

    @classmethod
    def cached(
        cls, source: MigrationSource, directory: Path, connector: Connector | None = None
    ) -> Template:
        """The template of ``source``, read from ``directory`` when a run left its image there,
        else built and stored there (atomically).

        An image is stored as ``<fingerprint>.<SHA-256 of its bytes>.sqlite`` and used only when
        its bytes still hash to its name and its migrations table matches every migration's
        checksum: a cached image whose schema or data was changed is rebuilt. A file lock
        (``directory/template.lock``) makes parallel processes build it once; the
        :data:`TEMPLATES_KEPT` most recently used images are kept. A directory that cannot be
        made, locked or written (read-only, full) never fails the build: the template is made
        in memory and :attr:`cache_problem` says why it was not cached. Raises what building
        raises (``MigrateError``).
        """
        from filelock import FileLock

        chosen = connector or default_connector()
        fingerprint = template_fingerprint(source, chosen)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(directory / "template.lock"), timeout=LOCK_WAIT_S)
            lock.acquire()
        except (OSError, TimeoutError) as exc:  # filelock.Timeout is a TimeoutError
            template = cls(source, connector=chosen)
            template.cache_problem = f"cannot use the template cache {directory}: {exc}"
            return template
        try:
            start = time.perf_counter_ns()
            loaded = _load_cached(directory, fingerprint, source, chosen)
            if loaded is not None:
                path, image, origin = loaded
                template = cls(source, image, chosen)
                template._origin = origin
                template.build_ns = time.perf_counter_ns() - start
                template.cache_path = path
                with contextlib.suppress(OSError):
                    os.utime(path)
                return template
            template = cls(source, connector=chosen)
            digest = hashlib.sha256(template.image).hexdigest()
            path = directory / f"{fingerprint}.{digest}.sqlite"
            scratch = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            try:
                scratch.write_bytes(template.image)
                os.replace(scratch, path)
            except OSError as exc:
                scratch.unlink(missing_ok=True)
                template.cache_problem = f"cannot store the template in {directory}: {exc}"
                return template
            template.cache_path = path
            _prune_images(directory, TEMPLATES_KEPT)
            return template
        finally:
            lock.release()

    def _origin_connection(self) -> sqlite3.Connection:
        if self._origin is None:
            self._origin = self.connector.open_image(self.image)
        return self._origin

    def restore(self, target: sqlite3.Connection) -> None:
        """Replace the whole database of ``target`` with a copy of the template, in place.

        Other connections to that database see the copy from their next statement on. Raises
        the driver's ``OperationalError`` when another connection holds a lock on it.
        """
        self._origin_connection().backup(target)

    def refill(self, keeper: sqlite3.Connection, *, in_memory: bool) -> None:
        """Make the database of ``keeper`` a copy of the template again, keeping its schema
        cookie, so the other connections to it keep their parsed schema and prepared statements
        (when the test changed the schema, the cookie differs and they re-read it).

        In memory (``in_memory``), and for files where the driver's SQLite has no
        ``sqlite_dbpage`` (the standard library's), the backup API copies the template (the
        fastest way for a memory database: about 70 us for 40 pages) and the cookie is set back;
        a lock probe first keeps the backup from waiting forever. For a file with
        ``sqlite_dbpage`` (sqlean) only the pages that differ are written, in one transaction
        (fewer writes to the file); ``keeper`` must then be used for nothing but refills,
        ``PRAGMA data_version`` and lock probes (its own view of the schema is stale).

        Raises the driver's ``OperationalError`` when another connection holds a lock on the
        database (within ``keeper``'s busy timeout), :class:`~pytest_acodb.errors.RefillError`
        when its page size is not the template's or it is in WAL mode.
        """
        if not in_memory and has_dbpage(self.connector.driver):
            current = pages(keeper)
            if current and (
                len(current[0]) != len(self.pages[0]) or current[0][18:20] != self.pages[0][18:20]
            ):
                raise RefillError("the page size or the journal mode of the database changed")
            write_pages(keeper, self.pages, current)
            return
        keeper.execute("BEGIN EXCLUSIVE")  # raises when locked, where backup() would loop
        keeper.execute("ROLLBACK")
        if not in_memory and keeper.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            raise RefillError("the journal mode of the database changed to WAL")
        self._origin_connection().backup(keeper)
        keeper.execute(f"PRAGMA schema_version = {self.schema_version}")

    def clone_memory(self) -> Database:
        """A new shared in-memory database holding a copy of the template."""
        database = memory_database(connector=self.connector)
        assert database.keeper is not None
        self.restore(database.keeper)
        return database

    def clone_file(self, path: Path) -> Database:
        """Write a copy of the template to ``path`` (overwritten) and return it as a Database."""
        Path(path).write_bytes(self.image)
        return file_database(Path(path), self.connector)

    def close(self) -> None:
        """Free the in-memory origin used for copies."""
        if self._origin is not None:
            self._origin.close()
            self._origin = None


def _refuse_file_attach(
    attached: list[str],
) -> Callable[[int, str | None, str | None, str | None, str | None], int]:
    """An authorizer that denies ``ATTACH`` of anything but an in-memory database, noting the
    file in ``attached``."""

    def authorize(action: int, arg1: str | None, *_: str | None) -> int:
        in_memory = not arg1 or arg1 == ":memory:" or "mode=memory" in arg1 or "vfs=memdb" in arg1
        if action == sqlite3.SQLITE_ATTACH and not in_memory:
            attached.append(str(arg1))
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    return authorize


def _load_cached(
    directory: Path, fingerprint: str, source: MigrationSource, connector: Connector
) -> tuple[Path, bytes, sqlite3.Connection] | None:
    """The stored image of ``fingerprint`` in ``directory``, its bytes and an in-memory
    connection holding it, when one exists whose bytes hash to its name and whose migrations
    table matches ``source`` exactly; ``None`` otherwise. Images that fail (unreadable, empty,
    truncated, changed, not a database, stale) are deleted. Called under the cache's lock."""
    for path in sorted(directory.glob(f"{fingerprint}.*.sqlite")):
        loaded = _verified(
            path, path.name[len(fingerprint) + 1 : -len(".sqlite")], source, connector
        )
        if loaded is not None:
            return path, *loaded
        with contextlib.suppress(OSError):
            path.unlink()
    return None


def _verified(
    path: Path, digest: str, source: MigrationSource, connector: Connector
) -> tuple[bytes, sqlite3.Connection] | None:
    try:
        image = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(image).hexdigest() != digest:
        return None  # changed since it was stored
    if len(image) < 512 or len(image) % page_size(image):  # empty or truncated
        return None
    try:
        conn = connector.open_image(image)
    except drivers.DatabaseError:
        return None
    try:
        if Migrator(source).validate(conn) == []:
            return image, conn
    except drivers.DatabaseError:
        pass
    except AcodbError:
        pass
    conn.close()
    return None


def _prune_images(directory: Path, keep: int) -> None:
    """Delete all but the ``keep`` most recently used images (and scratch files left by a
    process that died while writing one); a file another process removes first is fine."""

    def used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    images = sorted(directory.glob("*.sqlite"), key=used, reverse=True)
    for stale in [*images[keep:], *directory.glob("*.sqlite.*.tmp")]:
        with contextlib.suppress(OSError):
            stale.unlink()
