"""Settings of the plugin: command-line option > ini key > default, resolved once per run.

:data:`OPTIONS` is the one list of options; :func:`add_options` registers each as a command-line
option and as an ini key named after its ``dest``. :func:`resolve` turns them into an
:class:`AcodbSettings` kept on ``config.stash[SETTINGS_KEY]``. A bad value raises
``pytest.UsageError`` saying what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

DRIVER_NAMES = ("sqlean", "sqlite3")
BACKENDS = ("memory", "file")
ISOLATIONS = ("clone", "rollback")


@dataclass(frozen=True)
class Option:
    """One option: ``flag`` on the command line, ini key ``dest``, ``ini_type`` for addini."""

    flag: str
    dest: str
    help: str
    ini_type: Literal["string", "bool", "paths", "linelist"] = "string"
    choices: tuple[str, ...] = ()
    metavar: str | None = None

    def add_to(self, group: pytest.OptionGroup, parser: pytest.Parser) -> None:
        """Register the command-line option in ``group`` and the ini key with ``parser``."""
        if self.ini_type == "bool":
            group.addoption(
                self.flag, dest=self.dest, action="store_true", default=None, help=self.help
            )
        else:
            group.addoption(
                self.flag,
                dest=self.dest,
                default=None,
                action="append" if self.ini_type == "linelist" else "store",
                help=self.help,
                metavar=self.metavar or self.dest.upper(),
            )
        parser.addini(self.dest, self.help, type=self.ini_type, default=None)


OPTIONS: tuple[Option, ...] = (
    Option(
        "--acodb-migrations",
        "acodb_migrations",
        "directory of sqlx migrations to build test databases from and to check "
        "(default: the acolib migrations bundled with pytest-acodb)",
        metavar="PATH",
    ),
    Option(
        "--acodb-backend",
        "acodb_backend",
        "where each test's database lives: 'memory' (default) or 'file' (under pytest's tmp dir)",
        choices=BACKENDS,
    ),
    Option(
        "--acodb-check-migrations",
        "acodb_check_migrations",
        "collect pytest-acodb's built-in migration checks as test items",
        ini_type="bool",
    ),
    Option(
        "--acodb-isolation",
        "acodb_isolation",
        "how tests are kept apart: 'clone' (default; each test gets a fresh copy of the "
        "migrated template) or 'rollback' (tests share one migrated database and each runs "
        "in a transaction that is rolled back; DDL and PRAGMA changes are refused)",
        choices=ISOLATIONS,
    ),
    Option(
        "--acodb-reuse-template",
        "acodb_reuse_template",
        "keep the migrated template in pytest's cache directory, keyed by the migrations' "
        "checksums, so later runs with unchanged migrations migrate nothing",
        ini_type="bool",
    ),
    Option(
        "--acodb-database",
        "acodb_database",
        "with --acodb-check-migrations: also validate this existing database (sqlx URL, e.g. "
        "sqlite:prod-copy.db) against the migrations directory, one item per problem",
        metavar="URL",
    ),
    Option(
        "--acodb-seed",
        "acodb_seed",
        "run seed of factory and Faker data (default: random, printed in the header); each "
        "test's data is seeded from it and the test's node id, so --acodb-seed N replays a run",
        metavar="N",
    ),
    Option(
        "--acodb-keep-failed",
        "acodb_keep_failed",
        "keep the database of each failed test as a file and print its path in the failure "
        "report (like sqlx's test macro)",
        ini_type="bool",
    ),
    Option(
        "--acodb-keep-secrets",
        "acodb_keep_secrets",
        "with --acodb-keep-failed: keep the values of secret configurations (rows whose "
        "is_secret is true) in the kept databases; by default they are replaced by '***'",
        ini_type="bool",
    ),
    Option(
        "--acodb-check-kinds",
        "acodb_check_kinds",
        "with --acodb-check-migrations: run only these check kinds (comma-separated, e.g. "
        "round_trip,data_survives; default: all)",
        metavar="KINDS",
    ),
    Option(
        "--acodb-severity",
        "acodb_severity",
        "grade checks and lints: comma-separated NAME=error|warn|off, NAME a check kind or a "
        "lint name (e.g. fk_index=off,duplicate_index=error); warn shows in the warnings "
        "summary instead of failing, off drops the item",
        metavar="NAME=LEVEL,...",
    ),
    Option(
        "--acodb-skip-versions",
        "acodb_skip_versions",
        "migration versions the checks leave out (comma-separated)",
        metavar="V,...",
    ),
    Option(
        "--acodb-min-downgrade-version",
        "acodb_min_downgrade_version",
        "lowest version that must be reversible: round_trip fails for a migration from this "
        "version up that has no down script (below it, a missing down script is a skip)",
        metavar="V",
    ),
    Option(
        "--acodb-irreversible",
        "acodb_irreversible",
        "versions that are irreversible on purpose (comma-separated): their round_trip and the "
        "no_trace check are skipped with that reason",
        metavar="V,...",
    ),
    Option(
        "--acodb-sqlite-driver",
        "acodb_sqlite_driver",
        "the DB-API driver every database of the kit is opened with: 'sqlean' (default; the "
        "sqlean-py package: SQLite 3.50 with extension loading, as new as the SQLite sqlx "
        "bundles) or 'sqlite3' (the standard library's, linked against the system SQLite)",
        choices=DRIVER_NAMES,
        metavar="NAME",
    ),
    Option(
        "--acodb-sqlite-extension",
        "acodb_sqlite_extensions",
        "a SQLite extension loaded into every connection the kit opens (repeat the option; in "
        "the ini file one per line): an importable module with load(connection), as the "
        "sqlite-vec and sqlite-ulid packages have, or the path of a loadable library",
        ini_type="linelist",
        metavar="NAME",
    ),
    Option(
        "--acodb-value",
        "acodb_values",
        "a value the kit's synthesised rows take for a column (repeat the option, one value "
        "each, commas included; in the ini file one per line): table.column = value, or "
        "*.column = value for every table; the value is read as 12, 1.5, NULL, 'quoted text' "
        "or the text as written",
        ini_type="linelist",
        metavar="TABLE.COLUMN=VALUE",
    ),
    Option(
        "--acodb-fixtures",
        "acodb_fixtures",
        "project-wide folder of SQL fixture files for @pytest.mark.acodb(fixtures=[NAME, ...]): "
        "NAME.sql there when there is no fixtures/NAME.sql beside the test (an ini path is "
        "relative to the rootdir)",
        metavar="DIR",
    ),
    Option(
        "--acodb-metadata",
        "acodb_metadata",
        "SQLAlchemy MetaData to compare with the migrated schema (models_match check), as "
        "package.module:Base.metadata",
        metavar="SPEC",
    ),
)


@dataclass(frozen=True)
class AcodbSettings:
    """Resolved settings. ``migrations`` is ``None`` for the bundled directory."""

    migrations: Path | None
    backend: str
    check_migrations: bool
    database: str | None = None
    isolation: str = "clone"
    reuse_template: bool = False
    check_kinds: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    skip_versions: tuple[int, ...] = ()
    min_downgrade_version: int | None = None
    irreversible: tuple[int, ...] = ()
    metadata: str | None = None
    seed: int | None = None
    keep_failed: bool = False
    keep_secrets: bool = False
    sqlite_driver: str | None = None
    sqlite_extensions: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    fixtures: Path | None = None


SETTINGS_KEY = pytest.StashKey[AcodbSettings]()


def _raw(config: pytest.Config, option: Option) -> tuple[Any, str]:
    """The value of ``option`` and where it came from (``"option"``, ``"ini"`` or ``""``)."""
    value = config.getoption(option.dest, default=None)
    if value is not None:
        return value, "option"
    ini = config.getini(option.dest)
    if ini not in (None, "", []):
        return ini, "ini"
    return None, ""


def resolve(config: pytest.Config) -> AcodbSettings:
    """Resolve every option; raises ``pytest.UsageError`` for a bad value."""
    values: dict[str, Any] = {}
    for option in OPTIONS:
        value, origin = _raw(config, option)
        if option.choices and value is not None and value not in option.choices:
            where = option.flag if origin == "option" else f"ini key {option.dest}"
            raise pytest.UsageError(
                f"{where}: {value!r} is not allowed; use one of: {', '.join(option.choices)}"
            )
        values[option.dest] = (value, origin)
    migrations, origin = values["acodb_migrations"]
    path: Path | None = None
    if migrations is not None:
        base = config.invocation_params.dir if origin == "option" else config.rootpath
        path = (Path(base) / str(migrations)).resolve()
        if not path.is_dir():
            what = "does not exist" if not path.exists() else "is not a directory"
            raise pytest.UsageError(
                f"--acodb-migrations / ini acodb_migrations: {path} {what}; pass the directory "
                "that holds your sqlx migrations (<VERSION>_<DESCRIPTION>.sql files)"
            )
    return AcodbSettings(
        migrations=path,
        backend=values["acodb_backend"][0] or "memory",
        check_migrations=bool(values["acodb_check_migrations"][0]),
        database=values["acodb_database"][0],
        isolation=values["acodb_isolation"][0] or "clone",
        reuse_template=bool(values["acodb_reuse_template"][0]),
        check_kinds=_kinds(values["acodb_check_kinds"][0]),
        severity=_severity(values["acodb_severity"][0]),
        skip_versions=_versions("acodb_skip_versions", values["acodb_skip_versions"][0]),
        min_downgrade_version=next(
            iter(
                _versions("acodb_min_downgrade_version", values["acodb_min_downgrade_version"][0])
            ),
            None,
        ),
        irreversible=_versions("acodb_irreversible", values["acodb_irreversible"][0]),
        metadata=values["acodb_metadata"][0],
        seed=_seed(values["acodb_seed"][0]),
        keep_failed=bool(values["acodb_keep_failed"][0]),
        keep_secrets=bool(values["acodb_keep_secrets"][0]),
        sqlite_driver=values["acodb_sqlite_driver"][0],
        sqlite_extensions=_lines(values["acodb_sqlite_extensions"][0]),
        values=_values(*values["acodb_values"]),
        fixtures=_folder(config, *values["acodb_fixtures"]),
    )


def _values(value: list[str] | None, origin: str) -> tuple[str, ...]:
    """The ``table.column = value`` lines, checked (``pytest.UsageError`` for a bad one). An
    ``--acodb-value`` option holds one value, commas and ``=`` included (an ini line may hold
    several, cut at commas): an option's value with another ``=`` in it is quoted, so that
    it is read whole, as text."""
    from ..errors import AcodbError
    from ..synth.values import ValueProviders

    lines = _lines(value)
    if origin == "option":
        lines = tuple(_one_value(line) for line in lines)
    try:
        ValueProviders.from_lines(lines)
    except AcodbError as error:
        raise pytest.UsageError(str(error)) from None
    return lines


def _one_value(entry: str) -> str:
    """An ``--acodb-value`` entry as an ini line that holds just it (see :func:`_values`)."""
    key, eq, text = entry.partition("=")
    text = text.strip()
    if not eq or "=" not in text or (len(text) > 1 and text[0] == text[-1] == "'"):
        return entry
    quoted = text.replace("'", "''")
    return f"{key} = '{quoted}'"


def _folder(config: pytest.Config, value: str | None, origin: str) -> Path | None:
    """A folder setting as an absolute path: an option relative to the invocation directory, an
    ini value relative to the rootdir."""
    if value is None:
        return None
    base = config.invocation_params.dir if origin == "option" else config.rootpath
    return (Path(base) / str(value)).resolve()


def _lines(value: list[str] | None) -> tuple[str, ...]:
    """Entries of a list setting (repeated option or ini lines), blanks dropped, in order."""
    return tuple(v.strip() for v in value or () if v.strip())


def _words(value: str | None) -> list[str]:
    """Split an option or ini value on commas and whitespace."""
    return (value or "").replace(",", " ").split()


def _versions(dest: str, value: str | None) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in _words(value))
    except ValueError:
        raise pytest.UsageError(
            f"{dest} = {value!r}: give whole numbers (migration versions such as 20250115000003)"
        ) from None


SEED_MAX = 2**64 - 1
"""The largest run seed: seeds are 0 to 2**64 - 1, like the 64-bit per-test seeds."""


def _seed(value: str | None) -> int | None:
    words = _words(value)
    if not words:
        return None
    if len(words) == 1 and words[0].isascii() and words[0].isdigit() and int(words[0]) <= SEED_MAX:
        return int(words[0])
    raise pytest.UsageError(
        f"acodb_seed = {value!r}: give one whole number from 0 to {SEED_MAX} (the seed printed "
        "in the header of the run to replay)"
    )


def _kinds(value: str | None) -> tuple[str, ...]:
    from ..checks.base import CHECK_KINDS

    kinds = tuple(_words(value))
    unknown = sorted(set(kinds) - set(CHECK_KINDS))
    if unknown:
        raise pytest.UsageError(
            f"acodb_check_kinds: unknown kind(s) {', '.join(unknown)}; choose from "
            f"{', '.join(CHECK_KINDS)}"
        )
    return kinds


def _severity(value: str | None) -> dict[str, str]:
    from ..checks.severity import SEVERITY_KEYS

    levels = {}
    for item in _words(value):
        name, sep, level = item.partition("=")
        if not sep or level not in ("error", "warn", "off"):
            raise pytest.UsageError(
                f"acodb_severity: {item!r} must be NAME=error, NAME=warn or NAME=off"
            )
        if name not in SEVERITY_KEYS:
            raise pytest.UsageError(
                f"acodb_severity: unknown check kind or lint {name!r}; use one of "
                f"{', '.join(SEVERITY_KEYS)}"
            )
        levels[name] = level
    return levels
