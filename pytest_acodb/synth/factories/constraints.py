"""The generated factories' only door onto the constraint solver (:mod:`pytest_acodb.synth.rules`
and :mod:`pytest_acodb.synth.rows`), and the checks of a candidate row against the real CHECKs.

What the solver reads from a table's CHECKs (one :class:`~pytest_acodb.synth.rules.Rule` per
column, the ``IN`` value lists) steers every value a factory draws (:func:`fit`); when a CHECK
relates columns in a way no rule says, a :class:`Verifier` evaluates the table's CHECK
expressions on the candidate row with SQLite itself, and the factory repairs the columns the
failing CHECK names with the solver's candidates (:func:`fallback`) before anything is inserted.
Replacing the solver means changing this module only.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
from collections.abc import Callable, Mapping
from typing import Any

from ...migrate import quote
from ...schema import Column, Table
from ..rows import candidates, column_value
from ..rules import _NONE, Rule, check_rules, digits, table_checks, value_lists
from ..solver import Solver

__all__ = [
    "Rule",
    "ValueProvider",
    "Verifier",
    "capacity",
    "check_columns",
    "fallback",
    "fit",
    "is_constant",
    "rules_of",
    "sample",
    "solved",
    "trait_values",
]

ValueProvider = Callable[[int], Any]
"""A user's source of values for one ``table.column``: called with the row's sequence number
(0, 1, 2... restarting with each test's seed), returns the value to store as it is stored. Pass
them to :func:`~pytest_acodb.synth.factories.generate` as ``providers={"users.email": provider}``;
``acodb_factories`` passes those of the ``acodb_values`` fixture (the ini key and the
``pytest_acodb_values`` hook)."""


def rules_of(table: Table) -> dict[str, Rule]:
    """``{column: Rule}``: what the solver reads from the CHECKs of ``table``."""
    return check_rules(table)


def trait_values(table: Table) -> dict[str, tuple[Any, ...]]:
    """``{column: values}`` of each ``col IN (...)`` list in the CHECKs of ``table``."""
    return value_lists(table)


def fixed(rule: Rule) -> bool:
    """True when ``rule`` pins the column to one value (``col = 3``)."""
    return rule.equals is not _NONE


def capacity(rule: Rule, kind: str) -> int | None:
    """How many distinct values ``rule`` allows a column of ``kind`` (``None``: more than any
    test needs): 1 for ``col = x``, the length of an ``IN`` list, 2 for a boolean, the width
    of an integer range."""
    if rule.equals is not _NONE:
        return 1
    if rule.allowed:
        return len([v for v in rule.allowed if v not in rule.excluded]) or len(rule.allowed)
    if kind == "boolean":
        return 2
    if kind == "integer" and rule.lo is not None and rule.hi is not None:
        low, high = _int_bounds(rule)
        assert low is not None and high is not None
        return max(high - low + 1, 0)
    return None


def _int_bounds(rule: Rule) -> tuple[int | None, int | None]:
    low = (
        None if rule.lo is None else math.floor(rule.lo) + 1 if rule.lo_open else math.ceil(rule.lo)
    )
    high = (
        None if rule.hi is None else math.ceil(rule.hi) - 1 if rule.hi_open else math.floor(rule.hi)
    )
    return low, high


def fit(value: Any, rule: Rule, rng: Any, *, unique: int | None = None) -> Any:
    """``value`` (in stored form) moved to satisfy ``rule``: the pinned value, a value of the
    ``IN`` list (the ``unique``-th, else a random one), a number inside the bounds, text of the
    allowed length and case, JSON text for ``json_valid``, the type ``typeof`` asks.

    ``unique``: the row's sequence number when the column must differ from row to row; numbers
    are then placed by it, and text keeps its last characters (where the caller put the number)
    when trimmed. ``None`` values are returned as they are.
    """
    if rule.equals is not _NONE:
        return rule.equals
    if rule.allowed:
        pool = [v for v in rule.allowed if v not in rule.excluded] or list(rule.allowed)
        return pool[unique % len(pool)] if unique is not None else rng.choice(pool)
    if value is None:
        return None
    value = _typed(value, rule.sqltype)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = _bounded(value, rule, rng, unique)
        value = digits(value, rule)
    elif isinstance(value, str):
        value = _sized(value, rule, unique is not None)
    elif isinstance(value, bytes):
        value = _sized_bytes(value, rule)
    if rule.json and isinstance(value, str) and not _is_json(value):
        import json

        value = json.dumps(value)
    for _ in range(16):
        if value not in rule.excluded:
            break
        value = (
            value + 1
            if isinstance(value, int | float)
            else value + b"x"
            if isinstance(value, bytes)
            else f"{value}x"
        )
    return value


def _is_json(text: str) -> bool:
    import json

    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _typed(value: Any, sqltype: str | None) -> Any:
    if sqltype == "integer" and not isinstance(value, int):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 1
    if sqltype == "real" and not isinstance(value, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            return 1.5
    if sqltype == "text" and not isinstance(value, str):
        return value.hex() if isinstance(value, bytes) else str(value)
    if sqltype == "blob" and not isinstance(value, bytes):
        return str(value).encode()
    return value


def _bounded(value: int | float, rule: Rule, rng: Any, unique: int | None) -> int | float:
    if isinstance(value, int):
        low, high = _int_bounds(rule)
        if unique is not None:
            if low is not None and high is not None:
                return low + unique % max(high - low + 1, 1)
            if low is not None:
                return low + unique
            if high is not None:
                return high - unique
            return value
        if (low is None or value >= low) and (high is None or value <= high):
            return value
        if low is not None and high is not None:
            return int(rng.randint(low, high)) if low <= high else low
        shift = int(rng.randint(0, 100))
        return low + shift if low is not None else (high or 0) - shift
    lo, hi = rule.lo, rule.hi
    inside = (lo is None or value > lo or (value == lo and not rule.lo_open)) and (
        hi is None or value < hi or (value == hi and not rule.hi_open)
    )
    if inside and unique is None:
        return value
    if lo is not None and hi is not None:
        share = ((unique % 97) + 1) / 99 if unique is not None else rng.uniform(0.01, 0.99)
        return lo + (hi - lo) * share
    step = (unique or 0) + rng.uniform(0.01, 1)
    return lo + step if lo is not None else hi - step if hi is not None else value + (unique or 0)


def _sized(text: str, rule: Rule, keep_tail: bool) -> str:
    if rule.case == "upper":
        text = text.upper()
    elif rule.case == "lower":
        text = text.lower()
    if rule.len_hi is not None and len(text) > rule.len_hi:
        text = (
            text[len(text) - rule.len_hi :]
            if keep_tail
            else text[: rule.len_hi].rstrip() or text[: rule.len_hi]
        )
    if rule.len_lo is not None and len(text) < rule.len_lo:
        text += "x" * (rule.len_lo - len(text))
    return text


def _sized_bytes(data: bytes, rule: Rule) -> bytes:
    if rule.len_hi is not None and len(data) > rule.len_hi:
        data = data[: rule.len_hi]
    if rule.len_lo is not None and len(data) < rule.len_lo:
        data += b"\0" * (rule.len_lo - len(data))
    return data


def fallback(column: Column, rule: Rule, n: int, attempt: int, position: int) -> Any:
    """Another candidate for ``column`` (stored form) on repair ``attempt`` of row ``n``.

    Numbers spread apart by powers of ten with the column's position (``20, 30`` then
    ``-20, -30`` then ``200, 300``...), for CHECKs such as ``hi > lo + 10``, then fitted to the
    column's own rule; anything else is the solver's candidate (what the row synthesiser tries on
    its ``attempt``-th try)."""
    candidate = column_value(column, rule, n, attempt, position)
    if isinstance(candidate, int | float) and not rule.allowed and not fixed(rule):
        sign = 1 if attempt % 2 else -1
        spread = sign * (position + 1) * 10 ** ((attempt + 1) // 2)
        value: int | float = spread if isinstance(candidate, int) else spread + 0.5
        return fit(value, rule, _Spread(n))
    return candidate


class _Spread:
    """A stand-in random generator for :func:`fit` that picks deterministically from ``n``."""

    def __init__(self, n: int) -> None:
        self.n = n

    def randint(self, low: int, high: int) -> int:
        return low + self.n % (high - low + 1)

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * ((self.n % 97) + 1) / 99

    def choice(self, values: list[Any]) -> Any:
        return values[self.n % len(values)]


_CONSTANT = re.compile(
    r"^\(*\s*(?:[-+]?\s*\d+(?:\.\d*)?(?:e[-+]?\d+)?|'(?:[^']|'')*'|x'[0-9a-f]*'|null|true|false)"
    r"\s*\)*$",
    re.I,
)


def is_constant(default: str) -> bool:
    """True when a column's ``DEFAULT`` (SQL text as the snapshot keeps it) is a literal (a
    number, a string, a blob, ``NULL``, ``TRUE``, ``FALSE``), the same for every row."""
    return bool(_CONSTANT.match(default.strip()))


def sample(conn: sqlite3.Connection, default: str) -> Any:
    """What SQLite makes of the ``DEFAULT`` expression ``default`` now (``CURRENT_TIMESTAMP`` is
    ``'2025-01-15 12:00:00'``...), or ``None`` when it cannot evaluate it here."""
    try:
        row = conn.execute(f"SELECT {default}").fetchone()
    except sqlite3.Error:
        return None
    except Exception:  # another driver's errors (sqlean) share no base with sqlite3's
        return None
    return row[0] if row else None


def check_columns(table: Table, check: str) -> set[str]:
    """Names of the columns of ``table`` that the CHECK expression ``check`` mentions (as the
    table spells them)."""
    names = {c.name.lower(): c.name for c in table.columns}
    found: set[str] = set()
    try:
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(check, read="sqlite")
        for node in tree.find_all(exp.Column):
            if node.name.lower() in names:
                found.add(names[node.name.lower()])
    except Exception:  # sqlglot cannot read it: every identifier-like word that is a column
        for word in re.findall(r'"((?:[^"]|"")+)"|`([^`]+)`|\[([^\]]+)\]|(\w+)', check):
            name = next(w for w in word if w).replace('""', '"').lower()
            if name in names:
                found.add(names[name])
    return found


class Verifier:
    """Evaluates the CHECK constraints of ``table`` on candidate rows with SQLite (``conn``, a
    private connection; ``lock`` guards it across threads).

    CHECKs SQLite cannot evaluate here (a function of an extension this connection lacks) are
    left out, the database still enforces them. :attr:`checks` holds the evaluated expressions,
    :attr:`columns` the columns each names.
    """

    def __init__(self, conn: sqlite3.Connection, table: Table, lock: threading.Lock) -> None:
        self.conn = conn
        self.lock = lock
        self.names = [c.name for c in table.columns]
        self.checks: list[str] = []
        self.columns: list[set[str]] = []
        source = ", ".join(f"? AS {quote(n)}" for n in self.names)
        self._from = f" FROM (SELECT {source}) AS {quote(table.name)}"
        for check in table_checks(table):
            if self._evaluates(check):
                self.checks.append(check)
                self.columns.append(check_columns(table, check))
        self.referenced: set[str] = set().union(*self.columns)
        """Every column some evaluated CHECK names."""
        self._sql = (
            "SELECT "
            + ", ".join(f"coalesce(CAST(({c}) AS NUMERIC) <> 0, 1)" for c in self.checks)
            + self._from
        )

    def _evaluates(self, check: str) -> bool:
        try:
            with self.lock:
                self.conn.execute(f"SELECT ({check})" + self._from, [None] * len(self.names))
        except Exception:  # sqlite3's or another driver's error: SQLite cannot evaluate it here
            return False
        return True

    def failing(self, row: Mapping[str, Any]) -> list[int]:
        """Indexes (into :attr:`checks`) of the CHECKs ``row`` (``{column: stored value}``,
        missing columns are NULL) violates; CHECKs that raise on these values count as
        violated."""
        if not self.checks:
            return []
        params = [row.get(n) for n in self.names]
        try:
            with self.lock:
                result = self.conn.execute(self._sql, params).fetchone()
        except Exception:
            return self._one_by_one(params)
        return [i for i, ok in enumerate(result) if not ok]

    def _one_by_one(self, params: list[Any]) -> list[int]:
        bad = []
        for i, check in enumerate(self.checks):
            try:
                with self.lock:
                    ok = self.conn.execute(
                        f"SELECT coalesce(CAST(({check}) AS NUMERIC) <> 0, 1)" + self._from, params
                    ).fetchone()[0]
            except Exception:
                ok = 0
            if not ok:
                bad.append(i)
        return bad


def solved(
    conn: sqlite3.Connection,
    lock: threading.Lock,
    table: Table,
    row: Mapping[str, Any],
    free: set[str],
    n: int,
) -> dict[str, Any] | None:
    """New stored values for the columns ``free`` of ``row`` (``{column: stored value}``,
    columns left out are NULL) with which every CHECK of ``table`` holds, found by the row
    synthesiser's solver (values mined from the CHECK expressions, NULL for a nullable column,
    typed values of row ``n``) and judged by SQLite on ``conn`` (guarded by ``lock``);
    ``None`` when it finds none or cannot evaluate the CHECKs here."""
    by_lower = {c.name.lower(): c for c in table.columns}
    wanted = {f.lower() for f in free} & set(by_lower)
    if not wanted:
        return None
    with lock:
        solver = Solver(conn, table, {})
        if not solver.usable:
            return None

        def options(column: str, current: dict[str, Any]) -> list[Any]:
            col = by_lower[column]
            position = table.columns.index(col)
            typed = [column_value(col, Rule(), n, a, position) for a in range(4)]
            return candidates(col, solver, str(n), [], typed)

        current = {k.lower(): v for k, v in row.items()}
        result, failing = solver.solve(current, set(by_lower) - wanted, options)
    if failing:
        return None
    return {by_lower[k].name: v for k, v in result.items() if k in wanted}
