"""The alerts' schedule: the check for new openings, at least every ALERTS_INTERVAL seconds."""

from datetime import timedelta

from flask import current_app

from openpositions.alerts.announce.check import check_for_openings
from openpositions.alerts.announce.delivery import send_alerts
from openpositions.alerts.models import CheckTurn
from openpositions.extensions import db
from openpositions.queue import crontab, periodic_task

# The scheduler ticks each minute, a little late or early: a check is due this much before the
# interval is up, so that an interval of ten minutes means a check each tenth minute.
TICK_SLACK = timedelta(seconds=30)


# Each worker's scheduler runs this each minute; the database gives the turn to one of them
# once ALERTS_INTERVAL has passed since the last check began, so that two workers check no
# more often than one (and a check that runs beside another announces nothing twice).
@periodic_task(crontab(minute="*"), name="check_for_openings")
def check_when_due() -> None:
    interval = timedelta(seconds=float(current_app.config["ALERTS_INTERVAL"]))
    turn = CheckTurn.take(interval - TICK_SLACK)
    db.session.commit()
    if turn:
        check_for_openings()


ANNOUNCE_TASKS = (send_alerts, check_when_due)
