"""The built-in checks (pytest_acodb.checks) over real SQLite, without the plugin.

Every folder under tests/cases (and the shared cases beside the clone, when present) holds a
migration set and an ``expect`` file: ``clean`` (no check fails) or ``fail`` with ``item:`` tokens
(some failing item's ``name - message`` contains them all) and ``text:`` (some failure mentions it);
and optionally a ``values`` file of ``table.column = value`` lines the rows take.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_acodb import bundled_migrations_dir
from pytest_acodb.checks import CHECK_KINDS, Check, plan
from pytest_acodb.checks.migrations import check_round_trip
from pytest_acodb.checks.walk import Walk
from pytest_acodb.errors import CheckFailure, CheckSkipped
from pytest_acodb.migrate import Migrator, resolve
from pytest_acodb.synth.values import ValueProviders

HERE = Path(__file__).parent
OWN = HERE / "cases"
SHARED = HERE.parent.parent / "shared" / "cases"


def _cases() -> list[object]:
    params: list[object] = []
    for origin, root in (("own", OWN), ("shared", SHARED)):
        if root.is_dir():
            params += [
                pytest.param(d, id=f"{origin}/{d.name}")
                for d in sorted(root.iterdir())
                if (d / "expect").is_file()
            ]
    return params


def run_all(checks: list[Check]) -> dict[str, str | None]:
    """``{name: None | failure text}``, skips left out; any other exception propagates."""
    outcome: dict[str, str | None] = {}
    for check in checks:
        try:
            check.run()
        except CheckFailure as exc:
            assert (exc.check, exc.subject) == (check.kind, check.subject)
            outcome[check.name] = str(exc)
        except CheckSkipped as exc:
            assert exc.reason
        else:
            outcome[check.name] = None
    return outcome


def test_own_cases_include_the_shared_ones() -> None:
    names = {d.name for d in OWN.iterdir()}
    assert {
        "clean_library",
        "down_keeps_index",
        "fk_parent_typo",
        "seed_file_names",
        "trigger_never_fires",
    } <= names


@pytest.mark.parametrize("case", _cases())
def test_case_verdict(case: Path) -> None:
    lines = (case / "expect").read_text().splitlines()
    given = case / "values"
    values = ValueProviders.from_lines(given.read_text().splitlines()) if given.is_file() else None
    failures = {n: t for n, t in run_all(plan(case, values=values)).items() if t is not None}
    if lines[0].strip() == "clean":
        assert failures == {}
        return
    assert failures, "expected a failing check"
    shown = [f"{n} - {t}" for n, t in failures.items()]
    for line in lines[1:]:
        key, _, value = line.partition(":")
        if key == "item":
            tokens = value.split()
            assert any(all(t in s for t in tokens) for s in shown), (tokens, shown)
        elif key == "text":
            assert any(value.strip() in t for t in failures.values()), (value, failures)


BUNDLED_NAMES = [
    "source[migrations]",
    *[f"upgrade[2025011500000{i}]" for i in range(1, 8)],
    *[f"round_trip[2025011500000{i}]" for i in range(1, 8)],
    "no_trace[all]",
    "trigger[trg_configurations_updated_at]",
    "trigger[trg_sessions_updated_at]",
    "trigger[trg_tasks_updated_at]",
    "trigger[trg_workflows_updated_at]",
    "cascade[tool_executions.task_id]",
    "cascade[workflow_tasks.task_id]",
    "cascade[workflow_tasks.workflow_id]",
    "constraint[configurations.value_type]",
    "constraint[configurations.is_secret]",
    "constraint[sessions.connection_type]",
    "constraint[sessions.is_active]",
    "constraint[tasks.status]",
    "constraint[tool_executions.status]",
    "constraint[workflows.status]",
]


DUPLICATE_INDEX = "lint[duplicate_index:idx_tool_executions_task_fk]"


def test_bundled_migrations_are_clean_with_factories() -> None:
    checks = plan(bundled_migrations_dir(), factories=True)
    names = [c.name for c in checks]
    assert names[: len(BUNDLED_NAMES)] == BUNDLED_NAMES
    rest = names[len(BUNDLED_NAMES) :]
    versions = [f"2025011500000{i}" for i in range(1, 8)]
    assert rest[:15] == [
        *[f"data_survives[{v}]" for v in versions],
        *[f"lost_objects[{v}]" for v in versions],
        "triggers_fire[20250115000007]",
    ]
    assert rest[15] == DUPLICATE_INDEX
    assert all(n.startswith("factory[") for n in rest[16:-1]) and len(rest) > 17
    assert rest[-1] == "models_match[pytest_acodb.acolib.models:Base.metadata]"
    # the redundant index is a warning (a CheckSkipped to run_all), everything else passes
    assert run_all(checks) == dict.fromkeys(n for n in names if n != DUPLICATE_INDEX)


def test_kinds_come_in_check_kinds_order() -> None:
    kinds = [c.kind for c in plan(OWN / "awkward_names_clean")]
    assert kinds == sorted(kinds, key=CHECK_KINDS.index)


@pytest.mark.parametrize("where", ["does-not-exist", "clean_library/expect"])
def test_plan_never_raises_for_a_bad_directory(where: str) -> None:
    checks = plan(OWN / where)
    assert [c.kind for c in checks] == ["source"]
    with pytest.raises(CheckFailure, match=r"migrations directory|not a migrations directory"):
        checks[0].run()


def test_duplicate_versions_name_every_file() -> None:
    checks = {c.name: c for c in plan(OWN / "seed_file_names")}
    with pytest.raises(CheckFailure) as info:
        checks["source[seed_file_names]"].run()
    assert all(p.name in str(info.value) for p in (OWN / "seed_file_names").glob("*.sql"))
    assert "were left out of the other checks; no other file is left" in str(info.value)
    assert not any(name.startswith("upgrade[") for name in checks)  # nothing else to check


@pytest.fixture
def applies(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per ``Migrator.apply`` call in this test from now on."""
    calls: list[int] = []
    apply = Migrator.apply

    def counting(self: Migrator, conn: object, migration: object) -> int:
        calls.append(1)
        return apply(self, conn, migration)  # type: ignore[arg-type]

    monkeypatch.setattr(Migrator, "apply", counting)
    return calls


def test_work_is_linear_in_the_number_of_migrations(applies: list[int]) -> None:
    checks = plan(bundled_migrations_dir())
    run_all(checks)
    # planning's outline, one walk, one apply on the seeded history per migration (shared by
    # data_survives, round_trip and tx_pragma) and one re-apply per round trip; never a replay
    # from empty per check
    n = len(resolve(bundled_migrations_dir()))
    assert len(applies) == 4 * n


def test_a_plan_that_walks_first_applies_each_migration_once_less(applies: list[int]) -> None:
    from pytest_acodb.checks.subjects import Plan

    walking = Plan(bundled_migrations_dir(), walk_first=True)
    assert walking.walk_built
    outcomes = run_all(walking.checks)
    n = len(resolve(bundled_migrations_dir()))
    assert len(applies) == 3 * n  # the walk (the outline read from it), the history, round trips
    assert outcomes == run_all(plan(bundled_migrations_dir()))  # the same verdicts
    assert walking.outline is not None
    assert walking.outline.schemas == [s.schema for s in walking.walk.steps]


def test_checks_do_not_interfere() -> None:
    checks = plan(bundled_migrations_dir())
    assert run_all(checks) == run_all(list(reversed(checks)))


def test_a_check_is_a_plain_function() -> None:
    walk = Walk(resolve(OWN / "down_keeps_index"))
    check_round_trip(walk, 1)
    with pytest.raises(CheckFailure, match="index idx_projects_owner is still there") as info:
        check_round_trip(walk, 2)
    assert (info.value.check, info.value.subject) == ("round_trip", "2")
    assert "after reverting 2 (2_projects_owner_index.down.sql):" in str(info.value)


def test_upgrade_skips_after_a_failure() -> None:
    checks = {c.name: c for c in plan(OWN / "upgrade_fails_halfway")}
    with pytest.raises(CheckSkipped, match="migration 2 failed earlier"):
        checks["upgrade[3]"].run()


def test_checks_import_neither_pytest_nor_sqlalchemy() -> None:
    code = (
        "import sys; from pytest_acodb.checks import plan; "
        f"[c.name for c in plan({str(OWN / 'clean_library')!r})]; "
        "assert 'pytest' not in sys.modules and 'sqlalchemy' not in sys.modules, "
        "[m for m in sys.modules if m.split('.')[0] in ('pytest', '_pytest', 'sqlalchemy')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=HERE.parent)
