"""Reading a table's CHECK constraints into demands on its columns, with sqlglot.

:func:`check_rules` turns the CHECKs of a :class:`~pytest_acodb.schema.Table` into one
:class:`Rule` per column (value lists, comparisons and ``BETWEEN`` with literals, ``length(col)``
bounds, ``json_valid(col)``, ``typeof(col)``, ``IS NOT NULL``, ``col = upper(col)`` /
``lower(col)``); :func:`value_lists` finds the
``col IN (...)`` lists the ``constraint`` check exercises. Used by :mod:`pytest_acodb.rows`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..schema import Table
from ..schema.parse import check_texts, expression

_NONE: Any = object()
"""Marks a :class:`Rule` field the CHECKs leave open."""


@dataclass
class Rule:
    """What a table's CHECK constraints ask of one column (``None``: no demand)."""

    allowed: tuple[Any, ...] | None = None
    equals: Any = _NONE
    excluded: list[Any] = field(default_factory=list)
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    len_lo: int | None = None
    len_hi: int | None = None
    json: bool = False
    sqltype: str | None = None
    not_null: bool = False
    case: str | None = None


def _literal(node: Any) -> Any:
    """The Python value of a sqlglot literal (``-1.5``, ``'a'``, ``TRUE``, ``NULL``) or _NONE."""
    from sqlglot import exp

    if isinstance(node, exp.Paren):
        return _literal(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return int(bool(node.this))
    if isinstance(node, exp.Neg):
        inner = _literal(node.this)
        return -inner if isinstance(inner, int | float) else _NONE
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        try:
            return int(node.this)
        except ValueError:
            try:
                return float(node.this)
            except ValueError:
                return _NONE
    return _NONE


def _column_of(table: Table, node: Any) -> str | None:
    from sqlglot import exp

    if isinstance(node, exp.Column) and node.table in ("", table.name):
        column = table.column(node.name)
        return column.name if column else None
    return None


def _func(node: Any) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower() if isinstance(node, exp.Func) else ""


def _target(table: Table, node: Any) -> tuple[str, str] | None:
    """``(column, what)`` for ``col``, ``length(col)``, ``json_valid(col)``, ``typeof(col)``."""
    from sqlglot import exp

    column = _column_of(table, node)
    if column:
        return column, "value"
    name = _func(node)
    if name in ("length", "json_valid", "typeof"):
        args = [node.this] if isinstance(node.this, exp.Expression) else []
        args += list(node.expressions or [])
        column = _column_of(table, args[0]) if args else None
        if column:
            return column, name
    return None


def table_checks(table: Table) -> tuple[str, ...]:
    """The text of each CHECK expression of ``table``, as written (each parsed at most once,
    whatever table it appears in: :func:`~pytest_acodb.schema.parse.expression`)."""
    return check_texts(table.sql) if "CHECK" in table.sql.upper() else ()


_FLIP = {"gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte", "eq": "eq", "neq": "neq"}


def check_rules(table: Table) -> dict[str, Rule]:
    """Per-column :class:`Rule` read from the CHECKs of ``table`` (sqlglot, SQLite dialect).

    Conjuncts (``AND``) all apply; of a disjunction (``OR``) the first branch that is not an
    ``IS NULL`` test is followed. Parts it cannot read are ignored (the solver of
    :mod:`~pytest_acodb.synth.solver` meets the rest). Returns ``{column: Rule}``.
    """
    rules: dict[str, Rule] = {}
    for text in table_checks(table):
        tree = expression(text)
        if tree is not None:
            _read(table, tree, rules)
    return rules


def _read(table: Table, node: Any, rules: dict[str, Rule]) -> None:
    from sqlglot import exp

    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        _read(table, node.this, rules)
        _read(table, node.expression, rules)
    elif isinstance(node, exp.Or):
        branches = [node.this, node.expression]
        keep = [
            b
            for b in branches
            if not (isinstance(b, exp.Is) and isinstance(b.expression, exp.Null))
        ]
        _read(table, (keep or branches)[0], rules)
    elif isinstance(node, exp.In):
        column = _column_of(table, node.this)
        values = [_literal(v) for v in node.expressions]
        if column and values and all(v is not _NONE for v in values):
            rule = rules.setdefault(column, Rule())
            listed = tuple(v for v in values if v is not None)
            old = rule.allowed
            rule.allowed = listed if old is None else tuple(v for v in old if v in listed)
    elif isinstance(node, exp.Between):
        _compare(table, rules, "gte", node.this, node.args.get("low"))
        _compare(table, rules, "lte", node.this, node.args.get("high"))
    elif isinstance(node, exp.Not) and isinstance(node.this, exp.Is):
        column = _column_of(table, node.this.this)
        if column and isinstance(node.this.expression, exp.Null):
            rules.setdefault(column, Rule()).not_null = True
    elif isinstance(node, exp.EQ) and _case(table, rules, node.this, node.expression):
        pass
    elif type(node).__name__.lower() in _FLIP:
        _compare(table, rules, type(node).__name__.lower(), node.this, node.expression)
    else:
        target = _target(table, node)
        if target and target[1] == "json_valid":
            rules.setdefault(target[0], Rule()).json = True


def _case(table: Table, rules: dict[str, Rule], left: Any, right: Any) -> bool:
    """Read ``col = upper(col)`` / ``lower(col) = col`` into ``Rule.case``; True when it was."""
    for plain, call in ((left, right), (right, left)):
        column, name = _column_of(table, plain), _func(call)
        if column and name in ("upper", "lower") and _column_of(table, call.this) == column:
            rules.setdefault(column, Rule()).case = name
            return True
    return False


def _compare(table: Table, rules: dict[str, Rule], op: str, left: Any, right: Any) -> None:
    target, value = _target(table, left), _literal(right)
    if target is None:
        target, value, op = _target(table, right), _literal(left), _FLIP[op]
    if target is None or value is _NONE or value is None:
        return
    column, what = target
    rule = rules.setdefault(column, Rule())
    if what == "json_valid":
        rule.json = rule.json or (op == "eq" and value == 1)
    elif what == "typeof" and op == "eq":
        rule.sqltype = str(value).lower()
    elif what == "length" and isinstance(value, int | float):
        if op in ("gt", "gte", "eq"):
            low = math.floor(value) + 1 if op == "gt" else math.ceil(value)
            rule.len_lo = max(rule.len_lo or 0, low)
        if op in ("lt", "lte", "eq"):
            high = math.ceil(value) - 1 if op == "lt" else math.floor(value)
            rule.len_hi = high if rule.len_hi is None else min(rule.len_hi, high)
    elif what == "value" and op == "eq":
        rule.equals = value
    elif what == "value" and op == "neq":
        rule.excluded.append(value)
    elif what == "value" and isinstance(value, int | float):
        if op in ("gt", "gte") and (rule.lo is None or value >= rule.lo):
            rule.lo, rule.lo_open = value, op == "gt"
        if op in ("lt", "lte") and (rule.hi is None or value <= rule.hi):
            rule.hi, rule.hi_open = value, op == "lt"


def value_lists(table: Table) -> dict[str, tuple[Any, ...]]:
    """``{column: values}`` for each ``col IN (literal, ...)`` in the CHECKs of ``table`` (the
    first list per column; lists under ``NOT`` are left out; ``NULL`` entries dropped)."""
    from sqlglot import exp

    found: dict[str, tuple[Any, ...]] = {}
    for text in table_checks(table):
        tree = expression(text)
        if tree is None:
            continue
        for node in tree.find_all(exp.In):
            column = _column_of(table, node.this)
            values = [_literal(v) for v in node.expressions]
            if (
                column
                and column not in found
                and values
                and node.find_ancestor(exp.Not) is None
                and all(v is not _NONE for v in values)
            ):
                found[column] = tuple(v for v in values if v is not None)
    return found


def value_list_check(table: Table, column: str) -> str | None:
    """The text of the CHECK of ``table`` that limits ``column`` to a list (the one
    :func:`value_lists` reads it from), or ``None``."""
    from sqlglot import exp

    for text in table_checks(table):
        tree = expression(text)
        if tree is None:
            continue
        for node in tree.find_all(exp.In):
            found = _column_of(table, node.this)
            if found and found.lower() == column.lower() and node.find_ancestor(exp.Not) is None:
                return text
    return None


def digits(value: int | float, rule: Rule) -> int | float:
    """``value`` moved so that its text meets ``length(col)`` bounds (``length(42)`` is 2)."""
    if rule.len_lo is not None and len(str(value)) < rule.len_lo:
        value += 10 ** (rule.len_lo - 1)
    if rule.len_hi is not None and len(str(value)) > rule.len_hi > 0 and isinstance(value, int):
        value = int(str(abs(value))[-rule.len_hi :])
    return value
