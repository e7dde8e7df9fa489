# factory_boy ships py.typed but leaves its declarations unannotated: every call is "untyped".
# mypy: disable-error-code="no-untyped-call"
"""Generating one factory_boy factory per table of a schema (see :func:`generate`)."""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from factory.declarations import LazyAttribute, LazyAttributeSequence, LazyFunction, SubFactory
from factory.random import randgen

from ...db.connect import Connector, default_connector
from ...errors import FactoryError, NoSessionError
from ...migrate import quote
from ...schema import Schema, snapshot
from ..session import current_session
from . import constraints
from .base import AcodbFactory, FlagTrait, now
from .constraints import ValueProvider, Verifier, fit
from .plan import ColumnPlan, Limit, ParentPlan, TablePlan, plan_schema
from .values import draw, stored

__all__ = ["Factories", "GeneratedFactory", "generate"]

ATTEMPTS = 8
"""Repairs of a candidate row tried before a factory gives up on a CHECK."""

_SPACING = timedelta(minutes=15)
"""Between the timestamps of one row, in declaration order (``created_at`` before
``updated_at``), so CHECKs such as ``ends_at > starts_at`` hold."""

_DAY = timedelta(days=1)


def _daily(cp: ColumnPlan) -> bool:
    """True when ``cp`` keeps only the day of an instant (a date), so its values must differ by
    days rather than minutes."""
    return cp.fmt is not None and cp.fmt.kind == "date"


_AGE_MS = (60 * 60_000, 90 * 24 * 60 * 60_000)
"""A row's time lies between one hour and 90 days before the data's "now"."""

_explicit: ContextVar[tuple[frozenset[str], ...]] = ContextVar("acodb_explicit", default=())
"""Per generated factory call being built: the attributes its caller chose."""


class GeneratedFactory(AcodbFactory):
    """Base of every generated factory (and of the bundled acolib factories, which subclass the
    generated ones): each row is checked against the table's CHECKs before it is made, and the
    values its caller did not choose are repaired until it passes; a table no row can be made
    for raises :class:`~pytest_acodb.errors.FactoryError` naming the constraint."""

    class Meta:
        abstract = True

    _acodb_plan: ClassVar[TablePlan]
    _acodb_rows: ClassVar[_Rows]

    @classmethod
    def _generate(cls, strategy: str, params: dict[str, Any]) -> Any:
        params = cls._column_keywords(params)
        token = _explicit.set((*_explicit.get(), frozenset(cls._chosen(params))))
        try:
            return super()._generate(strategy, params)
        finally:
            _explicit.reset(token)

    @classmethod
    def _create(cls, model_class: type[Any], *args: Any, **kwargs: Any) -> Any:
        return super()._create(model_class, *args, **cls._acodb_valid(kwargs))

    @classmethod
    def _build(cls, model_class: type[Any], *args: Any, **kwargs: Any) -> Any:
        return super()._build(model_class, *args, **cls._acodb_valid(kwargs))

    @classmethod
    def _acodb_valid(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        plan = cls._acodb_plan
        if plan.blocked and plan.limit is not None:
            raise FactoryError(plan.name, plan.limit.reason)
        stack = _explicit.get()
        chosen = stack[-1] if stack else frozenset()
        if plan.limit is not None and plan.limit.rows == 0 and not chosen:
            # The key's values are all taken by the rows the migrations left: say so, rather
            # than let the insert fail with a bare UNIQUE constraint error.
            raise FactoryError(
                plan.name,
                f"{plan.limit.reason}, so there is no room for another row (pass the key's "
                "values yourself, after deleting a row, to make one anyway)",
            )
        return cls._acodb_rows.repair(plan, kwargs, chosen)


class _Rows:
    """What the factories of one :func:`generate` call share at run time: the private SQLite
    connection where candidate rows meet the CHECKs, and the forms of the mapped columns."""

    def __init__(self, probe: sqlite3.Connection) -> None:
        self.probe = probe
        self.lock = threading.Lock()
        self._verifiers: dict[str, Verifier | None] = {}
        self.forms: dict[tuple[str, str], str] = {}
        self.binders: dict[tuple[str, str], Any] = {}
        self.time_index: dict[tuple[str, str], int] = {}

    def close(self) -> None:
        self.probe.close()

    def verifier(self, plan: TablePlan) -> Verifier | None:
        if plan.name not in self._verifiers:
            found = Verifier(self.probe, plan.table, self.lock) if plan.table.checks else None
            self._verifiers[plan.name] = found if found and found.checks else None
        return self._verifiers[plan.name]

    # -- values ------------------------------------------------------------------------------

    def value(self, plan: TablePlan, cp: ColumnPlan, anchor: datetime, n: int) -> Any:
        """The value of column ``cp`` in row ``n`` whose time is ``anchor``: the user's provider's,
        else a realistic one fitted to the column's CHECK rule, in the form the model wants."""
        if cp.provider is not None:
            return cp.provider(n)
        form = self.forms.get((plan.name, cp.column.name), "stored")
        unique = None if cp.unique is None else (n + cp.start) // cp.unique
        kind = cp.profile.kind
        if kind in ("timestamp", "date"):
            step = _DAY if _daily(cp) else _SPACING
            if cp.unique is not None:
                instant = now() - (step if step == _DAY else timedelta(seconds=3607)) * (n + 1)
            else:
                instant = draw(
                    cp.profile, anchor + step * self.time_index.get((plan.name, cp.column.name), 0)
                )
            value = self._instant(instant, cp, form)
        else:
            raw = draw(cp.profile, anchor)
            if unique is not None and kind == "text" and cp.profile.provider not in _RANDOM:
                raw = _uniquely(str(raw), n + cp.start)
            value = _form(raw, form)
        if form in ("stored", "bool") or cp.rule.allowed or constraints.fixed(cp.rule):
            value = fit(value, cp.rule, randgen, unique=unique)
        return value

    @staticmethod
    def _instant(instant: datetime, cp: ColumnPlan, form: str) -> Any:
        if form == "datetime":
            return instant
        if form == "naive":
            return instant.astimezone(UTC).replace(tzinfo=None)
        assert cp.fmt is not None
        return cp.fmt.write(instant)

    # -- checking and repairing a row ----------------------------------------------------------

    def stored_value(self, plan: TablePlan, cp: ColumnPlan, value: Any) -> Any:
        """``value`` of attribute ``cp`` as the database will store it (for checking CHECKs)."""
        binder = self.binders.get((plan.name, cp.column.name))
        if binder is not None:
            try:
                value = binder(value)
            except Exception:  # a value the column type rejects: the insert will say so
                return None
        return stored(value)

    def repair(
        self, plan: TablePlan, kwargs: dict[str, Any], chosen: frozenset[str]
    ) -> dict[str, Any]:
        """``kwargs`` of a row of ``plan`` with the values the caller did not choose changed,
        when needed, until the row meets the table's CHECKs. When the CHECKs a row fails name
        only chosen values, or no repair works, the row goes to the database as it was, whose
        ``IntegrityError`` names the CHECK (a test may want exactly that)."""
        verifier = self.verifier(plan)
        if verifier is None:
            return kwargs
        needed = verifier.referenced
        row = {
            cp.column.name: self.stored_value(plan, cp, kwargs[cp.attribute])
            if cp.attribute in kwargs
            else cp.default
            for cp in plan.columns
            if cp.column.name in needed
        }
        for edge in plan.parents:
            if needed.intersection(edge.key.columns):
                self._parent_keys(edge, kwargs.get(edge.name), row)
        failing = verifier.failing(row)
        if not failing:
            return kwargs
        original, kwargs = kwargs, dict(kwargs)
        parents = {e.name: kwargs.get(e.name) for e in plan.parents}
        n = randgen.randint(0, 10_000)
        for attempt in range(1, ATTEMPTS + 1):
            names = set().union(*(verifier.columns[i] for i in failing))
            free = [
                cp
                for cp in plan.columns
                if cp.column.name in names
                and cp.attribute not in chosen
                and cp.provider is None
                and cp.column.name not in plan.self_keys
                and not any(cp.column.name in e.key.columns for e in plan.parents)
                and self.forms.get((plan.name, cp.column.name), "stored") == "stored"
            ]
            # A nullable key to a parent takes turns being NULL, like a nullable column.
            edges = [
                e
                for e in plan.parents
                if e.relationship
                and not e.required
                and e.name not in chosen
                and parents[e.name] is not None
                and names & set(e.key.columns)
            ]
            if not free and not edges:
                break
            for cp in free:
                value = self._candidate(cp, n, attempt)
                kwargs[cp.attribute] = value
                row[cp.column.name] = stored(value)
            for edge in edges:
                position = [c.name for c in plan.table.columns].index(edge.key.columns[0])
                off = attempt % 4 == 0 or (attempt > 1 and (position + attempt) % 2 == 0)
                kwargs[edge.name] = None if off else parents[edge.name]
                self._parent_keys(edge, kwargs[edge.name], row)
            failing = verifier.failing(row)
            if not failing:
                return kwargs
        return self._solved(plan, original, chosen, n) or original

    def _solved(
        self, plan: TablePlan, kwargs: dict[str, Any], chosen: frozenset[str], n: int
    ) -> dict[str, Any] | None:
        """``kwargs`` with the plain stored columns the caller did not choose set to what the
        solver finds for the whole row (CHECKs of any form: ``LIKE``, ``GLOB``, lengths, JSON
        paths...), or ``None`` when it finds nothing."""
        free = {
            cp.column.name: cp
            for cp in plan.columns
            if cp.attribute not in chosen
            and cp.provider is None
            and cp.column.name not in plan.self_keys
            and not any(cp.column.name in e.key.columns for e in plan.parents)
            and self.forms.get((plan.name, cp.column.name), "stored") == "stored"
        }
        row = {
            cp.column.name: self.stored_value(plan, cp, kwargs[cp.attribute])
            if cp.attribute in kwargs
            else cp.default
            for cp in plan.columns
        }
        for edge in plan.parents:
            self._parent_keys(edge, kwargs.get(edge.name), row)
        found = constraints.solved(self.probe, self.lock, plan.table, row, set(free), n)
        if found is None:
            return None
        return {**kwargs, **{free[name].attribute: value for name, value in found.items()}}

    @staticmethod
    def _parent_keys(edge: ParentPlan, parent: Any, row: dict[str, Any]) -> None:
        """Put the key columns of ``edge`` into ``row``: NULL without a parent, else the
        parent's key (``1`` while the parent has none yet: a row waiting for its flush)."""
        keys: dict[str, Any] = dict.fromkeys(edge.key.columns, None if parent is None else 1)
        if parent is not None:
            from sqlalchemy import inspect

            mapper = inspect(parent).mapper
            columns = {c.name: c for c in mapper.local_table.columns}
            for column, target in zip(edge.key.columns, edge.parent_columns, strict=True):
                if target in columns:
                    value = getattr(parent, mapper.get_property_by_column(columns[target]).key)
                    keys[column] = 1 if value is None else value
        row.update(keys)

    @staticmethod
    def _candidate(cp: ColumnPlan, n: int, attempt: int) -> Any:
        """Another value for ``cp`` on repair ``attempt``: nullable columns take turns being
        NULL (by the parity of their position, flipped every other attempt; all of them on the
        fourth), for CHECKs that want exactly one of two set; otherwise the solver's candidate
        (timestamps spread apart, in the column's own format)."""
        nullable = not cp.column.notnull and not cp.rule.not_null
        if nullable and attempt % 4 == 0:
            return None
        if nullable and attempt > 1 and (cp.position + attempt) % 2 == 0:
            return None
        if cp.fmt is not None:
            sign = 1 if attempt % 2 else -1
            step = _DAY if _daily(cp) else timedelta(minutes=7)
            instant = now() - timedelta(days=60) + step * sign * attempt * (cp.position + 1)
            return fit(cp.fmt.write(instant), cp.rule, randgen)
        return constraints.fallback(cp.column, cp.rule, n, attempt, cp.position)


_RANDOM = frozenset({"uuid", "hash", "token"})
"""Text providers whose values differ from row to row already."""


def _uniquely(text: str, n: int) -> str:
    """``text`` made unique with the row number ``n``: ``ann.7@example.com``, ``title-7``."""
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local}.{n}@{domain}"
    return f"{text}-{n}"


def _form(raw: Any, form: str) -> Any:
    if form == "stored":
        return stored(raw)
    if form == "bool":
        return bool(raw)
    return raw


# -- declarations ------------------------------------------------------------------------------


def _column(rows: _Rows, plan: TablePlan, cp: ColumnPlan, clock: str) -> Any:
    return LazyAttributeSequence(lambda o, n: rows.value(plan, cp, getattr(o, clock), n))


def _next_rowid(plan: TablePlan, model: type[Any], n: int) -> int:
    """The rowid the next row of ``plan``'s table gets (for a NOT NULL self reference that must
    point at the row itself): after the stored rows and the rows waiting in the session."""
    from sqlalchemy import text

    try:
        session = current_session()
    except NoSessionError:
        return n + 1
    with session.no_autoflush:
        top = session.execute(
            text(f"SELECT coalesce(max(rowid), 0) FROM {quote(plan.name)}")
        ).scalar_one()
    return int(top) + sum(isinstance(o, model) for o in session.new) + 1


def _key_of(obj: Any, attribute: str) -> Any:
    """``obj.attribute``, flushing ``obj`` first when its key is not known yet (a parent whose
    model has no relationship to the child)."""
    value = getattr(obj, attribute)
    if value is None:
        from sqlalchemy.orm import object_session

        session = object_session(obj)
        if session is not None:
            session.flush([obj])
            value = getattr(obj, attribute)
    return value


def _declarations(
    plan: TablePlan,
    model: type[Any],
    rows: _Rows,
    made: Mapping[str, type[GeneratedFactory]],
    plans: Mapping[str, TablePlan],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(declarations, params)`` of the factory of ``plan``."""
    attributes = {c.attribute for c in plan.columns} | {e.name for e in plan.parents}
    clock = "acodb_time"
    while clock in attributes or clock in plan.traits:
        clock += "_"
    params: dict[str, Any] = {
        clock: LazyFunction(lambda: now() - timedelta(milliseconds=randgen.randint(*_AGE_MS)))
    }
    for name, (attribute, value) in plan.traits.items():
        params[name] = FlagTrait(**{attribute: value})
    declarations: dict[str, Any] = {}
    for cp in plan.columns:
        if cp.declare:
            declarations[cp.attribute] = _column(rows, plan, cp, clock)
    for child, target in plan.self_keys.items():
        target_cp = plan.column(target)
        target_attr = target_cp.attribute if target_cp else target
        if target_cp is not None and target == plan.table.rowid_alias:
            declarations[target_attr] = LazyAttributeSequence(
                lambda o, n: _next_rowid(plan, model, n)
            )
        child_cp = plan.column(child)
        if child_cp is not None:
            declarations[child_cp.attribute] = LazyAttribute(lambda o, a=target_attr: getattr(o, a))
    for edge in plan.parents:
        if not edge.subfactory:
            continue
        parent = made[edge.parent]
        if edge.relationship:
            declarations[edge.name] = SubFactory(parent)
            continue
        params[edge.name] = SubFactory(parent)
        parent_plan = plans[edge.parent]
        for child, target in zip(edge.key.columns, edge.parent_columns, strict=True):
            child_cp, target_cp = plan.column(child), parent_plan.column(target)
            if child_cp is None:
                continue
            target_attr = target_cp.attribute if target_cp else target
            declarations[child_cp.attribute] = LazyAttribute(
                lambda o, e=edge.name, a=target_attr: _key_of(getattr(o, e), a)
            )
    return declarations, params


# -- the result --------------------------------------------------------------------------------


class Factories(Mapping[str, type[GeneratedFactory]]):
    """The factories of a schema, one per table: ``factories["order_items"]`` (the table's name,
    case-insensitive) or ``factories.OrderItemsFactory`` (the class's name).

    ``models``: ``{table: mapped class}``; ``limits``: ``{table: Limit}`` for tables whose
    constraints allow only ``Limit.rows`` rows (0: none), with the constraint that says so
    (``Limit.reason``); ``schema``: the snapshot they were made from; ``plain``: made with
    generated models and no value providers (so any test of the same schema can share them).
    """

    def __init__(
        self,
        factories: dict[str, type[GeneratedFactory]],
        models: Mapping[str, type[Any]],
        schema: Schema,
        *,
        plain: bool = False,
    ) -> None:
        self._factories = factories
        self._by_class = {f.__name__: f for f in factories.values()}
        self.models = models
        self.schema = schema
        self.limits: dict[str, Limit] = {
            n: f._acodb_plan.limit for n, f in factories.items() if f._acodb_plan.limit
        }
        self.plain = plain
        if plain:
            _plain[:] = [r for r in _plain if r() is not None] + [weakref.ref(self)]

    def __getitem__(self, table: str) -> type[GeneratedFactory]:
        found = self._factories.get(table)
        if found is None:
            found = next(
                (f for n, f in self._factories.items() if n.lower() == table.lower()), None
            )
        if found is None:
            raise KeyError(
                f"no factory for table {table!r}; tables: {', '.join(self._factories) or '(none)'}"
            )
        return found

    def __getattr__(self, name: str) -> type[GeneratedFactory]:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._by_class[name]
        except KeyError:
            raise AttributeError(
                f"no factory class {name!r}; classes: {', '.join(self._by_class) or '(none)'}"
            ) from None

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._by_class})

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__

    def __iter__(self) -> Iterator[str]:
        return iter(self._factories)

    def __len__(self) -> int:
        return len(self._factories)

    def __repr__(self) -> str:
        return f"<Factories of {len(self)} tables: {', '.join(self._factories)}>"

    def close(self) -> None:
        """Close the private SQLite connection the factories check rows on (they cannot make
        rows afterwards)."""
        for rows in {id(f._acodb_rows): f._acodb_rows for f in self._factories.values()}.values():
            rows.close()


# -- generating ----------------------------------------------------------------------------------


Source = str | os.PathLike[str] | sqlite3.Connection | Schema


def generate(
    source: Source,
    *,
    providers: Mapping[str, ValueProvider] | None = None,
    models: Any = None,
    connector: Connector | None = None,
) -> Factories:
    """One factory_boy factory per table of a schema, valid and realistic rows by construction.

    ``source``: a directory of sqlx migrations (migrated in memory), a DB-API connection to a
    migrated SQLite database (its existing rows show conventions, e.g. how timestamps are
    written), or a :class:`~pytest_acodb.schema.Schema` snapshot. ``providers``: values for
    columns, ``{"table.column": callable(n) -> value}``. ``models``: mapped classes to use
    instead of generated ones (a declarative base, or an iterable of classes), matched to tables
    by ``__tablename__``; their attribute names and relationships are used. ``connector``: how to
    open SQLite (driver, extensions) for migrating and for checking rows.

    Every factory writes to the session :func:`~pytest_acodb.synth.session.current_session`
    gives (``acodb_session`` in a test) and derives from :class:`GeneratedFactory`; subclass one
    to tune it. Returns :class:`Factories`. Raises ``MigrateError`` for a migration that fails.
    """
    chosen = connector or default_connector()
    conn, close = _open(source, chosen)
    try:
        schema = source if isinstance(source, Schema) else snapshot(conn)
        given = _given_models(models)
        probe = chosen.connect(":memory:")
        attributes = {t: _mapped_columns(m) for t, m in given.items()}
        plans = plan_schema(
            schema, conn, probe, providers or {}, attributes if attributes else None
        )
        # Tables of the caller's models keep their names; the rest are generated.
        if given:
            plans = {n: p for n, p in plans.items() if n in given}
            for plan in plans.values():
                plan.parents = [e for e in plan.parents if e.parent in plans]
    finally:
        if close and conn is not None:
            conn.close()
    rows = _Rows(probe)
    if given:
        model_classes = {n: given[n] for n in plans}
        _adopt_relationships(plans, model_classes)
    else:
        from .models import build_models

        model_classes = build_models(plans)
    _note_forms(rows, plans, model_classes)
    made: dict[str, type[GeneratedFactory]] = {}
    for name in _creation_order(plans):
        plan = plans[name]
        declarations, params = _declarations(plan, model_classes[name], rows, made, plans)
        meta = type("Meta", (), {"model": model_classes[name]})
        made[name] = type(
            f"{plan.class_name}Factory",
            (GeneratedFactory,),
            {
                "Meta": meta,
                "Params": type("Params", (), params),
                "_acodb_plan": plan,
                "_acodb_rows": rows,
                "__module__": __name__,
                "__doc__": _doc(plan),
                **declarations,
            },
        )
    ordered = {n: made[n] for n in plans}
    return Factories(ordered, model_classes, schema, plain=not given and not providers)


_plain: list[weakref.ref[Factories]] = []
"""Every live :class:`Factories` made with generated models and no value providers, oldest
first."""


def generated_for(schema: Schema) -> Factories | None:
    """The latest live :class:`Factories` made (with generated models and no value providers)
    for a schema structurally equal to ``schema`` (a ``conftest.py`` that called :func:`generate` on
    the migrations in use), or ``None``; so a test's ``acodb_factories`` and the factories a
    conftest registered or subclassed share their models."""
    for ref in reversed(_plain):
        found = ref()
        if found is not None and found.schema == schema:
            return found
    return None


def _open(source: Source, connector: Connector) -> tuple[Any, bool]:
    if isinstance(source, Schema):
        return None, False
    if isinstance(source, str | os.PathLike):
        from ...db.template import Template
        from ...migrate import resolve

        template = Template(resolve(Path(source)), connector=connector)
        try:
            return connector.open_image(template.image), True
        finally:
            template.close()
    return source, False


def _given_models(models: Any) -> dict[str, type[Any]]:
    if models is None:
        return {}
    registry = getattr(models, "registry", None)
    classes: Iterable[Any] = (
        [m.class_ for m in registry.mappers] if registry is not None else models
    )
    found: dict[str, type[Any]] = {}
    for cls in classes:
        table = getattr(cls, "__table__", None)
        if table is not None:
            found[table.name] = cls
    return found


def _mapped_columns(model: type[Any]) -> dict[str, str]:
    from sqlalchemy import inspect

    mapper = inspect(model)
    return {prop.columns[0].name: prop.key for prop in mapper.column_attrs}


def _adopt_relationships(plans: dict[str, TablePlan], models: dict[str, type[Any]]) -> None:
    """Name each foreign key after the caller's model's many-to-one relationship over its
    columns; without one, the factory sets the key columns from a parent it flushes."""
    from sqlalchemy import inspect
    from sqlalchemy.orm import RelationshipDirection

    for plan in plans.values():
        mapper = inspect(models[plan.name])
        for edge in plan.parents:
            wanted = {c.lower() for c in edge.key.columns}
            match = next(
                (
                    r.key
                    for r in mapper.relationships
                    if r.direction is RelationshipDirection.MANYTOONE
                    and {c.name.lower() for c in r.local_columns} == wanted
                ),
                None,
            )
            if match is not None:
                edge.name = match
            else:
                edge.relationship = False


def _note_forms(rows: _Rows, plans: dict[str, TablePlan], models: dict[str, type[Any]]) -> None:
    """Record, per column, the Python form its mapped type wants (``stored``, ``json``,
    ``datetime``, ``naive``, ``bool``) and its bind processor (to check CHECKs on stored
    values); and the order of each table's timestamp columns."""
    from sqlalchemy import JSON, Boolean, DateTime, inspect
    from sqlalchemy.dialects import sqlite

    from .models import Stored

    dialect = sqlite.dialect()
    for name, plan in plans.items():
        mapper = inspect(models[name])
        position = 0
        for cp in plan.columns:
            if cp.profile.kind in ("timestamp", "date"):
                rows.time_index[(name, cp.column.name)] = position
                position += 1
            column = mapper.columns.get(cp.attribute)
            if column is None or isinstance(column.type, Stored):
                continue
            type_ = column.type
            impl = getattr(type_, "impl_instance", type_)
            if isinstance(type_, JSON) or isinstance(impl, JSON):
                form = "json"
            elif isinstance(type_, Boolean):
                form = "bool"
            elif isinstance(type_, DateTime):
                form = "datetime" if type_.timezone else "naive"
            elif _python_type(type_) is datetime:
                form = "datetime"
            else:
                form = "stored"
            rows.forms[(name, cp.column.name)] = form
            processor = type_.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                rows.binders[(name, cp.column.name)] = processor


def _python_type(type_: Any) -> Any:
    try:
        return type_.python_type
    except NotImplementedError:
        return None


def _creation_order(plans: Mapping[str, TablePlan]) -> list[str]:
    """Tables with every ``SubFactory`` parent before them (the plan broke every cycle)."""
    left = dict(plans)
    done: list[str] = []
    while left:
        ready = [
            n
            for n, p in left.items()
            if all(e.parent not in left or not e.subfactory for e in p.parents)
        ]
        for name in ready or [next(iter(left))]:
            done.append(name)
            del left[name]
    return done


def _doc(plan: TablePlan) -> str:
    parts = [f"Generated factory of table {plan.name}."]
    if plan.traits:
        parts.append("Traits: " + ", ".join(sorted(plan.traits)) + ".")
    if plan.parents:
        parts.append(
            "Parents: "
            + ", ".join(f"{e.name} ({e.parent})" for e in plan.parents if e.subfactory)
            + "."
        )
    if plan.limit is not None:
        parts.append(f"At most {plan.limit.rows} row(s): {plan.limit.reason}.")
    return " ".join(parts)
