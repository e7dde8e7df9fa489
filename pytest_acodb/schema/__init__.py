"""Schema snapshots: the only reader of a database's structure, its diff and its renderers."""

from .diff import Change
from .model import Column, ForeignKey, Index, Schema, Table, Trigger
from .snapshot import SnapshotCache, check_constraints, normalise_sql, snapshot

__all__ = [
    "Change",
    "Column",
    "ForeignKey",
    "Index",
    "Schema",
    "SnapshotCache",
    "Table",
    "Trigger",
    "check_constraints",
    "normalise_sql",
    "snapshot",
]
