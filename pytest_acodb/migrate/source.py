"""Discovering sqlx migrations in a directory: file names, versions, descriptions, checksums.

The rules follow sqlx's ``sqlx-core/src/migrate/source.rs`` and ``migration_type.rs``:

- a file name is split on its first ``_``; a name with no ``_``, or whose rest does not end in
  ``.sql`` (case-sensitive), is not a migration and is ignored;
- the prefix is parsed as a Rust ``i64`` (optional ``+``/``-`` sign, ASCII digits, in range);
  anything else is an error naming the file;
- ``.up.sql`` / ``.down.sql`` make a reversible migration's two halves, any other ``.sql`` a
  simple migration;
- the description is the rest with the type suffix stripped repeatedly (Rust's
  ``trim_end_matches``) and every ``_`` turned into a space;
- the checksum is the 48-byte SHA-384 of the file's bytes (CRLF and BOM included), after removing
  any ``ignored-chars`` configured in ``sqlx.toml``.
"""

from __future__ import annotations

import enum
import errno
import hashlib
import os
import stat
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import (
    DuplicateVersionError,
    FileReadError,
    FileTooLargeError,
    NotRegularFileError,
    NotUtf8Error,
    SourceDirectoryError,
    SqlxTomlError,
    VersionNameError,
)
from .sql import NO_TX_MARKER, seed_down_section

_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1
DEFAULT_TABLE_NAME = "_sqlx_migrations"

MAX_FILE_BYTES = 256 * 2**20
"""The largest file the kit reads (256 MiB): a migration, ``acodb.lock`` or ``sqlx.toml``."""


class MigrationType(enum.Enum):
    """sqlx's ``MigrationType``: which kind of file a migration comes from."""

    SIMPLE = ".sql"
    REVERSIBLE_UP = ".up.sql"
    REVERSIBLE_DOWN = ".down.sql"

    @property
    def suffix(self) -> str:
        """The file-name suffix of this type, e.g. ``".up.sql"``."""
        return self.value

    @classmethod
    def from_filename(cls, rest: str) -> MigrationType:
        """The type named by the part of a file name after the version's ``_``."""
        if rest.endswith(cls.REVERSIBLE_UP.value):
            return cls.REVERSIBLE_UP
        if rest.endswith(cls.REVERSIBLE_DOWN.value):
            return cls.REVERSIBLE_DOWN
        return cls.SIMPLE


@dataclass(frozen=True)
class ParsedName:
    """The sqlx reading of one file name: ``version`` (i64), ``description``, ``migration_type``."""

    version: int
    description: str
    migration_type: MigrationType


def parse_i64(text: str) -> int | None:
    """Parse ``text`` as Rust's ``str::parse::<i64>`` does; ``None`` when Rust would fail.

    Rust accepts one optional leading ``+`` or ``-`` followed by at least one ASCII digit and
    nothing else (no spaces, no underscores, no non-ASCII digits), within the i64 range.
    """
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or not all("0" <= c <= "9" for c in digits):
        return None
    value = int(text)
    return value if _I64_MIN <= value <= _I64_MAX else None


def parse_filename(name: str) -> ParsedName | None:
    """Read a file name as sqlx does.

    Returns ``None`` for a name sqlx ignores (no ``_``, or the rest does not end in ``.sql``).
    Raises :class:`~pytest_acodb.errors.VersionNameError` when sqlx would reject the name: the prefix before the first ``_``
    is not an ``i64``. Examples: ``001_init.sql`` -> (1, "init", SIMPLE); ``+5_x.sql`` -> 5;
    ``1_foo.sql.sql`` -> (1, "foo"); ``1_.sql`` -> (1, ""); ``1_x.SQL`` -> ignored.
    """
    prefix, sep, rest = name.partition("_")
    if not sep or not rest.endswith(".sql"):
        return None
    version = parse_i64(prefix)
    if version is None:
        raise VersionNameError(name, prefix)
    migration_type = MigrationType.from_filename(rest)
    description = rest
    while description.endswith(migration_type.suffix):
        description = description[: -len(migration_type.suffix)]
    return ParsedName(version, description.replace("_", " "), migration_type)


def checksum(data: bytes, ignored_chars: str = "") -> bytes:
    """The 48-byte SHA-384 digest sqlx stores in ``_sqlx_migrations.checksum``.

    ``data`` is the file's raw bytes. ``ignored_chars`` (from ``sqlx.toml``'s
    ``[migrate] ignored-chars``) are removed from the text before hashing, as sqlx does.
    """
    if ignored_chars:
        text = data.decode("utf-8")
        text = "".join(c for c in text if c not in ignored_chars)
        data = text.encode("utf-8")
    return hashlib.sha384(data).digest()


@dataclass(frozen=True)
class Migration:
    """One sqlx migration: a simple file, or an up file with its down file.

    ``version``: the i64 version; ``description``: sqlx's description; ``path``: the ``.sql`` or
    ``.up.sql`` file; ``sql``: its text; ``checksum``: 48-byte SHA-384 of its bytes (what sqlx
    stores); ``down_path`` / ``down_sql``: the ``.down.sql`` file and its text, or, for a seed-style
    simple file, ``None`` and the uncommented ``-- DOWN`` section; ``no_tx``: the file starts with
    ``-- no-transaction``.
    """

    version: int
    description: str
    migration_type: MigrationType
    path: Path
    sql: str
    checksum: bytes
    no_tx: bool = False
    down_path: Path | None = None
    down_sql: str | None = None

    @property
    def reversible(self) -> bool:
        """True when the migration has a down script (a ``.down.sql`` or a seed DOWN section)."""
        return self.down_sql is not None

    @property
    def label(self) -> str:
        """``version`` and file stem, e.g. ``20250115000003_create_workflow_tasks``."""
        name = self.path.name
        return name[: -len(self.migration_type.suffix)]


@dataclass
class MigrationSource:
    """A resolved migrations directory.

    ``migrations``: sorted by version; ``directory``; ``table_name`` (sqlx.toml ``table-name``,
    default ``_sqlx_migrations``); ``ignored_chars``; ``orphan_downs``: ``.down.sql`` files with no
    ``.up.sql``; ``ignored``: files that look like migrations but that sqlx ignores;
    ``duplicates``: ``{version: files}`` left out because several files claim the version (only
    from ``resolve(..., strict=False)``; sqlx refuses such a directory).
    """

    directory: Path
    migrations: list[Migration]
    table_name: str = DEFAULT_TABLE_NAME
    ignored_chars: str = ""
    orphan_downs: list[Path] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)
    duplicates: dict[int, list[Path]] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Migration]:
        return iter(self.migrations)

    def __len__(self) -> int:
        return len(self.migrations)

    def get(self, version: int) -> Migration | None:
        """The migration with this version, or ``None``."""
        return next((m for m in self.migrations if m.version == version), None)

    @property
    def fingerprint(self) -> str:
        """Hex SHA-256 over every version, checksum and down script: a template cache key."""
        h = hashlib.sha256(self.table_name.encode())
        for m in self.migrations:
            h.update(f"{m.version}\0{m.description}\0".encode())
            h.update(m.checksum)
            h.update((m.down_sql or "\0none").encode())
        return h.hexdigest()


def read_file(path: Path, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path``, which must be a regular file (a symlink to one is followed) of at
    most ``limit`` bytes.

    Never blocks on a FIFO and never reads a device: the file is opened without waiting and
    checked before anything is read. Raises :class:`~pytest_acodb.errors.NotRegularFileError`
    for a FIFO, device, socket or directory, :class:`~pytest_acodb.errors.FileTooLargeError`
    past ``limit``, and :class:`~pytest_acodb.errors.FileReadError` (naming a broken symlink as
    such) when the operating system refuses.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise NotRegularFileError(path, "directory") from exc
        broken = isinstance(exc, FileNotFoundError) and path.is_symlink()
        reason = exc.strerror or str(exc)
        raise FileReadError(path, reason, exc.errno, broken_link=broken) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFileError(path, _file_kind(info.st_mode))
        if info.st_size > limit:
            raise FileTooLargeError(path, info.st_size, limit)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(2**20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise FileReadError(path, reason, exc.errno, broken_link=False) from exc
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:  # it grew while being read
        raise FileTooLargeError(path, len(data), limit)
    return data


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "directory"),
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    )
    return next((name for test, name in kinds if test(mode)), "special file")


def read_text(path: Path, *, what: str = "sqlx reads migrations") -> tuple[bytes, str]:
    """``(bytes, text)`` of ``path``, read with :func:`read_file` and decoded as UTF-8.

    Raises what :func:`read_file` raises, and :class:`~pytest_acodb.errors.NotUtf8Error`
    naming the first bad byte (``what`` says who reads the file as UTF-8).
    """
    data = read_file(path)
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8Error(path, exc.start, what) from exc


def read_sqlx_toml(directory: Path) -> tuple[str, str]:
    """``(table_name, ignored_chars)`` from a ``sqlx.toml`` in ``directory`` or its parent.

    sqlx looks for ``sqlx.toml`` in the crate root, which usually holds ``migrations/``. Returns
    the defaults ``("_sqlx_migrations", "")`` when there is none. Raises
    :class:`~pytest_acodb.errors.SqlxTomlError` for a file that is not valid TOML or whose
    ``[migrate]`` settings have the wrong shape (``migrate`` not a table, ``table-name`` not a
    non-empty string, ``ignored-chars`` not a list of strings), and what :func:`read_text`
    raises for a file that cannot be read.
    """
    for candidate in (directory / "sqlx.toml", directory.parent / "sqlx.toml"):
        if candidate.exists():
            _, text = read_text(candidate, what="sqlx reads sqlx.toml")
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise SqlxTomlError(candidate, f"not valid TOML ({exc})") from exc
            return _migrate_settings(candidate, data.get("migrate", {}))
    return DEFAULT_TABLE_NAME, ""


def _migrate_settings(path: Path, migrate: Any) -> tuple[str, str]:
    if not isinstance(migrate, dict):
        raise SqlxTomlError(path, f"must be a table ([migrate]), not {migrate!r}", "migrate")
    table = migrate.get("table-name", DEFAULT_TABLE_NAME)
    if not isinstance(table, str) or not table:
        raise SqlxTomlError(
            path, f"must be a non-empty string, not {table!r}", "migrate.table-name"
        )
    chars = migrate.get("ignored-chars", [])
    if isinstance(chars, str):
        chars = [chars]
    if not isinstance(chars, list) or not all(isinstance(c, str) for c in chars):
        raise SqlxTomlError(
            path, f"must be a list of strings, not {chars!r}", "migrate.ignored-chars"
        )
    return table, "".join(chars)


def resolve(
    directory: str | Path, *, ignored_chars: str | None = None, strict: bool = True
) -> MigrationSource:
    """Resolve a migrations directory into a :class:`MigrationSource`, as sqlx does.

    Raises a :class:`~pytest_acodb.errors.SourceError`: ``SourceDirectoryError`` when the
    directory does not exist or is not a directory, ``VersionNameError`` when a file name's
    version is not an i64, what :func:`read_text` raises for a file that is not a regular file,
    is too large, cannot be read or is not UTF-8, ``SqlxTomlError`` for a bad ``sqlx.toml``, and
    ``DuplicateVersionError`` naming every file when two migrations share a version, unless
    ``strict`` is false: then those versions are left out and listed in
    :attr:`MigrationSource.duplicates` (for checking the rest of a directory sqlx refuses).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise SourceDirectoryError(directory, exists=directory.exists())
    table_name, toml_chars = read_sqlx_toml(directory)
    chars = toml_chars if ignored_chars is None else ignored_chars
    ups: dict[int, list[tuple[ParsedName, Path]]] = {}
    downs: dict[int, list[Path]] = {}
    ignored: list[Path] = []
    for path in sorted(directory.iterdir()):
        if path.is_dir():
            continue
        # sqlx reads a name that is not UTF-8 lossily (``to_string_lossy``): U+FFFD for bad bytes.
        parsed = parse_filename(os.fsencode(path.name).decode("utf-8", "replace"))
        if parsed is None:
            if _looks_like_migration(path.name):
                ignored.append(path)
            continue
        if parsed.migration_type is MigrationType.REVERSIBLE_DOWN:
            downs.setdefault(parsed.version, []).append(path)
        else:
            ups.setdefault(parsed.version, []).append((parsed, path))
    clashes = _duplicates(ups, downs)
    if clashes and strict:
        raise DuplicateVersionError(clashes, taken=frozenset(ups) | frozenset(downs))
    migrations = [
        _build(entries[0][0], entries[0][1], downs.get(version, [None])[0], chars)
        for version, entries in sorted(ups.items())
        if version not in clashes
    ]
    orphans = [
        paths[0]
        for version, paths in sorted(downs.items())
        if version not in ups and version not in clashes
    ]
    return MigrationSource(directory, migrations, table_name, chars, orphans, ignored, clashes)


def _duplicates(
    ups: dict[int, list[tuple[ParsedName, Path]]], downs: dict[int, list[Path]]
) -> dict[int, list[Path]]:
    """``{version: every file claiming it}`` for the versions more than one file claims."""
    clashes = {
        v: sorted([p for _, p in entries] + (downs.get(v, []) if len(entries) > 1 else []))
        for v, entries in ups.items()
        if len(entries) > 1
    }
    for v, paths in downs.items():
        if len(paths) > 1:
            clashes[v] = sorted({*clashes.get(v, []), *paths, *(p for _, p in ups.get(v, []))})
    return clashes


def _build(parsed: ParsedName, path: Path, down: Path | None, chars: str) -> Migration:
    data, text = read_text(path)
    down_sql: str | None = None
    if down is not None:
        down_sql = read_text(down)[1]
    elif parsed.migration_type is MigrationType.SIMPLE:
        down_sql = seed_down_section(text)
    return Migration(
        version=parsed.version,
        description=parsed.description,
        migration_type=parsed.migration_type,
        path=path,
        sql=text,
        checksum=checksum(data, chars),
        no_tx=text.startswith(NO_TX_MARKER),
        down_path=down,
        down_sql=down_sql,
    )


def _looks_like_migration(name: str) -> bool:
    """A file sqlx ignores though its author probably meant it as a migration."""
    lower = name.lower()
    return lower.endswith(".sql") and name[:1].isdigit()
