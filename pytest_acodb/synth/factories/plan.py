"""What a generated factory does for each table, decided once from the schema snapshot.

:func:`plan_schema` reads a :class:`~pytest_acodb.schema.Schema` (and a connection to a
database of it, for default values, conventions and existing rows) into one :class:`TablePlan`
per ordinary table: which columns the factory fills and how (:class:`ColumnPlan`: the value
profile, the CHECK rule, the timestamp format, whether the column must be unique), which foreign
keys get a parent through a ``SubFactory`` (:class:`ParentPlan`), the traits read from ``IN``
lists, and, when the constraints cap the number of rows (a singleton table, a ``UNIQUE`` column
whose CHECK allows three values) or forbid any (a NOT NULL key to a missing table, a cycle of
NOT NULL keys), the :class:`Limit` and the constraint that sets it.
"""

from __future__ import annotations

import keyword
import re
import sqlite3
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...migrate import quote
from ...schema import Column, ForeignKey, Schema, Table
from . import timeformats
from .constraints import Rule, ValueProvider, capacity, is_constant, rules_of, sample
from .constraints import trait_values as read_trait_values
from .timeformats import TimeFormat
from .values import Profile, profile, tokens
from .values import like as values_like

__all__ = ["BOOKKEEPING", "ColumnPlan", "Limit", "ParentPlan", "TablePlan", "plan_schema"]

FEW = 100_000
"""Row limits at or above this are not reported: no test makes that many rows."""

BOOKKEEPING = frozenset({"_sqlx_migrations"})
"""Tables that belong to the migration tool, not the application: no factory for them."""

RESERVED = frozenset(
    {"metadata", "registry", "query", "query_class", "awaitable_attrs", "c", "columns"}
)
"""Names a mapped class cannot use for an attribute (SQLAlchemy's own, and ``c``)."""


@dataclass(frozen=True)
class Limit:
    """At most ``rows`` rows of a table can be made (0: none), because of ``reason`` (names the
    constraint)."""

    rows: int
    reason: str


@dataclass
class ColumnPlan:
    """How a factory fills one column.

    ``declare``: the factory gives it a value (else the database does: a constant default, the
    rowid, a parent's key); ``unique``: the divisor placing the row's sequence number in the
    column when rows must differ (``None``: free); ``start``: where unique integers start
    (after the existing rows); ``default``: the value the database would store when the column
    is left out (for checking CHECKs); ``fmt``: the stored format of a timestamp or date.
    """

    column: Column
    position: int
    attribute: str
    profile: Profile
    rule: Rule
    declare: bool = True
    unique: int | None = None
    start: int = 0
    default: Any = None
    fmt: TimeFormat | None = None
    provider: ValueProvider | None = None


@dataclass
class ParentPlan:
    """A foreign key of the table: the relationship ``name``, the parent table, the parent's
    referenced columns, whether it is NOT NULL, and whether the factory makes the parent with a
    ``SubFactory`` (else the key is left NULL); ``relationship``: the model maps the key as a
    many-to-one relationship called ``name`` (else ``name`` is a factory parameter and the key
    columns are copied from the parent)."""

    name: str
    key: ForeignKey
    parent: str
    parent_columns: tuple[str, ...]
    required: bool
    subfactory: bool = True
    relationship: bool = True


@dataclass
class TablePlan:
    """Everything a generated factory needs to know about one table (see the module doc).

    ``class_name``: the model's class name (``order_items`` -> ``OrderItems``); ``rowid_key``:
    the attribute of the rowid when the table has no primary key of its own; ``traits``:
    ``{trait: (attribute, value)}``; ``self_keys``: NOT NULL self references, ``{column:
    referenced column}``; ``limit``: the most rows the constraints allow (fewer than
    :data:`FEW` only); ``blocked``: no row can be made whatever the data (the limit's reason
    says why), so the factory refuses at once.
    """

    table: Table
    class_name: str
    columns: list[ColumnPlan]
    parents: list[ParentPlan]
    rowid_key: str | None = None
    traits: dict[str, tuple[str, Any]] = field(default_factory=dict)
    self_keys: dict[str, str] = field(default_factory=dict)
    limit: Limit | None = None
    blocked: bool = False
    rules: dict[str, Rule] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.table.name

    def column(self, name: str) -> ColumnPlan | None:
        return next((c for c in self.columns if c.column.name.lower() == name.lower()), None)


# -- names -----------------------------------------------------------------------------------


def class_name(table: str, taken: set[str]) -> str:
    """``order_items`` -> ``OrderItems``; a name that is not an identifier gets a ``T`` in
    front; a name already ``taken`` gets a number."""
    base = "".join(w.capitalize() for w in tokens(table)) or "Table"
    if not base[0].isalpha():
        base = "T" + base
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name


def attribute_name(column: str, taken: set[str]) -> str:
    """A Python attribute for ``column``: the name itself when it is a plain identifier, else
    its words joined by ``_``; ``_`` appended to keywords and SQLAlchemy's reserved names."""
    name = column if column.isidentifier() else "_".join(tokens(column)) or "column"
    if name[0].isdigit():
        name = "c_" + name
    while keyword.iskeyword(name) or name in RESERVED or name.startswith("_sa") or name in taken:
        name += "_"
    taken.add(name)
    return name


def _relationship_name(fk: ForeignKey, taken: set[str]) -> str:
    if len(fk.columns) == 1:
        base = re.sub(r"(_?id|_?uuid|_?key|_fk|Id|ID)$", "", fk.columns[0]) or fk.parent
        if base == fk.columns[0]:
            base += "_ref"
    else:
        base = fk.parent
    return attribute_name("_".join(tokens(base)) or "parent", taken)


# -- formats and conventions -----------------------------------------------------------------


def _time_format(
    col: Column, prof: Profile, default: Any, existing: Any, convention: dict[str, TimeFormat]
) -> TimeFormat:
    for evidence in (default, existing):
        found = timeformats.from_sample(evidence)
        if found is not None and (found.numeric == (col.affinity in ("INTEGER", "REAL"))):
            return timeformats.DATE if prof.kind == "date" and not found.numeric else found
    numeric = col.affinity in ("INTEGER", "REAL")
    if prof.kind == "date" and not numeric:
        return timeformats.DATE
    if col.affinity == "INTEGER":
        ms = {"ms", "millis", "msec"} & set(tokens(col.name))
        return timeformats.UNIX_MS if ms else convention.get("integer", timeformats.UNIX)
    if col.affinity == "REAL":
        return convention.get("real", timeformats.TimeFormat("unix_real"))
    declared = col.type.upper()
    if "TIMESTAMP" in declared or "DATETIME" in declared:
        return convention.get("text", timeformats.SQLITE_TEXT)
    return convention.get("text", timeformats.RFC3339_MS)


def _convention(formats: list[TimeFormat]) -> dict[str, TimeFormat]:
    """The most used format of the schema's timestamps, for text, integer and real columns."""
    found: dict[str, TimeFormat] = {}
    for group, members in (
        ("text", [f for f in formats if f.kind == "text"]),
        ("integer", [f for f in formats if f.kind in ("unix", "unix_ms")]),
        ("real", [f for f in formats if f.kind in ("unix_real", "julian")]),
    ):
        if members:
            found[group] = Counter(members).most_common(1)[0][0]
    return found


def _existing(conn: sqlite3.Connection | None, table: str, column: str, what: str) -> Any:
    if conn is None:
        return None
    try:
        row = conn.execute(
            f"SELECT {what}({quote(column)}) FROM {quote(table)} WHERE {quote(column)} IS NOT NULL"
        ).fetchone()
    except Exception:  # a virtual table whose module is missing, another driver's error
        return None
    return row[0] if row else None


def _row_count(conn: sqlite3.Connection | None, table: str) -> int:
    if conn is None:
        return 0
    try:
        return int(conn.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()[0])
    except Exception:  # a virtual table whose module is missing, another driver's error
        return 0


# -- the plan --------------------------------------------------------------------------------


def plan_schema(
    schema: Schema,
    conn: sqlite3.Connection | None,
    probe: sqlite3.Connection,
    providers: Mapping[str, ValueProvider],
    attributes: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, TablePlan]:
    """One :class:`TablePlan` per ordinary table of ``schema`` (bookkeeping tables left out),
    in the schema's order.

    ``conn``: a connection to a database of the schema (existing rows show conventions, e.g.
    the timestamp format, and where unique integers may start), or ``None``; ``probe``: a
    private connection where defaults are evaluated; ``providers``: ``{"table.column": provider}``
    (case-insensitive); ``attributes``: ``{table: {column: attribute}}`` of mapped classes given
    by the caller (else names are made here).
    """
    tables = [t for n, t in schema.tables.items() if t.ordinary and n not in BOOKKEEPING]
    chosen = {k.lower(): v for k, v in providers.items()}
    taken: set[str] = set()
    plans: dict[str, TablePlan] = {}
    samples: dict[tuple[str, str], tuple[Any, Any]] = {}
    for table in tables:
        plans[table.name] = _table_plan(table, taken, (attributes or {}).get(table.name))
        for cp in plans[table.name].columns:
            if cp.profile.kind in ("timestamp", "date"):
                default = _default_sample(cp.column, probe)
                samples[(table.name, cp.column.name)] = (
                    default,
                    _existing(conn, table.name, cp.column.name, "min"),
                )
    convention = _convention(
        [
            f
            for pair in samples.values()
            for f in map(timeformats.from_sample, pair)
            if f is not None
        ]
    )
    for plan in plans.values():
        _fill_columns(plan, probe, chosen, samples, convention)
        _formats_from_checks(plan, probe)
    _plan_parents(plans, schema)
    for plan in plans.values():
        _plan_unique(plan, schema, conn)
    _propagate_limits(plans)
    return plans


def _default_sample(col: Column, probe: sqlite3.Connection) -> Any:
    if col.default is None:
        return None
    return sample(probe, col.default)


def _table_plan(table: Table, taken: set[str], given: Mapping[str, str] | None) -> TablePlan:
    names: set[str] = set()
    rules = rules_of(table)
    json_columns = {c for c, r in rules.items() if r.json}
    columns = []
    for position, col in enumerate(table.columns):
        if not col.insertable:
            continue
        attr = given.get(col.name) if given is not None else attribute_name(col.name, names)
        if attr is None:
            continue  # a column the caller's model does not map
        hint = col.name in json_columns or _json_default(col.default)
        columns.append(
            ColumnPlan(
                col,
                position,
                attr,
                profile(table.name, col, json_hint=hint),
                rules.get(col.name, Rule()),
            )
        )
    plan = TablePlan(table, class_name(table.name, taken), columns, [], rules=rules)
    if not table.primary_key and given is None:
        plan.rowid_key = attribute_name(
            next(n for n in ("rowid", "oid", "_rowid_") if table.column(n) is None), names
        )
    plan.traits = _traits(plan)
    return plan


def _json_default(default: str | None) -> bool:
    if default is None:
        return False
    text = default.strip().strip("()").strip()
    return text.startswith(("'{", "'[")) and text.endswith(("}'", "]'"))


def _traits(plan: TablePlan) -> dict[str, tuple[str, Any]]:
    """``{trait: (attribute, value)}`` for the text values of each ``IN`` list: the value
    itself when it is an identifier no other list of the table uses and no attribute is called,
    else ``<column>_<value>``."""
    lists = read_trait_values(plan.table)
    attributes = {c.attribute for c in plan.columns}
    seen = Counter(
        _identifier(v) for values in lists.values() for v in values if isinstance(v, str)
    )
    traits: dict[str, tuple[str, Any]] = {}
    for column, values in lists.items():
        cp = plan.column(column)
        if cp is None:
            continue
        for value in values:
            if not isinstance(value, str) or not _identifier(value):
                continue
            name = _identifier(value)
            if seen[name] > 1 or name in attributes or name in traits or not _usable(name):
                name = f"{cp.attribute}_{name}"
            if name not in attributes and name not in traits and _usable(name):
                traits[name] = (cp.attribute, value)
    return traits


def _identifier(value: str) -> str:
    name = "_".join(tokens(value))
    return name if name and name[0].isalpha() else ""


def _usable(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_")


def _fill_columns(
    plan: TablePlan,
    probe: sqlite3.Connection,
    providers: Mapping[str, ValueProvider],
    samples: Mapping[tuple[str, str], tuple[Any, Any]],
    convention: dict[str, TimeFormat],
) -> None:
    table = plan.table
    alias = table.rowid_alias
    for cp in plan.columns:
        col = cp.column
        cp.provider = providers.get(f"{table.name}.{col.name}".lower())
        short = cp.rule.len_hi is not None and cp.rule.len_hi <= 3
        if short and cp.profile.provider in ("country", "state", "language", "currency"):
            cp.profile = Profile(cp.profile.kind, f"{cp.profile.provider}_code")
        if col.default is not None:
            constant = is_constant(col.default)
            cp.default = sample(probe, col.default) if constant else None
            if not constant and cp.profile.kind not in ("timestamp", "date"):
                cp.profile = _shaped(cp.profile, sample(probe, col.default))
            # A literal default is the schema's choice, except an empty placeholder ('', '{}',
            # '[]'); an expression (a clock, randomness) is not reproducible from the seed, so
            # the factory makes those values itself.
            cp.declare = not constant or cp.default in ("", "{}", "[]")
        if cp.profile.kind in ("timestamp", "date"):
            found = samples.get((table.name, col.name))
            default, existing = found or (_default_sample(col, probe), None)
            cp.fmt = _time_format(col, cp.profile, default, existing, convention)
        if col.name == alias and cp.rule == Rule():
            cp.declare = False
        if cp.provider is not None:
            cp.declare = True


_FORMATS = (
    timeformats.RFC3339_MS,
    TimeFormat("text", "T", 0, "Z"),
    TimeFormat("text", "T", 0, "+00:00"),
    timeformats.SQLITE_TEXT,
    TimeFormat("text", " ", 3, ""),
    timeformats.DATE,
    timeformats.UNIX,
    timeformats.UNIX_MS,
)
"""The formats a timestamp column's own CHECKs are tried with (see :func:`_formats_from_checks`)."""


def _formats_from_checks(plan: TablePlan, probe: sqlite3.Connection) -> None:
    """Give each timestamp column whose own CHECKs (those naming it alone, such as
    ``CHECK (created_at GLOB '????-??-??T*')`` or ``CHECK (datetime(at) IS NOT NULL)``) reject
    its format the first of :data:`_FORMATS` they accept."""
    timed = [cp for cp in plan.columns if cp.fmt is not None]
    if not timed or not plan.table.checks:
        return
    import threading

    from .base import REFERENCE_TIME
    from .constraints import Verifier

    verifier = Verifier(probe, plan.table, threading.Lock())
    for cp in timed:
        own = [i for i, cols in enumerate(verifier.columns) if cols == {cp.column.name}]
        if not own:
            continue

        def accepted(fmt: TimeFormat, cp: ColumnPlan = cp, own: list[int] = own) -> bool:
            row = {cp.column.name: fmt.write(REFERENCE_TIME)}
            return not set(verifier.failing(row)) & set(own)

        assert cp.fmt is not None
        if not accepted(cp.fmt):
            cp.fmt = next((f for f in _FORMATS if accepted(f)), cp.fmt)


def _shaped(prof: Profile, value: Any) -> Profile:
    """The profile of a column whose non-constant default gave ``value``: a timestamp when the
    value is one, else values shaped like it (hex digits of its length, a UUID...); ``prof``
    when the value says nothing."""
    if timeformats.from_sample(value) is not None:
        return Profile("timestamp")
    return values_like(value) or prof


def _plan_parents(plans: dict[str, TablePlan], schema: Schema) -> None:
    """Decide each foreign key: a ``SubFactory`` for a parent that exists, except where it would
    close a cycle of ``SubFactory`` declarations (then the key stays NULL, or the table cannot
    be filled when the key is NOT NULL)."""
    for plan in plans.values():
        names = {c.attribute for c in plan.columns} | set(plan.traits)
        for fk in plan.table.foreign_keys:
            required = any(
                (c := plan.table.column(n)) is not None and c.notnull for n in fk.columns
            )
            for name in fk.columns:
                cp = plan.column(name)
                if cp is not None:
                    cp.declare = False
            parent = plans.get(fk.parent) or next(
                (p for n, p in plans.items() if n.lower() == fk.parent.lower()), None
            )
            if parent is None:
                if required:
                    _block(
                        plan,
                        f"{plan.name}.{','.join(fk.columns)} is NOT NULL and references table "
                        f"{fk.parent}, which does not exist",
                    )
                continue
            targets = fk.parent_columns or parent.table.primary_key
            if not targets:
                targets = (parent.rowid_key,) if parent.rowid_key else ()
            problem = _mismatch(parent.table, targets, schema)
            if problem:
                if required or problem.startswith("foreign key mismatch"):
                    _block(plan, f"{plan.name}.{','.join(fk.columns)}: {problem}")
                continue
            if parent is plan:
                if required:
                    for child, target in zip(fk.columns, targets, strict=True):
                        plan.self_keys[child] = target
                continue
            relation = _relationship_name(fk, names)
            plan.parents.append(ParentPlan(relation, fk, parent.name, tuple(targets), required))
    _break_cycles(plans)


def _block(plan: TablePlan, reason: str) -> None:
    if not plan.blocked:
        plan.limit, plan.blocked = Limit(0, reason), True


def _mismatch(parent: Table, targets: tuple[str, ...], schema: Schema) -> str:
    """Why SQLite refuses a foreign key to ``targets`` of ``parent`` ("foreign key mismatch"),
    or ``""``: the columns must exist and be the primary key or carry a UNIQUE index."""
    if not targets:
        return f"references the primary key of {parent.name}, which has none"
    wanted = {t.lower() for t in targets}
    if any(parent.column(t) is None for t in targets if t not in ("rowid", "oid", "_rowid_")):
        return f"foreign key mismatch: {parent.name} has no column(s) {', '.join(targets)}"
    if {c.lower() for c in parent.primary_key} == wanted:
        return ""
    for index in schema.indexes.values():
        if (
            index.table == parent.name
            and index.unique
            and index.where is None
            and {c.lower() for c in index.columns} == wanted
        ):
            return ""
    if parent.rowid_alias and wanted == {parent.rowid_alias.lower()}:
        return ""
    return (
        f"foreign key mismatch: {parent.name}({', '.join(targets)}) is neither its primary key "
        "nor UNIQUE, so SQLite rejects every insert"
    )


def _break_cycles(plans: dict[str, TablePlan]) -> None:
    """Drop ``SubFactory`` edges that close a cycle: nullable edges first (they become NULL);
    a cycle of NOT NULL keys makes its tables unfillable."""
    edges = sorted(
        ((p, e) for p in plans.values() for e in p.parents),
        key=lambda pe: (not pe[1].required, pe[0].name, pe[1].name),
    )
    graph: dict[str, set[str]] = {n: set() for n in plans}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph[node])
        return False

    for plan, edge in edges:
        if reaches(edge.parent, plan.name):
            edge.subfactory = False
            if edge.required:
                _block(
                    plan,
                    f"{plan.name}.{','.join(edge.key.columns)} -> {edge.parent} closes a cycle of "
                    "NOT NULL foreign keys; no row can be inserted first",
                )
            continue
        graph[plan.name].add(edge.parent)


def _plan_unique(plan: TablePlan, schema: Schema, conn: sqlite3.Connection | None) -> None:
    """Make the columns of each UNIQUE key (primary key included) differ from row to row, and
    note the :class:`Limit` when their CHECKs allow fewer values than a test may want."""
    keys: list[tuple[str, tuple[str, ...]]] = []
    if plan.table.primary_key:
        keys.append(("primary key", plan.table.primary_key))
    for index in schema.indexes.values():
        if index.table != plan.name or not index.unique or index.origin == "pk":
            continue
        columns = tuple(
            c
            for key in index.keys or ()
            for c in ([key.column] if key.column else _named(plan.table, key.expression or ""))
        ) or tuple(c for c in index.columns if c != "<expr>")
        keys.append((f"UNIQUE ({', '.join(columns)})", columns))
    parents = {c for p in plan.parents if p.subfactory for c in p.key.columns}
    for label, names in keys:
        if any(n in parents for n in names):
            continue  # a new parent for every row: the key differs already
        members = [cp for n in names if (cp := plan.column(n)) is not None]
        if not members or any(
            not cp.declare and cp.column.name in plan.self_keys for cp in members
        ):
            continue
        if len(members) == 1 and members[0].column.name == plan.table.rowid_alias:
            cp = members[0]
            if not cp.declare:
                continue
        _carry(plan, label, members, conn)


def _named(table: Table, expression: str) -> list[str]:
    from .constraints import check_columns

    return sorted(check_columns(table, expression))


def _carry(
    plan: TablePlan, label: str, members: list[ColumnPlan], conn: sqlite3.Connection | None
) -> None:
    caps = [capacity(cp.rule, cp.profile.kind) for cp in members]
    free = [cp for cp, cap in zip(members, caps, strict=True) if cap is None]
    if free:
        carrier = next((cp for cp in free if cp.profile.kind == "text"), free[0])
        carrier.unique, carrier.declare = 1, True
        if carrier.profile.kind in ("integer",) and carrier.provider is None:
            found = _existing(conn, plan.name, carrier.column.name, "max")
            carrier.start = int(found) + 1 if isinstance(found, int | float) else 0
        return
    total, divisor = 1, 1
    for cp, cap in zip(members, caps, strict=True):
        assert cap is not None
        cp.unique, cp.declare = divisor, True
        divisor *= max(cap, 1)
        total *= cap
    if total >= FEW or plan.blocked:
        return
    checks = [
        c for c in plan.table.checks if any(cp.column.name.lower() in c.lower() for cp in members)
    ]
    shown = "; ".join(f"CHECK ({c})" for c in checks) or "their type"
    reason = f"{plan.name}: {label} takes at most {total} distinct value(s) under {shown}"
    existing = _row_count(conn, plan.name)
    if existing:
        reason += f", and the migrations left {existing} row(s) in the table"
    rows = max(total - existing, 0)
    if plan.limit is None or plan.limit.rows > rows:
        plan.limit = Limit(rows, reason)


def _propagate_limits(plans: dict[str, TablePlan]) -> None:
    """A table whose NOT NULL parent can have no row can have none either."""
    changed = True
    while changed:
        changed = False
        for plan in plans.values():
            if plan.blocked:
                continue
            for edge in plan.parents:
                parent = plans[edge.parent]
                if edge.required and edge.subfactory and parent.blocked and parent.limit:
                    _block(
                        plan, f"its parent {parent.name} cannot be filled: {parent.limit.reason}"
                    )
                    changed = True
                    break
