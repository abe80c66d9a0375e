"""Health checks: /healthz says the process answers, /readyz that database and queue do, and
how the mail relay answers (tests/monitoring/test_mail_relay.py)."""

from pathlib import Path

from flask.testing import FlaskClient

from tests.support.app import make_app
from tests.support.net import free_port
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_until


def test_healthz_answers_json(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "no-store" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers


def relay_reading(client: FlaskClient) -> tuple[int, dict[str, str]]:
    """/readyz's status and body once its relay check has answered (it runs in the background)."""
    wait_until(lambda: client.get("/readyz").get_json()["mail_relay"] != "checking")
    response = client.get("/readyz")
    return response.status_code, response.get_json()


def test_readyz_reports_database_queue_and_relay(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert relay_reading(client) == (
        200,
        {"status": "ok", "database": "ok", "queue": "ok", "mail_relay": "ok"},
    )


def test_readyz_is_503_with_the_reason_when_the_database_is_gone(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    app = make_app(tmp_path, smtp.port)
    with app.app_context():
        from openpositions.extensions import db

        db.engine.dispose()
    (tmp_path / "enquiries.sqlite3").unlink()
    (tmp_path / "enquiries.sqlite3").mkdir()  # Now nothing can open it as a database.
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"].startswith("unreachable")
    assert "queue" not in body


def test_readyz_is_503_when_the_queue_cannot_be_reached(tmp_path: Path, smtp: SmtpSink) -> None:
    # A Redis queue on a port where nothing listens.
    app = make_app(
        tmp_path, smtp.port, QUEUE_URL=f"redis://127.0.0.1:{free_port()}/0", QUEUE_REDIS_TIMEOUT=1
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["queue"].startswith("unreachable")


def test_health_checks_are_not_rate_limited_or_cached(tmp_path: Path, smtp: SmtpSink) -> None:
    # Limits on, and tight (the `app` fixture turns them off): a probe every few seconds
    # must never be refused, nor answered from a cache.
    app = make_app(tmp_path, smtp.port, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="3 per hour")
    client = app.test_client()
    answers = [client.get(url) for url in ("/healthz", "/readyz") for _ in range(10)]
    assert {answer.status_code for answer in answers} == {200}
    assert {answer.headers["Cache-Control"] for answer in answers} == {"no-store"}
    assert {client.get("/privacy").status_code for _ in range(5)} == {200, 429}, "limits apply"


def test_probes_over_plain_http_are_answered_even_when_https_is_forced(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    app = make_app(tmp_path, smtp.port, HTTPS=True)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/openpositions").status_code == 301, "pages still go to HTTPS"
