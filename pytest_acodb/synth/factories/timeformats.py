"""How a schema writes its timestamps, read from a sample value, and writing instants that way.

A schema keeps instants as RFC 3339 text (``2025-01-15T12:34:56.789Z``), as SQLite's own text
(``2025-01-15 12:34:56``, what ``CURRENT_TIMESTAMP`` gives), as dates (``2025-01-15``), as unix
seconds or milliseconds (integers), or as Julian day numbers (reals). :func:`from_sample`
recognises each from one stored value (a default evaluated by SQLite, or a row already there);
:meth:`TimeFormat.write` turns a tz-aware ``datetime`` into a stored value of that format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["DATE", "RFC3339_MS", "SQLITE_TEXT", "UNIX", "UNIX_MS", "TimeFormat", "from_sample"]

_JULIAN_UNIX_EPOCH = 2440587.5
"""The Julian day number of 1970-01-01T00:00:00Z."""


@dataclass(frozen=True)
class TimeFormat:
    """One way of storing an instant.

    ``kind``: ``text`` (``date`` + ``separator`` + time, ``fraction`` digits of seconds, then
    ``zone``: ``"Z"``, ``"+00:00"`` or ``""``), ``date`` (``YYYY-MM-DD``), ``unix`` (integer
    seconds), ``unix_ms`` (integer milliseconds), ``unix_real`` (real seconds) or ``julian``
    (real Julian day number, SQLite's ``julianday()``).
    """

    kind: str
    separator: str = "T"
    fraction: int = 0
    zone: str = ""

    def write(self, instant: datetime) -> Any:
        """``instant`` (tz-aware; converted to UTC) as this format stores it: ``str``, ``int``
        or ``float``. Raises ``ValueError`` for a naive datetime."""
        if instant.tzinfo is None:
            raise ValueError(f"naive datetime {instant.isoformat()}: pass a tz-aware one")
        utc = instant.astimezone(UTC)
        seconds = utc.timestamp()
        if self.kind == "unix":
            return int(seconds)
        if self.kind == "unix_ms":
            return round(seconds * 1000)
        if self.kind == "unix_real":
            return round(seconds, 3)
        if self.kind == "julian":
            return round(_JULIAN_UNIX_EPOCH + seconds / 86400, 8)
        if self.kind == "date":
            return utc.strftime("%Y-%m-%d")
        text = utc.strftime(f"%Y-%m-%d{self.separator}%H:%M:%S")
        if self.fraction:
            text += "." + f"{utc.microsecond:06d}"[: self.fraction].ljust(self.fraction, "0")
        return text + self.zone

    @property
    def numeric(self) -> bool:
        """True when stored values are numbers rather than text."""
        return self.kind in ("unix", "unix_ms", "unix_real", "julian")


RFC3339_MS = TimeFormat("text", "T", 3, "Z")
"""``2025-01-15T12:34:56.789Z``: the bundled schema's format, and the default for text."""
SQLITE_TEXT = TimeFormat("text", " ", 0, "")
"""``2025-01-15 12:34:56``: what SQLite's ``CURRENT_TIMESTAMP`` and ``datetime()`` give."""
DATE = TimeFormat("date")
"""``2025-01-15``: what ``CURRENT_DATE`` and ``date()`` give."""
UNIX = TimeFormat("unix")
"""Integer seconds since 1970-01-01 UTC (``unixepoch()``, ``strftime('%s')``)."""
UNIX_MS = TimeFormat("unix_ms")
"""Integer milliseconds since 1970-01-01 UTC."""

_TEXT = re.compile(
    r"^\d{4}-\d\d-\d\d(?:(?P<sep>[T ])\d\d:\d\d(?::\d\d(?:\.(?P<frac>\d+))?)?"
    r"(?P<zone>Z|[+-]\d\d:?\d\d)?)?$"
)


def from_sample(value: Any) -> TimeFormat | None:
    """The format ``value`` (a stored timestamp) is written in, or ``None`` when it is no
    timestamp: text such as ``2025-01-15T12:34:56.789Z``, ``2025-01-15 12:34:56`` or
    ``2025-01-15``; integers between 2001 and 2286 in seconds (or in milliseconds); reals in
    that range as unix seconds, or between Julian days 2415020 and 2488069 (1900-2100)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if 10**9 <= value < 10**10:
            return UNIX
        if 10**12 <= value < 10**13:
            return UNIX_MS
        return None
    if isinstance(value, float):
        if 2415020 <= value <= 2488069:
            return TimeFormat("julian")
        if 10**9 <= value < 10**10:
            return TimeFormat("unix_real")
        return None
    if not isinstance(value, str):
        return None
    found = _TEXT.match(value.strip())
    if found is None:
        if value.strip().isdigit():
            return from_sample(int(value.strip()))
        return None
    if found.group("sep") is None:
        return DATE
    zone = found.group("zone") or ""
    if zone and zone != "Z":
        zone = "+00:00" if ":" in zone else "+0000"
    return TimeFormat("text", found.group("sep"), len(found.group("frac") or ""), zone)
