"""The shapes a schema snapshot is made of: tables, columns, keys, indexes, triggers, views."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .diff import Change

SYSTEM_PREFIX = "sqlite_"


@dataclass(frozen=True)
class Column:
    """One column: ``type`` as declared (upper-cased), ``default`` as SQL text or ``None``,
    ``pk`` the 1-based position in the primary key (0 when not in it)."""

    name: str
    type: str
    notnull: bool
    default: str | None
    pk: int


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
    """A table: columns in declaration order, foreign keys, CHECK expressions (normalised SQL),
    and its original ``sql`` (not compared)."""

    name: str
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...]
    checks: tuple[str, ...]
    virtual: bool = False
    sql: str = field(default="", compare=False)

    def column(self, name: str) -> Column | None:
        """The column called ``name`` (case-insensitive, as SQLite matches), or ``None``."""
        return next((c for c in self.columns if c.name.lower() == name.lower()), None)

    @property
    def primary_key(self) -> tuple[str, ...]:
        """Names of the primary-key columns in key order (empty for a rowid-only table)."""
        return tuple(c.name for c in sorted(self.columns, key=lambda c: c.pk) if c.pk)


@dataclass(frozen=True)
class Index:
    """An index: ``columns`` (``"<expr>"`` for an expression), ``unique``, ``where`` (normalised
    partial-index clause or ``None``), ``origin``: ``c`` (CREATE INDEX), ``u`` (UNIQUE), ``pk``."""

    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool
    where: str | None
    origin: str


@dataclass(frozen=True)
class Trigger:
    """A trigger on ``table`` with its whitespace-normalised ``sql``."""

    name: str
    table: str
    sql: str


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
    views: dict[str, str]
    rows: tuple[tuple[str, str, str, str], ...] = field(default=(), compare=False, repr=False)

    def diff(self, other: Schema) -> list[Change]:
        """What changed from ``self`` to ``other``, sorted by kind and name (see
        :func:`pytest_acodb.schema.diff.diff`)."""
        from .diff import diff

        return diff(self, other)
