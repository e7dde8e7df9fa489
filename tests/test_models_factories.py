"""The bundled migrations, ORM models and factories, tested on plain sqlite3 + SQLAlchemy.

The database is built here by a local helper (split each ``*.up.sql`` with
``sqlite3.complete_statement``, run one statement at a time) so these tests do not depend on the
migration engine.
"""

from __future__ import annotations

import ipaddress
import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from factory.random import reseed_random
from sqlalchemy import Engine, create_engine, event, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from pytest_acodb import bundled_migrations_dir
from pytest_acodb.acolib import factories
from pytest_acodb.acolib.factories import (
    ACODB_FACTORIES,
    ConfigurationFactory,
    ConnectionSessionFactory,
    TaskFactory,
    ToolExecutionFactory,
    WorkflowFactory,
    WorkflowTaskFactory,
    bind_session,
    current_session,
    unbind_session,
)
from pytest_acodb.acolib.models import (
    ACODB_TABLES,
    CONNECTION_TYPES,
    TASK_STATUSES,
    TOOL_EXECUTION_STATUSES,
    VALUE_TYPES,
    WORKFLOW_STATUSES,
    Base,
    Configuration,
    ConnectionSession,
    Task,
    ToolExecution,
    UtcTimestamp,
    Workflow,
    WorkflowTask,
    format_timestamp,
)
from pytest_acodb.db import driver as drivers
from pytest_acodb.errors import AcodbError

MIGRATIONS = bundled_migrations_dir()
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
EXPECTED_NAMES = [
    "20250115000001_create_tasks",
    "20250115000002_create_workflows",
    "20250115000003_create_workflow_tasks",
    "20250115000004_create_tool_executions",
    "20250115000005_create_sessions",
    "20250115000006_create_configurations",
    "20250115000007_create_triggers",
]
TIMESTAMP_COLUMNS = {
    "tasks": ("created_at", "updated_at", "started_at", "completed_at"),
    "workflows": ("created_at", "updated_at"),
    "workflow_tasks": ("created_at",),
    "tool_executions": ("created_at", "completed_at"),
    "sessions": ("created_at", "updated_at", "last_heartbeat"),
    "configurations": ("created_at", "updated_at"),
}
JSON_COLUMNS = {
    "tasks": ("config", "metadata"),
    "workflows": ("definition",),
    "tool_executions": ("arguments", "output"),
    "sessions": ("metadata",),
}
# (table, primary key column, a column to update, a valid new value)
TRIGGER_TABLES = [
    ("tasks", "id", "title", "renamed"),
    ("workflows", "id", "name", "renamed"),
    ("sessions", "id", "client_id", "client-renamed"),
    ("configurations", "key", "value", "renamed"),
]
# Raw rows (all NOT NULL columns without a default) for the trigger and CHECK tests.
RAW_ROWS: dict[str, dict[str, Any]] = {
    "tasks": {"id": "t1", "title": "t", "task_type": "tool", "status": "pending", "config": "{}"},
    "workflows": {"id": "w1", "name": "w", "definition": "{}", "status": "draft"},
    "sessions": {
        "id": "s1",
        "client_id": "c",
        "connection_type": "http",
        "is_active": 1,
        "last_heartbeat": "2025-01-15T00:00:00.000Z",
    },
    "configurations": {"key": "k1", "value": "v", "value_type": "string", "is_secret": 0},
}
OLD = "2000-01-01T00:00:00.000Z"


# --- the local database helper ---------------------------------------------------------------


def migration_files(direction: str) -> list[Path]:
    """The ``*.<direction>.sql`` files in version order."""
    return sorted(MIGRATIONS.glob(f"*.{direction}.sql"), key=lambda p: int(p.name.split("_")[0]))


def split_statements(sql: str) -> list[str]:
    """Split SQL the way the engine does: grow a buffer line by line until it is complete."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    leftover = [ln for ln in buffer.splitlines() if ln.strip() and not ln.strip().startswith("--")]
    assert not leftover, f"incomplete statement at end of file: {leftover}"
    return statements


def run_file(conn: sqlite3.Connection, path: Path) -> None:
    for statement in split_statements(path.read_text(encoding="utf-8")):
        conn.execute(statement)


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=OFF")  # a throwaway test database needs no fsync
    return conn


def schema_names(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    rows = conn.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
    return set(rows.fetchall())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "acodb.sqlite3"
    conn = connect(path)
    for up in migration_files("up"):
        run_file(conn, up)
    conn.close()
    return path


@pytest.fixture
def raw(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A second, independent sqlite3 connection (autocommit) on the test database."""
    conn = connect(db_path)
    yield conn
    conn.close()


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    def creator() -> sqlite3.Connection:
        conn = sqlite3.connect(db_path, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=OFF")
        return conn

    eng = create_engine("sqlite://", creator=creator, poolclass=StaticPool)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    reseed_random(20250115)
    with Session(engine) as s:
        token = bind_session(s)
        try:
            yield s
        finally:
            unbind_session(token)


def rows(conn: sqlite3.Connection, sql: str, *params: Any) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def assert_database_clean(conn: sqlite3.Connection) -> None:
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


# --- migrations ----------------------------------------------------------------------------


def test_migration_files_are_the_seven_reversible_pairs() -> None:
    names = sorted(p.name for p in MIGRATIONS.glob("*.sql"))
    expected = sorted(f"{n}.{d}.sql" for n in EXPECTED_NAMES for d in ("up", "down"))
    assert names == expected
    for up in migration_files("up"):
        assert up.read_text().startswith("-- P7-0"), f"{up.name} lacks its header comment"


def test_schema_has_every_table_index_and_trigger(raw: sqlite3.Connection) -> None:
    names = schema_names(raw)
    assert {n for t, n in names if t == "table"} == set(ACODB_TABLES)
    indexes = {n for t, n in names if t == "index"}
    for table in Base.metadata.sorted_tables:
        assert {i.name for i in table.indexes} <= indexes
    assert {n for t, n in names if t == "trigger"} == {
        f"trg_{t}_updated_at" for t in ("tasks", "workflows", "sessions", "configurations")
    }
    seq = rows(raw, "SELECT name FROM pragma_index_info('idx_workflow_tasks_sequence')")
    assert [r["name"] for r in seq] == ["workflow_id", "sequence"]
    fk = rows(raw, "SELECT name FROM pragma_index_info('idx_tool_executions_task_fk')")
    assert [r["name"] for r in fk] == ["task_id"]


def test_foreign_keys_cascade(raw: sqlite3.Connection) -> None:
    fks = {
        (table, r["from"], r["table"], r["to"], r["on_delete"])
        for table in ACODB_TABLES
        for r in rows(raw, "SELECT * FROM pragma_foreign_key_list(?)", table)
    }
    assert fks == {
        ("workflow_tasks", "workflow_id", "workflows", "id", "CASCADE"),
        ("workflow_tasks", "task_id", "tasks", "id", "CASCADE"),
        ("tool_executions", "task_id", "tasks", "id", "CASCADE"),
    }


def _normalised_columns(conn: sqlite3.Connection, table: str) -> list[tuple[Any, ...]]:
    # The models use JSON and Boolean types, which create_all renders as JSON and BOOLEAN.
    types = {"JSON": "TEXT", "BOOLEAN": "INTEGER"}
    return [
        (r["name"], types.get(r["type"], r["type"]), r["notnull"], r["dflt_value"], r["pk"])
        for r in rows(conn, "SELECT * FROM pragma_table_info(?)", table)
    ]


def test_models_describe_the_migrated_schema(raw: sqlite3.Connection, tmp_path: Path) -> None:
    model_engine = create_engine(f"sqlite:///{tmp_path / 'models.sqlite3'}")
    Base.metadata.create_all(model_engine)
    model_engine.dispose()
    models = connect(tmp_path / "models.sqlite3")
    for position, table in enumerate(ACODB_TABLES):  # parents first
        parents = {fk.column.table.name for fk in Base.metadata.tables[table].foreign_keys}
        assert parents <= set(ACODB_TABLES[:position]), table
    for table in ACODB_TABLES:
        assert _normalised_columns(models, table) == _normalised_columns(raw, table), table
        index_sql = "SELECT name, origin FROM pragma_index_list(?) WHERE origin = 'c'"
        assert sorted(map(tuple, models.execute(index_sql, (table,)))) == sorted(
            map(tuple, raw.execute(index_sql, (table,)))
        )
        fk_sql = 'SELECT "from", "table", "to", on_delete FROM pragma_foreign_key_list(?)'
        assert sorted(models.execute(fk_sql, (table,))) == sorted(raw.execute(fk_sql, (table,)))
    models.close()


@pytest.mark.parametrize(
    ("table", "column", "bad"),
    [
        ("tasks", "status", "done"),
        ("workflows", "status", "deleted"),
        ("sessions", "is_active", 2),
        ("sessions", "connection_type", "udp"),
        ("configurations", "is_secret", 3),
        ("configurations", "value_type", "list"),
    ],
)
def test_check_constraints_reject_bad_values(
    raw: sqlite3.Connection, table: str, column: str, bad: Any
) -> None:
    row = {**RAW_ROWS[table], column: bad}
    sql = f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"
    with pytest.raises(drivers.IntegrityError, match="CHECK constraint failed"):
        raw.execute(sql, tuple(row.values()))


def test_tool_execution_status_check(raw: sqlite3.Connection) -> None:
    _insert(raw, "tasks")
    insert = "INSERT INTO tool_executions (id, task_id, tool_name, arguments, status) VALUES "
    raw.execute(insert + "('x1', 't1', 'run_shell', '{}', 'timeout')")
    with pytest.raises(drivers.IntegrityError, match="CHECK constraint failed"):
        raw.execute(insert + "('x2', 't1', 'run_shell', '{}', 'cancelled')")


def test_defaults_fill_timestamps_and_sequence(raw: sqlite3.Connection) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    raw.execute(
        "INSERT INTO tasks (id, title, task_type, status, config) "
        "VALUES ('t', 't', 'tool', 'pending', '{}')"
    )
    raw.execute(
        "INSERT INTO workflows (id, name, definition, status) VALUES ('w', 'w', '{}', 'draft')"
    )
    raw.execute("INSERT INTO workflow_tasks (workflow_id, task_id) VALUES ('w', 't')")
    ((created, updated),) = raw.execute("SELECT created_at, updated_at FROM tasks")
    assert TIMESTAMP_RE.match(created) and TIMESTAMP_RE.match(updated)
    assert before <= datetime.fromisoformat(created) <= datetime.now(UTC)
    assert raw.execute("SELECT sequence, created_at FROM workflow_tasks").fetchone()[0] == 0
    # No defaults beyond the seed's: status, is_active, is_secret must be given.
    with pytest.raises(drivers.IntegrityError, match="NOT NULL"):
        raw.execute("INSERT INTO tasks (id, title, task_type, config) VALUES ('u', 't', 'x', '{}')")


def test_down_files_remove_exactly_what_their_up_created(tmp_path: Path) -> None:
    conn = connect(tmp_path / "roundtrip.sqlite3")
    snapshots = [schema_names(conn)]
    for up in migration_files("up"):
        run_file(conn, up)
        snapshots.append(schema_names(conn))
    for up in migration_files("up"):  # IF NOT EXISTS: applying again changes nothing
        run_file(conn, up)
    assert schema_names(conn) == snapshots[-1]
    downs = migration_files("down")
    for step, down in reversed(list(enumerate(downs))):
        run_file(conn, down)
        assert schema_names(conn) == snapshots[step], down.name
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    conn.close()


# --- the updated_at triggers --------------------------------------------------------------


def _insert(conn: sqlite3.Connection, table: str) -> None:
    row = RAW_ROWS[table]
    sql = f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"
    conn.execute(sql, tuple(row.values()))


def _stamps(conn: sqlite3.Connection, table: str, pk: str) -> tuple[str, str]:
    sql = f"SELECT created_at, updated_at FROM {table} WHERE {pk} = ?"
    return conn.execute(sql, (RAW_ROWS[table][pk],)).fetchone()


@pytest.fixture(params=["ON", "OFF"], ids=["recursive_triggers_on", "recursive_triggers_off"])
def trig(raw: sqlite3.Connection, request: pytest.FixtureRequest) -> sqlite3.Connection:
    raw.execute(f"PRAGMA recursive_triggers = {request.param}")
    return raw


@pytest.mark.parametrize(("table", "pk", "column", "value"), TRIGGER_TABLES)
def test_update_bumps_updated_at_and_keeps_created_at(
    trig: sqlite3.Connection, table: str, pk: str, column: str, value: str
) -> None:
    _insert(trig, table)
    key = RAW_ROWS[table][pk]
    trig.execute(
        f"UPDATE {table} SET created_at = ?, updated_at = ? WHERE {pk} = ?", (OLD, OLD, key)
    )
    before = datetime.now(UTC) - timedelta(seconds=1)
    trig.execute(f"UPDATE {table} SET {column} = ? WHERE {pk} = ?", (value, key))
    created, updated = _stamps(trig, table, pk)
    assert created == OLD
    assert TIMESTAMP_RE.match(updated)
    assert before <= datetime.fromisoformat(updated) <= datetime.now(UTC)


@pytest.mark.parametrize(("table", "pk", "column", "value"), TRIGGER_TABLES)
def test_update_in_the_same_millisecond_as_insert_does_not_recurse(
    trig: sqlite3.Connection, table: str, pk: str, column: str, value: str
) -> None:
    # One UPSERT statement inserts then updates the row: SQLite's 'now' is fixed for the whole
    # statement, so the trigger's new updated_at equals the one the insert just wrote.
    row = RAW_ROWS[table]
    cols = ", ".join(row)
    marks = ", ".join("?" * len(row))
    trig.execute(
        f"INSERT INTO {table} ({cols}) VALUES ({marks}), ({marks}) "
        f"ON CONFLICT ({pk}) DO UPDATE SET {column} = ?",
        (*row.values(), *row.values(), value),
    )
    created, updated = _stamps(trig, table, pk)
    assert created == updated
    assert trig.execute(f"SELECT {column} FROM {table}").fetchall() == [(value,)]
    trig.execute("BEGIN")  # and separate statements, many of which share a millisecond
    for n in range(200):
        trig.execute(f"UPDATE {table} SET {column} = ? WHERE {pk} = ?", (f"{value}{n}", row[pk]))
    trig.execute("COMMIT")
    assert trig.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)


@pytest.mark.parametrize(("table", "pk", "column", "value"), TRIGGER_TABLES)
def test_backfill_and_explicit_updated_at_are_kept(
    trig: sqlite3.Connection, table: str, pk: str, column: str, value: str
) -> None:
    _insert(trig, table)
    key = RAW_ROWS[table][pk]
    trig.execute(f"UPDATE {table} SET updated_at = ? WHERE {pk} = ?", (OLD, key))
    assert _stamps(trig, table, pk)[1] == OLD
    explicit = "2024-06-01T08:00:00.123Z"
    trig.execute(
        f"UPDATE {table} SET {column} = ?, updated_at = ? WHERE {pk} = ?", (value, explicit, key)
    )
    assert _stamps(trig, table, pk)[1] == explicit


def test_orm_update_refreshes_updated_at(session: Session, raw: sqlite3.Connection) -> None:
    task = TaskFactory()
    raw.execute("UPDATE tasks SET updated_at = ? WHERE id = ?", (OLD, task.id))
    session.expire(task)
    created = task.created_at
    task.title = "renamed by the ORM"
    session.commit()
    assert task.updated_at > datetime.fromisoformat(OLD)
    assert task.updated_at >= created
    assert task.created_at == created


# --- the timestamp type ---------------------------------------------------------------------


def test_utc_timestamp_formats_rfc3339_milliseconds() -> None:
    value = datetime(2025, 1, 15, 12, 34, 56, 789999, tzinfo=UTC)
    assert format_timestamp(value) == "2025-01-15T12:34:56.789Z"
    plus_two = timezone(timedelta(hours=2))
    assert format_timestamp(value.astimezone(plus_two)) == "2025-01-15T12:34:56.789Z"
    assert format_timestamp(datetime(2025, 1, 15, tzinfo=UTC)) == "2025-01-15T00:00:00.000Z"


def test_utc_timestamp_rejects_naive_datetimes(session: Session) -> None:
    with pytest.raises(ValueError, match="timezone-aware UTC"):
        format_timestamp(datetime(2025, 1, 15, 12, 0))
    with pytest.raises(Exception, match="timezone-aware UTC"):
        TaskFactory(started_at=datetime(2025, 1, 15, 12, 0), status="running")
    session.rollback()


def test_utc_timestamp_round_trips(session: Session, raw: sqlite3.Connection) -> None:
    started = datetime(2025, 1, 15, 12, 34, 56, 789123, tzinfo=UTC)
    task = TaskFactory(running=True, started_at=started)
    stored = raw.execute("SELECT started_at FROM tasks WHERE id = ?", (task.id,)).fetchone()[0]
    assert stored == "2025-01-15T12:34:56.789Z"
    assert task.started_at == started.replace(microsecond=789000)
    assert task.started_at.tzinfo is not None and task.started_at.utcoffset() == timedelta(0)
    assert task.created_at.tzinfo is not None
    assert UtcTimestamp().python_type is datetime
    found = session.scalars(select(Task).where(Task.started_at < started + timedelta(seconds=1)))
    assert [t.id for t in found] == [task.id]


# --- session binding ------------------------------------------------------------------------


def test_current_session_without_binding_says_what_to_do() -> None:
    with pytest.raises(AcodbError, match=r"acodb_session.*bind_session"):
        current_session()
    with pytest.raises(AcodbError):
        TaskFactory()


def test_bind_and_unbind_nest(engine: Engine) -> None:
    with Session(engine) as outer, Session(engine) as inner:
        outer_token = bind_session(outer)
        inner_token = bind_session(inner)
        assert current_session() is inner
        unbind_session(inner_token)
        assert current_session() is outer
        unbind_session(outer_token)
    with pytest.raises(AcodbError):
        current_session()


def test_build_needs_no_session() -> None:
    task = TaskFactory.build(failed=True)
    assert task.status == "failed" and task.error


# --- every factory: 100 valid rows ------------------------------------------------------------


def _check_task(r: dict[str, Any]) -> None:
    assert r["status"] in TASK_STATUSES
    started, completed = parse(r["started_at"]), parse(r["completed_at"])
    assert isinstance(json.loads(r["config"]), dict)
    if r["status"] == "pending":
        assert started is None and completed is None
    elif r["status"] == "running":
        assert started is not None and completed is None
    elif r["status"] in ("completed", "failed"):
        assert started is not None and completed is not None
        assert parse(r["created_at"]) <= started <= completed <= datetime.now(UTC)
    else:
        assert completed is None
    assert (r["error"] is not None) == (r["status"] == "failed")


def _check_tool_execution(r: dict[str, Any]) -> None:
    assert r["status"] in TOOL_EXECUTION_STATUSES
    assert isinstance(json.loads(r["arguments"]), dict)
    output = json.loads(r["output"]) if r["output"] is not None else None
    assert output is None or isinstance(output, dict)
    if r["status"] in ("completed", "failed", "timeout"):
        created, completed = parse(r["created_at"]), parse(r["completed_at"])
        assert completed is not None and r["duration_ms"] >= 0
        assert (completed - created) // timedelta(milliseconds=1) == r["duration_ms"]
    else:
        assert r["completed_at"] is None and r["duration_ms"] is None
    assert (r["error"] is not None) == (r["status"] in ("failed", "timeout"))


def _check_session(r: dict[str, Any]) -> None:
    assert r["connection_type"] in CONNECTION_TYPES
    assert r["is_active"] in (0, 1)
    assert parse(r["created_at"]) <= parse(r["last_heartbeat"]) <= datetime.now(UTC)


def _check_configuration(r: dict[str, Any]) -> None:
    assert r["value_type"] in VALUE_TYPES and r["is_secret"] in (0, 1)
    assert_value_parses(r["value"], r["value_type"])


def assert_value_parses(value: str, value_type: str) -> None:
    if value_type == "integer":
        assert str(int(value)) == value
    elif value_type == "float":
        float(value)
    elif value_type == "boolean":
        assert value in ("true", "false")
    elif value_type == "json":
        json.loads(value)
    else:
        assert isinstance(value, str) and value


ROW_CHECKS = {
    "tasks": _check_task,
    "workflows": lambda r: (
        (r["status"] in WORKFLOW_STATUSES and isinstance(json.loads(r["definition"]), dict))
        or pytest.fail(f"bad workflow {r}")
    ),
    "workflow_tasks": lambda r: None,
    "tool_executions": _check_tool_execution,
    "sessions": _check_session,
    "configurations": _check_configuration,
}


@pytest.mark.parametrize("factory_class", ACODB_FACTORIES, ids=lambda f: f.__name__)
def test_factory_creates_100_valid_committed_rows(
    session: Session, raw: sqlite3.Connection, factory_class: Any
) -> None:
    objs = factory_class.create_batch(100)
    table = factory_class._meta.model.__tablename__
    assert len(objs) == 100
    # Seen through another connection: every row was committed.
    found = rows(raw, f"SELECT * FROM {table}")
    assert len(found) == 100
    assert_database_clean(raw)
    for r in found:
        for column in TIMESTAMP_COLUMNS[table]:
            assert r[column] is None or TIMESTAMP_RE.match(r[column]), (column, r[column])
        for column in JSON_COLUMNS.get(table, ()):
            value = json.loads(r[column]) if r[column] is not None else None
            assert value is None or isinstance(value, dict), (column, value)
        if "updated_at" in r:
            assert r["created_at"] <= r["updated_at"]
        ROW_CHECKS[table](r)
    for table_name in ACODB_TABLES:  # parents made by SubFactory are valid too
        for r in rows(raw, f"SELECT * FROM {table_name}"):
            ROW_CHECKS[table_name](r)


# --- traits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", TASK_STATUSES)
def test_task_traits(session: Session, status: str) -> None:
    for task in TaskFactory.create_batch(10, **{status: True}):
        assert task.status == status
        assert (task.error is not None) == (status == "failed")
        for stamp in (task.started_at, task.completed_at):
            assert stamp is None or stamp.utcoffset() == timedelta(0)
    task = TaskFactory(status=status)  # the plain field drives the timestamps too
    assert (task.completed_at is not None) == (status in ("completed", "failed"))


def test_task_default_is_pending(session: Session) -> None:
    task = TaskFactory()
    assert (task.status, task.started_at, task.completed_at, task.error) == (
        "pending",
        None,
        None,
        None,
    )
    assert task.config and task.workspace_path


def test_cancelled_tasks_may_have_started(session: Session) -> None:
    started = {t.started_at is not None for t in TaskFactory.create_batch(40, cancelled=True)}
    assert started == {True, False}


@pytest.mark.parametrize("status", WORKFLOW_STATUSES)
def test_workflow_traits(session: Session, status: str) -> None:
    assert WorkflowFactory(**{status: True}).status == status


def test_workflow_default_is_active(session: Session) -> None:
    workflow = WorkflowFactory()
    assert workflow.status == "active"
    assert workflow.definition["steps"]


@pytest.mark.parametrize("status", TOOL_EXECUTION_STATUSES)
def test_tool_execution_traits(session: Session, status: str) -> None:
    execution = ToolExecutionFactory(**{status: True})
    assert execution.status == status
    finished = status in ("completed", "failed", "timeout")
    assert (execution.completed_at is not None) == finished
    if finished:
        assert execution.completed_at - execution.created_at == timedelta(
            milliseconds=execution.duration_ms
        )
    assert execution.created_at >= execution.task.started_at


def test_tool_execution_default_is_completed(session: Session) -> None:
    execution = ToolExecutionFactory()
    assert execution.status == "completed" and execution.output["exit_code"] == 0
    assert execution.task.status == "running"


def test_session_traits(session: Session) -> None:
    active = ConnectionSessionFactory()
    assert active.is_active is True and active.user_id is not None
    assert active.last_heartbeat > datetime.now(UTC) - timedelta(minutes=1)
    inactive = ConnectionSessionFactory(inactive=True)
    assert inactive.is_active is False
    assert inactive.last_heartbeat < datetime.now(UTC) - timedelta(minutes=5)
    assert ConnectionSessionFactory(anonymous=True).user_id is None


@pytest.mark.parametrize("value_type", VALUE_TYPES)
def test_configuration_value_type_traits(session: Session, value_type: str) -> None:
    for config in ConfigurationFactory.create_batch(10, **{value_type: True}):
        assert config.value_type == value_type and config.is_secret is False
        assert_value_parses(config.value, value_type)


def test_configuration_secret_trait(session: Session) -> None:
    config = ConfigurationFactory(secret=True)
    assert config.is_secret is True
    assert re.fullmatch(r"fake-secret-[0-9a-f]{32}", config.value)
    secret_json = ConfigurationFactory(secret=True, json=True)
    assert json.loads(secret_json.value)["token"].startswith("fake-secret-")


# --- repr -----------------------------------------------------------------------------------


def test_configuration_repr_hides_secret_values(session: Session) -> None:
    secret = ConfigurationFactory(secret=True)
    public = ConfigurationFactory(integer=True)
    assert secret.value not in repr(secret)
    assert "value='***'" in repr(secret) and secret.key in repr(secret)
    assert repr(public.value) in repr(public)
    value = secret.value
    session.expunge_all()  # expired and detached: repr does not raise and still hides it
    session.expire_all()
    assert value not in repr(secret) and "***" in repr(secret)
    unknown = Configuration(key="api.token", value="hunter2", value_type="string")
    assert "hunter2" not in repr(unknown)


def test_every_model_repr_names_the_row(session: Session) -> None:
    link = WorkflowTaskFactory()
    execution = ToolExecutionFactory(failed=True)
    conn = ConnectionSessionFactory()
    for obj, expected in [
        (link.task, ["Task", link.task.id, "pending"]),
        (link.workflow, ["Workflow", link.workflow.id, "active"]),
        (link, ["WorkflowTask", link.workflow_id, link.task_id]),
        (execution, ["ToolExecution", execution.id, "failed"]),
        (conn, ["ConnectionSession", conn.id]),
    ]:
        text = repr(obj)
        assert all(part in text for part in expected), text


# --- relationships and cascades -----------------------------------------------------------


def test_workflow_tasks_are_ordered_by_sequence(session: Session) -> None:
    workflow = WorkflowFactory()
    tasks = TaskFactory.create_batch(3)
    for task, sequence in zip(tasks, (2, 0, 1), strict=True):
        WorkflowTaskFactory(workflow=workflow, task=task, sequence=sequence)
    session.expire_all()
    assert [t.id for t in workflow.tasks] == [tasks[1].id, tasks[2].id, tasks[0].id]
    assert [wt.sequence for wt in workflow.workflow_tasks] == [0, 1, 2]
    assert tasks[0].workflow_tasks[0].workflow is workflow


def test_tool_executions_are_ordered_by_created_at(session: Session) -> None:
    task = TaskFactory(running=True)
    base = task.started_at
    for offset in (30, 10, 20):
        ToolExecutionFactory(task=task, created_at=base + timedelta(seconds=offset))
    session.expire_all()
    assert [e.created_at - base for e in task.tool_executions] == [
        timedelta(seconds=s) for s in (10, 20, 30)
    ]
    assert all(e.task is task for e in task.tool_executions)


def test_workflow_task_sequence_counts_up(session: Session) -> None:
    first, second = WorkflowTaskFactory.create_batch(2)
    assert second.sequence == first.sequence + 1


def test_deleting_a_workflow_cascades_to_its_links(
    session: Session, raw: sqlite3.Connection
) -> None:
    link = WorkflowTaskFactory()
    other = WorkflowTaskFactory(task=link.task)
    workflow, task = link.workflow, link.task
    session.delete(workflow)
    session.commit()
    remaining = raw.execute("SELECT workflow_id FROM workflow_tasks").fetchall()
    assert remaining == [(other.workflow_id,)]
    assert raw.execute("SELECT count(*) FROM tasks WHERE id = ?", (task.id,)).fetchone() == (1,)
    raw.execute("DELETE FROM workflows WHERE id = ?", (other.workflow_id,))  # in SQL alone
    assert raw.execute("SELECT count(*) FROM workflow_tasks").fetchone() == (0,)
    assert_database_clean(raw)


def test_deleting_a_task_cascades_to_executions_and_links(
    session: Session, raw: sqlite3.Connection
) -> None:
    task = TaskFactory(running=True)
    ToolExecutionFactory.create_batch(3, task=task)
    WorkflowTaskFactory(task=task)
    kept = ToolExecutionFactory()
    raw.execute("DELETE FROM tasks WHERE id = ?", (task.id,))
    assert raw.execute("SELECT id FROM tool_executions").fetchall() == [(kept.id,)]
    assert raw.execute("SELECT count(*) FROM workflow_tasks").fetchone() == (0,)
    session.expire_all()
    doomed = session.get(Task, kept.task_id)
    assert doomed is not None
    session.delete(doomed)  # through the ORM: passive_deletes leaves it to the database
    session.commit()
    assert session.scalars(select(ToolExecution)).all() == []
    assert_database_clean(raw)


def test_models_export_every_bundled_table() -> None:
    mapped = {
        m.__tablename__
        for m in (Task, Workflow, WorkflowTask, ToolExecution, ConnectionSession, Configuration)
    }
    assert mapped == set(ACODB_TABLES) == set(Base.metadata.tables)
    assert [f._meta.model.__tablename__ for f in ACODB_FACTORIES] == list(ACODB_TABLES)


def test_foreign_keys_are_enforced_on_the_engine(session: Session) -> None:
    session.add(WorkflowTask(workflow_id="missing", task_id="missing", sequence=0))
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        session.commit()
    session.rollback()


# --- persistence: one commit per create() / create_batch() ----------------------------------


def _count_commits(session: Session) -> list[int]:
    commits: list[int] = []
    event.listen(session, "after_commit", lambda s: commits.append(1))
    return commits


def _count(raw: sqlite3.Connection, table: str) -> int:
    return int(raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_create_batch_commits_rows_and_parents_once(
    session: Session, raw: sqlite3.Connection
) -> None:
    commits = _count_commits(session)
    executions = ToolExecutionFactory.create_batch(25)
    assert len(commits) == 1
    assert (_count(raw, "tool_executions"), _count(raw, "tasks")) == (25, 25)
    assert {e.task_id for e in executions} == {r[0] for r in raw.execute("SELECT id FROM tasks")}


def test_create_commits_row_and_parents_once(session: Session, raw: sqlite3.Connection) -> None:
    commits = _count_commits(session)
    link = WorkflowTaskFactory()
    assert len(commits) == 1
    assert [_count(raw, t) for t in ("workflows", "tasks", "workflow_tasks")] == [1, 1, 1]
    assert link.workflow.tasks == [link.task]


def test_failed_create_batch_commits_nothing(session: Session, raw: sqlite3.Connection) -> None:
    TaskFactory()  # committed before: stays
    with pytest.raises(IntegrityError, match="CHECK constraint failed"):
        ToolExecutionFactory.create_batch(3, status="cancelled")  # not a tool execution status
    session.rollback()
    assert (_count(raw, "tasks"), _count(raw, "tool_executions")) == (1, 0)
    assert len(ToolExecutionFactory.create_batch(2)) == 2  # the session works again
    assert _count(raw, "tool_executions") == 2


def test_created_rows_read_back_stored_values(session: Session) -> None:
    start = datetime(2025, 1, 10, 8, 0, 0, 123456, tzinfo=UTC)
    executions = ToolExecutionFactory.create_batch(3, created_at=start)
    single = TaskFactory(running=True, started_at=start)
    for obj in [*executions, single]:
        assert inspect(obj).expired_attributes  # reloaded on next access, as after commit()
    assert {e.created_at for e in executions} == {start.replace(microsecond=123000)}
    assert single.started_at == start.replace(microsecond=123000)
    assert single.updated_at is not None and single.updated_at >= single.created_at


def test_factory_commit_expires_what_it_wrote_not_every_object(
    session: Session, raw: sqlite3.Connection
) -> None:
    edited, untouched = TaskFactory.create_batch(2)
    key = edited.id
    raw.execute("UPDATE tasks SET updated_at = ? WHERE id = ?", (OLD, key))
    session.expire(edited)
    edited.title = "renamed before a factory call"  # pending: the factory's commit writes it
    assert untouched.title  # loaded
    ConfigurationFactory()
    assert inspect(edited).expired_attributes >= {"title", "updated_at"}
    assert raw.execute("SELECT title FROM tasks WHERE id = ?", (key,)).fetchone() == (
        "renamed before a factory call",
    )
    assert edited.updated_at > datetime.fromisoformat(OLD)
    assert "title" in inspect(untouched).dict  # not written by that commit: left loaded


def test_factory_commit_detaches_deleted_objects(session: Session, raw: sqlite3.Connection) -> None:
    doomed = TaskFactory()
    session.delete(doomed)
    WorkflowFactory()
    assert inspect(doomed).detached
    assert _count(raw, "tasks") == 0


def test_factory_commit_with_expire_on_commit_off_keeps_objects(
    engine: Engine, raw: sqlite3.Connection
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        token = bind_session(s)
        try:
            task = TaskFactory()
            executions = ToolExecutionFactory.create_batch(3, task=task)
        finally:
            unbind_session(token)
        assert not inspect(task).expired_attributes
        assert all(not inspect(e).expired_attributes for e in executions)
    assert _count(raw, "tool_executions") == 3


@pytest.mark.parametrize(("persistence", "stored"), [(None, 0), ("flush", 0), ("commit", 4)])
def test_subclass_session_persistence_is_honoured(
    session: Session, raw: sqlite3.Connection, persistence: str | None, stored: int
) -> None:
    class Meta:
        sqlalchemy_session_persistence = persistence

    factory_class: Any = type("Configs", (ConfigurationFactory,), {"Meta": Meta})
    made = [*factory_class.create_batch(3), factory_class()]
    assert _count(raw, "configurations") == stored
    assert all(obj in session for obj in made)
    flushed = session.scalar(select(func.count()).select_from(Configuration))  # autoflushes
    assert flushed == 4
    session.rollback()


def test_get_or_create_still_persists_each_row(session: Session) -> None:
    class Meta:
        sqlalchemy_get_or_create = ("key",)

    factory_class: Any = type("Configs", (ConfigurationFactory,), {"Meta": Meta})
    first = factory_class(key="orchestrator.timeout")
    again = factory_class(key="orchestrator.timeout")
    assert again is first
    assert len(factory_class.create_batch(2, key="scheduler.tick")) == 2
    assert session.scalar(select(func.count()).select_from(Configuration)) == 2


# --- data: cheap, seeded, realistic ---------------------------------------------------------


def _values(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in inspect(obj).mapper.column_attrs}


def test_same_seed_same_data_for_every_factory() -> None:
    def draw(seed: int) -> list[dict[str, Any]]:
        factories.reseed(seed)
        try:
            return [_values(o) for f in ACODB_FACTORIES for o in f.build_batch(5)]
        finally:
            factories.reseed(None)

    first = draw(7)
    assert draw(7) == first
    assert draw(8) != first


def test_reseed_restarts_every_sequence_that_moved_since_the_last_reseed() -> None:
    # reseed restarts only the counters noted as moved: by a build (directly, as a parent
    # through a SubFactory, or through a subclass sharing the counter), or by reset_sequence.
    class ChildTaskFactory(TaskFactory):
        class Meta:
            model = Task

    def first_sequence(factory_class: Any) -> int:
        return int(factory_class._meta.next_sequence())

    factories.reseed(1)
    try:
        ToolExecutionFactory.build()  # moves ToolExecutionFactory's counter and TaskFactory's
        factories.reseed(2)
        assert first_sequence(ToolExecutionFactory) == 0
        assert first_sequence(TaskFactory) == 0
        WorkflowFactory.reset_sequence(5)  # moved without a build
        ConfigurationFactory._meta.reset_sequence(50)  # factory_boy's options, directly
        ChildTaskFactory.build_batch(3)  # TaskFactory's counter, shared
        factories.reseed(3)
        assert first_sequence(WorkflowFactory) == 0
        assert first_sequence(ConfigurationFactory) == 0
        assert first_sequence(TaskFactory) == 0
        assert first_sequence(ChildTaskFactory) == 1  # the same counter
    finally:
        factories.reseed(None)


def test_bundled_factories_subclass_the_generated_ones() -> None:
    for factory_class in ACODB_FACTORIES:
        table = factory_class._meta.model.__tablename__
        assert issubclass(factory_class, factories.GENERATED[table])
        assert factories.BUNDLED[table] is factory_class
        assert getattr(factories.BUNDLED, factory_class.__name__) is factory_class


def test_traits_generated_from_check_value_lists_reach_the_bundled_factories(
    session: Session,
) -> None:
    made = [ConnectionSessionFactory(**{kind: True}) for kind in CONNECTION_TYPES]
    assert [s.connection_type for s in made] == list(CONNECTION_TYPES)


@pytest.mark.parametrize(
    ("table", "column", "attribute"),
    [
        ("tasks", "config", "config"),
        ("tasks", "metadata", "metadata_"),
        ("workflows", "definition", "definition"),
        ("tool_executions", "arguments", "arguments"),
        ("tool_executions", "output", "output"),
        ("sessions", "metadata", "metadata_"),
    ],
)
def test_json_columns_read_text_that_is_not_json(
    session: Session, raw: sqlite3.Connection, table: str, column: str, attribute: str
) -> None:
    made = {
        "tasks": TaskFactory,
        "workflows": WorkflowFactory,
        "tool_executions": ToolExecutionFactory,
        "sessions": ConnectionSessionFactory,
    }[table]()
    raw.execute(f"UPDATE {table} SET {column} = 'plain text, not JSON' WHERE id = ?", (made.id,))
    session.expire_all()
    assert getattr(made, attribute) == "plain text, not JSON"
    raw.execute(f"UPDATE {table} SET {column} = '[1, 2]' WHERE id = ?", (made.id,))
    session.expire_all()
    assert getattr(made, attribute) == [1, 2]


def test_metadata_keyword_sets_the_metadata_attribute(
    session: Session, raw: sqlite3.Connection
) -> None:
    task = TaskFactory(metadata={"source": "cli"})
    client = ConnectionSessionFactory(metadata={"remote_addr": "192.0.2.1"})
    assert task.metadata_ == {"source": "cli"}
    assert rows(raw, "SELECT metadata FROM tasks") == [{"metadata": '{"source": "cli"}'}]
    assert client.metadata_ == {"remote_addr": "192.0.2.1"}
    assert TaskFactory.build(metadata=None).metadata_ is None
    with pytest.raises(TypeError, match="pass metadata_= or metadata=, not both"):
        TaskFactory(metadata={}, metadata_={})


def test_readme_lists_every_trait_of_every_bundled_factory() -> None:
    from factory import Trait

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    table = readme[readme.index("Every trait, and the parameters") :]
    listed = {}
    for line in table.splitlines()[2:10]:
        found = re.match(r"\|\s*`(\w+Factory)`\s*\|[^|]*\|([^|]*)\|", line)
        if found:
            listed[found.group(1)] = set(re.findall(r"`(\w+)`", found.group(2)))
    assert listed == {
        f.__name__: {n for n, p in f._meta.parameters.items() if isinstance(p, Trait)}
        for f in ACODB_FACTORIES
    }


def test_trait_flags_are_declared_false_and_never_reach_the_model() -> None:
    declarations = TaskFactory._meta.declarations
    assert all(declarations[status] is False for status in TASK_STATUSES)
    task = TaskFactory.build(failed=True)
    assert task.status == "failed" and "failed" not in vars(task)
    assert TaskFactory.build(failed=True, status="running").status == "running"


def test_fake_text_is_realistic() -> None:
    for task in TaskFactory.build_batch(50, failed=True):
        assert uuid.UUID(task.id).version == 4
        assert task.title[0].isupper() and task.title.endswith(".")
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", task.workspace_path.rsplit("/", 1)[1])
        assert re.fullmatch(r"[a-z][a-z0-9._]+", task.metadata_["requested_by"])
        assert re.fullmatch(r"\w+Error: [A-Z][A-Za-z ]+\.", task.error)
    for execution in ToolExecutionFactory.build_batch(50):
        assert re.fullmatch(r"(/\w+){3}\.\w+", execution.arguments["path"])
        assert execution.output["bytes"] == len(execution.output["stdout"]) > 0
    for conn in ConnectionSessionFactory.build_batch(50):
        assert ipaddress.ip_address(conn.metadata_["remote_addr"]).is_global
        assert conn.metadata_["user_agent"]
    assert all(w.name and w.description for w in WorkflowFactory.build_batch(20))


def test_reseed_leaves_the_generators_as_factory_boys_reseed_random_does() -> None:
    import faker.generator
    from factory import random as factory_random

    for seed in (0, 1234, 2**64 - 1):
        factory_random.reseed_random(seed)
        expected = (factory_random.randgen.getstate(), faker.generator.random.getstate())
        factory_random.randgen.seed(seed + 1)
        faker.generator.random.seed(seed + 2)
        factories.reseed(seed)
        try:
            got = (factory_random.randgen.getstate(), faker.generator.random.getstate())
        finally:
            factories.reseed(None)
        assert got == expected
