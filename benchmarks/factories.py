"""Generated factories vs the bundled ones vs plain factory_boy: rows per second.

    .venv/bin/python benchmarks/factories.py            # 2,000 rows per variant, 3 rounds
    .venv/bin/python benchmarks/factories.py --rows 500 --repeats 1

Every variant writes ``rows`` tool executions of the bundled schema, each with its parent task,
with ``create_batch`` into a fresh copy of the migrated template through a default ``Session``
(``expire_on_commit=True``, as ``acodb_session``), seeded alike; the figure is the median of the
rounds, in rows of the target table per second (parents made, not counted). In-process; nothing
here asserts a timing.

* plain factory_boy: ``SQLAlchemyModelFactory`` with ``factory.Faker`` declarations on the
  bundled models, as a team writes it by hand, persisting as factory_boy does (a commit per row)
  and, faster, with no persistence and one commit at the end;
* bundled: ``pytest_acodb.acolib.factories.ToolExecutionFactory`` (hand-tuned, coherent rows);
* generated: the factory :func:`pytest_acodb.synth.factories.generate` makes for the table, on
  generated models and on the bundled ones; and, for a schema with CHECKs that relate columns,
  ``orders`` of ``tests/realistic/shop_orders`` (each with a customer and an address).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _plain_factories(persistence: str | None) -> Any:
    """``ToolExecutionFactory`` written with plain factory_boy over the bundled models."""
    import factory
    from factory.alchemy import SQLAlchemyModelFactory

    from pytest_acodb.acolib.models import Task, ToolExecution
    from pytest_acodb.synth.session import current_session

    class Shared:
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = persistence

    class PlainTask(SQLAlchemyModelFactory):
        class Meta(Shared):
            model = Task

        id = factory.Faker("uuid4")
        title = factory.Faker("sentence", nb_words=4)
        description = factory.Faker("paragraph")
        task_type = factory.Faker("random_element", elements=("workflow", "tool", "script"))
        status = "running"
        config = factory.LazyFunction(lambda: {"timeout_seconds": 60})
        started_at = factory.Faker("past_datetime", tzinfo=UTC)

    class PlainToolExecution(SQLAlchemyModelFactory):
        class Meta(Shared):
            model = ToolExecution

        id = factory.Faker("uuid4")
        task = factory.SubFactory(PlainTask)
        tool_name = factory.Faker("random_element", elements=("read_file", "run_shell"))
        arguments = factory.LazyFunction(lambda: {"path": "/tmp/x"})
        status = "completed"
        output = factory.LazyFunction(lambda: {"exit_code": 0})
        duration_ms = factory.Faker("random_int", min=5, max=20_000)

    return PlainToolExecution


def throughput(rows: int, repeats: int = 3) -> dict[str, float]:
    """``{variant: rows per second}`` (median of ``repeats`` rounds) for the variants of the
    module doc, ``rows`` rows each."""
    from sqlalchemy.orm import Session

    from pytest_acodb import bundled_migrations_dir
    from pytest_acodb.acolib import factories as bundled
    from pytest_acodb.acolib.models import Base
    from pytest_acodb.db.connect import create_engine
    from pytest_acodb.db.template import Template
    from pytest_acodb.migrate import resolve
    from pytest_acodb.synth.factories import generate, reseed
    from pytest_acodb.synth.session import bind_session, unbind_session

    shop_dir = HERE.parent / "tests" / "realistic" / "shop_orders"
    acolib = Template(resolve(bundled_migrations_dir()))
    shop = Template(resolve(shop_dir))
    generated = generate(bundled_migrations_dir())
    on_models = generate(bundled_migrations_dir(), models=Base)
    shop_factories = generate(shop_dir)
    per_row, at_end = _plain_factories("commit"), _plain_factories(None)
    variants: list[tuple[str, Template, Callable[[], object]]] = [
        (
            "plain factory_boy, commit per row",
            acolib,
            lambda: per_row.create_batch(rows),
        ),
        (
            "plain factory_boy, one commit at the end",
            acolib,
            lambda: at_end.create_batch(rows),
        ),
        (
            "bundled ToolExecutionFactory",
            acolib,
            lambda: bundled.ToolExecutionFactory.create_batch(rows),
        ),
        (
            "generated tool_executions (generated models)",
            acolib,
            lambda: generated["tool_executions"].create_batch(rows),
        ),
        (
            "generated tool_executions (bundled models)",
            acolib,
            lambda: on_models["tool_executions"].create_batch(rows),
        ),
        (
            "generated shop_orders orders (+ customer, address)",
            shop,
            lambda: shop_factories["orders"].create_batch(rows),
        ),
    ]
    samples: dict[str, list[float]] = {label: [] for label, _, _ in variants}
    for _ in range(max(1, repeats)):
        for label, template, work in variants:
            database = template.clone_memory()
            engine = create_engine(database.url)
            reseed(1234)
            with Session(engine) as session:
                token = bind_session(session)
                start = time.perf_counter()
                work()
                session.commit()
                samples[label].append(rows / (time.perf_counter() - start))
                unbind_session(token)
            reseed(None)
            engine.dispose()
            database.close()
    for factories in (generated, on_models, shop_factories):
        factories.close()
    return {label: statistics.median(values) for label, values in samples.items()}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows per variant")
    parser.add_argument("--repeats", type=int, default=3, help="rounds (median reported)")
    args = parser.parse_args(argv)
    figures = throughput(args.rows, args.repeats)
    bundled = figures["bundled ToolExecutionFactory"]
    width = max(len(label) for label in figures)
    print(f"{'variant':{width}}  rows/s   vs bundled")
    for label, per_second in figures.items():
        print(f"{label:{width}}  {per_second:7,.0f}  {per_second / bundled:5.2f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
