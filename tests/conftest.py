"""Fixtures: the app on temporary database and queue files, and a real SMTP server."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from openpositions.extensions import db
from openpositions.queue import queue_of
from tests.support.app import make_app
from tests.support.net import free_port
from tests.support.services import postgres_database
from tests.support.smtp import SmtpSink, serving


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpSink]:
    with serving(SmtpSink(port=free_port())) as sink:
        yield sink


@pytest.fixture
def smtp(smtp_server: SmtpSink) -> SmtpSink:
    smtp_server.reset()
    return smtp_server


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Tests marked `database` run on SQLite and again on PostgreSQL.
    if metafunc.definition.get_closest_marker("database") and "database" in metafunc.fixturenames:
        metafunc.parametrize("database", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The SQLAlchemy URL of an empty database for one test: SQLite unless parametrized."""
    if getattr(request, "param", "sqlite") == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'enquiries.sqlite3'}"


@pytest.fixture
def app(tmp_path: Path, smtp: SmtpSink, database: str) -> Iterator[Flask]:
    app = make_app(tmp_path, smtp.port, SQLALCHEMY_DATABASE_URI=database)
    yield app
    with app.app_context():
        db.engine.dispose()  # Close its connections before the database is dropped.


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def consumer(app: Flask) -> Iterator[None]:
    """The real Huey consumer, delivering from background threads as the web process does."""
    queue = queue_of(app)
    queue.start_in_process(workers=2)
    yield
    queue.stop_in_process()
