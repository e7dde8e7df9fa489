"""Synthetic sqlx migration directories of any size, for benchmarks.

``write_migrations(directory, count)`` writes ``count`` reversible migrations (``.up.sql`` and
``.down.sql``) that look like a real project's history: tables with foreign keys (``CASCADE`` and
``SET NULL``), ``CHECK`` value lists and timestamp defaults; indexes; ``updated_at`` triggers
(recreated when a column is added, as SQLite requires); columns added and dropped; leaf tables
rebuilt with SQLite's create-copy-drop-rename procedure; small seed data. The same ``count`` and
``seed`` always give the same files.

Run it directly to write a directory: ``python benchmarks/synthetic.py OUT_DIR COUNT``.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
STATUSES = ("'pending'", "'active'", "'archived'", "'failed'")
FIRST_VERSION = 20240101000000


@dataclass
class _Table:
    name: str
    columns: list[str] = field(default_factory=list)  # extra columns, "name TYPE ..."
    added: list[str] = field(default_factory=list)  # ADD COLUMN ones: they come last
    parent: str | None = None
    on_delete: str = "CASCADE"
    indexes: dict[str, str] = field(default_factory=dict)  # name -> column list
    trigger: bool = False
    strict_status: bool = True
    children: int = 0

    def create_sql(self, name: str | None = None) -> str:
        lines = [
            "    id TEXT PRIMARY KEY NOT NULL",
            "    name TEXT NOT NULL",
            f"    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ({', '.join(STATUSES)}))"
            if self.strict_status
            else "    status TEXT NOT NULL DEFAULT 'pending'",
        ]
        if self.parent:
            null = "" if self.on_delete == "SET NULL" else " NOT NULL"
            lines.append(f"    {self.parent}_id TEXT{null}")
        lines += [f"    {c}" for c in self.columns]
        lines += [
            f"    created_at TEXT NOT NULL DEFAULT {NOW}",
            f"    updated_at TEXT NOT NULL DEFAULT {NOW}",
        ]
        lines += [f"    {c}" for c in self.added]
        if self.parent:
            lines.append(
                f"    FOREIGN KEY ({self.parent}_id) REFERENCES {self.parent}(id) "
                f"ON DELETE {self.on_delete}"
            )
        return f"CREATE TABLE {name or self.name} (\n" + ",\n".join(lines) + "\n);\n"

    def column_names(self) -> list[str]:
        names = ["id", "name", "status"]
        if self.parent:
            names.append(f"{self.parent}_id")
        names += [c.split()[0] for c in self.columns]
        return [*names, "created_at", *(c.split()[0] for c in self.added)]

    def all_column_names(self) -> list[str]:
        """Every column in table order (``updated_at`` before the added ones)."""
        names = self.column_names()
        split = len(names) - len(self.added)
        return [*names[:split], "updated_at", *names[split:]]

    def trigger_sql(self) -> str:
        return (
            f"CREATE TRIGGER trg_{self.name}_updated_at\n"
            f"AFTER UPDATE OF {', '.join(self.column_names())} ON {self.name}\n"
            "FOR EACH ROW\nWHEN NEW.updated_at IS OLD.updated_at\nBEGIN\n"
            f"    UPDATE {self.name} SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
            "WHERE id = NEW.id;\nEND;\n"
        )

    def drop_trigger_sql(self) -> str:
        return f"DROP TRIGGER trg_{self.name}_updated_at;\n"


class _History:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tables: list[_Table] = []
        self.lookups: list[str] = []
        self.serial = 0

    def _next_name(self, stem: str) -> str:
        self.serial += 1
        return f"{stem}_{self.serial}"

    def create_table(self) -> tuple[str, str, str]:
        parent = self.rng.choice(self.tables) if self.tables and self.rng.random() < 0.7 else None
        stem = self.rng.choice(("project", "job", "run", "event", "asset", "note"))
        table = _Table(
            self._next_name(stem),
            columns=["payload TEXT NOT NULL DEFAULT '{}'", "priority INTEGER NOT NULL DEFAULT 0"],
            parent=parent.name if parent else None,
            on_delete=self.rng.choice(("CASCADE", "SET NULL")),
        )
        if parent:
            parent.children += 1
        up = table.create_sql()
        down = []
        index = f"idx_{table.name}_status"
        table.indexes[index] = "status, created_at"
        up += f"CREATE INDEX {index} ON {table.name}(status, created_at);\n"
        down.append(f"DROP INDEX {index};\n")
        if parent:
            fk_index = f"idx_{table.name}_{parent.name}"
            table.indexes[fk_index] = f"{parent.name}_id"
            up += f"CREATE INDEX {fk_index} ON {table.name}({parent.name}_id);\n"
            down.append(f"DROP INDEX {fk_index};\n")
        down.append(f"DROP TABLE {table.name};\n")
        self.tables.append(table)
        return f"create_{table.name}", up, "".join(down)

    def add_column(self) -> tuple[str, str, str]:
        table = self.rng.choice(self.tables)
        column = self._next_name("extra")
        up, down = "", ""
        if table.trigger:
            up += table.drop_trigger_sql()
        up += f"ALTER TABLE {table.name} ADD COLUMN {column} TEXT;\n"
        old_trigger = table.trigger_sql() if table.trigger else ""
        table.added.append(f"{column} TEXT")
        if table.trigger:
            up += table.trigger_sql()
            down += table.drop_trigger_sql()
        down += f"ALTER TABLE {table.name} DROP COLUMN {column};\n"
        down += old_trigger
        return f"add_{column}_to_{table.name}", up, down

    def add_index(self) -> tuple[str, str, str] | None:
        """An index on columns of one table that no index of it covers yet."""
        options = [
            (t, cols)
            for t in self.tables
            for cols in ("name", "priority", "name, created_at", "priority, status")
            if cols not in t.indexes.values()
        ]
        if not options:
            return None
        table, columns = self.rng.choice(options)
        index = self._next_name(f"idx_{table.name}_{columns.split(',')[0]}")
        table.indexes[index] = columns
        return (
            f"index_{table.name}_{columns.split(',')[0]}",
            f"CREATE INDEX {index} ON {table.name}({columns});\n",
            f"DROP INDEX {index};\n",
        )

    def add_trigger(self) -> tuple[str, str, str] | None:
        candidates = [t for t in self.tables if not t.trigger]
        if not candidates:
            return None
        table = self.rng.choice(candidates)
        table.trigger = True
        return f"updated_at_trigger_{table.name}", table.trigger_sql(), table.drop_trigger_sql()

    def rebuild(self) -> tuple[str, str, str] | None:
        """SQLite's create-copy-drop-rename procedure on a table nobody references: toggle the
        CHECK on ``status``."""
        leaves = [t for t in self.tables if t.children == 0]
        if not leaves:
            return None
        table = self.rng.choice(leaves)

        def procedure(strict: bool) -> str:
            was = table.strict_status
            table.strict_status = strict
            columns = ", ".join(table.all_column_names())
            sql = table.create_sql(f"{table.name}_new")
            sql += f"INSERT INTO {table.name}_new ({columns}) SELECT {columns} FROM {table.name};\n"
            sql += f"DROP TABLE {table.name};\n"
            sql += f"ALTER TABLE {table.name}_new RENAME TO {table.name};\n"
            for index, indexed in table.indexes.items():
                sql += f"CREATE INDEX {index} ON {table.name}({indexed});\n"
            if table.trigger:
                sql += table.trigger_sql()
            table.strict_status = was
            return sql

        up = procedure(not table.strict_status)
        down = procedure(table.strict_status)
        table.strict_status = not table.strict_status
        return f"rebuild_{table.name}", up, down

    def seed(self) -> tuple[str, str, str]:
        """Seed data: a new lookup table with a few rows, or more rows for an existing one."""
        if self.lookups and self.rng.random() < 0.6:
            table = self.rng.choice(self.lookups)
            first = self.serial
            self.serial += 1
            codes = [f"'{table}-{first}-{i}'" for i in range(self.rng.randint(2, 6))]
            rows = ", ".join(f"({code}, 'value {i}')" for i, code in enumerate(codes))
            return (
                f"seed_more_{table}",
                f"INSERT INTO {table} (code, label) VALUES {rows};\n",
                f"DELETE FROM {table} WHERE code IN ({', '.join(codes)});\n",
            )
        table = self._next_name("lookup")
        self.lookups.append(table)
        rows = ", ".join(f"('{table}-{i}', 'value {i}')" for i in range(self.rng.randint(2, 6)))
        up = (
            f"CREATE TABLE {table} (\n    code TEXT PRIMARY KEY NOT NULL,\n"
            "    label TEXT NOT NULL\n);\n"
            f"INSERT INTO {table} (code, label) VALUES {rows};\n"
        )
        return f"seed_{table}", up, f"DROP TABLE {table};\n"


def write_migrations(directory: Path, count: int, seed: int = 7) -> list[Path]:
    """Write ``count`` migrations into ``directory`` (created); returns the ``.up.sql`` paths.

    Roughly: 25% new tables, 20% added columns, 20% indexes, 10% ``updated_at`` triggers, 10%
    table rebuilds, 15% seed data (new lookup tables or rows for existing ones).
    """
    directory.mkdir(parents=True, exist_ok=True)
    history = _History(seed)
    written = []
    for i in range(count):
        roll = history.rng.random()
        made = None
        if i == 0 or roll < 0.25:
            made = history.create_table()
        elif roll < 0.45:
            made = history.add_column()
        elif roll < 0.65:
            made = history.add_index()
        elif roll < 0.75:
            made = history.add_trigger()
        elif roll < 0.85:
            made = history.rebuild()
        if made is None:
            made = history.seed()
        description, up, down = made
        stem = f"{FIRST_VERSION + i}_{description}"
        header = f"-- synthetic migration {i + 1} of {count}: {description}\n\n"
        (directory / f"{stem}.up.sql").write_text(header + up)
        (directory / f"{stem}.down.sql").write_text(f"-- revert {description}\n\n" + down)
        written.append(directory / f"{stem}.up.sql")
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python benchmarks/synthetic.py OUT_DIR COUNT")
    paths = write_migrations(Path(sys.argv[1]), int(sys.argv[2]))
    print(f"wrote {len(paths)} migrations to {sys.argv[1]}")
