"""factory_boy factories for any schema, and the base every factory of the kit derives from.

* :func:`generate` makes one factory per table of a migrations directory, a database or a
  schema snapshot: realistic values (Faker providers chosen by column name and type, timestamps
  in the schema's own format), valid by construction (NOT NULL, CHECK, UNIQUE, foreign keys
  through ``SubFactory``), traits from CHECK value lists, seeded like every factory of the kit.
  In a test, ``acodb_factories`` holds them for the configured migrations.
* :class:`AcodbFactory` is the base for hand-written factories of a team's own models: they
  write to the test's ``acodb_session`` and commit.
* :func:`reseed` is what the plugin calls before each test (same seed, same rows).
"""

from __future__ import annotations

from .base import REFERENCE_TIME, AcodbFactory, FlagTrait, building_fixture, now, reseed
from .constraints import ValueProvider
from .generate import Factories, GeneratedFactory, generate
from .plan import Limit

__all__ = [
    "REFERENCE_TIME",
    "AcodbFactory",
    "Factories",
    "FlagTrait",
    "GeneratedFactory",
    "Limit",
    "ValueProvider",
    "building_fixture",
    "generate",
    "now",
    "reseed",
]
