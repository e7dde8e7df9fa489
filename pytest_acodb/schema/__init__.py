"""Schema snapshots: the only reader of a database's structure, its diff and its renderers."""

from .diff import Change
from .model import Column, ForeignKey, Index, IndexKey, Schema, Table, Trigger, View, type_affinity
from .snapshot import SnapshotCache, check_constraints, normalise_sql, snapshot

__all__ = [
    "Change",
    "Column",
    "ForeignKey",
    "Index",
    "IndexKey",
    "Schema",
    "SnapshotCache",
    "Table",
    "Trigger",
    "View",
    "check_constraints",
    "normalise_sql",
    "snapshot",
    "type_affinity",
]
