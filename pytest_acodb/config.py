"""Settings of the plugin: command-line option > ini key > default, resolved once per run.

:data:`OPTIONS` is the one list of options; :mod:`pytest_acodb.plugin` registers each as a
command-line option and as an ini key named after its ``dest``. :func:`resolve` turns them into an
:class:`AcodbSettings` kept on ``config.stash[SETTINGS_KEY]``. A bad value raises
``pytest.UsageError`` saying what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

BACKENDS = ("memory", "file")
MARKER_ARGS = ("backend",)


@dataclass(frozen=True)
class Option:
    """One option: ``flag`` on the command line, ini key ``dest``, ``ini_type`` for addini."""

    flag: str
    dest: str
    help: str
    ini_type: Literal["string", "bool", "paths"] = "string"
    choices: tuple[str, ...] = ()
    metavar: str | None = None


OPTIONS: tuple[Option, ...] = (
    Option(
        "--acodb-migrations", "acodb_migrations",
        "directory of sqlx migrations to build test databases from and to check "
        "(default: the acolib migrations bundled with pytest-acodb)",
        metavar="PATH",
    ),
    Option(
        "--acodb-backend", "acodb_backend",
        "where each test's database lives: 'memory' (default) or 'file' (under pytest's tmp dir)",
        choices=BACKENDS,
    ),
    Option(
        "--acodb-check-migrations", "acodb_check_migrations",
        "collect pytest-acodb's built-in migration checks as test items",
        ini_type="bool",
    ),
    Option(
        "--acodb-database", "acodb_database",
        "with --acodb-check-migrations: also validate this existing database (sqlx URL, e.g. "
        "sqlite:prod-copy.db) against the migrations directory, one item per problem",
        metavar="URL",
    ),
)


@dataclass(frozen=True)
class AcodbSettings:
    """Resolved settings. ``migrations`` is ``None`` for the bundled directory."""

    migrations: Path | None
    backend: str
    check_migrations: bool
    database: str | None = None


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
    )


def marker_backend(marker: pytest.Mark | None, default: str) -> str:
    """The backend asked for by an ``@pytest.mark.acodb(backend=...)`` marker, else ``default``.

    Raises ``pytest.UsageError`` for positional arguments, unknown keywords or a bad backend.
    """
    if marker is None:
        return default
    unknown = sorted(set(marker.kwargs) - set(MARKER_ARGS))
    if marker.args or unknown:
        raise pytest.UsageError(
            f"@pytest.mark.acodb takes only keyword arguments {', '.join(MARKER_ARGS)}; got "
            f"{list(marker.args) + unknown}"
        )
    backend = marker.kwargs.get("backend", default)
    if backend not in BACKENDS:
        raise pytest.UsageError(
            f"@pytest.mark.acodb(backend={backend!r}): use one of {', '.join(BACKENDS)}"
        )
    return str(backend)
