"""Property tests: sqlx's file-name grammar, and rows synthesised for generated schemas."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_acodb.db.connect import connect
from pytest_acodb.errors import SourceError
from pytest_acodb.migrate import MigrationType, parse_filename, quote
from pytest_acodb.schema import snapshot
from pytest_acodb.synth.rows import RowSynth

_RUST_I64 = re.compile(r"[+-]?[0-9]+\Z")


def _reference_parse(name: str) -> tuple[int, str, MigrationType] | str | None:
    """An independent, literal reading of sqlx's resolve rules (source.rs), for comparison."""
    if "_" not in name:
        return None
    prefix, rest = name.split("_", 1)
    if not rest.endswith(".sql"):
        return None
    if not _RUST_I64.match(prefix) or not -(2**63) <= int(prefix) < 2**63:
        return "error"
    kind = (
        MigrationType.REVERSIBLE_UP
        if rest.endswith(".up.sql")
        else MigrationType.REVERSIBLE_DOWN
        if rest.endswith(".down.sql")
        else MigrationType.SIMPLE
    )
    while rest.endswith(kind.suffix):
        rest = rest[: -len(kind.suffix)]
    return int(prefix), rest.replace("_", " "), kind


_pieces = st.sampled_from(
    [
        "1",
        "007",
        "-3",
        "+5",
        "20250115",
        "abc",
        "",
        "_",
        "x",
        ".sql",
        ".up",
        ".down",
        ".SQL",
        " ",
        "9" * 20,
        "é",
        "-",
        ".",
    ]
)


@given(st.lists(_pieces, max_size=6).map("".join))
@settings(max_examples=400)
def test_parse_filename_matches_sqlx_grammar(name: str) -> None:
    expected = _reference_parse(name)
    if expected == "error":
        with pytest.raises(SourceError):
            parse_filename(name)
        return
    parsed = parse_filename(name)
    if expected is None:
        assert parsed is None
    else:
        assert parsed is not None
        assert (parsed.version, parsed.description, parsed.migration_type) == expected


_names = st.sampled_from(
    ["order", "group", "select", "my table", 'we"ird', "dot.ted", "ünïcode", "plain", "t1", "t2"]
)
_types = st.sampled_from(
    ["INTEGER", "TEXT", "REAL", "BLOB", "NUMERIC", "", "VARCHAR(20)", "BOOLEAN", "TIMESTAMP"]
)


@st.composite
def _schemas(draw: st.DrawFn) -> list[str]:
    tables = draw(st.lists(_names, min_size=1, max_size=4, unique=True))
    ddl = []
    for i, table in enumerate(tables):
        columns = [f"{quote('id')} INTEGER PRIMARY KEY"]
        for j in range(draw(st.integers(0, 4))):
            col = quote(f"c{j} {draw(_names)}")
            ctype = draw(_types)
            constraint = draw(
                st.sampled_from(
                    [
                        "",
                        " NOT NULL",
                        " UNIQUE",
                        f" NOT NULL CHECK ({col} IN ('a', 'b', 'c'))",
                        f" CHECK ({col} BETWEEN 3 AND 9)",
                        f" NOT NULL CHECK (length({col}) >= 4)",
                        f" CHECK (json_valid({col}))",
                        " NOT NULL DEFAULT 0",
                    ]
                )
            )
            columns.append(f"{col} {ctype}{constraint}")
        if i and draw(st.booleans()):
            parent = quote(tables[draw(st.integers(0, i - 1))])
            nullable = "" if draw(st.booleans()) else " NOT NULL"
            columns.append(f"{quote('parent id')} INTEGER{nullable} REFERENCES {parent}(id)")
        if draw(st.booleans()):
            columns.append(f"{quote('self')} INTEGER REFERENCES {quote(table)}(id)")
        ddl.append(f"CREATE TABLE {quote(table)} ({', '.join(columns)})")
    return ddl


@given(_schemas(), st.integers(0, 2**16))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_synthesised_row_inserts(ddl: list[str], seed: int) -> None:
    conn = connect(":memory:")
    for statement in ddl:
        conn.execute(statement)
    synth = RowSynth(conn, snapshot(conn), seed=seed)
    counts = synth.seed_all(3)
    for table, n in counts.items():
        assert n == 3
        assert conn.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()[0] >= 3
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
