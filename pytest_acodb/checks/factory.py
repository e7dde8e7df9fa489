"""The ``factory`` check: each bundled factory makes rows the migrated schema accepts.

Imports :mod:`pytest_acodb.factories` (factory_boy, SQLAlchemy, the models) only when run.
"""

from __future__ import annotations

from typing import Any

from ..db.template import Template
from ..errors import CheckSkipped
from .base import fail, require_complete
from .walk import Walk

BATCH = 100
"""Rows each factory creates in its check."""


def factory_names() -> list[str]:
    """Class names of :data:`pytest_acodb.factories.ACODB_FACTORIES`, in their order."""
    from ..acolib import factories

    return [f.__name__ for f in factories.ACODB_FACTORIES]


def check_factory(walk: Walk, name: str, count: int = BATCH) -> None:
    """Factory ``name`` creates ``count`` rows that commit on a copy of the final state; then
    its table has ``count`` more rows and ``foreign_key_check``/``integrity_check`` are clean."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from ..acolib import factories

    require_complete(walk)
    factory: Any = next(f for f in factories.ACODB_FACTORIES if f.__name__ == name)
    table = factory._meta.model.__tablename__
    if table not in walk.steps[-1].schema.tables:
        raise CheckSkipped(f"{name} writes to table {table}, which these migrations do not create")
    template = Template(walk.source, image=walk.steps[-1].image, connector=walk.connector)
    db = template.clone_memory()
    # hide_parameters: a failure message must never carry row values (secret configurations).
    engine = walk.connector.create_engine(db.url, hide_parameters=True)
    counting = text(f'SELECT count(*) FROM "{table}"')
    try:
        # Factories commit every row; expiring the whole session on each commit would make the
        # batch quadratic and reload every parent, so keep loaded state across commits.
        with Session(engine, expire_on_commit=False) as session:
            token = factories.bind_session(session)
            try:
                before = session.execute(counting).scalar_one()
                factory.create_batch(count)
                session.commit()
                after = session.execute(counting).scalar_one()
            except Exception as exc:  # a factory can fail in SQLAlchemy, factory_boy or Faker
                fail(
                    "factory",
                    name,
                    f"{name}.create_batch({count}) failed: {type(exc).__name__}: {exc}",
                )
            finally:
                factories.unbind_session(token)
        conn = db.connect()
        try:
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
    finally:
        engine.dispose()
        db.close()
        template.close()
    if after - before != count:
        fail(
            "factory",
            name,
            f"{name}.create_batch({count}) added {after - before} rows to "
            f"{table}, expected {count}",
        )
    if broken:
        fail(
            "factory",
            name,
            f"after {name}.create_batch({count}), PRAGMA foreign_key_check "
            f"reports {len(broken)} orphan row(s), e.g. {broken[0]}",
        )
    if integrity != ["ok"]:
        fail("factory", name, f"after {name}: integrity_check says {'; '.join(integrity[:5])}")
