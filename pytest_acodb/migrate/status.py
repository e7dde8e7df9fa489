"""What a database has applied, read as sqlx reads it, and each migration's status.

:func:`read_row` checks one row of the bookkeeping table the way sqlx's decoding would (a NULL
checksum or a text version is an error, not a crash); :func:`state_of` compares a migration's
file with its row. The :class:`~pytest_acodb.migrate.Migrator` reads the table and builds one
:class:`MigrationStatus` per version from these.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from typing import Any

from ..errors import BookkeepingError
from .source import Migration, read_file

COLUMNS = ("version", "description", "installed_on", "success", "checksum", "execution_time")
"""The columns of sqlx's bookkeeping table, in the order :func:`read_row` takes them."""


@dataclass(frozen=True)
class AppliedMigration:
    """One row of ``_sqlx_migrations``.

    ``installed_on`` is SQLite's ``CURRENT_TIMESTAMP`` text (UTC, seconds); ``checksum`` the
    48-byte SHA-384 sqlx stored; ``execution_time`` in nanoseconds (``-1`` until the transaction
    committed).
    """

    version: int
    description: str
    installed_on: str
    success: bool
    checksum: bytes
    execution_time: int


class State(enum.Enum):
    """The status of one migration of a database against a directory."""

    INSTALLED = "installed"
    """Applied, and the file still has the checksum recorded."""
    PENDING = "pending"
    """In the directory, not applied."""
    MISSING = "missing"
    """Applied, but no longer in the directory."""
    DIRTY = "dirty"
    """Its row says ``success = FALSE``: a ``-- no-transaction`` migration stopped part way."""
    MODIFIED = "modified"
    """Applied, but the file's checksum differs from the one recorded."""
    LINE_ENDINGS = "line_endings"
    """Modified only in its line endings (CRLF/LF) or a UTF-8 BOM: the SQL is the same."""


@dataclass(frozen=True)
class MigrationStatus:
    """One migration's status: ``version``, ``description`` (the file's, else the row's),
    ``state``, ``migration`` (the files, ``None`` when missing) and ``applied`` (the row,
    ``None`` when pending)."""

    version: int
    description: str
    state: State
    migration: Migration | None
    applied: AppliedMigration | None

    @property
    def local_checksum(self) -> bytes | None:
        """The 48-byte checksum of the file, or ``None`` when it is missing."""
        return self.migration.checksum if self.migration is not None else None

    @property
    def applied_checksum(self) -> bytes | None:
        """The 48-byte checksum recorded when it was applied, or ``None`` when pending."""
        return self.applied.checksum if self.applied is not None else None


def state_of(migration: Migration | None, row: AppliedMigration | None) -> State:
    """The :class:`State` of a migration (``None``: its file is missing) with its bookkeeping
    row (``None``: not applied). Reads the file again only to tell a line-ending change from an
    edit."""
    if row is None:
        return State.PENDING
    if not row.success:
        return State.DIRTY
    if migration is None:
        return State.MISSING
    if migration.checksum == row.checksum:
        return State.INSTALLED
    if line_endings_only(read_file(migration.path), row.checksum):
        return State.LINE_ENDINGS
    return State.MODIFIED


def read_row(table: str, row: tuple[Any, ...]) -> AppliedMigration:
    """One bookkeeping row (:data:`COLUMNS` in order), checked as sqlx's decoding would check
    it. Raises :class:`~pytest_acodb.errors.BookkeepingError` naming ``table``, the version and
    the column for a version that is not an integer and for a NULL or wrongly typed value."""
    version, description, installed_on, success, checksum, elapsed = row
    if not isinstance(version, int) or isinstance(version, bool):
        raise BookkeepingError(
            table, f"has a row whose version is {version!r}, not an integer", version
        )
    for column, value, kinds in (
        ("description", description, (str,)),
        ("success", success, (int,)),
        ("checksum", checksum, (bytes, str)),
        ("execution_time", elapsed, (int,)),
    ):
        if not isinstance(value, kinds):
            shown = "NULL" if value is None else f"{type(value).__name__} {value!r}"
            raise BookkeepingError(
                table, f"has {shown} as the {column} of version {version}", version
            )
    data = checksum.encode() if isinstance(checksum, str) else bytes(checksum)
    return AppliedMigration(version, description, str(installed_on), bool(success), data, elapsed)


def line_endings_only(data: bytes, old_checksum: bytes) -> bool:
    """True when ``data`` (a file's bytes) hashes to the 48-byte ``old_checksum`` once its line
    endings (LF/CRLF) or a UTF-8 BOM are changed back: the SQL itself is the same."""
    return old_checksum in _line_ending_variants(data)


def _line_ending_variants(data: bytes) -> set[bytes]:
    bom = b"\xef\xbb\xbf"
    bare = data.removeprefix(bom).replace(b"\r\n", b"\n")
    shapes = {bare, bare.replace(b"\n", b"\r\n")}
    shapes |= {bom + s for s in shapes}
    return {hashlib.sha384(s).digest() for s in shapes}
