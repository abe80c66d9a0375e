"""What monitoring is told about the job alerts, read from the database at each scrape: how
many confirmed subscriptions follow each category, and what was sent. Nothing personal."""

from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from openpositions.alerts import totals
from openpositions.alerts.models import (
    CONFIRMED,
    PENDING,
    AlertMail,
    SubscribedCategory,
    Subscription,
)
from openpositions.extensions import db

PREFIX = "openpositions"


class AlertCollector:
    """A prometheus_client collector: the alerts' figures as metric families, read when scraped."""

    def collect(self) -> Iterator[Metric]:
        subscriptions = GaugeMetricFamily(
            f"{PREFIX}_alert_subscriptions",
            "Confirmed job alert subscriptions following each category (an address that "
            "follows two counts in both).",
            labels=["category"],
        )
        for category, followers in db.session.execute(
            sa.select(SubscribedCategory.category, sa.func.count())
            .join(Subscription, Subscription.id == SubscribedCategory.subscription_id)
            .where(Subscription.state == CONFIRMED)
            .group_by(SubscribedCategory.category)
            .order_by(SubscribedCategory.category)
        ):
            subscriptions.add_metric([category], followers)
        yield subscriptions
        count = totals.current_totals()
        yield CounterMetricFamily(
            f"{PREFIX}_alerts_sent",
            "Alert mails the relay took. A running total: unsubscribing does not lower it.",
            value=count[totals.ALERTS_SENT],
        )
        yield CounterMetricFamily(
            f"{PREFIX}_alerts_failed",
            "Alert mails given up on: refused for good, or not taken after a day of trying.",
            value=count[totals.ALERTS_FAILED],
        )
        yield CounterMetricFamily(
            f"{PREFIX}_alert_confirmation_mails_sent",
            "Mails sent in answer to the alerts form (a link to confirm, or to change alerts).",
            value=count[totals.CONFIRMATIONS_SENT],
        )
        pending = db.session.scalar(
            sa.select(sa.func.count()).select_from(AlertMail).where(AlertMail.status == PENDING)
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_alerts_pending",
            "Alert mails stored and waiting to be sent.",
            value=int(pending or 0),
        )
