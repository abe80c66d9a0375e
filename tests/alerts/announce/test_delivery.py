"""Sending the alerts through a real relay: the headers that let every alert stop itself, a relay
outage that loses nothing, a drop after 250 that sends nothing twice, a refusal for good that
suspends the subscription, and the periodic task that sends without anyone acting."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from openpositions.alerts.announce.check import check_for_openings, make_alert_mails, queue_mails
from openpositions.alerts.models import SUSPENDED, AlertMail, Subscription
from openpositions.alerts.openings import record_openings
from openpositions.clock import utcnow
from openpositions.content import current_content, current_day
from openpositions.extensions import db
from openpositions.queue import queue_of
from tests.alerts.subscribers import (
    SITE_URL,
    alerts_in,
    confirmed_subscription,
    make_mails_due,
    open_position,
    stored_mails,
)
from tests.support.app import make_app, queued_tasks
from tests.support.smtp import SmtpSink, body_text
from tests.support.waiting import wait_until

pytestmark = pytest.mark.database

PROFESSOR = "professor@rsim.example.org"


def check(app: Flask) -> None:
    with app.app_context():
        check_for_openings()


def statuses(app: Flask) -> list[str]:
    return [status for _, status, _ in stored_mails(app)]


def wait_for_statuses(app: Flask, expected: list[str]) -> None:
    def reached() -> bool:
        """the stored alert mails reached the expected statuses"""
        return sorted(statuses(app)) == sorted(expected)

    wait_until(reached)


def test_every_alert_can_stop_itself_and_names_no_professor(
    app: Flask, content_dir: Path, smtp: SmtpSink, consumer: None
) -> None:
    confirmed_subscription(app)
    open_position(content_dir)
    check(app)
    (alert,) = alerts_in(smtp.wait_for(1))
    message = alert.message

    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{SITE_URL}/alerts/unsubscribe/") and unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "Job alerts <alerts.rsim.example.org>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["From"] == "RSiM open positions <positions@rsim.example.org>"
    assert message["Reply-To"] is None
    assert alert.mail_from == "positions@rsim.example.org"
    assert PROFESSOR not in alert.raw.decode("ascii")
    assert "demir@tu-berlin.de" not in alert.raw.decode("ascii")
    # A visible link leads to the page to change the categories or unsubscribe.
    assert f"{SITE_URL}/alerts/manage/" in body_text(message, "plain")
    assert 'href="https://positions.example.org/alerts/manage/' in body_text(message, "html")

    # The one-click POST, as a mail provider sends it from the header: no cookie, no token.
    mail_client: FlaskClient = app.test_client(use_cookies=False)
    answer = mail_client.post(
        unsubscribe.strip("<>").removeprefix(SITE_URL),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 0


def test_a_relay_outage_loses_nothing(
    app: Flask, content_dir: Path, smtp: SmtpSink, consumer: None
) -> None:
    for number in range(3):
        confirmed_subscription(app, f"subscriber{number}@example.org")
    open_position(content_dir)
    smtp.reply = "421 4.3.2 Service not available, closing transmission channel"
    check(app)

    def put_off() -> bool:
        """a mail was tried and the relay's answer recorded"""
        with app.app_context():
            return (
                db.session.scalar(
                    sa.select(sa.func.count()).where(AlertMail.last_error.is_not(None))
                )
                == 1
            )

    wait_until(put_off)
    # The task stopped at the relay's answer: the mail it tried, and the others, wait.
    assert statuses(app) == ["pending"] * 3
    assert sorted(attempts for _, _, attempts in stored_mails(app)) == [0, 0, 1]
    assert smtp.received == []

    smtp.reply = "250 OK"
    make_mails_due(app)  # As the next check finds them, a minute or more later.
    check(app)
    wait_for_statuses(app, ["sent"] * 3)
    alerts = alerts_in(smtp.wait_for(3))
    assert sorted(mail.rcpt_tos[0] for mail in alerts) == [
        f"subscriber{number}@example.org" for number in range(3)
    ]


def test_a_connection_dropped_after_250_sends_nothing_twice(
    app: Flask, content_dir: Path, smtp: SmtpSink, consumer: None
) -> None:
    for number in range(4):
        confirmed_subscription(app, f"subscriber{number}@example.org")
    open_position(content_dir)
    # The relay takes each mail, answers 250, then breaks the connection before the next:
    # the mails are sent over one connection, which must be opened afresh each time.
    smtp.drop_after_data = True
    check(app)
    wait_for_statuses(app, ["sent"] * 4)
    make_mails_due(app)
    check(app)  # Nothing is due: a check after it sends nothing again.
    alerts = alerts_in(smtp.wait_for(4))
    assert len(alerts) == 4
    assert len({mail.message["Message-ID"] for mail in alerts}) == 4
    assert sorted(mail.rcpt_tos[0] for mail in alerts) == [
        f"subscriber{number}@example.org" for number in range(4)
    ]


def test_a_refusal_for_good_suspends_the_subscription(
    app: Flask, content_dir: Path, smtp: SmtpSink, consumer: None
) -> None:
    gone = confirmed_subscription(app, "gone@example.org")
    confirmed_subscription(app, "ada@example.org")
    smtp.refused_recipients = {"gone@example.org": "550 5.1.1 No such user"}
    open_position(content_dir)
    check(app)
    wait_for_statuses(app, ["failed", "sent"])
    with app.app_context():
        suspended = db.session.get(Subscription, gone)
        assert suspended is not None
        assert (suspended.state, suspended.last_error) == (SUSPENDED, "550 5.1.1 No such user")
    (alert,) = alerts_in(smtp.wait_for(1))
    assert alert.rcpt_tos == ["ada@example.org"]

    # Suspended: the next opening is announced to it no more.
    open_position(content_dir, "postdoc-geospatial-ai", "postdoc")
    check(app)
    assert [subscription for subscription, _, _ in stored_mails(app)].count(gone) == 1


def test_the_periodic_task_sends_an_opening_without_anyone_acting(
    tmp_path: Path, smtp: SmtpSink, content_dir: Path, database: str
) -> None:
    app = make_app(
        tmp_path,
        smtp.port,
        SQLALCHEMY_DATABASE_URI=database,
        SITE_URL=SITE_URL,
        CONTENT_DIR=str(content_dir),
        CONTENT_CHECK_INTERVAL=0,
    )
    confirmed_subscription(app)
    open_position(content_dir)  # The group's edit; nobody runs a command.
    queue = queue_of(app)
    # The real consumer: its scheduler runs the periodic tasks on its first tick.
    queue.start_in_process(workers=2)
    try:
        (alert,) = alerts_in(smtp.wait_for(1, timeout=30))
    finally:
        queue.stop_in_process()
        with app.app_context():
            db.engine.dispose()
    assert alert.message["Subject"] == "New position: Postdoc Earth Observation Foundation Models"
    assert alert.rcpt_tos == ["ada@example.org"]


def test_a_mail_queued_twice_goes_once(
    app: Flask, content_dir: Path, smtp: SmtpSink, consumer: None
) -> None:
    for number in range(3):
        confirmed_subscription(app, f"subscriber{number}@example.org")
    open_position(content_dir)
    with app.app_context():
        now = utcnow()
        record_openings(current_content(), current_day(), now)
        mail_ids = make_alert_mails(current_day(), now, 0, 10**9)
        db.session.commit()
        # As when a check took a mail waiting in a long queue for lost, and queued it again.
        queue_mails(mail_ids)
        queue_mails(mail_ids)

    def done() -> bool:
        """both tasks ran, and every mail is sent"""
        return queued_tasks(app) == 0 and statuses(app) == ["sent"] * 3

    wait_until(done)
    assert sorted(mail.rcpt_tos[0] for mail in alerts_in(smtp.received)) == [
        f"subscriber{number}@example.org" for number in range(3)
    ]
