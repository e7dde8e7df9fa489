"""Lints: mistakes visible in the files and the final schema, reported with file and line.

Each problem becomes one ``lint[<name>:<thing>]`` item (``thing``: a file name, ``table.column``
or an index name) whose check raises :class:`~pytest_acodb.errors.CheckFailure`; ``plan`` turns
it into a :class:`~pytest_acodb.errors.CheckWarning` when the lint's severity is ``"warn"``
(:data:`LINT_SEVERITY`, overridable per name). Duplicate versions, names sqlx ignores and down
files with no up file are reported by ``source[...]``: sqlx refuses or skips them before any lint
could read the directory.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import CheckFailure, CheckWarning, SourceError
from ..migrate import Migration, MigrationSource, MigrationType, parse_filename
from ..migrate.migrator import reopens
from ..migrate.sql import NO_TX_MARKER, split_statements, transaction_control
from ..migrate.statements import Action, actions
from ..schema import Index, Schema
from .base import foreign_keys
from .seeding import dropped_parents, reverted, seeded_run
from .walk import Walk

_TRANSACTION_WORDS = re.compile(
    r"\b(?:PRAGMA|VACUUM|BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT)\b|no[-_ ]?transaction", re.I
)
"""Words without which a script has nothing for the transaction lints to read."""
_MARKER = re.compile(r"^\ufeff?[ \t]*--[ \t]*no[-_ ]?transaction\b", re.I | re.M)
_OFF = {"OFF", "0", "FALSE", "NO"}
_ON = {"ON", "1", "TRUE", "YES"}


@dataclass(frozen=True)
class Problem:
    """One lint finding: ``lint`` (a key of :data:`LINT_SEVERITY`), ``thing`` (file name,
    ``table.column`` or index name) and ``message`` (``file:line: what; what to do``).
    ``version`` and ``down``: the migration and the script (its down file or not) it is about;
    ``judged``: true when whether it matters is judged on the seeded history
    (:func:`judge_tx_pragma`) rather than known from the file alone."""

    lint: str
    thing: str
    message: str
    version: int | None = None
    down: bool = False
    judged: bool = False

    @property
    def subject(self) -> str:
        """The item subject, ``<lint>:<thing>``."""
        return f"{self.lint}:{self.thing}"


def _scripts(m: Migration) -> Iterator[tuple[Path, str, bool]]:
    """The up file and, when there is one, the down file of ``m``, with their text and whether
    it is the down file."""
    yield m.path, m.sql, False
    if m.down_path is not None and m.down_sql is not None:
        yield m.down_path, m.down_sql, True


def _file_name(source: MigrationSource) -> Iterator[Problem]:
    for path in sorted(source.directory.iterdir()):
        try:
            parsed = parse_filename(path.name)
        except SourceError:  # sqlx rejects it: resolve() already failed on it
            continue
        match = re.search(r"\.(up|down)\.sql$", path.name, re.I)
        if parsed and parsed.migration_type is MigrationType.SIMPLE and match:
            fixed = path.name[: match.start()] + f".{match.group(1).lower()}.sql"
            yield Problem(
                "file_name",
                path.name,
                f"{path.name}:1: sqlx reads this as a simple "
                f"migration described '{parsed.description}' (the .up.sql/.down.sql "
                f"suffixes are case-sensitive); rename it to {fixed}",
            )


def _transaction_lints(
    path: Path, sql: str, version: int | None = None, down: bool = False
) -> Iterator[Problem]:
    """``tx_pragma``, ``tx_control``, ``pragma_left_set`` and ``no_tx_marker`` for one script
    (of migration ``version``; ``down``: its down file). A ``COMMIT`` ends the transaction the
    statements after it run in, sqlx's own included: a ``PRAGMA foreign_keys = OFF`` after it
    works."""
    no_tx = sql.startswith(NO_TX_MARKER)
    if not _TRANSACTION_WORDS.search(sql):
        return
    inside = not no_tx  # sqlx's own transaction, or an explicit BEGIN in a no-transaction file
    wrong: list[str] = []
    always = False  # something wrong wherever it runs (VACUUM fails)
    fk_off: Action | None = None
    legacy: Action | None = None
    for a in actions(sql):
        where = f"{path.name}:{a.line}"
        if a.verb in ("BEGIN", "SAVEPOINT"):
            inside = True
        elif a.verb in ("COMMIT", "END", "ROLLBACK") and "TO" not in a.text.upper():
            inside = False
        elif a.verb == "VACUUM" and inside:
            always = True
            wrong.append(
                f"{where}: VACUUM fails inside a transaction (cannot VACUUM from within "
                "a transaction); run it from the application, or in a "
                "`-- no-transaction` migration outside BEGIN ... COMMIT"
            )
        elif a.verb == "PRAGMA" and a.name == "journal_mode" and a.value and inside:
            wrong.append(
                f"{where}: PRAGMA journal_mode cannot switch to or from WAL inside a "
                "transaction; set it in the connection options (sqlx's "
                "SqliteConnectOptions::journal_mode) instead"
            )
        elif a.verb == "PRAGMA" and a.name == "foreign_keys" and a.value in _OFF | _ON:
            if inside and a.value in _OFF:
                wrong.append(
                    f"{where}: PRAGMA foreign_keys = {a.value} has no effect inside a "
                    "transaction"
                    + ("" if no_tx else ", and sqlx runs this file in one")
                    + ", so a DROP TABLE still cascades into child tables; make "
                    "`-- no-transaction` the first line and turn foreign keys off "
                    "before BEGIN"
                )
            elif not inside:
                fk_off = a if a.value in _OFF else None
        elif a.verb == "PRAGMA" and a.name == "legacy_alter_table" and a.value:
            legacy = a if a.value in _ON else None
    if wrong:
        yield Problem("tx_pragma", path.name, "; ".join(wrong), version, down, not always)
    statements = [] if no_tx else split_statements(sql)
    if statements and reopens(statements):
        first = next(st for st in statements if transaction_control(st))
        yield Problem(
            "tx_control",
            path.name,
            f"{path.name}:{first.line}: commits sqlx's transaction early and opens another "
            "(the workaround of sqlx issue #2085), so when a later statement fails, what ran "
            "before the COMMIT stays committed and no row records it; make "
            f"`{NO_TX_MARKER}` the first line instead (sqlx 0.7 and later)",
            version,
            down,
        )
    left = [
        f"{path.name}:{a.line}: PRAGMA {a.name} = {a.value} is still in force when the "
        f"migration ends; end the file with PRAGMA {a.name} = {back}"
        for a, back in ((fk_off, "ON"), (legacy, "OFF"))
        if a is not None
    ]
    if left:
        yield Problem(
            "pragma_left_set",
            path.name,
            "; ".join(left) + " (sqlx runs migrations on "
            "a connection of the application's pool and hands it back as it is)",
        )
    marker = None if no_tx else _MARKER.search(sql)
    if marker:
        line = sql.count("\n", 0, marker.start()) + 1
        yield Problem(
            "no_tx_marker",
            path.name,
            f"{path.name}:{line}: "
            f"'{marker.group(0).strip()}' is not at the very start of the file, "
            f"so sqlx runs this migration in a transaction anyway; make "
            f"'{NO_TX_MARKER}' the first bytes of the file (no blank line, comment or "
            "BOM before it)",
        )


def _line_endings(path: Path) -> Iterator[Problem]:
    data = path.read_bytes()
    notes = ["it starts with a UTF-8 BOM"] if data.startswith(b"\xef\xbb\xbf") else []
    if b"\r" in data:
        line = data.count(b"\n", 0, data.index(b"\r")) + 1
        notes.append(f"line {line} ends with a carriage return (CRLF)")
    if notes:
        yield Problem(
            "line_endings",
            path.name,
            f"{path.name}:1: {' and '.join(notes)}; sqlx's "
            "checksum covers these bytes, so a checkout with other line endings "
            "(git autocrlf) looks modified to every database it migrated; save it as "
            "UTF-8 with LF and add `*.sql -text` to .gitattributes",
        )


TIMESTAMP_DIGITS = 14
"""Digits of the versions ``sqlx migrate add`` makes by default (``YYYYMMDDHHMMSS``)."""


def _version_width(migrations: list[Migration]) -> list[Problem]:
    """``version_width``: in a directory whose versions are timestamps (two or more of
    :data:`TIMESTAMP_DIGITS` digits), a version of 10 or more digits but not that many, which
    sqlx orders as a number, so out of its timestamp's place (a digit dropped or added)."""
    stamped = [m for m in migrations if len(str(m.version)) == TIMESTAMP_DIGITS]
    if len(stamped) < 2:
        return []
    found = []
    for m in migrations:
        digits = len(str(m.version))
        if digits < 10 or digits == TIMESTAMP_DIGITS:
            continue
        where = "before" if digits < TIMESTAMP_DIGITS else "after"
        found.append(
            Problem(
                "version_width",
                m.path.name,
                f"{m.path.name}:1: version {m.version} has {digits} digits where "
                f"{len(stamped)} others have {TIMESTAMP_DIGITS} (timestamps): sqlx orders "
                f"versions as numbers, so it runs {where} every one of them; if no database "
                f"has applied it yet, give it its {TIMESTAMP_DIGITS}-digit timestamp (a "
                "database that has must keep the version it applied)",
            )
        )
    return found


def file_problems(source: MigrationSource, skip_versions: Collection[int] = ()) -> list[Problem]:
    """The lints that read the files of ``source`` (those of ``skip_versions`` left out), in
    file order; reads each file's bytes once for ``line_endings``."""
    problems = list(_file_name(source))
    kept = [m for m in source if m.version not in skip_versions]
    for m in kept:
        if m.migration_type is MigrationType.REVERSIBLE_UP and m.down_path is None:
            problems.append(
                Problem(
                    "missing_down",
                    m.path.name,
                    f"{m.path.name}:1: an .up.sql "
                    f"file with no {m.label}.down.sql: `sqlx migrate revert` "
                    "stops here; add the down file (or rename this one to "
                    f"{m.label}.sql if it can never be reverted)",
                )
            )
        if m.down_path is not None and m.down_sql is not None and not split_statements(m.down_sql):
            problems.append(
                Problem(
                    "empty_down",
                    m.down_path.name,
                    f"{m.down_path.name}:1: "
                    "holds no statement, so reverting this migration only deletes "
                    "its row and leaves everything the up file did; write the "
                    "statements that undo it",
                )
            )
        for path, sql, down in _scripts(m):
            problems += _transaction_lints(path, sql, m.version, down)
            problems += _line_endings(path)
    problems += _version_width(kept)
    simple = [m for m in kept if m.migration_type is MigrationType.SIMPLE]
    if simple and len(simple) < len(kept):
        names = ", ".join(m.path.name for m in simple[:5]) + (" ..." if len(simple) > 5 else "")
        problems.append(
            Problem(
                "mixed_types",
                source.directory.name,
                f"{simple[0].path.name}:1: "
                f"{len(simple)} simple migration(s) ({names}) among reversible "
                "ones: `sqlx migrate revert` skips a simple migration and goes on "
                "reverting older ones under it, leaving its changes in place; make "
                "every migration reversible (sqlx migrate add -r) or none",
            )
        )
    return problems


@dataclass(frozen=True)
class Creations:
    """Where names are created (:func:`_creations`): ``found``, ``{(what, kind, lower-cased
    name): (position, "file:line")}``; ``positions``, ``{up file name: position}``."""

    found: dict[tuple[str, str, str], tuple[int, str]]
    positions: dict[str, int]


def _created(
    source: MigrationSource, found: Creations, kind: str, name: str, column_add: bool = False
) -> str:
    """``file:line`` of the newest statement that creates ``kind`` ``name`` (a ``CREATE``, a
    ``RENAME TO`` it, or with ``column_add`` an ``ALTER TABLE name ADD ... REFERENCES``), from
    ``found`` (:func:`_creations` of ``source``)."""
    low = name.lower()
    keys = [("CREATE", kind, low), ("RENAME", "", low)] + (
        [("REFERENCES", "", low)] if column_add else []
    )
    hits = [found.found[k] for k in keys if k in found.found]
    return max(hits)[1] if hits else source.directory.name


def _creations(source: MigrationSource) -> Creations:
    """Where each name is created: the newest ``CREATE``, ``RENAME TO`` and ``ADD ...
    REFERENCES`` of every name, by position in the directory, read in one pass (files that
    create nothing are not tokenized)."""
    found: dict[tuple[str, str, str], tuple[int, str]] = {}
    for order, m in enumerate(source.migrations):
        upper = m.sql.upper()
        if "CREATE" not in upper and "ALTER" not in upper:
            continue
        for a in actions(m.sql):
            where = (order * 1_000_000 + a.line, f"{m.path.name}:{a.line}")
            if a.verb == "CREATE" and a.kind:
                found[("CREATE", a.kind, a.name.lower())] = where
            elif a.verb == "ALTER" and a.new_name:
                found[("RENAME", "", a.new_name.lower())] = where
            elif a.verb == "ALTER" and "REFERENCES" in a.text.upper():
                found[("REFERENCES", "", a.name.lower())] = where
    return Creations(found, {m.path.name: i for i, m in enumerate(source.migrations)})


def _covered(schema: Schema, table: str, columns: tuple[str, ...]) -> bool:
    """True when an index of ``table`` (not partial) starts with ``columns``, in any order, or
    they are its INTEGER PRIMARY KEY (the rowid)."""
    want = {c.lower() for c in columns}
    alias = schema.tables[table].rowid_alias
    if alias is not None and want == {alias.lower()}:
        return True
    return any(
        i.table == table
        and i.where is None
        and {c.lower() for c in i.columns[: len(columns)]} == want
        for i in schema.indexes.values()
    )


def _fk_index(source: MigrationSource, schema: Schema, found: Creations) -> Iterator[Problem]:
    told: set[tuple[str, tuple[str, ...]]] = set()  # a key declared twice is one problem
    for subject, (child, fk) in foreign_keys(schema).items():
        columns = (child.lower(), tuple(c.lower() for c in fk.columns))
        if columns in told or _covered(schema, child, fk.columns):
            continue
        told.add(columns)
        cols = ", ".join(fk.columns)
        yield Problem(
            "fk_index",
            subject,
            f"{_created(source, found, 'TABLE', child, True)}: "
            f"{child}({cols}) references {fk.parent} but no index starts with it, so "
            f"each DELETE or key change on {fk.parent} scans all of {child}; add "
            f"CREATE INDEX idx_{child}_{'_'.join(fk.columns)} ON {child}({cols})",
        )


def _duplicate_index(
    source: MigrationSource, schema: Schema, found: Creations
) -> Iterator[Problem]:
    """Indexes with the same table, keys (column or expression, order, collation),
    uniqueness and WHERE as an earlier one (automatic indexes count as earliest)."""
    shape = {
        key: (index.table.lower(), index.keys, index.unique, index.where)
        for key, index in schema.indexes.items()
    }
    seen: dict[tuple[object, ...], Index] = {}
    where: dict[str, str] = {}
    for key in sorted(shape, key=lambda k: _rank(source, found, schema.indexes[k], where)):
        index = schema.indexes[key]
        first = seen.setdefault(shape[key], index)
        if first is index or index.origin != "c":
            continue
        at = where[index.name]
        cols = ", ".join(k.column or k.expression or "<expr>" for k in index.keys)
        yield Problem(
            "duplicate_index",
            index.name,
            f"{at}: index {index.name} on "
            f"{index.table}({cols}) duplicates {first.name} ({where[first.name]}): same "
            "table, columns, uniqueness and WHERE, so every write maintains both and "
            f"queries use one; drop {index.name} in a new migration",
        )


def _rank(
    source: MigrationSource, found: Creations, index: Index, where: dict[str, str]
) -> tuple[bool, int, int, str]:
    """Sort key putting automatic indexes first, then indexes by creating file and line."""
    kind, name = ("TABLE", index.table) if index.origin != "c" else ("INDEX", index.name)
    at = where.setdefault(index.name, _created(source, found, kind, name))
    file, _, line = at.rpartition(":")
    order = found.positions.get(file, -1)
    return index.origin == "c", order, int(line) if line.isdigit() else 0, index.name


def schema_problems(source: MigrationSource, schema: Schema) -> list[Problem]:
    """``fk_index`` and ``duplicate_index`` on ``schema``, the schema after the last migration
    that applied."""
    found = _creations(source)
    return [*_fk_index(source, schema, found), *_duplicate_index(source, schema, found)]


def judge_tx_pragma(walk: Walk, problem: Problem) -> None:
    """Whether the ``PRAGMA foreign_keys = OFF`` that does nothing inside the transaction of
    ``problem`` (a judged ``tx_pragma``) mattered (a ``journal_mode`` that does nothing there is
    a :class:`CheckWarning`: the data is unharmed): it fails (:class:`CheckFailure`) when the
    script drops a table other tables reference and, on the rows of the seeded history, the
    script then fails or those tables lose rows; otherwise the no-op is harmless here and the
    problem is a :class:`CheckWarning` saying why."""
    assert problem.version is not None
    subject = problem.subject
    migration = walk.source.get(problem.version)
    before, after = walk.before(problem.version), walk.after(problem.version)
    if migration is None or before is None or after is None:
        raise CheckFailure(problem.message, check="lint", subject=subject)
    if "PRAGMA foreign_keys" not in problem.message:  # journal_mode only: a no-op, no data harm
        raise CheckWarning(
            f"{problem.message}; harmless to the data: the database keeps its journal mode, "
            "which is right when the application sets it on its connections",
            check="lint",
            subject=subject,
        )
    script = migration.down_sql if problem.down else migration.sql
    schema = after.schema if problem.down else before.schema
    parents = dropped_parents(script or "", schema)
    if not parents:
        raise CheckWarning(
            f"{problem.message}; harmless here: no other table references the tables this "
            "file drops",
            check="lint",
            subject=subject,
        )
    children = sorted({c for cs in parents.values() for c in cs})
    if problem.down:
        result = reverted(walk, problem.version)
        run = seeded_run(walk, problem.version)
        failed = result.error is not None
        counts_before, counts_after = run.held, result.rows
    else:
        run = seeded_run(walk, problem.version)
        failed = run.error is not None
        counts_before, counts_after = run.before, run.after
    if not failed and counts_after is not None:
        now = {n.lower(): c for n, c in counts_after.items()}
        harmed = [
            c
            for c in children
            if counts_before.get(c, 0) and now.get(c.lower(), counts_before[c]) < counts_before[c]
        ]
        if not harmed:
            raise CheckWarning(
                f"{problem.message}; here it did no harm: the rows of "
                f"{', '.join(children)} (which reference the dropped "
                f"{', '.join(parents)}) survived the script on seeded rows",
                check="lint",
                subject=subject,
            )
    raise CheckFailure(problem.message, check="lint", subject=subject)
