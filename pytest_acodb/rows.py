"""Synthesising valid rows for any table of a migrated schema, deterministically from a seed.

:class:`RowSynth` reads a :class:`~pytest_acodb.schema.Schema` and builds rows that SQLite
accepts: NOT NULL columns get values of their affinity, columns with defaults are left to the
database, keys are unique (a counter), foreign keys point to parent rows it inserts first (or to
the row itself / NULL for self references and cycles), and CHECK constraints parsed with sqlglot
steer the values: value lists (``IN``), comparisons and ``BETWEEN`` with literals, ``length(col)``
bounds, ``json_valid(col)``, ``typeof(col)``, ``IS NOT NULL``. Timestamps (columns named ``*_at``
or typed TIMESTAMP/DATETIME) are RFC 3339 text such as ``2025-01-15T12:00:00.000Z``. A CHECK it
cannot read is handled by trying a few candidates and keeping the one SQLite accepts.
"""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import AcodbError
from .migrate import quote
from .schema import Column, ForeignKey, Schema, Table, check_constraints

BASE_TIME = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)
"""The first synthesised timestamp; later rows and later-declared columns move forward from it."""

ATTEMPTS = 8
"""Candidate rows tried before :meth:`RowSynth.insert` gives up."""

_NONE: Any = object()


@dataclass
class Rule:
    """What a table's CHECK constraints ask of one column (``None``: no demand)."""

    allowed: tuple[Any, ...] | None = None
    equals: Any = _NONE
    excluded: list[Any] = field(default_factory=list)
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    len_lo: int | None = None
    len_hi: int | None = None
    json: bool = False
    sqltype: str | None = None
    not_null: bool = False


def timestamp(offset_s: int = 0) -> str:
    """RFC 3339 UTC text with milliseconds, ``offset_s`` seconds after :data:`BASE_TIME`."""
    return (BASE_TIME + timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def affinity(column: Column) -> str:
    """The kind of value a column gets: ``integer``, ``real``, ``text``, ``blob``, ``boolean``,
    ``timestamp`` or ``date`` (SQLite's affinity rules, refined by type and column name)."""
    t, name = column.type.upper(), column.name.lower()
    textual = not t or any(k in t for k in ("CHAR", "CLOB", "TEXT"))
    if "INT" in t:
        return "integer"
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "real"
    if "BOOL" in t:
        return "boolean"
    if "TIMESTAMP" in t or "DATETIME" in t or (textual and name.endswith("_at")):
        return "timestamp"
    if t == "DATE":
        return "date"
    if "BLOB" in t:
        return "blob"
    return "text" if textual else "integer"


# -- reading CHECK constraints ----------------------------------------------------------------


def _literal(node: Any) -> Any:
    """The Python value of a sqlglot literal (``-1.5``, ``'a'``, ``TRUE``, ``NULL``) or _NONE."""
    from sqlglot import exp

    if isinstance(node, exp.Paren):
        return _literal(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return int(bool(node.this))
    if isinstance(node, exp.Neg):
        inner = _literal(node.this)
        return -inner if isinstance(inner, int | float) else _NONE
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        try:
            return int(node.this)
        except ValueError:
            try:
                return float(node.this)
            except ValueError:
                return _NONE
    return _NONE


def _column_of(table: Table, node: Any) -> str | None:
    from sqlglot import exp

    if isinstance(node, exp.Column) and node.table in ("", table.name):
        column = table.column(node.name)
        return column.name if column else None
    return None


def _func(node: Any) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower() if isinstance(node, exp.Func) else ""


def _target(table: Table, node: Any) -> tuple[str, str] | None:
    """``(column, what)`` for ``col``, ``length(col)``, ``json_valid(col)``, ``typeof(col)``."""
    from sqlglot import exp

    column = _column_of(table, node)
    if column:
        return column, "value"
    name = _func(node)
    if name in ("length", "json_valid", "typeof"):
        args = [node.this] if isinstance(node.this, exp.Expression) else []
        args += list(node.expressions or [])
        column = _column_of(table, args[0]) if args else None
        if column:
            return column, name
    return None


_OPTIONS = re.compile(r"\)\s*((WITHOUT\s+ROWID|STRICT)\s*,?\s*)+;?\s*$", re.I)


def table_checks(table: Table) -> tuple[str, ...]:
    """``table.checks``, or, when sqlglot could not read the statement because of its table
    options (``WITHOUT ROWID``, ``STRICT``), the CHECKs of the statement without them."""
    if table.checks or "CHECK" not in table.sql.upper():
        return table.checks
    return check_constraints(_OPTIONS.sub(")", table.sql))


_FLIP = {"gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte", "eq": "eq", "neq": "neq"}


def check_rules(table: Table) -> dict[str, Rule]:
    """Per-column :class:`Rule` read from ``table.checks`` (sqlglot, SQLite dialect).

    Conjuncts (``AND``) all apply; of a disjunction (``OR``) the first branch that is not an
    ``IS NULL`` test is followed. Parts it cannot read are ignored. Returns ``{column: Rule}``.
    """
    import sqlglot

    rules: dict[str, Rule] = {}
    for text in table_checks(table):
        try:
            tree = sqlglot.parse_one(text, read="sqlite")
        except sqlglot.errors.SqlglotError:
            continue
        _read(table, tree, rules)
    return rules


def _read(table: Table, node: Any, rules: dict[str, Rule]) -> None:
    from sqlglot import exp

    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        _read(table, node.this, rules)
        _read(table, node.expression, rules)
    elif isinstance(node, exp.Or):
        branches = [node.this, node.expression]
        keep = [b for b in branches if not (isinstance(b, exp.Is) and isinstance(b.expression,
                                                                               exp.Null))]
        _read(table, (keep or branches)[0], rules)
    elif isinstance(node, exp.In):
        column = _column_of(table, node.this)
        values = [_literal(v) for v in node.expressions]
        if column and values and all(v is not _NONE for v in values):
            rule = rules.setdefault(column, Rule())
            listed = tuple(v for v in values if v is not None)
            old = rule.allowed
            rule.allowed = listed if old is None else tuple(v for v in old if v in listed)
    elif isinstance(node, exp.Between):
        _compare(table, rules, "gte", node.this, node.args.get("low"))
        _compare(table, rules, "lte", node.this, node.args.get("high"))
    elif isinstance(node, exp.Not) and isinstance(node.this, exp.Is):
        column = _column_of(table, node.this.this)
        if column and isinstance(node.this.expression, exp.Null):
            rules.setdefault(column, Rule()).not_null = True
    elif type(node).__name__.lower() in _FLIP:
        _compare(table, rules, type(node).__name__.lower(), node.this, node.expression)
    else:
        target = _target(table, node)
        if target and target[1] == "json_valid":
            rules.setdefault(target[0], Rule()).json = True


def _compare(table: Table, rules: dict[str, Rule], op: str, left: Any, right: Any) -> None:
    target, value = _target(table, left), _literal(right)
    if target is None:
        target, value, op = _target(table, right), _literal(left), _FLIP[op]
    if target is None or value is _NONE or value is None:
        return
    column, what = target
    rule = rules.setdefault(column, Rule())
    if what == "json_valid":
        rule.json = rule.json or (op == "eq" and value == 1)
    elif what == "typeof" and op == "eq":
        rule.sqltype = str(value).lower()
    elif what == "length" and isinstance(value, int | float):
        if op in ("gt", "gte", "eq"):
            low = math.floor(value) + 1 if op == "gt" else math.ceil(value)
            rule.len_lo = max(rule.len_lo or 0, low)
        if op in ("lt", "lte", "eq"):
            high = math.ceil(value) - 1 if op == "lt" else math.floor(value)
            rule.len_hi = high if rule.len_hi is None else min(rule.len_hi, high)
    elif what == "value" and op == "eq":
        rule.equals = value
    elif what == "value" and op == "neq":
        rule.excluded.append(value)
    elif what == "value" and isinstance(value, int | float):
        if op in ("gt", "gte") and (rule.lo is None or value >= rule.lo):
            rule.lo, rule.lo_open = value, op == "gt"
        if op in ("lt", "lte") and (rule.hi is None or value <= rule.hi):
            rule.hi, rule.hi_open = value, op == "lt"


def value_lists(table: Table) -> dict[str, tuple[Any, ...]]:
    """``{column: values}`` for each ``col IN (literal, ...)`` in the CHECKs of ``table`` (the
    first list per column; lists under ``NOT`` are left out; ``NULL`` entries dropped)."""
    import sqlglot
    from sqlglot import exp

    found: dict[str, tuple[Any, ...]] = {}
    for text in table_checks(table):
        try:
            tree = sqlglot.parse_one(text, read="sqlite")
        except sqlglot.errors.SqlglotError:
            continue
        for node in tree.find_all(exp.In):
            column = _column_of(table, node.this)
            values = [_literal(v) for v in node.expressions]
            if (column and column not in found and values and node.find_ancestor(exp.Not) is None
                    and all(v is not _NONE for v in values)):
                found[column] = tuple(v for v in values if v is not None)
    return found


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
        core = _base36(n)[-rule.len_hi:] if rule.len_hi > 0 else ""
    if rule.len_lo is not None and len(core) < rule.len_lo:
        core += "x" * (rule.len_lo - len(core))
    return core


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
        rule.sqltype or "", affinity(column))
    if rule.json:
        return "{}" if attempt % 2 == 0 else f'{{"n": {n}}}'
    value: Any
    if kind == "boolean" and rule.lo is None and rule.hi is None:
        value = n % 2
    elif kind in ("integer", "boolean", "real"):
        # Later attempts spread columns apart, up then down, for CHECKs relating two columns.
        spread = attempt * (position + 1) * (1 if attempt % 2 else -1)
        value = _number(rule, n + spread, kind != "real")
    elif kind == "timestamp":
        value = _text(timestamp(n * 60 + position), n, rule)
    elif kind == "date":
        value = (BASE_TIME + timedelta(days=n)).strftime("%Y-%m-%d")
    elif kind == "blob":
        value = _text(f"{column.name}-{n}", n, rule).encode()
    else:
        value = _text(f"{column.name}-{n}", n, rule)
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
        self, conn: sqlite3.Connection, schema: Schema, seed: int = 0, *,
        reuse_parents: bool = False,
    ) -> None:
        self.conn = conn
        self.schema = schema
        self.seed = seed
        self.reuse_parents = reuse_parents
        self._n = seed * 10_000
        self._rules: dict[str, dict[str, Rule]] = {}
        self._generated: dict[str, set[str]] = {}
        self._rowid: dict[str, bool] = {}

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

    def seed_all(self, n: int, *, exclude: tuple[str, ...] = ()) -> dict[str, int]:
        """Insert ``n`` rows into every ordinary table, parents first, children pointing at the
        existing parents; returns ``{table: rows inserted}`` in insertion order."""
        reuse, self.reuse_parents = self.reuse_parents, True
        try:
            return {t: self.seed_table(t, n) for t in self.order(exclude=exclude)}
        finally:
            self.reuse_parents = reuse

    def order(self, *, exclude: tuple[str, ...] = ()) -> list[str]:
        """Non-virtual tables of the schema, parents before children (cycles broken by name)."""
        left = {n: t for n, t in self.schema.tables.items() if not t.virtual and n not in exclude}
        done: list[str] = []
        while left:
            ready = [n for n, t in left.items()
                     if all(f.parent not in left or f.parent == n for f in t.foreign_keys)]
            for name in ready or [min(left)]:
                done.append(name)
                del left[name]
        return done

    def table(self, name: str) -> Table:
        """The table called ``name`` (case-insensitive); :class:`AcodbError` when missing."""
        found = self.schema.tables.get(name) or next(
            (t for n, t in self.schema.tables.items() if n.lower() == name.lower()), None)
        if found is None:
            raise AcodbError(f"table {name!r} is not in the schema; tables: "
                             f"{', '.join(self.schema.tables) or '(none)'}")
        return found

    def other_value(self, table: str, column: str, current: Any) -> Any:
        """A valid value for ``table.column`` different from ``current`` (a new parent key for a
        single-column foreign key). Raises :class:`AcodbError` when the CHECKs allow no other."""
        t = self.table(table)
        col = t.column(column)
        if col is None:
            raise AcodbError(f"table {t.name} has no column {column!r}")
        fk = next((f for f in t.foreign_keys if col.name in f.columns), None)
        if fk is not None and len(fk.columns) == 1 and fk.parent in self.schema.tables:
            parent = self._insert(self.table(fk.parent), {}, (t.name,))
            return parent[self._parent_columns(t, fk)[0]]
        rule = self._rules_of(t).get(col.name, Rule())
        for attempt in range(ATTEMPTS):
            value = column_value(col, rule, self._next(), attempt, t.columns.index(col))
            if value != current:
                return value
        raise AcodbError(f"{t.name}.{col.name}: its CHECK allows no value other than {current!r}")

    def where(self, table: str, row: dict[str, Any]) -> tuple[str, list[Any]]:
        """``(sql, params)`` of a WHERE clause selecting ``row`` (from :meth:`insert`): by primary
        key, or by rowid looked up once for a table without one."""
        t = self.table(table)
        if t.primary_key:
            return (" AND ".join(f"{quote(c)} = ?" for c in t.primary_key),
                    [row[c] for c in t.primary_key])
        cols = [c.name for c in t.columns if c.name in row]
        found = self.conn.execute(
            f"SELECT rowid FROM {quote(t.name)} WHERE "
            + " AND ".join(f"{quote(c)} IS ?" for c in cols) + " LIMIT 1",
            [row[c] for c in cols]).fetchone()
        if found is None:
            raise AcodbError(f"no row of {t.name} matches {row!r}")
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
                raise AcodbError(f"table {t.name} has no column {key!r}; columns: "
                                 f"{', '.join(c.name for c in t.columns)}")
            named[column.name] = value
        return named

    def _rules_of(self, t: Table) -> dict[str, Rule]:
        if t.name not in self._rules:
            self._rules[t.name] = check_rules(t)
        return self._rules[t.name]

    def generated(self, table: str) -> set[str]:
        """Names of the generated (computed) columns of ``table``: never inserted into."""
        t = self.table(table)
        if t.name not in self._generated:
            rows = self.conn.execute(
                "SELECT name FROM pragma_table_xinfo(?) WHERE hidden IN (2, 3)", (t.name,))
            self._generated[t.name] = {r[0] for r in rows}
        return self._generated[t.name]

    def _has_rowid(self, t: Table) -> bool:
        if t.name not in self._rowid:
            try:
                self.conn.execute(f"SELECT rowid FROM {quote(t.name)} LIMIT 0")
                self._rowid[t.name] = True
            except sqlite3.OperationalError:
                self._rowid[t.name] = False
        return self._rowid[t.name]

    def _rowid_alias(self, t: Table) -> str | None:
        pk = [c for c in t.columns if c.pk]
        return pk[0].name if len(pk) == 1 and pk[0].type == "INTEGER" else None

    def _parent_columns(self, t: Table, fk: ForeignKey) -> tuple[str, ...]:
        if fk.parent_columns:
            return fk.parent_columns
        parent = self.schema.tables.get(fk.parent)
        if parent is None or not parent.primary_key:
            raise AcodbError(f"table {t.name}: foreign key ({', '.join(fk.columns)}) references "
                             f"the primary key of {fk.parent}, which has none; name the parent "
                             "columns in REFERENCES")
        return parent.primary_key

    def _insert(
        self, t: Table, overrides: dict[str, Any], stack: tuple[str, ...]
    ) -> dict[str, Any]:
        last: Exception | None = None
        values: dict[str, Any] = {}
        for attempt in range(ATTEMPTS):
            values = self._values(t, overrides, attempt, stack)
            cols = ", ".join(quote(c) for c in values)
            sql = (f"INSERT INTO {quote(t.name)} ({cols}) VALUES ({', '.join('?' * len(values))})"
                   if values else f"INSERT INTO {quote(t.name)} DEFAULT VALUES")
            try:
                cursor = self.conn.execute(sql, list(values.values()))
            except sqlite3.IntegrityError as exc:
                last = exc
                continue
            except sqlite3.Error as exc:
                raise AcodbError(f"cannot insert a row into {t.name}: {exc} (values {values!r})"
                                 ) from exc
            return self._read_back(t, values, cursor.lastrowid)
        raise AcodbError(
            f"cannot synthesise a row for table {t.name}: SQLite rejected {ATTEMPTS} candidates, "
            f"the last ({values!r}) with: {last}; pass a valid value for the column it names, "
            f"e.g. insert({t.name!r}, column=value)")

    def _read_back(self, t: Table, values: dict[str, Any], rowid: int | None) -> dict[str, Any]:
        if self._has_rowid(t):
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
        alias = self._rowid_alias(t)
        fk_columns = {c for f in t.foreign_keys for c in f.columns}
        values: dict[str, Any] = {}
        for position, col in enumerate(t.columns):
            if col.name in overrides or col.name in generated or col.name in fk_columns:
                continue
            rule = rules.get(col.name, Rule())
            # Defaults are the database's business, except when early candidates were rejected.
            if col.name == alias or (col.default is not None and (col.pk or attempt < 2)):
                continue
            if col.notnull or col.pk or rule.not_null or attempt < 4:
                values[col.name] = column_value(col, rule, n, attempt, position)
        values.update(overrides)
        for fk in t.foreign_keys:
            if not all(c in overrides for c in fk.columns):
                values.update(self._reference(t, fk, values, attempt, stack))
        values.update(overrides)
        return {c.name: values[c.name] for c in t.columns if c.name in values}

    def _reference(
        self, t: Table, fk: ForeignKey, values: dict[str, Any], attempt: int,
        stack: tuple[str, ...],
    ) -> dict[str, Any]:
        nullable = all(not (c := t.column(n)) or not c.notnull for n in fk.columns)
        if fk.parent not in self.schema.tables:
            if nullable:
                return dict.fromkeys(fk.columns)
            raise AcodbError(f"table {t.name}: {t.name}.{','.join(fk.columns)} references table "
                             f"{fk.parent}, which does not exist")
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
                raise AcodbError(
                    f"cannot synthesise a row for table {t.name}: its NOT NULL foreign key "
                    f"({', '.join(fk.columns)}) closes a cycle {' -> '.join((*stack, t.name))} "
                    f"-> {parent.name}; insert a {parent.name} row first or make a column of the "
                    "cycle nullable")
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
        alias = self._rowid_alias(t)
        for target in targets:
            if target not in values and target == alias:
                values[target] = self.conn.execute(
                    f"SELECT coalesce(max(rowid), 0) + 1 FROM {quote(t.name)}").fetchone()[0]
        if all(p in values or p in fk.columns for p in targets):
            own = {c: values.get(p) for c, p in zip(fk.columns, targets, strict=True)}
            if all(v is not None for v in own.values()):
                return own
        raise AcodbError(f"cannot synthesise a row for table {t.name}: NOT NULL self reference "
                         f"({', '.join(fk.columns)}) cannot point at the row itself; pass it")

    def _existing(self, parent: Table, targets: tuple[str, ...]) -> tuple[Any, ...] | None:
        cols = ", ".join(quote(c) for c in targets)
        count = self.conn.execute(f"SELECT count(*) FROM {quote(parent.name)}").fetchone()[0]
        if not count:
            return None
        row = self.conn.execute(
            f"SELECT {cols} FROM {quote(parent.name)} ORDER BY {cols} LIMIT 1 OFFSET ?",
            (self._n % count,)).fetchone()
        return tuple(row) if row is not None else None
