"""Example downstream suite: testing orchestrator queries with pytest-acodb."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from orchestrator_queries import (
    TaskStateError,
    complete_task,
    count_by_status,
    delete_workflow,
    workflow_tasks_in_order,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pytest_acodb.acolib.factories import TaskFactory, WorkflowFactory, WorkflowTaskFactory
from pytest_acodb.acolib.models import Task, WorkflowTask
from pytest_acodb.db.connect import create_engine


def test_complete_task_sets_status_and_time(acodb_session: Session) -> None:
    task = TaskFactory(running=True)
    done_at = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)

    complete_task(acodb_session, task.id, at=done_at)

    stored = acodb_session.get(Task, task.id)
    assert stored is not None
    assert stored.status == "completed"
    assert stored.completed_at == done_at


def test_complete_task_refuses_a_pending_task(acodb_session: Session) -> None:
    task = TaskFactory(pending=True)
    with pytest.raises(TaskStateError, match="pending"):
        complete_task(acodb_session, task.id)


def test_workflow_tasks_come_in_sequence_order(acodb_session: Session) -> None:
    workflow = WorkflowFactory()
    for sequence in (3, 1, 2):
        WorkflowTaskFactory(workflow=workflow, sequence=sequence)

    tasks = workflow_tasks_in_order(acodb_session, workflow.id)

    sequences = [
        acodb_session.get(WorkflowTask, (workflow.id, t.id)).sequence  # type: ignore[union-attr]
        for t in tasks
    ]
    assert sequences == [1, 2, 3]


def test_deleting_a_workflow_cascades_to_its_links(acodb_session: Session) -> None:
    link = WorkflowTaskFactory()
    workflow_id, task_id = link.workflow_id, link.task_id

    delete_workflow(acodb_session, workflow_id)

    remaining = acodb_session.scalar(select(func.count()).select_from(WorkflowTask))
    assert remaining == 0
    assert acodb_session.get(Task, task_id) is not None  # the task itself stays


@pytest.mark.acodb(backend="file")
def test_a_second_engine_sees_factory_rows(acodb_session: Session, acodb_url: str) -> None:
    TaskFactory.create_batch(2, failed=True)
    TaskFactory(completed=True)

    reporting = create_engine(acodb_url)
    try:
        assert count_by_status(reporting) == {"completed": 1, "failed": 2}
    finally:
        reporting.dispose()


def test_every_test_starts_empty(acodb_session: Session) -> None:
    assert acodb_session.scalar(select(func.count()).select_from(Task)) == 0
