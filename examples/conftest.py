"""The example suite needs no setup: installing pytest-acodb registers its fixtures.

To test your own migrations instead of the bundled acolib ones, set ``acodb_migrations`` in your
ini file or override the fixture here::

    @pytest.fixture(scope="session")
    def acodb_migrations_dir():
        return Path(__file__).parent / "migrations"
"""
