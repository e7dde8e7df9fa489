"""Turning the built-in checks into pytest items under ``--acodb-check-migrations``.

The items hang under one collector with node id ``acodb``, so a failing line reads
``acodb::round_trip[20250115000003]``. The checks themselves live in
:mod:`pytest_acodb.checks`; this module only adapts them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import pytest

from .. import bundled_migrations_dir
from ..checks import CHECK_KINDS, Check, plan
from ..errors import AcodbError, AcodbWarning, CheckFailure, CheckSkipped, CheckWarning
from .settings import AcodbSettings


class AcodbCheckItem(pytest.Item):
    """One built-in check as a test item; ``check`` is the :class:`~pytest_acodb.checks.Check`."""

    def __init__(self, *, check: Check, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.check = check
        self.add_marker(pytest.mark.acodb_check)

    def runtest(self) -> None:
        try:
            self.check.run()
        except CheckWarning as exc:  # a risk, not a bug: the item passes with a warning
            # Attributed to the item, not to this line of the plugin, in pytest's summary.
            warnings.warn_explicit(AcodbWarning(exc.message), AcodbWarning, self.nodeid, 0)
        except CheckSkipped as exc:
            pytest.skip(exc.reason)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None
    ) -> str:
        if isinstance(excinfo.value, CheckFailure):
            return f"{self.check.name}: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return str(self.path), None, f"acodb check {self.check.name}"


class AcodbChecks(pytest.Collector):
    """The collector that holds every check item of a run (node id ``acodb``)."""

    def collect(self) -> Iterable[pytest.Item]:
        return []


def conftests_defining(config: pytest.Config, name: str) -> list[str]:
    """Paths of the ``conftest.py`` files loaded so far that define a fixture called ``name``."""
    found = []
    for plugin in config.pluginmanager.get_plugins():
        path = getattr(plugin, "__file__", None)
        conftest = isinstance(plugin, ModuleType) and path and Path(path).name == "conftest.py"
        if conftest and name in vars(plugin):
            found.append(str(path))
    return sorted(found)


def collect_checks(session: pytest.Session, settings: AcodbSettings) -> list[pytest.Item]:
    """Build one item per built-in check for the configured migrations directory.

    Raises ``pytest.UsageError`` for an unknown check kind or severity, and when a
    ``conftest.py`` overrides ``acodb_migrations_dir`` while neither ``--acodb-migrations`` nor
    the ini key ``acodb_migrations`` is set: the checks are collected before any fixture runs, so
    they would silently check the bundled migrations instead of the user's.
    """
    overriding = conftests_defining(session.config, "acodb_migrations_dir")
    if overriding and settings.migrations is None:
        raise pytest.UsageError(
            f"--acodb-check-migrations: {overriding[0]} overrides the acodb_migrations_dir "
            "fixture, but the checks are collected before fixtures run and read only "
            "--acodb-migrations or the ini key acodb_migrations, so they would check the "
            "bundled migrations: set acodb_migrations = <your migrations directory> in your "
            "ini file (the fixtures use it too) and remove the fixture override"
        )
    directory = settings.migrations or bundled_migrations_dir()
    parent = AcodbChecks.from_parent(session, name="acodb", nodeid="acodb", path=directory)
    bundled = directory.resolve() == bundled_migrations_dir().resolve()
    unknown = sorted(set(settings.check_kinds) - set(CHECK_KINDS))
    if unknown:
        raise pytest.UsageError(
            f"acodb_check_kinds: unknown kind(s) {', '.join(unknown)}; choose from "
            f"{', '.join(CHECK_KINDS)}"
        )
    try:
        checks = plan(
            directory,
            factories=bundled,
            database=settings.database,
            severity=settings.severity,
            skip_versions=settings.skip_versions,
            min_downgrade_version=settings.min_downgrade_version,
            irreversible=settings.irreversible,
            metadata=settings.metadata,
        )
    except AcodbError as exc:  # a bad severity name or level
        raise pytest.UsageError(str(exc)) from exc
    if settings.check_kinds:
        checks = [c for c in checks if c.kind in settings.check_kinds]
    return [AcodbCheckItem.from_parent(parent, name=c.name, check=c) for c in checks]
