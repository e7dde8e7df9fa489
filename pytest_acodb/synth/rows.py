"""Synthesising valid rows for any table of a migrated schema, deterministically from a seed.

:class:`RowSynth` reads a :class:`~pytest_acodb.schema.Schema` and builds rows that SQLite
accepts: NOT NULL columns get values of their affinity, columns with defaults are left to the
database, keys are unique (a counter), foreign keys point to parent rows it inserts first (or to
the row itself / NULL for self references and cycles; two keys that share a column point at
parents that agree on it), and CHECK constraints steer the values: the common forms are read into
per-column rules (:mod:`~pytest_acodb.synth.rules`) and every CHECK is then met by the solver of
:mod:`~pytest_acodb.synth.solver`, which lets SQLite judge candidates mined from the expression.
Timestamps (columns named ``*_at`` or typed TIMESTAMP/DATETIME) are RFC 3339 text such as
``2025-01-15T12:00:00.000Z``, or a Julian day number in an INTEGER or REAL column, which every
SQLite date function reads as a date in 2025 (and ``'unixepoch'`` as one in 1970).

What the schema does not say comes from elsewhere: values the project supplies per
``table.column`` (:class:`~pytest_acodb.synth.values.ValueProviders`, never second-guessed);
references a trigger enforces by raising (``WHEN NOT EXISTS (SELECT 1 FROM users WHERE id =
NEW.user_id) ... RAISE``), treated as foreign keys; and what the migration history says
(:class:`~pytest_acodb.synth.hints.Hints`: columns a later migration makes foreign keys, columns
read as JSON). Virtual tables and their shadow tables (FTS5's ``*_data``, ``*_idx``...) are never
seeded: their rows follow from the tables they index. When no row can be made,
:class:`~pytest_acodb.errors.SynthesisError` names the constraint or trigger that refuses them;
no message shows a row's values.
"""

from __future__ import annotations

import contextlib
import math
import re
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ..db import driver as drivers
from ..errors import AcodbError, RowError, SynthesisError
from ..migrate import quote
from ..schema import Column, ForeignKey, Schema, Table
from ..schema.parse import raise_guards
from .hints import NO_HINTS, Hints
from .rules import _NONE, Rule, check_rules, digits, table_checks, value_lists
from .solver import Solver, affine, shift
from .values import ValueProviders

__all__ = [
    "Hints",
    "RowSynth",
    "Rule",
    "ValueProviders",
    "check_rules",
    "column_value",
    "table_checks",
    "timestamp",
    "value_kind",
    "value_lists",
]

BASE_TIME = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)
"""The first synthesised timestamp; later rows and later-declared columns move forward from it."""

BASE_JULIAN_DAY = 2460691
""":data:`BASE_TIME`'s date as a Julian day number: what an INTEGER timestamp column gets (plus
the row counter), a valid date for ``date()``, ``strftime()`` and their ``'unixepoch'`` form
alike, so no date function (nor an extension given its result) sees a date before year 0."""

ATTEMPTS = 8
"""Candidate rows tried before :meth:`RowSynth.insert` gives up."""


def timestamp(offset_s: int = 0) -> str:
    """RFC 3339 UTC text with milliseconds, ``offset_s`` seconds after :data:`BASE_TIME`."""
    return (BASE_TIME + timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def value_kind(column: Column) -> str:
    """The kind of value a column gets: ``integer``, ``real``, ``text``, ``blob``, ``boolean``,
    ``timestamp``, ``date`` or ``julian`` (a timestamp in an INTEGER or REAL column).

    Starts from the column's affinity (:attr:`Column.affinity
    <pytest_acodb.schema.Column.affinity>`, SQLite's one rule) and refines it by declared type
    and name: a NUMERIC ``BOOL*`` column gets 0 or 1, a NUMERIC ``TIMESTAMP`` / ``DATETIME`` column
    and a TEXT or untyped column named ``*_at`` get RFC 3339 text, a NUMERIC ``DATE`` column a
    date; other NUMERIC columns get integers; an untyped column (BLOB affinity, which stores
    values as given) gets text, a column typed ``*BLOB*`` bytes.
    """
    affinity, t, name = column.affinity, column.type.upper(), column.name.lower()
    stamp = name.endswith("_at") or "TIME" in t or "DATE" in t
    if affinity in ("INTEGER", "REAL"):
        return "julian" if stamp and "BOOL" not in t else affinity.lower()
    if affinity == "NUMERIC":
        if "BOOL" in t:
            return "boolean"
        if "TIMESTAMP" in t or "DATETIME" in t:
            return "timestamp"
        return "date" if t == "DATE" else "integer"
    untyped = affinity == "BLOB" and not t.strip()
    if (affinity == "TEXT" or untyped) and name.endswith("_at"):
        return "timestamp"
    return "blob" if affinity == "BLOB" and not untyped else "text"


# -- values -----------------------------------------------------------------------------------


def _number(rule: Rule, n: int, integer: bool) -> int | float:
    lo, hi = rule.lo, rule.hi
    if integer:
        lo = None if lo is None else (math.floor(lo) + 1 if rule.lo_open else math.ceil(lo))
        hi = None if hi is None else (math.ceil(hi) - 1 if rule.hi_open else math.floor(hi))
        if lo is not None and hi is not None:
            return int(lo + n % max(hi - lo + 1, 1))
        return int(lo + n - 1 if lo is not None else hi - n + 1 if hi is not None else n)
    if lo is not None and hi is not None:
        return lo + (hi - lo) * ((n % 97) + 1) / 99
    return lo + n + 0.5 if lo is not None else hi - n - 0.5 if hi is not None else n + 0.5


def _text(core: str, n: int, rule: Rule) -> str:
    if rule.len_hi is not None and len(core) > rule.len_hi:
        core = _base36(n)[-rule.len_hi :] if rule.len_hi > 0 else ""
    if rule.len_lo is not None and len(core) < rule.len_lo:
        core += "x" * (rule.len_lo - len(core))
    return core


def _base36(n: int) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = alphabet[r] + out
        if not n:
            return out


def column_value(column: Column, rule: Rule, n: int, attempt: int = 0, position: int = 0) -> Any:
    """A value for ``column`` satisfying ``rule``: row counter ``n`` makes it unique, ``attempt``
    picks another candidate, ``position`` (the column's index) orders timestamps in a row."""
    if rule.equals is not _NONE:
        return rule.equals
    if rule.allowed:
        pool = [v for v in rule.allowed if v not in rule.excluded] or list(rule.allowed)
        return pool[n % len(pool)]
    kind = {"integer": "integer", "real": "real", "text": "text", "blob": "blob"}.get(
        rule.sqltype or "", value_kind(column)
    )
    if kind == "blob" and (rule.lo is not None or rule.hi is not None):
        kind = "integer"  # a BLOB column keeps numbers as numbers
    lengths = rule.len_lo is not None or rule.len_hi is not None
    if kind == "julian" and (rule.lo is not None or rule.hi is not None or lengths):
        kind = column.affinity.lower()  # the CHECK's bounds win over the date
    if rule.json:
        return "{}" if attempt % 2 == 0 else f'{{"n": {n}}}'
    value: Any
    if kind == "boolean" and rule.lo is None and rule.hi is None and not lengths:
        value = n % 2
    elif kind in ("integer", "boolean", "real"):
        # Later attempts spread columns apart, up then down, for CHECKs relating two columns.
        spread = attempt * (position + 1) * (1 if attempt % 2 else -1)
        value = digits(_number(rule, n + spread, kind != "real"), rule)
    elif kind == "timestamp":
        value = _text(timestamp(n * 60 + position), n, rule)
    elif kind == "julian":
        day = BASE_JULIAN_DAY + n % 3650 + position * (-1 if attempt % 2 else 1)
        integer = column.affinity == "INTEGER"
        value = day if integer else day + (n % 1440) / 1440
    elif kind == "date":
        # Later-declared dates fall later (earlier on odd attempts), like timestamps, for
        # CHECKs such as ends_on > starts_on.
        days = n % 2000 * 16 + position * (-1 if attempt % 2 else 1)  # within 90 years
        value = (BASE_TIME + timedelta(days=days)).strftime("%Y-%m-%d")
    elif kind == "blob":
        value = _text(f"{column.name}-{n}", n, rule).encode()
    else:
        value = _text(f"{column.name}-{n}", n, rule)
    if rule.case and isinstance(value, str):
        value = value.upper() if rule.case == "upper" else value.lower()
    for _ in range(16):
        if value not in rule.excluded:
            break
        value = value + 1 if isinstance(value, int | float) else f"{value}~"
    return value


def _unique_first(found: list[Any], token: str, lengths: list[int]) -> list[Any]:
    """Variants of the first texts of ``found`` that carry ``token`` (the row's running number),
    cut to each of ``lengths``: a pattern's instance that differs from row to row, for UNIQUE
    columns (``'http://' + token``, ``'SKU-' + token`` cut to 8)."""
    out: list[Any] = []
    for text in [v for v in found if isinstance(v, str)][:8]:
        out.append(text + token)
        out += [text[: max(n - len(token), 0)] + token for n in lengths[:3] if n > len(token)]
    return out


def candidates(
    col: Column, solver: Solver, token: str, first: list[Any], then: list[Any]
) -> list[Any]:
    """Values worth trying for ``col`` when a CHECK of ``solver`` fails, best first, at most 24,
    each with the column's affinity applied, no two alike: ``first``, then NULL when the column
    allows it, variants of the CHECKs' suggestions carrying ``token`` (so rows of a UNIQUE column
    differ, :func:`_unique_first`), the suggestions themselves, then ``then``. Shared by the row
    synthesiser and the generated factories' repairs."""
    low = col.name.lower()
    mined: list[Any] = []
    lengths: list[int] = []
    for check in solver.checks:
        mined += check.mined.get(low, ())
        lengths += check.lengths.get(low, ())
    nullable = [None] if not col.notnull and not col.pk else []
    found = [*first, *nullable, *_unique_first(mined, token, lengths), *mined, *then]
    out: list[Any] = []
    for value in found:
        value = affine(value, col.affinity)
        if value not in out or (value is None and None not in out):
            out.append(value)
    return out[:24]


# -- the synthesiser --------------------------------------------------------------------------


_CLOCK = re.compile(r"\bCURRENT_(TIMESTAMP|DATE|TIME)\b|'now'", re.IGNORECASE)
"""The words of a ``DEFAULT`` expression that read SQLite's clock."""


class RowSynth:
    """Inserts valid rows into the tables of ``schema`` over ``conn``, deterministically.

    ``conn``: a ``sqlite3`` connection to a migrated database (foreign keys on, autocommit or an
    open transaction, both work); ``schema``: its snapshot (:func:`~pytest_acodb.schema.snapshot`);
    ``seed``: the same seed gives the same rows on the same database. ``reuse_parents``: point
    foreign keys at existing parent rows when there are any instead of inserting new ones.
    ``values``: values supplied per ``table.column`` (a
    :class:`~pytest_acodb.synth.values.ValueProviders` or a plain mapping; kept as
    :attr:`providers`), used as given;
    ``hints``: what the migration history says about columns
    (:func:`~pytest_acodb.synth.hints.history_hints`).
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        schema: Schema,
        seed: int = 0,
        *,
        reuse_parents: bool = False,
        values: ValueProviders | Mapping[str, Any] | None = None,
        hints: Hints | None = None,
        now: datetime | None = None,
    ) -> None:
        self.conn = conn
        self.now = now
        """The instant a column whose ``DEFAULT`` reads the clock (``CURRENT_TIMESTAMP``,
        ``datetime('now')``...) takes, evaluated by SQLite in the default's own format, so
        the rows of a seed are the same in every run; ``None``: the database's clock."""
        self.schema = schema
        self.seed = seed
        self.reuse_parents = reuse_parents
        self.providers = values if isinstance(values, ValueProviders) else ValueProviders(values)
        self.hints = hints or NO_HINTS
        # Where this seed's running numbers start: 10,000 apart per seed, so values of nearby
        # seeds differ; bounded, so a 64-bit seed (acodb_seed's) still gives dates in range.
        self._n = seed % 1_000 * 10_000
        self._rules: dict[str, dict[str, Rule]] = {}
        self._solvers: dict[str, Solver | None] = {}
        self._implied: dict[str, dict[str, tuple[str, str]]] = {}
        self._unique: dict[str, set[str]] | None = None
        self.unseeded: dict[str, str] = {}
        """Tables :meth:`seed_all` (``lenient``) could not fill, with the reason (which
        constraint or trigger refuses the rows)."""

    # -- public ------------------------------------------------------------------------------

    def values(self, table: str, /, **overrides: Any) -> dict[str, Any]:
        """The column values :meth:`insert` would try first (inserting the parents they need).

        Columns left to their defaults are absent. Raises :class:`AcodbError` for an unknown
        table or column, or a foreign key that cannot be satisfied.
        """
        return self._values(self.table(table), self._named(table, overrides), 0, ())

    def insert(self, table: str, /, **overrides: Any) -> dict[str, Any]:
        """Insert one valid row (parents first) and return it as read back: ``{column: value}``
        for every column, defaults and the generated key included.

        ``overrides`` set columns by name (case-insensitive) and are never second-guessed, nor
        are supplied values. Raises :class:`~pytest_acodb.errors.SynthesisError` naming the
        constraint or trigger that refuses every candidate, :class:`AcodbError` for an unknown
        table or column or a statement SQLite refuses outright.
        """
        return self._insert(self.table(table), self._named(table, overrides), ())

    def seed_table(self, table: str, n: int) -> int:
        """Insert ``n`` rows into ``table``; returns ``n``. Raises like :meth:`insert`."""
        for _ in range(n):
            self.insert(table)
        return n

    def seed_all(
        self, n: int, *, exclude: tuple[str, ...] = (), lenient: bool = False
    ) -> dict[str, int]:
        """Insert ``n`` rows into every ordinary table (see :meth:`order`), parents first,
        children pointing at the existing parents; returns ``{table: rows inserted}`` in
        insertion order. Raises like :meth:`insert`, unless ``lenient``: then a table whose rows
        cannot be made keeps the rows made so far and :attr:`unseeded` says why, by table."""
        return self.seed_tables(self.order(exclude=exclude), n, lenient=lenient)

    def seed_tables(self, tables: list[str], n: int, *, lenient: bool = False) -> dict[str, int]:
        """Insert ``n`` rows into each of ``tables``, in that order (parents first: see
        :meth:`order`), children pointing at existing parents; as :meth:`seed_all` otherwise."""
        reuse, self.reuse_parents = self.reuse_parents, True
        counts: dict[str, int] = {}
        try:
            for table in tables:
                counts[table] = 0
                for _ in range(n):
                    try:
                        self.insert(table)
                    except AcodbError as exc:
                        if not lenient:
                            raise
                        self.unseeded[table] = str(exc)
                        break
                    counts[table] += 1
            return counts
        finally:
            self.reuse_parents = reuse

    def order(self, *, exclude: tuple[str, ...] = ()) -> list[str]:
        """Ordinary tables of the schema, parents before children (cycles broken by name):
        virtual tables and their shadow tables are left out."""
        skip = {n.lower() for n in exclude}
        left = {n: t for n, t in self.schema.tables.items() if t.ordinary and n.lower() not in skip}
        lowered = {n.lower(): n for n in left}
        done: list[str] = []
        while left:
            ready = [
                n
                for n, t in left.items()
                if all(
                    lowered.get(f.parent.lower(), "") not in left or f.parent.lower() == n.lower()
                    for f in t.foreign_keys
                )
            ]
            for name in ready or [min(left)]:
                done.append(name)
                del left[name]
        return done

    def table(self, name: str) -> Table:
        """The table called ``name`` (case-insensitive); :class:`AcodbError` when missing."""
        found = self.schema.table(name)
        if found is None:
            raise RowError(
                f"table {name!r} is not in the schema; tables: "
                f"{', '.join(self.schema.tables) or '(none)'}",
                table=name,
                detail=tuple(self.schema.tables),
            )
        return found

    def other_value(self, table: str, column: str, current: Any) -> Any:
        """A valid value for ``table.column`` different from ``current`` (a new parent key for a
        single-column foreign key). Raises :class:`AcodbError` when the CHECKs allow no other."""
        t = self.table(table)
        col = t.column(column)
        if col is None:
            raise RowError(f"table {t.name} has no column {column!r}", table=t.name, column=column)
        fk = next((f for f in t.foreign_keys if col.name in f.columns), None)
        if fk is not None and len(fk.columns) == 1 and self.schema.table(fk.parent) is not None:
            parent = self._insert(self.table(fk.parent), {}, (t.name,))
            return parent[self._parent_columns(t, fk)[0]]
        rule = self._rules_of(t).get(col.name, Rule())
        for attempt in range(ATTEMPTS):
            value = column_value(col, rule, self._next(), attempt, t.columns.index(col))
            if value != current:
                return value
        raise RowError(
            f"{t.name}.{col.name}: its CHECK allows no other value",
            table=t.name,
            column=col.name,
            detail=current,
        )

    def where(self, table: str, row: dict[str, Any]) -> tuple[str, list[Any]]:
        """``(sql, params)`` of a WHERE clause selecting ``row`` (from :meth:`insert`): by primary
        key, or by rowid looked up once for a table without one."""
        t = self.table(table)
        if t.primary_key:
            return (
                " AND ".join(f"{quote(c)} = ?" for c in t.primary_key),
                [row[c] for c in t.primary_key],
            )
        cols = [c.name for c in t.columns if c.name in row]
        found = self.conn.execute(
            f"SELECT rowid FROM {quote(t.name)} WHERE "
            + " AND ".join(f"{quote(c)} IS ?" for c in cols)
            + " LIMIT 1",
            [row[c] for c in cols],
        ).fetchone()
        if found is None:
            raise RowError(f"no row of {t.name} matches the row given", table=t.name, detail=row)
        return "rowid = ?", [found[0]]

    @property
    def position(self) -> int:
        """The running number the next row starts from; give it to the next synthesiser of the
        same database (``synth.position = earlier.position``) so that its values never repeat
        another's by chance."""
        return self._n

    @position.setter
    def position(self, value: int) -> None:
        self._n = value

    def generated(self, table: str) -> set[str]:
        """Names of the columns of ``table`` no ``INSERT`` may name: generated (computed) ones,
        and the hidden columns of a virtual table."""
        return {c.name for c in self.table(table).columns if not c.insertable}

    # -- internals ---------------------------------------------------------------------------

    def _next(self) -> int:
        self._n += 1
        return self._n

    def _named(self, table: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
        t = self.table(table)
        named = {}
        for key, value in overrides.items():
            column = t.column(key)
            if column is None:
                raise RowError(
                    f"table {t.name} has no column {key!r}; columns: "
                    f"{', '.join(c.name for c in t.columns)}",
                    table=t.name,
                    column=key,
                )
            named[column.name] = value
        return named

    def _rules_of(self, t: Table) -> dict[str, Rule]:
        if t.name not in self._rules:
            self._rules[t.name] = check_rules(t)
        return self._rules[t.name]

    def _solver(self, t: Table) -> Solver | None:
        """The CHECK solver of ``t`` (``None`` when it has no CHECK SQLite can evaluate alone)."""
        if t.name not in self._solvers:
            solver = None
            if table_checks(t):
                solver = Solver(self.conn, t, self._defaults(t))
                solver = solver if solver.usable else None
            self._solvers[t.name] = solver
        return self._solvers[t.name]

    def _defaults(self, t: Table) -> dict[str, Any]:
        """``{lower-cased column: the value its DEFAULT gives}`` (``None`` when it cannot be
        evaluated alone or there is none)."""
        found: dict[str, Any] = {}
        for col in t.columns:
            if col.default is None:
                continue
            try:
                found[col.name.lower()] = self.conn.execute(f"SELECT {col.default}").fetchone()[0]
            except drivers.Error:
                continue
        return found

    def _parent_columns(self, t: Table, fk: ForeignKey) -> tuple[str, ...]:
        if fk.parent_columns:
            return fk.parent_columns
        parent = self.schema.table(fk.parent)
        if parent is None or not parent.primary_key:
            raise RowError(
                f"table {t.name}: foreign key ({', '.join(fk.columns)}) references "
                f"the primary key of {fk.parent}, which has none; name the parent "
                "columns in REFERENCES",
                table=t.name,
                detail=fk,
            )
        return parent.primary_key

    def _supplied(self, t: Table) -> set[str]:
        return {c.name for c in t.columns if self.providers.supplies(t.name, c.name)}

    def _insert(
        self, t: Table, overrides: dict[str, Any], stack: tuple[str, ...]
    ) -> dict[str, Any]:
        if t.shadow:
            raise RowError(
                f"{t.name} is a shadow table of a virtual table: its rows follow from the "
                "virtual table's; insert into that one instead",
                table=t.name,
            )
        last: Exception | None = None
        values: dict[str, Any] = {}
        solver = self._solver(t)
        fixed = set(overrides) | self._supplied(t)
        hopeless = 0
        for attempt in range(ATTEMPTS):
            values = self._values(t, overrides, attempt, stack)
            if solver is not None:
                values, failing = self._meet(t, solver, values, fixed, stack)
                hopeless += bool(failing)
            cols = ", ".join(quote(c) for c in values)
            sql = (
                f"INSERT INTO {quote(t.name)} ({cols}) VALUES ({', '.join('?' * len(values))})"
                if values
                else f"INSERT INTO {quote(t.name)} DEFAULT VALUES"
            )
            try:
                cursor = self.conn.execute(sql, list(values.values()))
            except drivers.IntegrityError as exc:
                last = exc
                if hopeless >= 2:
                    break
                continue
            except drivers.Error as exc:
                judged = solver is not None and solver.failing(
                    {k.lower(): v for k, v in values.items()}
                )
                if not judged and not self._insert_triggers(t):
                    raise RowError(
                        f"cannot insert a row into {t.name}: {exc}", table=t.name, detail=values
                    ) from exc
                # A CHECK or a trigger raised on this candidate (malformed JSON, a vector of
                # the wrong length for an extension's function...): another one.
                last = exc
                continue
            return self._read_back(t, values, cursor.lastrowid)
        constraint, check = self._blame(t, solver, values)
        raise SynthesisError(t.name, constraint, str(last or ""), check=check)

    def _at_now(self, default: str) -> Any:
        """What the ``DEFAULT`` expression ``default`` gives at :attr:`now` (its clock words
        replaced by that instant, SQLite evaluating the rest), or ``_NONE`` when SQLite cannot
        evaluate it apart from an insert."""
        assert self.now is not None
        stamp = self.now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        words = {"TIMESTAMP": "datetime", "DATE": "date", "TIME": "time"}

        def instead(match: re.Match[str]) -> str:
            word = match.group(1)
            return f"{words[word.upper()]}('{stamp}')" if word else f"'{stamp}'"

        try:
            return self.conn.execute(f"SELECT {_CLOCK.sub(instead, default)}").fetchone()[0]
        except drivers.Error:
            return _NONE

    def _insert_triggers(self, t: Table) -> bool:
        """True when a trigger runs on inserts into ``t`` (its body may call functions that
        raise on some values)."""
        return any(
            tr.table.lower() == t.name.lower() and tr.event in ("INSERT", "")
            for tr in self.schema.triggers.values()
        )

    def _blame(
        self, t: Table, solver: Solver | None, values: dict[str, Any]
    ) -> tuple[str, str | None]:
        """What refuses ``values`` (the last candidate of ``t``), judged from the schema, and the
        text of the CHECK when one does: a CHECK the solver still sees failing, a NOT NULL column
        left empty, a UNIQUE key a row already holds, else the table's ``RAISE`` triggers;
        ``"its constraints"`` when none of these."""
        row = {k.lower(): v for k, v in values.items()}
        if solver is not None and (failing := solver.failing(row)):
            check = solver.checks[failing[0]]
            return check.shown(), check.text
        empty = [
            c.name
            for c in t.columns
            if c.notnull
            and c.default is None
            and c.insertable
            and values.get(c.name) is None
            and c.name != t.rowid_alias
        ]
        if empty:
            return f"NOT NULL {t.name}.{empty[0]}", None
        taken = self._taken_key(t, values)
        if taken:
            pinned = [c for c in taken if self._rules_of(t).get(c, Rule()).equals is not _NONE]
            reads = (
                next((c for c in solver.checks if pinned and pinned[0].lower() in c.columns), None)
                if solver is not None
                else None
            )
            if reads is not None:
                return (
                    f"{reads.shown()} (one value of {pinned[0]}, which a row of "
                    f"{t.name} already holds: the table has room for one row)"
                ), None
            return (
                f"UNIQUE ({', '.join(taken)}) of {t.name} (a row already holds these values)",
                None,
            )
        triggers = [
            tr.name
            for tr in self.schema.triggers.values()
            if tr.table.lower() == t.name.lower()
            and tr.event == "INSERT"
            and "RAISE" in tr.sql.upper()
        ]
        if triggers:
            return f"trigger {' or '.join(triggers)}", None
        return "its constraints", None

    def failing_checks(
        self, table: str, where: str, params: list[Any], changes: Mapping[str, Any]
    ) -> list[str]:
        """The texts of the CHECKs of ``table`` that the row ``where`` selects fails once
        ``changes`` (``{column: value}``) are made to it (evaluated by SQLite, nothing written)."""
        t = self.table(table)
        solver = self._solver(t)
        if solver is None:
            return []
        cursor = self.conn.execute(f"SELECT * FROM {quote(t.name)} WHERE {where}", params)
        found = cursor.fetchone()
        if found is None:
            return []
        row = {d[0].lower(): v for d, v in zip(cursor.description, found, strict=True)}
        row.update({k.lower(): v for k, v in changes.items()})
        return [solver.checks[i].text for i in solver.failing(row)]

    def _taken_key(self, t: Table, values: dict[str, Any]) -> tuple[str, ...]:
        """The columns of a primary or unique key of ``t`` whose values in ``values`` a row
        already holds, or ``()``."""
        keys = [tuple(t.primary_key)] if t.primary_key else []
        keys += [
            i.columns
            for i in self.schema.indexes.values()
            if i.table.lower() == t.name.lower()
            and i.unique
            and i.where is None
            and "<expr>" not in i.columns
        ]
        for key in keys:
            if not key or any(c not in values or values[c] is None for c in key):
                continue
            found = self.conn.execute(
                f"SELECT 1 FROM {quote(t.name)} WHERE "
                + " AND ".join(f"{quote(c)} = ?" for c in key)
                + " LIMIT 1",
                [values[c] for c in key],
            ).fetchone()
            if found:
                return key
        return ()

    def _meet(
        self,
        t: Table,
        solver: Solver,
        values: dict[str, Any],
        fixed: set[str],
        stack: tuple[str, ...],
    ) -> tuple[dict[str, Any], tuple[int, ...]]:
        """``values`` changed by the solver so that every CHECK of ``t`` holds (columns in
        ``fixed`` untouched), and the CHECKs still failing."""
        by_lower = {c.name.lower(): c for c in t.columns}
        row = {k.lower(): v for k, v in values.items()}
        alias = t.rowid_alias
        if (
            alias
            and alias.lower() not in row
            and any(alias.lower() in c.columns for c in solver.checks)
        ):
            row[alias.lower()] = self.conn.execute(
                f"SELECT coalesce(max(rowid), 0) + 1 FROM {quote(t.name)}"
            ).fetchone()[0]

        def options(column: str, current: dict[str, Any]) -> list[Any]:
            return self._options(t, by_lower[column], current, solver, stack)

        solved, failing = solver.solve(row, {f.lower() for f in fixed}, options)
        if solved == row and not failing:
            return values, ()
        out = {c.name: solved[c.name.lower()] for c in t.columns if c.name.lower() in solved}
        return out, failing

    def _options(
        self,
        t: Table,
        col: Column,
        row: dict[str, Any],
        solver: Solver,
        stack: tuple[str, ...],
    ) -> list[Any]:
        """Values worth trying for ``col`` of ``t`` in ``row``: what its CHECKs suggest, NULL,
        a parent's key, values near the columns it is compared with, typed values."""
        low = col.name.lower()
        token = str(self._next())
        first: list[Any] = []
        if self.hints.holds_json(t.name, col.name):
            first.append(self.hints.json_text(t.name, col.name))
        parent = self._parent_of(t, col.name)
        if parent is not None:
            key = self._parent_value(parent, (*stack, t.name))
            if key is not _NONE:
                first.append(key)
        near: list[Any] = []
        for check in solver.checks:
            for a, b in check.related:
                other = b if a == low else a if b == low else None
                if other is not None and row.get(other) is not None:
                    near += [shift(row[other], 1), shift(row[other], -1), row[other]]
        rule = self._rules_of(t).get(col.name, Rule())
        position = t.columns.index(col)
        typed = [column_value(col, rule, self._next(), a, position) for a in range(4)]
        typed += [column_value(col, Rule(), self._next(), a, position) for a in range(2)]
        return candidates(col, solver, token, first, [*near, *typed])

    def _parent_of(self, t: Table, column: str) -> tuple[str, str] | None:
        """``(parent table, parent column)`` a single-column foreign key, a trigger's guard or
        the history points ``t.column`` at, or ``None``."""
        for fk in t.foreign_keys:
            if len(fk.columns) == 1 and fk.columns[0].lower() == column.lower():
                try:
                    return fk.parent, self._parent_columns(t, fk)[0]
                except AcodbError:
                    return None
        return self._implied_of(t).get(column.lower())

    def _implied_of(self, t: Table) -> dict[str, tuple[str, str]]:
        """``{lower-cased column: (parent, parent column)}`` for the columns of ``t`` that are
        no declared foreign key but that a ``RAISE`` trigger guards or a schema of the history
        declares as one, whose parent table and column exist in this schema."""
        if t.name in self._implied:
            return self._implied[t.name]
        declared = {c.lower() for fk in t.foreign_keys for c in fk.columns}
        found: dict[str, tuple[str, str]] = {}
        for trigger in self.schema.triggers.values():
            if trigger.table.lower() != t.name.lower() or trigger.event not in ("INSERT", ""):
                continue
            for guard in raise_guards(trigger.text or trigger.sql):
                found.setdefault(guard.column.lower(), (guard.parent, guard.parent_column))
        for col in t.columns:
            hinted = self.hints.reference(t.name, col.name) or self._by_name(t, col)
            if hinted is not None:
                found.setdefault(col.name.lower(), hinted)
        usable = {}
        for column, (parent, parent_column) in found.items():
            table = self.schema.table(parent)
            if (
                column not in declared
                and t.column(column) is not None
                and table is not None
                and table.column(parent_column) is not None
            ):
                usable[column] = (table.name, parent_column)
        self._implied[t.name] = usable
        return usable

    def _unique_columns(self, t: Table) -> set[str]:
        """Lower-cased names of the columns of ``t`` a UNIQUE index (or key) covers alone."""
        if self._unique is None:
            self._unique = {}
            for i in self.schema.indexes.values():
                if i.unique and len(i.columns) == 1 and i.where is None:
                    self._unique.setdefault(i.table.lower(), set()).add(i.columns[0].lower())
        return self._unique.get(t.name.lower(), set())

    def _by_name(self, t: Table, col: Column) -> tuple[str, str] | None:
        """``(parent, "id")`` for a column named ``<thing>_id`` (not a key of ``t``) when a
        table ``<thing>``, ``<thing>s``, ``<thing>es`` or ``<thin>ies`` holds its rows under a
        single ``id`` primary key of the same affinity: the reference a project leaves
        undeclared but keeps."""
        low = col.name.lower()
        if not low.endswith("_id") or col.pk or len(low) <= 3:
            return None
        stem = low[:-3]
        names = (stem, f"{stem}s", f"{stem}es", f"{stem[:-1]}ies" if stem.endswith("y") else "")
        for name in names:
            parent = self.schema.table(name) if name else None
            if parent is None or parent is t or parent.primary_key != ("id",):
                continue
            key = parent.column("id")
            if key is not None and key.affinity == col.affinity:
                return parent.name, key.name
        return None

    def _parent_value(self, parent: tuple[str, str], stack: tuple[str, ...]) -> Any:
        """A value of ``parent`` (``(table, column)``) some row holds, inserting a parent row
        when none does (unless that table is already being inserted into); ``_NONE`` when
        there is none to be had."""
        table = self.schema.table(parent[0])
        if table is None or not table.ordinary:
            return _NONE
        column = table.column(parent[1])
        if column is None:
            return _NONE
        found = self._existing(table, (column.name,))
        if found is not None:
            return found[0]
        if table.name in stack:
            return _NONE
        try:
            row = self._insert(table, {}, stack)
        except AcodbError:
            return _NONE
        return row.get(column.name, _NONE)

    def _read_back(self, t: Table, values: dict[str, Any], rowid: int | None) -> dict[str, Any]:
        if t.has_rowid:
            where, params = "rowid = ?", [rowid]
        else:
            where = " AND ".join(f"{quote(c)} = ?" for c in t.primary_key)
            params = [values.get(c) for c in t.primary_key]
        cursor = self.conn.execute(f"SELECT * FROM {quote(t.name)} WHERE {where}", params)
        row = cursor.fetchone()
        if row is None:
            return dict(values)
        return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}

    def _values(
        self, t: Table, overrides: dict[str, Any], attempt: int, stack: tuple[str, ...]
    ) -> dict[str, Any]:
        n = self._next()
        rules = self._rules_of(t)
        generated = self.generated(t.name)
        alias = t.rowid_alias
        fk_columns = {c for f in t.foreign_keys for c in f.columns}
        implied = self._implied_of(t)
        unique = self._unique_columns(t)
        values: dict[str, Any] = {}
        for position, col in enumerate(t.columns):
            name = col.name
            if name in overrides or name in generated:
                continue
            if self.providers.supplies(t.name, name):
                values[name] = self.providers.value(t.name, name, n)
                continue
            if name in fk_columns:
                continue
            rule = rules.get(name, Rule())
            if name.lower() in implied and (col.notnull or col.pk or attempt < 4):
                key = self._parent_value(implied[name.lower()], (*stack, t.name))
                if key is not _NONE:
                    values[name] = key
                    continue
            # Defaults are the database's business, except when early candidates were rejected;
            # the rowid is SQLite's unless a CHECK pins it (a singleton's id = 0).
            if name == alias and rule.equals is _NONE:
                continue
            # A JSON column always gets a value (its default may be no JSON, and json_valid(NULL)
            # is 0 before SQLite 3.45).
            json_column = rule.json or self.hints.holds_json(t.name, name)
            # A UNIQUE column's default can serve one row: the application writes it.
            if (
                col.default is not None
                and name != alias
                and (col.pk or attempt < 2)
                and not json_column
                and name.lower() not in unique
            ):
                if self.now is not None and _CLOCK.search(col.default):
                    at = self._at_now(col.default)
                    if at is not _NONE:
                        values[name] = at
                continue
            # The last attempts fill every other nullable column, for CHECKs that want exactly
            # one of two columns set (the solver usually settles those first).
            if (
                col.notnull
                or col.pk
                or rule.not_null
                or json_column
                or attempt < 4
                or (attempt >= 6 and (position + attempt) % 2 == 0)
            ):
                if json_column and not rule.json and rule.allowed is None:
                    values[name] = self.hints.json_text(t.name, name)
                else:
                    values[name] = column_value(col, rule, n, attempt, position)
        values.update(overrides)
        fixed = set(overrides) | {c for c in values if self.providers.supplies(t.name, c)}
        for fk in sorted(t.foreign_keys, key=lambda f: -len(f.columns)):
            if set(fk.columns) == set(overrides):
                continue  # the caller chose this key's values, maybe pointing nowhere on purpose
            if not all(c in fixed for c in fk.columns) or overrides:
                values.update(self._reference(t, fk, values, attempt, stack))
        values.update(overrides)
        return {c.name: values[c.name] for c in t.columns if c.name in values}

    def _reference(
        self,
        t: Table,
        fk: ForeignKey,
        values: dict[str, Any],
        attempt: int,
        stack: tuple[str, ...],
    ) -> dict[str, Any]:
        """Values for the columns of ``fk``: an existing or new parent row's key, agreeing with
        the columns ``values`` already holds (set by another key sharing them), NULL where the
        columns allow it and no parent can be had."""
        cols = [t.column(n) for n in fk.columns]
        nullable = all(c is None or (not c.notnull and not c.pk) for c in cols)
        parent = self.schema.table(fk.parent)
        if parent is None:
            if nullable:
                return dict.fromkeys(fk.columns)
            raise RowError(
                f"table {t.name}: {t.name}.{','.join(fk.columns)} references table "
                f"{fk.parent}, which does not exist",
                table=t.name,
                detail=fk,
            )
        targets = self._parent_columns(t, fk)
        pinned = {
            p: values[c]
            for c, p in zip(fk.columns, targets, strict=True)
            if values.get(c) is not None
        }
        if len(pinned) == len(fk.columns):
            # set by another key that shares them: the parent must hold them too
            if (
                parent.name != t.name
                and parent.name not in stack
                and self._existing(parent, targets, pinned) is None
            ):
                with contextlib.suppress(AcodbError):  # the insert of t says what refuses it
                    self._insert(parent, pinned, (*stack, t.name))
            return {}
        if parent.name == t.name:
            if nullable:
                return dict.fromkeys(fk.columns)
            return self._self_reference(t, fk, targets, values)
        if nullable and (parent.name in stack or attempt >= 4):
            return dict.fromkeys(fk.columns)
        if pinned or (self.reuse_parents and attempt < 2) or parent.name in stack:
            found = self._existing(parent, targets, pinned)
            if found is not None:
                return dict(zip(fk.columns, found, strict=True))
            if parent.name in stack:
                if nullable:
                    return dict.fromkeys(fk.columns)
                raise SynthesisError(
                    t.name,
                    f"the NOT NULL foreign key ({', '.join(fk.columns)}) that closes the cycle "
                    f"{' -> '.join((*stack, t.name))} -> {parent.name} (insert a {parent.name} "
                    "row first, or make a column of the cycle nullable)",
                )
        try:
            row = self._insert(parent, pinned, (*stack, t.name))
        except AcodbError:
            if not nullable:
                raise
            return dict.fromkeys(fk.columns)  # e.g. a cycle closes further up: leave it NULL
        return {c: row[p] for c, p in zip(fk.columns, targets, strict=True)}

    def _self_reference(
        self, t: Table, fk: ForeignKey, targets: tuple[str, ...], values: dict[str, Any]
    ) -> dict[str, Any]:
        alias = t.rowid_alias
        for target in targets:
            if target not in values and target == alias:
                values[target] = self.conn.execute(
                    f"SELECT coalesce(max(rowid), 0) + 1 FROM {quote(t.name)}"
                ).fetchone()[0]
        if all(p in values or p in fk.columns for p in targets):
            own = {c: values.get(p) for c, p in zip(fk.columns, targets, strict=True)}
            if all(v is not None for v in own.values()):
                return own
        raise SynthesisError(
            t.name,
            f"the NOT NULL self reference ({', '.join(fk.columns)}), which cannot point at the "
            "row itself (pass it)",
        )

    def _existing(
        self, parent: Table, targets: tuple[str, ...], pinned: Mapping[str, Any] | None = None
    ) -> tuple[Any, ...] | None:
        """The ``targets`` of an existing ``parent`` row (one with the ``pinned`` values), picked
        by the running number, or ``None`` when there is none."""
        cols = ", ".join(quote(c) for c in targets)
        where = " AND ".join(f"{quote(c)} = ?" for c in pinned or {}) or "1"
        params = list((pinned or {}).values())
        count = self.conn.execute(
            f"SELECT count(*) FROM {quote(parent.name)} WHERE {where}", params
        ).fetchone()[0]
        if not count:
            return None
        row = self.conn.execute(
            f"SELECT {cols} FROM {quote(parent.name)} WHERE {where} ORDER BY {cols} "
            "LIMIT 1 OFFSET ?",
            (*params, self._n % count),
        ).fetchone()
        return tuple(row) if row is not None else None
