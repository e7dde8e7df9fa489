"""What a migration history says about columns that one schema alone does not.

Rows the kit invents must not break invariants the real data keeps. Some of those invariants are
written down somewhere in the history, just not in the schema the rows are made for:

- a column a later migration turns into a foreign key held references all along (the migration
  copies the rows into the new table, which only works if they do): ``references``;
- a column some migration, index, generated column, trigger or view reads with a JSON function
  (``json_extract(payload, '$.type')``, ``JSON(attachments)``) always holds JSON: ``json``.

:func:`history_hints` reads them from every schema of a walk and every script; a
:class:`~pytest_acodb.synth.rows.RowSynth` given them (``hints=``) fills such columns with a
parent's key (when that parent table exists) and with JSON text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..migrate.sql import split_statements
from ..schema import Schema
from ..schema.parse import json_uses


@dataclass(frozen=True)
class Hints:
    """``references``: ``{(table, column): (parent, parent column)}``, lower-cased keys, for
    single-column foreign keys declared in any schema of the history; ``json``: ``(table,
    column)`` pairs (lower-cased; table ``""`` when the statement did not say) read as JSON;
    ``arrays``: those of them read as arrays (``json_each``, ``json_array_length``)."""

    references: Mapping[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    json: frozenset[tuple[str, str]] = frozenset()
    arrays: frozenset[tuple[str, str]] = frozenset()

    def reference(self, table: str, column: str) -> tuple[str, str] | None:
        """``(parent, parent column)`` some schema of the history declares for
        ``table.column``, or ``None``."""
        return self.references.get((table.lower(), column.lower()))

    def holds_json(self, table: str, column: str) -> bool:
        """True when the history reads ``table.column`` as JSON."""
        key = (table.lower(), column.lower())
        return key in self.json or ("", key[1]) in self.json

    def json_text(self, table: str, column: str) -> str:
        """The JSON text a row gets for a JSON column: ``[]`` for arrays, else ``{}``."""
        key = (table.lower(), column.lower())
        return "[]" if key in self.arrays or ("", key[1]) in self.arrays else "{}"


NO_HINTS = Hints()


def history_hints(schemas: Iterable[Schema], scripts: Iterable[str]) -> Hints:
    """The :class:`Hints` of a history: the foreign keys of every schema in ``schemas`` and the
    JSON reads of every statement of ``scripts`` and of the SQL the schemas keep (indexes,
    generated columns, triggers, views). Only statements that mention ``json`` or ``->`` are
    parsed."""
    references: dict[tuple[str, str], tuple[str, str]] = {}
    texts: list[str] = []
    seen: set[int] = set()
    for schema in schemas:
        if id(schema) in seen:
            continue
        seen.add(id(schema))
        for table in schema.tables.values():
            for fk in table.foreign_keys:
                if len(fk.columns) != 1:
                    continue
                parent = schema.table(fk.parent)
                target = fk.parent_columns[0] if fk.parent_columns else None
                if target is None and parent is not None and len(parent.primary_key) == 1:
                    target = parent.primary_key[0]
                if target is not None:
                    references.setdefault(
                        (table.name.lower(), fk.columns[0].lower()), (fk.parent, target)
                    )
        texts += [row[3] for row in schema.rows if _mentions_json(row[3])]
    for script in scripts:
        if _mentions_json(script):
            texts += [s.text for s in split_statements(script) if _mentions_json(s.text)]
    json: set[tuple[str, str]] = set()
    arrays: set[tuple[str, str]] = set()
    for text in dict.fromkeys(texts):
        lowered = text.lower()
        for use in json_uses(text):
            key = (use.table, use.column.lower())
            json.add(key)
            if "json_each" in lowered or "array_length" in lowered or "json_tree" in lowered:
                arrays.add(key)
    return Hints(references, frozenset(json), frozenset(arrays))


def _mentions_json(text: str) -> bool:
    return "json" in text.lower() or "->" in text
