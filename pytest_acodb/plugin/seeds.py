"""Seeds of the test data: one run seed, and per test a seed derived from it and the node id.

The run seed is ``--acodb-seed N`` (ini ``acodb_seed``), else the xdist controller's, else a random
32-bit number printed in the report header; each test's data (factories, Faker, the row
synthesiser) is seeded from :func:`test_seed`, which depends on nothing but the run seed and the
test's own node id, so adding, removing or reordering tests never changes another test's data.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

import pytest

from .settings import SETTINGS_KEY

if TYPE_CHECKING:
    from datetime import datetime

RUN_SEED_KEY = pytest.StashKey[int]()
"""The run seed on ``config.stash`` (see :func:`choose_run_seed`)."""


def choose_run_seed(config: pytest.Config) -> int:
    """The run seed: ``--acodb-seed``, else the xdist controller's, else a random 32-bit one."""
    settings = config.stash[SETTINGS_KEY]
    if settings.seed is not None:
        return settings.seed
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "acodb_seed" in workerinput:
        return int(workerinput["acodb_seed"])
    return int.from_bytes(os.urandom(4), "big")


def test_seed(run_seed: int, nodeid: str) -> int:
    """The 64-bit seed of one test's data: SHA-256 of ``"<run seed>:<node id>"``, first 8 bytes."""
    digest = hashlib.sha256(f"{run_seed}:{nodeid}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


test_seed.__test__ = False  # type: ignore[attr-defined]  # not a test, whatever its name

SEEDS_KEY = pytest.StashKey[dict[str, int]]()
"""The test seeds of a session's items by node id, on ``session.stash`` (see :func:`seed_of`)."""


def seed_of(item: pytest.Item) -> int:
    """:func:`test_seed` of the run seed and ``item``'s node id.

    The first call in a session computes the seeds of all its collected items at once and keeps
    them: in one loop, hashing costs about a microsecond a test, where a hash between two tests
    (its code and tables out of the CPU's caches) costs twenty. An item the session did not
    collect (added later) gets its seed computed on its own, the same value.
    """
    session = item.session
    seeds = session.stash.get(SEEDS_KEY, None)
    run_seed = item.config.stash[RUN_SEED_KEY]
    if seeds is None:
        seeds = {other.nodeid: test_seed(run_seed, other.nodeid) for other in session.items}
        session.stash[SEEDS_KEY] = seeds
    seed = seeds.get(item.nodeid)
    return test_seed(run_seed, item.nodeid) if seed is None else seed


def seed_data(seed: int | None) -> None:
    """Seed the kit's factories, factory_boy's and Faker's generators with ``seed`` (see
    :func:`pytest_acodb.synth.factories.reseed`); ``None`` unpins the factories' clock."""
    from ..synth.factories import base

    base.reseed(seed)


DataState = tuple["datetime | None", tuple[object, object]]
"""The factories' pinned "now" and factory_boy's and Faker's generator states."""


def data_state() -> DataState:
    """The seeding state of the data: the factories' pinned "now" and the generators' states
    (:func:`generator_state`), for :func:`restore_data_state`."""
    from ..synth.factories import base

    return base.pinned_now(), generator_state()


def restore_data_state(state: DataState) -> None:
    """Put back the state :func:`data_state` read."""
    from ..synth.factories import base

    moment, generators = state
    base.pin_now(moment)
    restore_generator_state(generators)


def generator_state() -> tuple[object, object]:
    """The states of factory_boy's and Faker's random generators (to put back with
    :func:`restore_generator_state`)."""
    from factory.random import randgen
    from faker.generator import random as faker_random

    return randgen.getstate(), faker_random.getstate()


def restore_generator_state(state: tuple[object, object]) -> None:
    """Put back the generator states :func:`generator_state` read."""
    from factory.random import randgen
    from faker.generator import random as faker_random

    randgen.setstate(state[0])  # type: ignore[arg-type]
    faker_random.setstate(state[1])  # type: ignore[arg-type]
