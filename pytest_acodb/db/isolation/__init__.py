"""How tests are kept apart: the isolation strategies, the one interface they share, and the
registry that makes them.

* ``clone`` -- :class:`~.clone.CloneSlot`: one URL and one session-wide SQLAlchemy ``Engine``
  whose database is a copy of the template at the start of every test.
* ``rollback`` -- :class:`~.rollback.RollbackDatabase`: one migrated database shared by the
  session; each test runs inside an outer transaction that is rolled back afterwards.

Neither module imports the other; both keep connections from test to test and share
:mod:`.watch` to notice what a test did to one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from ...errors import NoTemplateError
from ..connect import Database
from ..template import Template
from .clone import CloneSlot
from .rollback import RollbackDatabase
from .watch import WatchedConnection


class Isolation(Protocol):
    """One isolation strategy's holder of a database, as the per-test fixture uses it.

    Per test: :meth:`start_test`, the test, :meth:`end_test`. ``template`` is what the database
    is a copy of; ``database`` the session-wide :class:`~pytest_acodb.db.connect.Database`.
    """

    template: Template

    def start_test(self) -> Database:
        """Make the database ready for a test and return what the test gets (``url``,
        ``engine``, ``connect()``); raises the driver's errors when it cannot."""
        ...

    def end_test(self) -> None:
        """Undo the test; raises :class:`~pytest_acodb.errors.AcodbError` (one line, naming what
        the test did and what to do) when the test broke the isolation, after putting things
        right for the next test."""
        ...

    def writer(self) -> AbstractContextManager[Any]:
        """A DB-API connection in autocommit mode whose committed writes the test sees (under
        rollback: the test's own connection, inside its outer transaction), for SQL fixtures."""
        ...

    def kept_connections(self) -> list[WatchedConnection]:
        """The DB-API connections of the holder's engine that are open now, through which the
        test's own view of the database (uncommitted rows included) can be read."""
        ...

    def close(self) -> None:
        """Free the database and its connections."""
        ...


STRATEGIES: dict[str, type[CloneSlot] | type[RollbackDatabase]] = {
    "clone": CloneSlot,
    "rollback": RollbackDatabase,
}
"""Each isolation's name (the marker's and the option's values) and its holder class."""


class Databases:
    """The databases one test session cuts from a template, each made on first use.

    :meth:`get` returns, per isolation, backend and target version, an :class:`Isolation`; all
    file-backend ones share one directory. ``template``: the template to cut from, or ``None``
    to take it from the first :meth:`get`'s ``template`` callable (so a session fixture can make
    this object before the template exists). Templates of a ``target`` version are made from
    it once per version.
    """

    def __init__(self, template: Template | None = None) -> None:
        self.template = template
        self._directory: Path | None = None
        self._made: dict[tuple[str, str, int | None], Isolation] = {}
        self._templates: dict[int, Template] = {}

    def get(
        self,
        isolation: str,
        backend: str,
        make_directory: Callable[[], Path],
        template: Callable[[], Template] | None = None,
        target: int | None = None,
    ) -> Isolation:
        """The holder for ``isolation`` (``clone``/``rollback``), ``backend``
        (``memory``/``file``) and ``target`` (a version to migrate up to; ``None``: all).
        ``make_directory`` is called once, when the first file-backend database is needed, and
        returns a directory for them unique to this process; ``template`` is called once, when
        the first holder is made and no template was given to the constructor
        (``NoTemplateError`` if neither gives one). A target that is not a version raises
        ``TargetNotFoundError`` naming the versions."""
        made = self._made.get((isolation, backend, target))
        if made is None:
            if self.template is None:
                if template is None:
                    raise NoTemplateError("Databases.get: no template given")
                self.template = template()
            directory = None
            if backend == "file":
                if self._directory is None:
                    self._directory = make_directory()
                directory = self._directory
                if target is not None:
                    directory = directory / f"target-{target}"
                    directory.mkdir(exist_ok=True)
            made = STRATEGIES[isolation](self._template(target), directory)
            self._made[isolation, backend, target] = made
        return made

    def _template(self, target: int | None) -> Template:
        assert self.template is not None
        if target is None:
            return self.template
        if target not in self._templates:
            self._templates[target] = Template(
                self.template.source, connector=self.template.connector, target=target
            )
        return self._templates[target]

    def close(self) -> None:
        """Close every database made."""
        for made in self._made.values():
            made.close()
        self._made.clear()
        for template in self._templates.values():
            template.close()
        self._templates.clear()
