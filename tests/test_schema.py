"""The schema snapshot, the one reader of structure, and what is built on it: every structural
fact it captures, the one affinity rule, trigger events and what a trigger names that is gone,
and ``to_sql`` replaying to an equal snapshot on every real directory of migrations."""

from __future__ import annotations

import ast
import importlib
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_acodb import bundled_migrations_dir
from pytest_acodb.checks import Check, plan
from pytest_acodb.db import driver as drivers
from pytest_acodb.db.connect import Connector, default_connector
from pytest_acodb.errors import CheckFailure, CheckSkipped, SourceError
from pytest_acodb.migrate import Migrator, resolve
from pytest_acodb.schema import Column, IndexKey, Schema, SnapshotCache, snapshot, type_affinity
from pytest_acodb.schema.parse import TriggerEvent, references, trigger_event
from pytest_acodb.schema.render import to_json, to_mermaid, to_sql
from pytest_acodb.synth.rows import RowSynth, value_kind

HERE = Path(__file__).parent
PACKAGE = HERE.parent / "pytest_acodb"
CORPUS = HERE.parent.parent / "shared" / "corpus"
NEEDS_VEC = {"mediar-ai__screenpipe"}
"""Corpus directories whose migrations call sqlite-vec's functions."""


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    connection = default_connector().connect(":memory:")
    yield connection
    connection.close()


def _vec_connector() -> Connector:
    connector = Connector(drivers.load(), extensions=("sqlite_vec",))
    try:
        connector.check()
    except Exception as exc:  # no sqlite-vec, or a driver that cannot load extensions
        pytest.skip(f"sqlite-vec cannot be loaded here: {exc}")
    return connector


# -- structural facts -----------------------------------------------------------------------


def test_generated_columns_are_known_and_never_inserted_into(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE prices (id INTEGER PRIMARY KEY, net INTEGER NOT NULL, "
        "gross INTEGER GENERATED ALWAYS AS (net * 2) VIRTUAL, "
        "label TEXT AS ('n' || net) STORED)"
    )
    table = snapshot(conn).tables["prices"]
    assert [(c.name, c.hidden, c.generated) for c in table.columns] == [
        ("id", 0, False),
        ("net", 0, False),
        ("gross", 2, True),
        ("label", 3, True),
    ]
    synth = RowSynth(conn, snapshot(conn))
    assert synth.generated("prices") == {"gross", "label"}
    row = synth.insert("prices")
    assert row["gross"] == row["net"] * 2 and row["label"] == f"n{row['net']}"


def test_without_rowid_and_strict_tables(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE kv (k INTEGER PRIMARY KEY, v ANY) STRICT, WITHOUT ROWID")
    conn.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, v TEXT)")
    schema = snapshot(conn)
    kv, plain = schema.tables["kv"], schema.tables["plain"]
    assert (kv.without_rowid, kv.strict, kv.has_rowid, kv.rowid_alias) == (True, True, False, None)
    assert (plain.without_rowid, plain.strict, plain.has_rowid) == (False, False, True)
    assert plain.rowid_alias == "id"
    # An INTEGER PRIMARY KEY of a WITHOUT ROWID table is no rowid: the synthesiser fills it.
    row = RowSynth(conn, schema).insert("kv")
    assert isinstance(row["k"], int)
    assert [str(c) for c in Schema({}, {}, {}, {}).diff(schema)] == [
        "table kv was added",
        "table plain was added",
        "index kv(k) pk was added",
    ]


def test_fts5_virtual_table_hidden_columns_and_shadow_tables(conn: sqlite3.Connection) -> None:
    conn.executescript(
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
        "CREATE VIRTUAL TABLE docs_fts USING FTS5(body, content='docs', content_rowid='id');"
        "CREATE TABLE docs_fts_notes (n TEXT);"  # named like a shadow table, but is not one
    )
    schema = snapshot(conn)
    fts = schema.tables["docs_fts"]
    assert (fts.virtual, fts.module, fts.shadow, fts.ordinary) == (True, "fts5", False, False)
    assert [(c.name, c.hidden) for c in fts.columns] == [
        ("body", 0),
        ("docs_fts", 1),
        ("rank", 1),
    ]
    shadows = {n for n, t in schema.tables.items() if t.shadow}
    assert shadows == {f"docs_fts_{s}" for s in ("config", "data", "docsize", "idx")}
    assert all(not schema.tables[n].ordinary for n in shadows)
    assert schema.tables["docs_fts_idx"].without_rowid
    assert schema.tables["docs_fts_notes"].ordinary
    assert RowSynth(conn, schema).order() == ["docs", "docs_fts_notes"]
    assert "rank" not in to_mermaid(schema)


def test_old_sqlite_reads_table_kinds_and_options_from_the_text(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before SQLite 3.37 there is no pragma_table_list: the text says the same."""
    conn.executescript(
        "CREATE TABLE kv (k TEXT PRIMARY KEY, v ANY) STRICT, WITHOUT ROWID;"
        "CREATE TABLE [odd name] (x TEXT /* ) WITHOUT ROWID */);"
        "CREATE VIRTUAL TABLE f5 USING fts5(a);"
        "CREATE VIRTUAL TABLE f4 USING fts4(a);"
        "CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx);"
        "CREATE TABLE f5_notes (x);"
    )
    expected = snapshot(conn)
    reader = importlib.import_module("pytest_acodb.schema.snapshot")
    monkeypatch.setattr(reader, "TABLE_LIST", (99, 0, 0))
    assert snapshot(conn) == expected
    assert sum(t.shadow for t in expected.tables.values()) == 5 + 5 + 3


def test_a_shared_cache_tells_a_shadow_table_from_its_ordinary_twin() -> None:
    """The same name and text are a shadow table beside their virtual table and an ordinary
    table without it; one cache serves both databases."""
    cache = SnapshotCache()
    with_fts, without = (
        default_connector().connect(":memory:"),
        default_connector().connect(":memory:"),
    )
    try:
        with_fts.execute("CREATE VIRTUAL TABLE d USING fts5(a)")
        sql = with_fts.execute("SELECT sql FROM sqlite_schema WHERE name = 'd_data'").fetchone()
        without.execute(sql[0])
        assert snapshot(with_fts, cache=cache).tables["d_data"].shadow
        assert not snapshot(without, cache=cache).tables["d_data"].shadow
        assert snapshot(with_fts, cache=cache).tables["d_data"].shadow
    finally:
        with_fts.close()
        without.close()


def test_index_keys_with_order_collation_expressions_and_where(conn: sqlite3.Connection) -> None:
    conn.executescript(
        "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT COLLATE NOCASE, c TEXT, "
        "UNIQUE (c COLLATE RTRIM DESC, b));"
        "CREATE INDEX t_keys ON t(b DESC, c COLLATE NOCASE, a ASC);"
        "CREATE INDEX t_expr ON t (  lower( c ) /* folded */ DESC, a + 1) "
        "WHERE c <> 'WHERE' AND  a > 0 -- trailing comment\n;"
        'CREATE INDEX "t quoted" ON t("c");'
    )
    schema = snapshot(conn)
    keys = schema.indexes["t_keys"]
    assert keys.keys == (
        IndexKey("b", None, True, "NOCASE"),
        IndexKey("c", None, False, "NOCASE"),
        IndexKey("a", None, False, "BINARY"),
    )
    assert [str(k) for k in keys.keys] == ["b COLLATE NOCASE DESC", "c COLLATE NOCASE", "a"]
    expr = schema.indexes["t_expr"]
    assert expr.columns == ("<expr>", "<expr>")
    assert [(k.expression, k.desc) for k in expr.keys] == [("lower( c )", True), ("a + 1", False)]
    assert expr.where == "c <> 'WHERE' AND a > 0"
    assert schema.indexes["t quoted"].keys == (IndexKey("c", None, False, "BINARY"),)
    automatic = next(i for i in schema.indexes.values() if i.origin == "u")
    assert automatic.keys == (
        IndexKey("c", None, True, "RTRIM"),
        IndexKey("b", None, False, "NOCASE"),
    )
    assert automatic.sql == "" and keys.sql.startswith("CREATE INDEX t_keys")
    changed = default_connector().connect(":memory:")
    try:
        changed.executescript(
            "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT COLLATE NOCASE, c TEXT, "
            "UNIQUE (c COLLATE RTRIM DESC, b));"
            "CREATE INDEX t_keys ON t(b, c COLLATE NOCASE, a ASC);"
        )
        assert [str(c) for c in schema.diff(snapshot(changed)) if c.name == "t_keys"] == [
            "index t_keys was changed: t(b COLLATE NOCASE DESC, c COLLATE NOCASE, a) -> "
            "t(b COLLATE NOCASE, c COLLATE NOCASE, a)"
        ]
    finally:
        changed.close()


AFFINITIES = [
    ("INTEGER", "INTEGER"),
    ("BIGINT UNSIGNED", "INTEGER"),
    ("VARCHAR(20)", "TEXT"),
    ("NATIVE CHARACTER(70)", "TEXT"),
    ("CLOB", "TEXT"),
    ("", "BLOB"),
    ("BLOBBY", "BLOB"),
    ("REAL", "REAL"),
    ("DOUBLE PRECISION", "REAL"),
    ("FLOATING POINT", "INTEGER"),  # "INT" comes first: sqlite.org/datatype3.html 3.1.1
    ("CHARINT", "INTEGER"),
    ("DATETIME", "NUMERIC"),
    ("BOOLEAN", "NUMERIC"),
    ("DECIMAL(10,5)", "NUMERIC"),
    ("STRING", "NUMERIC"),
]


@pytest.mark.parametrize(("declared", "affinity"), AFFINITIES)
def test_one_affinity_rule_agrees_with_sqlite(
    conn: sqlite3.Connection, declared: str, affinity: str
) -> None:
    """The rule, and what SQLite stores for '3.0' and 'x' in such a column (INTEGER and
    NUMERIC affinity store alike)."""
    assert type_affinity(declared) == affinity
    conn.execute(f'CREATE TABLE t (v "{declared}")' if declared else "CREATE TABLE t (v)")
    column = snapshot(conn).tables["t"].columns[0]
    assert column.affinity == affinity
    conn.execute("INSERT INTO t VALUES ('3.0'), ('x')")
    stored = [r[0] for r in conn.execute("SELECT typeof(v) FROM t")]
    assert (
        stored
        == {
            "INTEGER": ["integer", "text"],
            "NUMERIC": ["integer", "text"],
            "REAL": ["real", "text"],
            "TEXT": ["text", "text"],
            "BLOB": ["text", "text"],
        }[affinity]
    )


@pytest.mark.parametrize(
    ("declared", "name", "kind"),
    [
        ("FLOATING POINT", "ratio", "integer"),
        ("DOUBLE", "ratio", "real"),
        ("VARCHAR(20)", "title", "text"),
        ("VARCHAR(20)", "seen_at", "timestamp"),
        ("", "created_at", "timestamp"),
        ("", "anything", "text"),
        ("BLOBBY", "data", "blob"),
        ("DATETIME", "due", "timestamp"),
        ("DATE", "due", "date"),
        ("BOOLEAN", "done", "boolean"),
        ("DECIMAL(10,2)", "amount", "integer"),
    ],
)
def test_value_kinds_refine_the_affinity(declared: str, name: str, kind: str) -> None:
    assert value_kind(Column(name, declared, False, None, 0)) == kind


def test_json_dumps_every_structural_fact(conn: sqlite3.Connection) -> None:
    conn.executescript(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n TEXT, g INT AS (id + 1)) STRICT;"
        "CREATE INDEX t_n ON t(n DESC);"
        "CREATE VIEW v AS SELECT n FROM t;"
        "CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN SELECT 1; END;"
    )
    data = json.loads(to_json(snapshot(conn)))
    assert data["tables"]["t"]["strict"] is True
    assert data["tables"]["t"]["columns"][2] == {
        "name": "g",
        "type": "INT",
        "notnull": False,
        "default": None,
        "pk": 0,
        "hidden": 2,
        "affinity": "INTEGER",
    }
    assert "sql" not in data["tables"]["t"] and "sql" not in data["indexes"]["t_n"]
    assert data["indexes"]["t_n"]["keys"] == [
        {"column": "n", "expression": None, "desc": True, "collation": "BINARY"}
    ]
    assert data["views"]["v"] == {
        "name": "v",
        "sql": "CREATE VIEW v AS SELECT n FROM t",
        "reads": ["t"],
    }
    assert data["triggers"]["t_ai"]["timing"] == "AFTER"
    assert data["triggers"]["t_ai"]["event"] == "INSERT"


def test_structure_is_read_only_by_the_snapshot() -> None:
    """No module but the snapshot (and the migrator's look-up of its bookkeeping table) queries
    SQLite's schema tables or its PRAGMA functions."""
    allowed = {PACKAGE / "schema" / "snapshot.py", PACKAGE / "migrate" / "migrator.py"}
    query = re.compile(r"(?:FROM|JOIN)\s+(?:main\.)?(?:pragma_\w+|sqlite_(?:schema|master))", re.I)
    found = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path not in allowed and query.search(path.read_text())
    ]
    assert found == []


# -- triggers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            'CREATE TRIGGER "t x" AFTER UPDATE OF a, "b c", [d] ON "tab le" BEGIN SELECT 1; END',
            TriggerEvent("AFTER", "UPDATE", ("a", "b c", "d")),
        ),
        (
            "CREATE TRIGGER IF NOT EXISTS t BEFORE UPDATE ON x FOR EACH ROW BEGIN SELECT 1; END",
            TriggerEvent("BEFORE", "UPDATE", ()),
        ),
        (
            'CREATE TRIGGER "update" AFTER INSERT ON x BEGIN UPDATE x SET a = 1; END',
            TriggerEvent("AFTER", "INSERT", ()),
        ),
        (
            "CREATE TRIGGER t DELETE ON x BEGIN SELECT 1; END",
            TriggerEvent("BEFORE", "DELETE", ()),
        ),
        (
            "CREATE TRIGGER t INSTEAD OF INSERT ON v BEGIN SELECT 1; END",
            TriggerEvent("INSTEAD OF", "INSERT", ()),
        ),
    ],
)
def test_trigger_event(sql: str, expected: TriggerEvent) -> None:
    assert trigger_event(sql) == expected


def test_trigger_events_are_in_the_snapshot_and_read_once_per_text(
    conn: sqlite3.Connection,
) -> None:
    conn.executescript(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);"
        "CREATE TRIGGER t_au AFTER UPDATE OF a, b ON t BEGIN SELECT 1; END;"
    )
    cache = SnapshotCache()
    trigger = snapshot(conn, cache=cache).triggers["t_au"]
    assert (trigger.timing, trigger.event, trigger.update_of) == ("AFTER", "UPDATE", ("a", "b"))
    read = trigger_event.cache_info().misses
    conn.execute("CREATE TABLE other (x)")
    assert snapshot(conn, cache=cache).triggers["t_au"] is trigger
    assert snapshot(conn).triggers["t_au"] == trigger
    assert trigger_event.cache_info().misses == read


BROKEN = (
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER NOT NULL);\n"
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, item_id INTEGER, body TEXT);\n"
    "CREATE TABLE gone (x TEXT);\n"
    "CREATE TRIGGER items_au AFTER UPDATE OF price ON items WHEN NEW.price <> OLD.price BEGIN\n"
    "  INSERT INTO notes (item_id, body) VALUES (NEW.id, 'was ' || OLD.price);\n"
    "  INSERT INTO gone (x) SELECT n.body FROM notes AS n WHERE n.item_id = NEW.id;\n"
    "  UPDATE notes SET body = upper(body) WHERE item_id = NEW.id;\n"
    "END;\n"
)


def _schema_after(conn: sqlite3.Connection, *statements: str) -> Schema:
    conn.executescript(BROKEN)
    conn.execute("PRAGMA legacy_alter_table = ON")  # keep the trigger text as it is
    for statement in statements:
        conn.execute(statement)
    return snapshot(conn)


def test_a_trigger_naming_nothing_missing_does_not_dangle(conn: sqlite3.Connection) -> None:
    schema = _schema_after(conn)
    assert schema.dangling(schema.triggers["items_au"]) == ()


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (("DROP TABLE gone",), ("table gone",)),
        (("ALTER TABLE notes DROP COLUMN body",), ("column notes.body",)),
        (
            (
                "CREATE TABLE items2 (id INTEGER PRIMARY KEY, title TEXT, cost INTEGER)",
                "DROP TABLE items",
                "ALTER TABLE items2 RENAME TO items",
            ),
            (),  # the trigger went with the table
        ),
        (
            (
                "CREATE TABLE notes2 (id INTEGER PRIMARY KEY, item_id INTEGER, text TEXT)",
                "DROP TABLE notes",
                "ALTER TABLE notes2 RENAME TO notes",
            ),
            ("column notes.body",),
        ),
        (("ALTER TABLE notes RENAME TO notes_old",), ("table notes",)),
    ],
)
def test_what_a_trigger_names_that_is_gone(
    conn: sqlite3.Connection, statements: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    if statements == ("ALTER TABLE notes DROP COLUMN body",):
        # SQLite refuses to drop a column a trigger uses; a rebuild is how it happens.
        statements = (
            "CREATE TABLE n2 (id INTEGER PRIMARY KEY, item_id INTEGER)",
            "DROP TABLE notes",
            "ALTER TABLE n2 RENAME TO notes",
        )
    schema = _schema_after(conn, *statements)
    trigger = schema.triggers.get("items_au")
    assert (schema.dangling(trigger) if trigger else ()) == expected


def test_names_a_trigger_cannot_place_are_never_reported(conn: sqlite3.Connection) -> None:
    conn.executescript(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, tags TEXT, n INTEGER UNIQUE);"
        "CREATE VIRTUAL TABLE t_fts USING fts5(tags);"
        "CREATE VIEW tv AS SELECT id, tags FROM t;"
        "CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN\n"
        "  SELECT RAISE(ABORT, 'bad') WHERE NEW.n < 0;\n"
        "  WITH c AS (SELECT 1 AS anything) SELECT anything FROM c;\n"
        "  SELECT value, key FROM json_each(NEW.tags);\n"
        '  SELECT "not a column" FROM t WHERE rowid = NEW.rowid;\n'
        "  INSERT INTO t_fts (t_fts, rowid, tags) VALUES ('delete', NEW.id, NEW.tags);\n"
        "  INSERT INTO t (n) VALUES (NEW.n + 1) ON CONFLICT (n) DO UPDATE SET tags = excluded.tags;\n"
        "  SELECT x.whatever FROM (SELECT 1 AS whatever) AS x;\n"
        "  SELECT tags AS label FROM tv ORDER BY label;\n"
        "  UPDATE OR IGNORE t SET tags = NULL WHERE id = NEW.id;\n"
        "  REPLACE INTO t (id, tags) VALUES (NEW.id, NEW.tags);\n"
        "END;"
    )
    schema = snapshot(conn)
    trigger = schema.triggers["t_ai"]
    assert schema.dangling(trigger) == ()
    refs = references(trigger.text)
    assert {"t", "t_fts", "tv"} <= set(refs.tables) and "c" not in refs.tables
    conn.execute("DROP VIEW tv")
    assert snapshot(conn).dangling(trigger) == ("table tv",)


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True)
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return directory


def _run(checks: list[Check], name: str) -> str | None:
    check = next(c for c in checks if c.name == name)
    try:
        check.run()
    except CheckFailure as exc:
        return str(exc)
    return None


def test_triggers_fire_blames_a_trigger_by_structure_not_by_message(tmp_path: Path) -> None:
    """A trigger whose own RAISE says "no such table" is not broken; one whose statement names a
    column a rebuild removed is, with SQLite's own words as evidence."""
    directory = _write(
        tmp_path / "m",
        {
            "1_items.sql": BROKEN + "CREATE TRIGGER items_guard BEFORE DELETE ON items BEGIN "
            "SELECT RAISE(ABORT, 'no such table: notes'); END;\n",
            "2_rebuild_notes.sql": (
                "CREATE TEMP TABLE saved AS SELECT id, item_id, body FROM notes;\n"
                "DROP TABLE notes;\n"
                "CREATE TABLE notes (id INTEGER PRIMARY KEY, item_id INTEGER, text TEXT);\n"
                "INSERT INTO notes (id, item_id, text) SELECT id, item_id, body FROM saved;\n"
                "DROP TABLE saved;\n"
            ),
            "3_touch_items.sql": (
                "DROP TRIGGER items_guard;\nCREATE TRIGGER items_guard BEFORE DELETE ON items "
                "BEGIN SELECT RAISE(ABORT, 'no such column: body'); END;\n"
            ),
        },
    )
    checks = plan(directory)
    assert _run(checks, "triggers_fire[1]") is None  # its RAISE message proves nothing
    message = _run(checks, "triggers_fire[2]")
    assert message is not None
    assert 'trigger items_au on items: UPDATE "items" SET "price" = ? failed: ' in message
    assert "body" in message and "items_guard" not in message
    assert _run(checks, "triggers_fire[3]") is None  # its RAISE message proves nothing


def test_a_drop_refused_for_a_foreign_key_gets_the_rebuild_advice(tmp_path: Path) -> None:
    """Decided by SQLite's result code, not by the message: 787 where the driver gives extended
    codes, else 19 (a constraint) for the DROP of a table other tables reference."""
    directory = _write(
        tmp_path / "m",
        {
            "1_tables.sql": (
                "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
                "CREATE TABLE child (id INTEGER PRIMARY KEY, "
                "parent_id INTEGER NOT NULL REFERENCES parent(id));\n"
            ),
            "2_drop_parent.sql": "DROP TABLE parent;\nCREATE TABLE parent (id INTEGER PRIMARY KEY);\n",
        },
    )
    message = _run(plan(directory), "data_survives[2]")
    assert message is not None and "FOREIGN KEY constraint failed" in message
    assert "DROP TABLE deletes the table's rows first" in message


def test_no_check_module_imports_a_sibling() -> None:
    """Check modules share only the helper modules (base, walk, seeding), never each other."""
    checks = PACKAGE / "checks"
    helpers = {"base", "walk", "seeding"}
    planners = {"__init__", "subjects", "severity"}
    modules = {p.stem for p in checks.glob("*.py")} - helpers - planners
    found = []
    for stem in sorted(modules):
        tree = ast.parse((checks / f"{stem}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module in modules:
                found.append(f"{stem} imports {node.module}")
    assert found == []


# -- to_sql replays ---------------------------------------------------------------------------


def _applies_fully(directory: Path) -> bool:
    try:
        source = resolve(directory)
    except SourceError:
        return False
    conn = default_connector().connect(":memory:")
    try:
        Migrator(source).run(conn)
    except Exception:
        return False
    finally:
        conn.close()
    return True


def _clean_cases() -> list[Path]:
    return [
        d
        for d in sorted((HERE / "cases").iterdir())
        if (d / "expect").is_file()
        and (d / "expect").read_text().split()[0] == "clean"
        and _applies_fully(d)
    ]


def _corpus() -> list[object]:
    if not CORPUS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus at {CORPUS}"))]
    return [pytest.param(d, id=d.name) for d in sorted(CORPUS.iterdir()) if d.is_dir()]


def _assert_replays(directory: Path, connector: Connector) -> Schema:
    source = resolve(directory)
    original = connector.connect(":memory:")
    replayed = connector.connect(":memory:")
    try:
        Migrator(source).run(original)
        schema = snapshot(original, exclude=(source.table_name,))
        replayed.executescript(to_sql(schema))
        again = snapshot(replayed)
        assert [str(c) for c in schema.diff(again)] == []
        assert again == schema
    finally:
        original.close()
        replayed.close()
    return schema


DIRECTORIES = [
    pytest.param(bundled_migrations_dir(), id="bundled"),
    *[pytest.param(d, id=f"realistic/{d.name}") for d in sorted((HERE / "realistic").iterdir())],
    *[pytest.param(d, id=f"cases/{d.name}") for d in _clean_cases()],
]


@pytest.mark.parametrize("directory", DIRECTORIES)
def test_to_sql_replays_to_the_same_snapshot(directory: Path) -> None:
    _assert_replays(directory, default_connector())


@pytest.mark.parametrize("directory", _corpus())
def test_to_sql_replays_every_corpus_directory(directory: Path) -> None:
    connector = _vec_connector() if directory.name in NEEDS_VEC else default_connector()
    _assert_replays(directory, connector)


def test_to_sql_prints_every_index_of_the_bundled_schema() -> None:
    schema = _assert_replays(bundled_migrations_dir(), default_connector())
    sql = to_sql(schema)
    created = [i for i in schema.indexes.values() if i.origin == "c"]
    assert len(created) == 23
    assert sql.count("CREATE INDEX") == 23
    assert all(i.sql in sql for i in created)


def test_to_sql_leaves_shadow_tables_to_their_virtual_table(conn: sqlite3.Connection) -> None:
    conn.executescript(
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT);"
        "CREATE VIRTUAL TABLE docs_fts USING fts5(body, content='docs', content_rowid='id');"
        "CREATE VIEW b AS SELECT * FROM a;"  # reads a view created later by name
        "CREATE VIEW a AS SELECT body FROM docs;"
        "CREATE TRIGGER docs_ai AFTER INSERT ON docs BEGIN\n"
        "  -- keep the index in step\n"
        "  INSERT INTO docs_fts (rowid, body) VALUES (new.id, new.body);\n"
        "END;"
    )
    schema = snapshot(conn)
    sql = to_sql(schema)
    assert "docs_fts_data" not in sql and "CREATE VIRTUAL TABLE docs_fts USING fts5" in sql
    assert sql.index("CREATE VIEW a") < sql.index("CREATE VIEW b")
    assert "-- keep the index in step\n" in sql
    replayed = default_connector().connect(":memory:")
    try:
        replayed.executescript(sql)
        assert snapshot(replayed) == schema
    finally:
        replayed.close()


def test_to_sql_replays_sqlite_vec_tables_sqlite_does_not_call_shadow() -> None:
    connector = _vec_connector()
    conn, replayed = connector.connect(":memory:"), connector.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE vi USING vec0(embedding float[4], +note text)")
        schema = snapshot(conn)
        assert not schema.tables["vi_vector_chunks00"].shadow  # sqlite-vec does not say
        sql = to_sql(schema)
        assert 'CREATE TABLE IF NOT EXISTS "vi_vector_chunks00"' in sql
        replayed.executescript(sql)
        assert snapshot(replayed) == schema
    finally:
        conn.close()
        replayed.close()


ODDITIES = {
    "1_odd.up.sql": (
        "CREATE TABLE kinds (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;\n"
        "CREATE TABLE things (kind_id INTEGER NOT NULL REFERENCES kinds(id) ON DELETE CASCADE,\n"
        "  serial TEXT NOT NULL, price REAL NOT NULL CHECK (price >= 0),\n"
        "  doubled REAL GENERATED ALWAYS AS (price * 2) STORED,\n"
        "  label TEXT AS (upper(serial)) VIRTUAL,\n"
        "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),\n"
        "  PRIMARY KEY (kind_id, serial)) WITHOUT ROWID;\n"
        "CREATE INDEX things_label ON things(lower(serial) DESC, price COLLATE NOCASE);\n"
        "CREATE VIRTUAL TABLE things_fts USING fts5(serial, label);\n"
        "CREATE TRIGGER things_au AFTER UPDATE OF price ON things BEGIN\n"
        "  UPDATE things SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')\n"
        "  WHERE kind_id = NEW.kind_id AND serial = NEW.serial;\n"
        "END;\n"
    ),
    "1_odd.down.sql": ("DROP TABLE things_fts;\nDROP TABLE things;\nDROP TABLE kinds;\n"),
    "2_more.up.sql": "ALTER TABLE kinds ADD COLUMN note TEXT;\n",
    "2_more.down.sql": "ALTER TABLE kinds DROP COLUMN note;\n",
}


def test_every_check_holds_on_generated_without_rowid_strict_and_fts5_tables(
    tmp_path: Path,
) -> None:
    outcomes: dict[str, str | None] = {}
    for check in plan(_write(tmp_path / "m", ODDITIES)):
        try:
            check.run()
        except CheckFailure as exc:
            outcomes[check.name] = str(exc)
        except CheckSkipped:
            continue
        else:
            outcomes[check.name] = None
    assert "trigger[things_au]" in outcomes and "cascade[things.kind_id]" in outcomes
    assert {n: m for n, m in outcomes.items() if m is not None} == {}
