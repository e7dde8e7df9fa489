"""Generated factories (pytest_acodb.synth.factories) on small schemas and on every real one."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pytest_acodb.db import driver as drivers
from pytest_acodb.db.connect import Connector, create_engine, default_connector
from pytest_acodb.db.template import Template
from pytest_acodb.errors import FactoryError, MigrateError, SourceError
from pytest_acodb.migrate import resolve
from pytest_acodb.schema import Schema, snapshot
from pytest_acodb.synth.factories import Factories, GeneratedFactory, generate, reseed, timeformats
from pytest_acodb.synth.factories.plan import BOOKKEEPING
from pytest_acodb.synth.session import bind_session, unbind_session
from pytest_acodb.synth.values import ValueProviders

HERE = Path(__file__).parent
CORPUS = HERE.parent.parent / "shared" / "corpus"
ROWS = 50
"""Rows each generated factory makes in the test over every directory."""

SHOP = """
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    website TEXT,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    status TEXT NOT NULL CHECK (status IN ('new', 'paid', 'shipped')),
    total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
    placed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    shipped_at TEXT,
    CHECK (shipped_at IS NULL OR shipped_at > placed_at)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    happened_at INTEGER NOT NULL DEFAULT (unixepoch()),
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    token TEXT NOT NULL DEFAULT (lower(hex(randomblob(16))))
);
CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES categories(id),
    name TEXT NOT NULL
);
CREATE TABLE nodes (id INTEGER PRIMARY KEY, root_id INTEGER NOT NULL REFERENCES nodes(id));
CREATE TABLE settings (id INTEGER PRIMARY KEY CHECK (id = 1), theme TEXT NOT NULL);
CREATE TABLE spans (
    id INTEGER PRIMARY KEY,
    lo INTEGER NOT NULL,
    hi INTEGER NOT NULL,
    metadata TEXT,
    CHECK (hi > lo + 10)
);
CREATE TABLE pairs (
    left_id INTEGER REFERENCES spans(id),
    right_id INTEGER REFERENCES spans(id),
    CHECK ((left_id IS NULL) <> (right_id IS NULL))
);
"""


@pytest.fixture(scope="module")
def shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("shop")
    (directory / "1_shop.sql").write_text(SHOP)
    return directory


@pytest.fixture(scope="module")
def shop(shop_dir: Path) -> Iterator[Factories]:
    factories = generate(shop_dir)
    yield factories
    factories.close()


@pytest.fixture
def session(shop_dir: Path) -> Iterator[Session]:
    yield from _session(_template(shop_dir, ()))


def _session(template: Template) -> Iterator[Session]:
    db = template.clone_memory()
    engine = create_engine(db.url, template.connector)
    reseed(1234)
    with Session(engine) as session:
        token = bind_session(session)
        try:
            yield session
        finally:
            unbind_session(token)
            reseed(None)
    engine.dispose()
    db.close()


def _raw(session: Session) -> Any:
    return session.connection().connection.dbapi_connection


# -- the factories of one schema ----------------------------------------------------------------


def test_one_factory_per_table_by_table_and_class_name(shop: Factories) -> None:
    assert sorted(shop) == [
        "categories",
        "customers",
        "events",
        "nodes",
        "orders",
        "pairs",
        "settings",
        "spans",
    ]
    assert shop["orders"] is shop.OrdersFactory is shop["ORDERS"]
    assert issubclass(shop["orders"], GeneratedFactory)
    assert shop.models["orders"].__name__ == "Orders"
    with pytest.raises(KeyError, match="no factory for table 'nope'; tables: categories, custom"):
        shop["nope"]
    with pytest.raises(AttributeError, match="no factory class 'NopeFactory'"):
        _ = shop.NopeFactory


def test_values_are_realistic_and_timestamps_use_the_schemas_formats(
    shop: Factories, session: Session
) -> None:
    customer = shop["customers"]()
    order = shop["orders"]()
    event = shop["events"]()
    assert re.fullmatch(r"[^@\s]+@[\w.-]+\.\w+", customer.email)
    assert " " in customer.full_name and customer.full_name[0].isupper()
    assert customer.website.startswith(("http://", "https://"))
    # CURRENT_TIMESTAMP: SQLite's text; strftime(...%fZ): RFC 3339 with milliseconds;
    # unixepoch(): integer seconds.
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", customer.created_at)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", order.placed_at)
    assert isinstance(event.happened_at, int) and 10**9 < event.happened_at < 2 * 10**9
    assert isinstance(json.loads(event.payload), dict)
    assert re.fullmatch(r"[0-9a-f]{32}", event.token)
    assert order.status in ("new", "paid", "shipped") and order.total_cents >= 0


def test_timestamps_lie_in_the_past_of_the_pinned_clock(shop: Factories, session: Session) -> None:
    for customer in shop["customers"].create_batch(20):
        made = datetime.fromisoformat(customer.created_at).replace(tzinfo=UTC)
        assert made < datetime(2025, 1, 15, 12, tzinfo=UTC)


def test_traits_come_from_check_value_lists(shop: Factories, session: Session) -> None:
    assert shop["orders"](status="shipped").status == "shipped"
    assert shop["orders"](shipped=True).status == "shipped"
    assert shop["orders"](new=True).status == "new"
    assert "Traits: new, paid, shipped." in (shop["orders"].__doc__ or "")


def test_unique_columns_differ_from_row_to_row(shop: Factories, session: Session) -> None:
    emails = [c.email for c in shop["customers"].create_batch(ROWS)]
    assert len(set(emails)) == ROWS


def test_parents_come_from_subfactories(shop: Factories, session: Session) -> None:
    order = shop["orders"]()
    assert isinstance(order.customer, shop.models["customers"])
    assert order.customer_id == order.customer.id
    mine = shop["customers"]()
    assert shop["orders"](customer=mine).customer_id == mine.id
    assert _raw(session).execute("PRAGMA foreign_key_check").fetchall() == []


def test_self_references(shop: Factories, session: Session) -> None:
    assert shop["categories"]().parent_id is None  # nullable: no parent
    nodes = shop["nodes"].create_batch(3)  # NOT NULL: the row points at itself
    assert [n.root_id for n in nodes] == [n.id for n in nodes]
    assert _raw(session).execute("PRAGMA foreign_key_check").fetchall() == []


def test_checks_relating_columns_are_met(shop: Factories, session: Session) -> None:
    for span in shop["spans"].create_batch(20):
        assert span.hi > span.lo + 10
    for pair in shop["pairs"].create_batch(10):
        assert (pair.left_id is None) != (pair.right_id is None)
    for order in shop["orders"].create_batch(20):
        assert order.shipped_at is None or order.shipped_at > order.placed_at


def test_chosen_values_are_never_second_guessed(shop: Factories, session: Session) -> None:
    with pytest.raises(IntegrityError, match="CHECK constraint failed"):
        shop["orders"](status="lost")
    session.rollback()
    with pytest.raises(IntegrityError, match="CHECK constraint failed: hi > lo"):
        shop["spans"](lo=5, hi=6)
    session.rollback()
    assert shop["spans"](lo=5).lo == 5


def test_limits_name_the_constraint(shop: Factories, session: Session) -> None:
    limit = shop.limits["settings"]
    assert limit.rows == 1 and "CHECK (id = 1)" in limit.reason
    assert shop["settings"]().id == 1


def test_tables_that_can_have_no_row_say_why(tmp_path: Path) -> None:
    (tmp_path / "1_bad.sql").write_text(
        "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER NOT NULL REFERENCES b(id));\n"
        "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL REFERENCES a(id));\n"
        "CREATE TABLE orphans (id INTEGER PRIMARY KEY,"
        " ghost_id INTEGER NOT NULL REFERENCES ghosts(id));\n"
    )
    factories = generate(tmp_path)
    assert "closes a cycle of NOT NULL foreign keys" in factories.limits["b"].reason
    assert factories.limits["orphans"].rows == 0
    with pytest.raises(FactoryError, match="ghosts, which does not exist") as failure:
        factories["orphans"].build()
    assert failure.value.table == "orphans"


def test_metadata_and_awkward_column_names(shop: Factories, session: Session) -> None:
    span = shop["spans"](metadata='{"a": 1}')
    assert span.metadata_ == '{"a": 1}'
    with pytest.raises(TypeError, match="pass metadata_= or metadata=, not both"):
        shop["spans"](metadata="x", metadata_="y")


def test_repr_shows_the_key_only(shop: Factories, session: Session) -> None:
    customer = shop["customers"]()
    assert repr(customer) == f"<Customers id={customer.id}>"
    assert customer.email not in repr(customer)


def test_generated_models_read_every_row_the_schema_allows(
    shop: Factories, session: Session
) -> None:
    session.execute(
        text("INSERT INTO spans (lo, hi, metadata) VALUES ('low', x'00ff', 'not json')")
    )
    span = session.scalars(select(shop.models["spans"])).one()
    assert (span.lo, span.hi, span.metadata_) == ("low", b"\x00\xff", "not json")


def test_a_datetime_is_written_in_the_columns_format(shop: Factories, session: Session) -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    shop["customers"](created_at=when)
    shop["orders"](placed_at=when)
    raw = _raw(session)
    assert raw.execute("SELECT created_at FROM customers").fetchone() == ("2024-05-06 07:08:09",)
    assert raw.execute("SELECT placed_at FROM orders").fetchone() == ("2024-05-06T07:08:09.123Z",)


def test_value_providers_fill_their_columns(shop_dir: Path, session: Session) -> None:
    factories = generate(shop_dir, providers={"Customers.Email": lambda n: f"user{n}@shop.test"})
    try:
        made = factories["customers"].create_batch(3)
    finally:
        factories.close()
    assert [c.email for c in made] == ["user0@shop.test", "user1@shop.test", "user2@shop.test"]


def test_subclassing_tunes_a_generated_factory(shop: Factories, session: Session) -> None:
    class VipFactory(shop["customers"]):  # type: ignore[misc,name-defined]
        full_name = "Grace Hopper"

    vip = VipFactory()
    assert vip.full_name == "Grace Hopper" and "@" in vip.email
    assert session.scalar(text("SELECT count(*) FROM customers")) == 1


def test_build_needs_no_session(shop: Factories) -> None:
    order = shop["orders"].build()
    assert order.id is None and order.customer.email and order.status


def test_same_seed_same_rows_other_seed_other_rows(shop: Factories) -> None:
    def rows(seed: int) -> list[tuple[Any, ...]]:
        reseed(seed)
        try:
            made = shop["orders"].build_batch(3)
            return [(o.status, o.total_cents, o.placed_at, o.customer.email) for o in made]
        finally:
            reseed(None)

    assert rows(5) == rows(5)
    assert rows(5) != rows(6)


def test_conventions_of_existing_rows_and_a_schema_snapshot(tmp_path: Path) -> None:
    conn = default_connector().connect(":memory:")
    conn.executescript(
        "CREATE TABLE logs (id INTEGER PRIMARY KEY, logged_at TEXT NOT NULL, line TEXT);"
        "INSERT INTO logs (logged_at) VALUES ('2020-01-02 03:04:05.678');"
    )
    factories = generate(conn)
    try:
        made = factories["logs"].build()
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", made.logged_at)
        from_schema = generate(snapshot(conn))
        assert list(from_schema) == ["logs"]
        from_schema.close()
    finally:
        factories.close()
        conn.close()


def test_timestamp_formats_from_the_columns_checks(tmp_path: Path) -> None:
    (tmp_path / "1_x.sql").write_text(
        "CREATE TABLE a (id INTEGER PRIMARY KEY,\n"
        "  made_at TEXT NOT NULL CHECK (made_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] "
        "[0-9][0-9]:[0-9][0-9]:[0-9][0-9]'),\n"
        "  seen_at TEXT CHECK (seen_at IS NULL OR datetime(seen_at) = seen_at),\n"
        "  ok_at TEXT NOT NULL CHECK (length(ok_at) = 20));"
    )
    factories = generate(tmp_path)
    try:
        made = factories["a"].build()
    finally:
        factories.close()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", made.made_at)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", made.seen_at)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", made.ok_at)


@pytest.mark.parametrize(
    ("sample", "written"),
    [
        ("2025-01-15T12:34:56.789Z", "2024-05-06T07:08:09.123Z"),
        ("2025-01-15 12:34:56", "2024-05-06 07:08:09"),
        ("2025-01-15 12:34:56.123456", "2024-05-06 07:08:09.123456"),
        ("2025-01-15T12:34:56+00:00", "2024-05-06T07:08:09+00:00"),
        ("2025-01-15", "2024-05-06"),
        (1736944496, 1714979289),
        (1736944496123, 1714979289123),
        ("1736944496", 1714979289),
    ],
)
def test_timestamp_formats_from_a_sample(sample: Any, written: Any) -> None:
    fmt = timeformats.from_sample(sample)
    assert fmt is not None
    assert fmt.write(datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)) == written


@pytest.mark.parametrize("sample", ["draft", 42, 3.5, b"\x00", None, "2025-13"])
def test_values_that_are_no_timestamps(sample: Any) -> None:
    assert timeformats.from_sample(sample) is None


# -- every real schema --------------------------------------------------------------------------


def _extensions(directory: Path) -> tuple[str, ...]:
    """The SQLite extensions a corpus directory needs (its ``ini`` in ``expect.json``)."""
    expect = CORPUS / "expect.json"
    if directory.parent != CORPUS or not expect.is_file():
        return ()
    ini = json.loads(expect.read_text()).get(directory.name, {}).get("ini", "")
    found = re.search(r"acodb_sqlite_extensions\s*=\s*(.+)", ini)
    return tuple(e.strip() for e in found.group(1).split(",")) if found else ()


@functools.cache
def _template(directory: Path, extensions: tuple[str, ...]) -> Template:
    connector = Connector(drivers.load(), extensions=extensions)
    return Template(resolve(directory), connector=connector)


@functools.cache
def _factories(directory: Path, extensions: tuple[str, ...]) -> Factories:
    template = _template(directory, extensions)
    conn = template.connector.open_image(template.image)
    values = directory / "values"
    supplied = (
        ValueProviders.from_lines(values.read_text().splitlines()) if values.is_file() else {}
    )
    providers = {key: functools.partial(supplied.value, *key.split(".", 1)) for key in supplied}
    try:
        return generate(conn, connector=template.connector, providers=providers)
    finally:
        conn.close()


def _directories() -> list[tuple[str, Path]]:
    found = [(f"realistic/{d.name}", d) for d in sorted((HERE / "realistic").iterdir())]
    for case in sorted((HERE / "cases").iterdir()):
        expect = case / "expect"
        if expect.is_file() and expect.read_text().split()[0] == "clean":
            found.append((f"cases/{case.name}", case))
    if CORPUS.is_dir():
        found += [(f"corpus/{d.name}", d) for d in sorted(CORPUS.iterdir()) if d.is_dir()]
    return found


def _tables() -> list[Any]:
    """``(directory, extensions, table)`` for every table of every directory that applies."""
    params = []
    for label, directory in _directories():
        extensions = _extensions(directory)
        try:
            template = _template(directory, extensions)
        except (SourceError, Exception):  # a directory that does not apply, a missing extension
            continue
        conn = template.connector.open_image(template.image)
        try:
            schema = snapshot(conn)
        finally:
            conn.close()
        params += [
            pytest.param(directory, extensions, name, id=f"{label}:{name}")
            for name, table in schema.tables.items()
            if table.ordinary and name not in BOOKKEEPING
        ]
    return params


def _guards(schema: Schema, table: str) -> list[str]:
    """BEFORE INSERT triggers of ``table`` that may RAISE: rules the schema's structure does
    not state."""
    return [
        t.name
        for t in schema.triggers.values()
        if t.table == table and t.event == "INSERT" and "RAISE" in t.sql.upper()
    ]


def _fill(directory: Path, extensions: tuple[str, ...], table: str, seed: int) -> dict[str, Any]:
    """Make ``ROWS`` rows of ``table`` (and their parents) on a fresh copy, check the database,
    and return every row of every table."""
    template = _template(directory, extensions)
    factories = _factories(directory, extensions)
    db = template.clone_memory()
    engine: Engine = create_engine(db.url, template.connector)
    reseed(seed)
    try:
        with Session(engine) as session:
            token = bind_session(session)
            try:
                before = session.scalar(text(f'SELECT count(*) FROM "{table}"'))
                try:
                    factories[table].create_batch(ROWS)
                except IntegrityError as error:
                    guards = _guards(factories.schema, table)
                    if not guards:
                        raise
                    pytest.skip(
                        f"BEFORE INSERT trigger(s) {', '.join(guards)} of {table} reject rows "
                        f"the schema's structure cannot describe: {error.orig}"
                    )
                after = session.scalar(text(f'SELECT count(*) FROM "{table}"'))
            finally:
                unbind_session(token)
        conn = db.connect()
        try:
            assert after - before == ROWS
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            return {
                name: conn.execute(f'SELECT * FROM "{name}"').fetchall()
                for name in factories
                if factories.schema.tables[name].ordinary
            }
        finally:
            conn.close()
    finally:
        reseed(None)
        engine.dispose()
        db.close()


@pytest.mark.parametrize(("directory", "extensions", "table"), _tables())
def test_generated_factories_fill_every_table(
    directory: Path, extensions: tuple[str, ...], table: str
) -> None:
    limit = _factories(directory, extensions).limits.get(table)
    if limit is not None and limit.rows < ROWS:
        pytest.skip(f"at most {limit.rows} more row(s): {limit.reason}")
    first = _fill(directory, extensions, table, seed=20250115)
    assert _fill(directory, extensions, table, seed=20250115) == first


def _needs_an_extension(directory: Path) -> bool:
    """True when ``directory`` calls a function no SQLite here has (an application's own
    extension, as the issue-12 cases that show the checks skipping it)."""
    try:
        _template(directory, _extensions(directory))
    except MigrateError as error:
        return error.needs == "extension"
    return False


def test_every_corpus_directory_applies_and_is_covered() -> None:
    covered = {p.values[0] for p in _tables()}
    expected = [d for _, d in _directories() if not _needs_an_extension(d)]
    assert [d for d in expected if d not in covered] == []
    assert any(_needs_an_extension(d) for _, d in _directories())
