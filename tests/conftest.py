"""Fixtures: the app on temporary database and queue files, and a real SMTP server; and the
lanes each test is marked with (`make test-fast` runs none of them)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from openpositions.extensions import db
from openpositions.queue import queue_of
from tests.support.app import make_app
from tests.support.chromium import launched_chromium
from tests.support.net import free_port
from tests.support.services import postgres_database
from tests.support.smtp import SmtpSink, serving

# The lanes' guard (tests/support/lanes.py), and pytester for the tests of the lanes.
pytest_plugins = ["pytester", "tests.support.lanes"]

# What the tests here need beyond Python, by place: a folder, a module, or one test of a module
# (paths relative to tests/). `make test-fast` runs no test marked with a lane. The guard fails
# any test that starts or reaches a lane's program or server without the lane's marker, so a
# test missing here fails (in either lane) rather than slipping into the fast one.
LANES_BY_PLACE: dict[str, tuple[str, ...]] = {
    "browser/": ("browser",),
    "browser/test_through_the_edge.py": ("nginx", "processes"),
    "deploy/test_nginx_edge.py": ("nginx", "processes"),
    "deploy/test_nginx_rules.py": ("nginx",),
    "deploy/test_serving.py": ("processes",),
    "deploy/test_production.py": ("processes", "postgresql", "redis"),
    "deploy/test_metrics_serving.py": ("processes", "postgresql"),
    "deploy/test_install.py::test_installed_as_the_deployment_says_the_site_serves_german_at_de": (
        "processes",
    ),
    "deploy/test_install.py::test_a_deploy_that_missed_compiling_stops_naming_file_and_command": (
        "processes",
    ),
    "content/test_store.py::test_a_running_gunicorn_serves_an_edit_without_a_restart": (
        "processes",
    ),
    "content/test_broken_content.py": ("processes",),
    "content/test_loader.py::test_start_on_good_content_succeeds": ("processes",),
    "content/test_loader.py::test_start_on_bad_content_prints_one_line_and_no_traceback": (
        "processes",
    ),
    "positions/test_cli.py::test_starting_on_content_with_errors_stops_with_every_line": (
        "processes",
    ),
    "positions/test_cli.py::test_the_start_succeeds_on_content_with_only_warnings": ("processes",),
    "enquiries/intake/test_cv_check.py::test_a_page_printed_to_pdf_by_chromium_passes": (
        "browser",
    ),
    "alerts/test_exactly_once.py": ("processes", "postgresql", "redis"),
    "alerts/test_pages_in_browser.py": ("browser",),
}
TESTS_DIR = Path(__file__).parent


def lanes_of(item: pytest.Item) -> set[str]:
    """The lanes of a collected test: by its place, and PostgreSQL for that run of `database`."""
    path = item.path.relative_to(TESTS_DIR).as_posix()
    test = f"{path}::{item.name.partition('[')[0]}"
    lanes = {
        lane
        for place, place_lanes in LANES_BY_PLACE.items()
        if test == place or path == place or (place.endswith("/") and path.startswith(place))
        for lane in place_lanes
    }
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("database") == "postgresql":
        lanes.add("postgresql")
    return lanes


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(TESTS_DIR):
            for lane in sorted(lanes_of(item)):
                item.add_marker(lane)


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


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the session, wherever its tests are: Playwright's synchronous API runs
    an event loop of its own, and a second one started beside it fails."""
    with launched_chromium() as chromium:
        yield chromium
