# factory_boy ships py.typed but leaves Faker._get_faker unannotated.
# mypy: disable-error-code="no-untyped-call"
"""Realistic values for a column, chosen from its name and type: which Faker provider to call.

:func:`profile` reads a column (name, declared type, affinity) into a :class:`Profile`: the kind
of value (``text``, ``integer``, ``real``, ``blob``, ``boolean``, ``timestamp``, ``date``,
``json``, ``uuid``, ``vector``) and, for text and numbers, the provider (``email``, ``url``,
``person``, ``title``, ``price``, ``count``...). :func:`draw` makes one value of a profile with
factory_boy's shared Faker and random generator (both reseeded by
:func:`~pytest_acodb.synth.factories.base.reseed`), so the same seed gives the same values.
Values here are realistic, not yet valid: :mod:`.constraints` fits them to the column's CHECKs.
"""

from __future__ import annotations

import json
import random
import re
import struct
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ...schema import Column

__all__ = ["Profile", "draw", "profile", "tokens"]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def tokens(name: str) -> tuple[str, ...]:
    """The lower-case words of a column or table name: ``userEmail`` and ``user_email`` are
    ``("user", "email")``."""
    return tuple(t for t in re.split(r"[^a-z0-9]+", _CAMEL.sub("_", name).lower()) if t)


@dataclass(frozen=True)
class Profile:
    """What kind of value a column gets: ``kind`` (see the module doc), ``provider`` (a name
    from :data:`TEXT_PROVIDERS` or :data:`NUMBER_RANGES`, or ``""``), ``size`` (bytes of a
    blob, floats of a vector, hex digits), ``array`` (a JSON column holding a list),
    ``pattern`` (for ``like``: a value whose shape to copy, letter for letter and digit for
    digit)."""

    kind: str
    provider: str = ""
    size: int = 0
    array: bool = False
    pattern: str = ""


# -- reading a column ------------------------------------------------------------------------

_BOOLEAN = frozenset(
    [
        "is",
        "has",
        "can",
        "should",
        "allow",
        "allows",
        "enabled",
        "disabled",
        "active",
        "inactive",
        "deleted",
        "archived",
        "verified",
        "visible",
        "hidden",
        "public",
        "private",
        "published",
        "pinned",
        "read",
        "seen",
        "locked",
        "flag",
        "flagged",
        "done",
        "approved",
        "default",
        "primary",
        "starred",
        "favorite",
        "favourite",
        "muted",
        "blocked",
        "banned",
        "confirmed",
        "required",
        "optional",
        "admin",
    ]
)
_TIME_LAST = frozenset(["at", "time", "timestamp", "ts", "datetime", "heartbeat"])
_TIME_NAMES = frozenset(
    [
        "created",
        "updated",
        "modified",
        "deleted",
        "timestamp",
        "time",
        "expires",
        "expiry",
        "deadline",
        "date",
        "since",
        "until",
    ]
)
_DATE_LAST = frozenset(["on", "date", "day", "birthday", "dob"])
_JSON_WORDS = frozenset(
    [
        "json",
        "metadata",
        "meta",
        "settings",
        "config",
        "configuration",
        "options",
        "preferences",
        "prefs",
        "payload",
        "attributes",
        "attrs",
        "properties",
        "props",
        "params",
        "parameters",
        "arguments",
        "args",
        "extra",
        "extras",
        "context",
        "headers",
        "annotations",
    ]
)
_PERSON_TABLES = frozenset(
    [
        "user",
        "users",
        "person",
        "people",
        "persons",
        "customer",
        "customers",
        "author",
        "authors",
        "member",
        "members",
        "employee",
        "employees",
        "contact",
        "contacts",
        "account",
        "accounts",
        "owner",
        "owners",
        "player",
        "players",
        "student",
        "students",
        "teacher",
        "teachers",
        "speaker",
        "speakers",
        "patient",
        "patients",
        "profile",
        "profiles",
    ]
)
_COMPANY_TABLES = frozenset(
    [
        "company",
        "companies",
        "organization",
        "organizations",
        "organisation",
        "organisations",
        "org",
        "orgs",
        "vendor",
        "vendors",
        "supplier",
        "suppliers",
        "tenant",
        "tenants",
        "team",
        "teams",
    ]
)
_VECTOR = re.compile(r"^(?:FLOAT|F32_BLOB|FLOAT32|VECTOR)\s*[\[(]\s*(\d+)\s*[\])]$")

TEXT_PROVIDERS: tuple[tuple[frozenset[str], str], ...] = tuple(
    (frozenset(words.split()), provider)
    for words, provider in (
        ("email mail", "email"),
        ("avatar image icon logo photo picture thumbnail cover banner", "image_url"),
        ("url uri link href website homepage endpoint callback webhook", "url"),
        ("ip ipv4 addr", "ipv4"),
        ("ipv6", "ipv6"),
        ("mac", "mac"),
        ("phone mobile tel telephone fax", "phone"),
        ("firstname given", "first_name"),
        ("lastname surname family", "last_name"),
        ("username login handle nick nickname screen", "user_name"),
        ("company organization organisation org vendor brand publisher employer", "company"),
        ("title subject headline heading caption label", "title"),
        (
            "description body content text notes note comment comments message bio about "
            "details excerpt abstract reason feedback review instructions prompt answer "
            "summary",
            "paragraph",
        ),
        ("slug", "slug"),
        ("street address line line1 line2 address1 address2", "address"),
        ("city town", "city"),
        ("country", "country"),
        ("state province region", "state"),
        ("zip postal postcode zipcode", "postcode"),
        ("currency", "currency"),
        ("language lang", "language"),
        ("locale", "locale"),
        ("timezone tz zone", "timezone"),
        ("color colour", "color"),
        ("mime mimetype media", "mime"),
        ("path dir directory folder", "path"),
        ("filename file", "file_name"),
        ("extension ext", "extension"),
        ("hash digest checksum sha sha256 sha1 md5 etag fingerprint", "hash"),
        ("token secret apikey nonce salt signature", "token"),
        ("password passwd pwd", "password"),
        ("uuid guid", "uuid"),
        ("version", "version"),
        ("code sku ref reference", "code"),
        ("domain host hostname", "domain"),
        ("agent useragent", "user_agent"),
        ("job occupation profession", "job"),
        ("tags keywords", "tags"),
        ("name", "name"),
        ("status state kind type category role level mode", "word"),
    )
)
"""Text providers in order of precedence, each with the name words that choose it."""

NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "price": (100, 100_000),
    "count": (1, 100),
    "age": (18, 90),
    "year": (1990, 2025),
    "month": (1, 12),
    "day": (1, 28),
    "hour": (0, 23),
    "minute": (0, 59),
    "port": (1024, 65535),
    "size": (1, 100_000),
    "position": (0, 20),
    "rating": (1, 5),
    "percent": (0, 100),
    "ratio": (0, 1),
    "latitude": (-90, 90),
    "longitude": (-180, 180),
    "identifier": (1, 1_000_000),
    "big": (1, 2**62),
    "": (0, 1000),
}
"""``(low, high)`` of the numbers each numeric provider draws from."""

_NUMBER_WORDS: tuple[tuple[frozenset[str], str], ...] = tuple(
    (frozenset(words.split()), provider)
    for words, provider in (
        ("lat latitude", "latitude"),
        ("lng lon long longitude", "longitude"),
        ("price cost amount balance total fee fees cents salary revenue budget", "price"),
        ("count num number qty quantity", "count"),
        ("age", "age"),
        ("year", "year"),
        ("month", "month"),
        ("day", "day"),
        ("hour", "hour"),
        ("minute", "minute"),
        ("port", "port"),
        (
            "size bytes length width height duration ms millis secs seconds timeout elapsed",
            "size",
        ),
        (
            "position sequence seq order ordering sort rank index idx priority level step "
            "attempt attempts retries retry version",
            "position",
        ),
        ("rating stars", "rating"),
        ("percent pct progress", "percent"),
        ("rate ratio score confidence probability weight", "ratio"),
        ("id", "identifier"),
    )
)


_PHRASES = {
    "postal code": "postcode",
    "zip code": "postcode",
    "country code": "country_code",
    "currency code": "currency",
    "language code": "language",
    "state code": "state_code",
    "first name": "first_name",
    "last name": "last_name",
    "full name": "person",
    "display name": "person",
    "user name": "user_name",
    "user agent": "user_agent",
    "ip address": "ipv4",
    "phone number": "phone",
    "mime type": "mime",
    "content type": "mime",
    "media type": "mime",
    "file name": "file_name",
    "file path": "path",
    "api key": "token",
    "access token": "token",
    "refresh token": "token",
    "password hash": "hash",
}
"""Two-word endings of a name that choose a text provider before its single words do."""


def _choose(words: tuple[str, ...], table: tuple[tuple[frozenset[str], str], ...]) -> str:
    """The provider of the first entry of ``table`` whose words meet ``words``; the last word of
    the name counts first (``user_email`` is an email, ``email_verified`` is not)."""
    if table is TEXT_PROVIDERS and " ".join(words[-2:]) in _PHRASES:
        return _PHRASES[" ".join(words[-2:])]
    for word in (words[-1:], words):
        for names, provider in table:
            if names.intersection(word):
                return provider
    return ""


def _is_time(words: tuple[str, ...], name: str) -> bool:
    return bool(words) and (words[-1] in _TIME_LAST or name.lower() in _TIME_NAMES)


def profile(table: str, column: Column, *, json_hint: bool = False) -> Profile:
    """The :class:`Profile` of ``column`` of ``table``: by declared type first (``BOOLEAN``,
    ``DATE``, ``DATETIME``, ``JSON``, ``UUID``, ``FLOAT[512]`` vectors), then by affinity and
    name (``*_at`` timestamps, ``is_*`` flags, ``email``, ``price``...). ``json_hint``: the
    CHECKs or the default say the column holds JSON."""
    declared, affinity = column.type.upper().strip(), column.affinity
    words = tokens(column.name)
    vector = _VECTOR.match(declared)
    if vector:
        return Profile("vector", size=int(vector.group(1)))
    if "JSON" in declared or json_hint:
        return Profile("json", array=bool(words) and words[-1] in ("tags", "labels", "items"))
    if "BOOL" in declared:
        return Profile("boolean")
    if declared == "UUID" or (declared == "BLOB" and _choose(words, TEXT_PROVIDERS) == "uuid"):
        return Profile("uuid", size=16 if affinity == "BLOB" else 0)
    if declared == "DATE" or (affinity == "TEXT" and words and words[-1] in _DATE_LAST):
        return Profile("date")
    if "TIMESTAMP" in declared or "DATETIME" in declared or _is_time(words, column.name):
        return Profile("timestamp")
    if declared == "TIME":
        return Profile("time")
    if affinity in ("INTEGER", "NUMERIC") and words and words[0] in _BOOLEAN:
        return Profile("boolean")
    if affinity in ("INTEGER", "REAL"):
        return Profile(affinity.lower(), _choose(words, _NUMBER_WORDS))
    if affinity == "NUMERIC":
        provider = _choose(words, _NUMBER_WORDS)
        kind = "real" if "DEC" in declared or "NUMERIC(" in declared else "integer"
        return Profile(kind, provider)
    if affinity == "BLOB" and declared:
        return Profile("blob", "hash" if _choose(words, TEXT_PROVIDERS) == "hash" else "")
    provider = _choose(words, TEXT_PROVIDERS)
    if provider == "name":
        tables = set(tokens(table))
        if tables & _PERSON_TABLES or {"full", "display", "author", "contact"} & set(words):
            provider = "person"
        elif tables & _COMPANY_TABLES:
            provider = "company"
    if not provider and set(words) & _JSON_WORDS and words[-1] != "id":
        return Profile("json")
    if not provider and words and words[-1] in ("id", "key") and column.pk:
        provider = "uuid"
    return Profile("text", provider)


# -- drawing a value -------------------------------------------------------------------------


def _fake() -> Any:
    """factory_boy's shared en_US ``faker.Faker`` (its randomness is factory_boy's seed)."""
    from factory.faker import Faker

    return Faker._get_faker()


def _rng() -> random.Random:
    from factory.random import randgen

    return randgen


_FAKER_METHODS = {
    "email": "email",
    "image_url": "image_url",
    "url": "url",
    "ipv4": "ipv4_public",
    "ipv6": "ipv6",
    "mac": "mac_address",
    "phone": "phone_number",
    "first_name": "first_name",
    "last_name": "last_name",
    "user_name": "user_name",
    "company": "company",
    "person": "name",
    "slug": "slug",
    "address": "street_address",
    "city": "city",
    "country": "country",
    "country_code": "country_code",
    "state": "state",
    "state_code": "state_abbr",
    "language_code": "language_code",
    "currency_code": "currency_code",
    "postcode": "postcode",
    "currency": "currency_code",
    "language": "language_code",
    "locale": "locale",
    "timezone": "timezone",
    "color": "hex_color",
    "mime": "mime_type",
    "file_name": "file_name",
    "extension": "file_extension",
    "hash": "sha256",
    "password": "password",
    "domain": "domain_name",
    "user_agent": "user_agent",
    "job": "job",
    "word": "word",
}
"""Text providers that are one Faker method called with no arguments."""


def _text(provider: str) -> str:
    fake, rng = _fake(), _rng()
    method = _FAKER_METHODS.get(provider)
    if method is not None:
        return str(getattr(fake, method)())
    if provider == "title":
        return str(fake.sentence(nb_words=4)).rstrip(".")
    if provider == "paragraph":
        return str(fake.paragraph(nb_sentences=2))
    if provider == "path":
        return str(fake.file_path(depth=2))
    if provider == "token":
        return f"{rng.getrandbits(160):040x}"
    if provider == "uuid":
        return str(fake.uuid4())
    if provider == "version":
        return f"{rng.randint(0, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
    if provider == "code":
        return str(fake.bothify("??-####")).upper()
    if provider == "tags":
        return ",".join(fake.words(nb=3))
    if provider == "name":
        return " ".join(w.capitalize() for w in fake.words(nb=2))
    return " ".join(fake.words(nb=2))


def _json(array: bool) -> Any:
    fake, rng = _fake(), _rng()
    if array:
        return list(fake.words(nb=rng.randint(1, 4)))
    return {
        "source": fake.word(),
        "enabled": rng.random() < 0.5,
        "count": rng.randint(0, 100),
        "tags": list(fake.words(nb=2)),
    }


def _number(profile: Profile) -> int | float:
    rng = _rng()
    low, high = NUMBER_RANGES.get(profile.provider, NUMBER_RANGES[""])
    if profile.kind == "integer":
        return rng.randint(int(low), int(high))
    value: float = rng.uniform(low, high)
    return round(value, 6 if profile.provider in ("latitude", "longitude") else 2)


def draw(profile: Profile, anchor: datetime) -> Any:
    """One realistic value of ``profile`` in its Python form: ``str``, ``int``, ``float``,
    ``bytes``, ``bool`` (``boolean``), a tz-aware ``datetime`` (``timestamp``, ``date``: at or
    after ``anchor``, the row's time), a ``dict`` or ``list`` (``json``), a ``str`` UUID (or
    16 bytes for ``size`` 16)."""
    rng = _rng()
    kind = profile.kind
    if kind == "timestamp":
        return anchor + timedelta(milliseconds=rng.randint(0, 600_000))
    if kind == "date":
        return anchor + timedelta(hours=rng.randint(0, 6))
    if kind == "time":
        return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "json":
        return _json(profile.array)
    if kind == "uuid":
        value = uuid.UUID(int=rng.getrandbits(128), version=4)
        return value.bytes if profile.size == 16 else str(value)
    if kind == "vector":
        return struct.pack(f"<{profile.size}f", *(rng.uniform(-1, 1) for _ in range(profile.size)))
    if kind == "blob":
        size = profile.size or (32 if profile.provider == "hash" else rng.randint(16, 48))
        return rng.getrandbits(size * 8).to_bytes(size, "big")
    if kind == "hex":
        digits = f"{rng.getrandbits(profile.size * 4):0{profile.size}x}"
        return digits.upper() if profile.provider == "upper" else digits
    if kind == "like":
        return "".join(_like(c, rng) for c in profile.pattern)
    if kind in ("integer", "real"):
        return _number(profile)
    return _text(profile.provider)


def like(sample: Any) -> Profile | None:
    """The profile of values shaped like ``sample`` (what a non-constant ``DEFAULT`` gave: a
    UUID, hex digits, bytes, a big random integer, text), or ``None`` when there is none."""
    if isinstance(sample, bytes):
        return Profile("blob", size=len(sample))
    if isinstance(sample, bool) or sample is None:
        return None
    if isinstance(sample, int):
        return Profile("integer", "big" if abs(sample) > 2**31 else "")
    if isinstance(sample, float):
        return Profile("real")
    text = str(sample)
    if re.fullmatch(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", text
    ):
        return Profile("uuid")
    if text and re.fullmatch(r"[0-9a-f]+|[0-9A-F]+", text):
        return Profile("hex", "upper" if text.isupper() else "lower", size=len(text))
    return Profile("like", pattern=text) if text else None


def _like(char: str, rng: random.Random) -> str:
    if char.isdigit():
        return str(rng.randint(0, 9))
    if char.isalpha() and char.isascii():
        letter = chr(rng.randint(ord("a"), ord("z")))
        return letter.upper() if char.isupper() else letter
    return char


def stored(value: Any) -> Any:
    """``value`` as a pass-through column stores it: JSON text for a ``dict``/``list``, ``0``/
    ``1`` for a ``bool``; anything else unchanged (a ``datetime`` is the caller's to format)."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    return value
