"""What monitoring is told about enquiries, read from the database at each scrape.

Nothing is counted in a process's memory: the web workers, and the separate queue worker that
does the sending, each see only part of what happens, while the database sees all of it. So
every worker answers a scrape with the same figures. The counters come from the running
totals (totals.py), which purging enquiries does not lower; the gauges from the stored
enquiries as they are now.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)

from openpositions.clock import utcnow
from openpositions.enquiries import totals
from openpositions.enquiries.models import PENDING, Enquiry
from openpositions.extensions import db

PREFIX = "openpositions"


@dataclass(frozen=True)
class Figures:
    """One reading of the database: the running totals and the enquiries waiting now."""

    totals: dict[str, float]
    pending: int
    oldest_pending_age: float


def read_figures() -> Figures:
    """Read the figures in the current app's database (SQLAlchemyError if it is unreachable)."""
    pending, oldest = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(Enquiry.created_at)).where(Enquiry.status == PENDING)
    ).one()
    # Both times are naive UTC; a clock a little behind the database's must not go negative.
    age = max(0.0, (utcnow() - oldest).total_seconds()) if oldest is not None else 0.0
    return Figures(totals=totals.current_totals(), pending=int(pending), oldest_pending_age=age)


def counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


class EnquiryCollector:
    """A prometheus_client collector: the figures as metric families, read when scraped."""

    def collect(self) -> Iterator[Metric]:
        figures = read_figures()
        count = figures.totals
        yield counter(
            "enquiries_accepted",
            "Enquiries accepted and stored. A running total: purging enquiries after the "
            "retention period does not lower it.",
            count[totals.ENQUIRIES_ACCEPTED],
        )
        yield counter(
            "enquiries_sent",
            "Enquiries delivered: the relay took the professor's mail. Each enquiry counts "
            "once, so this never exceeds the accepted; copies sent again are in "
            "enquiries_resent.",
            count[totals.ENQUIRIES_SENT],
        )
        yield counter(
            "enquiries_resent",
            "Copies of delivered enquiries sent to the professor again at the operator's "
            "request (flask enquiries resend --force).",
            count[totals.COPIES_RESENT],
        )
        yield counter(
            "enquiries_failed",
            "Enquiries given up on: refused for good by the relay, or still not sent after "
            "ENQUIRY_RETRY_FOR seconds of retrying.",
            count[totals.ENQUIRIES_FAILED],
        )
        yield counter(
            "enquiries_withdrawn",
            "Enquiries withdrawn and deleted by the applicant through their private link.",
            count[totals.ENQUIRIES_WITHDRAWN],
        )
        spam = CounterMetricFamily(
            f"{PREFIX}_spam_caught",
            "Form submissions caught as spam, by the trap that caught them; nothing of them "
            "is stored or sent.",
            labels=["trap"],
        )
        for trap in totals.SPAM_TRAPS:
            spam.add_metric([trap], count[totals.spam_total(trap)])
        yield spam
        yield counter(
            "enquiry_delivery_attempts",
            "Delivery attempts begun; each retry is one more.",
            count[totals.DELIVERY_ATTEMPTS],
        )
        yield SummaryMetricFamily(
            f"{PREFIX}_enquiry_send_duration_seconds",
            "Time an attempt spent sending its mails to the relay, however it ended.",
            count_value=int(count[totals.SENDS_TIMED]),
            sum_value=count[totals.SEND_SECONDS],
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_enquiries_pending",
            "Enquiries stored and waiting to be sent (neither sent nor failed).",
            value=figures.pending,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_enquiry_oldest_pending_age_seconds",
            "Seconds since the oldest pending enquiry came in; 0 when none is pending.",
            value=figures.oldest_pending_age,
        )
