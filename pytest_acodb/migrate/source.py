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
import hashlib
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DuplicateVersionError, SourceError
from .sql import NO_TX_MARKER, seed_down_section

_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1
DEFAULT_TABLE_NAME = "_sqlx_migrations"


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
    Raises :class:`SourceError` when sqlx would reject the name: the prefix before the first ``_``
    is not an ``i64``. Examples: ``001_init.sql`` -> (1, "init", SIMPLE); ``+5_x.sql`` -> 5;
    ``1_foo.sql.sql`` -> (1, "foo"); ``1_.sql`` -> (1, ""); ``1_x.SQL`` -> ignored.
    """
    prefix, sep, rest = name.partition("_")
    if not sep or not rest.endswith(".sql"):
        return None
    version = parse_i64(prefix)
    if version is None:
        raise SourceError(
            f"{name}: cannot read the version {prefix!r}: sqlx expects an integer version "
            "before the first underscore (e.g. 20250115000001_create_tasks.sql); rename the file",
            Path(name),
        )
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


def read_sqlx_toml(directory: Path) -> tuple[str, str]:
    """``(table_name, ignored_chars)`` from a ``sqlx.toml`` in ``directory`` or its parent.

    sqlx looks for ``sqlx.toml`` in the crate root, which usually holds ``migrations/``. Returns
    the defaults ``("_sqlx_migrations", "")`` when there is none. Raises :class:`SourceError` for
    a file that is not valid TOML.
    """
    for candidate in (directory / "sqlx.toml", directory.parent / "sqlx.toml"):
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise SourceError(
                    f"{candidate}: not valid TOML ({exc}); fix it", candidate
                ) from exc
            migrate = data.get("migrate", {})
            chars = migrate.get("ignored-chars", [])
            return (
                str(migrate.get("table-name", DEFAULT_TABLE_NAME)),
                "".join(chars) if isinstance(chars, list) else str(chars),
            )
    return DEFAULT_TABLE_NAME, ""


def _read(path: Path) -> tuple[bytes, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(
            f"{path}: cannot read the file ({exc.strerror}); if it is a symlink, its target is "
            "missing: restore it or remove the link",
            path,
        ) from exc
    except OSError as exc:
        raise SourceError(
            f"{path}: cannot read the file ({exc.strerror}); check its permissions", path
        ) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{path}: not valid UTF-8 (byte {exc.start}); sqlx reads migrations as UTF-8: "
            "re-save the file as UTF-8",
            path,
        ) from exc
    return data, text


def resolve(
    directory: str | Path, *, ignored_chars: str | None = None, strict: bool = True
) -> MigrationSource:
    """Resolve a migrations directory into a :class:`MigrationSource`, as sqlx does.

    Raises :class:`SourceError` when the directory does not exist or is not a directory, a file
    name's version is not an i64, a file cannot be read or is not UTF-8; raises
    :class:`DuplicateVersionError` naming every file when two migrations share a version, unless
    ``strict`` is false: then those versions are left out and listed in
    :attr:`MigrationSource.duplicates` (for checking the rest of a directory sqlx refuses).
    """
    directory = Path(directory)
    if not directory.exists():
        raise SourceError(
            f"{directory}: migrations directory does not exist; pass an existing directory "
            "(--acodb-migrations / --source)",
            directory,
        )
    if not directory.is_dir():
        raise SourceError(
            f"{directory}: is a file, not a migrations directory; pass the directory holding "
            "the .sql files",
            directory,
        )
    table_name, toml_chars = read_sqlx_toml(directory)
    chars = toml_chars if ignored_chars is None else ignored_chars
    ups: dict[int, list[tuple[ParsedName, Path]]] = {}
    downs: dict[int, list[Path]] = {}
    ignored: list[Path] = []
    for path in sorted(directory.iterdir()):
        if path.is_dir():
            continue
        parsed = parse_filename(path.name)
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
    data, text = _read(path)
    down_sql: str | None = None
    if down is not None:
        down_sql = _read(down)[1]
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
