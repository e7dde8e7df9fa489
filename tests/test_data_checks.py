"""The data checks (data_survives, round_trip with rows, lost_objects, triggers_fire) and plan()'s
severity / skip_versions / min_downgrade_version, over real SQLite, without the plugin."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_acodb import bundled_migrations_dir
from pytest_acodb.checks import CHECK_KINDS, Check, plan
from pytest_acodb.checks.data import check_data_survives
from pytest_acodb.checks.objects import check_lost_objects, fire_targets
from pytest_acodb.checks.seeding import on_purpose, seeded_run
from pytest_acodb.checks.walk import Walk
from pytest_acodb.db import connect as database
from pytest_acodb.errors import AcodbError, CheckFailure, CheckSkipped, CheckWarning
from pytest_acodb.migrate import Migrator, resolve
from pytest_acodb.migrate.statements import actions, origins
from pytest_acodb.schema import snapshot
from pytest_acodb.synth.rows import RowSynth

HERE = Path(__file__).parent
CASES = HERE / "cases"
REALISTIC = sorted(p for p in (HERE / "realistic").iterdir() if p.is_dir())


def outcomes(checks: list[Check]) -> dict[str, BaseException | None]:
    """``{name: None | the CheckFailure/CheckWarning raised}``; skips are left out."""
    out: dict[str, BaseException | None] = {}
    for check in checks:
        try:
            check.run()
        except CheckWarning as exc:
            out[check.name] = exc
        except CheckSkipped:
            continue
        except CheckFailure as exc:
            out[check.name] = exc
        else:
            out[check.name] = None
    return out


def failures(checks: list[Check]) -> dict[str, str]:
    return {n: str(e) for n, e in outcomes(checks).items() if isinstance(e, CheckFailure)}


def test_statements_are_read_with_lines_and_quoted_names() -> None:
    sql = (
        '-- header\nDELETE FROM "order items" WHERE 1;\nDROP TABLE IF EXISTS main.[old];\n'
        "ALTER TABLE `a` RENAME TO b;\nPRAGMA main.foreign_keys = off;\n"
        "pragma foreign_keys(0);\nWITH x AS (SELECT 1) DELETE FROM t WHERE id IN x;\n"
        "CREATE UNIQUE INDEX IF NOT EXISTS i ON t(a);\n"
        "CREATE TRIGGER g AFTER INSERT ON t BEGIN DELETE FROM u; END;\nVACUUM;\n"
    )
    got = [(a.verb, a.kind, a.name, a.line, a.new_name, a.value) for a in actions(sql)]
    assert got == [
        ("DELETE", "TABLE", "order items", 2, "", ""),
        ("DROP", "TABLE", "old", 3, "", ""),
        ("ALTER", "TABLE", "a", 4, "b", ""),
        ("PRAGMA", "", "foreign_keys", 5, "", "OFF"),
        ("PRAGMA", "", "foreign_keys", 6, "", "0"),
        ("DELETE", "TABLE", "t", 7, "", ""),
        ("CREATE", "INDEX", "i", 8, "", ""),
        ("CREATE", "TRIGGER", "g", 9, "", ""),
        ("VACUUM", "", "", 10, "", ""),
    ]


def test_origins_follow_renames_in_order() -> None:
    sql = (
        "ALTER TABLE posts RENAME TO posts_old; CREATE TABLE posts (id);\n"
        "DROP TABLE posts_old;\nDROP TABLE posts; ALTER TABLE posts_new RENAME TO posts;\n"
    )
    drops = [(a.name, o) for a, o in origins(actions(sql)) if a.verb == "DROP"]
    assert drops == [("posts_old", "posts"), ("posts", "posts")]


def test_cascade_through_a_rebuild_is_named_with_counts_and_fix() -> None:
    walk = Walk(resolve(CASES / "rebuild_cascade_loses_rows"))
    check_data_survives(walk, 1)
    with pytest.raises(CheckFailure) as info:
        check_data_survives(walk, 2)
    text = str(info.value)
    assert (info.value.check, info.value.subject) == ("data_survives", "2")
    assert "rows of comments fell from 1 to 0 while posts was rebuilt" in text
    assert "2_posts_body_not_null.up.sql:6: DROP TABLE posts" in text
    assert "the PRAGMA foreign_keys=OFF on line 3 did nothing" in text
    assert "-- no-transaction" in text and "PRAGMA foreign_key_check" in text
    assert "rows of posts" not in text  # dropped by name: on purpose


def test_a_script_that_turns_foreign_keys_on_is_not_said_to_turn_them_off(tmp_path: Path) -> None:
    for path in (CASES / "rebuild_cascade_loses_rows").glob("*.sql"):
        text = path.read_text()
        if path.name.startswith("2_") and path.name.endswith(".up.sql"):
            text = "PRAGMA foreign_keys = ON;\n" + "\n".join(
                line for line in text.splitlines() if "foreign_keys" not in line
            )
        (tmp_path / path.name).write_text(text)
    with pytest.raises(CheckFailure) as info:
        check_data_survives(Walk(resolve(tmp_path)), 2)
    text = str(info.value)
    assert "rows of comments fell from 1 to 0 while posts was rebuilt" in text
    assert "did nothing" not in text


def test_a_migration_that_only_fails_with_rows_fails_data_survives() -> None:
    walk = Walk(resolve(CASES / "rebuild_restricted_parent"))
    assert walk.failure is None
    with pytest.raises(
        CheckFailure,
        match=r"works on an empty database but fails once the "
        r"tables hold rows.*2_authors_born.up.sql:4.*FOREIGN KEY constraint failed",
    ):
        check_data_survives(walk, 2)


def test_deletes_and_drops_on_purpose_pass() -> None:
    walk = Walk(resolve(CASES / "deletes_on_purpose_clean"))
    check_data_survives(walk, 2)
    before = walk.before(2)
    assert before is not None
    migration = walk.source.get(2)
    assert migration is not None
    assert on_purpose([actions(migration.sql)], before.schema) == {
        "accounts",
        "sessions",
        "legacy_exports",
        "legacy_export_files",
    }
    run = seeded_run(walk, 2)
    assert run.before["sessions"] == 1 and run.after is not None and run.after["sessions"] == 0


def test_round_trip_counts_rows_through_the_down_script() -> None:
    checks = {c.name: c for c in plan(CASES / "down_rebuild_cascades")}
    with pytest.raises(CheckFailure) as info:
        checks["round_trip[2]"].run()
    assert (
        "after applying and reverting 2: rows of replies fell from 1 to 0 while threads was "
        "rebuilt (2_threads_pinned.down.sql:4: DROP TABLE threads)" in str(info.value)
    )
    checks["data_survives[2]"].run()  # the up script is fine


def test_seeded_runs_are_shared_and_work_stays_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    apply = Migrator.apply

    def counting(self: Migrator, conn: sqlite3.Connection, migration: object) -> int:
        calls.append(1)
        return apply(self, conn, migration)  # type: ignore[arg-type]

    monkeypatch.setattr(Migrator, "apply", counting)
    source = resolve(HERE / "realistic" / "blog_platform")
    checks = plan(source.directory)
    outcomes(checks)
    # planning's outline, one walk, one apply on the seeded history, one re-apply
    assert len(calls) == 4 * len(source)
    outcomes([c for c in checks if c.kind == "data_survives"])  # kept on the walk: no apply
    assert len(calls) == 4 * len(source)


def test_lost_index_and_trigger_are_named_with_the_statement_to_restore_them() -> None:
    walk = Walk(resolve(CASES / "rebuild_forgets_index"))
    with pytest.raises(CheckFailure) as info:
        check_lost_objects(walk, 2)
    text = str(info.value)
    assert "index idx_events_kind on events(kind) went with DROP TABLE events (line 9)" in text
    assert "CREATE INDEX idx_events_kind ON events(kind)" in text
    assert "trigger events_touch on events went" in text and "CREATE TRIGGER events_touch" in text


def test_an_index_recreated_under_another_name_is_not_lost(tmp_path: Path) -> None:
    (tmp_path / "1_t.up.sql").write_text(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\nCREATE INDEX t_a ON t(a);\n"
    )
    (tmp_path / "1_t.down.sql").write_text("DROP TABLE t;\n")
    (tmp_path / "2_r.up.sql").write_text(
        "CREATE TABLE t2 (id INTEGER PRIMARY KEY, a TEXT, b TEXT);\nINSERT INTO t2 (id, a) "
        "SELECT id, a FROM t;\nDROP TABLE t;\nALTER TABLE t2 RENAME TO t;\n"
        "CREATE INDEX idx_t_a ON t(a);\n"
    )
    (tmp_path / "2_r.down.sql").write_text(
        "DROP INDEX idx_t_a;\nALTER TABLE t DROP COLUMN b;\nCREATE INDEX t_a ON t(a);\n"
    )
    walk = Walk(resolve(tmp_path))
    check_lost_objects(walk, 2)
    assert failures(plan(tmp_path)) == {}


def test_triggers_fire_only_where_something_changed() -> None:
    walk = Walk(resolve(bundled_migrations_dir()))
    assert [v for m in walk.source if (v := m.version) and _targets(walk, v)] == [20250115000007]
    walk = Walk(resolve(CASES / "trigger_points_at_dropped"))
    assert _targets(walk, 2) == ["items_price_logged"]
    checks = {c.name: c for c in plan(CASES / "trigger_points_at_dropped")}
    with pytest.raises(CheckFailure, match=r"no such table: main\.items_log"):
        checks["triggers_fire[2]"].run()


def test_fts_shadow_and_virtual_tables_are_never_seeded() -> None:
    conn = database.connect(":memory:")
    conn.executescript(
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
        "CREATE VIRTUAL TABLE docs_fts USING fts5(body, content='docs', content_rowid='id');"
        "CREATE TRIGGER docs_ai AFTER INSERT ON docs BEGIN "
        "INSERT INTO docs_fts(rowid, body) VALUES (new.id, new.body); END;"
        "CREATE VIRTUAL TABLE loose USING fts5(a);"
    )
    schema = snapshot(conn)
    assert {n for n, t in schema.tables.items() if t.shadow} == {
        f"{t}_{s}" for t in ("docs_fts", "loose") for s in ("config", "data", "docsize", "idx")
    } | {"loose_content"}
    synth = RowSynth(conn, schema)
    assert synth.order() == ["docs"]
    assert synth.seed_all(3) == {"docs": 3}
    assert conn.execute("SELECT count(*) FROM docs_fts WHERE docs_fts MATCH 'body'").fetchone() == (
        3,
    )
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_seed_all_lenient_records_what_it_could_not_fill() -> None:
    conn = database.connect(":memory:")
    conn.executescript(
        "CREATE TABLE ok (id INTEGER PRIMARY KEY);"
        "CREATE TABLE odd (id INTEGER PRIMARY KEY, v INTEGER NOT NULL "
        "CHECK (v > 5 AND v < 3));"
    )
    synth = RowSynth(conn, snapshot(conn))
    assert synth.seed_all(2, lenient=True) == {"odd": 0, "ok": 2}
    assert "CHECK constraint failed" in synth.unseeded["odd"]
    with pytest.raises(AcodbError):
        RowSynth(conn, snapshot(conn)).seed_all(1)


@pytest.mark.parametrize("directory", REALISTIC, ids=lambda p: p.name)
def test_realistic_directories_have_no_error(directory: Path) -> None:
    checks = plan(directory)
    assert len(resolve(directory)) >= 20
    assert failures(checks) == {}
    kinds = {c.kind for c in checks}
    assert {"data_survives", "lost_objects", "triggers_fire", "round_trip", "lint"} <= kinds
    walk = Walk(resolve(directory))
    assert all(not seeded_run(walk, m.version).unseeded for m in walk.source)


def test_bundled_schema_passes_with_its_redundant_index_warned() -> None:
    found = outcomes(plan(bundled_migrations_dir(), factories=True))
    warned = {n: e for n, e in found.items() if e is not None}
    assert list(warned) == ["lint[duplicate_index:idx_tool_executions_task_fk]"]
    assert isinstance(warned["lint[duplicate_index:idx_tool_executions_task_fk]"], CheckWarning)
    kinds = {n.split("[")[0] for n in found}
    assert kinds == set(CHECK_KINDS) - {"lock", "database", "rehearse"}


def test_skip_versions_drop_their_items() -> None:
    names = [c.name for c in plan(CASES / "rebuild_cascade_loses_rows", skip_versions={2})]
    assert not [n for n in names if n.endswith("[2]") or "2_posts" in n]
    assert "data_survives[1]" in names


def test_min_downgrade_version_requires_down_scripts_from_there_on(tmp_path: Path) -> None:
    shutil.copytree(CASES / "lint_missing_down", tmp_path / "m")
    checks = {c.name: c for c in plan(tmp_path / "m", min_downgrade_version=2)}
    with pytest.raises(CheckFailure, match="has no down script, but downgrades must reach"):
        checks["round_trip[2]"].run()
    with pytest.raises(CheckFailure, match="these have no down script: 2_colours"):
        checks["no_trace[all]"].run()
    (tmp_path / "m" / "3_sizes.up.sql").write_text("CREATE TABLE sizes (id INTEGER PRIMARY KEY);\n")
    (tmp_path / "m" / "3_sizes.down.sql").write_text("DROP TABLE sizes;\n")
    checks = {c.name: c for c in plan(tmp_path / "m", min_downgrade_version=3)}
    with pytest.raises(CheckSkipped):
        checks["round_trip[2]"].run()
    checks["round_trip[3]"].run()
    checks["no_trace[all]"].run()


def test_min_downgrade_version_checks_what_is_left(tmp_path: Path) -> None:
    shutil.copytree(CASES / "down_keeps_index", tmp_path / "m")
    checks = {c.name: c for c in plan(tmp_path / "m", min_downgrade_version=2)}
    with pytest.raises(CheckFailure, match="down to 2: index idx_projects_owner is still there"):
        checks["no_trace[all]"].run()


def test_severity_grades_and_drops_check_kinds() -> None:
    case = CASES / "rebuild_cascade_loses_rows"
    warned = {c.name: c for c in plan(case, severity={"data_survives": "warn"})}
    with pytest.raises(CheckWarning) as info:
        warned["data_survives[2]"].run()
    assert (info.value.check, info.value.subject) == ("data_survives", "2")
    assert "rows of comments fell" in info.value.message
    names = [c.name for c in plan(case, severity={"data_survives": "off"})]
    assert names and not [n for n in names if n.startswith("data_survives")]


@pytest.mark.parametrize(
    ("severity", "match"),
    [
        ({"data_survive": "warn"}, "unknown check kind or lint 'data_survive'"),
        ({"fk_index": "loud"}, "severity 'loud' for fk_index is not one of error, warn, off"),
    ],
)
def test_bad_severity_settings_are_refused(severity: dict[str, str], match: str) -> None:
    with pytest.raises(AcodbError, match=match):
        plan(CASES / "clean_library", severity=severity)


def test_a_warning_is_a_skip_to_code_that_does_not_know_warnings() -> None:
    warning = CheckWarning("w", check="lint", subject="fk_index:t.c")
    assert isinstance(warning, CheckSkipped) and warning.reason == warning.message == "w"
    assert not isinstance(warning, AssertionError)


def test_only_tables_a_migration_can_reach_are_seeded() -> None:
    from pytest_acodb.checks.seeding import reachable
    from pytest_acodb.db.connect import connect
    from pytest_acodb.schema import snapshot

    conn = connect(":memory:")
    for ddl in (
        'CREATE TABLE "ünïcode parent" (id INTEGER PRIMARY KEY)',
        'CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES "ünïcode parent"(id))',
        "CREATE TABLE grandchild (id INTEGER PRIMARY KEY, c INTEGER REFERENCES child(id))",
        "CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT)",
        "CREATE TRIGGER child_audit AFTER DELETE ON child BEGIN "
        "INSERT INTO audit (what) VALUES ('gone'); END",
        "CREATE TABLE unrelated (id INTEGER PRIMARY KEY)",
    ):
        conn.execute(ddl)
    reach = reachable(snapshot(conn), 'DROP TABLE "ünïcode parent";')
    assert reach == {"ünïcode parent", "child", "grandchild", "audit"}


def _targets(walk: Walk, version: int) -> list[str]:
    before, after = walk.before(version), walk.after(version)
    return fire_targets(before.schema if before else None, after.schema if after else None)


STAND_IN_KEYS = {  # shuttle's gateway migration 5: keys from an extension function, then joined
    "1_projects.up.sql": (
        "CREATE TABLE projects (name TEXT PRIMARY KEY);\n"
        "CREATE TABLE domains (id INTEGER PRIMARY KEY,"
        " project_name TEXT NOT NULL REFERENCES projects (name));\n"
    ),
    "1_projects.down.sql": "DROP TABLE domains;\nDROP TABLE projects;\n",
    "2_project_ids.up.sql": (
        "ALTER TABLE projects ADD COLUMN project_id TEXT;\n"
        "UPDATE projects SET project_id = acodb_test_ulid(name);\n"
        "CREATE TABLE domains_copy (id INTEGER PRIMARY KEY, project_id TEXT NOT NULL);\n"
        "INSERT INTO domains_copy (id, project_id)"
        " SELECT d.id, p.project_id FROM domains d JOIN projects p ON p.name = d.project_name;\n"
        "DROP TABLE domains;\n"
        "ALTER TABLE domains_copy RENAME TO domains;\n"
    ),
    "2_project_ids.down.sql": (
        "CREATE TABLE domains_old (id INTEGER PRIMARY KEY,"
        " project_name TEXT NOT NULL REFERENCES projects (name));\n"
        "INSERT INTO domains_old (id, project_name)"
        " SELECT d.id, p.name FROM domains d JOIN projects p ON p.project_id = d.project_id;\n"
        "DROP TABLE domains;\n"
        "ALTER TABLE domains_old RENAME TO domains;\n"
        "ALTER TABLE projects DROP COLUMN project_id;\n"
    ),
}


def test_a_migration_applied_with_a_stand_in_is_not_judged_on_its_rows(tmp_path: Path) -> None:
    for name, text in STAND_IN_KEYS.items():
        (tmp_path / name).write_text(text)
    checks = {c.name: c for c in plan(tmp_path)}
    found = outcomes(list(checks.values()))
    assert not [n for n, e in found.items() if isinstance(e, CheckFailure)], found
    for name in ("upgrade[2]", "data_survives[2]"):
        with pytest.raises(CheckSkipped, match=r"acodb_test_ulid\(\).*stand-in returning NULL"):
            checks[name].run()
    with pytest.raises(CheckSkipped, match="--acodb-sqlite-extension"):
        checks["data_survives[2]"].run()
    with pytest.raises(CheckSkipped, match="its schema comes back after the revert"):
        checks["round_trip[2]"].run()  # the schema half judged, the rows half not
    # with the function the application's extension provides, the same migration is judged

    def provide(conn: sqlite3.Connection) -> None:
        conn.create_function("acodb_test_ulid", 1, lambda name: f"id-{name}")

    connector = replace(database.default_connector(), on_connect=(provide,))
    judged = {c.name: c for c in plan(tmp_path, connector=connector)}
    judged["upgrade[2]"].run()
    judged["data_survives[2]"].run()
    judged["round_trip[2]"].run()
