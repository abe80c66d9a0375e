"""/readyz and /metrics report how the mail relay answers a check that sends nothing.

Real relays on loopback ports: aiosmtpd that answers, one that refuses the login, a server that
greets with a refusal, and a port where nothing listens. The site stays ready throughout: only
mail waits while the relay is down, and the queue retries it.
"""

import logging
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from flask import Flask
from flask.testing import FlaskClient

from tests.support.app import make_app
from tests.support.metrics import metric_types, parse_metrics
from tests.support.net import free_port
from tests.support.smtp import SmtpSink, serving
from tests.support.waiting import wait_until

RELAY_UP = "openpositions_mail_relay_up"


def relay_reading(client: FlaskClient) -> tuple[int, dict[str, str]]:
    """/readyz's status and body once its relay check has answered (it runs in the background)."""
    wait_until(lambda: client.get("/readyz").get_json()["mail_relay"] != "checking")
    response = client.get("/readyz")
    return response.status_code, response.get_json()


def relay_up(client: FlaskClient) -> float | None:
    """openpositions_mail_relay_up as /metrics shows it; None while it is not there."""
    return parse_metrics(client.get("/metrics").get_data(as_text=True)).get(RELAY_UP)


@contextmanager
def greeting_with(reply: str | None) -> Iterator[int]:
    """A server that answers every connection with `reply` (e.g. 554), or with silence (None),
    and hangs up once the client has spoken or gone; its port."""

    class Refuse(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            if reply is not None:
                self.wfile.write(f"{reply}\r\n".encode())
            self.rfile.readline()  # The client's QUIT, or its hanging up.

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Refuse) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()


def refuse_every_login(*args: Any) -> AuthResult:
    return AuthResult(success=False, handled=False)


@contextmanager
def refusing_logins() -> Iterator[int]:
    """A relay that offers AUTH and refuses every login (535), as after a password change."""
    port = free_port()
    controller = Controller(
        SmtpSink(port=port),
        hostname="127.0.0.1",
        port=port,
        authenticator=refuse_every_login,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


class CountingRelay(SmtpSink):
    """A relay that counts the checks (NOOP) and any mail begun (MAIL FROM)."""

    def __init__(self, port: int) -> None:
        super().__init__(port=port)
        self.noops = 0
        self.mails_begun = 0

    async def handle_NOOP(self, server: Any, session: Any, envelope: Any, arg: str) -> str:  # noqa: N802
        self.noops += 1
        return "250 OK"

    async def handle_MAIL(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.mails_begun += 1
        envelope.mail_from = address
        return "250 OK"


def test_a_relay_that_answers_is_up(client: FlaskClient) -> None:
    assert relay_reading(client) == (
        200,
        {"status": "ok", "database": "ok", "queue": "ok", "mail_relay": "ok"},
    )
    assert relay_up(client) == 1
    assert metric_types(client.get("/metrics").get_data(as_text=True))[RELAY_UP] == "gauge"


@pytest.mark.parametrize(
    ("relay", "settings", "reported"),
    [
        ("nothing listening", {}, "unreachable at 127.0.0.1:{port} (ConnectionRefusedError"),
        ("greets with 554", {}, "refuses connections at 127.0.0.1:{port} (554 5.3.2 No service"),
        ("greets with 421", {}, "refuses connections at 127.0.0.1:{port} (421 4.3.2 Try later"),
        ("never greets", {"MAIL_TIMEOUT": 0.5}, "no answer from 127.0.0.1:{port} within 0.5 s"),
        (
            "refuses the login",
            {"MAIL_USERNAME": "rsim-positions", "MAIL_PASSWORD": "an old password"},
            "refuses the login at 127.0.0.1:{port} (535 5.7.8 Authentication credentials invalid",
        ),
    ],
)
def test_a_relay_that_refuses_or_cannot_be_reached_is_reported_and_the_site_stays_ready(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    relay: str,
    settings: dict[str, str],
    reported: str,
) -> None:
    with relay_at(relay) as port:
        app = make_app(tmp_path, port, **settings)
        client = app.test_client()
        status, readiness = relay_reading(client)
        assert relay_up(client) == 0
    # Ready all the same: enquiries are taken, stored and queued, and sent when it is back.
    assert status == 200
    assert readiness["status"] == "ok"
    assert readiness["mail_relay"].startswith(reported.format(port=port)), readiness
    assert [
        record.getMessage()
        for record in caplog.records
        if record.name == "openpositions.monitoring.mail_relay"
    ] == [f"Mail relay {readiness['mail_relay']}"]
    assert all(
        record.levelno == logging.WARNING for record in caplog.records if "relay" in record.name
    )


@contextmanager
def relay_at(relay: str) -> Iterator[int]:
    """A port with the relay the test names behind it."""
    if relay == "nothing listening":
        yield free_port()
    elif relay == "greets with 554":
        with greeting_with("554 5.3.2 No service here") as port:
            yield port
    elif relay == "greets with 421":
        with greeting_with("421 4.3.2 Try later") as port:
            yield port
    elif relay == "never greets":
        with greeting_with(None) as port:
            yield port
    else:
        with refusing_logins() as port:
            yield port


def test_the_relay_is_checked_once_per_interval_however_often_probed_and_sent_nothing(
    tmp_path: Path,
) -> None:
    with serving(CountingRelay(port=free_port())) as relay:
        app = make_app(tmp_path, relay.port, MAIL_RELAY_CHECK_INTERVAL=3600)
        client = app.test_client()
        assert relay_reading(client)[1]["mail_relay"] == "ok"
        for _ in range(20):
            assert client.get("/readyz").get_json()["mail_relay"] == "ok"
            assert relay_up(client) == 1
    assert relay.noops == 1
    assert relay.mails_begun == 0
    assert relay.received == []


def test_a_relay_back_up_is_seen_after_the_interval(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    app = make_app(tmp_path, port, MAIL_RELAY_CHECK_INTERVAL=0.2)
    client = app.test_client()
    assert relay_reading(client)[1]["mail_relay"].startswith("unreachable")
    with serving(SmtpSink(port=port)):
        wait_until(lambda: client.get("/readyz").get_json()["mail_relay"] == "ok")
        assert relay_up(client) == 1
    assert "Mail relay answers again" in caplog.messages


@pytest.mark.parametrize(
    "setting", [{"MAIL_RELAY_CHECK_INTERVAL": 0}, {"MAIL_SUPPRESS_SEND": True}]
)
def test_without_a_check_readiness_says_so_and_metrics_leave_the_gauge_out(
    tmp_path: Path, smtp: SmtpSink, setting: dict[str, object]
) -> None:
    app: Flask = make_app(tmp_path, smtp.port, **setting)
    client = app.test_client()
    assert client.get("/readyz").get_json()["mail_relay"] == "not checked"
    assert relay_up(client) is None
