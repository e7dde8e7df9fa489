"""SQLAlchemy 2.0 ORM models of the bundled acolib orchestrator schema (``migrations/``).

One class per table: :class:`Task` (``tasks``), :class:`Workflow` (``workflows``),
:class:`WorkflowTask` (``workflow_tasks``), :class:`ToolExecution` (``tool_executions``),
:class:`ConnectionSession` (``sessions``) and :class:`Configuration` (``configurations``).

The models describe the schema the migrations build; they never create it (``Base.metadata``
mirrors the migrations' columns, keys, indexes and CHECKs so the two can be compared, but the
JSON columns render as ``JSON`` rather than ``TEXT`` in ``create_all``). Conventions:

* ids are lowercase hyphenated uuid4 text, generated in Python when not given;
* timestamps are :class:`UtcTimestamp`: tz-aware UTC ``datetime`` in Python, RFC 3339 UTC text
  with milliseconds (``2025-01-15T12:34:56.789Z``) in the database;
* ``created_at``/``updated_at`` are filled by the database (``strftime(...,'now')``) and
  ``updated_at`` is kept current by the ``trg_<table>_updated_at`` triggers, so Python never
  sets them (a factory or test may still pass explicit values);
* JSON columns (``tasks.config``, ``tasks.metadata``, ``workflows.definition``,
  ``tool_executions.arguments``, ``tool_executions.output``, ``sessions.metadata``) are
  :class:`LenientJson`: Python objects written as JSON text, Python ``None`` is SQL ``NULL``;
  stored text that is not JSON reads as the raw ``str`` (never an error);
* the ``metadata`` columns are mapped as ``metadata_`` (``metadata`` is reserved by SQLAlchemy).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    Text,
    TextClause,
    inspect,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

ACODB_TABLES: tuple[str, ...] = (
    "tasks",
    "workflows",
    "workflow_tasks",
    "tool_executions",
    "sessions",
    "configurations",
)
"""Names of the bundled tables, parents before children (the order the migrations create them)."""

TASK_STATUSES: tuple[str, ...] = ("pending", "running", "completed", "failed", "cancelled")
WORKFLOW_STATUSES: tuple[str, ...] = ("draft", "active", "archived", "paused")
TOOL_EXECUTION_STATUSES: tuple[str, ...] = ("pending", "running", "completed", "failed", "timeout")
CONNECTION_TYPES: tuple[str, ...] = ("websocket", "http", "grpc")
VALUE_TYPES: tuple[str, ...] = ("string", "integer", "float", "boolean", "json")

NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
"""SQLite expression for the current UTC time as RFC 3339 text with milliseconds."""

JsonObject = dict[str, Any]


def format_timestamp(value: datetime) -> str:
    """Return ``value`` as RFC 3339 UTC text with milliseconds, e.g. ``2025-01-15T12:34:56.789Z``.

    Aware datetimes in other zones are converted to UTC; microseconds are truncated to
    milliseconds. Raises ``ValueError`` for a naive datetime and ``TypeError`` for a non-datetime.
    """
    if not isinstance(value, datetime):
        raise TypeError(f"expected a timezone-aware UTC datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"naive datetime {value.isoformat()} has no timezone; pass a timezone-aware UTC "
            "datetime, e.g. datetime.now(UTC) or value.replace(tzinfo=UTC)"
        )
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "Z"


def parse_timestamp(value: str) -> datetime:
    """Parse timestamp text from the database into a tz-aware UTC ``datetime``.

    Accepts RFC 3339 (``Z`` or an offset) and SQLite's ``YYYY-MM-DD HH:MM:SS[.fff]``, which is
    read as UTC. Raises ``ValueError`` naming the text when it is not a timestamp.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an RFC 3339 timestamp; expected e.g. 2025-01-15T12:34:56.789Z"
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class UtcTimestamp(TypeDecorator[datetime]):
    """TEXT column holding a UTC instant as ``2025-01-15T12:34:56.789Z``.

    Binds tz-aware ``datetime`` (converted to UTC, truncated to milliseconds; naive values raise
    ``ValueError``) and loads tz-aware UTC ``datetime``. Because every value has the same fixed
    width, text comparison in SQL orders instants correctly.
    """

    impl = Text
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else format_timestamp(value)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        return None if value is None else parse_timestamp(str(value))


def _now_default() -> TextClause:
    return text(f"({NOW_SQL})")


def _one_of(column: str, values: tuple[Any, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values)
    return CheckConstraint(f"{column} IN ({listed})")


class LenientJson(TypeDecorator[Any]):
    """A JSON column (TEXT in the schema) that reads every value the schema allows.

    Writes Python values as JSON text (``None`` as SQL ``NULL``). Reads JSON text as the Python
    value it encodes; text that is not JSON (the schema has no ``json_valid`` CHECK, so another
    program may store plain text, e.g. a tool's raw output) reads as that text, a ``str``,
    instead of raising ``JSONDecodeError``. SQL ``NULL`` and the JSON ``null`` read as ``None``.
    """

    impl = JSON
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        def load(value: Any) -> Any:
            if not isinstance(value, str | bytes):
                return value
            try:
                return json.loads(value)
            except ValueError:
                return value if isinstance(value, str) else value.decode("utf-8", "replace")

        return load


def _json() -> LenientJson:
    return LenientJson(none_as_null=True)


def new_id() -> str:
    """Return a new id: lowercase hyphenated uuid4 text (36 characters)."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    """Declarative base of the bundled schema; ``Base.metadata`` holds the six tables.

    ``__repr__`` shows the primary key and the fields named in ``_repr_fields``; it never
    raises and never loads relationships (an expired or detached field shows as ``?``).
    """

    _repr_fields: ClassVar[tuple[str, ...]] = ()

    def _shown(self, name: str) -> str:
        state = inspect(self)
        if name in state.dict:
            return repr(state.dict[name])
        if state.session is None:
            return "?"
        try:
            return repr(getattr(self, name))
        except SQLAlchemyError:
            return "?"

    def __repr__(self) -> str:
        state = inspect(self)
        keys = [str(c.key) for c in state.mapper.primary_key]
        pk_values = state.identity or tuple(state.dict.get(k) for k in keys)
        parts = [f"{k}={v!r}" for k, v in zip(keys, pk_values, strict=True)]
        parts += [f"{name}={self._shown(name)}" for name in self._repr_fields]
        return f"<{type(self).__name__} {' '.join(parts)}>"


class Task(Base):
    """A unit of orchestrator work; ``status`` is one of :data:`TASK_STATUSES`."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("idx_tasks_status", "status"),
        Index("idx_tasks_type", "task_type"),
        Index("idx_tasks_created", "created_at"),
        Index("idx_tasks_workspace", "workspace_path"),
    )
    _repr_fields = ("status", "task_type")

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    task_type: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, _one_of("status", TASK_STATUSES))
    config: Mapped[JsonObject] = mapped_column(_json())
    metadata_: Mapped[JsonObject | None] = mapped_column("metadata", _json())
    workspace_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, server_default=_now_default())
    updated_at: Mapped[datetime] = mapped_column(
        UtcTimestamp, server_default=_now_default(), server_onupdate=FetchedValue()
    )
    started_at: Mapped[datetime | None] = mapped_column(UtcTimestamp)
    completed_at: Mapped[datetime | None] = mapped_column(UtcTimestamp)
    error: Mapped[str | None] = mapped_column(Text)

    workflow_tasks: Mapped[list[WorkflowTask]] = relationship(
        back_populates="task", cascade="all, delete-orphan", passive_deletes=True
    )
    tool_executions: Mapped[list[ToolExecution]] = relationship(
        back_populates="task",
        order_by="ToolExecution.created_at",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Workflow(Base):
    """A workflow definition; ``status`` is one of :data:`WORKFLOW_STATUSES`."""

    __tablename__ = "workflows"
    __table_args__ = (
        Index("idx_workflows_status", "status"),
        Index("idx_workflows_created", "created_at"),
        Index("idx_workflows_name", "name"),
    )
    _repr_fields = ("name", "status")

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    definition: Mapped[JsonObject] = mapped_column(_json())
    status: Mapped[str] = mapped_column(Text, _one_of("status", WORKFLOW_STATUSES))
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, server_default=_now_default())
    updated_at: Mapped[datetime] = mapped_column(
        UtcTimestamp, server_default=_now_default(), server_onupdate=FetchedValue()
    )

    workflow_tasks: Mapped[list[WorkflowTask]] = relationship(
        back_populates="workflow",
        order_by="WorkflowTask.sequence",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    tasks: Mapped[list[Task]] = relationship(
        secondary="workflow_tasks", order_by="WorkflowTask.sequence", viewonly=True
    )
    """The workflow's tasks in ``sequence`` order (read-only; add :class:`WorkflowTask` rows)."""


class WorkflowTask(Base):
    """Link of a task into a workflow at position ``sequence`` (lower runs first)."""

    __tablename__ = "workflow_tasks"
    __table_args__ = (
        Index("idx_workflow_tasks_workflow", "workflow_id"),
        Index("idx_workflow_tasks_task", "task_id"),
        Index("idx_workflow_tasks_sequence", "workflow_id", "sequence"),
    )
    _repr_fields = ("sequence",)

    workflow_id: Mapped[str] = mapped_column(
        Text, ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True
    )
    task_id: Mapped[str] = mapped_column(
        Text, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    sequence: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, server_default=_now_default())

    workflow: Mapped[Workflow] = relationship(back_populates="workflow_tasks")
    task: Mapped[Task] = relationship(back_populates="workflow_tasks")


class ToolExecution(Base):
    """One tool invocation of a task (audit log); ``created_at`` is when it started.

    ``status`` is one of :data:`TOOL_EXECUTION_STATUSES`; ``duration_ms`` is in milliseconds.
    """

    __tablename__ = "tool_executions"
    __table_args__ = (
        Index("idx_tool_executions_task", "task_id"),
        Index("idx_tool_executions_tool", "tool_name"),
        Index("idx_tool_executions_status", "status"),
        Index("idx_tool_executions_created", "created_at"),
        Index("idx_tool_executions_task_fk", "task_id"),
    )
    _repr_fields = ("tool_name", "status")

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    task_id: Mapped[str] = mapped_column(Text, ForeignKey("tasks.id", ondelete="CASCADE"))
    tool_name: Mapped[str] = mapped_column(Text)
    arguments: Mapped[JsonObject] = mapped_column(_json())
    output: Mapped[JsonObject | None] = mapped_column(_json())
    status: Mapped[str] = mapped_column(Text, _one_of("status", TOOL_EXECUTION_STATUSES))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, server_default=_now_default())
    completed_at: Mapped[datetime | None] = mapped_column(UtcTimestamp)
    duration_ms: Mapped[int | None] = mapped_column(Integer)

    task: Mapped[Task] = relationship(back_populates="tool_executions")


class ConnectionSession(Base):
    """A client connection (table ``sessions``); ``connection_type`` is in :data:`CONNECTION_TYPES`.

    ``user_id`` is ``None`` for an unauthenticated client.
    """

    __tablename__ = "sessions"
    __table_args__ = (
        Index("idx_sessions_client", "client_id"),
        Index("idx_sessions_user", "user_id"),
        Index("idx_sessions_active", "is_active"),
        Index("idx_sessions_heartbeat", "last_heartbeat"),
        Index("idx_sessions_created", "created_at"),
    )
    _repr_fields = ("connection_type", "is_active")

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(Text)
    connection_type: Mapped[str] = mapped_column(Text, _one_of("connection_type", CONNECTION_TYPES))
    is_active: Mapped[bool] = mapped_column(
        Boolean(create_constraint=False), _one_of("is_active", (0, 1))
    )
    metadata_: Mapped[JsonObject | None] = mapped_column("metadata", _json())
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, server_default=_now_default())
    updated_at: Mapped[datetime] = mapped_column(
        UtcTimestamp, server_default=_now_default(), server_onupdate=FetchedValue()
    )
    last_heartbeat: Mapped[datetime] = mapped_column(UtcTimestamp)


class Configuration(Base):
    """A runtime setting: ``value`` is text that parses as ``value_type`` (:data:`VALUE_TYPES`).

    ``repr`` shows ``value='***'`` unless ``is_secret`` is known to be false.
    """

    __tablename__ = "configurations"
    __table_args__ = (
        Index("idx_configurations_type", "value_type"),
        Index("idx_configurations_secret", "is_secret"),
        Index("idx_configurations_updated", "updated_at"),
    )

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    value_type: Mapped[str] = mapped_column(Text, _one_of("value_type", VALUE_TYPES))
    description: Mapped[str | None] = mapped_column(Text)
    is_secret: Mapped[bool] = mapped_column(
        Boolean(create_constraint=False), _one_of("is_secret", (0, 1))
    )
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, server_default=_now_default())
    updated_at: Mapped[datetime] = mapped_column(
        UtcTimestamp, server_default=_now_default(), server_onupdate=FetchedValue()
    )

    def __repr__(self) -> str:
        # Hide the value unless is_secret is loaded and false, and was false when last loaded
        # (a flag flipped in memory does not reveal a stored secret): unknown counts as secret.
        state = inspect(self)
        secret = state.dict.get("is_secret")
        if secret is None and state.session is not None:
            try:
                secret = self.is_secret
            except SQLAlchemyError:
                secret = None
        stored = state.attrs.is_secret.history.deleted
        if any(flag is not False and flag != 0 for flag in stored):
            secret = True
        value = self._shown("value") if secret is False else "'***'"
        return (
            f"<Configuration key={self._shown('key')} value_type={self._shown('value_type')} "
            f"value={value} is_secret={secret!r}>"
        )
