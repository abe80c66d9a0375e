"""The migrations make the tables the models describe, on SQLite and PostgreSQL: a model
changed without its migration (or the other way round) fails here, not in production."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from openpositions import create_app
from openpositions.extensions import db
from tests.support.app import app_config
from tests.support.paths import PROJECT_DIR

pytestmark = pytest.mark.database

MIGRATIONS = str(PROJECT_DIR / "migrations")


def test_the_migrated_database_matches_the_models(tmp_path: Path, database: str) -> None:
    app = create_app(app_config(tmp_path, 0, SQLALCHEMY_DATABASE_URI=database))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert differences == []


def test_every_migration_can_be_undone(tmp_path: Path, database: str) -> None:
    app = create_app(app_config(tmp_path, 0, SQLALCHEMY_DATABASE_URI=database))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        downgrade(directory=MIGRATIONS, revision="base")
        with db.engine.connect() as connection:
            left = db.inspect(connection).get_table_names()
        db.engine.dispose()
    assert set(left) <= {"alembic_version"}
