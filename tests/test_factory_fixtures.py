"""Factories in users' tests: acodb_factories for any migrations, pytest-factoryboy as users
write it, hand-written factories on the kit's base, and the bundled models on rows the schema
allows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

BOOKMARKS = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE bookmarks (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    visibility TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public')),
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
"""


def _own_migrations(pytester: pytest.Pytester) -> None:
    migrations = pytester.mkdir("migrations")
    (migrations / "20240101000000_bookmarks.sql").write_text(BOOKMARKS)
    pytester.makeini("[pytest]\nacodb_migrations = migrations\n")


# -- the README example and argument order -----------------------------------------------------

README_CONFTEST = """
from pytest_factoryboy import register
from pytest_acodb.acolib.factories import TaskFactory, ToolExecutionFactory

register(TaskFactory)            # fixtures task, task_factory
register(ToolExecutionFactory)   # fixtures tool_execution, tool_execution_factory
"""


def test_readme_pytest_factoryboy_example(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(README_CONFTEST)
    pytester.makepyfile(
        """
        def test_tool_run(tool_execution):
            assert tool_execution.task.status == "running"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_registered_fixtures_in_any_argument_order(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(README_CONFTEST)
    pytester.makepyfile(
        """
        import pytest
        from sqlalchemy import func, select
        from pytest_acodb.acolib.models import Task, ToolExecution

        def coherent(execution, session):
            task = execution.task
            assert task.status == "running" and task.started_at is not None
            assert task.started_at <= execution.created_at
            assert session.scalar(select(func.count()).select_from(Task)) == 1
            assert session.scalar(select(func.count()).select_from(ToolExecution)) == 1

        def test_session_first(acodb_session, tool_execution):
            coherent(tool_execution, acodb_session)

        def test_session_last(tool_execution, acodb_session):
            coherent(tool_execution, acodb_session)

        def test_no_session(tool_execution, acodb_factories):
            assert tool_execution.task.status == "running"

        def test_parent_first(task, tool_execution, acodb_session):
            assert tool_execution.task is task
            coherent(tool_execution, acodb_session)

        def test_parent_last(acodb_session, tool_execution, task):
            assert tool_execution.task is task
            coherent(tool_execution, acodb_session)

        def test_task_alone_keeps_its_own_default(task):
            assert task.status == "pending"

        @pytest.mark.parametrize("task__status", ["completed"])
        def test_a_chosen_value_wins(tool_execution):
            assert tool_execution.task.status == "completed"
        """
    )
    pytester.runpytest().assert_outcomes(passed=7)


# -- acodb_factories for your own migrations ----------------------------------------------------


def test_factories_fixture_for_own_migrations(pytester: pytest.Pytester) -> None:
    _own_migrations(pytester)
    pytester.makepyfile(
        """
        from sqlalchemy import text

        def test_by_table_and_class(acodb_factories, acodb_session):
            bookmark = acodb_factories["bookmarks"]()
            assert bookmark.user.email and bookmark.url.startswith("http")
            assert acodb_factories.BookmarksFactory(public=True).visibility == "public"
            assert acodb_factories["bookmarks"](visibility="public").visibility == "public"
            count = acodb_session.execute(text("SELECT count(*) FROM users")).scalar()
            assert count == 3

        def test_every_table(acodb_factories):
            assert sorted(acodb_factories) == ["bookmarks", "users"]
            acodb_factories["users"].create_batch(50)
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_factories_fixture_replays_with_the_seed(pytester: pytest.Pytester) -> None:
    _own_migrations(pytester)
    pytester.makepyfile(
        """
        import json, pathlib

        def test_rows(acodb_factories, acodb_connection):
            acodb_factories["bookmarks"].create_batch(3)
            rows = acodb_connection.exec_driver_sql(
                "SELECT * FROM bookmarks JOIN users ON users.id = bookmarks.user_id"
            ).fetchall()
            pathlib.Path("rows.json").write_text(json.dumps([list(r) for r in rows]))
        """
    )

    def rows(seed: str) -> object:
        pytester.runpytest_subprocess(f"--acodb-seed={seed}").assert_outcomes(passed=1)
        return json.loads((pytester.path / "rows.json").read_text())

    first = rows("42")
    assert rows("42") == first
    assert rows("43") != first


def test_readme_quick_path_for_own_migrations(pytester: pytest.Pytester) -> None:
    # The README's "Factories for your own migrations", as written there.
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert BOOKMARKS.lstrip("\n") in readme
    _own_migrations(pytester)
    pytester.makepyfile(
        test_bookmarks="""
        def test_bookmark_belongs_to_a_user(acodb_factories):
            bookmark = acodb_factories["bookmarks"](public=True)
            assert bookmark.user.email
            assert bookmark.visibility == "public"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_conftest_factories_are_the_fixtures_factories(pytester: pytest.Pytester) -> None:
    # Subclassing and pytest-factoryboy registration, as the README shows them.
    _own_migrations(pytester)
    pytester.makeconftest(
        """
        from pathlib import Path
        from pytest_factoryboy import register
        from pytest_acodb.synth.factories import generate

        factories = generate(Path(__file__).parent / "migrations")

        class BookmarkFactory(factories["bookmarks"]):
            title = "Read later"

        register(factories["users"])   # fixtures users, users_factory
        register(BookmarkFactory)      # fixtures bookmarks, bookmark_factory
        """
    )
    pytester.makepyfile(
        """
        from conftest import BookmarkFactory, factories

        def test_same_classes(acodb_factories):
            assert acodb_factories["bookmarks"] is factories["bookmarks"]
            bookmark = BookmarkFactory(user=acodb_factories["users"](), public=True)
            assert bookmark.title == "Read later" and bookmark.user.email

        def test_registered(bookmarks, bookmark_factory, users_factory):
            assert bookmarks.title == "Read later" and bookmarks.user.display_name
            assert bookmark_factory is BookmarkFactory and users_factory is factories["users"]
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


# -- a hand-written factory on the kit's base ----------------------------------------------------


def test_hand_written_factory_writes_to_the_tests_session(pytester: pytest.Pytester) -> None:
    _own_migrations(pytester)
    pytester.makeconftest(
        """
        import factory
        from pytest_factoryboy import register
        from sqlalchemy import ForeignKey
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
        from pytest_acodb.synth.factories import AcodbFactory

        class Base(DeclarativeBase):
            pass

        class User(Base):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
            email: Mapped[str]
            display_name: Mapped[str]

        class Bookmark(Base):
            __tablename__ = "bookmarks"
            id: Mapped[int] = mapped_column(primary_key=True)
            user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
            url: Mapped[str]
            title: Mapped[str]
            user: Mapped[User] = relationship()

        @register
        class UserFactory(AcodbFactory):
            class Meta:
                model = User

            email = factory.Sequence(lambda n: f"user{n}@example.com")
            display_name = factory.Faker("name")

        @register
        class BookmarkFactory(AcodbFactory):
            class Meta:
                model = Bookmark

            user = factory.SubFactory(UserFactory)
            url = factory.Faker("url")
            title = factory.Faker("sentence")
        """
    )
    pytester.makepyfile(
        """
        from sqlalchemy import text
        from conftest import BookmarkFactory

        def test_fixture(bookmark, acodb_connection):
            assert bookmark.user.email.endswith("@example.com")
            count = acodb_connection.execute(text("SELECT count(*) FROM bookmarks")).scalar()
            assert count == 1

        def test_call(acodb_session):
            BookmarkFactory.create_batch(3)
            assert acodb_session.execute(text("SELECT count(*) FROM users")).scalar() == 3
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


# -- the bundled models read every row the schema allows ---------------------------------------


def test_plain_text_output_reads_through_the_models(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from sqlalchemy import select, text
        from pytest_acodb.acolib.factories import ToolExecutionFactory
        from pytest_acodb.acolib.models import ToolExecution

        def test_plain_text(acodb_session):
            execution = ToolExecutionFactory()
            acodb_session.execute(
                text("UPDATE tool_executions SET output = 'Segmentation fault' WHERE id = :id"),
                {"id": execution.id},
            )
            acodb_session.commit()
            acodb_session.expire_all()
            assert acodb_session.get(ToolExecution, execution.id).output == "Segmentation fault"
            assert acodb_session.scalars(select(ToolExecution)).one().output == "Segmentation fault"

        def test_json_still_reads_as_objects(acodb_session):
            execution = ToolExecutionFactory(completed=True)
            acodb_session.expire_all()
            assert acodb_session.get(ToolExecution, execution.id).output["exit_code"] == 0
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_a_table_the_migrations_filled_names_its_limit(pytester: pytest.Pytester) -> None:
    """Every value the key's CHECK allows is taken by rows the migrations left: the factory says
    so (FactoryError naming the key and the CHECK), not a bare UNIQUE constraint error."""
    d = pytester.mkdir("migrations")
    (d / "1_plans.sql").write_text(
        "CREATE TABLE plan_limits (plan TEXT PRIMARY KEY CHECK (plan IN ('a','b','c')), n INTEGER NOT NULL DEFAULT 1);\n"
        "INSERT INTO plan_limits (plan) VALUES ('a'), ('b'), ('c');\n"
    )
    pytester.makeini("[pytest]\nacodb_migrations = migrations\n")
    pytester.makepyfile("""
import pytest
from pytest_acodb.errors import FactoryError

def test_it(acodb_factories, acodb_session):
    with pytest.raises(FactoryError, match="plan_limits: primary key takes at most 3 distinct value.*no room for another row"):
        acodb_factories["plan_limits"]()
""")
    pytester.runpytest().assert_outcomes(passed=1)
