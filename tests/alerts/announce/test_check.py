"""The check for new openings: a content edit that opens a position reaches each subscriber of
its category once, in their language, never a position open before they subscribed, never one
that closed again, at most one mail a day."""

import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from openpositions.alerts.announce import check as check_module
from openpositions.alerts.announce.check import check_for_openings, make_alert_mails
from openpositions.alerts.models import AlertedPosition, AlertMail, CheckTurn, Subscription
from openpositions.alerts.openings import record_openings
from openpositions.clock import utcnow
from openpositions.content import current_content, current_day
from openpositions.extensions import db
from tests.alerts.subscribers import (
    NEW_PHD,
    NEW_POSTDOC,
    alerts_in,
    confirmed_subscription,
    make_mails_due,
    open_position,
    stored_mails,
    subscribe,
)
from tests.support.app import queued_tasks
from tests.support.clock import berlin, set_clock
from tests.support.content import SEED_SLUG, replace_in
from tests.support.smtp import SmtpSink, body_text
from tests.support.waiting import wait_until

pytestmark = pytest.mark.database

WAITING_ON_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
)


@pytest.fixture(autouse=True)
def no_scheduled_check(app: Flask) -> None:
    """These tests run the check themselves. The consumer's scheduler ticks each minute, and
    its check, if its turn came between a content edit and the test's own, would take the
    openings first: its last turn is now, and the next one is far off."""
    app.config["ALERTS_INTERVAL"] = 10**9
    with app.app_context():
        assert CheckTurn.take(timedelta(0))
        db.session.commit()


def check(app: Flask) -> tuple[tuple[str, ...], int]:
    """Run the check as the periodic task and `flask alerts send` do: (opened, mails made)."""
    with app.app_context():
        outcome = check_for_openings()
    return outcome.opened, outcome.mails_made


def announced(app: Flask) -> set[tuple[int, str]]:
    """(subscription, position) of every position announced."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(AlertedPosition.subscription_id, AlertedPosition.position_slug)
        )
        return {(subscription, slug) for subscription, slug in rows}


def all_sent(app: Flask, count: int) -> None:
    def sent() -> bool:
        """every stored alert mail is sent"""
        mails = stored_mails(app)
        return len(mails) == count and all(status == "sent" for _, status, _ in mails)

    wait_until(sent)


def test_an_opening_reaches_each_subscriber_of_its_category_once(
    app: Flask, content_dir: Path, smtp: SmtpSink, consumer: None
) -> None:
    postdoc = confirmed_subscription(app, "ada@example.org", ["postdoc"])
    phd = confirmed_subscription(app, "bo@example.org", ["phd"])
    both = confirmed_subscription(app, "cy@example.org", ["phd", "postdoc"])
    assert check(app) == ((), 0), "the seed position was open when they subscribed"

    open_position(content_dir, NEW_POSTDOC, "postdoc")
    assert check(app) == ((NEW_POSTDOC,), 2)
    assert check(app) == ((), 0)
    all_sent(app, 2)

    assert announced(app) == {(postdoc, NEW_POSTDOC), (both, NEW_POSTDOC)}
    alerts = alerts_in(smtp.wait_for(2))
    assert sorted(mail.rcpt_tos[0] for mail in alerts) == ["ada@example.org", "cy@example.org"]
    for mail in alerts:
        text = body_text(mail.message, "plain")
        assert "Postdoc Earth Observation Foundation Models" in text
        assert "Apply by January 31, 2099" in text
        assert f"/openpositions/{NEW_POSTDOC}" in text
        assert SEED_SLUG not in text
    assert phd not in {subscription for subscription, _ in announced(app)}


def test_positions_open_before_the_subscription_was_confirmed_are_never_sent(
    app: Flask, content_dir: Path
) -> None:
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    check(app)  # The site sees it open.
    confirmed_subscription(app)
    assert check(app) == ((), 0)
    assert announced(app) == set()


def test_a_position_open_when_its_subscriber_confirmed_is_not_sent_however_late_the_check(
    app: Flask, client: FlaskClient, content_dir: Path
) -> None:
    subscribe(client)
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    # No check has run since the file appeared; the confirmation page itself sees it open.
    with app.app_context():
        subscription = Subscription.of_address("ada@example.org")
        assert subscription is not None
        key = subscription.secret
    assert client.post(f"/alerts/confirm/{key}").status_code == 303
    assert check(app) == ((), 0)


def test_a_status_changed_to_open_is_an_opening(app: Flask, content_dir: Path) -> None:
    open_position(content_dir, NEW_PHD, "phd", status="closed")
    subscription = confirmed_subscription(app, categories=["phd"])
    assert check(app) == ((), 0)
    replace_in(content_dir, f"positions/{NEW_PHD}.md", "status: closed", "status: open")
    assert check(app) == ((NEW_PHD,), 1)
    assert announced(app) == {(subscription, NEW_PHD)}


def test_openings_found_together_go_in_one_mail_and_later_ones_wait_for_the_next_day(
    app: Flask, content_dir: Path, smtp: SmtpSink, consumer: None
) -> None:
    clock = set_clock(app, berlin(2026, 12, 8, 9))
    confirmed_subscription(app, categories=["phd", "postdoc"])
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    open_position(content_dir, NEW_PHD, "phd")
    assert check(app)[1] == 1
    (first,) = alerts_in(smtp.wait_for(1))
    assert (
        first.message["Subject"]
        == "2 new positions at the Remote Sensing Image Analysis (RSiM) group"
    )

    later = "phd-multimodal-remote-sensing"
    open_position(content_dir, later, "phd")
    clock.moment = berlin(2026, 12, 8, 23, 50)
    assert check(app) == ((later,), 0), "one alert a day at most"
    clock.moment = berlin(2026, 12, 9, 0, 10)
    assert check(app) == ((), 1)
    all_sent(app, 2)
    second = alerts_in(smtp.wait_for(2))[1]
    assert second.message["Subject"] == "New position: Phd Multimodal Remote Sensing"


def test_a_position_closed_again_before_sending_is_not_sent(
    app: Flask, content_dir: Path, smtp: SmtpSink, consumer: None
) -> None:
    confirmed_subscription(app, categories=["phd", "postdoc"])
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    open_position(content_dir, NEW_PHD, "phd")
    with app.app_context():
        check_for_openings_without_queueing()
    replace_in(content_dir, f"positions/{NEW_PHD}.md", "status: open", "status: closed")
    make_mails_due(app)  # Its queued task was lost: the next check queues it again.
    with app.app_context():
        check_for_openings()  # Records the closing, and queues the stored mail.
    all_sent(app, 1)
    (alert,) = alerts_in(smtp.wait_for(1))
    assert alert.message["Subject"] == "New position: Postdoc Earth Observation Foundation Models"
    # Left out of the mail, so that it can be announced should it open again.
    assert {slug for _, slug in announced(app)} == {NEW_POSTDOC}


def check_for_openings_without_queueing() -> None:
    """Record what opened and store the mails, as a check whose queue is not reachable does."""
    now = utcnow()
    record_openings(current_content(), current_day(), now)
    make_alert_mails(current_day(), now, 0, 10**9)
    db.session.commit()


def test_a_position_that_closes_before_any_mail_is_sent_leaves_no_mail(
    app: Flask, content_dir: Path, smtp: SmtpSink, consumer: None
) -> None:
    confirmed_subscription(app)
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    with app.app_context():
        check_for_openings_without_queueing()
    replace_in(content_dir, f"positions/{NEW_POSTDOC}.md", "status: open", "status: closed")
    make_mails_due(app)
    with app.app_context():
        check_for_openings()

    def nothing_left() -> bool:
        """the mail with nothing left to announce is gone, and its task ran"""
        return stored_mails(app) == [] and queued_tasks(app) == 0

    wait_until(nothing_left)
    assert alerts_in(smtp.received) == []


def test_each_subscriber_gets_the_alert_in_their_language(
    app: Flask, content_dir: Path, smtp: SmtpSink, consumer: None
) -> None:
    confirmed_subscription(app, "ada@example.org", language="de")
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    check(app)
    (alert,) = alerts_in(smtp.wait_for(1))
    assert alert.message["Subject"].startswith("Neue Stelle: ")
    text = body_text(alert.message, "plain")
    assert "Bewerbung bis 31. Januar 2099" in text
    assert f"/de/openpositions/{NEW_POSTDOC}" in text
    assert "/de/alerts/manage/" in text


def test_two_checks_at_once_make_each_mail_once(app: Flask, content_dir: Path) -> None:
    for number in range(3):
        confirmed_subscription(app, f"subscriber{number}@example.org")
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    with app.app_context():
        now = utcnow()
        record_openings(current_content(), current_day(), now)
        db.session.commit()
        # The second sees what the first stored: the database's keys refuse a second mail
        # today and a second announcement of the position.
        first = make_alert_mails(current_day(), now, 0, 10**9)
        second = make_alert_mails(current_day(), now, 0, 10**9)
        db.session.commit()
        assert (len(first), second) == (3, [])
        # Another day's check (past midnight) finds nothing new to say either.
        tomorrow = make_alert_mails(current_day() + timedelta(days=1), now, 0, 10**9)
        db.session.commit()
        assert tomorrow == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertMail)) == 3


def test_subscribers_read_in_batches_are_each_announced_the_opening(
    app: Flask, content_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check_module, "SUBSCRIPTION_BATCH", 2)
    subscriptions = [confirmed_subscription(app, f"s{number}@example.org") for number in range(5)]
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    assert check(app) == ((NEW_POSTDOC,), 5)
    assert announced(app) == {(subscription, NEW_POSTDOC) for subscription in subscriptions}


def test_a_check_beside_another_announces_nothing_twice(
    app: Flask, content_dir: Path, database: str
) -> None:
    if not database.startswith("postgresql"):
        pytest.skip("SQLite takes one writer at a time: two checks never interleave there")
    for number in range(3):
        confirmed_subscription(app, f"subscriber{number}@example.org")
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    beside: list[list[int]] = []

    def second_check(day: date, now: datetime) -> None:
        # Another worker, just past midnight: another day's mail, the same positions.
        with app.app_context():
            beside.append(make_alert_mails(day + timedelta(days=1), now, 0, 10**9))
            db.session.commit()

    with app.app_context():
        now = utcnow()
        record_openings(current_content(), current_day(), now)
        db.session.commit()
        first = make_alert_mails(current_day(), now, 0, 10**9)  # Not committed yet.
        other = threading.Thread(target=second_check, args=(current_day(), now))
        other.start()

        # The second check's announcements wait on the first's, under the database's key.
        with db.engine.connect() as watcher:

            def second_check_waits() -> bool:
                """the second check waits on a lock the first one holds"""
                waiting = watcher.scalar(sa.text(WAITING_ON_A_LOCK))
                watcher.rollback()  # Each look sees the moment's activity afresh.
                return bool(waiting)

            wait_until(second_check_waits)
        db.session.commit()
        other.join(timeout=20)
    assert (len(first), beside) == (3, [[]])
    assert len(announced(app)) == 3
    assert len(stored_mails(app)) == 3
