"""/metrics: what happened to enquiries, counted durably, and shown to monitoring only."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from prometheus_client import CONTENT_TYPE_LATEST

from openpositions import create_app
from openpositions.clock import utcnow
from openpositions.enquiries.delivery.attempts import attempt_delivery
from openpositions.enquiries.models import Enquiry
from openpositions.enquiries.totals import TOTAL_NAMES, RunningTotal
from openpositions.extensions import db
from tests.support.app import (
    age_enquiries,
    app_config,
    make_app,
    store_as_at_0002,
    stored_enquiries,
)
from tests.support.forms import post_enquiry
from tests.support.metrics import COUNTERS, metric_types, parse_metrics, scrape
from tests.support.paths import PROJECT_DIR
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_until

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}
TOKEN = "s3cret-token-for-prometheus"


def submit(client: FlaskClient, number: int, **changes: Any) -> None:
    """Send an enquiry of its own (the same text twice would be one enquiry); it is accepted."""
    message = f"Enquiry number {number}: I would like to know more about the PhD topics."
    response = post_enquiry(client, message=message, **changes)
    assert response.status_code == 303, response.get_data(as_text=True)


def statuses(app: Flask) -> list[str]:
    return [enquiry.status for enquiry in stored_enquiries(app)]


@pytest.mark.database
def test_sent_failed_and_spam_are_counted(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    submit(client, 1)
    wait_until(lambda: statuses(app) == ["sent"])
    smtp.reply = "550 5.1.1 User unknown"
    submit(client, 2)
    wait_until(lambda: statuses(app) == ["sent", "failed"])
    assert post_enquiry(client, website="http://spam.example").status_code == 303

    response = client.get("/metrics")
    text = response.get_data(as_text=True)
    metrics = parse_metrics(text)
    assert metrics["openpositions_enquiries_accepted_total"] == 2
    assert metrics["openpositions_enquiries_sent_total"] == 1
    assert metrics["openpositions_enquiries_failed_total"] == 1
    assert metrics["openpositions_enquiries_resent_total"] == 0
    assert metrics["openpositions_enquiries_withdrawn_total"] == 0
    assert metrics['openpositions_spam_caught_total{trap="honeypot"}'] == 1
    assert metrics['openpositions_spam_caught_total{trap="too_fast"}'] == 0
    assert metrics["openpositions_enquiry_delivery_attempts_total"] == 2
    assert metrics["openpositions_enquiry_send_duration_seconds_count"] == 2
    assert 0 < metrics["openpositions_enquiry_send_duration_seconds_sum"] < 20
    assert metrics["openpositions_enquiries_pending"] == 0
    assert metrics["openpositions_enquiry_oldest_pending_age_seconds"] == 0
    # The enquiries' own; other parts of the site (the relay's check, ...) add theirs.
    types = {
        name: kind
        for name, kind in metric_types(text).items()
        if name.startswith(("openpositions_enquir", "openpositions_spam"))
    }
    assert types == {
        "openpositions_enquiries_accepted": "counter",
        "openpositions_enquiries_sent": "counter",
        "openpositions_enquiries_failed": "counter",
        "openpositions_enquiries_resent": "counter",
        "openpositions_enquiries_withdrawn": "counter",
        "openpositions_spam_caught": "counter",
        "openpositions_enquiry_delivery_attempts": "counter",
        "openpositions_enquiry_send_duration_seconds": "summary",
        "openpositions_enquiries_pending": "gauge",
        "openpositions_enquiry_oldest_pending_age_seconds": "gauge",
    }


def test_a_form_sent_back_too_fast_is_counted_by_its_trap(tmp_path: Path, smtp: SmtpSink) -> None:
    app = make_app(tmp_path, smtp.port, ENQUIRY_MIN_SECONDS=3)
    client = app.test_client()
    post_enquiry(client, started="")  # No start time at all: the "too fast" trap.
    post_enquiry(client, started="forged.token")
    metrics = scrape(client)
    assert metrics['openpositions_spam_caught_total{trap="too_fast"}'] == 2
    assert metrics['openpositions_spam_caught_total{trap="honeypot"}'] == 0
    assert metrics["openpositions_enquiries_accepted_total"] == 0


@pytest.mark.database
def test_pending_enquiries_and_the_age_of_the_oldest(app: Flask, client: FlaskClient) -> None:
    submit(client, 1)
    submit(client, 2)
    with app.app_context():
        oldest = db.session.scalars(sa.select(Enquiry).order_by(Enquiry.id)).first()
        assert oldest is not None
        oldest.created_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    metrics = scrape(client)
    assert metrics["openpositions_enquiries_pending"] == 2
    assert 3600 <= metrics["openpositions_enquiry_oldest_pending_age_seconds"] < 3600 + 60


@pytest.mark.database
def test_attempts_are_a_running_total_that_a_resend_does_not_take_back(
    app: Flask, client: FlaskClient, smtp: SmtpSink
) -> None:
    submit(client, 1)
    (enquiry,) = stored_enquiries(app)
    smtp.reply = "451 4.3.0 Try again later"
    with app.app_context():
        assert attempt_delivery(enquiry.id).retry_in is not None
        assert attempt_delivery(enquiry.id).retry_in is not None
    assert scrape(client)["openpositions_enquiry_delivery_attempts_total"] == 2

    result = app.test_cli_runner().invoke(args=["enquiries", "resend", enquiry.reference])
    assert result.exit_code == 0, result.output
    smtp.reply = "250 OK"
    with app.app_context():
        attempt_delivery(enquiry.id)
    (enquiry,) = stored_enquiries(app)
    assert (enquiry.status, enquiry.attempts) == ("sent", 1), "the resend started afresh"
    metrics = scrape(client)
    assert metrics["openpositions_enquiry_delivery_attempts_total"] == 3
    assert metrics["openpositions_enquiry_send_duration_seconds_count"] == 3
    assert metrics["openpositions_enquiries_sent_total"] == 1
    assert metrics["openpositions_enquiries_failed_total"] == 0


@pytest.mark.database
def test_counters_never_go_down_when_enquiries_are_purged(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    submit(client, 1)
    wait_until(lambda: statuses(app) == ["sent"])
    post_enquiry(client, website="http://spam.example")
    before = scrape(client)

    age_enquiries(app, days=2)
    result = app.test_cli_runner().invoke(args=["enquiries", "purge", "--days", "1"])
    assert result.output == "Deleted 1 enquiries.\n"
    assert stored_enquiries(app) == []
    after = scrape(client)
    assert {name: after[name] for name in COUNTERS} == {name: before[name] for name in COUNTERS}
    assert after["openpositions_enquiries_accepted_total"] == 1
    assert after["openpositions_enquiries_pending"] == 0


@pytest.mark.database
def test_the_migration_starts_the_totals_from_the_enquiries_stored(
    tmp_path: Path, smtp: SmtpSink, database: str
) -> None:
    app = create_app(app_config(tmp_path, smtp.port, SQLALCHEMY_DATABASE_URI=database))
    migrations = str(PROJECT_DIR / "migrations")
    with app.app_context():
        upgrade(directory=migrations, revision="0002")
        # The rows as revision 0002 stored them: today's model has columns added since.
        for number, (status, attempts) in enumerate([("sent", 1), ("failed", 3), ("pending", 2)]):
            store_as_at_0002(number, status=status, attempts=attempts)
        db.session.commit()
        upgrade(directory=migrations)
        stored = dict(db.session.execute(sa.select(RunningTotal.name, RunningTotal.value)).all())
    with app.app_context():
        db.engine.dispose()  # Close its connections before the database is dropped.
    assert set(stored) == set(TOTAL_NAMES)
    assert (stored["accepted"], stored["sent"], stored["failed"]) == (3, 1, 1)
    assert stored["delivery_attempts"] == 6


def test_the_answer_is_prometheus_text_never_cached_and_sets_no_cookie(
    client: FlaskClient,
) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST
    assert "no-store" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_loopback_clients_are_answered(client: FlaskClient, address: str) -> None:
    response = client.get("/metrics", environ_overrides={"REMOTE_ADDR": address})
    assert response.status_code == 200


def test_other_clients_are_refused_as_if_nothing_were_there(client: FlaskClient) -> None:
    refused = client.get("/metrics", environ_overrides=OUTSIDE)
    assert refused.status_code == 404
    assert "Page not found" in refused.get_data(as_text=True), "the site's ordinary 404 page"
    assert "openpositions_" not in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    ("forwarded_for", "status"),
    [
        ("203.0.113.9", 404),
        # A client's own X-Forwarded-For, which nginx extends with the address it saw.
        ("127.0.0.1, 203.0.113.9", 404),
        # A client on the proxy's own machine.
        ("127.0.0.1", 200),
    ],
)
def test_behind_a_proxy_the_real_client_decides(
    tmp_path: Path, smtp: SmtpSink, forwarded_for: str, status: int
) -> None:
    client = make_app(tmp_path, smtp.port, TRUSTED_PROXIES=1).test_client()
    # The proxy itself connects from loopback.
    response = client.get("/metrics", headers={"X-Forwarded-For": forwarded_for})
    assert response.status_code == status


@pytest.mark.parametrize(
    ("authorization", "address", "status"),
    [
        (f"Bearer {TOKEN}", "203.0.113.9", 200),
        (f"bearer {TOKEN}", "203.0.113.9", 200),
        (f"Bearer {TOKEN}", "127.0.0.1", 200),
        ("Bearer wrong-token", "203.0.113.9", 404),
        (f"Bearer {TOKEN}x", "203.0.113.9", 404),
        (f"Basic {TOKEN}", "203.0.113.9", 404),
        ("Bearer Ünïcode", "203.0.113.9", 404),
        (None, "203.0.113.9", 404),
        # With a token set, being on this machine is not enough.
        (None, "127.0.0.1", 404),
    ],
)
def test_with_a_token_only_requests_bearing_it_are_answered(
    tmp_path: Path, smtp: SmtpSink, authorization: str | None, address: str, status: int
) -> None:
    client = make_app(tmp_path, smtp.port, METRICS_TOKEN=TOKEN).test_client()
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/metrics", headers=headers, environ_overrides={"REMOTE_ADDR": address})
    assert response.status_code == status


def test_scraped_over_plain_http_even_when_https_is_forced(tmp_path: Path, smtp: SmtpSink) -> None:
    client = make_app(tmp_path, smtp.port, HTTPS=True).test_client()
    assert client.get("/metrics").status_code == 200
    assert client.get("/openpositions").status_code == 301, "pages still go to HTTPS"


def test_scrapes_are_not_rate_limited(tmp_path: Path, smtp: SmtpSink) -> None:
    app = make_app(tmp_path, smtp.port, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="3 per hour")
    client = app.test_client()
    assert {client.get("/metrics").status_code for _ in range(10)} == {200}
    assert {client.get("/privacy").status_code for _ in range(5)} == {200, 429}, "limits apply"


def unreachable_database(tmp_path: Path, smtp: SmtpSink) -> Flask:
    """The app, its SQLite database then replaced by a folder that nothing can open."""
    app = make_app(tmp_path, smtp.port)
    with app.app_context():
        db.engine.dispose()
    (tmp_path / "enquiries.sqlite3").unlink()
    (tmp_path / "enquiries.sqlite3").mkdir()
    return app


def test_a_scrape_fails_when_the_database_cannot_be_read(tmp_path: Path, smtp: SmtpSink) -> None:
    response = unreachable_database(tmp_path, smtp).test_client().get("/metrics")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unreachable\n"


def test_spam_gets_the_same_answer_when_the_database_is_down(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    client = unreachable_database(tmp_path, smtp).test_client()
    response = post_enquiry(client, website="http://spam.example")
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 200
