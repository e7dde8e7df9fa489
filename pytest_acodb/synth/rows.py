"""Synthesising valid rows for any table of a migrated schema, deterministically from a seed.

:class:`RowSynth` reads a :class:`~pytest_acodb.schema.Schema` and builds rows that SQLite
accepts: NOT NULL columns get values of their affinity, columns with defaults are left to the
database, keys are unique (a counter), foreign keys point to parent rows it inserts first (or to
the row itself / NULL for self references and cycles), and CHECK constraints parsed with sqlglot
steer the values: value lists (``IN``), comparisons and ``BETWEEN`` with literals, ``length(col)``
bounds, ``json_valid(col)``, ``typeof(col)``, ``IS NOT NULL``. Timestamps (columns named ``*_at``
or typed TIMESTAMP/DATETIME) are RFC 3339 text such as ``2025-01-15T12:00:00.000Z``. A CHECK it
cannot read is handled by trying a few candidates and keeping the one SQLite accepts, learning from
the CHECK each rejection names (the CHECK reading lives in :mod:`pytest_acodb.rules`). Virtual
tables and their shadow tables (FTS5's ``*_data``, ``*_idx``...) are never seeded: their rows
follow from the tables they index.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from ..db import driver as drivers
from ..errors import AcodbError, RowError
from ..migrate import quote
from ..schema import Column, ForeignKey, Schema, Table
from .rules import _NONE, Rule, check_rules, learn, table_checks, value_lists

__all__ = [
    "RowSynth",
    "Rule",
    "check_rules",
    "column_value",
    "table_checks",
    "timestamp",
    "value_kind",
    "value_lists",
]

BASE_TIME = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)
"""The first synthesised timestamp; later rows and later-declared columns move forward from it."""

ATTEMPTS = 8
"""Candidate rows tried before :meth:`RowSynth.insert` gives up."""


def timestamp(offset_s: int = 0) -> str:
    """RFC 3339 UTC text with milliseconds, ``offset_s`` seconds after :data:`BASE_TIME`."""
    return (BASE_TIME + timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def value_kind(column: Column) -> str:
    """The kind of value a column gets: ``integer``, ``real``, ``text``, ``blob``, ``boolean``,
    ``timestamp`` or ``date``.

    Starts from the column's affinity (:attr:`Column.affinity
    <pytest_acodb.schema.Column.affinity>`, SQLite's one rule) and refines it by declared type
    and name: a NUMERIC ``BOOL*`` column gets 0 or 1, a NUMERIC ``TIMESTAMP`` / ``DATETIME`` column
    and a TEXT or untyped column named ``*_at`` get RFC 3339 text, a NUMERIC ``DATE`` column a
    date; other NUMERIC columns get integers; an untyped column (BLOB affinity, which stores
    values as given) gets text, a column typed ``*BLOB*`` bytes.
    """
    affinity, t, name = column.affinity, column.type.upper(), column.name.lower()
    if affinity in ("INTEGER", "REAL"):
        return affinity.lower()
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


def _digits(value: int | float, rule: Rule) -> int | float:
    """``value`` moved so that its text meets ``length(col)`` bounds (``length(42)`` is 2)."""
    if rule.len_lo is not None and len(str(value)) < rule.len_lo:
        value += 10 ** (rule.len_lo - 1)
    if rule.len_hi is not None and len(str(value)) > rule.len_hi > 0 and isinstance(value, int):
        value = int(str(abs(value))[-rule.len_hi :])
    return value


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
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
    if rule.json:
        return "{}" if attempt % 2 == 0 else f'{{"n": {n}}}'
    value: Any
    lengths = rule.len_lo is not None or rule.len_hi is not None
    if kind == "boolean" and rule.lo is None and rule.hi is None and not lengths:
        value = n % 2
    elif kind in ("integer", "boolean", "real"):
        # Later attempts spread columns apart, up then down, for CHECKs relating two columns.
        spread = attempt * (position + 1) * (1 if attempt % 2 else -1)
        value = _digits(_number(rule, n + spread, kind != "real"), rule)
    elif kind == "timestamp":
        value = _text(timestamp(n * 60 + position), n, rule)
    elif kind == "date":
        # Later-declared dates fall later (earlier on odd attempts), like timestamps, for
        # CHECKs such as ends_on > starts_on.
        days = n * 16 + position * (-1 if attempt % 2 else 1)
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


# -- the synthesiser --------------------------------------------------------------------------


class RowSynth:
    """Inserts valid rows into the tables of ``schema`` over ``conn``, deterministically.

    ``conn``: a ``sqlite3`` connection to a migrated database (foreign keys on, autocommit or an
    open transaction, both work); ``schema``: its snapshot (:func:`~pytest_acodb.schema.snapshot`);
    ``seed``: the same seed gives the same rows on the same database. ``reuse_parents``: point
    foreign keys at existing parent rows when there are any instead of inserting new ones.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        schema: Schema,
        seed: int = 0,
        *,
        reuse_parents: bool = False,
    ) -> None:
        self.conn = conn
        self.schema = schema
        self.seed = seed
        self.reuse_parents = reuse_parents
        # Where this seed's running numbers start: 10,000 apart per seed, so values of nearby
        # seeds differ; bounded, so a 64-bit seed (acodb_seed's) still gives dates in range.
        self._n = seed % 1_000 * 10_000
        self._rules: dict[str, dict[str, Rule]] = {}
        self.unseeded: dict[str, str] = {}
        """Tables :meth:`seed_all` (``lenient``) could not fill, with SQLite's complaint."""

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

        ``overrides`` set columns by name (case-insensitive) and are never second-guessed.
        Raises :class:`AcodbError` naming the table and SQLite's last complaint when no candidate
        of :data:`ATTEMPTS` is accepted.
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
        reuse, self.reuse_parents = self.reuse_parents, True
        counts: dict[str, int] = {}
        try:
            for table in self.order(exclude=exclude):
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
        left = {n: t for n, t in self.schema.tables.items() if t.ordinary and n not in exclude}
        done: list[str] = []
        while left:
            ready = [
                n
                for n, t in left.items()
                if all(f.parent not in left or f.parent == n for f in t.foreign_keys)
            ]
            for name in ready or [min(left)]:
                done.append(name)
                del left[name]
        return done

    def table(self, name: str) -> Table:
        """The table called ``name`` (case-insensitive); :class:`AcodbError` when missing."""
        found = self.schema.tables.get(name) or next(
            (t for n, t in self.schema.tables.items() if n.lower() == name.lower()), None
        )
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
        if fk is not None and len(fk.columns) == 1 and fk.parent in self.schema.tables:
            parent = self._insert(self.table(fk.parent), {}, (t.name,))
            return parent[self._parent_columns(t, fk)[0]]
        rule = self._rules_of(t).get(col.name, Rule())
        for attempt in range(ATTEMPTS):
            value = column_value(col, rule, self._next(), attempt, t.columns.index(col))
            if value != current:
                return value
        raise RowError(
            f"{t.name}.{col.name}: its CHECK allows no value other than {current!r}",
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
            raise RowError(f"no row of {t.name} matches {row!r}", table=t.name, detail=row)
        return "rowid = ?", [found[0]]

    # -- internals ---------------------------------------------------------------------------

    def _next(self) -> int:
        self._n += 1
        return self._n

    def _named(self, table: str, overrides: dict[str, Any]) -> dict[str, Any]:
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

    def generated(self, table: str) -> set[str]:
        """Names of the columns of ``table`` no ``INSERT`` may name: generated (computed) ones,
        and the hidden columns of a virtual table."""
        return {c.name for c in self.table(table).columns if not c.insertable}

    def _parent_columns(self, t: Table, fk: ForeignKey) -> tuple[str, ...]:
        if fk.parent_columns:
            return fk.parent_columns
        parent = self.schema.tables.get(fk.parent)
        if parent is None or not parent.primary_key:
            raise RowError(
                f"table {t.name}: foreign key ({', '.join(fk.columns)}) references "
                f"the primary key of {fk.parent}, which has none; name the parent "
                "columns in REFERENCES",
                table=t.name,
                detail=fk,
            )
        return parent.primary_key

    def _insert(
        self, t: Table, overrides: dict[str, Any], stack: tuple[str, ...]
    ) -> dict[str, Any]:
        last: Exception | None = None
        values: dict[str, Any] = {}
        for attempt in range(ATTEMPTS):
            values = self._values(t, overrides, attempt, stack)
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
                learn(t, self._rules_of(t), str(exc))
                continue
            except drivers.Error as exc:
                raise RowError(
                    f"cannot insert a row into {t.name}: {exc} (values {values!r})",
                    table=t.name,
                    detail=values,
                ) from exc
            return self._read_back(t, values, cursor.lastrowid)
        raise RowError(
            f"cannot synthesise a row for table {t.name}: SQLite rejected {ATTEMPTS} candidates, "
            f"the last ({values!r}) with: {last}; pass a valid value for the column it names, "
            f"e.g. insert({t.name!r}, column=value)",
            table=t.name,
            detail=values,
        )

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
        values: dict[str, Any] = {}
        for position, col in enumerate(t.columns):
            if col.name in overrides or col.name in generated or col.name in fk_columns:
                continue
            rule = rules.get(col.name, Rule())
            # Defaults are the database's business, except when early candidates were rejected.
            if col.name == alias or (col.default is not None and (col.pk or attempt < 2)):
                continue
            # The last attempts fill every other nullable column, for CHECKs that want exactly
            # one of two columns set.
            # json_valid(NULL) is 0 before SQLite 3.45: a JSON column always gets a value.
            if (
                col.notnull
                or col.pk
                or rule.not_null
                or rule.json
                or attempt < 4
                or (attempt >= 6 and (position + attempt) % 2 == 0)
            ):
                values[col.name] = column_value(col, rule, n, attempt, position)
        values.update(overrides)
        for fk in t.foreign_keys:
            if not all(c in overrides for c in fk.columns):
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
        nullable = all(not (c := t.column(n)) or not c.notnull for n in fk.columns)
        if fk.parent not in self.schema.tables:
            if nullable:
                return dict.fromkeys(fk.columns)
            raise RowError(
                f"table {t.name}: {t.name}.{','.join(fk.columns)} references table "
                f"{fk.parent}, which does not exist",
                table=t.name,
                detail=fk,
            )
        parent = self.schema.tables[fk.parent]
        targets = self._parent_columns(t, fk)
        if parent.name == t.name:
            if nullable:
                return dict.fromkeys(fk.columns)
            return self._self_reference(t, fk, targets, values)
        if nullable and (parent.name in stack or attempt >= 4):
            return dict.fromkeys(fk.columns)
        if (self.reuse_parents and attempt < 2) or parent.name in stack:
            found = self._existing(parent, targets)
            if found is not None:
                return dict(zip(fk.columns, found, strict=True))
            if parent.name in stack:
                raise RowError(
                    f"cannot synthesise a row for table {t.name}: its NOT NULL foreign key "
                    f"({', '.join(fk.columns)}) closes a cycle {' -> '.join((*stack, t.name))} "
                    f"-> {parent.name}; insert a {parent.name} row first or make a column of the "
                    "cycle nullable",
                    table=t.name,
                    detail=(*stack, t.name, parent.name),
                )
        try:
            row = self._insert(parent, {}, (*stack, t.name))
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
        raise RowError(
            f"cannot synthesise a row for table {t.name}: NOT NULL self reference "
            f"({', '.join(fk.columns)}) cannot point at the row itself; pass it",
            table=t.name,
            detail=fk,
        )

    def _existing(self, parent: Table, targets: tuple[str, ...]) -> tuple[Any, ...] | None:
        cols = ", ".join(quote(c) for c in targets)
        count = self.conn.execute(f"SELECT count(*) FROM {quote(parent.name)}").fetchone()[0]
        if not count:
            return None
        row = self.conn.execute(
            f"SELECT {cols} FROM {quote(parent.name)} ORDER BY {cols} LIMIT 1 OFFSET ?",
            (self._n % count,),
        ).fetchone()
        return tuple(row) if row is not None else None
