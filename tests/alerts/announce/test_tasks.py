"""The schedule: each worker's scheduler offers the check each minute, and the database gives
the turn to one of them once ALERTS_INTERVAL has passed."""

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from openpositions.alerts.announce.tasks import check_when_due
from openpositions.alerts.models import CheckTurn
from openpositions.clock import utcnow
from openpositions.extensions import db
from tests.alerts.subscribers import NEW_POSTDOC, confirmed_subscription, open_position

pytestmark = pytest.mark.database


def test_two_workers_offered_the_check_at_once_check_once_an_interval(app: Flask) -> None:
    interval = timedelta(minutes=10)
    with app.app_context():
        turns = [CheckTurn.take(interval), CheckTurn.take(interval)]
        db.session.commit()
        assert turns == [True, False]
        # The interval has passed since the last check began: the next offer takes it.
        db.session.execute(sa.update(CheckTurn).values(started_at=utcnow() - interval))
        db.session.commit()
        assert [CheckTurn.take(interval), CheckTurn.take(interval)] == [True, False]


def test_the_periodic_task_checks_only_when_its_interval_is_up(
    app: Flask, content_dir: Path
) -> None:
    confirmed_subscription(app)
    with app.app_context():
        check_when_due.function()  # The first offer checks: nothing new yet.
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    with app.app_context():
        check_when_due.function()  # A minute later: the interval (600 s) is not up.
        assert db.session.scalar(sa.text("SELECT count(*) FROM alert_mail")) == 0
        db.session.execute(
            sa.update(CheckTurn).values(started_at=utcnow() - timedelta(seconds=600))
        )
        db.session.commit()
        check_when_due.function()
        assert db.session.scalar(sa.text("SELECT count(*) FROM alert_mail")) == 1
