"""What the pytest door adds to an engine error: the option, ini key or marker that helps.

The engine's messages say what happened and what to do in its own words, naming no door's
flags (see :mod:`pytest_acodb.errors`); :func:`hint` picks this door's words by the error's type,
never by its text, and :func:`describe` joins the two for a failure report. The command line
has its own (``pytest_acodb.cli.hint``).
"""

from __future__ import annotations

from ..errors import (
    MigrateError,
    SeverityError,
    SourceDirectoryError,
    SqliteUrlError,
    TargetNotFoundError,
    TargetTooOldError,
)


def _setting(dest: str) -> str:
    """``--acodb-x (ini key acodb_x)`` for the option whose ini key is ``dest``, read from the
    one list of options."""
    from .settings import OPTIONS

    flag = next((o.flag for o in OPTIONS if o.dest == dest), "--" + dest.replace("_", "-"))
    return f"{flag} (ini key {dest})"


def hint(error: BaseException) -> str | None:
    """The pytest door's words for ``error``, or ``None`` when the engine's message says it
    all."""
    if isinstance(error, SourceDirectoryError):
        return f"set {_setting('acodb_migrations')} to the migrations directory"
    if isinstance(error, SqliteUrlError):
        return f"check the URL given to {_setting('acodb_database')}"
    if isinstance(error, TargetNotFoundError):
        return "for acodb_migrator, give @pytest.mark.acodb(target=...) one of these versions"
    if isinstance(error, TargetTooOldError):
        return f"acodb_migrator.down({error.target}) goes back to it"
    if isinstance(error, SeverityError):
        return f"check {_setting('acodb_severity')}"
    if isinstance(error, MigrateError) and error.needs == "newer-sqlite":
        return (
            f"the default driver has SQLite 3.50: {_setting('acodb_sqlite_driver')} = sqlean "
            "(pip install sqlean-py)"
        )
    if isinstance(error, MigrateError) and error.needs == "extension":
        return (
            f"list the extension in {_setting('acodb_sqlite_extensions')}, or register the "
            "function in a pytest_acodb_connect(connection) hook in conftest.py"
        )
    return None


def describe(error: BaseException) -> str:
    """``error``'s message followed by this door's :func:`hint`, if any."""
    extra = hint(error)
    return f"{error}; {extra}" if extra else str(error)
