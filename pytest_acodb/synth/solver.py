"""Meeting a table's CHECK constraints: candidates mined from the expressions, SQLite as the judge.

Each CHECK is read once (:func:`table_checks`, cached by the table's text): the columns it reads
and, per column, values that the expression itself suggests (:class:`CheckExpr`): its literals;
instances of its ``LIKE`` / ``GLOB`` patterns; strings of the length ``length(col)`` is compared
with; a string with the literal where ``substr(col, i, n)`` or ``instr(col, x)`` wants it; JSON
documents of the type ``json_type`` / ``json_extract`` / ``json_valid`` / ``json_array_length``
want; values of the type ``typeof`` wants; dates for columns inside date functions; the bounds of
``BETWEEN`` and comparisons, one off either way; zeroed blobs and arrays of ``n`` items for an
unknown function compared with ``n`` (``vec_length(embedding) = 512``). ``CASE``, ``IN``,
``AND`` / ``OR`` / ``NOT`` are walked through; what a form means is never decided here.

A :class:`Solver` then asks SQLite: it evaluates every CHECK of the table on a candidate row in
one ``SELECT`` (a CHECK holds unless its value is 0, as SQLite judges it), and changes the
columns of a failing CHECK, fewest columns first, until every CHECK holds or its budget is spent.
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from ..db import driver as drivers
from ..migrate import quote
from ..schema import Table
from ..schema.parse import check_texts, expression

BUDGET = 2000
"""Candidate rows :meth:`Solver.solve` evaluates before it gives up."""

MAX_CHANGED = 4
"""Columns of one CHECK changed together, at most."""

DATES = ("2025-01-15", "2025-01-15 12:00:00", "2025-01-15T12:00:00.000Z", "12:00:00")
"""Date and time texts in SQLite's formats, for columns read by date functions."""

_TYPED = {"integer": 1, "text": "x", "real": 1.5, "blob": b"x", "null": None}
_JSON_TYPED = {
    "object": {},
    "array": [],
    "integer": 1,
    "real": 1.5,
    "text": "x",
    "true": True,
    "false": False,
    "null": None,
}


@dataclass(frozen=True)
class CheckExpr:
    """One CHECK of a table: ``text`` (as written), ``columns`` (lower-cased names of the
    table's columns it reads), ``mined`` (per such column, the values the expression suggests)
    and ``related`` (pairs of columns it compares with each other)."""

    text: str
    columns: tuple[str, ...]
    mined: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    related: tuple[tuple[str, str], ...] = ()
    lengths: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def shown(self, limit: int = 120) -> str:
        """``CHECK (<text>)``, whitespace collapsed and cut at ``limit`` characters."""
        flat = " ".join(self.text.split())
        return f"CHECK ({flat if len(flat) <= limit else flat[: limit - 3] + '...'})"


def table_checks(table: Table) -> tuple[CheckExpr, ...]:
    """The CHECKs of ``table``, read (see the module docstring); cached by the table's text and
    columns, each expression parsed once."""
    return _table_checks(table.sql, tuple(c.name.lower() for c in table.columns), table.name)


@lru_cache(maxsize=1024)
def _table_checks(sql: str, columns: tuple[str, ...], name: str) -> tuple[CheckExpr, ...]:
    return tuple(_read(text, frozenset(columns), name.lower()) for text in check_texts(sql))


@lru_cache(maxsize=4096)
def _read(text: str, columns: frozenset[str], table: str) -> CheckExpr:
    tree = expression(text)
    if tree is None:
        return CheckExpr(text, ())
    miner = _Miner(columns, table)
    miner.walk(tree)
    used = tuple(dict.fromkeys(miner.seen))
    mined = {c: _unique([*miner.found.get(c, []), *miner.literals]) for c in used}
    for column, wanted in miner.lengths.items():  # a prefix and a length: both at once
        texts = [v for v in mined.get(column, []) if isinstance(v, str)][:12]
        mined[column] = _unique(
            [*(_fit(t, n) for n in wanted[:4] for t in texts), *mined.get(column, [])]
        )
    frozen = {c: tuple(v) for c, v in mined.items()}
    lengths = {c: tuple(dict.fromkeys(n)) for c, n in miner.lengths.items()}
    return CheckExpr(text, used, frozen, tuple(dict.fromkeys(miner.related)), lengths)


def _fit(text: str, length: int) -> str:
    """``text`` cut or padded with ``x`` to ``length`` characters."""
    return text[:length] if len(text) >= length else text + "x" * (length - len(text))


def _unique(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    seen: set[tuple[str, Any]] = set()
    for v in values:
        key = (type(v).__name__, v if not isinstance(v, list | dict) else json.dumps(v))
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


# -- mining ------------------------------------------------------------------------------------


class _Miner:
    """Walks one CHECK expression, collecting per column the values its forms suggest."""

    def __init__(self, columns: frozenset[str], table: str) -> None:
        self.columns = columns
        self.table = table
        self.seen: list[str] = []
        self.found: dict[str, list[Any]] = {}
        self.literals: list[Any] = []
        self.related: list[tuple[str, str]] = []
        self.lengths: dict[str, list[int]] = {}

    def add(self, column: str, *values: Any) -> None:
        self.found.setdefault(column, []).extend(values)

    def column(self, node: Any) -> str | None:
        """The table column ``node`` is (unqualified or qualified by the table), else None."""
        from sqlglot import exp

        if isinstance(node, exp.Column) and node.table.lower() in ("", self.table):
            name = str(node.name).lower()
            return name if name in self.columns else None
        return None

    def inner(self, node: Any) -> tuple[str | None, list[str]]:
        """The column under ``node`` through one-argument wrappers (``lower(trim(x))``), and the
        names of the wrappers, outermost first."""
        from sqlglot import exp

        wrappers: list[str] = []
        while node is not None:
            found = self.column(node)
            if found:
                return found, wrappers
            if isinstance(node, exp.Paren):
                node = node.this
                continue
            if isinstance(node, exp.Func | exp.Cast):
                wrappers.append(_name(node))
                node = _first_argument(node)
                continue
            return None, wrappers
        return None, wrappers

    def walk(self, tree: Any) -> None:
        from sqlglot import exp

        for node in tree.walk():
            name = self.column(node)
            if name:
                self.seen.append(name)
            value = _constant(node)
            if value is not _NO and not isinstance(node.parent, exp.Neg):
                self.literals.extend(_near(value))
            if isinstance(node, exp.In):
                target = node.this
                for item in node.expressions:
                    constant = _constant(item)
                    if constant is not _NO:
                        self.suggest(target, constant)
            elif isinstance(node, exp.Between):
                low, high = _constant(node.args.get("low")), _constant(node.args.get("high"))
                for bound in (low, high):
                    if bound is not _NO:
                        self.suggest(node.this, bound)
                if isinstance(low, int | float) and isinstance(high, int | float):
                    self.suggest(node.this, (low + high) / 2 if low != high else low)
            elif isinstance(node, exp.Like | exp.ILike | exp.Glob):
                pattern = _constant(node.expression)
                if isinstance(pattern, str):
                    glob = isinstance(node, exp.Glob)
                    for text in _glob_instances(pattern) if glob else _like_instances(pattern):
                        self.suggest(node.this, text)
            elif isinstance(node, exp.Binary) and type(node).__name__ in _COMPARISONS:
                self.compare(node.this, node.expression)
            elif isinstance(node, exp.Func) and "json" in _name(node) and "valid" in _name(node):
                column, _ = self.inner(_first_argument(node))
                if column:
                    self.add(column, "{}", "[]", '{"a": 1}')
            elif isinstance(node, exp.Func) and _is_date_function(node):
                column, _ = self.inner(_first_argument(node))
                if column:
                    self.add(column, *DATES)

    def compare(self, left: Any, right: Any) -> None:
        a, b = _constant(left), _constant(right)
        if a is _NO and b is not _NO:
            self.suggest(left, b)
        elif b is _NO and a is not _NO:
            self.suggest(right, a)
        elif a is _NO and b is _NO:
            one, _ = self.inner(left)
            two, _ = self.inner(right)
            if one and two and one != two:
                self.related.append((one, two))
            elif one and one == two:  # lower(c) = c, c = trim(c)...
                self.add(one, "abc", "ABC", "a-b_c")

    def suggest(self, target: Any, value: Any) -> None:
        """Add the values that make ``target`` (a column, or an expression over one) equal, or
        close, to ``value``."""
        from sqlglot import exp

        column = self.column(target)
        if column:
            self.add(column, *_near(value))
            return
        if isinstance(target, exp.Paren):
            self.suggest(target.this, value)
            return
        if isinstance(target, exp.Binary) and type(target).__name__ in _ARITHMETIC:
            self._arithmetic(target, value)
            return
        if not isinstance(target, exp.Func | exp.Cast):
            return
        name = _name(target)
        column, wrappers = self.inner(_first_argument(target))
        if column is None:
            return
        extra = _arguments(target)[1:]
        self.add(column, *_by_function(name, wrappers, value, extra))
        if name in ("length", "char_length") and isinstance(value, int) and 0 <= value < 10_000:
            self.lengths.setdefault(column, []).extend(v for v in (value, value + 1) if v)

    def _arithmetic(self, target: Any, value: Any) -> None:
        """``col + k = v`` and the like: the value of ``col`` that gives ``v``."""
        column, k = self.column(target.this), _constant(target.expression)
        if column is None or not isinstance(k, int | float) or not isinstance(value, int | float):
            return
        kind = type(target).__name__
        if kind == "Add":
            self.add(column, value - k)
        elif kind == "Sub":
            self.add(column, value + k)
        elif kind == "Mul" and k:
            self.add(column, value / k if value % k else value // k)
        elif kind == "Div":
            self.add(column, value * k)
        elif kind == "Mod" and k:
            self.add(column, value, value + k, k + value % k)


_COMPARISONS = frozenset({"EQ", "NEQ", "GT", "GTE", "LT", "LTE", "Is", "NullSafeEQ", "NullSafeNEQ"})
_ARITHMETIC = frozenset({"Add", "Sub", "Mul", "Div", "Mod"})
_DATE_NAMES = (
    "date",
    "time",
    "datetime",
    "julianday",
    "strftime",
    "unixepoch",
    "timediff",
    "time_to_str",
    "str_to_time",
    "ts_or_ds_to_timestamp",
    "ts_or_ds_to_date",
)


def _name(node: Any) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return str(node.sql_name()).lower() if isinstance(node, exp.Func | exp.Cast) else ""


def _is_date_function(node: Any) -> bool:
    return _name(node) in _DATE_NAMES


def _arguments(node: Any) -> list[Any]:
    from sqlglot import exp

    args = [node.this] if isinstance(node.this, exp.Expression) else []
    for key, value in node.args.items():
        if key == "this":
            continue
        if isinstance(value, exp.Expression):
            args.append(value)
        elif isinstance(value, list):
            args.extend(v for v in value if isinstance(v, exp.Expression))
    return args


def _first_argument(node: Any) -> Any:
    args = _arguments(node)
    # strftime(format, value): the value comes second
    if _name(node) in ("strftime", "time_to_str") and len(args) > 1:
        from sqlglot import exp

        if isinstance(args[0], exp.Literal) and args[0].is_string:
            return args[1]
    return args[0] if args else None


_NO: Any = object()


def _constant(node: Any) -> Any:
    """The Python value of a constant expression (literals, signs, simple arithmetic), or
    ``_NO`` when ``node`` is not one."""
    from sqlglot import exp

    if node is None:
        return _NO
    if isinstance(node, exp.Paren):
        return _constant(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return int(bool(node.this))
    if isinstance(node, exp.Literal):
        if node.is_string:
            return str(node.this)
        text = str(node.this)
        try:
            return int(text, 0) if text.lower().startswith("0x") else int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return _NO
    if isinstance(node, exp.Neg):
        inner = _constant(node.this)
        return -inner if isinstance(inner, int | float) else _NO
    if isinstance(node, exp.Binary) and type(node).__name__ in _ARITHMETIC:
        a, b = _constant(node.this), _constant(node.expression)
        if isinstance(a, int | float) and isinstance(b, int | float):
            try:
                return {
                    "Add": lambda: a + b,
                    "Sub": lambda: a - b,
                    "Mul": lambda: a * b,
                    "Div": lambda: a // b if isinstance(a, int) and isinstance(b, int) else a / b,
                    "Mod": lambda: a % b,
                }[type(node).__name__]()
            except ZeroDivisionError:
                return _NO
    if isinstance(node, exp.DPipe):
        a, b = _constant(node.this), _constant(node.expression)
        if isinstance(a, str) and isinstance(b, str):
            return a + b
    return _NO


def _near(value: Any) -> list[Any]:
    """``value`` and its neighbours: one off either way for numbers, a longer and a shorter
    text for strings."""
    if isinstance(value, bool) or value is None:
        return [value]
    if isinstance(value, int):
        return [value, value + 1, value - 1]
    if isinstance(value, float):
        return [value, value + 0.5, value - 0.5, value + 1, value - 1]
    if isinstance(value, str):
        return [value, value + "x", *([value[:-1]] if value else [])]
    return [value]


def _by_function(name: str, wrappers: list[str], value: Any, extra: list[Any]) -> list[Any]:
    """Values of a column ``c`` such that ``name(wrappers(c), *extra)`` may equal ``value``."""
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if name in ("length", "octet_length", "char_length"):
        if number is None:
            return []
        n = max(int(number), 0)
        return [
            *(("x" * k) for k in (n, n + 1, max(n - 1, 0))),
            *(10 ** (k - 1) for k in (n, n + 1) if 0 < k < 19),
            b"x" * n,
        ]
    if name in ("lower", "upper", "trim", "ltrim", "rtrim", "coalesce", "ifnull", "cast", "abs"):
        if isinstance(value, str):
            return [value, value.lower(), value.upper()]
        return [value, -value] if number is not None else [value]
    if name == "typeof" and isinstance(value, str):
        return [_TYPED[value.lower()]] if value.lower() in _TYPED else []
    if "json" in name:
        return _json_values(name, value, extra)
    if name in ("substring", "substr"):
        start = _constant(extra[0]) if extra else 1
        if not isinstance(value, str) or not isinstance(start, int):
            return []
        if start > 0:
            return ["x" * (start - 1) + value, "x" * (start - 1) + value + "x"]
        return [value, "x" + value]
    if name in ("str_position", "instr"):
        needle = _constant(extra[0]) if extra else _NO
        if not isinstance(needle, str) or number is None:
            return []
        if number <= 0:
            return ["x" if needle != "x" else "y"]
        return ["x" * (int(number) - 1) + needle, needle, "x" + needle]
    if name in _DATE_NAMES or name in ("time_to_str", "str_to_time", "ts_or_ds_to_timestamp"):
        return [*DATES, *([value] if isinstance(value, str) else [])]
    if name in ("round", "ceil", "floor", "sign", "unicode", "hex", "quote"):
        return [value] if number is not None else []
    if number is not None and 0 <= number <= 100_000 and float(number).is_integer():
        n = int(number)
        return [bytes(4 * n), bytes(n), json.dumps([0.0] * n), "x" * n, n]
    return [value] if value is not None else []


def _json_values(name: str, value: Any, extra: list[Any]) -> list[Any]:
    """JSON texts for ``json_type`` / ``json_extract`` / ``json_array_length`` (at the path in
    ``extra``, when there is one) to give ``value``."""
    path = _constant(extra[0]) if extra else "$"
    if not isinstance(path, str):
        path = _json_path(extra[0])
    if "array_length" in name:
        if isinstance(value, int) and 0 <= value <= 10_000:
            return [_json_doc(path, [0] * value)]
        return []
    if "type" in name and isinstance(value, str) and value.lower() in _JSON_TYPED:
        return [_json_doc(path, _JSON_TYPED[value.lower()])]
    leaves = [value] if not isinstance(value, int | float) else [value, value + 1]
    return [_json_doc(path, leaf) for leaf in leaves]


def _json_path(node: Any) -> str:
    """``$.a.b`` for a sqlglot JSON path node (``data -> '$.a'``), else ``$``."""
    if node is None:
        return "$"
    keys = [
        str(k.this) for k in getattr(node, "expressions", []) if type(k).__name__ == "JSONPathKey"
    ]
    return "$" + "".join(f".{k}" for k in keys)


def _json_doc(path: str, leaf: Any) -> str:
    """A JSON text holding ``leaf`` at ``path`` (``$.a.b``, ``$.a[0]``), ``{}``/``[]`` made up
    on the way."""
    parts = re.findall(r"\.\"?([^.\[\]\"]+)\"?|\[(\d+)\]", path[1:] if path.startswith("$") else "")
    doc: Any = leaf
    for key, index in reversed(parts):
        doc = [*([0] * int(index)), doc] if index else {key: doc}
    return json.dumps(doc)


def _like_instances(pattern: str) -> list[str]:
    """Texts ``LIKE pattern`` accepts: ``%`` as nothing and as ``x``, ``_`` as ``x``."""
    return _unique(
        pattern.replace("%", fill).replace("_", "x") for fill in ("", "x", "example.com")
    )


def _glob_instances(pattern: str) -> list[str]:
    """Texts ``GLOB pattern`` accepts: ``*`` as nothing and as a matching character, ``?`` as
    ``x``, a ``[...]`` class as its first member (or a character outside a ``[^...]`` class)."""
    out = []
    for star in ("", "x", "0"):
        text, i = [], 0
        while i < len(pattern):
            ch = pattern[i]
            if ch == "*":
                text.append(star)
            elif ch == "?":
                text.append("x")
            elif ch == "[":
                end = pattern.find("]", i + 2)
                if end < 0:
                    text.append(ch)
                else:
                    text.append(_class_member(pattern[i + 1 : end]))
                    i = end
            else:
                text.append(ch)
            i += 1
        out.append("".join(text))
    return _unique(out)


def _class_member(body: str) -> str:
    """A character of the GLOB class ``[body]`` (``a-z``, ``^0-9``...)."""
    negated = body.startswith("^")
    members = body[1:] if negated else body
    chars: set[str] = set()
    i = 0
    while i < len(members):
        if i + 2 < len(members) and members[i + 1] == "-":
            chars.update(chr(c) for c in range(ord(members[i]), ord(members[i + 2]) + 1))
            i += 3
        else:
            chars.add(members[i])
            i += 1
    if not negated:
        return min(chars) if chars else "x"
    return next(c for c in "xyzXYZ0123456789_-" if c not in chars)


# -- solving -------------------------------------------------------------------------------------


def affine(value: Any, affinity: str) -> Any:
    """``value`` as SQLite stores it in a column of ``affinity`` (``INTEGER``, ``REAL``,
    ``NUMERIC``, ``TEXT``, ``BLOB``): numeric text becomes a number in numeric columns, numbers
    become text in TEXT ones."""
    if value is None or isinstance(value, bytes):
        return value
    if affinity in ("INTEGER", "NUMERIC", "REAL") and isinstance(value, str):
        text = value.strip()
        try:
            number: int | float = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return value
        value = number
    if affinity == "REAL" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if affinity in ("INTEGER", "NUMERIC") and isinstance(value, float) and value.is_integer():
        return int(value) if abs(value) < 2**63 else value
    if affinity == "TEXT" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


Options = Callable[[str, dict[str, Any]], list[Any]]
"""``options(column, row)``: the values worth trying for ``column`` of ``row`` (lower-cased
column name), best first."""


class Solver:
    """Evaluates the CHECKs of ``table`` on candidate rows over ``conn`` and changes rows until
    they hold. ``defaults``: ``{lower-cased column: value}`` a column left out of a row takes.
    ``usable`` is False when SQLite cannot evaluate the CHECKs apart from an insert (e.g. one
    calls a function this connection lacks); the solver then accepts every row."""

    def __init__(self, conn: sqlite3.Connection, table: Table, defaults: Mapping[str, Any]) -> None:
        self.conn = conn
        self.table = table
        self.checks = table_checks(table)
        self.names = [c.name for c in table.columns]
        self.lower = [n.lower() for n in self.names]
        self.defaults = dict(defaults)
        self.evaluations = 0
        selected = ", ".join(f"CAST(({c.text}) AS NUMERIC) IS NOT 0" for c in self.checks)
        columns = ", ".join(f"? AS {quote(n)}" for n in self.names) or "NULL"
        source = f"FROM (SELECT {columns}) AS {quote(table.name)}"
        self.sql = f"SELECT {selected} {source}"
        self.one = [f"SELECT CAST(({c.text}) AS NUMERIC) IS NOT 0 {source}" for c in self.checks]
        self.usable = bool(self.checks) and self._try()

    def _try(self) -> bool:
        """Whether SQLite can evaluate the CHECKs here: on a row of defaults, each either gives
        a value or raises what an insert would too (a malformed JSON text, not a missing
        function or column)."""
        params = [self.defaults.get(n) for n in self.lower]
        try:
            self.conn.execute(self.sql, params).fetchone()
        except drivers.Error:
            for sql in self.one:
                try:
                    self.conn.execute(f"EXPLAIN {sql}", params).fetchall()
                except drivers.Error:
                    return False
        return True

    def failing(self, row: Mapping[str, Any]) -> tuple[int, ...]:
        """Indexes (into :attr:`checks`) of the CHECKs ``row`` (``{lower-cased column: value}``,
        columns left out taking their defaults) does not meet; empty when every one holds or
        the solver is not usable."""
        if not self.usable:
            return ()
        self.evaluations += 1
        params = [row[n] if n in row else self.defaults.get(n) for n in self.lower]
        try:
            got = self.conn.execute(self.sql, params).fetchone()
        except drivers.Error:  # a CHECK raised (malformed JSON...): it fails, as on insert
            return tuple(i for i in range(len(self.checks)) if not self._holds(i, params))
        return tuple(i for i, ok in enumerate(got) if not ok)

    def _holds(self, index: int, params: list[Any]) -> bool:
        """Whether CHECK ``index`` holds for the bound ``params``; raising counts as failing."""
        sql = self.one[index]
        try:
            return bool(self.conn.execute(sql, params).fetchone()[0])
        except drivers.Error:
            return False

    def solve(
        self, row: dict[str, Any], fixed: Iterable[str], options: Options, budget: int = BUDGET
    ) -> tuple[dict[str, Any], tuple[int, ...]]:
        """``row`` (lower-cased columns) changed so that every CHECK holds, and the CHECKs still
        failing (empty on success): the columns of the first failing CHECK but ``fixed`` are
        changed to values from ``options``, one column at a time, then two, up to
        :data:`MAX_CHANGED`, keeping a change that makes fewer CHECKs fail; at most ``budget``
        evaluations."""
        current = dict(row)
        score = self.failing(current)
        if not score:
            return current, ()
        frozen = {f.lower() for f in fixed}
        stop = self.evaluations + budget
        for _ in range(len(self.checks) + 3):
            target = self.checks[score[0]]
            free = [c for c in target.columns if c not in frozen]
            best: tuple[dict[str, Any], tuple[int, ...]] | None = None
            choices = {c: [v for v in options(c, current) if v != current.get(c)] for c in free}
            for k in range(1, min(len(free), MAX_CHANGED) + 1):
                for combo in itertools.combinations(free, k):
                    for values in itertools.product(*(choices[c] for c in combo)):
                        trial = {**current, **dict(zip(combo, values, strict=True))}
                        now = self.failing(trial)
                        if not now:
                            return trial, ()
                        if score[0] not in now and (best is None or len(now) < len(best[1])):
                            best = (trial, now)
                        if self.evaluations >= stop:
                            return best or (current, score)
                if best is not None:
                    break
            if best is None:
                return current, score
            current, score = best
        return current, score


def shift(value: Any, step: int) -> Any:
    """``value`` moved by ``step``: a number plus ``step``, a date or timestamp text ``step``
    days later (same format), other text with ``step`` characters more or fewer."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value + step
    if isinstance(value, str):
        for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
            try:
                moved = datetime.strptime(value, fmt) + timedelta(days=step)
            except ValueError:
                continue
            text = moved.strftime(fmt)
            return text[:-4] + "Z" if fmt.endswith(".%fZ") else text
        return value + "z" * step if step > 0 else value[:step] or value
    return value
