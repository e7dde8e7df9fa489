"""Which SQLAlchemy session the factories write to: the one bound for the current context.

``acodb_session`` binds the test's session (:func:`bind_session`); outside pytest, bind your own.
While pytest sets up a fixture, the plugin also provides a way to get the test's session on
demand (:func:`provide_session`), so a factory called from a fixture set up before
``acodb_session`` (pytest-factoryboy's model fixtures, or your own) still writes to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

from ..errors import NoSessionError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_bound: ContextVar[Session | None] = ContextVar("acodb_factory_session", default=None)
_provider: ContextVar[Callable[[], Session] | None] = ContextVar(
    "acodb_session_provider", default=None
)


def bind_session(session: Session) -> Token[Session | None]:
    """Make ``session`` the one every factory writes to; returns the token for
    :func:`unbind_session`. Binding is per context (thread or task)."""
    return _bound.set(session)


def unbind_session(token: Token[Session | None]) -> None:
    """Restore the binding that was in place before the :func:`bind_session` that made ``token``."""
    _bound.reset(token)


@contextmanager
def provide_session(provider: Callable[[], Session]) -> Iterator[None]:
    """Within the block, :func:`current_session` calls ``provider`` when no session is bound
    (the plugin's provider requests the test's ``acodb_session``, which binds it)."""
    token = _provider.set(provider)
    try:
        yield
    finally:
        _provider.reset(token)


def current_session() -> Session:
    """The bound session (asking the provider of :func:`provide_session` for it when none is
    bound yet). Raises :class:`~pytest_acodb.errors.NoSessionError` saying how to bind one."""
    session = _bound.get()
    if session is None:
        provider = _provider.get()
        if provider is not None:
            session = provider()
    if session is None:
        raise NoSessionError()
    return session
