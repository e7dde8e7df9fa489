"""The wheel carries the bundled migrations and registers the plugin and the command line."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        check=True,
    )
    (built,) = out.glob("pytest_acodb-*.whl")
    return built


def test_wheel_contains_migrations_and_entry_points(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    bundled = sorted(n for n in names if n.startswith("pytest_acodb/acolib/migrations/"))
    expected = sorted(
        f"pytest_acodb/acolib/migrations/{p.name}"
        for p in (ROOT / "pytest_acodb" / "acolib" / "migrations").glob("*.sql")
    )
    assert bundled == expected and len(bundled) == 14
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[pytest11]\nacodb = pytest_acodb.plugin" in text
    assert "acodb = pytest_acodb.cli:main" in text


def test_installed_wheel_finds_its_own_migrations(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    code = (
        "from pytest_acodb import bundled_migrations_dir; from pytest_acodb.migrate import resolve;"
        "d = bundled_migrations_dir(); print(d); print(len(resolve(d)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
    )
    where, count = result.stdout.split()
    assert Path(where) == target / "pytest_acodb" / "acolib" / "migrations"
    assert count == "7"
