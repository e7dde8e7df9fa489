"""A committed checksum lock of a migrations directory: ``<source>/acodb.lock``.

sqlx notices an edited migration only when it meets a database that already applied it, which
can be production. The lock file records, for every migration, the version, the description and
the SHA-384 checksum sqlx stores (hex, 96 characters); :func:`verify_lock` compares the directory
with it and needs no database, so CI can refuse an edited, removed or renumbered migration
before it ships.

Format: ``#`` comment lines, then one line per migration, tab-separated::

    20250115000001<TAB>create tasks<TAB>4b3c...96 hex digits

The name ``acodb.lock`` has no ``_``, so sqlx (and :func:`~pytest_acodb.migrate.resolve`) ignore
it when discovering migrations. Only the up (or simple) file is locked, because that is what sqlx
checksums; down files may be fixed after the fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ChecksumLockError, LockMismatchError, LockMissingError
from .source import MigrationSource, read_file, read_text, resolve
from .status import line_endings_only

LOCK_NAME = "acodb.lock"
"""File name of the lock inside the migrations directory."""

_HEADER = (
    "# acodb migration lock: version<TAB>description<TAB>SHA-384 of the file (as sqlx stores it).\n"
    "# Written by `acodb migrate lock`, checked by `acodb migrate verify`; commit it. Never edit\n"
    "# a locked migration: add a new one. Regenerate only when a change was meant.\n"
)


@dataclass(frozen=True)
class LockEntry:
    """One locked migration: ``version``, ``description``, ``checksum`` (48 bytes)."""

    version: int
    description: str
    checksum: bytes


def _source(source: str | Path | MigrationSource) -> MigrationSource:
    return source if isinstance(source, MigrationSource) else resolve(source)


def _directory(source: str | Path | MigrationSource) -> Path:
    return source.directory if isinstance(source, MigrationSource) else Path(source)


def lock_path(source: str | Path | MigrationSource) -> Path:
    """The lock file of a migrations directory: ``<directory>/acodb.lock`` (may not exist)."""
    return _directory(source) / LOCK_NAME


def render_lock(source: str | Path | MigrationSource) -> str:
    """The text :func:`write_lock` writes for ``source`` (header, then one line per migration)."""
    lines = [
        f"{m.version}\t{m.description}\t{m.checksum.hex()}\n" for m in _source(source).migrations
    ]
    return _HEADER + "".join(lines)


def write_lock(source: str | Path | MigrationSource) -> Path:
    """Write ``<source>/acodb.lock`` for the migrations as they are now; returns its path.

    Raises what :func:`~pytest_acodb.migrate.resolve` raises (``SourceError``) for a directory
    sqlx could not read, and ``OSError`` when the file cannot be written.
    """
    path = lock_path(source)
    path.write_text(render_lock(source), encoding="utf-8", newline="\n")
    return path


def read_lock(path: Path) -> list[LockEntry]:
    """The entries of a lock file, in file order.

    Raises :class:`~pytest_acodb.errors.ChecksumLockError` naming the file and line for a line
    that is not ``version<TAB>description<TAB>96 hex digits``, and what
    :func:`~pytest_acodb.migrate.source.read_text` raises for a file that is not a regular
    UTF-8 file or cannot be read.
    """
    _, text = read_text(path, what="the lock file is written")
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        version, sep, rest = line.partition("\t")
        description, sep2, digest = rest.rpartition("\t")
        try:
            if not (sep and sep2 and len(digest) == 96):
                raise ValueError(line)
            entries.append(LockEntry(int(version), description, bytes.fromhex(digest)))
        except ValueError:
            raise ChecksumLockError(
                path,
                "not a lock line (expected version<TAB>description<TAB>96 hex digits); "
                "regenerate the file",
                number,
            ) from None
    return entries


def verify_lock(
    source: str | Path | MigrationSource, *, required: bool = False
) -> list[LockMismatchError]:
    """Compare a migrations directory with its lock file; returns the problems (empty = ok).

    One :class:`~pytest_acodb.errors.LockMismatchError` per problem, in version order (its
    ``kind`` says which): a locked migration whose file was edited (``"edited"``, or
    ``"line_endings"`` when only its line endings changed), renamed (``"renamed"``: the
    description changed), removed (``"removed"``), or moved to another version
    (``"renumbered"``), and a new migration whose version is older than the newest locked one
    (``"out_of_order"``: sqlx would apply it out of order on databases that are ahead).
    Migrations newer than the lock are fine. Without a lock file, returns ``[]``, or raises
    :class:`~pytest_acodb.errors.LockMissingError` when ``required``. Raises
    ``ChecksumLockError`` for a malformed lock file and what ``resolve`` raises for an
    unreadable directory.
    """
    path = lock_path(source)
    if not path.exists() and not path.is_symlink():
        if required:
            raise LockMissingError(path)
        return []
    migrations = _source(source)
    locked = {e.version: e for e in read_lock(path)}
    problems: list[LockMismatchError] = []
    renumbered: set[int] = set()
    by_checksum = {m.checksum: m for m in migrations}
    for entry in locked.values():
        migration = migrations.get(entry.version)
        if migration is None:
            moved = by_checksum.get(entry.checksum)
            if moved is not None and moved.version not in locked:
                renumbered.add(moved.version)
                problems.append(
                    LockMismatchError(
                        f"migration {entry.version} ({entry.description}) was renumbered to "
                        f"{moved.version} ({moved.path.name}); locked migrations keep their "
                        "version: rename it back",
                        version=entry.version,
                        kind="renumbered",
                        path=moved.path,
                        new_version=moved.version,
                    )
                )
            else:
                problems.append(
                    LockMismatchError(
                        f"migration {entry.version} ({entry.description}) is locked but its file "
                        f"was removed from {migrations.directory}; restore it (databases that "
                        "applied it will fail with 'missing')",
                        version=entry.version,
                        kind="removed",
                    )
                )
        elif migration.checksum != entry.checksum:
            endings = line_endings_only(read_file(migration.path), entry.checksum)
            how = (
                "its line endings changed (CRLF/LF or a UTF-8 BOM), the SQL is the same; restore "
                "the original bytes (e.g. `*.sql -text` in .gitattributes)"
                if endings
                else "restore it and put the change in a new migration"
            )
            problems.append(
                LockMismatchError(
                    f"{migration.path}: migration {entry.version} was edited after it was "
                    f"locked (locked checksum {entry.checksum.hex()}, file checksum "
                    f"{migration.checksum.hex()}); {how}",
                    version=entry.version,
                    kind="line_endings" if endings else "edited",
                    path=migration.path,
                )
            )
        elif migration.description != entry.description:
            problems.append(
                LockMismatchError(
                    f"{migration.path}: migration {entry.version} was renamed after it was "
                    f"locked (description {entry.description!r} is now "
                    f"{migration.description!r}); rename it back, or regenerate the lock if the "
                    "rename is meant",
                    version=entry.version,
                    kind="renamed",
                    path=migration.path,
                )
            )
    newest = max(locked, default=None)
    for migration in migrations:
        if newest is None or migration.version in locked or migration.version in renumbered:
            continue
        if migration.version < newest:
            problems.append(
                LockMismatchError(
                    f"{migration.path}: new migration {migration.version} is older than the "
                    f"newest locked migration {newest}; databases already past {newest} would "
                    f"apply it out of order: give it a version above {newest}",
                    version=migration.version,
                    kind="out_of_order",
                    path=migration.path,
                    newest=newest,
                )
            )
    return sorted(problems, key=lambda p: p.version)
