"""The built-in checks as pytest sees them: one :class:`Checks` per run and directory.

The plan of the configured directory is made once per process, at collection (its check names
are the item names); ``acodb_checks`` hands the same plan to the items and to users' tests. The
plan builds the migration walk in the same pass when the run will run every check
(:func:`runs_every_check`), else when the first check that needs it runs.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from .. import bundled_migrations_dir
from ..checks.base import Check
from ..checks.subjects import CheckOptions, Plan
from ..db.connect import Connector
from ..errors import (
    AcodbError,
    AcodbWarning,
    CheckFailure,
    CheckSkipped,
    CheckWarning,
    UnknownCheckError,
)
from ..synth.values import ValueProviders
from .seeds import RUN_SEED_KEY
from .settings import SETTINGS_KEY, AcodbSettings

PLANS_KEY = pytest.StashKey[dict[tuple[Path, Connector], Plan]]()
"""On ``config.stash``: the plans made in this process, by resolved directory and connector."""


VALUES_KEY = pytest.StashKey[ValueProviders]()
"""On ``config.stash``: the values the run's synthesised rows take (:func:`values_for`)."""


def values_for(config: pytest.Config) -> ValueProviders:
    """The run's supplied values: the ``acodb_values`` ini lines, then what every
    ``pytest_acodb_values`` hook returns (later ones win); made once per run. Raises
    ``pytest.UsageError`` for a key that is not ``table.column``."""
    if VALUES_KEY not in config.stash:
        found = ValueProviders.from_lines(config.stash[SETTINGS_KEY].values)
        try:
            for given in config.hook.pytest_acodb_values(config=config):
                found = found.merged(given)
        except AcodbError as error:
            raise pytest.UsageError(f"pytest_acodb_values: {error}") from None
        config.stash[VALUES_KEY] = found
    return config.stash[VALUES_KEY]


def check_options(
    settings: AcodbSettings,
    directory: Path,
    seed: int = 0,
    values: ValueProviders | None = None,
) -> CheckOptions:
    """The :class:`~pytest_acodb.checks.subjects.CheckOptions` the settings ask for, with the
    run seed and supplied values for the rows the checks make; the bundled directory also gets
    its factory and model checks."""
    bundled = directory.resolve() == bundled_migrations_dir().resolve()
    return CheckOptions(
        kinds=settings.check_kinds,
        factories=bundled,
        database=settings.database,
        severity=settings.severity,
        skip_versions=settings.skip_versions,
        min_downgrade_version=settings.min_downgrade_version,
        irreversible=settings.irreversible,
        metadata=settings.metadata,
        seed=seed,
        values=values,
    )


def plan_for(config: pytest.Config, directory: Path, connector: Connector) -> Plan:
    """The :class:`~pytest_acodb.checks.subjects.Plan` of ``directory`` for this run, made on
    first use and kept (so collection and the ``acodb_checks`` fixture share one)."""
    plans = config.stash.setdefault(PLANS_KEY, {})
    key = (Path(directory).resolve(), connector)
    if key not in plans:
        options = check_options(
            config.stash[SETTINGS_KEY],
            directory,
            config.stash[RUN_SEED_KEY],
            values_for(config),
        )
        plans[key] = Plan(directory, options, connector, walk_first=runs_every_check(config))
    return plans[key]


def runs_every_check(config: pytest.Config) -> bool:
    """True unless this run lists the checks (``--co``) or may select only some of them
    (``-k``, ``-m``, ``--deselect``, ``--lf``, ``--sw``, node ids naming checks): then a plan
    applies the migrations once to name the checks, and the walk is built only if a selected
    check needs it."""
    from .collect import SELECTED_KEY

    option = config.option
    narrowed = (
        getattr(option, name, None)
        for name in (
            "collectonly",
            "keyword",
            "markexpr",
            "deselect",
            "lf",
            "stepwise",
            "stepwise_skip",
        )
    )
    return not any(narrowed) and not config.stash.get(SELECTED_KEY, None)


class Checks:
    """The built-in checks of one migrations directory, for pytest (``acodb_checks``).

    ``plan``: the :class:`~pytest_acodb.checks.subjects.Plan` (``plan.checks`` lists every
    check); ``names``: the check names (``kind[subject]``).
    """

    def __init__(self, plan: Plan, config: pytest.Config) -> None:
        self.plan = plan
        self.config = config

    @classmethod
    def for_directory(cls, config: pytest.Config, directory: Path, connector: Connector) -> Checks:
        """The checks of ``directory`` opened with ``connector`` (the plan collection made, when
        it is the same directory)."""
        return cls(plan_for(config, directory, connector), config)

    @property
    def names(self) -> list[str]:
        """Every check name, in collection order."""
        return [c.name for c in self.plan.checks]

    def run(self, kind_or_name: str, subject: str | int | None = None) -> None:
        """Run one check: ``run("round_trip[20250115000003]")`` or
        ``run("round_trip", 20250115000003)``.

        A failure raises :class:`~pytest_acodb.errors.CheckFailure` (an ``AssertionError``)
        with the same text the ``--acodb-check-migrations`` item shows; a check that does not
        apply skips the test (``pytest.skip``); a risk rather than a bug (a lint graded
        ``warn``) emits an :class:`~pytest_acodb.errors.AcodbWarning`. An unknown name raises
        :class:`~pytest_acodb.errors.UnknownCheckError` listing the checks of that kind.
        """
        name = kind_or_name if subject is None else f"{kind_or_name}[{subject}]"
        self._run(self.plan.check(name))

    def run_item(self, name: str) -> None:
        """Run the check an ``--acodb-check-migrations`` item named ``name`` stands for. The item
        was named at collection (:func:`collected_plan`); when this fixture's directory is another one
        (an override of ``acodb_migrations_dir``), the check of that name in this directory runs,
        an item with no such check here skips saying why, and the ``source`` item fails naming
        the checks of this directory that have no item."""
        collected = collected_plan(self.config)
        if collected.directory.resolve() == self.plan.directory.resolve():
            self._run(self.plan.check(name))
            return
        mismatch = (
            f"the check items were named at collection from {collected.directory} (the "
            "--acodb-migrations option or the acodb_migrations ini key, else the bundled "
            f"migrations), but the acodb_migrations_dir fixture gives {self.plan.directory}; "
            "node ids are made before fixtures run, so set acodb_migrations to that directory "
            "as well"
        )
        if name.startswith("source["):
            names = {c.name for c in collected.checks}
            missing = [c.name for c in self.plan.checks if c.name not in names]
            listed = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise CheckFailure(
                f"{mismatch}; checks without an item: {listed or '(none)'}",
                check="source",
                subject=name,
            )
        try:
            check = self.plan.check(name)
        except UnknownCheckError:
            reason = f"{name} is not a check of {self.plan.directory}: {mismatch}"
        else:
            self._run(check)
            return
        pytest.skip(reason)

    def rehearsal_summary(self, subject: str) -> str:
        """One line about the rehearsal of the pending migration ``subject`` (its time on the
        real data and the tables whose row counts changed), or why there is none."""
        from ..checks.rehearse import step_of, summary

        rehearsal = self.plan.rehearsal
        if rehearsal is None:
            return "no rehearsal: the database could not be read"
        try:
            return summary(step_of(rehearsal, int(subject)))
        except CheckSkipped as exc:
            return exc.reason

    def _run(self, check: Check) -> None:
        name = check.name
        try:
            check.run()
        except CheckWarning as exc:  # before CheckSkipped, which it subclasses
            # Attributed to the check, not to a line of the plugin, in pytest's summary.
            warnings.warn_explicit(AcodbWarning(exc.message), AcodbWarning, name, 0)
            return
        except CheckSkipped as exc:
            reason = exc.reason
        else:
            return
        pytest.skip(reason)  # outside the except: no "during handling of" in the report


def collected_plan(config: pytest.Config) -> Plan:
    """The plan of the directory the settings name (``--acodb-migrations`` / ini, else the
    bundled migrations), opened the way the run's settings say: what the check items are
    collected from."""
    from .fixtures import CONNECTOR_KEY

    settings = config.stash[SETTINGS_KEY]
    directory = settings.migrations or bundled_migrations_dir()
    return plan_for(config, directory, config.stash[CONNECTOR_KEY])
