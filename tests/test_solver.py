"""The CHECK solver (pytest_acodb.synth.solver) through RowSynth, one test per form, over real
SQLite: rows are made for each form, every one of them valid, or the constraint is named."""

from __future__ import annotations

import sqlite3

import pytest

from pytest_acodb.db import connect as database
from pytest_acodb.errors import SynthesisError
from pytest_acodb.schema import snapshot
from pytest_acodb.synth.rows import RowSynth
from pytest_acodb.synth.solver import affine, table_checks
from pytest_acodb.synth.values import ValueProviders

FORMS = {
    "like_or_like": "url TEXT NOT NULL CHECK (url LIKE 'http://%' OR url LIKE 'https://%')",
    "like_and_length": (
        "url TEXT NOT NULL CHECK ((url LIKE 'https://%') AND length(url) BETWEEN 12 AND 20)"
    ),
    "not_like": "name TEXT NOT NULL CHECK (name NOT LIKE '% %' AND length(name) >= 2)",
    "glob_classes": "code TEXT NOT NULL CHECK (code GLOB '[A-Z][A-Z]-[0-9][0-9]*')",
    "glob_negated": "tag TEXT NOT NULL CHECK (tag GLOB '[^0-9]*' AND length(tag) = 3)",
    "substr_prefix": "sku TEXT NOT NULL CHECK (substr(sku, 1, 4) = 'SKU-' AND length(sku) = 8)",
    "instr": "email TEXT NOT NULL CHECK (instr(email, '@') > 1)",
    "length_exact": "pin TEXT NOT NULL CHECK (length(pin) = 6)",
    "lower": "slug TEXT NOT NULL CHECK (slug = lower(slug) AND length(slug) >= 3)",
    "upper": "iso TEXT NOT NULL CHECK (upper(iso) = iso AND length(iso) = 2)",
    "typeof_real": "ratio NOT NULL CHECK (typeof(ratio) = 'real')",
    "typeof_blob": "raw NOT NULL CHECK (typeof(raw) = 'blob')",
    "case_when": (
        "kind TEXT NOT NULL, detail TEXT, CHECK (CASE kind WHEN 'a' THEN detail IS NOT NULL "
        "WHEN 'b' THEN detail IS NULL ELSE 0 END)"
    ),
    "in_list_not": "size INTEGER NOT NULL CHECK (size IN (3, 5, 7) AND size <> 3)",
    "between_real": "share REAL NOT NULL CHECK (share BETWEEN 0.25 AND 0.75)",
    "comparison_columns": "lo INTEGER NOT NULL, hi INTEGER NOT NULL, CHECK (hi > lo + 10)",
    "json_valid_type": "doc TEXT NOT NULL CHECK (json_valid(doc) AND json_type(doc) = 'array')",
    "json_path": (
        "meta TEXT NOT NULL CHECK (json_type(meta, '$.kind') = 'text' "
        "AND json_extract(meta, '$.n') > 3)"
    ),
    "json_array_length": "tags TEXT NOT NULL CHECK (json_array_length(tags) >= 2)",
    "arrow": "data TEXT NOT NULL CHECK (data ->> '$.state' IN ('on', 'off'))",
    "date": "day TEXT NOT NULL CHECK (date(day) IS NOT NULL AND day = date(day))",
    "not_and_or": (
        "a INTEGER, b INTEGER, CHECK (NOT (a IS NULL AND b IS NULL) AND NOT (a IS NOT NULL AND "
        "b IS NOT NULL))"
    ),
    "iif_mod": "v INTEGER NOT NULL CHECK (iif(v > 10, 1, 0) = 1 AND v % 2 = 0)",
    "unknown_function_count": (
        "embedding BLOB NOT NULL CHECK (typeof(embedding) = 'blob' AND length(embedding) = 2048)"
    ),
    "conditional_columns": (
        "merge_type TEXT NOT NULL CHECK (merge_type IN ('direct', 'pr')), merge_commit TEXT, "
        "pr_number INTEGER, pr_url TEXT, pr_status TEXT CHECK (pr_status IN ('open', 'closed')), "
        "CHECK ((merge_type = 'direct' AND merge_commit IS NOT NULL AND pr_number IS NULL AND "
        "pr_url IS NULL) OR (merge_type = 'pr' AND pr_number IS NOT NULL AND pr_url IS NOT NULL "
        "AND pr_status IS NOT NULL AND merge_commit IS NULL))"
    ),
}


def _table(columns: str) -> sqlite3.Connection:
    conn = database.connect(":memory:")
    conn.execute(f"CREATE TABLE t (id INTEGER PRIMARY KEY, {columns})")
    return conn


@pytest.mark.parametrize("columns", list(FORMS.values()), ids=list(FORMS))
@pytest.mark.parametrize("seed", [0, 7, 123456789])
def test_every_form_gets_valid_rows(columns: str, seed: int) -> None:
    conn = _table(columns)
    synth = RowSynth(conn, snapshot(conn), seed=seed)
    for _ in range(3):
        synth.insert("t")
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 3


def test_the_url_check_of_the_issue_gets_urls() -> None:
    conn = _table(FORMS["like_or_like"])
    synth = RowSynth(conn, snapshot(conn))
    urls = [synth.insert("t")["url"] for _ in range(5)]
    assert all(u.startswith(("http://", "https://")) for u in urls)


@pytest.mark.parametrize("merge_type", ["direct", "pr"])
def test_a_fixed_column_steers_the_others(merge_type: str) -> None:
    conn = _table(FORMS["conditional_columns"])
    row = RowSynth(conn, snapshot(conn)).insert("t", merge_type=merge_type)
    assert row["merge_type"] == merge_type
    assert (row["merge_commit"] is None) == (merge_type == "pr")


def test_a_function_of_an_extension_gets_vectors_of_the_length_compared() -> None:
    conn = database.connect(":memory:")
    conn.create_function("vec_length", 1, lambda b: len(b) // 4 if isinstance(b, bytes) else None)
    conn.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, e BLOB NOT NULL "
        "CHECK (typeof(e) = 'blob' AND vec_length(e) = 512))"
    )
    row = RowSynth(conn, snapshot(conn)).insert("t")
    assert isinstance(row["e"], bytes) and len(row["e"]) == 2048


def test_an_impossible_check_is_named_without_values() -> None:
    conn = _table("secret TEXT NOT NULL CHECK (length(secret) > 5 AND length(secret) < 3)")
    with pytest.raises(SynthesisError) as caught:
        RowSynth(conn, snapshot(conn), values={"t.secret": "hunter2"}).insert("t")
    message = str(caught.value)
    assert "CHECK (length(secret) > 5 AND length(secret) < 3)" in message
    assert caught.value.table == "t" and "hunter2" not in message


def test_a_singleton_table_says_it_has_room_for_one_row() -> None:
    conn = _table("theme TEXT NOT NULL DEFAULT 'dark', CHECK (id = 0)")
    conn.execute("INSERT INTO t (id) VALUES (0)")
    with pytest.raises(SynthesisError, match="room for one row"):
        RowSynth(conn, snapshot(conn)).insert("t")


def test_a_raising_trigger_is_named() -> None:
    conn = _table("n INTEGER NOT NULL")
    conn.execute("CREATE TRIGGER t_guard BEFORE INSERT ON t BEGIN SELECT RAISE(ABORT, 'no'); END")
    with pytest.raises(SynthesisError, match="trigger t_guard"):
        RowSynth(conn, snapshot(conn)).insert("t")


def test_a_reference_a_trigger_enforces_is_followed() -> None:
    conn = database.connect(":memory:")
    conn.executescript(
        "CREATE TABLE users (uuid TEXT PRIMARY KEY NOT NULL);"
        "CREATE TABLE skins (user_uuid TEXT NOT NULL, name TEXT NOT NULL);"
        "CREATE TRIGGER skins_user BEFORE INSERT ON skins FOR EACH ROW BEGIN "
        "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM users WHERE uuid = NEW.user_uuid) "
        "THEN RAISE(ABORT, 'unknown user') END; END;"
    )
    row = RowSynth(conn, snapshot(conn)).insert("skins")
    assert conn.execute("SELECT 1 FROM users WHERE uuid = ?", (row["user_uuid"],)).fetchone()


def test_two_foreign_keys_sharing_a_column_agree() -> None:
    conn = database.connect(":memory:")
    conn.executescript(
        "CREATE TABLE envs (id TEXT PRIMARY KEY NOT NULL);"
        "CREATE TABLE revisions (env_id TEXT NOT NULL REFERENCES envs(id), rev INTEGER NOT NULL,"
        " PRIMARY KEY (env_id, rev));"
        "CREATE TABLE routes (id INTEGER PRIMARY KEY, env_id TEXT NOT NULL REFERENCES envs(id),"
        " rev INTEGER NOT NULL, FOREIGN KEY (env_id, rev) REFERENCES revisions(env_id, rev));"
        "INSERT INTO envs VALUES ('e1'), ('e2'); INSERT INTO revisions VALUES ('e1', 1);"
    )
    synth = RowSynth(conn, snapshot(conn), reuse_parents=True)
    for _ in range(3):
        synth.insert("routes")
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_nullable_key_in_a_primary_key_is_never_null() -> None:
    conn = database.connect(":memory:")
    conn.executescript(
        "CREATE TABLE runs (id BLOB PRIMARY KEY);"
        "CREATE TABLE logs (run_id BLOB PRIMARY KEY REFERENCES runs(id), body TEXT);"
    )
    synth = RowSynth(conn, snapshot(conn))
    rows = [synth.insert("logs", body=None) for _ in range(8)]
    assert all(r["run_id"] is not None for r in rows)


def test_supplied_values_are_used_as_given() -> None:
    conn = _table("url TEXT NOT NULL, email TEXT NOT NULL")
    values = ValueProviders({"t.url": "https://example.org", "*.email": lambda n: f"u{n}@x.org"})
    synth = RowSynth(conn, snapshot(conn), values=values)
    first, second = synth.insert("t"), synth.insert("t")
    assert first["url"] == second["url"] == "https://example.org"
    assert first["email"] != second["email"] and first["email"].endswith("@x.org")


def test_checks_are_read_once_per_text() -> None:
    conn = _table(FORMS["like_or_like"])
    table = snapshot(conn).tables["t"]
    assert table_checks(table) is table_checks(table)
    (check,) = table_checks(table)
    assert check.columns == ("url",) and "http://" in check.mined["url"]


@pytest.mark.parametrize(
    ("value", "affinity", "stored"),
    [("12", "INTEGER", 12), ("1.5", "REAL", 1.5), (3, "TEXT", "3"), ("x", "INTEGER", "x")],
)
def test_candidates_are_stored_as_sqlite_would(
    value: object, affinity: str, stored: object
) -> None:
    assert affine(value, affinity) == stored
