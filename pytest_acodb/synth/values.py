"""Values a project supplies for its own columns, for every row the kit makes.

The synthesiser makes rows from the schema alone; some columns hold what no schema says (a URL
the application parses, a singleton's id, a key an extension checks). A :class:`ValueProviders`
maps ``table.column`` (or ``*.column``, any table) to a constant or to a callable that makes the
value from a running number, so row ``n`` can differ from row ``n + 1``::

    ValueProviders({
        "feeds.url": "https://example.com/feed.xml",
        "users.email": lambda n: f"user{n}@example.com",
        "*.tenant_id": 1,
    })

:class:`~pytest_acodb.synth.rows.RowSynth` takes one (``values=``) and never second-guesses a
supplied value; the built-in checks and ``acodb_rows`` get theirs from the
``pytest_acodb_values`` hook and the ``acodb_values`` ini key (:meth:`ValueProviders.from_lines`).
"""

from __future__ import annotations

import inspect
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ..errors import ValueKeyError

Provider = Any
"""A supplied value: a constant, or a callable taking the row's running number (``int``) or
nothing, returning the value."""

ANY_TABLE = "*"
"""The table part of a key that supplies a column of every table (``*.created_by``)."""

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold(name: str) -> str:
    """``name`` as SQLite compares identifiers: ASCII letters in lower case, others as they are
    (``CAFÉ`` and ``café`` are two tables to SQLite)."""
    return name.translate(_ASCII_LOWER)


def key_parts(key: str) -> tuple[str, str]:
    """``(table, column)`` of a ``table.column`` key, split at its last dot, each stripped of
    spaces and :func:`fold`-ed (``table`` is ``*`` for a key of every table)."""
    table, _, column = str(key).strip().rpartition(".")
    return fold(table.strip()), fold(column.strip())


class ValueProviders(Mapping[str, Provider]):
    """Supplied values by ``table.column`` key, compared as SQLite compares names (:func:`fold`).

    A read-only mapping of its keys as given; :meth:`lookup` and :meth:`value` are what the
    synthesiser calls. Raises :class:`~pytest_acodb.errors.ValueKeyError` for a key that is not
    ``table.column``."""

    def __init__(self, values: Mapping[str, Provider] | None = None) -> None:
        self._given: dict[str, Provider] = {}
        self._by_key: dict[tuple[str, str], Provider] = {}
        self._takes_n: dict[int, bool] = {}
        for key, provider in (values or {}).items():
            table, dot, column = str(key).strip().rpartition(".")
            if not dot or not table or not column:
                raise ValueKeyError(
                    str(key),
                    f"value key {key!r} must be table.column (or *.column for every table), "
                    "e.g. users.email",
                )
            self._given[str(key)] = provider
            self._by_key[key_parts(str(key))] = provider

    # -- Mapping -----------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Provider:
        return self._given[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._given)

    def __len__(self) -> int:
        return len(self._given)

    def __repr__(self) -> str:
        return f"ValueProviders({sorted(self._given)})"  # keys only: values may be secrets

    # -- look-ups ----------------------------------------------------------------------------

    def supplies(self, table: str, column: str) -> bool:
        """True when a value is supplied for ``table.column`` (or ``*.column``)."""
        return self._find(table, column) is not None

    def lookup(self, table: str, column: str) -> tuple[Provider] | None:
        """``(provider,)`` for ``table.column`` (an exact key wins over ``*.column``), or
        ``None`` when none is supplied."""
        return self._find(table, column)

    def value(self, table: str, column: str, n: int) -> Any:
        """The value supplied for ``table.column`` in row number ``n`` (a callable is called
        with ``n``, or with nothing when it takes no argument). Raises :class:`KeyError` when
        none is supplied."""
        found = self._find(table, column)
        if found is None:
            raise KeyError(f"{table}.{column}")
        provider = found[0]
        if not callable(provider):
            return provider
        return provider(n) if self._wants_n(provider) else provider()

    def unmatched(self, columns: Mapping[str, Iterable[str]]) -> list[str]:
        """The keys, as given and in order, that supply no column of ``columns`` (``{table:
        column names}``): a table it lacks, a column its table lacks, or a ``*.column`` that no
        table has. Names compare as SQLite compares them (:func:`key_parts`)."""
        tables: dict[str, set[str]] = {}
        for table, names in columns.items():
            tables.setdefault(fold(table), set()).update(fold(c) for c in names)
        everywhere = set().union(*tables.values())
        found = []
        for key in self._given:
            table, column = key_parts(key)
            if column not in (everywhere if table == ANY_TABLE else tables.get(table, ())):
                found.append(key)
        return found

    def merged(self, other: Mapping[str, Provider] | None) -> ValueProviders:
        """A new :class:`ValueProviders` with ``other``'s keys added (``other`` wins)."""
        return ValueProviders({**self._given, **dict(other or {})})

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> ValueProviders:
        """Values from ini lines ``table.column = value`` (blank lines and ``#`` comments
        skipped; several per line separated by ``,``, commas inside quotes kept).
        A value is read as an integer, a real, ``NULL`` (``None``), ``'quoted text'`` or else
        the text as written. Raises :class:`~pytest_acodb.errors.ValueKeyError` naming a line
        without ``=`` by its number, never its text (it may hold a value)."""
        values: dict[str, Provider] = {}
        for number, raw in enumerate(lines, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = [line] if line.count("=") == 1 else _split(line)
            for part in parts:
                key, eq, text = part.partition("=")
                if not eq or not key.strip():
                    raise ValueKeyError(
                        raw.strip(),
                        f"acodb_values line {number} (ini lines and --acodb-value options, in "
                        "order) has an entry without '=': write table.column = value (a line "
                        "with several '=' is cut at commas outside quotes: quote a value that "
                        "holds a comma)",
                    )
                values[key.strip()] = literal(text.strip())
        return cls(values)

    # -- internals ---------------------------------------------------------------------------

    def _find(self, table: str, column: str) -> tuple[Provider] | None:
        key = (fold(table), fold(column))
        if key in self._by_key:
            return (self._by_key[key],)
        wild = (ANY_TABLE, fold(column))
        return (self._by_key[wild],) if wild in self._by_key else None

    def _wants_n(self, provider: Callable[..., Any]) -> bool:
        known = self._takes_n.get(id(provider))
        if known is None:
            try:
                params = inspect.signature(provider).parameters.values()
            except (TypeError, ValueError):  # a builtin without a signature: give it n
                known = True
            else:
                known = any(
                    p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
                    for p in params
                )
            self._takes_n[id(provider)] = known
        return known


def _split(line: str) -> list[str]:
    """``line`` cut at the commas outside single quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in line:
        if ch == "'":
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    return [*parts, "".join(current)]


def literal(text: str) -> Any:
    """An ini value as Python: ``12`` -> 12, ``1.5`` -> 1.5, ``NULL`` -> None, ``'a b'`` ->
    ``"a b"`` (SQL quoting, ``''`` for a quote), anything else the text itself."""
    if text.upper() == "NULL":
        return None
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


NO_VALUES = ValueProviders()
"""No value supplied."""
