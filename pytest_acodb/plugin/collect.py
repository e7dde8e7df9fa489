"""The built-in checks as real pytest items, under ``--acodb-check-migrations``.

One collector, :class:`AcodbChecks` (node id ``acodb``), joins the session's collection like a
test module: it holds one test function per check kind (:func:`check_function`), parametrized
by the kind's subjects, so an item is ``acodb::round_trip[20250115000003]``. The items are
counted in "collected N items", listed by ``--co``, selected by ``-k``, ``-m acodb_check``,
``--lf``, ``--ff`` and ``--sw``, and runnable by node id (``pytest
"acodb::round_trip[20250115000003]"``; ``acodb::round_trip`` runs every subject of a kind and
``acodb`` every check). Each function asks for the ``acodb_checks`` fixture, so fixture overrides
reach the checks. Collection names the items from a plan of the directory (one apply of the
migrations, which also builds the migration walk when the run will run every check; otherwise the
walk is built when the first selected check needs it).
"""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..checks.base import CHECK_KINDS
from ..errors import AcodbError
from .checks import Checks, collected_plan
from .hints import describe, hint

NODE = "acodb"
"""The node id of the collector; a check's node id is ``acodb::<kind>[<subject>]``."""

SELECTED_KEY = pytest.StashKey[list[str] | None]()
"""On ``config.stash``: the check names asked for on the command line (``acodb::x``), ``[]`` for
``acodb`` (all of them), ``None`` when the command line names none."""


def check_function(kind: str) -> Callable[[Checks, str, pytest.FixtureRequest], None]:
    """The test function of the check ``kind``: it runs ``kind[acodb_subject]`` through the
    ``acodb_checks`` fixture; a failure fails the item with the check's one-line message. A
    ``rehearse`` item also reports the migration's time and row counts (section ``acodb``)."""

    def check(acodb_checks: Checks, acodb_subject: str, request: pytest.FixtureRequest) -> None:
        name = f"{kind}[{acodb_subject}]"
        try:
            acodb_checks.run_item(name)
        except AssertionError as exc:
            extra = hint(exc.__cause__) if exc.__cause__ is not None else None
            message = f"{name}: {exc}" + (f"; {extra}" if extra else "")
        except AcodbError as exc:
            message = f"{name}: {describe(exc)}"
        else:
            message = ""
        finally:
            if kind == "rehearse":  # in the call's report, passed or not
                summary = acodb_checks.rehearsal_summary(acodb_subject)
                request.node.add_report_section("call", "acodb", f"{name}: {summary}")
        if message:  # outside the except: the message, no traceback
            pytest.fail(message, pytrace=False)

    check.__name__ = check.__qualname__ = kind
    check.__doc__ = f"The built-in check {kind} of pytest-acodb, on one subject."
    return check


_FUNCTIONS = {kind: check_function(kind) for kind in CHECK_KINDS}


class AcodbChecks(pytest.Module):
    """The collector of every built-in check item (node id ``acodb``): a module made on the fly
    that holds the check function of every kind the plan has subjects for."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.subjects: dict[str, list[str]] = {}
        selected = self.config.stash.get(SELECTED_KEY, None)
        for check in collected_plan(self.config).checks:
            if selected and not any(_matches(check.name, s) for s in selected):
                continue
            self.subjects.setdefault(check.kind, []).append(check.subject)
        self.add_marker(pytest.mark.acodb_check)  # every item inherits it (-m acodb_check)
        module = types.ModuleType(NODE, "pytest-acodb's built-in migration checks")
        module.pytest_generate_tests = self._parametrize  # type: ignore[attr-defined]
        for kind in self.subjects:
            setattr(module, kind, _FUNCTIONS[kind])
        self.obj = module  # the public setter: nothing is imported from a path

    def istestfunction(self, obj: object, name: str) -> bool:
        return name in self.subjects and callable(obj)

    def istestclass(self, obj: object, name: str) -> bool:
        return False

    def _parametrize(self, metafunc: pytest.Metafunc) -> None:
        subjects = self.subjects[metafunc.function.__name__]
        metafunc.parametrize("acodb_subject", subjects, ids=subjects)


def _matches(name: str, wanted: str) -> bool:
    """A check name matches ``kind`` (every subject of it) or its exact ``kind[subject]``."""
    return name == wanted or name.startswith(f"{wanted}[")


def take_node_ids(config: pytest.Config) -> None:
    """Take ``acodb`` and ``acodb::<name>`` out of the command-line arguments (no file has that
    path) and remember them as the checks to collect. Called before collection."""
    args = config.args
    ours = [a for a in args if a == NODE or a.startswith(f"{NODE}::")]
    if not ours:
        config.stash[SELECTED_KEY] = None
        return
    names = [a.partition("::")[2] for a in ours]
    config.stash[SELECTED_KEY] = [] if "" in names else names
    args[:] = [a for a in args if a not in ours]


def add_collector(session: pytest.Session, report: pytest.CollectReport) -> None:
    """Put the checks' collector first in the session's collection report (first, so that with
    ``--lf`` it is collected before the files whose failures make pytest skip other files)."""
    collector = AcodbChecks.from_parent(session, path=Path(__file__), name=NODE, nodeid=NODE)
    report.result.insert(0, collector)
