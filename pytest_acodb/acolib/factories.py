# factory_boy ships py.typed but leaves its declarations unannotated: every call is "untyped".
# mypy: disable-error-code="no-untyped-call"
"""factory_boy factories for the bundled schema, one per model, with realistic fake data.

Every factory writes to the SQLAlchemy session bound with :func:`bind_session` (the
``acodb_session`` fixture binds it for you). ``create()`` (``XFactory(...)``) commits the row and
the parents its ``SubFactory`` declarations made in one commit; ``create_batch(n)`` commits all
``n`` rows and their parents in one flush and one commit. Either way the rows are committed when
the call returns, so they are visible to other connections. ``build()`` makes unsaved objects
and needs no session.

Rows are valid and coherent: statuses come from the allowed sets, timestamps follow the status
(e.g. a failed task has ``started_at <= completed_at`` and an ``error``), explicit timestamps are
tz-aware UTC with milliseconds and lie in the past. Text comes from Faker's providers on
factory_boy's shared Faker instance, whose randomness is factory_boy's, so
``factory.random.reseed_random(seed)`` (or :func:`reseed`) makes a run reproducible.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from factory.declarations import (
    LazyAttribute,
    LazyAttributeSequence,
    LazyFunction,
    Sequence,
    SubFactory,
)
from factory.faker import Faker
from factory.fuzzy import FuzzyChoice, FuzzyInteger
from factory.random import randgen

from .. import bundled_migrations_dir
from ..synth.factories import Factories, GeneratedFactory, generate
from ..synth.factories.base import REFERENCE_TIME as REFERENCE_TIME
from ..synth.factories.base import FlagTrait
from ..synth.factories.base import now as _now
from ..synth.factories.base import reseed as reseed
from ..synth.session import bind_session as bind_session
from ..synth.session import current_session as current_session
from ..synth.session import unbind_session as unbind_session
from . import models
from .models import (
    CONNECTION_TYPES,
    Configuration,
    ConnectionSession,
    Task,
    ToolExecution,
    Workflow,
    WorkflowTask,
)

GENERATED = generate(bundled_migrations_dir(), models=models.Base)
"""The factories generated from the bundled migrations over the bundled models: the bases of
the hand-tuned factories below (``GENERATED["tasks"]`` is ``TaskFactory``'s base)."""
_Tasks: Any = GENERATED["tasks"]
_Workflows: Any = GENERATED["workflows"]
_WorkflowTasks: Any = GENERATED["workflow_tasks"]
_ToolExecutions: Any = GENERATED["tool_executions"]
_Sessions: Any = GENERATED["sessions"]
_Configurations: Any = GENERATED["configurations"]

# --- fake text ---------------------------------------------------------------------------------
# Faker's providers, called on factory_boy's shared Faker instance (seeded with factory_boy's
# generator by ``reseed`` and ``factory.random.reseed_random``). Calling the provider method
# directly skips the per-call declaration machinery of ``factory.Faker``; fields only some
# statuses use are only generated for them.


def _fake() -> Any:
    """factory_boy's shared en_US ``faker.Faker`` (its randomness is factory_boy's seed)."""
    return Faker._get_faker()


def _sentence(nb_words: int, variable: bool = True) -> str:
    """Faker's ``sentence``: ``nb_words`` words (+/-40% when ``variable``), with a full stop."""
    return str(_fake().sentence(nb_words=nb_words, variable_nb_words=variable))


def _paragraph(nb_sentences: int) -> str:
    """Faker's ``paragraph`` of about ``nb_sentences`` sentences."""
    return str(_fake().paragraph(nb_sentences=nb_sentences))


def _uuid4() -> str:
    """Faker's ``uuid4``: a random (version 4) UUID in canonical text form."""
    return str(_fake().uuid4())


def _ago(ms: int) -> datetime:
    return _now() - timedelta(milliseconds=ms)


def _after(start: datetime | None, ms: int) -> datetime | None:
    return None if start is None else start + timedelta(milliseconds=ms)


def _latest(*times: datetime | None) -> datetime:
    """The latest of ``times`` that are set (e.g. a row was last updated when it last changed
    state), else now."""
    known = [t for t in times if t is not None]
    naive = [t for t in known if t.tzinfo is None]
    if naive:  # a caller's naive datetime: let the column type reject it with its message
        return naive[0]
    return max(known) if known else _now()


def _elapsed_ms(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else (end - start) // timedelta(milliseconds=1)


_MINUTE_MS = 60_000
_HOUR_MS = 60 * _MINUTE_MS
_DAY_MS = 24 * _HOUR_MS

TOOL_NAMES: tuple[str, ...] = (
    "read_file",
    "write_file",
    "run_shell",
    "search_code",
    "http_request",
    "git_commit",
    "run_tests",
)
_ERROR_KINDS = ("RuntimeError", "ToolError", "ValidationError", "PermissionError", "IOError")


_Trait = FlagTrait


class _Tuned(GeneratedFactory):
    """What the hand-tuned factories share: every column is declared below, so the generated
    base's row clock is not needed (``None`` costs nothing and draws no random number)."""

    class Meta:
        abstract = True

    class Params:
        acodb_time = None


class TaskFactory(_Tuned, _Tasks):  # type: ignore[misc]
    """Makes :class:`~pytest_acodb.models.Task` rows in the bound session, committed.

    Default state: ``pending``. Traits ``pending``, ``running``, ``completed``, ``failed``,
    ``cancelled`` (or pass ``status=``): ``started_at``/``completed_at``/``error`` follow the
    status. pending: no start, no end; running: started, no end; completed and failed: started
    and ended (``created_at <= started_at <= completed_at``), only failed has ``error``;
    cancelled: started half the time, never ended. ``created_at`` is set 3 hours to 30 days ago
    so the whole life of the task is in the past. Params ``queue_ms`` and ``run_ms`` (ms from
    creation to start and from start to end) may be overridden.
    """

    class Meta:
        model = Task

    class Params:
        queue_ms = FuzzyInteger(0, 10 * _MINUTE_MS)
        run_ms = FuzzyInteger(50, 2 * _HOUR_MS)
        was_started = LazyAttribute(
            lambda o: (
                o.status in ("running", "completed", "failed")
                or (o.status == "cancelled" and randgen.random() < 0.5)
            )
        )
        project = LazyFunction(lambda: _fake().slug())
        error_detail = LazyAttribute(
            lambda o: _sentence(6, variable=False) if o.status == "failed" else None
        )
        error_kind = FuzzyChoice(_ERROR_KINDS)
        pending = _Trait(status="pending")
        running = _Trait(status="running")
        completed = _Trait(status="completed")
        failed = _Trait(status="failed")
        cancelled = _Trait(status="cancelled")

    id = LazyFunction(_uuid4)
    title = LazyFunction(lambda: _sentence(4))
    description = LazyFunction(lambda: _paragraph(2))
    task_type = FuzzyChoice(("workflow", "tool", "script"))
    status = "pending"
    config = LazyFunction(
        lambda: {
            "timeout_seconds": randgen.randint(30, 3600),
            "max_retries": randgen.randint(0, 5),
            "priority": randgen.choice(("low", "normal", "high")),
            "env": {"LOG_LEVEL": randgen.choice(("debug", "info", "warning"))},
        }
    )
    metadata_ = LazyFunction(
        lambda: {
            "source": randgen.choice(("cli", "api", "scheduler", "webhook")),
            "requested_by": _fake().user_name(),
            "tags": _fake().words(nb=2),
        }
    )
    workspace_path = LazyAttribute(lambda o: f"/var/lib/acolib/workspaces/{o.project}")
    created_at = LazyFunction(lambda: _ago(randgen.randint(3 * _HOUR_MS, 30 * _DAY_MS)))
    updated_at = LazyAttribute(lambda o: _latest(o.created_at, o.started_at, o.completed_at))
    started_at = LazyAttribute(
        lambda o: _after(o.created_at, o.queue_ms) if o.was_started else None
    )
    completed_at = LazyAttribute(
        lambda o: _after(o.started_at, o.run_ms) if o.status in ("completed", "failed") else None
    )
    error = LazyAttribute(
        lambda o: f"{o.error_kind}: {o.error_detail}" if o.status == "failed" else None
    )


def _workflow_definition() -> dict[str, Any]:
    rng = randgen
    steps: list[dict[str, Any]] = []
    for n in range(1, rng.randint(1, 5) + 1):
        steps.append(
            {
                "id": f"step-{n}",
                "tool": rng.choice(TOOL_NAMES),
                "depends_on": [f"step-{n - 1}"] if n > 1 else [],
                "retry": {"max_attempts": rng.randint(1, 3)},
            }
        )
    return {"version": 1, "trigger": rng.choice(("manual", "schedule", "webhook")), "steps": steps}


class WorkflowFactory(_Tuned, _Workflows):  # type: ignore[misc]
    """Makes :class:`~pytest_acodb.models.Workflow` rows in the bound session, committed.

    Default state: ``active``. Traits ``draft``, ``active``, ``archived``, ``paused``.
    ``definition`` is a JSON object ``{"version": 1, "trigger": ..., "steps": [...]}``;
    ``created_at`` is 1 to 60 days ago, ``updated_at`` the same.
    """

    class Meta:
        model = Workflow

    class Params:
        draft = _Trait(status="draft")
        active = _Trait(status="active")
        archived = _Trait(status="archived")
        paused = _Trait(status="paused")

    id = LazyFunction(_uuid4)
    name = LazyFunction(lambda: _fake().catch_phrase())
    description = LazyFunction(lambda: _paragraph(2))
    definition = LazyFunction(_workflow_definition)
    status = "active"
    created_at = LazyFunction(lambda: _ago(randgen.randint(_DAY_MS, 60 * _DAY_MS)))
    updated_at = LazyAttribute(lambda o: o.created_at)


class WorkflowTaskFactory(_Tuned, _WorkflowTasks):  # type: ignore[misc]
    """Makes :class:`~pytest_acodb.models.WorkflowTask` links in the bound session, committed.

    Creates a new workflow (:class:`WorkflowFactory`) and task (:class:`TaskFactory`) unless
    given ``workflow=``/``task=``; ``sequence`` counts up across calls. No traits.
    """

    class Meta:
        model = WorkflowTask

    workflow = SubFactory(WorkflowFactory)
    task = SubFactory(TaskFactory)
    sequence = Sequence(lambda n: n)
    created_at = LazyAttribute(lambda o: _latest(o.workflow.created_at, o.task.created_at))


def _execution_start(task: Task) -> datetime:
    """Start shortly after the task started (or was created), never in the future."""
    anchor = task.started_at or task.created_at or _now()
    start = anchor + timedelta(milliseconds=randgen.randint(0, _MINUTE_MS))
    return min(start, _now())


def _tool_output(o: Any) -> dict[str, Any] | None:
    if o.status == "completed":
        return {"exit_code": 0, "stdout": o.output_text, "bytes": len(o.output_text)}
    if o.status == "failed":
        return {"exit_code": randgen.randint(1, 127), "stderr": o.output_text}
    return None


def _tool_error(o: Any) -> str | None:
    if o.status == "failed":
        return f"{o.error_kind}: {o.output_text}"
    if o.status == "timeout":
        return f"tool {o.tool_name} timed out after {o.run_ms} ms"
    return None


class ToolExecutionFactory(_Tuned, _ToolExecutions):  # type: ignore[misc]
    """Makes :class:`~pytest_acodb.models.ToolExecution` rows in the bound session, committed.

    Default state: ``completed``. Traits ``pending``, ``running``, ``completed``, ``failed``,
    ``timeout`` (or pass ``status=``). Creates a ``running`` task unless given ``task=``.
    ``created_at`` (the start) is set just after the task's start; finished executions
    (completed, failed, timeout) have ``completed_at`` and ``duration_ms ==
    completed_at - created_at`` in ms; failed and timeout have ``error``; pending and running
    have neither. Param ``run_ms`` (the duration) may be overridden.
    """

    class Meta:
        model = ToolExecution

    class Params:
        run_ms = LazyAttribute(
            lambda o: (
                randgen.choice((30_000, 60_000, 120_000))
                if o.status == "timeout"
                else randgen.randint(5, 20_000)
            )
        )
        output_text = LazyAttribute(
            lambda o: _sentence(8, variable=False) if o.status in ("completed", "failed") else ""
        )
        error_kind = FuzzyChoice(_ERROR_KINDS)
        pending = _Trait(status="pending")
        running = _Trait(status="running")
        completed = _Trait(status="completed")
        failed = _Trait(status="failed")
        timeout = _Trait(status="timeout")

    id = LazyFunction(_uuid4)
    task = SubFactory(TaskFactory, status="running")
    tool_name = FuzzyChoice(TOOL_NAMES)
    arguments = LazyFunction(
        lambda: {
            "path": _fake().file_path(depth=2),
            "timeout_ms": randgen.randint(1_000, 120_000),
        }
    )
    status = "completed"
    output = LazyAttribute(_tool_output)
    error = LazyAttribute(_tool_error)
    created_at = LazyAttribute(lambda o: _execution_start(o.task))
    completed_at = LazyAttribute(
        lambda o: (
            _after(o.created_at, o.run_ms)
            if o.status in ("completed", "failed", "timeout")
            else None
        )
    )
    duration_ms = LazyAttribute(lambda o: _elapsed_ms(o.created_at, o.completed_at))


class ConnectionSessionFactory(_Tuned, _Sessions):  # type: ignore[misc]
    """Makes :class:`~pytest_acodb.models.ConnectionSession` rows in the bound session, committed.

    Default state: active, authenticated. Traits ``inactive`` (``is_active=False``, last
    heartbeat 10 minutes to 7 days ago) and ``anonymous`` (``user_id=None``). An active session
    had a heartbeat in the last 30 seconds; ``created_at`` is 1 minute to 2 days before the last
    heartbeat.
    """

    class Meta:
        model = ConnectionSession

    class Params:
        heartbeat_age_ms = LazyAttribute(
            lambda o: (
                randgen.randint(0, 30_000)
                if o.is_active
                else randgen.randint(10 * _MINUTE_MS, 7 * _DAY_MS)
            )
        )
        connected_ms = FuzzyInteger(_MINUTE_MS, 2 * _DAY_MS)
        inactive = _Trait(is_active=False)
        anonymous = _Trait(user_id=None)

    id = LazyFunction(_uuid4)
    client_id = LazyFunction(lambda: f"client-{randgen.getrandbits(64):016x}")
    user_id = LazyFunction(_uuid4)
    connection_type = FuzzyChoice(CONNECTION_TYPES)
    is_active = True
    metadata_ = LazyFunction(
        lambda: {
            "remote_addr": _fake().ipv4_public(),
            "user_agent": _fake().user_agent(),
            "protocol_version": randgen.choice(("1.0", "1.1", "2.0")),
        }
    )
    last_heartbeat = LazyAttribute(lambda o: _ago(o.heartbeat_age_ms))
    created_at = LazyAttribute(lambda o: o.last_heartbeat - timedelta(milliseconds=o.connected_ms))
    updated_at = LazyAttribute(lambda o: o.last_heartbeat)


def _config_value(o: Any) -> str:
    rng = randgen
    secret = f"fake-secret-{rng.getrandbits(128):032x}"
    if o.value_type == "integer":
        return str(rng.randint(0, 100_000))
    if o.value_type == "float":
        return repr(round(rng.uniform(0, 1_000), 3))
    if o.value_type == "boolean":
        return rng.choice(("true", "false"))
    if o.value_type == "json":
        body = {"token": secret} if o.is_secret else {"enabled": True, "limit": rng.randint(1, 50)}
        return json.dumps(body)
    return secret if o.is_secret else o.text_value


class ConfigurationFactory(_Tuned, _Configurations):  # type: ignore[misc]
    """Makes :class:`~pytest_acodb.models.Configuration` rows in the bound session, committed.

    Default state: a public ``string`` setting. Traits ``string``, ``integer``, ``float``,
    ``boolean``, ``json`` pick ``value_type``; ``value`` always parses as it (int text, float
    text, ``true``/``false``, JSON text, plain text). ``secret`` sets ``is_secret`` and a string
    value ``fake-secret-<32 hex>`` (a secret of another type gets a valid but fake value).
    Keys look like ``scheduler.timeout_7`` and are unique.
    """

    class Meta:
        model = Configuration

    class Params:
        section = FuzzyChoice(("orchestrator", "scheduler", "tools", "websocket", "storage"))
        setting = LazyFunction(lambda: _fake().word())
        text_value = LazyFunction(lambda: _fake().domain_word())
        string = _Trait(value_type="string")
        integer = _Trait(value_type="integer")
        float = _Trait(value_type="float")
        boolean = _Trait(value_type="boolean")
        json = _Trait(value_type="json")
        secret = _Trait(is_secret=True)

    key = LazyAttributeSequence(lambda o, n: f"{o.section}.{o.setting}_{n}")
    value = LazyAttribute(_config_value)
    value_type = "string"
    description = LazyFunction(lambda: _sentence(8))
    is_secret = False
    created_at = LazyFunction(lambda: _ago(randgen.randint(_DAY_MS, 90 * _DAY_MS)))
    updated_at = LazyAttribute(lambda o: o.created_at)


ACODB_FACTORIES: tuple[type[GeneratedFactory], ...] = (
    TaskFactory,
    WorkflowFactory,
    WorkflowTaskFactory,
    ToolExecutionFactory,
    ConnectionSessionFactory,
    ConfigurationFactory,
)
"""Every bundled factory, in the order of :data:`~pytest_acodb.models.ACODB_TABLES`."""

BUNDLED = Factories(
    {f._meta.model.__tablename__: f for f in ACODB_FACTORIES},
    GENERATED.models,
    GENERATED.schema,
)
"""The bundled factories by table name and class name (what ``acodb_factories`` gives for the
bundled schema): ``BUNDLED["tasks"] is TaskFactory``, ``BUNDLED.TaskFactory``."""
