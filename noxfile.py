"""The compatibility matrix: the test suite against the oldest and newest supported releases.

Run with ``nox`` (``pip install nox``). The ranges are the ones pyproject.toml declares and the
README states; ``oldest`` pins each runtime dependency to its lowest supported release.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"

OLDEST = [
    "pytest==8.0.0",
    "SQLAlchemy==2.0.0",
    "factory-boy==3.3.1",
    "Faker==20.0.0",
    "filelock==3.12.0",
    "sqlglot==26.0.0",
    "python-dotenv==1.0.0",
]


@nox.session(python="3.11")
@nox.parametrize("deps", ["oldest", "newest"])
def tests(session: nox.Session, deps: str) -> None:
    """The project's tests with the oldest or the newest supported dependencies."""
    session.install(".[test]")
    if deps == "oldest":
        session.install(*OLDEST)
    else:
        session.install(
            "--upgrade",
            "pytest",
            "SQLAlchemy",
            "factory-boy",
            "Faker",
            "filelock",
            "sqlglot",
            "python-dotenv",
        )
    session.run("pip", "list", "--format=freeze", silent=False)
    session.run("pytest", "-q", "-p", "no:cacheprovider", *session.posargs)
