"""pytest-acodb benchmarks: one command, ratios measured in the same run.

    python benchmarks/run.py            # full run (about 30 minutes on 2 cores)
    python benchmarks/run.py --quick    # smoke run: small suites, one repeat

Every suite runs as a separate ``python -m pytest`` process on generated files in a temporary
directory; a tiny plugin (``-p acodb_bench_timer``) records the session time (collection + run,
without interpreter start-up) and the benchmark reports the median over repeats, with the variants
of one comparison run interleaved so machine noise hits them alike. Nothing here asserts a
timing; targets are printed next to the figures.

Rows:

1. N tests taking ``acodb_session`` vs the same N tests taking no fixture (clone and rollback);
2. the same tests against a naive fixture that runs every migration per test;
3. ``pytest --acodb-check-migrations`` on 500 synthetic migrations vs 50 (``synthetic.py``);
4. factory throughput: ``ToolExecutionFactory`` rows (each with its parent task) per second vs
   a raw SQLAlchemy Core insert of the same rows (in-process);
5. the N-test suite with ``-n 2`` vs ``-n 0`` (pytest-xdist).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TIMER_PLUGIN = """
import json, os, time

_start = (time.perf_counter(), time.process_time())


def pytest_sessionstart(session):
    global _start
    _start = (time.perf_counter(), time.process_time())


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    stats = {k: len(v) for k, v in (reporter.stats.items() if reporter else []) if k}
    with open(os.environ["ACODB_BENCH_OUT"], "w") as out:
        json.dump({"wall": time.perf_counter() - _start[0],
                   "cpu": time.process_time() - _start[1], "exit": int(exitstatus),
                   "stats": stats}, out)
"""

NAIVE_CONFTEST = '''
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from pytest_acodb import bundled_migrations_dir
from pytest_acodb.db.connect import connect
from pytest_acodb.acolib.factories import bind_session, unbind_session
from pytest_acodb.migrate import Migrator, resolve

SOURCE = resolve(bundled_migrations_dir())


@pytest.fixture
def naive_session():
    """What a project writes by hand: a new in-memory database migrated for every test."""
    conn = connect(":memory:")
    Migrator(SOURCE).run(conn)
    conn.isolation_level = ""
    engine = create_engine("sqlite://", creator=lambda: conn, poolclass=StaticPool)
    with Session(engine) as session:
        token = bind_session(session)
        yield session
        unbind_session(token)
    engine.dispose()
    conn.close()
'''


@dataclass
class Run:
    """One pytest invocation: ``args`` after ``python -m pytest``, run in ``cwd``."""

    label: str
    cwd: Path
    args: tuple[str, ...]


@dataclass
class Result:
    """Session times of one run over the rounds: ``cpu`` (the pytest process's CPU time, robust
    to other load on the machine) and ``wall``; ``stats``: outcome counts of the last round."""

    cpu: list[float]
    wall: list[float]
    stats: dict[str, int]

    @property
    def median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def median_wall(self) -> float:
        return statistics.median(self.wall)


TEST_IMPORTS = (
    "from sqlalchemy import select  # noqa: F401\n"
    "from pytest_acodb.acolib.factories import ToolExecutionFactory  # noqa: F401\n\n\n"
)
"""What a module of database tests imports anyway; every suite's modules start with it, so the
one-time import of SQLAlchemy's ORM, factory_boy and Faker is in the baseline too."""


def write_suite(
    directory: Path, tests: int, argument: str, conftest: str = "", header: str = TEST_IMPORTS
) -> Path:
    """``tests`` tests in files of 100 starting with ``header``, each taking ``argument`` (or
    nothing) and passing."""
    directory.mkdir(parents=True)
    (directory / "pytest.ini").write_text("[pytest]\n")
    if conftest:
        (directory / "conftest.py").write_text(conftest)
    per_file = 100
    for start in range(0, tests, per_file):
        body = "".join(
            f"def test_{i}({argument}):\n    pass\n\n\n"
            for i in range(start, min(start + per_file, tests))
        )
        (directory / f"test_{start // per_file:03d}.py").write_text(header + body)
    return directory


def run_pytest(run: Run, scratch: Path) -> tuple[float, float, dict[str, int]]:
    """Run pytest once; returns (session CPU seconds, session wall seconds, outcome counts)."""
    out = scratch / "timer.json"
    out.unlink(missing_ok=True)
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with .pyc caching, as users run
    env["ACODB_BENCH_OUT"] = str(out)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(scratch), env.get("PYTHONPATH")) if p)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "acodb_bench_timer",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-p",
        "no:hypothesispytest",
        *run.args,
    ]
    done = subprocess.run(command, cwd=run.cwd, env=env, capture_output=True, text=True)
    if not out.exists():
        raise SystemExit(
            f"{run.label}: pytest did not finish:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    data = json.loads(out.read_text())
    return data["cpu"], data["wall"], data["stats"]


def measure(runs: Sequence[Run], repeats: int, scratch: Path) -> dict[str, Result]:
    """Each run ``repeats`` times, interleaved (rotating the order every round), after one
    unrecorded warm-up of each (imports into the OS cache, .pyc files)."""
    results = {r.label: Result([], [], {}) for r in runs}
    for run in runs:
        run_pytest(run, scratch)
    for round_ in range(repeats):
        order = list(runs[round_ % len(runs) :]) + list(runs[: round_ % len(runs)])
        for run in order:
            cpu, wall, stats = run_pytest(run, scratch)
            result = results[run.label]
            result.cpu.append(cpu)
            result.wall.append(wall)
            result.stats = stats
            print(
                f"  {run.label:<30} cpu {cpu:6.2f} s  wall {wall:6.2f} s  {stats}", file=sys.stderr
            )
    return results


def factory_throughput(rows: int) -> dict[str, float]:
    """Rows per second for ``rows`` tool executions, each with its parent task, written by:
    ``create_batch`` persisting as factory_boy's ``SQLAlchemyModelFactory._save`` does with
    ``sqlalchemy_session_persistence = "commit"`` (a commit per row, each expiring every object
    in the session: how the kit shipped), the kit's ``create_batch`` (one flush and one commit),
    ``create()`` in a loop keeping the objects (a commit per call, expiring only what it wrote),
    factory ``build`` plus ``add_all`` and one commit, factory ``build`` alone (no database: the
    cost of making the data), and a raw Core ``insert`` (executemany) of the same rows (made by
    the factory beforehand, outside the timing). Every variant starts from the migrated template
    in a fresh default ``Session`` (``expire_on_commit=True``, as ``acodb_session``)."""
    from typing import Any

    from factory.declarations import SubFactory
    from sqlalchemy import Table, insert, inspect
    from sqlalchemy.orm import Session

    from pytest_acodb import bundled_migrations_dir
    from pytest_acodb.acolib.factories import (
        TaskFactory,
        ToolExecutionFactory,
        bind_session,
        unbind_session,
    )
    from pytest_acodb.acolib.models import Task, ToolExecution
    from pytest_acodb.db.connect import create_engine
    from pytest_acodb.db.template import Template
    from pytest_acodb.migrate import resolve

    class Shipped:
        """factory_boy's ``SQLAlchemyModelFactory._save`` with persistence "commit"."""

        @classmethod
        def _save(
            cls, model_class: type[Any], session: Session, args: Any, kwargs: dict[str, Any]
        ) -> Any:
            obj = model_class(*args, **kwargs)
            session.add(obj)
            session.commit()
            return obj

    class ShippedTask(Shipped, TaskFactory):
        pass

    class ShippedToolExecution(Shipped, ToolExecutionFactory):
        task = SubFactory(ShippedTask, status="running")  # type: ignore[no-untyped-call]

    template = Template(resolve(bundled_migrations_dir()))
    database = template.clone_memory()
    engine = create_engine(database.url)
    figures: dict[str, float] = {}

    def timed(label: str, work: Callable[[Session], object], **options: object) -> None:
        assert database.keeper is not None
        template.restore(database.keeper)
        engine.dispose()
        with Session(engine, **options) as session:  # type: ignore[arg-type]
            token = bind_session(session)
            start = time.perf_counter()
            work(session)
            figures[label] = rows / (time.perf_counter() - start)
            unbind_session(token)

    def built(session: Session) -> list[ToolExecution]:
        return ToolExecutionFactory.build_batch(rows)

    def create_loop(session: Session) -> list[Any]:
        return [ToolExecutionFactory.create() for _ in range(rows)]

    def build_add_all(session: Session) -> None:
        session.add_all(ToolExecutionFactory.build_batch(rows))
        session.commit()

    timed(
        "factory create_batch, commit per row expiring the session (as shipped)",
        lambda s: ShippedToolExecution.create_batch(rows),
    )
    timed(
        "factory create_batch (one flush + one commit)",
        lambda s: ToolExecutionFactory.create_batch(rows),
    )
    timed("factory create() x rows, kept (commit per call)", create_loop)
    timed("factory build_batch + add_all, one commit", build_add_all)
    timed("factory build_batch only (no database)", built)

    # Core: the same kind of rows, made by the factory beforehand, inserted with executemany.
    executions = ToolExecutionFactory.build_batch(rows)

    def values(obj: object) -> dict[str, object]:
        # Keyed by table column (``metadata``), not by attribute (``metadata_``): executemany
        # silently ignores keys that name no column.
        mapper = inspect(obj).mapper
        row = {c.columns[0].key: getattr(obj, c.key) for c in mapper.column_attrs}
        return {k: v for k, v in row.items() if v is not None}

    import uuid

    for execution in executions:
        execution.task.id = str(uuid.uuid4())
        execution.id = str(uuid.uuid4())
        execution.task_id = execution.task.id
    task_rows = [values(e.task) for e in executions]
    execution_rows = [values(e) for e in executions]

    def core(session: Session) -> None:
        with engine.begin() as conn:
            for table, data in (
                (Task.__table__, task_rows),
                (ToolExecution.__table__, execution_rows),
            ):
                assert isinstance(table, Table)
                # executemany needs the same keys in every row
                for key in {k for row in data for k in row}:
                    for row in data:
                        row.setdefault(key, None)
                conn.execute(insert(table), data)

    timed("raw Core insert (executemany)", core)
    engine.dispose()
    database.close()
    template.close()
    return figures


def apply_seconds(directory: Path, repeats: int) -> float:
    """Median CPU seconds of applying every migration in ``directory`` to a new in-memory
    database with the kit's migrator (what ``sqlx migrate run`` does), in this process."""
    from pytest_acodb.db.connect import connect
    from pytest_acodb.migrate import Migrator, resolve

    migrator = Migrator(resolve(directory))
    times = []
    for _ in range(max(1, repeats)):
        conn = connect(":memory:")
        start = time.process_time()
        migrator.run(conn)
        times.append(time.process_time() - start)
        conn.close()
    return statistics.median(times)


def table(rows: list[tuple[str, str, str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [f"+{line}+"]
    for n, row in enumerate(rows):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            out.append(f"+{line}+")
    out.append(f"+{line}+")
    return "\n".join(out)


CONTROL_CONFTEST = """
import pytest


@pytest.fixture(scope="session")
def trivial_databases():
    return object()


@pytest.fixture
def trivial_session(request, trivial_databases):
    yield trivial_databases
"""
"""A control: the same fixture shape as acodb_session (one function-scoped generator fixture
taking ``request`` and one session-scoped fixture) doing nothing, i.e. the floor pytest itself
puts under any per-test fixture of that shape."""


def ratio(result: Result, base: Result, tests: int) -> str:
    """``"1.23x cpu (fastest rounds 1.18x), 1.20x wall (2.46 s vs 2.00 s cpu; +230 us/test)"``:
    medians of ``result`` over ``base``, and the ratio of their fastest rounds (noise on a shared
    machine only ever adds time, so the minima are the least disturbed pair)."""
    per_test = (result.median - base.median) / tests * 1e6
    return (
        f"{result.median / base.median:.2f}x cpu (fastest rounds "
        f"{min(result.cpu) / min(base.cpu):.2f}x), "
        f"{result.median_wall / base.median_wall:.2f}x wall "
        f"({result.median:.2f} s vs {base.median:.2f} s cpu; {per_test:+.0f} us/test)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small suites, one round")
    parser.add_argument("--repeats", type=int, help="rounds per comparison (default 5, quick 1)")
    parser.add_argument("--tests", type=int, help="tests per suite (default 2000, quick 200)")
    parser.add_argument("--rows", type=int, help="factory rows (default 10000, quick 500)")
    parser.add_argument("--only", default="1,2,3,4,5", help="comma-separated row numbers")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    tests = args.tests or (200 if args.quick else 2000)
    factory_rows = args.rows or (500 if args.quick else 10_000)
    small, big = (10, 50) if args.quick else (50, 500)
    only = {int(x) for x in args.only.split(",")}

    rows = [("benchmark", "measured", "target")]
    with tempfile.TemporaryDirectory(prefix="acodb-bench-") as tmp:
        scratch = Path(tmp)
        (scratch / "acodb_bench_timer.py").write_text(TIMER_PLUGIN)
        none = write_suite(scratch / "none", tests, "")
        session = write_suite(scratch / "session", tests, "acodb_session")

        if only & {1, 2}:
            print(f"rows 1-2: {tests} tests, {repeats} rounds", file=sys.stderr)
            runs = [
                Run("no fixture", none, ()),
                Run("acodb_session clone", session, ()),
                Run("acodb_session rollback", session, ("--acodb-isolation=rollback",)),
                Run("acodb_session clone, file", session, ("--acodb-backend=file",)),
                Run(
                    "control: a fixture doing nothing",
                    write_suite(scratch / "control", tests, "trivial_session", CONTROL_CONFTEST),
                    (),
                ),
            ]
            if 2 in only:
                naive = write_suite(scratch / "naive", tests, "naive_session", NAIVE_CONFTEST)
                runs.append(Run("naive: migrate per test", naive, ()))
            result = measure(runs, repeats, scratch)
            base = result["no fixture"]
            if 1 in only:
                for label, target in (
                    ("acodb_session clone", "<= 1.15x"),
                    ("acodb_session rollback", "<= 1.05x"),
                    ("acodb_session clone, file", "(info)"),
                    ("control: a fixture doing nothing", "(pytest's floor)"),
                ):
                    rows.append(
                        (
                            f"1. {tests} tests: {label} / no fixture",
                            ratio(result[label], base, tests),
                            target,
                        )
                    )
            if 2 in only:
                naive_result = result["naive: migrate per test"]
                clone = result["acodb_session clone"]
                rows.append(
                    (
                        f"2. {tests} tests: naive migrate-per-test / acodb_session clone",
                        f"acodb {naive_result.median / clone.median:.1f}x faster (naive "
                        f"{ratio(naive_result, base, tests)} vs no fixture)",
                        "(report)",
                    )
                )

        if 3 in only:
            from synthetic import write_migrations

            print(f"row 3: --acodb-check-migrations, {small} vs {big} migrations", file=sys.stderr)
            runs = []
            for count in (small, big):
                project = scratch / f"checks{count}"
                project.mkdir()
                (project / "pytest.ini").write_text("[pytest]\n")
                write_migrations(project / "migrations", count)
                runs.append(
                    Run(
                        f"checks {count}",
                        project,
                        ("--acodb-check-migrations", "--acodb-migrations=migrations"),
                    )
                )
            result = measure(runs, max(1, (repeats + 1) // 2), scratch)
            a, b = result[f"checks {small}"], result[f"checks {big}"]
            rows.append(
                (
                    f"3. --acodb-check-migrations: {big} / {small} synthetic migrations",
                    f"{b.median / a.median:.1f}x cpu ({b.median:.2f} s vs {a.median:.2f} s;"
                    f" outcomes {b.stats} vs {a.stats})",
                    "<= 12x",
                )
            )
            small_apply, big_apply = (
                apply_seconds(scratch / f"checks{count}" / "migrations", repeats)
                for count in (small, big)
            )
            rows.append(
                (
                    f"3. reference: applying the {big} / the {small} migrations once (no checks)",
                    f"{big_apply / small_apply:.1f}x cpu ({big_apply:.2f} s vs "
                    f"{small_apply * 1000:.0f} ms): SQLite's own cost per ALTER grows with the schema",
                    "(floor)",
                )
            )

        if 4 in only:
            print(f"row 4: factories, {factory_rows} rows", file=sys.stderr)
            figures = factory_throughput(factory_rows)
            core = figures["raw Core insert (executemany)"]
            for label, per_second in figures.items():
                slower = "" if per_second == core else f" ({core / per_second:.1f}x Core's time)"
                rows.append(
                    (
                        f"4. {factory_rows} tool executions + tasks: {label}",
                        f"{per_second:,.0f} rows/s{slower}",
                        "(report)",
                    )
                )

        if 5 in only:
            print(f"row 5: -n 2 vs -n 0, {tests} tests", file=sys.stderr)
            runs = [Run("-n 0", session, ("-n", "0")), Run("-n 2", session, ("-n", "2"))]
            result = measure(runs, repeats, scratch)
            zero, two = result["-n 0"], result["-n 2"]
            rows.append(
                (
                    f"5. {tests} tests with acodb_session: -n 2 / -n 0",
                    f"{two.median_wall / zero.median_wall:.2f}x wall ({two.median_wall:.2f}"
                    f" s vs {zero.median_wall:.2f} s)",
                    "(report)",
                )
            )

    print(
        f"\npytest-acodb benchmarks: {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {repeats} rounds; "
        "medians of pytest session time (collection + run), CPU time of the pytest process "
        "unless marked wall"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
