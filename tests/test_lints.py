"""The lints (lint[<name>:<thing>] items): which raise CheckFailure, which CheckWarning, with file
and line, and how plan(severity=...) regrades them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_acodb import bundled_migrations_dir
from pytest_acodb.checks import CHECK_KINDS, LINT_SEVERITY, SEVERITY_KEYS, Check, plan
from pytest_acodb.errors import CheckFailure, CheckSkipped, CheckWarning

CASES = Path(__file__).parent / "cases"


def lints(directory: Path, **kwargs: object) -> dict[str, tuple[str, str]]:
    """``{item name: ("error" | "warn" | "pass", message)}`` of the lint items of ``plan``."""
    out = {}
    checks: list[Check] = plan(directory, **kwargs)  # type: ignore[arg-type]
    for check in checks:
        if check.kind != "lint":
            continue
        try:
            check.run()
        except CheckWarning as exc:
            out[check.name] = ("warn", exc.message)
        except CheckSkipped:
            raise AssertionError(f"{check.name} skipped") from None
        except CheckFailure as exc:
            out[check.name] = ("error", str(exc))
        else:
            out[check.name] = ("pass", "")
    return out


def write(directory: Path, files: dict[str, str | bytes]) -> Path:
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        path = directory / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return directory


def test_one_table_holds_every_lint_and_its_default() -> None:
    assert set(LINT_SEVERITY.values()) == {"error", "warn"}
    assert (*CHECK_KINDS, *LINT_SEVERITY) == SEVERITY_KEYS
    warned = {n for n, level in LINT_SEVERITY.items() if level == "warn"}
    assert warned == {
        "fk_index",
        "duplicate_index",
        "mixed_types",
        "line_endings",
        "pragma_left_set",
        "tx_control",
        "version_width",
    }


@pytest.mark.parametrize(
    ("case", "name", "where"),
    [
        ("lint_missing_down", "lint[missing_down:2_colours.up.sql]", "2_colours.up.sql:1: "),
        ("lint_empty_down", "lint[empty_down:1_notes.down.sql]", "1_notes.down.sql:1: "),
        ("lint_tx_pragma", "lint[tx_pragma:2_kv_settings.up.sql]", "2_kv_settings.up.sql:2: "),
        (
            "lint_no_tx_marker",
            "lint[no_tx_marker:2_parts_rebuild.up.sql]",
            "2_parts_rebuild.up.sql:2: ",
        ),
        ("lint_file_name_case", "lint[file_name:2_b.UP.sql]", "2_b.UP.sql:1: "),
        (
            "rebuild_cascade_loses_rows",
            "lint[tx_pragma:2_posts_body_not_null.up.sql]",
            "2_posts_body_not_null.up.sql:3: PRAGMA foreign_keys = OFF has no effect",
        ),
    ],
)
def test_error_lints_fail_with_file_and_line(case: str, name: str, where: str) -> None:
    found = lints(CASES / case)
    assert found[name][0] == "error"
    assert found[name][1].startswith(where)


def test_warning_lints_warn_with_file_and_line() -> None:
    found = lints(CASES / "warnings_only_clean")
    assert {n: level for n, (level, _) in found.items()} == {
        "lint[pragma_left_set:3_companies_rebuild.up.sql]": "warn",
        "lint[line_endings:4_contacts_phone_index.up.sql]": "warn",
        "lint[mixed_types:warnings_only_clean]": "warn",
        "lint[fk_index:contacts.company_id]": "warn",
        "lint[duplicate_index:idx_contacts_email_again]": "warn",
    }
    assert found["lint[fk_index:contacts.company_id]"][1].startswith("1_crm.up.sql:2: ")
    assert found["lint[duplicate_index:idx_contacts_email_again]"][1].startswith(
        "1_crm.up.sql:8: index idx_contacts_email_again on contacts(email) duplicates "
        "idx_contacts_email (1_crm.up.sql:7)"
    )
    assert found["lint[mixed_types:warnings_only_clean]"][1].startswith("2_contacts_phone.sql:1: ")
    assert "BOM" in found["lint[line_endings:4_contacts_phone_index.up.sql]"][1]


def test_bundled_schema_warns_about_its_redundant_index_only() -> None:
    found = lints(bundled_migrations_dir())
    assert found == {
        "lint[duplicate_index:idx_tool_executions_task_fk]": (
            "warn",
            found["lint[duplicate_index:idx_tool_executions_task_fk]"][1],
        )
    }
    message = found["lint[duplicate_index:idx_tool_executions_task_fk]"][1]
    assert message.startswith("20250115000004_create_tool_executions.up.sql:23: ")
    assert (
        "duplicates idx_tool_executions_task (20250115000004_create_tool_executions.up.sql:18)"
        in message
    )


def test_a_clean_directory_has_one_passing_lint_item() -> None:
    assert lints(CASES / "rebuild_no_tx_clean") == {"lint[rebuild_no_tx_clean]": ("pass", "")}


def test_severity_overrides_lints_by_name_or_all_at_once() -> None:
    case = CASES / "warnings_only_clean"
    assert (
        lints(case, severity={"fk_index": "error"})["lint[fk_index:contacts.company_id]"][0]
        == "error"
    )
    assert {level for level, _ in lints(case, severity={"lint": "error"}).values()} == {"error"}
    mixed = lints(case, severity={"lint": "error", "mixed_types": "warn"})
    assert mixed["lint[mixed_types:warnings_only_clean]"][0] == "warn"
    assert mixed["lint[fk_index:contacts.company_id]"][0] == "error"
    quiet = lints(case, severity={"fk_index": "off", "duplicate_index": "off"})
    assert not [n for n in quiet if "index:" in n]
    assert (
        lints(CASES / "lint_missing_down", severity={"lint": "warn"})[
            "lint[missing_down:2_colours.up.sql]"
        ][0]
        == "warn"
    )


def test_crlf_line_endings_are_found_on_their_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "1_a.up.sql": b"CREATE TABLE a (id INTEGER PRIMARY KEY);\n"
            b"CREATE TABLE b (id INTEGER PRIMARY KEY);\r\n",
            "1_a.down.sql": "DROP TABLE b;\nDROP TABLE a;\n",
        },
    )
    level, message = lints(tmp_path)["lint[line_endings:1_a.up.sql]"]
    assert level == "warn"
    assert message.startswith("1_a.up.sql:1: line 2 ends with a carriage return (CRLF)")


@pytest.mark.parametrize(
    "head",
    [
        "\n-- no-transaction\n",
        " -- no-transaction\n",
        "--no-transaction\n",
        "\ufeff-- no-transaction\n",
        "-- create\n-- No-Transaction\n",
    ],
)
def test_a_misplaced_no_transaction_marker_is_an_error(tmp_path: Path, head: str) -> None:
    write(
        tmp_path,
        {
            "1_a.up.sql": head + "CREATE TABLE a (id INTEGER PRIMARY KEY);\n",
            "1_a.down.sql": "DROP TABLE a;\n",
        },
    )
    found = lints(tmp_path)
    assert found["lint[no_tx_marker:1_a.up.sql]"][0] == "error"
    assert "is not at the very start of the file" in found["lint[no_tx_marker:1_a.up.sql]"][1]


def test_transaction_pragmas_are_judged_where_they_run(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "1_a.up.sql": "-- no-transaction\nPRAGMA foreign_keys = OFF;\nBEGIN;\n"
            "CREATE TABLE a (id INTEGER PRIMARY KEY);\nCOMMIT;\n"
            "PRAGMA foreign_keys = ON;\n",
            "1_a.down.sql": "-- no-transaction\nBEGIN;\nPRAGMA foreign_keys = OFF;\nDROP TABLE a;\n"
            "COMMIT;\n",
            "2_b.up.sql": "PRAGMA foreign_keys = ON;\nPRAGMA legacy_alter_table = ON;\n"
            "CREATE TABLE b (id INTEGER PRIMARY KEY);\n",
            "2_b.down.sql": "DROP TABLE b;\n",
        },
    )
    found = lints(tmp_path)
    assert set(found) == {"lint[tx_pragma:1_a.down.sql]", "lint[pragma_left_set:2_b.up.sql]"}
    assert found["lint[tx_pragma:1_a.down.sql]"][1].startswith(
        "1_a.down.sql:3: PRAGMA foreign_keys = OFF has no effect inside a transaction"
    )
    assert found["lint[pragma_left_set:2_b.up.sql]"] == (
        "warn",
        (
            "2_b.up.sql:2: PRAGMA legacy_alter_table = ON is still in force when the migration ends; "
            "end the file with PRAGMA legacy_alter_table = OFF (sqlx runs migrations on a connection "
            "of the application's pool and hands it back as it is)"
        ),
    )


def test_vacuum_in_a_transaction_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"1_a.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\nVACUUM;\n"})
    found = lints(tmp_path)
    assert found["lint[tx_pragma:1_a.sql]"][0] == "error"
    assert found["lint[tx_pragma:1_a.sql]"][1].startswith("1_a.sql:2: VACUUM fails inside")


def test_foreign_keys_covered_by_any_leading_index_are_fine(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "1_s.sql": """
CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
CREATE TABLE by_pk (p_id INTEGER NOT NULL REFERENCES p(id), n INTEGER NOT NULL,
  PRIMARY KEY (p_id, n));
CREATE TABLE by_unique (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id), k TEXT,
  UNIQUE (p_id, k));
CREATE TABLE by_rowid (id INTEGER PRIMARY KEY REFERENCES p(id));
CREATE TABLE by_index (id INTEGER PRIMARY KEY, a INTEGER, b TEXT,
  FOREIGN KEY (b, a) REFERENCES p(code, id));
CREATE INDEX idx_by_index ON by_index(a, b, id);
CREATE TABLE partial_only (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id));
CREATE INDEX idx_partial ON partial_only(p_id) WHERE p_id IS NOT NULL;
CREATE TABLE second_column (id INTEGER PRIMARY KEY, x TEXT, p_id INTEGER REFERENCES p(id));
CREATE INDEX idx_second ON second_column(x, p_id);
"""
        },
    )
    found = [n for n in lints(tmp_path) if n.startswith("lint[fk_index")]
    assert found == ["lint[fk_index:partial_only.p_id]", "lint[fk_index:second_column.p_id]"]


def test_only_exact_duplicate_indexes_are_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "1_s.sql": """
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE, b TEXT, c TEXT);
CREATE UNIQUE INDEX t_a_again ON t(a);
CREATE INDEX t_b ON t(b);
CREATE UNIQUE INDEX t_b_unique ON t(b);
CREATE INDEX t_b_partial ON t(b) WHERE b IS NOT NULL;
CREATE INDEX t_b_nocase ON t(b COLLATE NOCASE);
CREATE INDEX t_b_desc ON t(b DESC);
CREATE INDEX t_bc ON t(b, c);
CREATE INDEX t_cb ON t(c, b);
CREATE INDEX t_bc_too ON t(b, c);
"""
        },
    )
    found = {n: m for n, (_, m) in lints(tmp_path).items() if n.startswith("lint[duplicate")}
    assert sorted(found) == ["lint[duplicate_index:t_a_again]", "lint[duplicate_index:t_bc_too]"]
    assert "duplicates sqlite_autoindex_t_1" in found["lint[duplicate_index:t_a_again]"]
    assert found["lint[duplicate_index:t_bc_too]"].startswith("1_s.sql:11: ")


def test_a_foreign_key_declared_twice_is_one_missing_index(tmp_path: Path) -> None:
    (tmp_path / "1_pages.sql").write_text(
        "CREATE TABLE component (name TEXT PRIMARY KEY);\n"
        "CREATE TABLE example (id INTEGER PRIMARY KEY,"
        " component TEXT REFERENCES component (name),"
        " FOREIGN KEY (component) REFERENCES component (name));\n"
    )
    found = [name for name in lints(tmp_path) if name.startswith("lint[fk_index:")]
    assert found == ["lint[fk_index:example.component]"]


def test_a_timestamp_version_with_a_digit_missing_is_named(tmp_path: Path) -> None:
    files = {  # as in a real project: a 13-digit timestamp sorts before every 14-digit one
        "20220713212919_init.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\n",
        "2022090908251_assets.sql": "CREATE TABLE b (id INTEGER PRIMARY KEY);\n",
        "20221001000000_more.sql": "CREATE TABLE c (id INTEGER PRIMARY KEY);\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    found = lints(tmp_path)
    level, message = found["lint[version_width:2022090908251_assets.sql]"]
    assert level == "warn"
    assert "13 digits where 2 others have 14" in message
    assert "runs before every one of them" in message
    assert [n for n in found if "version_width" in n] == [
        "lint[version_width:2022090908251_assets.sql]"
    ]


@pytest.mark.parametrize(
    "names",
    [
        ["1_a.sql", "2_b.sql", "10_c.sql"],  # sequential numbers
        ["20220713212919_a.sql", "20220713212920_b.sql", "3_c.sql"],  # small: not a timestamp
        ["20220713212919_a.sql", "2022090908251_b.sql"],  # one timestamp: nothing to compare
    ],
)
def test_versions_that_are_not_mistyped_timestamps_pass(tmp_path: Path, names: list[str]) -> None:
    for n, name in enumerate(names):
        (tmp_path / name).write_text(f"CREATE TABLE t{n} (id INTEGER PRIMARY KEY);\n")
    assert not [n for n in lints(tmp_path) if "version_width" in n]
