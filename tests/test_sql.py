"""Statement splitting: SQLite's own boundaries, in linear time whatever the text holds."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_acodb.migrate.sql import (
    Statement,
    is_blank,
    leading_words,
    split_statements,
    transaction_control,
)


def reference_split(sql: str) -> list[Statement]:
    """The splitter as it was (``sqlite3.complete_statement`` on the text up to each ``;``):
    right, but quadratic in the number of ``;`` inside one statement."""
    statements: list[Statement] = []
    counted, line, start = 0, 1, 0
    pos = sql.find(";")
    while True:
        end = len(sql) if pos == -1 else pos + 1
        chunk = sql[start:end]
        if pos == -1 or sqlite3.complete_statement(chunk):
            if not is_blank(chunk):
                code = _code_start(sql, start)
                line += sql.count("\n", counted, code)
                counted = code
                statements.append(Statement(text=sql[code:end].rstrip(), line=line))
            start = end
        if pos == -1:
            return statements
        pos = sql.find(";", pos + 1)


def _code_start(sql: str, pos: int) -> int:
    while True:
        while pos < len(sql) and sql[pos].isspace():
            pos += 1
        if sql.startswith("--", pos):
            newline = sql.find("\n", pos)
            pos = len(sql) if newline == -1 else newline + 1
        elif sql.startswith("/*", pos):
            close = sql.find("*/", pos + 2)
            pos = len(sql) if close == -1 else close + 2
        else:
            return pos


PIECES = [
    "SELECT 1",
    ";",
    " ",
    "\n",
    "'a;b'",
    "'",
    '"',
    "`",
    "[",
    "]",
    "-- c;\n",
    "--",
    "/*",
    "*/",
    "/* ; */",
    "CREATE",
    "temp",
    "TRIGGER",
    "t",
    "BEGIN",
    "end",
    "EXPLAIN",
    "CASE",
    "é",
    "-",
    "/",
    "$x",
    "END;",
    "\t",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_boundaries_are_sqlites(pieces: list[str]) -> None:
    sql = "".join(pieces)
    assert split_statements(sql) == reference_split(sql)


def test_trigger_bodies_strings_and_comments_keep_their_semicolons() -> None:
    sql = (
        "-- a comment; with a semicolon\n"
        "CREATE TABLE a (x TEXT DEFAULT 'a;b');\n"
        "CREATE TEMP TRIGGER t AFTER INSERT ON a BEGIN\n"
        "  UPDATE a SET x = CASE WHEN 1 THEN 'y;' END;\n"
        "  SELECT 1; END;\n"
        'INSERT INTO "we;ird" VALUES (1) /* ; */;\n'
        "SELECT 2"
    )
    assert [(s.line, s.text.split()[0]) for s in split_statements(sql)] == [
        (2, "CREATE"),
        (3, "CREATE"),
        (6, "INSERT"),
        (7, "SELECT"),
    ]


@pytest.mark.parametrize(
    ("sql", "verb"),
    [
        ("COMMIT;", "COMMIT"),
        ("commit transaction;", "COMMIT"),
        ("END;", "END"),
        ("end transaction;", "END"),
        ("ROLLBACK;", "ROLLBACK"),
        ("BEGIN;", "BEGIN"),
        ("BEGIN IMMEDIATE;", "BEGIN"),
        ("/* x */ ROLLBACK /* y */;", "ROLLBACK"),
        ("ROLLBACK TO a;", None),
        ("ROLLBACK TRANSACTION TO SAVEPOINT a;", None),
        ("SAVEPOINT a;", None),
        ("RELEASE a;", None),
        ("CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;", None),
        ("SELECT 'COMMIT';", None),
    ],
)
def test_transaction_control(sql: str, verb: str | None) -> None:
    (statement,) = split_statements(sql)
    assert transaction_control(statement) == verb


def test_leading_words_skip_comments() -> None:
    assert leading_words("ROLLBACK /* x */ TO a") == ("ROLLBACK", "TO", "A")
    assert leading_words("SELECT(1)") == ("SELECT",)


LARGE = {
    # one seed INSERT whose strings hold two million semicolons (more than 120 s before)
    "one-string": "\"INSERT INTO t VALUES ('\" + ';' * 2_000_000 + \"');\"",
    # a seed of many rows, each string with semicolons (787 KiB took 5 s before)
    "many-rows": "'INSERT INTO t VALUES ' + ', '.join(f\"({i}, 'a;b;c;d', 'x;y')\" "
    "for i in range(40_000)) + ';'",
    # a trigger body of many statements
    "trigger-body": "'CREATE TRIGGER x AFTER INSERT ON t BEGIN ' + 'SELECT 1;' * 200_000 + ' END;'",
    # two million semicolons inside one comment
    "comment": "'/*' + ';' * 2_000_000 + '*/ SELECT 1;'",
}


@pytest.mark.parametrize("expression", LARGE.values(), ids=LARGE.keys())
def test_splitting_is_linear(expression: str) -> None:
    # In a child process, so that a quadratic splitter fails this test instead of hanging it.
    code = (
        "import time; from pytest_acodb.migrate.sql import split_statements\n"
        f"sql = {expression}\n"
        "start = time.perf_counter(); n = len(split_statements(sql))\n"
        "print(n, time.perf_counter() - start)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        pytest.fail("splitting took more than 30 s")
    count, elapsed = done.stdout.split()
    assert count == "1", done.stderr
    assert float(elapsed) < 3.0, f"{float(elapsed):.1f} s to split"
