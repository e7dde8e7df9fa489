"""Which built-in checks a migrations directory has, named up front, run later.

A :class:`Plan` resolves the directory and outlines it (each migration applied once, with the
schema after it: :class:`~.walk.Outline`) to learn the subjects: versions, ``updated_at``
triggers, foreign keys, CHECK value lists, lint findings. That is all collection needs. The
:class:`~.walk.Walk` every check body runs on (database images at checkpoints, the health after
each step, what its probes saw) is built once per plan: when the first check that needs it runs,
or, with ``walk_first``, in the same pass as the outline (which is then read from it).
``severity`` then grades or drops checks.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any

from ..db import driver as drivers
from ..db.connect import Connector, default_connector
from ..errors import AcodbError, CheckSkipped, SourceError, UnknownCheckError
from ..migrate import MigrationSource, resolve
from ..migrate.rehearse import Rehearsal
from ..synth.values import ValueProviders
from .base import Check, failing, foreign_keys, passing
from .data import check_data_survives
from .drift import BUNDLED_METADATA, check_models_match
from .factory import check_factory, factory_names
from .keys import check_cascade, check_constraint, value_list_columns
from .lints import file_problems, judge_tx_pragma, schema_problems
from .migrations import check_no_trace, check_round_trip, check_source, check_upgrade
from .objects import (
    check_lost_objects,
    check_triggers_fire,
    fire_targets,
    probe_lost_objects,
    probe_triggers_fire,
)
from .rehearse import check_rehearsal
from .severity import apply_levels, validate
from .sqlx import database_checks, lock_checks
from .triggers import check_trigger, updated_at_triggers
from .walk import Outline, Walk

WALKLESS_KINDS = frozenset({"source", "lint", "lock", "database", "rehearse"})
"""Check kinds whose checks never need the :class:`~.walk.Walk` (a ``tx_pragma`` lint judged on
it builds it on first use)."""


_WALK_ERRORS: tuple[type[Exception], ...] = (*drivers.Error, AcodbError)


@dataclass(frozen=True)
class CheckOptions:
    """What to check and how strictly (all optional).

    ``kinds``: only these check kinds (empty: every kind). ``factories``: one ``factory[<Name>]``
    check per bundled factory (for the bundled schema). ``database``: a sqlx URL of an existing
    database to validate against the directory (``database[...]`` checks). ``severity``:
    ``{check kind or lint name: "error" | "warn" | "off"}`` overriding the defaults (errors,
    and :data:`~.base.LINT_SEVERITY` for lints); ``"off"`` drops the checks. ``skip_versions``:
    no per-version check and no file lint for these versions. ``min_downgrade_version``:
    ``round_trip`` and ``no_trace`` require a down script from this version up (below it, none
    is needed). ``irreversible``: versions irreversible on purpose; their ``round_trip`` and
    ``no_trace`` are skipped saying so. ``metadata``: an import spec
    ``package.module:Base.metadata`` of SQLAlchemy models to compare with the migrated schema
    (``models_match``); with ``factories`` the bundled models are compared too. ``seed``: the
    seed of the rows the checks synthesise (the run seed, so ``--acodb-seed`` replays them);
    ``values``: values the project supplies per ``table.column`` for those rows.
    """

    kinds: tuple[str, ...] = ()
    factories: bool = False
    database: str | None = None
    severity: Mapping[str, str] = field(default_factory=dict)
    skip_versions: tuple[int, ...] = ()
    min_downgrade_version: int | None = None
    irreversible: tuple[int, ...] = ()
    metadata: str | None = None
    seed: int = 0
    values: ValueProviders | None = None


class Plan:
    """The built-in checks of the migrations in ``directory``, in :data:`~.base.CHECK_KINDS`
    order (:attr:`checks`), each named ``kind[subject]``.

    Never raises for a bad directory: a :class:`SourceError` (missing directory, bad file name,
    duplicate versions...) becomes one ``source[<dirname>]`` check that fails with its message.
    Raises :class:`AcodbError` for a bad ``options.severity`` (unknown key or level). Building a
    plan costs one apply of every migration; the :attr:`walk` its checks run on is built on
    first use (:attr:`walk_built` says whether it was), or with ``walk_first`` by the plan
    itself, when a chosen kind needs it, so that the same apply serves both (for a run that will
    run its checks; not for one that only lists or selects some of them). ``connector``: how
    every database of the plan is opened (driver, extensions).
    """

    def __init__(
        self,
        directory: str | Path,
        options: CheckOptions | None = None,
        connector: Connector | None = None,
        *,
        walk_first: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.options = options or CheckOptions()
        self.connector = connector or default_connector()
        self.source: MigrationSource | None = None
        self.outline: Outline | None = None
        self._by_name: dict[str, Check] = {}
        self.rehearsal: Rehearsal | None = None
        validate(self.options.severity)
        name = self.directory.name or str(self.directory)
        try:
            self.source = resolve(self.directory, strict=False)
            self.outline = self._outline(self.source, walk_first)
        except SourceError as exc:
            self._set([Check("source", name, failing("source", name, str(exc)))])
            return
        except drivers.Error as exc:
            self._set([Check("source", name, failing("source", name, str(exc)))])
            return
        self._set(self._plan(self.source, self.outline))

    def _set(self, checks: list[Check]) -> None:
        kinds = self.options.kinds
        chosen = [c for c in checks if not kinds or c.kind in kinds]
        self.checks = apply_levels(chosen, self.options.severity)
        self._by_name = {c.name: c for c in self.checks}

    def _outline(self, source: MigrationSource, walk_first: bool) -> Outline:
        """The outline planning needs: with ``walk_first``, when a chosen kind runs on the walk,
        read from the walk built now (every migration applied once for both); otherwise, or
        when building the walk raised (the first check that needs it raises it again), applied
        on its own."""
        kinds = self.options.kinds
        if walk_first and (not kinds or set(kinds) - WALKLESS_KINDS):
            try:
                walk = self._walk(None)
            except _WALK_ERRORS:
                pass  # not swallowed: the lazy walk raises it in the checks that need it
            else:
                self.__dict__["walk"] = walk  # what the cached property would build
                return Outline.of(walk)
        return Outline(source, self.connector)

    def _walk(self, outline: Outline | None) -> Walk:
        assert self.source is not None
        options = self.options
        return Walk(
            self.source,
            self.connector,
            outline,
            seed=options.seed,
            values=options.values,
            probes=(probe_lost_objects, probe_triggers_fire),
        )

    @cached_property
    def walk(self) -> Walk:
        """The :class:`~.walk.Walk` of the directory: built with the plan (``walk_first``) or on
        first use."""
        assert self.outline is not None
        return self._walk(self.outline)

    @property
    def walk_built(self) -> bool:
        """True once the walk is built (with the plan, or by the first check that needed it)."""
        return "walk" in self.__dict__

    def check(self, name: str) -> Check:
        """The check called ``name`` (``kind[subject]``). Raises :class:`UnknownCheckError`
        listing the checks of that kind when there is none."""
        found = self._by_name.get(name)
        if found is None:
            kind = name.partition("[")[0]
            raise UnknownCheckError(
                name, self.directory, [c.name for c in self.checks if c.kind == kind]
            )
        return found

    def _lazy(self, body: Callable[..., None], *args: Any, **kwargs: Any) -> Callable[[], None]:
        """A check body that calls ``body(self.walk, *args, **kwargs)``, building the walk then."""

        def run() -> None:
            body(self.walk, *args, **kwargs)

        return run

    def _plan(self, source: MigrationSource, outline: Outline) -> list[Check]:
        options = self.options
        name = source.directory.name or str(source.directory)
        versions = [m.version for m in source if m.version not in options.skip_versions]
        floor = options.min_downgrade_version
        options = self.options
        checks = [
            Check(
                "source",
                name,
                lambda: check_source(
                    source,
                    {
                        "acodb_skip_versions": options.skip_versions,
                        "acodb_irreversible": options.irreversible,
                    },
                ),
            )
        ]
        checks += [Check("upgrade", str(v), self._lazy(check_upgrade, v)) for v in versions]
        checks += [
            Check(
                "round_trip",
                str(v),
                _skipping(f"migration {v} is irreversible on purpose (listed as irreversible)")
                if v in options.irreversible
                else self._lazy(check_round_trip, v, require_down=floor is not None and v >= floor),
            )
            for v in versions
        ]
        marked = sorted(set(options.irreversible) & {m.version for m in source})
        checks.append(
            Check(
                "no_trace",
                "all",
                _skipping(f"migrations {', '.join(map(str, marked))} are irreversible on purpose")
                if marked
                else self._lazy(check_no_trace, floor),
            )
        )
        final = outline.final
        if final is not None:
            checks += [
                Check("trigger", t.name, self._lazy(check_trigger, t.name))
                for t in updated_at_triggers(final)
            ]
            checks += [
                Check("cascade", s, self._lazy(check_cascade, s)) for s in foreign_keys(final)
            ]
            checks += [
                Check("constraint", s, self._lazy(check_constraint, s))
                for s in value_list_columns(final)
            ]
        applied = [v for v in versions if outline.after(v) is not None]
        checks += [
            Check("data_survives", str(v), self._lazy(check_data_survives, v)) for v in applied
        ]
        checks += [
            Check("lost_objects", str(v), self._lazy(check_lost_objects, v)) for v in applied
        ]
        checks += [
            Check("triggers_fire", str(v), self._lazy(check_triggers_fire, v))
            for v in applied
            if fire_targets(outline.before(v), outline.after(v))
        ]
        checks += self._lints(source, outline)
        if options.factories:
            checks += self._factories()
        specs = ([BUNDLED_METADATA] if options.factories else []) + (
            [options.metadata] if options.metadata else []
        )
        checks += [Check("models_match", s, self._lazy(check_models_match, s)) for s in specs]
        checks += lock_checks(source)
        if options.database is not None:
            checks += database_checks(source, options.database, self.connector)
            checks += self._rehearsals(source, options.database)
        return checks

    def _lints(self, source: MigrationSource, outline: Outline) -> list[Check]:
        """One ``lint[<name>:<thing>]`` check per problem, or one passing ``lint[<dirname>]``."""
        problems = file_problems(source, self.options.skip_versions)
        if outline.final is not None:
            problems += schema_problems(source, outline.final)
        if not problems:
            return [Check("lint", source.directory.name, passing)]
        return [
            Check(
                "lint",
                p.subject,
                self._lazy(judge_tx_pragma, p)
                if p.judged and p.version is not None and outline.after(p.version) is not None
                else failing("lint", p.subject, p.message),
            )
            for p in problems
        ]

    def _rehearsals(self, source: MigrationSource, url: str) -> list[Check]:
        """One ``rehearse[<version>]`` check per migration the database at ``url`` has not
        applied; none when it cannot be read (its ``database`` check says why)."""
        try:
            self.rehearsal = Rehearsal(source, url, self.connector)
        except AcodbError:
            return []
        except drivers.Error:
            return []
        rehearsal = self.rehearsal
        return [
            Check("rehearse", str(m.version), partial(check_rehearsal, rehearsal, m.version))
            for m in rehearsal.pending
        ]

    def _factories(self) -> list[Check]:
        try:
            names = factory_names()
        except (ImportError, AcodbError) as exc:
            msg = f"cannot import pytest_acodb.acolib.factories: {exc}"
            return [Check("factory", "import", failing("factory", "import", msg))]
        return [Check("factory", n, self._lazy(check_factory, n)) for n in names]


def plan(
    directory: str | Path,
    *,
    factories: bool = False,
    database: str | None = None,
    severity: Mapping[str, str] | None = None,
    skip_versions: Collection[int] = (),
    min_downgrade_version: int | None = None,
    metadata: str | None = None,
    irreversible: Collection[int] = (),
    connector: Connector | None = None,
    seed: int = 0,
    values: Mapping[str, Any] | None = None,
) -> list[Check]:
    """The checks of :class:`Plan` for ``directory`` with these :class:`CheckOptions`, as a list
    of :class:`~.base.Check` (each ``run()`` raises ``CheckFailure``, ``CheckWarning`` or
    ``CheckSkipped``, or returns ``None`` when it holds). For use outside pytest."""
    options = CheckOptions(
        factories=factories,
        database=database,
        severity=dict(severity or {}),
        skip_versions=tuple(skip_versions),
        min_downgrade_version=min_downgrade_version,
        irreversible=tuple(irreversible),
        metadata=metadata,
        seed=seed,
        values=values if isinstance(values, ValueProviders) else ValueProviders(values),
    )
    return Plan(directory, options, connector).checks


def _skipping(reason: str) -> Callable[[], None]:
    def run() -> None:
        raise CheckSkipped(reason)

    return run
