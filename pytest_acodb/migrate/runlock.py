"""The migration lock: one migration run at a time per database file, across processes.

sqlx's migrator takes a database lock before it reads what is applied and releases it at the
end (``Migrate::lock``); SQLite has no advisory lock of its own, so the kit locks a file next to
the database, ``<database>.acodb-migrate.lock``, with ``flock`` (``msvcrt.locking`` on Windows).
The database path is the one SQLite opened, with every symlink resolved, so two URLs or two
symlinks that reach one database share one lock. The lock file is never deleted: deleting it
while another process waits would let a third one lock a new file.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import TracebackType

from ..errors import MigrationLockError, MigrationLockTimeout

LOCK_SUFFIX = ".acodb-migrate.lock"
"""Suffix of the lock file next to a database that serialises migration runs."""

LOCK_TIMEOUT_S = 120.0
"""Seconds a run waits for another one to release the lock before it gives up."""

_POLL_S = 0.05


def database_file(conn: object) -> Path | None:
    """The file of the ``main`` database of a DB-API SQLite connection, with symlinks resolved;
    ``None`` for an in-memory or temporary database (nothing to lock)."""
    rows = conn.execute("PRAGMA database_list").fetchall()  # type: ignore[attr-defined]
    name = next((str(file) for _, schema, file in rows if schema == "main"), "")
    return Path(name).resolve() if name else None


class MigrationLock:
    """An exclusive lock on ``<database>.acodb-migrate.lock``, held across processes.

    ``database`` is resolved (symlinks followed); ``lock_file`` is the lock's path; ``timeout``
    is in seconds. Use it as a context manager, or call :meth:`acquire` and :meth:`release`.
    """

    def __init__(self, database: Path, timeout: float = LOCK_TIMEOUT_S) -> None:
        self.database = Path(database).resolve()
        self.lock_file = self.database.with_name(self.database.name + LOCK_SUFFIX)
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout`` seconds for another holder.

        Raises :class:`~pytest_acodb.errors.MigrationLockError` at once, with the operating
        system's reason, when the lock file cannot be created or opened (a missing or read-only
        directory, a read-only file system, a name too long), and
        :class:`~pytest_acodb.errors.MigrationLockTimeout` when the wait runs out.
        """
        try:
            fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise MigrationLockError(
                self.lock_file, self.database, exc.strerror or str(exc), exc.errno
            ) from exc
        start = time.monotonic()
        try:
            while not _try_lock(fd):
                if time.monotonic() - start >= self.timeout:
                    raise MigrationLockTimeout(self.lock_file, self.database, self.timeout)
                time.sleep(_POLL_S)
        except OSError as exc:
            os.close(fd)
            raise MigrationLockError(
                self.lock_file, self.database, exc.strerror or str(exc), exc.errno
            ) from exc
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        """Release the lock (the file stays); does nothing when it is not held."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                _unlock(fd)
            finally:
                os.close(fd)

    def __enter__(self) -> MigrationLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except PermissionError:
            return False
        return True

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
