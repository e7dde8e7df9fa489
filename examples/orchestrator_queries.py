"""A tiny data-access module in the style of the acolib orchestrator's repositories.

This is the "code under test" of the example suite: the kind of module a team tests with
pytest-acodb's fixtures and factories.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pytest_acodb.acolib.models import Task, Workflow, WorkflowTask


class TaskStateError(ValueError):
    """A task is not in a state that allows the requested change."""


def complete_task(session: Session, task_id: str, *, at: datetime | None = None) -> Task:
    """Mark a running task completed at ``at`` (now, UTC, by default) and commit.

    Raises ``LookupError`` for an unknown id and ``TaskStateError`` unless the task is running.
    """
    task = session.get(Task, task_id)
    if task is None:
        raise LookupError(f"no task {task_id}")
    if task.status != "running":
        raise TaskStateError(f"task {task_id} is {task.status}, not running")
    task.status = "completed"
    task.completed_at = at or datetime.now(UTC)
    session.commit()
    return task


def workflow_tasks_in_order(session: Session, workflow_id: str) -> list[Task]:
    """The tasks of a workflow, in ``sequence`` order."""
    return list(
        session.scalars(
            select(Task)
            .join(WorkflowTask, WorkflowTask.task_id == Task.id)
            .where(WorkflowTask.workflow_id == workflow_id)
            .order_by(WorkflowTask.sequence)
        )
    )


def delete_workflow(session: Session, workflow_id: str) -> None:
    """Delete a workflow; the database cascades the delete to its ``workflow_tasks`` rows."""
    session.execute(delete(Workflow).where(Workflow.id == workflow_id))
    session.commit()


def count_by_status(engine: Engine) -> dict[str, int]:
    """Task counts per status, read through a separate engine (as a reporting job would)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM tasks GROUP BY status"))
        return {status: count for status, count in rows}
