"""Creating new migration files the way ``sqlx migrate add`` does.

File names are ``<version>_<description with spaces as underscores><suffix>``; contents are
sqlx's placeholders (``-- Add migration script here``, ``-- Add up migration script here``,
``-- Add down migration script here``, each with a trailing newline).

The version follows sqlx-cli 0.8's inference over the existing up/simple migrations: sequential
(``{last + 1:04}``) when the last two versions differ by exactly 1, or when the only migration has
version 0 or 1; a UTC timestamp ``YYYYmmddHHMMSS`` otherwise. ``sequential`` / ``timestamp``
force one. The kind follows sqlx 0.9: ``reversible`` / ``simple`` force it, otherwise it is
reversible when the newest existing migration is.

Unlike sqlx, an existing file or version is never overwritten: that is an error.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..errors import DescriptionError, MigrationExistsError, NumberingError
from .source import MigrationSource, MigrationType, resolve

CONTENTS = {
    MigrationType.SIMPLE: "-- Add migration script here\n",
    MigrationType.REVERSIBLE_UP: "-- Add up migration script here\n",
    MigrationType.REVERSIBLE_DOWN: "-- Add down migration script here\n",
}
"""What sqlx writes into a new file of each kind."""


def next_version(
    source: MigrationSource,
    *,
    sequential: bool = False,
    timestamp: bool = False,
    now: float | None = None,
) -> str:
    """The version prefix of the next migration, as text (``"0003"``, ``"20250115093000"``).

    ``now`` is a Unix time in seconds (default: the current time), used for timestamps (UTC).
    """
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() if now is None else now))
    versions = [m.version for m in source.migrations]
    if timestamp:
        return stamp
    if sequential:
        return f"{versions[-1] + 1 if versions else 1:04d}"
    if len(versions) >= 2 and versions[-1] - versions[-2] == 1:
        return f"{versions[-1] + 1:04d}"
    if len(versions) == 1 and versions[0] in (0, 1):
        return f"{versions[0] + 1:04d}"
    return stamp


def add_migration(
    directory: str | Path,
    description: str,
    *,
    reversible: bool | None = None,
    sequential: bool = False,
    timestamp: bool = False,
    now: float | None = None,
) -> list[Path]:
    """Create the files of a new migration in ``directory`` (created when missing).

    ``reversible``: ``True`` for an up/down pair, ``False`` for one simple file, ``None`` to
    infer it (pair when the newest existing migration has a down file). Returns the created
    paths, up file first. Raises a ``SourceError`` for an empty description or one holding a
    path separator (:class:`~pytest_acodb.errors.DescriptionError`), both numberings asked for
    (``NumberingError``), when the version or a file already exists (``MigrationExistsError``),
    or what ``resolve`` raises.
    """
    if sequential and timestamp:
        raise NumberingError()
    if not description.strip() or "/" in description or "\\" in description:
        raise DescriptionError(description)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    source = resolve(directory)
    if reversible is None:
        reversible = bool(source.migrations) and source.migrations[-1].down_path is not None
    version = next_version(source, sequential=sequential, timestamp=timestamp, now=now)
    if source.get(int(version)) is not None:
        raise MigrationExistsError(directory, version)
    kinds = (
        [MigrationType.REVERSIBLE_UP, MigrationType.REVERSIBLE_DOWN]
        if reversible
        else [MigrationType.SIMPLE]
    )
    stem = f"{version}_{description.replace(' ', '_')}"
    paths = [directory / f"{stem}{kind.suffix}" for kind in kinds]
    for path in paths:
        if path.exists():
            raise MigrationExistsError(path)
    for path, kind in zip(paths, kinds, strict=True):
        path.write_text(CONTENTS[kind], encoding="utf-8", newline="\n")
    return paths
