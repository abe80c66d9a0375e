"""What the alerts' tests do as subscribers, the group and the clock: subscribe, read the mails,
open a position."""

import re
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from openpositions.alerts.models import AlertMail, Subscription
from openpositions.alerts.openings import record_openings
from openpositions.clock import utcnow
from openpositions.content import current_content, current_day
from openpositions.extensions import db
from tests.support.content import write_position
from tests.support.smtp import Received, body_text

SITE_URL = "https://positions.example.org"
NEW_POSTDOC = "postdoc-earth-observation-foundation-models"
NEW_PHD = "phd-self-supervised-learning-sar"


def open_position(
    content_dir: Path,
    slug: str = NEW_POSTDOC,
    category: str = "postdoc",
    status: str = "open",
    deadline: date | None = date(2099, 1, 31),
) -> Path:
    """A content edit that adds a position file (open, public, with a deadline years ahead)."""
    title = " ".join(word.capitalize() for word in slug.split("-"))
    fields: dict[str, object] = {
        "title": title,
        "category": category,
        "status": status,
        "date_posted": date(2026, 12, 1),
        "employment_type": "FULL_TIME",
    }
    if deadline is not None:
        fields["deadline"] = deadline
    return write_position(content_dir, slug, f"We are looking for someone: {title}.", **fields)


def subscribe(
    client: FlaskClient,
    email: str = "ada@example.org",
    categories: Sequence[str] = ("postdoc",),
    language: str = "en",
    consent: str | None = "y",
) -> TestResponse:
    """Send the alerts form, as a browser would; the redirect is not followed."""
    fields: dict[str, object] = {"email": email, "categories": list(categories)}
    if consent is not None:
        fields["consent"] = consent
    prefix = "" if language == "en" else f"/{language}"
    return client.post(f"{prefix}/alerts", data=fields)


def links_in(mail: Received) -> list[str]:
    """The site's links in a mail's text, as paths the test client can open."""
    text = body_text(mail.message, "plain")
    return [url.removeprefix(SITE_URL) for url in re.findall(rf"{re.escape(SITE_URL)}\S+", text)]


def confirmed_subscription(
    app: Flask,
    email: str = "ada@example.org",
    categories: Sequence[str] = ("postdoc",),
    language: str = "en",
) -> int:
    """A subscription confirmed now, stored as the form and its link store one; its id. What is
    open as it is confirmed is recorded first, as its confirmation page does."""
    with app.app_context():
        subscription = Subscription.ask(
            email=email,
            transport_email=email,
            categories=categories,
            language=language,
            consent_wording="I agree.",
        )
        record_openings(current_content(), current_day(), utcnow())
        subscription.confirm()
        db.session.commit()
        return subscription.id


def alerts_in(mails: Sequence[Received]) -> list[Received]:
    """The alerts among the mails (not the confirmation mails): they carry a List-Id."""
    return [mail for mail in mails if mail.message["List-Id"]]


def stored_mails(app: Flask) -> list[tuple[int, str, int]]:
    """(subscription, status, attempts) of every stored alert mail, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(AlertMail.subscription_id, AlertMail.status, AlertMail.attempts).order_by(
                AlertMail.id
            )
        )
        return [(subscription, status, attempts) for subscription, status, attempts in rows]


def make_mails_due(app: Flask, ago: timedelta = timedelta(minutes=5)) -> None:
    """Move every pending mail's next attempt `ago` into the past, as time passing would."""
    with app.app_context():
        db.session.execute(
            sa.update(AlertMail).where(AlertMail.status == "pending").values(due_at=utcnow() - ago)
        )
        db.session.commit()
