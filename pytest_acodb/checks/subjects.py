"""Building the list of built-in checks for a migrations directory.

:func:`plan` resolves the directory and walks the migrations once (a few milliseconds for a
normal directory) to learn the subjects: versions, triggers, foreign keys, CHECK value lists; it
also runs the lints, which only read the files and the final schema. Everything else happens when
a check runs, on copies of the states the walk kept. ``severity`` then grades or drops items.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from functools import partial
from pathlib import Path

from ..db import driver as drivers
from ..errors import AcodbError, CheckSkipped, SourceError
from ..migrate import resolve
from .base import Check, failing, foreign_keys, passing
from .data import check_data_survives
from .drift import BUNDLED_METADATA, check_models_match
from .factory import check_factory, factory_names
from .keys import check_cascade, check_constraint, value_list_columns
from .lints import file_problems, schema_problems
from .migrations import check_no_trace, check_round_trip, check_source, check_upgrade
from .objects import check_lost_objects, check_triggers_fire, fire_targets
from .severity import apply_levels, validate
from .sqlx import database_checks, lock_checks
from .triggers import check_trigger, updated_at_triggers
from .walk import Walk


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
) -> list[Check]:
    """The built-in checks for the migrations in ``directory``, in :data:`CHECK_KINDS` order.

    Never raises for a bad directory: a :class:`SourceError` (missing directory, bad file name,
    duplicate versions...) becomes one ``source[<dirname>]`` check that fails with its message.
    ``factories``: add one ``factory[<Name>]`` check per bundled factory (for the bundled schema).
    ``database``: a sqlx URL of an existing database to validate against the directory
    (``database[...]`` items). ``lock[...]`` items are added when the directory has an
    ``acodb.lock``. ``severity``: ``{check kind or lint name: "error" | "warn" | "off"}``
    overriding the defaults (errors, and :data:`LINT_SEVERITY` for lints); ``"off"`` drops the
    items; an unknown key or level raises :class:`AcodbError`. ``skip_versions``: no per-version
    item and no file lint for these versions. ``min_downgrade_version``: ``round_trip`` and
    ``no_trace`` require a down script from this version up (below it, none is needed).
    ``irreversible``: versions irreversible on purpose; their ``round_trip`` and ``no_trace``
    are skipped saying so. ``metadata``: an import spec ``package.module:Base.metadata`` of SQLAlchemy models to compare
    with the migrated schema (``models_match``); with ``factories`` the bundled models are
    compared too.
    """
    validate(severity)
    directory = Path(directory)
    name = directory.name or str(directory)
    try:
        source = resolve(directory)
        walk = Walk(source)
    except SourceError as exc:
        return apply_levels([Check("source", name, failing("source", name, str(exc)))], severity)
    except drivers.Error as exc:
        return apply_levels([Check("source", name, failing("source", name, str(exc)))], severity)
    checks = [Check("source", name, partial(check_source, source))]
    versions = [m.version for m in source if m.version not in skip_versions]
    floor = min_downgrade_version
    checks += [Check("upgrade", str(v), partial(check_upgrade, walk, v)) for v in versions]
    checks += [
        Check(
            "round_trip",
            str(v),
            _skipping(f"migration {v} is irreversible on purpose (acodb_irreversible)")
            if v in irreversible
            else partial(check_round_trip, walk, v, require_down=floor is not None and v >= floor),
        )
        for v in versions
    ]
    marked = sorted(set(irreversible) & {m.version for m in source})
    checks.append(
        Check(
            "no_trace",
            "all",
            _skipping(f"migrations {', '.join(map(str, marked))} are irreversible on purpose")
            if marked
            else partial(check_no_trace, walk, floor),
        )
    )
    final = walk.final
    if final is not None:
        checks += [
            Check("trigger", t.name, partial(check_trigger, walk, t.name))
            for t in updated_at_triggers(final)
        ]
        checks += [
            Check("cascade", s, partial(check_cascade, walk, s)) for s in foreign_keys(final)
        ]
        checks += [
            Check("constraint", s, partial(check_constraint, walk, s))
            for s in value_list_columns(final)
        ]
    checks += _data_checks(walk, versions)
    checks += _lint_checks(walk, skip_versions)
    if factories:
        try:
            names = factory_names()
        except (ImportError, AcodbError) as exc:
            msg = f"cannot import pytest_acodb.factories: {exc}"
            checks.append(Check("factory", "import", failing("factory", "import", msg)))
        else:
            checks += [Check("factory", n, partial(check_factory, walk, n)) for n in names]
    specs = ([BUNDLED_METADATA] if factories else []) + ([metadata] if metadata else [])
    checks += [
        Check("models_match", spec, partial(check_models_match, walk, spec)) for spec in specs
    ]
    checks += lock_checks(source)
    if database is not None:
        checks += database_checks(source, database)
    return apply_levels(checks, severity)


def _skipping(reason: str) -> Callable[[], None]:
    def run() -> None:
        raise CheckSkipped(reason)

    return run


def _data_checks(walk: Walk, versions: list[int]) -> list[Check]:
    """``data_survives`` and ``lost_objects`` for every version the walk applied, and
    ``triggers_fire`` for those after which some trigger is new or may be broken."""
    applied = [v for v in versions if walk.after(v) is not None]
    return (
        [Check("data_survives", str(v), partial(check_data_survives, walk, v)) for v in applied]
        + [Check("lost_objects", str(v), partial(check_lost_objects, walk, v)) for v in applied]
        + [
            Check("triggers_fire", str(v), partial(check_triggers_fire, walk, v))
            for v in applied
            if fire_targets(walk, v)
        ]
    )


def _lint_checks(walk: Walk, skip_versions: Collection[int]) -> list[Check]:
    """One ``lint[<name>:<thing>]`` item per problem, or one passing ``lint[<dirname>]``."""
    problems = file_problems(walk.source, skip_versions) + schema_problems(walk)
    if not problems:
        return [Check("lint", walk.source.directory.name, passing)]
    return [Check("lint", p.subject, failing("lint", p.subject, p.message)) for p in problems]
