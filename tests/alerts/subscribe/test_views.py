"""Subscribing: the form in both languages, its mistakes, the same answer whatever the address,
a confirmation that only a button gives, the limits, and the pages a subscription's link opens."""

from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from openpositions.alerts.models import CONFIRMED, PENDING, Subscription
from openpositions.alerts.subscribe.tasks import sweep_subscriptions
from openpositions.clock import utcnow
from openpositions.extensions import db
from tests.alerts.subscribers import SITE_URL, links_in, subscribe
from tests.support.app import make_app, queued_tasks
from tests.support.clock import berlin, set_clock
from tests.support.html import Page
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_until

pytestmark = pytest.mark.database


def text_of(response: TestResponse) -> str:
    return unescape(response.get_data(as_text=True))


def subscriptions(app: Flask) -> dict[str, tuple[str, list[str], str]]:
    """address -> (state, categories, language) of every stored subscription."""
    with app.app_context():
        return {
            s.email: (s.state, s.categories, s.language)
            for s in db.session.scalars(sa.select(Subscription))
        }


def error_summary(response: TestResponse) -> list[str]:
    page = Page(response.get_data(as_text=True))
    return [
        text
        for attributes, text in page.anchors
        if attributes.get("href", "#main").startswith("#") and attributes["href"] != "#main"
    ]


@pytest.mark.parametrize(
    ("language", "heading", "category", "consent"),
    [
        ("en", "Job alerts by email", "Post-doc positions in Deep", "at most one email a day"),
        (
            "de",
            "Neue Stellen per E-Mail",
            "Postdoc-Stellen in Deep",
            "höchstens eine E-Mail am Tag",
        ),
    ],
)
def test_the_form_offers_the_categories_of_site_yaml_with_a_consent_sentence(
    client: FlaskClient, language: str, heading: str, category: str, consent: str
) -> None:
    response = client.get("/alerts" if language == "en" else "/de/alerts")
    assert response.status_code == 200
    page = text_of(response)
    assert heading in page and category in page and consent in page
    html = response.get_data(as_text=True)
    assert 'type="checkbox" value="phd"' in html and 'type="checkbox" value="postdoc"' in html


def test_a_link_from_a_section_ticks_its_category(client: FlaskClient) -> None:
    html = client.get("/alerts?category=postdoc").get_data(as_text=True)
    assert 'checked id="categories-1" name="categories" type="checkbox" value="postdoc"' in html
    assert 'id="categories-0" name="categories" type="checkbox" value="phd">' in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": ""}, "Enter your email address"),
        ({"email": "ada@"}, "Enter an email address in the correct format, like name@example.com"),
        ({"email": "adä@example.org"}, "Use an email address without accented or non-Latin"),
        ({"categories": []}, "Choose at least one kind of position to hear about"),
        ({"categories": ["astrology"]}, "Choose at least one kind of position to hear about"),
        ({"consent": None}, "Confirm that we may email you about new positions"),
    ],
)  # fmt: skip
def test_a_mistake_gets_the_error_summary_and_stores_nothing(
    app: Flask, client: FlaskClient, changes: dict[str, object], message: str
) -> None:
    fields = {"email": "ada@example.org", "categories": ["phd"], "consent": "y", **changes}
    response = client.post("/alerts", data={k: v for k, v in fields.items() if v is not None})
    assert response.status_code == 422
    assert any(error.startswith(message) for error in error_summary(response))
    assert "There is a problem" in text_of(response)
    assert subscriptions(app) == {}


def test_the_german_form_says_its_mistakes_in_german(client: FlaskClient) -> None:
    response = subscribe(client, email="", categories=(), consent=None, language="de")
    assert response.status_code == 422
    assert error_summary(response) == [
        "Geben Sie Ihre E-Mail-Adresse ein",
        "Wählen Sie mindestens eine Art von Stelle aus, über die Sie benachrichtigt werden möchten",
        "Bestätigen Sie, dass wir Ihnen zu neuen Stellen schreiben dürfen",
    ]


def test_the_answer_is_the_same_page_whatever_the_address(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    new = subscribe(client, email="new@example.org")
    confirm = links_in(smtp.wait_for(1)[0])[0]
    assert client.post(confirm).status_code == 303  # new@example.org is subscribed now.
    pending = subscribe(client, email="pending@example.org")
    smtp.wait_for(2)
    answers = [new, pending, subscribe(client, email="new@example.org")]
    mails = smtp.wait_for(3)

    assert {(answer.status_code, answer.headers["Location"]) for answer in answers} == {
        (303, "/alerts/requested")
    }
    assert text_of(client.get("/alerts/requested")).count("Check your email") == 2
    # What reached each mailbox differs, and only the mailbox's owner sees it: the subscribed
    # address gets the link that changes its alerts, not a second subscription.
    to_subscribed = [mail for mail in mails if mail.rcpt_tos == ["new@example.org"]][-1]
    assert "/alerts/manage/" in links_in(to_subscribed)[0]
    assert subscriptions(app) == {
        "new@example.org": (CONFIRMED, ["postdoc"], "en"),
        "pending@example.org": (PENDING, ["postdoc"], "en"),
    }


def test_the_link_in_the_mail_confirms_only_by_the_button_on_its_page(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    subscribe(client, categories=("phd", "postdoc"), language="de")
    (mail,) = smtp.wait_for(1)
    assert mail.message["Subject"].startswith("Bestätigen Sie Ihre Stellenbenachrichtigungen")
    assert mail.message["Auto-Submitted"] == "auto-generated"
    (link,) = links_in(mail)
    assert link.startswith("/de/alerts/confirm/")

    # A mail scanner fetches every link: that confirms nobody.
    page = client.get(link)
    assert page.status_code == 200
    assert "Ja, Stellenbenachrichtigungen senden" in text_of(page)
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert subscriptions(app)["ada@example.org"][0] == PENDING

    answer = client.post(link)
    assert answer.status_code == 303
    assert subscriptions(app)["ada@example.org"] == (CONFIRMED, ["phd", "postdoc"], "de")
    assert "Ihre Stellenbenachrichtigungen sind eingeschaltet" in text_of(client.get(link))


def test_no_address_gets_more_than_three_confirmation_mails_a_day(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None, tmp_path: Path
) -> None:
    clock = set_clock(app, berlin(2026, 12, 8, 9))
    # A second instance on the same database, as behind a load balancer: the count is the
    # database's, not one process's.
    other = make_app(
        tmp_path / "other",
        smtp.port,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        QUEUE_URL=app.config["QUEUE_URL"],
        SITE_URL=SITE_URL,
        CONTENT_DIR=app.config["CONTENT_DIR"],
    )
    set_clock(other, clock.moment)
    clients = [client, other.test_client()] * 3
    for number, each in enumerate(clients, start=1):
        assert subscribe(each, email="victim@example.org").status_code == 303
        if number <= 3:
            smtp.wait_for(number)

    def third_recorded_as_sent() -> bool:
        # The relay has the mail a moment before the worker records it as sent.
        with app.app_context():
            subscription = Subscription.of_address("victim@example.org")
            assert subscription is not None
            assert subscription.confirmations_sent == 3
            return subscription.confirmation_due_at is None

    wait_until(third_recorded_as_sent)
    # Nothing is queued or due that could still send a fourth.
    assert queued_tasks(app) == 0
    assert len(smtp.received) == 3

    clock.moment += timedelta(days=1)
    assert subscribe(client, email="victim@example.org").status_code == 303
    smtp.wait_for(4)
    with other.app_context():
        db.engine.dispose()  # Its connections closed before the database is dropped.


def test_the_network_flood_limit_counts_every_post(tmp_path: Path, smtp: SmtpSink) -> None:
    app = make_app(
        tmp_path,
        smtp.port,
        SITE_URL=SITE_URL,
        RATELIMIT_ENABLED=True,
        ALERTS_FLOOD_LIMIT="2 per hour",
    )
    client = app.test_client()
    answers = [
        subscribe(client, email=f"someone{number}@example.org").status_code for number in range(3)
    ]
    assert answers == [303, 303, 429]
    refused = subscribe(client, email="someone3@example.org")
    assert "Very many forms have been sent from your network" in text_of(refused)
    assert len(subscriptions(app)) == 2


def test_unconfirmed_subscriptions_are_deleted_after_seven_days(
    app: Flask, client: FlaskClient
) -> None:
    subscribe(client, email="old@example.org")
    subscribe(client, email="recent@example.org")
    with app.app_context():
        db.session.execute(
            sa.update(Subscription)
            .where(Subscription.email == "old@example.org")
            .values(asked_at=utcnow() - timedelta(days=7, minutes=1))
        )
        db.session.commit()
        sweep_subscriptions.function()
    assert set(subscriptions(app)) == {"recent@example.org"}


def confirmed_link(client: FlaskClient, smtp: SmtpSink, email: str = "ada@example.org") -> str:
    """Subscribe and confirm; the subscription's key, from the confirmation link."""
    subscribe(client, email=email)
    link = links_in(smtp.wait_for(len(smtp.received) + 1)[-1])[0]
    assert client.post(link).status_code == 303
    return link.rsplit("/", 1)[1]


def test_a_one_click_post_without_cookie_or_token_unsubscribes_at_once(
    tmp_path: Path, smtp: SmtpSink, content_dir: Path
) -> None:
    app = make_app(
        tmp_path,
        smtp.port,
        SITE_URL=SITE_URL,
        CONTENT_DIR=str(content_dir),
        WTF_CSRF_ENABLED=True,
    )
    with app.app_context():
        subscription = Subscription.ask(
            email="ada@example.org",
            transport_email="ada@example.org",
            categories=["phd"],
            language="en",
            consent_wording="I agree.",
        )
        subscription.confirm()
        db.session.commit()
        key = subscription.secret
    # As a mail provider sends it: a new connection, no cookie, no form token.
    mail_client = app.test_client(use_cookies=False)
    assert mail_client.get(f"/alerts/unsubscribe/{key}").status_code == 200
    assert subscriptions(app) != {}, "a GET changes nothing"
    answer = mail_client.post(
        f"/alerts/unsubscribe/{key}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    assert subscriptions(app) == {}
    # Again (a mail client that retries): the same answer, nothing left to delete.
    again = mail_client.post(f"/alerts/unsubscribe/{key}", data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    assert mail_client.get(f"/alerts/manage/{key}").status_code == 404


def test_a_post_without_the_one_click_body_unsubscribes_no_one(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    key = confirmed_link(client, smtp)
    assert client.post(f"/alerts/unsubscribe/{key}").status_code == 400
    assert subscriptions(app)["ada@example.org"][0] == CONFIRMED


def test_the_manage_page_changes_the_categories_or_unsubscribes(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    key = confirmed_link(client, smtp)
    page = client.get(f"/alerts/manage/{key}")
    assert page.status_code == 200 and "ada@example.org" in text_of(page)

    refused = client.post(f"/alerts/manage/{key}", data={"categories": []})
    assert refused.status_code == 422
    assert subscriptions(app)["ada@example.org"][1] == ["postdoc"]

    saved = client.post(f"/alerts/manage/{key}", data={"categories": ["phd", "postdoc"]})
    assert saved.status_code == 303
    assert "Your job alerts are saved" in text_of(client.get(saved.headers["Location"]))
    assert subscriptions(app)["ada@example.org"][1] == ["phd", "postdoc"]

    gone = client.post(f"/alerts/unsubscribe/{key}", data={"List-Unsubscribe": "One-Click"})
    assert "your address is deleted" in text_of(gone)
    assert subscriptions(app) == {}


def test_a_link_that_opens_no_subscription_answers_404(client: FlaskClient) -> None:
    for page in ("confirm", "manage", "unsubscribe"):
        answer = client.get(f"/alerts/{page}/no-such-key")
        assert answer.status_code == 404
        assert "No job alerts at this link" in text_of(answer)


def test_without_site_url_the_site_offers_no_alerts(tmp_path: Path, smtp: SmtpSink) -> None:
    client = make_app(tmp_path, smtp.port).test_client()
    assert client.get("/alerts").status_code == 404
    assert subscribe(client).status_code == 404


PRIVACY_WORDING = {
    "/privacy": [
        "Job alerts by email", "Article 6(1)(a) GDPR", "until you unsubscribe", "after seven days",
    ],
    "/de/privacy": [
        "Neue Stellen per E-Mail", "Art. 6 Abs. 1 lit. a DSGVO", "bis Sie abbestellen",
        "nach sieben Tagen",
    ],
}  # fmt: skip


@pytest.mark.parametrize(("path", "wording"), PRIVACY_WORDING.items())
def test_the_privacy_notice_covers_the_alerts(
    client: FlaskClient, path: str, wording: list[str]
) -> None:
    response = client.get(path)
    page = text_of(response)
    section = page[page.index(wording[0]) :]
    assert all(words in section for words in wording)
    # The form's link to it lands on the section.
    assert 'id="job-alerts"' in response.get_data(as_text=True)


def test_the_positions_pages_and_the_feed_lead_to_the_alerts(
    client: FlaskClient, tmp_path: Path, smtp: SmtpSink
) -> None:
    listing = Page(client.get("/openpositions").get_data(as_text=True))
    links = {attributes.get("href"): text for attributes, text in listing.anchors}
    assert links["/alerts"] == "Get an email when a new position opens"
    # The post-doc section has no open position: its button asks for exactly that.
    assert links["/alerts?category=postdoc"].startswith("Get an email when one opens")
    detail = client.get("/de/openpositions/phd-deep-learning-satellite-images")
    assert 'href="/de/alerts?category=phd"' in detail.get_data(as_text=True)
    feed = client.get("/openpositions.atom").get_data(as_text=True)
    assert f'<link rel="related" type="text/html" href="{SITE_URL}/alerts"' in feed

    # Without SITE_URL the site offers no alerts, and links to none.
    without = make_app(tmp_path / "without", smtp.port).test_client()
    assert "/alerts" not in without.get("/openpositions").get_data(as_text=True)
