"""Per-test CPU inside one pytest process, on alternating tests: row 1's noise taken out.

    python benchmarks/interleaved.py --driver sqlite3             # 5 processes of 1,000 x 4 tests
    python benchmarks/interleaved.py --runs 3 -- --acodb-isolation=rollback

``run.py`` measures whole processes one after another, and on a shared machine the same process
can take 25% more CPU from one run to the next, more than the differences row 1 looks for. Here
one suite holds four kinds of test, one after another in turn (the body of row 1's tests: one
``SELECT`` each, or ``pass``): no fixture, the hand-made fixture (``run.py``'s
``ANCHOR_CONFTEST``), ``acodb_session``, and ``layers_skipped``, a session built straight on the
kit's private ``_acodb`` (the same database, seed and isolation, without the ``acodb_db`` and
``acodb_engine`` fixtures: what those two layers cost). Whatever the machine does, it does to
the four kinds alike. A plugin in the suite's ``conftest.py`` takes each test's CPU time
(``time.process_time_ns``) around pytest's ``pytest_runtest_protocol`` and its setup, call and
teardown phases; each run prints the median per kind, and the ratios to the hand-made fixture.
Start-up and collection are outside these figures (``run.py`` has them). Nothing here asserts a
timing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import ANCHOR_CONFTEST, ONE_SELECT, TEST_IMPORTS, as_installed, pytest_command  # noqa: E402

TIMER = '''

import collections as _collections
import json as _json
import time as _time

_TIMES = _collections.defaultdict(list)


@pytest.fixture
def layers_skipped(_acodb):
    """acodb_session's work on _acodb directly: no acodb_db, no acodb_engine."""
    from sqlalchemy.orm import Session

    from pytest_acodb.synth.session import bind_session, unbind_session

    session = Session(_acodb.database.engine)
    token = bind_session(session)
    yield session
    unbind_session(token)
    session.close()


def _timed(phase):
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def hook(item, *args, **kwargs):
        start = _time.process_time_ns()
        try:
            return (yield)
        finally:
            _TIMES[item.name.split("_")[1], phase].append(_time.process_time_ns() - start)

    return hook


pytest_runtest_protocol = _timed("test")
pytest_runtest_setup = _timed("setup")
pytest_runtest_call = _timed("call")
pytest_runtest_teardown = _timed("teardown")


def pytest_unconfigure(config):
    with open(os.environ["ACODB_INTERLEAVED_OUT"], "w") as out:
        _json.dump({f"{k}/{p}": statistics.median(v) / 1000 for (k, p), v in _TIMES.items()}, out)
'''
"""Appended to the hand-made conftest: the ``layers_skipped`` fixture and the per-test timer."""

KINDS = {
    "none": "",
    "handmade": "handmade_session",
    "kit": "acodb_session",
    "layers": "layers_skipped",
}
"""Each kind of test by the word in its name, and the fixture it takes."""

PHASES = ("test", "setup", "call", "teardown")


def write_suite(directory: Path, tests: int) -> Path:
    """``tests`` tests of each kind, in turn, in files of 100 rounds of the four."""
    directory.mkdir(parents=True)
    (directory / "pytest.ini").write_text("[pytest]\n")
    (directory / "conftest.py").write_text(ANCHOR_CONFTEST + "\nimport statistics\n" + TIMER)
    per_file = 100
    for start in range(0, tests, per_file):
        body = ""
        for i in range(start, min(start + per_file, tests)):
            for kind, argument in KINDS.items():
                code = ONE_SELECT.format(s=argument) if argument else "    pass\n"
                body += f"def test_{kind}_{i}({argument}):\n{code}\n\n"
        (directory / f"test_{start // per_file:03d}.py").write_text(TEST_IMPORTS + body)
    return directory


def run_once(directory: Path, driver: str | None, extra: list[str]) -> dict[str, float]:
    """One pytest process on the suite; returns the median microseconds by ``kind/phase``."""
    out = directory / "medians.json"
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env["ACODB_INTERLEAVED_OUT"] = str(out)
    args = [*as_installed(), *extra]
    if driver:
        env["ACODB_BENCH_DRIVER"] = driver
        args.append(f"--acodb-sqlite-driver={driver}")
    done = subprocess.run(
        pytest_command(*args), cwd=directory, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"pytest failed:\n{done.stdout[-3000:]}")
    result: dict[str, float] = json.loads(out.read_text())
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=1000, help="tests of each kind")
    parser.add_argument("--runs", type=int, default=5, help="pytest processes")
    parser.add_argument("--driver", choices=("sqlean", "sqlite3"), help="SQLite driver")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="acodb-interleaved-") as tmp:
        suite = write_suite(Path(tmp) / "suite", args.tests)
        runs = [run_once(suite, args.driver, args.pytest_args) for _ in range(args.runs)]
    print(
        f"{args.tests} tests of each kind, {args.runs} runs; median CPU us per test "
        "(protocol = setup + call + teardown + reporting), and / hand-made"
    )
    for n, medians in enumerate(runs, 1):
        base = medians["handmade/test"]
        cells = []
        for kind in KINDS:
            phases = " ".join(f"{p} {medians[f'{kind}/{p}']:.0f}" for p in PHASES[1:])
            ratio = medians[f"{kind}/test"] / base
            cells.append(f"{kind} {medians[f'{kind}/test']:.0f} ({ratio:.3f}x; {phases})")
        print(f"run {n}: " + " | ".join(cells))
    for kind in ("kit", "layers"):
        ratios = [m[f"{kind}/test"] / m["handmade/test"] for m in runs]
        above = [m[f"{kind}/test"] - m["handmade/test"] for m in runs]
        print(
            f"{kind} / hand-made: median {statistics.median(ratios):.3f}x "
            f"({statistics.median(above):+.0f} us per test)"
        )


if __name__ == "__main__":
    main()
