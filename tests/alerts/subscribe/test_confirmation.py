"""The mail the form sends: retried while the relay cannot take it, until it goes."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from openpositions.alerts.models import Subscription
from openpositions.alerts.subscribe.confirmation import send_confirmation_mail
from openpositions.alerts.subscribe.tasks import sweep_subscriptions
from openpositions.clock import utcnow
from openpositions.extensions import db
from openpositions.queue import queue_of
from tests.alerts.subscribers import links_in, subscribe
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_until

pytestmark = pytest.mark.database


def due_at(app: Flask) -> object:
    with app.app_context():
        return db.session.scalar(sa.select(Subscription.confirmation_due_at))


def test_a_confirmation_mail_the_relay_could_not_take_goes_at_the_next_sweep(
    app: Flask, client: FlaskClient, smtp: SmtpSink
) -> None:
    smtp.reply = "451 4.3.0 Try again later"
    subscribe(client)
    queue = queue_of(app)
    # Its queued task runs, and the relay answers "try later"; nothing else will run it.
    queue.huey.flush()
    with app.app_context():
        subscription_id = db.session.scalar(sa.select(Subscription.id))
        assert subscription_id is not None
        send_confirmation_mail(subscription_id)
    assert smtp.received == [] and due_at(app) is not None

    smtp.reply = "250 OK"
    with app.app_context():
        # The sweep ten minutes on: the mail has been due for longer than its grace.
        db.session.execute(
            sa.update(Subscription).values(confirmation_due_at=utcnow() - timedelta(minutes=2))
        )
        db.session.commit()
        sweep_subscriptions.function()
    queue.start_in_process(workers=1)
    try:
        (mail,) = smtp.wait_for(1)
    finally:
        queue.stop_in_process()
    assert links_in(mail)[0].startswith("/alerts/confirm/")
    assert mail.rcpt_tos == ["ada@example.org"]
    assert due_at(app) is None


def test_a_request_made_while_the_last_mail_is_going_out_gets_its_own(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    smtp.answering.clear()  # The relay holds its answer to the first mail.
    subscribe(client)
    assert smtp.taking_data.wait(timeout=20)
    subscribe(client)  # Asked again while the first is being sent.
    smtp.answering.set()
    first, second = smtp.wait_for(2)
    assert first.message["Message-ID"] != second.message["Message-ID"]

    def all_sent() -> bool:
        """no confirmation mail is due any more"""
        return due_at(app) is None

    wait_until(all_sent)
