"""Differences between two schema snapshots, as sentences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .model import Column, Index, Schema, Table, Trigger, View


@dataclass(frozen=True)
class Change:
    """One difference between two schemas: ``what`` is ``added``, ``removed`` or ``changed`` (in
    the second schema relative to the first); ``kind`` one of table, index, trigger, view."""

    what: Literal["added", "removed", "changed"]
    kind: str
    name: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.kind} {self.name} was {self.what}"
        return f"{text}: {self.detail}" if self.detail else text


def diff(before: Schema, after: Schema) -> list[Change]:
    """What changed from ``before`` to ``after``, sorted by kind and name."""
    changes: list[Change] = []
    if after is before:
        return changes
    for kind, mine, theirs in (
        ("table", before.tables, after.tables),
        ("index", before.indexes, after.indexes),
        ("trigger", before.triggers, after.triggers),
        ("view", before.views, after.views),
    ):
        for name in sorted(mine.keys() | theirs.keys()):
            if name not in theirs:
                changes.append(Change("removed", kind, name))
            elif name not in mine:
                changes.append(Change("added", kind, name))
            elif mine[name] is not theirs[name] and mine[name] != theirs[name]:
                changes.append(Change("changed", kind, name, _describe(mine[name], theirs[name])))
    return changes


def _describe(before: object, after: object) -> str:
    if isinstance(before, Table) and isinstance(after, Table):
        notes = []
        cols_b = {c.name: c for c in before.columns}
        cols_a = {c.name: c for c in after.columns}
        notes += [f"column {n} removed" for n in cols_b if n not in cols_a]
        notes += [f"column {n} added" for n in cols_a if n not in cols_b]
        notes += [
            f"column {n}: {_fmt(cols_b[n])} -> {_fmt(cols_a[n])}"
            for n in cols_b
            if n in cols_a and cols_b[n] != cols_a[n]
        ]
        if [c.name for c in before.columns] != [c.name for c in after.columns] and not notes:
            notes.append("column order changed")
        if before.foreign_keys != after.foreign_keys:
            notes.append(f"foreign keys {_fks(before)} -> {_fks(after)}")
        if before.checks != after.checks:
            notes.append(f"checks {list(before.checks)} -> {list(after.checks)}")
        if _options(before) != _options(after):
            notes.append(f"{_options(before) or 'ordinary'} -> {_options(after) or 'ordinary'}")
        return "; ".join(notes)
    if isinstance(before, Index) and isinstance(after, Index):
        return f"{_index(before)} -> {_index(after)}"
    if isinstance(before, Trigger | View) and isinstance(after, Trigger | View):
        return f"{before.sql} -> {after.sql}"
    return f"{before} -> {after}"


def _options(t: Table) -> str:
    """The kind and options of a table in words: ``virtual (fts5)``, ``WITHOUT ROWID``..."""
    words = [f"virtual ({t.module})"] if t.virtual else []
    words += ["shadow"] if t.shadow else []
    words += ["WITHOUT ROWID"] if t.without_rowid else []
    words += ["STRICT"] if t.strict else []
    return ", ".join(words)


def _index(i: Index) -> str:
    keys = [str(k) for k in i.keys] or list(i.columns)
    where = f" WHERE {i.where}" if i.where else ""
    return f"{'UNIQUE ' if i.unique else ''}{i.table}({', '.join(keys)}){where}"


def _fmt(c: Column) -> str:
    parts = [c.type or "(no type)"]
    parts += ["NOT NULL"] if c.notnull else []
    parts += [f"DEFAULT {c.default}"] if c.default is not None else []
    parts += [f"PK#{c.pk}"] if c.pk else []
    parts += [{1: "HIDDEN", 2: "GENERATED VIRTUAL", 3: "GENERATED STORED"}.get(c.hidden, "")]
    return " ".join(p for p in parts if p)


def _fks(t: Table) -> list[str]:
    return [
        f"({','.join(f.columns)})->{f.parent}({','.join(f.parent_columns)}) ON DELETE {f.on_delete}"
        for f in t.foreign_keys
    ]


def loosened(before: Schema, after: Schema, change: Change) -> bool:
    """True when ``change`` (a table changed from ``before`` to ``after``) only puts the same
    columns in another order or lets columns that were NOT NULL hold NULL: what a down script
    re-adding a dropped column with ``ALTER TABLE ... ADD COLUMN`` (which cannot add a NOT NULL
    column without a default, and always adds it last) leaves. Everything else equal: types,
    defaults, keys, foreign keys, CHECKs, options."""
    if change.kind != "table" or change.what != "changed":
        return False
    old, new = before.tables.get(change.name), after.tables.get(change.name)
    if old is None or new is None:
        return False
    if (old.foreign_keys, old.checks, _options(old)) != (
        new.foreign_keys,
        new.checks,
        _options(new),
    ):
        return False
    cols_b = {c.name.lower(): c for c in old.columns}
    cols_a = {c.name.lower(): c for c in new.columns}
    if cols_b.keys() != cols_a.keys():
        return False
    for name, was in cols_b.items():
        now = cols_a[name]
        if (was.type, was.default, was.pk, was.hidden) != (
            now.type,
            now.default,
            now.pk,
            now.hidden,
        ):
            return False
        if now.notnull and not was.notnull:
            return False
    return True
