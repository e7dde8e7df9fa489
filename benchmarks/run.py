"""pytest-acodb benchmarks: every figure a ratio against anchors measured in the same run.

    python benchmarks/run.py            # full run: 1,000-test suites, 7 rounds, 10,000 factory rows
    python benchmarks/run.py --quick    # smoke run (about two minutes)
    python benchmarks/run.py --only 1,2 --rounds 9 --driver sqlite3

Every suite runs as a separate ``python -m pytest`` process on generated files; its cost is the
CPU time of that whole process (user + system, from ``os.wait4``: start-up, imports, collection
and the run), and its peak RSS comes from the same call. The variants of one comparison run
interleaved, the order rotating every round, after one unrecorded warm-up each; each figure is
the median over the rounds of the ratio *within one round* (variant / anchor), so load on the
shared machine that hits one round hits both sides of its ratio. Nothing here asserts a timing;
targets are printed next to the figures.

Rows:

1. 1,000 tests each running one ``SELECT`` through ``acodb_session`` (clone in memory, the file
   backend, rollback) / the same tests on the hand-made physical limit (:data:`ANCHOR_CONFTEST`);
2. a realistic suite (300 tests, 20 factory rows and 2 queries each) on ``acodb_session`` / the
   same tests on the hand-made fixture with the same factories;
3. factory throughput on 10,000 tool executions with their tasks: the kit's factories vs plain
   factory_boy flushing per row (and polyfactory, when the ``bench`` extra is installed);
4. ``--acodb-check-migrations`` on 400 and 1,000 synthetic migrations: CPU / SQLite's own
   apply-once floor, and peak RSS; where pytest-alembic is installed, its default tests on the
   equivalent alembic history (``alembic_history.py``) in the same rounds.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

ANCHOR_CONFTEST = '''
"""The physical limit, written by hand: a session fixture serialises the migrated template
once; a function fixture puts that image into a database and opens a Session.

With a driver that has ``deserialize`` (the standard library's sqlite3) the image is
deserialised into one kept connection. sqlean has no ``deserialize``: the closest equivalent is
used, the image's pages written through ``sqlite_dbpage`` into a fresh in-memory database that a
fresh connection then opens."""
import os
import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from pytest_acodb import bundled_migrations_dir
from pytest_acodb.db import driver as drivers
from pytest_acodb.db.connect import Connector, split_pages, write_pages
from pytest_acodb.migrate import Migrator, resolve
from pytest_acodb.synth.session import bind_session, unbind_session

CONNECTOR = Connector(drivers.load(os.environ.get("ACODB_BENCH_DRIVER") or None))
MODULE = CONNECTOR.driver.module


def _connect(target, **kwargs):
    conn = MODULE.connect(target, check_same_thread=False, **kwargs)
    CONNECTOR.prepare(conn)  # foreign keys on, as every kit connection
    return conn


class Handmade:
    def __init__(self):
        conn = CONNECTOR.connect(":memory:")
        Migrator(resolve(bundled_migrations_dir())).run(conn)
        self.image = CONNECTOR.image(conn)
        conn.close()
        self.pages = split_pages(self.image)
        self.conn = _connect(":memory:") if CONNECTOR.driver.can_serialize else None
        self.engine = create_engine(
            "sqlite://", module=MODULE, creator=lambda: self.conn, poolclass=StaticPool
        )

    def start(self):
        if CONNECTOR.driver.can_serialize:
            self.conn.deserialize(self.image)
            return
        uri = f"file:/handmade-{uuid.uuid4().hex}?vfs=memdb"
        writer = MODULE.connect(uri, uri=True, isolation_level=None)
        write_pages(writer, self.pages, [])
        self.conn = _connect(uri, uri=True)
        writer.close()
        self.engine.dispose(close=False)

    def end(self):
        if not CONNECTOR.driver.can_serialize:
            self.conn.close()


@pytest.fixture(scope="session")
def handmade_image():
    return Handmade()


@pytest.fixture
def handmade_session(handmade_image):
    handmade_image.start()
    session = Session(handmade_image.engine)
    token = bind_session(session)
    yield session
    unbind_session(token)
    session.close()
    handmade_image.end()
'''

TEST_IMPORTS = (
    "from sqlalchemy import func, select, text  # noqa: F401\n"
    "from pytest_acodb.acolib.factories import ToolExecutionFactory  # noqa: F401\n"
    "from pytest_acodb.acolib.models import Task, ToolExecution  # noqa: F401\n\n\n"
)
"""What a module of database tests imports anyway; every suite's modules start with it, so the
one-time import of SQLAlchemy's ORM, factory_boy and Faker is in every figure alike."""

ONE_SELECT = '    assert {s}.execute(text("SELECT count(*) FROM tasks")).scalar() == 0\n'
REALISTIC = (
    "    ToolExecutionFactory.create_batch(10)  # 10 executions + their 10 tasks: 20 rows\n"
    "    assert {s}.scalar(select(func.count()).select_from(Task)) == 10\n"
    "    rows = {s}.execute(\n"
    "        select(Task.status, func.count(ToolExecution.id)).join(ToolExecution)"
    ".group_by(Task.status)\n"
    "    ).all()\n"
    "    assert sum(n for _, n in rows) == 10\n"
)


@dataclass(frozen=True)
class Suite:
    """Generated tests: each takes ``argument`` and runs ``body`` (``{s}`` names the session)."""

    argument: str
    body: str
    conftest: str = ""


SUITES: dict[str, Suite] = {
    "none": Suite("", "    pass\n"),
    "anchor": Suite("handmade_session", ONE_SELECT, ANCHOR_CONFTEST),
    "session": Suite("acodb_session", ONE_SELECT),
    "anchor_realistic": Suite("handmade_session", REALISTIC, ANCHOR_CONFTEST),
    "session_realistic": Suite("acodb_session", REALISTIC),
}
"""The suites, by name (``callgrind.py`` uses the same ones)."""


def write_suite(directory: Path, tests: int, suite: Suite) -> Path:
    """``tests`` tests of ``suite`` in files of 100 under ``directory`` (made), with a
    ``pytest.ini`` and the suite's ``conftest.py``."""
    directory.mkdir(parents=True)
    (directory / "pytest.ini").write_text("[pytest]\n")
    if suite.conftest:
        (directory / "conftest.py").write_text(suite.conftest)
    per_file = 100
    for start in range(0, tests, per_file):
        body = "".join(
            f"def test_{i}({suite.argument}):\n{suite.body.format(s=suite.argument)}\n\n"
            for i in range(start, min(start + per_file, tests))
        )
        (directory / f"test_{start // per_file:03d}.py").write_text(TEST_IMPORTS + body)
    return directory


@dataclass
class Run:
    """One pytest invocation: ``args`` after ``python -m pytest``, run in ``cwd``."""

    label: str
    cwd: Path
    args: tuple[str, ...] = ()


@dataclass
class Measured:
    """Per round: ``cpu`` seconds of the whole process and peak ``rss`` in MiB."""

    cpu: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)


LAUNCHER = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execvp(sys.argv[2], sys.argv[2:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "with open(sys.argv[1], 'w') as out:\n"
    "    out.write(f'{usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} "
    "{os.waitstatus_to_exitcode(status)}')\n"
)
"""Runs ``argv[2:]`` and writes its CPU seconds, peak RSS (KiB) and exit code to ``argv[1]``.

Linux carries a process's peak RSS across ``fork`` and ``execve``: a child's ``ru_maxrss`` is
at least the RSS of its parent when it forked. This process grows (row 3 runs in it), so the
measured commands are started by this small launcher instead, whose own RSS (a bare Python,
about 10 MiB) is below that of anything measured."""


def run_process(command: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Run ``command`` through :data:`LAUNCHER`; returns (CPU seconds of the whole process,
    peak RSS in MiB, exit code). Output goes to ``cwd/last-run.log``."""
    result = cwd / "last-run.usage"
    with open(cwd / "last-run.log", "w") as log:
        launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(result), *command]
        code = subprocess.call(launcher, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    if code != 0:
        raise SystemExit(f"the launcher failed ({code}): {(cwd / 'last-run.log').read_text()}")
    cpu, rss, exit_code = result.read_text().split()
    return float(cpu), float(rss) / 1024, int(exit_code)


def pytest_env(driver: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with .pyc caching, as users run
    if driver:
        env["ACODB_BENCH_DRIVER"] = driver
    return env


def pytest_command(*args: str) -> list[str]:
    """``python -m pytest`` with ``args``, quiet, with no cache and none of the plugins that
    would change what is measured (pytest-randomly, hypothesis, xdist)."""
    quiet = ("no:cacheprovider", "no:randomly", "no:hypothesispytest", "no:xdist")
    return [sys.executable, "-m", "pytest", "-q", *(a for p in quiet for a in ("-p", p)), *args]


def run_pytest(run: Run, driver: str | None) -> tuple[float, float]:
    """Run pytest once; returns (CPU seconds, peak RSS MiB). Exits when pytest fails."""
    command = pytest_command(*([f"--acodb-sqlite-driver={driver}"] if driver else []), *run.args)
    cpu, rss, code = run_process(command, run.cwd, pytest_env(driver))
    if code != 0:
        log = (run.cwd / "last-run.log").read_text()
        raise SystemExit(f"{run.label}: pytest exited {code}:\n{log[-3000:]}")
    return cpu, rss


def measure(runs: Sequence[Run], rounds: int, driver: str | None) -> dict[str, Measured]:
    """Each run ``rounds`` times, interleaved (the order rotating every round), after one
    unrecorded warm-up of each (the OS cache, ``.pyc`` files)."""
    results = {r.label: Measured() for r in runs}
    for run in runs:
        run_pytest(run, driver)
    for n in range(rounds):
        for run in [*runs[n % len(runs) :], *runs[: n % len(runs)]]:
            cpu, rss = run_pytest(run, driver)
            results[run.label].cpu.append(cpu)
            results[run.label].rss.append(rss)
            print(f"  {run.label:<34} cpu {cpu:6.2f} s  rss {rss:6.1f} MiB", file=sys.stderr)
    return results


def paired(result: Measured, anchor: Measured) -> float:
    """The median over rounds of ``result``'s CPU / ``anchor``'s CPU in the same round."""
    return statistics.median(a / b for a, b in zip(result.cpu, anchor.cpu, strict=True))


def per_test_us(result: Measured, anchor: Measured, tests: int) -> float:
    """Median over rounds of the per-test CPU difference, in microseconds."""
    return statistics.median(
        (a - b) / tests * 1e6 for a, b in zip(result.cpu, anchor.cpu, strict=True)
    )


# -- row 3: factories --------------------------------------------------------------------------


def factory_throughput(rows: int, rounds: int) -> dict[str, float]:
    """Median seconds to write ``rows`` tool executions, each with its parent task, by: the
    kit's ``create_batch`` (one flush, one commit), the kit's ``create()`` in a loop (a commit per
    call), plain factory_boy (the same declarations with factory_boy's own
    ``SQLAlchemyModelFactory._save`` and ``sqlalchemy_session_persistence = "flush"``: a flush per
    row, one commit at the end) and, when installed, polyfactory's ``SQLAlchemyFactory``
    (``batch`` of tasks and executions, ``add_all`` and one commit, as its ``create_batch_sync``
    persists). Each variant starts from the migrated
    template in a fresh ``Session``; rounds interleave the variants."""

    from factory.alchemy import SQLAlchemyModelFactory
    from factory.declarations import SubFactory
    from sqlalchemy.orm import Session

    from pytest_acodb import bundled_migrations_dir
    from pytest_acodb.acolib.factories import (
        TaskFactory,
        ToolExecutionFactory,
        bind_session,
        reseed,
        unbind_session,
    )
    from pytest_acodb.db.connect import create_engine
    from pytest_acodb.db.template import Template
    from pytest_acodb.migrate import resolve

    class PlainTask(TaskFactory):
        class Meta:
            sqlalchemy_session_persistence = "flush"

        _save = classmethod(SQLAlchemyModelFactory._save.__func__)  # type: ignore[attr-defined]

    class PlainToolExecution(ToolExecutionFactory):
        class Meta:
            sqlalchemy_session_persistence = "flush"

        _save = classmethod(SQLAlchemyModelFactory._save.__func__)  # type: ignore[attr-defined]
        task = SubFactory(PlainTask, status="running")  # type: ignore[no-untyped-call]

    def plain(session: Session) -> None:
        PlainToolExecution.create_batch(rows)
        session.commit()

    variants: dict[str, Callable[[Session], Any]] = {
        "plain factory_boy, flush per row": plain,
        "kit create_batch": lambda s: ToolExecutionFactory.create_batch(rows),
        "kit create() per row": lambda s: [ToolExecutionFactory.create() for _ in range(rows)],
    }
    polyfactory = polyfactory_variant(rows)
    if polyfactory is not None:
        variants["polyfactory batch + add_all, one commit"] = polyfactory

    template = Template(resolve(bundled_migrations_dir()))
    database = template.clone_memory()
    engine = create_engine(database.url)
    seconds: dict[str, list[float]] = {label: [] for label in variants}
    for n in range(rounds):
        labels = list(variants)
        for label in labels[n % len(labels) :] + labels[: n % len(labels)]:
            assert database.keeper is not None
            template.restore(database.keeper)
            engine.dispose()
            reseed(n)
            with Session(engine) as session:
                token = bind_session(session)
                start = time.process_time()
                variants[label](session)
                seconds[label].append(time.process_time() - start)
                unbind_session(token)
            print(f"  {label:<34} {seconds[label][-1]:6.2f} s", file=sys.stderr)
    reseed(None)
    engine.dispose()
    database.close()
    template.close()
    return {label: statistics.median(times) for label, times in seconds.items()}


def polyfactory_variant(rows: int) -> Callable[[Any], object] | None:
    """polyfactory's ``SQLAlchemyFactory`` for the same rows (CHECKed columns given valid
    values, the parent task made per row), or ``None`` when polyfactory is not installed."""
    try:
        from polyfactory import Use
        from polyfactory.factories.sqlalchemy_factory import SQLAlchemyFactory
    except ImportError:
        return None
    from datetime import UTC, datetime

    from pytest_acodb.acolib.models import Task, ToolExecution

    def now() -> datetime:
        return datetime.now(UTC)

    class PolyTask(SQLAlchemyFactory[Task]):
        __model__ = Task
        __check_model__ = False
        __set_relationships__ = False
        status = Use(lambda: "running")
        config = Use(lambda: {"retries": 1})
        metadata_ = Use(lambda: {})
        created_at = Use(now)
        updated_at = Use(now)
        started_at = Use(now)
        completed_at = None
        error = None

    class PolyToolExecution(SQLAlchemyFactory[ToolExecution]):
        __model__ = ToolExecution
        __check_model__ = False
        __set_relationships__ = False
        status = Use(lambda: "completed")
        arguments = Use(lambda: {"path": "a.txt"})
        output = Use(lambda: "done")
        created_at = Use(now)
        completed_at = Use(now)

    def make(session: Any) -> object:
        # create_batch_sync is add_all and one commit; the parents are made the same way.
        tasks = PolyTask.batch(rows)
        executions = [PolyToolExecution.build(task_id=task.id) for task in tasks]
        session.add_all([*tasks, *executions])
        session.commit()
        return executions

    return make


# -- row 4: checks -----------------------------------------------------------------------------


def apply_seconds(directory: Path) -> tuple[float, float, float]:
    """SQLite's apply-once floor: (CPU seconds, peak RSS MiB) of a child process that applies
    every migration in ``directory`` once to a new in-memory database with the kit's migrator
    (what ``sqlx migrate run`` does), start-up and imports included like the pytest runs, and
    the CPU seconds of the applying alone."""
    script = (
        "import sys, time\n"
        "from pytest_acodb.db.connect import connect\n"
        "from pytest_acodb.migrate import Migrator, resolve\n"
        "source, conn = resolve(sys.argv[1]), connect(':memory:')\n"
        "start = time.process_time()\n"
        "Migrator(source).run(conn)\n"
        "print(time.process_time() - start)\n"
    )
    cpu, rss, code = run_process(
        [sys.executable, "-c", script, str(directory)], directory.parent, pytest_env(None)
    )
    log = (directory.parent / "last-run.log").read_text()
    assert code == 0, log[-2000:]
    return cpu, rss, float(log.split()[-1])


def floor_process(directory: Path) -> tuple[float, float]:
    """(CPU seconds, peak RSS MiB) of the apply-once floor's process (:func:`apply_seconds`)."""
    cpu, rss, _ = apply_seconds(directory)
    return cpu, rss


def foreign_plugins() -> list[str]:
    """The ``pytest11`` entry points (plugin names for ``-p no:``) of installed distributions
    that installing pytest-acodb does not bring: its requirements are followed transitively,
    without extras (so Faker's plugin stays; pytest-factoryboy, a test extra, does not)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    todo, needed = ["pytest-acodb"], set()
    while todo:
        name = canonicalize_name(todo.pop())
        if name in needed:
            continue
        needed.add(name)
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        for spec in requires:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return [
        name
        for name in entry_point_plugins()
        for entry in metadata.entry_points(group="pytest11", name=name)
        if entry.dist is None or canonicalize_name(entry.dist.name) not in needed
    ]


def as_installed() -> tuple[str, ...]:
    """``-p no:<name>`` for each of :func:`foreign_plugins`: the arguments that make a run load
    only the pytest plugins installing pytest-acodb brings, as in a user's environment."""
    return tuple(a for name in foreign_plugins() for a in ("-p", f"no:{name}"))


def checks_rows(
    scratch: Path, sizes: Sequence[int], rounds: int, driver: str | None
) -> list[tuple[str, str, str]]:
    """Row 4 for each size: the apply-once floor and two ``--acodb-check-migrations`` runs,
    interleaved for ``rounds`` rounds (the order rotating): with the plugins installing
    pytest-acodb brings (the target's figure) and with this environment's plugins too
    (pytest-factoryboy and the like: reported); and, where pytest-alembic is installed, its
    built-in tests on the equivalent alembic history (:func:`alembic_run`) in the same rounds.
    One unrecorded run of each goes first (of the two checks runs, for the first size only)."""
    from synthetic import write_migrations

    foreign = foreign_plugins()
    off = as_installed()
    rows = []
    outcomes: dict[str, str] = {}
    for count in sizes:
        print(f"row 4: --acodb-check-migrations on {count} migrations", file=sys.stderr)
        project = scratch / f"checks{count}"
        project.mkdir()
        (project / "pytest.ini").write_text("[pytest]\n")
        write_migrations(project / "migrations", count)
        checks = ("--acodb-check-migrations", "--acodb-migrations=migrations", "-x")
        variants: dict[str, Callable[[], tuple[float, float]]] = {
            "floor": partial(floor_process, project / "migrations"),
            "installed": partial(run_pytest, Run("checks", project, (*checks, *off)), driver),
            "venv": partial(run_pytest, Run("checks, this venv", project, checks), driver),
        }
        alembic = alembic_run(project / "migrations", scratch / f"alembic{count}", driver)
        if alembic is not None:
            variants["pytest-alembic"] = alembic.measure
        applying = apply_seconds(project / "migrations")[2]  # also the floor's warm-up
        if count == sizes[0]:
            # Unrecorded: the first run after an install compiles the kit's .pyc files.
            variants["installed"]()
            variants["venv"]()
        results = {label: Measured() for label in variants}
        for n in range(rounds):
            labels = list(variants)
            for label in [*labels[n % len(labels) :], *labels[: n % len(labels)]]:
                cpu, rss = variants[label]()
                results[label].cpu.append(cpu)
                results[label].rss.append(rss)
                if label == "installed":
                    outcomes["kit"] = pytest_outcome(project)
                print(
                    f"  {count} {label:<14} cpu {cpu:6.2f} s  rss {rss:6.1f} MiB", file=sys.stderr
                )
        floor, installed, venv = results["floor"], results["installed"], results["venv"]
        median = statistics.median
        rows += [
            (
                f"4. --acodb-check-migrations, {count} synthetic migrations: "
                "CPU / apply-once floor",
                f"{paired(installed, floor):.1f}x ({median(installed.cpu):.1f} s vs "
                f"{median(floor.cpu):.2f} s, of which {applying:.2f} s applying)",
                "<= 20x" if count == 400 else "(report)",
            ),
            (
                f"4. same, peak RSS (the apply-once process: {median(floor.rss):.0f} MiB)",
                f"{max(installed.rss):.0f} MiB ({max(installed.rss) * 1.048576:.0f} MB)",
                "<= 100 MB" if count == 400 else "<= 200 MB",
            ),
            (
                f"4. same, with this environment's other plugins ({', '.join(foreign)}"
                " installed; pytest-randomly, hypothesis and xdist off as in every row)",
                f"{paired(venv, floor):.1f}x CPU ({median(venv.cpu):.1f} s), "
                f"{max(venv.rss):.0f} MiB peak RSS",
                "(report)",
            ),
        ]
        if alembic is not None:
            theirs = results["pytest-alembic"]
            rows.append(
                (
                    f"4. pytest-alembic on the equivalent history ({count} revisions; "
                    f"{', '.join(alembic.tests)}, {alembic.how}): CPU / apply-once floor",
                    f"{paired(theirs, floor):.1f}x ({median(theirs.cpu):.1f} s, "
                    f"{max(theirs.rss):.0f} MiB peak RSS); --acodb-check-migrations / "
                    f"pytest-alembic: {paired(installed, theirs):.2f}x CPU",
                    "(report)",
                )
            )
            outcomes["pytest-alembic"] = alembic.outcome
            outcomes["size"] = str(count)
    if outcomes.get("pytest-alembic"):
        rows.append(
            (
                f"4. what the two runs check at {outcomes['size']} migrations (read the ratio as "
                "the cost of checking more)",
                f"pytest-alembic ({outcomes['pytest-alembic']}): one head; base to head; each "
                "revision up one at a time, then down to the first and up again, on an empty "
                "database: the scripts run without error, no schema is compared, no rows. The "
                f"kit ({outcomes.get('kit', '?')}): each migration applied on a database "
                "holding rows (foreign keys and integrity checked), reverted and applied again "
                "with the schema compared each way, reverting everything leaves no trace, rows "
                "survive, no index or trigger lost, updated_at triggers, cascades, CHECK value "
                "lists, lint",
                "",
            )
        )
    elif not ALEMBIC_INSTALLED:
        rows.append(("4. pytest-alembic on an equivalent history", alembic_note(), "optional"))
    return rows


def alembic_note() -> str:
    return "pytest-alembic is not installed: no comparison (pip install '.[bench]')"


ALEMBIC_INSTALLED = importlib.util.find_spec("pytest_alembic") is not None
"""pytest-alembic is importable: row 4 compares it."""


@dataclass
class AlembicRun:
    """pytest-alembic's built-in ``tests`` on the alembic project in ``cwd``, run with
    ``args`` (``how`` says how they are collected); ``outcome`` is pytest's last summary."""

    cwd: Path
    args: tuple[str, ...]
    tests: tuple[str, ...]
    how: str
    outcome: str = ""

    def measure(self) -> tuple[float, float]:
        """Run once; returns (CPU seconds, peak RSS MiB). Exits when pytest fails."""
        cpu, rss, code = run_process(pytest_command(*self.args), self.cwd, pytest_env(None))
        if code != 0:
            log = (self.cwd / "last-run.log").read_text()
            raise SystemExit(f"pytest-alembic: pytest exited {code}:\n{log[-3000:]}")
        self.outcome = pytest_outcome(self.cwd)
        return cpu, rss


def alembic_run(migrations: Path, directory: Path, driver: str | None) -> AlembicRun | None:
    """When pytest-alembic is installed: the alembic project equivalent to ``migrations``
    (``alembic_history.py``, in a child process so that this one stays small) written into
    ``directory``, checked to migrate to the same schema and rows as the kit's migrator, its
    built-in tests run once (the warm-up, which also
    compiles the revisions' ``.pyc`` files); ``None`` otherwise.

    Every pytest plugin but pytest-alembic is disabled (``-p no:acodb`` included), so the run
    pays for pytest, pytest-alembic, alembic and SQLAlchemy only. The tests are collected by
    ``--test-alembic`` where that works; pytest-alembic 0.13.1's collector fails on pytest 9.2,
    and then the same functions are imported into a test module instead."""
    if not ALEMBIC_INSTALLED:
        return None
    from alembic_history import TESTS, write_test_module

    written = subprocess.run(
        [sys.executable, str(HERE / "alembic_history.py"), str(migrations), str(directory)]
        + ([driver] if driver else []),
        capture_output=True,
        text=True,
    )
    if written.returncode != 0:
        raise SystemExit(f"alembic_history.py failed:\n{written.stderr[-3000:]}")
    print(f"  {directory.name}: {written.stdout.strip()}", file=sys.stderr)
    skip = {"pytest_alembic", "cacheprovider", "randomly", "hypothesispytest", "xdist"}
    off = [a for name in entry_point_plugins() if name not in skip for a in ("-p", f"no:{name}")]
    run = AlembicRun(directory, ("--test-alembic", *off), TESTS, "--test-alembic")
    cpu, _, code = run_process(pytest_command(*run.args, "--co"), directory, pytest_env(None))
    if code != 0:
        write_test_module(directory)
        run = AlembicRun(directory, tuple(off), TESTS, "imported into a test module")
    cpu, rss = run.measure()
    print(
        f"  pytest-alembic warm-up ({run.how}): cpu {cpu:6.2f} s  rss {rss:6.1f} MiB",
        file=sys.stderr,
    )
    return run


def entry_point_plugins() -> list[str]:
    """The names of every installed ``pytest11`` entry point."""
    from importlib import metadata

    return sorted({e.name for e in metadata.entry_points(group="pytest11")})


def pytest_outcome(cwd: Path) -> str:
    """The counts of pytest's last summary line in ``cwd/last-run.log``, e.g. ``3 passed``."""
    lines = (cwd / "last-run.log").read_text().strip().splitlines()
    return lines[-1].split(" in ")[0].strip("= ") if lines else ""


# -- the table ---------------------------------------------------------------------------------


def table(rows: list[tuple[str, str, str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    out = []
    for n, row in enumerate(rows):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def suite_rows(
    scratch: Path, tests: int, realistic: int, rounds: int, driver: str | None, only: set[int]
) -> list[tuple[str, str, str]]:
    rows = []
    off = as_installed()  # the plugins a user's install has, as row 4's target figure
    if 1 in only:
        print(f"row 1: {tests} tests, one SELECT each, {rounds} rounds", file=sys.stderr)
        anchor = write_suite(scratch / "anchor", tests, SUITES["anchor"])
        session = write_suite(scratch / "session", tests, SUITES["session"])
        runs = [
            Run("no fixture", write_suite(scratch / "none", tests, SUITES["none"]), off),
            Run("hand-made", anchor, off),
            Run("acodb_session clone", session, off),
            Run("acodb_session file", session, ("--acodb-backend=file", *off)),
            Run("acodb_session rollback", session, ("--acodb-isolation=rollback", *off)),
        ]
        result = measure(runs, rounds, driver)
        base = result["hand-made"]
        rows.append(
            (
                f"1. hand-made fixture / no fixture ({tests} tests, one SELECT)",
                f"{paired(base, result['no fixture']):.3f}x "
                f"({per_test_us(base, result['no fixture'], tests):+.0f} us/test)",
                "(the anchor)",
            )
        )
        for label, target in (
            ("acodb_session clone", "<= 1.05x"),
            ("acodb_session file", "<= 1.15x"),
            ("acodb_session rollback", "<= 1.05x"),
        ):
            rows.append(
                (
                    f"1. {label} / hand-made",
                    f"{paired(result[label], base):.3f}x "
                    f"({per_test_us(result[label], base, tests):+.0f} us/test)",
                    target,
                )
            )
    if 2 in only:
        print(f"row 2: realistic suite, {realistic} tests, {rounds} rounds", file=sys.stderr)
        runs = [
            Run(
                "hand-made",
                write_suite(scratch / "ar", realistic, SUITES["anchor_realistic"]),
                off,
            ),
            Run(
                "acodb_session",
                write_suite(scratch / "sr", realistic, SUITES["session_realistic"]),
                off,
            ),
        ]
        result = measure(runs, rounds, driver)
        rows.append(
            (
                f"2. realistic suite ({realistic} tests, 20 factory rows + 2 queries): "
                "acodb_session / hand-made",
                f"{paired(result['acodb_session'], result['hand-made']):.3f}x "
                f"({per_test_us(result['acodb_session'], result['hand-made'], realistic):+.0f}"
                " us/test)",
                "<= 1.05x",
            )
        )
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small suites, few rounds")
    parser.add_argument("--rounds", type=int, help="rounds per comparison (default 7, quick 2)")
    parser.add_argument("--tests", type=int, help="row 1 tests (default 1000, quick 200)")
    parser.add_argument("--realistic", type=int, help="row 2 tests (default 300, quick 50)")
    parser.add_argument("--rows", type=int, help="row 3 factory rows (default 10000, quick 500)")
    parser.add_argument(
        "--migrations", default=None, help="row 4 sizes (default 400,1000; quick 20,50)"
    )
    parser.add_argument("--driver", choices=("sqlean", "sqlite3"), help="SQLite driver")
    parser.add_argument("--only", default="1,2,3,4", help="comma-separated row numbers")
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 7)
    tests = args.tests or (200 if args.quick else 1000)
    realistic = args.realistic or (50 if args.quick else 300)
    factory_rows = args.rows or (500 if args.quick else 10_000)
    sizes = [
        int(x) for x in (args.migrations or ("20,50" if args.quick else "400,1000")).split(",")
    ]
    only = {int(x) for x in args.only.split(",")}

    rows = [("benchmark", "measured", "target")]
    with tempfile.TemporaryDirectory(prefix="acodb-bench-") as tmp:
        scratch = Path(tmp)
        rows += suite_rows(scratch, tests, realistic, rounds, args.driver, only)
        if 3 in only:
            print(f"row 3: factories, {factory_rows} rows", file=sys.stderr)
            seconds = factory_throughput(factory_rows, max(1, rounds // 2))
            plain = seconds["plain factory_boy, flush per row"]
            for label, value in seconds.items():
                rows.append(
                    (
                        f"3. {factory_rows} tool executions + tasks: {label}",
                        f"{factory_rows / value:,.0f} rows/s; plain factory_boy's time / this: "
                        f"{plain / value:.2f}x",
                        ">= 1.2x" if label == "kit create_batch" else "(report)",
                    )
                )
            if "polyfactory batch + add_all, one commit" not in seconds:
                rows.append(("3. polyfactory", "not installed (pip install '.[bench]')", ""))
        if 4 in only:
            rows += checks_rows(scratch, sizes, max(1, min(3, rounds)), args.driver)

    import sqlite3

    from pytest_acodb.db import driver as drivers

    used = drivers.load(args.driver)
    print(
        f"\npytest-acodb benchmarks: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"driver {used.describe()} (stdlib SQLite {sqlite3.sqlite_version}), {rounds} rounds; "
        "medians of per-round ratios of whole-process CPU time"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
