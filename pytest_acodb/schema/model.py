"""The shapes a schema snapshot is made of: tables, columns, keys, indexes, triggers, views.

Fields marked "not compared" keep the SQL text SQLite stores for an object, for rendering it
again; every other field is structure, and two snapshots are equal when their structure is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .diff import Change

SYSTEM_PREFIX = "sqlite_"

ROWID_NAMES = frozenset({"rowid", "oid", "_rowid_"})
"""The names SQLite accepts for the rowid of a table that has one (lower case)."""


def type_affinity(declared: str) -> str:
    """SQLite's type affinity of a declared column type: ``INTEGER``, ``TEXT``, ``BLOB``,
    ``REAL`` or ``NUMERIC``, by the first rule of sqlite.org/datatype3.html section 3.1 that
    matches (case-insensitive substrings): ``INT`` -> INTEGER; ``CHAR``, ``CLOB`` or ``TEXT`` ->
    TEXT; ``BLOB`` or no type at all -> BLOB; ``REAL``, ``FLOA`` or ``DOUB`` -> REAL; anything
    else -> NUMERIC. So ``VARCHAR(20)`` is TEXT, ``FLOATING POINT`` INTEGER (it contains
    ``INT``), ``BLOBBY`` BLOB, ``DATETIME`` and ``BOOLEAN`` NUMERIC."""
    t = declared.upper()
    if "INT" in t:
        return "INTEGER"
    if "CHAR" in t or "CLOB" in t or "TEXT" in t:
        return "TEXT"
    if "BLOB" in t or not t.strip():
        return "BLOB"
    if "REAL" in t or "FLOA" in t or "DOUB" in t:
        return "REAL"
    return "NUMERIC"


@dataclass(frozen=True)
class Column:
    """One column: ``type`` as declared (upper-cased), ``default`` as SQL text or ``None``,
    ``pk`` the 1-based position in the primary key (0 when not in it), ``hidden`` as SQLite's
    ``table_xinfo`` says: 0 an ordinary column, 1 a hidden column of a virtual table (FTS5's
    ``rank``...), 2 a generated ``VIRTUAL`` column, 3 a generated ``STORED`` one."""

    name: str
    type: str
    notnull: bool
    default: str | None
    pk: int
    hidden: int = 0

    @property
    def generated(self) -> bool:
        """True for a generated (computed) column: never inserted into or updated."""
        return self.hidden in (2, 3)

    @property
    def insertable(self) -> bool:
        """True when an ``INSERT`` may name this column (neither generated nor hidden)."""
        return self.hidden == 0

    @property
    def affinity(self) -> str:
        """SQLite's type affinity of the declared type (:func:`type_affinity`). In a ``STRICT``
        table an ``ANY`` column converts nothing, though the rule says NUMERIC."""
        return type_affinity(self.type)


@dataclass(frozen=True, order=True)
class ForeignKey:
    """A foreign key of a table: its ``columns`` referencing ``parent``'s ``parent_columns``
    (empty when the parent's primary key is meant), with ``on_delete`` / ``on_update`` actions."""

    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    on_delete: str
    on_update: str


@dataclass(frozen=True)
class Table:
    """A table: columns in declaration order (hidden and generated ones included, see
    :attr:`Column.hidden`), foreign keys, CHECK expressions (normalised SQL), and its original
    ``sql`` (not compared).

    ``virtual``: a virtual table, with its ``module`` (lower case: ``fts5``, ``rtree``,
    ``vec0``...); ``shadow``: a table a virtual table keeps its data in (FTS5's ``docs_data``...),
    as SQLite classifies it; ``without_rowid`` and ``strict``: the table options.
    """

    name: str
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...]
    checks: tuple[str, ...]
    virtual: bool = False
    module: str | None = None
    shadow: bool = False
    without_rowid: bool = False
    strict: bool = False
    sql: str = field(default="", compare=False)

    def column(self, name: str) -> Column | None:
        """The column called ``name`` (case-insensitive, as SQLite matches), or ``None``."""
        return next((c for c in self.columns if c.name.lower() == name.lower()), None)

    @property
    def primary_key(self) -> tuple[str, ...]:
        """Names of the primary-key columns in key order (empty for a rowid-only table)."""
        return tuple(c.name for c in sorted(self.columns, key=lambda c: c.pk) if c.pk)

    @property
    def ordinary(self) -> bool:
        """True for a table that holds rows of its own: neither virtual nor a shadow table."""
        return not self.virtual and not self.shadow

    @property
    def has_rowid(self) -> bool:
        """True when rows have a rowid (every table but a ``WITHOUT ROWID`` one)."""
        return not self.without_rowid

    @property
    def rowid_alias(self) -> str | None:
        """The ``INTEGER PRIMARY KEY`` column that is another name for the rowid, or ``None``."""
        pk = [c for c in self.columns if c.pk]
        if self.has_rowid and not self.virtual and len(pk) == 1 and pk[0].type == "INTEGER":
            return pk[0].name
        return None


@dataclass(frozen=True)
class IndexKey:
    """One key of an index, in key order: ``column`` (its name, ``None`` for an expression),
    ``expression`` (whitespace-normalised SQL text of an expression key, else ``None``),
    ``desc`` (``DESC`` order) and ``collation`` (as SQLite resolved it: ``BINARY``,
    ``NOCASE``...)."""

    column: str | None
    expression: str | None
    desc: bool
    collation: str

    def __str__(self) -> str:
        """The key as SQL: ``name COLLATE NOCASE DESC`` (``BINARY`` and ``ASC`` left out)."""
        text = self.column if self.column is not None else (self.expression or "<expr>")
        text += f" COLLATE {self.collation}" if self.collation.upper() != "BINARY" else ""
        return text + (" DESC" if self.desc else "")


@dataclass(frozen=True)
class Index:
    """An index: ``columns`` (``"<expr>"`` for an expression), ``unique``, ``where`` (normalised
    partial-index clause or ``None``), ``origin``: ``c`` (CREATE INDEX), ``u`` (UNIQUE), ``pk``;
    ``keys``: each key with its order and collation; ``sql``: the ``CREATE INDEX`` statement as
    SQLite keeps it (empty for an automatic index; not compared)."""

    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool
    where: str | None
    origin: str
    keys: tuple[IndexKey, ...] = ()
    sql: str = field(default="", compare=False)


@dataclass(frozen=True)
class Trigger:
    """A trigger on ``table`` with its whitespace-normalised ``sql``; ``timing`` (``BEFORE``,
    ``AFTER``, ``INSTEAD OF``), ``event`` (``INSERT``, ``UPDATE``, ``DELETE``; both empty when
    the statement cannot be read) and ``update_of`` (the columns of ``UPDATE OF a, b``; empty:
    any column); ``text``: the statement as SQLite keeps it (not compared)."""

    name: str
    table: str
    sql: str
    timing: str = ""
    event: str = ""
    update_of: tuple[str, ...] = ()
    text: str = field(default="", compare=False)


@dataclass(frozen=True)
class View:
    """A view with its whitespace-normalised ``sql``; ``reads``: lower-cased names of the tables
    and views its query names (common table expressions left out), for creating views in
    dependency order; ``text``: the statement as SQLite keeps it (not compared)."""

    name: str
    sql: str
    reads: tuple[str, ...] = ()
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.sql


@dataclass(frozen=True)
class Schema:
    """A normalised snapshot; equal snapshots mean structurally equal databases.

    ``rows``: the ``(type, name, tbl_name, sql)`` rows of ``sqlite_schema`` it was read from,
    sorted by name (not compared; empty when built by hand); a later snapshot of a database
    with exactly these rows is this same object (see :func:`snapshot`'s ``known``).
    """

    tables: dict[str, Table]
    indexes: dict[str, Index]
    triggers: dict[str, Trigger]
    views: dict[str, View]
    rows: tuple[tuple[str, str, str, str], ...] = field(default=(), compare=False, repr=False)

    def diff(self, other: Schema) -> list[Change]:
        """What changed from ``self`` to ``other``, sorted by kind and name (see
        :func:`pytest_acodb.schema.diff.diff`)."""
        from .diff import diff

        return diff(self, other)

    def table(self, name: str) -> Table | None:
        """The table called ``name`` (case-insensitive, as SQLite matches), or ``None``."""
        found = self.tables.get(name)
        if found is None:
            low = name.lower()
            found = next((t for n, t in self.tables.items() if n.lower() == low), None)
        return found

    def dangling(self, trigger: Trigger) -> tuple[str, ...]:
        """What ``trigger`` names that this schema lacks, one phrase each (``table items_log``,
        ``column customers.name``), in the order its statement names them; empty when every
        table it names exists and every column it names is found where it can be resolved.

        Read from the trigger's SQL with sqlglot (:func:`~pytest_acodb.schema.parse.references`):
        a column is only judged when the tables it can belong to are all known tables of this
        schema (not views, subqueries or common table expressions), so a name it cannot place
        is never reported."""
        from .parse import references

        refs = references(trigger.text or trigger.sql)
        found: list[str] = []
        for name in refs.tables:
            if self.table(name) is None and name not in {v.lower() for v in self.views}:
                found.append(f"table {name}")
        for ref in refs.columns:
            owners = [trigger.table if o in ("new", "old") else o for o in ref.owners]
            tables = [self.table(o) for o in owners]
            if not tables or any(t is None for t in tables):
                continue
            if all(t is not None and t.column(ref.name) is None for t in tables):
                if ref.name.lower() in ROWID_NAMES and any(t and t.has_rowid for t in tables):
                    continue
                shown = tables[0].name if tables[0] is not None else owners[0]
                found.append(f"column {shown}.{ref.name}")
        return tuple(dict.fromkeys(found))
