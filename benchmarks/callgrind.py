"""Per-test instruction counts under ``valgrind --tool=callgrind``: deterministic, unlike timings.

    python benchmarks/callgrind.py                       # acodb_session clone vs the anchors
    python benchmarks/callgrind.py --variant session --variant anchor -- --acodb-backend=file

Each variant is a suite of tests (one ``SELECT`` each, as ``run.py``'s row 1) run twice under
callgrind, with ``--small`` and ``--big`` tests; the marginal cost of one test is
``(instructions(big) - instructions(small)) / (big - small)``, so start-up, imports and the
template build cancel out. Printed in thousands of instructions per test, above a test that
takes no fixture, and as the whole process's instructions at ``--suite`` tests (extrapolated
from ``--big``) over the hand-made anchor's: the deterministic counterpart of ``run.py``'s CPU
ratios. Like ``run.py``, it loads only the pytest plugins installing pytest-acodb brings.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import SUITES, as_installed, pytest_command, write_suite  # noqa: E402


def instructions(directory: Path, args: list[str], scratch: Path) -> int:
    """Instructions (``Ir``) callgrind counts for one ``python -m pytest`` run in ``directory``."""
    out = scratch / "callgrind.out"
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONHASHSEED"] = "0"
    pytest = pytest_command(*args)
    # An unrecorded run first: it writes the .pyc files of the rewritten test modules.
    subprocess.run(pytest, cwd=directory, env=env, capture_output=True, check=True)
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *pytest]
    done = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"pytest failed in {directory}:\n{done.stdout[-3000:]}")
    found = re.search(r"^summary:\s*(\d+)", out.read_text(), re.MULTILINE)
    assert found, "no summary line in the callgrind output"
    return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--variant", action="append", help=f"one of {', '.join(SUITES)}")
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--big", type=int, default=300)
    parser.add_argument(
        "--suite", type=int, default=1000, help="tests of the whole-process ratio (row 1's)"
    )
    parser.add_argument("--driver", choices=("sqlean", "sqlite3"), help="SQLite driver")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    if args.driver:  # the hand-made fixture reads it; the kit gets the option
        os.environ["ACODB_BENCH_DRIVER"] = args.driver
        args.pytest_args.append(f"--acodb-sqlite-driver={args.driver}")
    args.pytest_args.extend(as_installed())  # the plugins a user's install has, as run.py
    variants = args.variant or ["none", "anchor", "session"]
    if "none" not in variants:
        variants.insert(0, "none")
    per_test: dict[str, float] = {}
    whole: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="acodb-callgrind-") as tmp:
        scratch = Path(tmp)
        for name in variants:
            counts = []
            for size in (args.small, args.big):
                directory = write_suite(scratch / f"{name}-{size}", size, SUITES[name])
                counts.append(instructions(directory, args.pytest_args, scratch))
            per_test[name] = (counts[1] - counts[0]) / (args.big - args.small)
            whole[name] = counts[1] + (args.suite - args.big) * per_test[name]
    anchor = next((n for n in whole if n.startswith("anchor")), None)
    for name, count in per_test.items():
        above = count - per_test["none"]
        line = (
            f"{name:<18} {count / 1e3:9.1f} k instructions/test ({above / 1e3:+8.1f} k above none)"
        )
        if anchor is not None:
            ratio = whole[name] / whole[anchor]
            line += f"; whole process at {args.suite} tests: {ratio:.3f}x {anchor}"
        print(line)


if __name__ == "__main__":
    main()
