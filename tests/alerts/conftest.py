"""The alerts' tests: the site with SITE_URL (without it the site offers no alerts) and a copy
of the content that a test may open positions in; for the browser, the site on a real server."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from openpositions.extensions import db
from openpositions.queue import queue_of
from tests.alerts.subscribers import SITE_URL

# The browser tests' own: Chromium, a tab, and the site (site_app, below) on a real server.
from tests.browser.conftest import page, site  # noqa: F401
from tests.support.app import make_app
from tests.support.content import copy_content
from tests.support.smtp import SmtpSink


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return copy_content(tmp_path)


@pytest.fixture
def app(tmp_path: Path, smtp: SmtpSink, database: str, content_dir: Path) -> Iterator[Flask]:
    app = make_app(
        tmp_path,
        smtp.port,
        SQLALCHEMY_DATABASE_URI=database,
        SITE_URL=SITE_URL,
        CONTENT_DIR=str(content_dir),
        # Each content edit is seen at the next look, as in debug mode: no waiting on a watcher.
        CONTENT_CHECK_INTERVAL=0,
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def site_app(tmp_path: Path, smtp: SmtpSink, content_dir: Path) -> Iterator[Flask]:
    """The site as served, with SITE_URL, form tokens on and the queue's consumer running."""
    app = make_app(
        tmp_path,
        smtp.port,
        WTF_CSRF_ENABLED=True,
        TESTING=False,
        SITE_URL=SITE_URL,
        CONTENT_DIR=str(content_dir),
    )
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    yield app
    queue.stop_in_process()
