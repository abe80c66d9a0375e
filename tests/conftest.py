"""Fixtures: the app on temporary database and queue files, and a real SMTP server."""

import io
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from openpositions import create_app
from openpositions.extensions import db
from tests.services import postgres_database

PROJECT_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SmtpSink:
    """An aiosmtpd handler whose answer a test can set: accept, or refuse with a code."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    reply: str = "250 OK"
    delay: float = 0.0
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        if self.reply.startswith("250"):
            with self.arrived:
                self.received.append(
                    Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
                )
                self.arrived.notify_all()
        return self.reply

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        """Wait until `count` messages have arrived; fail the test if they do not."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                pytest.fail(f"expected {count} mails, {len(self.received)} arrived in {timeout}s")
        return list(self.received)

    def reset(self) -> None:
        with self.arrived:
            self.received.clear()
        self.reply = "250 OK"
        self.delay = 0.0


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def smtp(smtp_server: SmtpSink) -> SmtpSink:
    smtp_server.reset()
    return smtp_server


def app_config(tmp_path: Path, smtp_port: int, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'enquiries.sqlite3'}",
        "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite3'}",
        "QUEUE_IN_PROCESS": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT": 5,
        "MAIL_DEFAULT_SENDER": "RSiM open positions <positions@rsim.example.org>",
        "ENQUIRY_RECIPIENT": "professor@rsim.example.org",
        "ENQUIRY_MIN_SECONDS": 0,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }
    config.update(overrides)
    return config


def make_app(tmp_path: Path, smtp_port: int, **overrides: Any) -> Flask:
    app = create_app(app_config(tmp_path, smtp_port, **overrides))
    with app.app_context():
        upgrade(directory=str(PROJECT_DIR / "migrations"))
    return app


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
    queue = app.extensions["openpositions.queue"]
    queue.start_in_process(workers=2)
    yield
    queue.stop_in_process()


def wait_until(condition: Any, timeout: float = 20, interval: float = 0.05) -> None:
    """Poll `condition` until it is true; fail the test if it is not within `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s: {condition.__doc__ or condition}")
        time.sleep(interval)


def multipart(fields: dict[str, Any]) -> dict[str, Any]:
    """A multipart/form-data body built in memory; (bytes, name, type) tuples become files.

    The test client would spool a large upload to a temporary file it never closes.
    """
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, tuple):
            data, filename, content_type = value
            data = data.getvalue() if hasattr(data, "getvalue") else data
            value = FileStorage(io.BytesIO(data), filename=filename, content_type=content_type)
        if value is not None:
            values[name] = value
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


VALID_ENQUIRY = {
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "position": "phd-deep-learning-satellite-images",
    "message": "I would like to know more about the two PhD topics and the start date.",
    "consent": "y",
}


def blank_page_pdf() -> bytes:
    """A real PDF of one blank page, the same bytes on every run: the site parses what it gets."""
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        out = io.BytesIO()
        pdf.save(out, static_id=True)
        return out.getvalue()


PDF_BYTES = blank_page_pdf()
