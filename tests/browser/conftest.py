"""A real browser (Debian's Chromium, driven by Playwright) against the site on a real server."""

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from openpositions.queue import queue_of
from tests.support.app import make_app
from tests.support.content import copy_content
from tests.support.smtp import SmtpSink


@pytest.fixture
def site_app(tmp_path: Path, smtp: SmtpSink) -> Iterator[Flask]:
    """The site as served: form tokens on, the queue consumer running, mail to a real server,
    and site.yaml's facts filled in as a deployed site's are (the group office's address too)."""
    content = copy_content(tmp_path)
    app = make_app(
        tmp_path, smtp.port, WTF_CSRF_ENABLED=True, TESTING=False, CONTENT_DIR=str(content)
    )
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    yield app
    queue.stop_in_process()


@pytest.fixture
def site(site_app: Flask) -> Iterator[str]:
    """The base URL of the site served by a real HTTP server on a loopback port."""
    server = make_server("127.0.0.1", 0, site_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    tab = context.new_page()
    yield tab
    context.close()
