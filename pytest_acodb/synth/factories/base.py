# factory_boy ships py.typed but leaves its declarations unannotated: every call is "untyped".
# mypy: disable-error-code="no-untyped-call"
"""The base of every factory of the kit: :class:`AcodbFactory` writes to the test's session.

Generated factories (:func:`pytest_acodb.synth.factories.generate`), the bundled acolib ones and
hand-written factories for a team's own models all derive from :class:`AcodbFactory`:

* they write to the session :func:`~pytest_acodb.synth.session.current_session` gives (the
  test's ``acodb_session``; outside pytest, :func:`~pytest_acodb.synth.session.bind_session`);
* ``create()`` commits the row and the parents its ``SubFactory`` declarations made in one
  commit, ``create_batch(n)`` all ``n`` rows and their parents in one flush and one commit;
* a keyword named like a column whose attribute has another name (``metadata=`` for the
  attribute ``metadata_``) sets that attribute;
* :func:`reseed` makes every factory's data a function of a seed alone (sequences restart, the
  data's "now" is pinned to :data:`REFERENCE_TIME`);
* with pytest-factoryboy, a model fixture reached through another model's ``SubFactory``
  fixture gets that ``SubFactory``'s keyword arguments (:func:`building_fixture`).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from factory import enums
from factory.alchemy import SQLAlchemyModelFactory, SQLAlchemyOptions
from factory.declarations import SubFactory, Trait
from factory.random import randgen
from faker.generator import random as faker_random

from ..session import current_session

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "REFERENCE_TIME",
    "AcodbFactory",
    "FlagTrait",
    "building_fixture",
    "now",
    "reseed",
]

REFERENCE_TIME = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)
"""The "now" of seeded test data (see :func:`reseed`), so one seed always gives the same rows."""

_pinned_now: datetime | None = None

_factories: weakref.WeakSet[type[AcodbFactory]] = weakref.WeakSet()
"""Every factory class derived from :class:`AcodbFactory` that is still alive."""

_sequenced: weakref.WeakSet[type[AcodbFactory]] = weakref.WeakSet()
"""The factories whose sequence may not be at 0: new ones, and the owners of every counter
advanced or reset since the last :func:`reseed`, which restarts only these (a schema's
generated factories number one per table, and most tests use a few)."""


def now() -> datetime:
    """The data's "now" (tz-aware UTC, truncated to milliseconds, the precision the kit's
    timestamps keep): :data:`REFERENCE_TIME` after :func:`reseed` with a seed, else the clock."""
    current = _pinned_now or datetime.now(UTC)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def pinned_now() -> datetime | None:
    """The "now" :func:`reseed` pinned (``None`` when the clock is free); :func:`pin_now` puts
    it back."""
    return _pinned_now


def pin_now(moment: datetime | None) -> None:
    """Pin :func:`now` to ``moment`` (``None``: free the clock), as :func:`pinned_now` read it."""
    global _pinned_now
    _pinned_now = moment


def reseed(seed: int | None) -> None:
    """Make every factory's data a function of ``seed`` alone, or free the clock with ``None``.

    With a seed: reseeds factory_boy's and Faker's generators, restarts the sequence of every
    factory derived from :class:`AcodbFactory` at 0, and pins :func:`now` to
    :data:`REFERENCE_TIME`, so the same seed gives the same rows whatever ran before. ``None``
    unpins the clock (randomness stays seeded). The plugin calls it before every test that uses
    the kit's database, with the test's ``acodb_seed``.
    """
    global _pinned_now
    if seed is None:
        _pinned_now = None
        return
    # What factory_boy's reseed_random(seed) does (both generators end in the state of
    # random.Random(seed); tested), without its copy of the state through a 625-tuple: a
    # third of the cost, and this runs in every test that uses the kit's data.
    randgen.seed(seed)
    randgen.state_set = True  # type: ignore[attr-defined]
    faker_random.seed(seed)
    for factory_class in list(_sequenced):
        options: Any = factory_class._meta
        if not options.abstract and options.counter_reference is options:
            factory_class.reset_sequence(0)
    _sequenced.clear()
    _pinned_now = REFERENCE_TIME


class FlagTrait(Trait):
    """A factory_boy ``Trait`` whose flag is also declared, as ``False``.

    factory_boy reads every trait's flag on every build; an undeclared flag is a failed lookup
    whose error message formats every value resolved so far (a parent row's ``repr``
    included), a fifth of the time of building a row. Declared, the lookup is a dict hit;
    ``XFactory(failed=True)`` (or ``failed=True`` through pytest-factoryboy) overrides it.
    """

    def as_declarations(self, field_name: str, declarations: dict[str, Any]) -> dict[str, Any]:
        """The trait's ``Maybe`` overrides (factory_boy's) plus ``{field_name: False}``."""
        overrides: dict[str, Any] = super().as_declarations(field_name, declarations)
        return {field_name: False, **overrides}


# -- persisting once per call ------------------------------------------------------------------

_PERSISTENCE_RANK = {None: 0, "flush": 1, "commit": 2}


class _Pending:
    """Rows made by one outermost ``create()``/``create_batch()``, persisted when it returns."""

    __slots__ = ("persistence", "sessions")

    def __init__(self) -> None:
        self.persistence: str | None = None
        self.sessions: dict[int, Session] = {}

    def add(self, session: Session, persistence: str | None) -> None:
        if _PERSISTENCE_RANK[persistence] > _PERSISTENCE_RANK[self.persistence]:
            self.persistence = persistence
        self.sessions[id(session)] = session

    def persist(self) -> None:
        for session in self.sessions.values():
            if self.persistence == "commit":
                commit(session)
            elif self.persistence == "flush":
                session.flush()


_pending: ContextVar[_Pending | None] = ContextVar("acodb_factory_pending", default=None)


@contextmanager
def _persist_once() -> Iterator[None]:
    """Defer the persistence of every row created inside to one flush/commit at the end.

    Nested uses join the outermost. If the body raises, nothing is flushed or committed: the
    rows made so far stay pending in the session (``session.rollback()`` discards them).
    """
    if _pending.get() is not None:
        yield
        return
    pending = _Pending()
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    pending.persist()


def commit(session: Session) -> None:
    """Commit ``session``, expiring only the objects this transaction inserted or updated.

    ``session.commit()`` with ``expire_on_commit`` (the default) expires every object in the
    session, which makes the next access to each reload it: with a test that keeps the rows of
    10,000 factory calls, each commit costs time in proportion to all rows made so far. This
    commit expires the objects inserted or updated in the transaction being committed (so their
    next access reads the stored values: server defaults, trigger-maintained ``updated_at``,
    timestamps truncated to milliseconds) and leaves other loaded objects as they are.

    Falls back to a plain ``session.commit()`` when the session does not expire on commit, is in
    a nested transaction, has deleted rows in this transaction (deleted objects must become
    detached at commit), or SQLAlchemy's transaction bookkeeping is not what this expects.

    Errors: those of ``session.flush()``/``session.commit()`` (e.g. ``IntegrityError``); the
    session then needs ``session.rollback()``, as after any failed commit.
    """
    if not session.expire_on_commit or session.in_nested_transaction():
        session.commit()
        return
    session.flush()
    transaction = session.get_transaction()
    inserted = getattr(transaction, "_new", None)
    updated = getattr(transaction, "_dirty", None)
    deleted = getattr(transaction, "_deleted", None)
    if transaction is None or inserted is None or updated is None or deleted is None or deleted:
        session.commit()
        return
    states = [*inserted, *updated]
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    for state in states:
        obj = state.obj()
        if obj is not None and obj in session:
            session.expire(obj)


# -- pytest-factoryboy ---------------------------------------------------------------------------

_fixture: ContextVar[tuple[str, tuple[str, ...]] | None] = ContextVar(
    "acodb_factoryboy_fixture", default=None
)


@contextmanager
def building_fixture(name: str, closure: tuple[str, ...]) -> Iterator[None]:
    """Within the block, pytest fixture ``name`` is being set up in a test whose fixture closure
    is ``closure`` (the plugin wraps every fixture setup in it when pytest-factoryboy is
    installed).

    pytest-factoryboy makes a ``SubFactory`` declaration ``task = SubFactory(TaskFactory,
    status="running")`` of a registered ``ToolExecutionFactory`` into the fixture
    ``tool_execution__task``, which returns the ``task`` model fixture, built from
    ``TaskFactory``'s own declarations: the ``SubFactory``'s keyword arguments are lost. So while
    the model fixture ``task`` is built in a test whose closure holds ``tool_execution__task``,
    a value pytest-factoryboy passes unchanged from ``TaskFactory``'s declarations is replaced by
    the ``SubFactory``'s (a value the test chose, e.g. with ``@pytest.mark.parametrize(
    "task__status", ...)``, is kept). Argument order does not matter: the closure is the test's.
    """
    token = _fixture.set((name, closure))
    try:
        yield
    finally:
        _fixture.reset(token)


def model_fixture_name(factory_class: type[Any]) -> str:
    """The name pytest-factoryboy gives the model fixture of ``factory_class``: its model's class
    name in lower_snake_case (``ToolExecution`` -> ``tool_execution``)."""
    import inflection

    model = factory_class._meta.model
    return str(model if isinstance(model, str) else inflection.underscore(model.__name__))


def factory_fixture(name: str) -> bool:
    """True when ``name`` is (or, as ``model__attr``, belongs to) the pytest-factoryboy model
    fixture of a factory derived from :class:`AcodbFactory`."""
    count = len(_factories)
    if _fixture_names[0] != count:
        names = {
            model_fixture_name(f)
            for f in list(_factories)
            if f._meta.model is not None and not f._meta.abstract
        }
        _fixture_names[:] = [count, names]
    return name.split("__", 1)[0] in _fixture_names[1]


_fixture_names: list[Any] = [-1, set()]
"""``[number of factories, their model fixture names]``: recomputed when factories come or
go."""


def _subfactory_defaults(factory_class: type[AcodbFactory]) -> dict[str, Any]:
    """The keyword arguments of the ``SubFactory`` declarations whose pytest-factoryboy fixture
    is in the closure of the test whose model fixture of ``factory_class`` is being built."""
    context = _fixture.get()
    if context is None or factory_class._meta.model is None:
        return {}
    name, closure = context
    if name != model_fixture_name(factory_class):
        return {}
    wanted = {tuple(n.split("__", 1)) for n in closure if "__" in n}
    found: dict[str, Any] = {}
    for other in list(_factories):
        options: Any = other._meta
        if options.abstract or options.model is None:
            continue
        for attr, declaration in options.pre_declarations.declarations.items():
            if not isinstance(declaration, SubFactory):
                continue
            key = (model_fixture_name(other), attr)
            if key in wanted and model_fixture_name(declaration.get_factory()) == name:
                found.update(declaration._defaults)
    return found


# -- the base --------------------------------------------------------------------------------


class _Options(SQLAlchemyOptions):
    """factory_boy's SQLAlchemy options, noting each counter a build advances or a reset moves
    (for :func:`reseed`)."""

    def next_sequence(self) -> int:
        """The next sequence number (factory_boy's), the counter's owner noted as moved."""
        reference: Any = self.counter_reference  # set once the class is made
        _sequenced.add(reference.factory)
        return int(super().next_sequence())

    def reset_sequence(self, value: int | None = None, force: bool = False) -> None:
        """factory_boy's ``reset_sequence`` (``Factory.reset_sequence`` calls it), the counter's
        owner noted as moved."""
        super().reset_sequence(value, force)
        reference: Any = self.counter_reference
        _sequenced.add(reference.factory)


class AcodbFactory(SQLAlchemyModelFactory):
    """Base of factories that write to the test's session; subclass it for your own models::

        from pytest_acodb.synth.factories import AcodbFactory

        class UserFactory(AcodbFactory):
            class Meta:
                model = User          # a SQLAlchemy mapped class

            email = factory.Faker("email")

    ``UserFactory()`` then writes to ``acodb_session`` (outside pytest, to the session bound
    with :func:`~pytest_acodb.synth.session.bind_session`) and commits; ``build()`` needs no
    session. ``Meta.sqlalchemy_session_persistence`` may be ``"flush"`` or ``None`` instead of
    ``"commit"``. :func:`reseed` restarts its sequence. Raises
    :class:`~pytest_acodb.errors.NoSessionError` when ``create()`` finds no session.
    """

    _options_class = _Options

    class Meta:
        abstract = True
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "commit"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _factories.add(cls)
        _sequenced.add(cls)

    @classmethod
    def _generate(cls, strategy: str, params: dict[str, Any]) -> Any:
        params = cls._column_keywords(params)
        if strategy != enums.CREATE_STRATEGY:
            return super()._generate(strategy, params)
        if _pending.get() is None and _fixture.get() is not None:
            params = cls._with_subfactory_defaults(params)
        with _persist_once():
            return super()._generate(strategy, params)

    @classmethod
    def _with_subfactory_defaults(cls, params: dict[str, Any]) -> dict[str, Any]:
        defaults = _subfactory_defaults(cls)
        if not defaults:
            return params
        chosen = cls._chosen(params)
        return {**params, **{k: v for k, v in defaults.items() if k not in chosen}}

    @classmethod
    def _chosen(cls, params: dict[str, Any]) -> set[str]:
        """The keys of ``params`` a caller chose: not a factory_boy declaration (pytest-factoryboy
        passes a factory's own declarations through as keyword arguments), and not equal to the
        factory's own constant of that name."""
        if not params:
            return set()
        declared = _declarations(cls)
        chosen = set()
        for key, value in params.items():
            if enums.get_builder_phase(value) is not None:
                continue
            own = declared.get(key, _UNSET)
            if own is _UNSET or enums.get_builder_phase(own) is not None or own != value:
                chosen.add(key)
        return chosen

    @classmethod
    def _column_keywords(cls, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with each keyword that names a column mapped under another attribute name
        (``metadata`` for ``metadata_``) renamed to that attribute. Raises ``TypeError`` when
        both names are given."""
        aliases = _column_aliases(cls._meta.model)
        if not aliases or not aliases.keys() & params.keys():
            return params
        renamed = dict(params)
        for column, attribute in aliases.items():
            if column in renamed:
                if attribute in renamed:
                    raise TypeError(
                        f"{cls.__name__}: pass {attribute}= or {column}=, not both "
                        f"(column {column} is the attribute {attribute})"
                    )
                renamed[attribute] = renamed.pop(column)
        return renamed

    @classmethod
    def create_batch(cls, size: int, **kwargs: Any) -> list[Any]:
        """Create ``size`` rows (and their ``SubFactory`` parents) and persist them together:
        one flush and one commit (per ``Meta.sqlalchemy_session_persistence``) when done.

        Returns the list of objects, committed. Raises ``NoSessionError`` if no session is
        bound; database errors (e.g. ``IntegrityError``) at the final flush, after which no row
        of the batch is committed and the session needs ``session.rollback()``.
        """
        with _persist_once():
            return list(super().create_batch(size, **kwargs))

    @classmethod
    def _save(
        cls, model_class: type[Any], session: Session, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        options: Any = cls._meta
        obj = model_class(*args, **kwargs)
        session.add(obj)
        pending = _pending.get()
        if pending is None or options.sqlalchemy_get_or_create:
            # Called outside create()/create_batch(), or get-or-create (which must see its
            # IntegrityError at once): persist now, as factory_boy does, with the cheap commit.
            persistence = options.sqlalchemy_session_persistence
            if persistence == "commit":
                commit(session)
            elif persistence == "flush":
                session.flush()
            return obj
        pending.add(session, options.sqlalchemy_session_persistence)
        return obj


_UNSET = object()

_declared: weakref.WeakKeyDictionary[type[Any], dict[str, Any]] = weakref.WeakKeyDictionary()


def _declarations(factory_class: type[Any]) -> dict[str, Any]:
    """``factory_class._meta.declarations``, computed once (factory_boy rebuilds the dict, traits
    included, on every access)."""
    found = _declared.get(factory_class)
    if found is None:
        found = _declared[factory_class] = dict(factory_class._meta.declarations)
    return found


_aliases: weakref.WeakKeyDictionary[type[Any], dict[str, str]] = weakref.WeakKeyDictionary()


def _column_aliases(model: Any) -> dict[str, str]:
    """``{column name: attribute name}`` for the columns of mapped class ``model`` whose
    attribute is named otherwise and whose name is no attribute of its own; ``{}`` for a model
    that is not a mapped class."""
    if not isinstance(model, type):
        return {}
    found = _aliases.get(model)
    if found is None:
        from sqlalchemy import inspect
        from sqlalchemy.exc import NoInspectionAvailable

        try:
            mapper: Any = inspect(model)
        except NoInspectionAvailable:
            found = {}
        else:
            attributes = set(mapper.attrs.keys())
            found = {
                column.name: prop.key
                for prop in mapper.column_attrs
                for column in prop.columns[:1]
                if column.name != prop.key and column.name not in attributes
            }
        _aliases[model] = found
    return found
