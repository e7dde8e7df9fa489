"""How tests are kept apart: the isolation strategies and the registry that makes them.

* ``clone`` -- :class:`~.clone.CloneSlot`: one URL and one session-wide SQLAlchemy ``Engine``
  whose database is refilled from the template before every test.
* ``rollback`` -- :class:`~.rollback.RollbackDatabase`: one migrated database shared by the
  session; each test runs inside an outer transaction that is rolled back afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...errors import NoTemplateError
from ..template import Template
from .clone import CloneSlot
from .rollback import RollbackDatabase


class Databases:
    """The databases one test session cuts from a template, each made on first use.

    :meth:`get` returns, per isolation and backend, a :class:`CloneSlot` or a
    :class:`RollbackDatabase`; all file-backend ones share one directory. ``template``: the
    template to cut from, or ``None`` to take it from the first :meth:`get`'s ``template``
    callable (so a session fixture can make this object before the template exists).
    """

    def __init__(self, template: Template | None = None) -> None:
        self.template = template
        self._directory: Path | None = None
        self._made: dict[tuple[str, str], CloneSlot | RollbackDatabase] = {}

    def get(
        self,
        isolation: str,
        backend: str,
        make_directory: Callable[[], Path],
        template: Callable[[], Template] | None = None,
    ) -> CloneSlot | RollbackDatabase:
        """The holder for ``isolation`` (``clone``/``rollback``) and ``backend``
        (``memory``/``file``). ``make_directory`` is called once, when the first file-backend
        database is needed, and returns a directory for them unique to this process;
        ``template`` is called once, when the first holder is made and no template was given to
        the constructor (``NoTemplateError`` if neither gives one)."""
        made = self._made.get((isolation, backend))
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
            kind = RollbackDatabase if isolation == "rollback" else CloneSlot
            made = self._made[isolation, backend] = kind(self.template, directory)
        return made

    def close(self) -> None:
        """Close every database made."""
        for made in self._made.values():
            made.close()
        self._made.clear()
