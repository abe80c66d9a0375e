"""The applicant hears, once and in their language, when their enquiry cannot be delivered.

A real relay refuses the professor's address for good (550) and takes the applicant's. A day
after the failure (ENQUIRY_FAILURE_NOTICE_AFTER), unless the operator resent it meanwhile, the
applicant gets a notice with the reference and the group office's address.
"""

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from openpositions import create_app
from openpositions.clock import utcnow
from openpositions.enquiries import totals
from openpositions.enquiries.delivery import failure_notice
from openpositions.enquiries.delivery.attempts import attempt_delivery
from openpositions.enquiries.delivery.tasks import tell_applicants_of_failures_regularly
from openpositions.enquiries.models import FAILED, Enquiry
from openpositions.extensions import db
from tests.support.app import app_config, make_app, store_as_at_0002, stored_enquiries
from tests.support.content import OFFICE_EMAIL, copy_content
from tests.support.forms import post_enquiry
from tests.support.net import free_port
from tests.support.paths import PROJECT_DIR
from tests.support.smtp import Received, SmtpSink, body_text, decoded_header, serving

pytestmark = pytest.mark.database

PROFESSOR = "professor@rsim.example.org"
APPLICANT = "ada@example.org"
REFUSED = "550 5.1.1 <professor@rsim.example.org>: Recipient address rejected"
DAY = timedelta(seconds=86400)


Site = Callable[..., Flask]


@pytest.fixture
def site(tmp_path: Path, database: str) -> Iterator[Site]:
    """Makes the site on `database`, its mail to a port, with the group office's address in its
    content or, with `office=False`, none (the shipped placeholder)."""
    made: list[Flask] = []

    def make(port: int, office: bool = True) -> Flask:
        content = copy_content(tmp_path, fill_placeholders=office)
        app = make_app(
            tmp_path,
            port,
            SQLALCHEMY_DATABASE_URI=database,
            CONTENT_DIR=str(content),
            SITE_URL="https://rsim.example.org",
        )
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()  # Close its connections before the database is dropped.


def failed_enquiry(app: Flask, relay: SmtpSink, url: str = "/enquiry") -> Enquiry:
    """An enquiry sent through the form whose delivery the relay refused for good."""
    relay.refused_recipients = {PROFESSOR: REFUSED}
    assert post_enquiry(app.test_client(), url=url).status_code == 303
    (enquiry,) = stored_enquiries(app)
    with app.app_context():
        assert attempt_delivery(enquiry.id).failed
    (enquiry,) = stored_enquiries(app)
    assert enquiry.status == FAILED and enquiry.failed_at is not None
    return enquiry


def failed_ago(app: Flask, ago: timedelta) -> None:
    """Move every failure back to `ago` before now, as if that much time had passed."""
    with app.app_context():
        db.session.execute(sa.update(Enquiry).values(failed_at=utcnow() - ago))
        db.session.commit()


def check(app: Flask) -> None:
    """One run of the queue's periodic check, as its consumer runs it."""
    with app.app_context():
        tell_applicants_of_failures_regularly.function()


def mails_to(relay: SmtpSink, address: str) -> list[Received]:
    return [mail for mail in relay.received if mail.rcpt_tos == [address]]


@pytest.mark.parametrize(
    ("url", "subject", "sorry", "write_to"),
    [
        (
            "/enquiry",
            "Your enquiry {reference} could not be delivered",
            "We are sorry: your enquiry {reference} could not be delivered to Prof. Begüm "
            "Demir, and it has not reached them since.",
            "Please write to the group office instead, and quote your reference {reference}. A "
            "reply to this mail reaches the office too:\nRSiM group office: " + OFFICE_EMAIL,
        ),
        (
            "/de/enquiry",
            "Ihre Anfrage {reference} konnte nicht zugestellt werden",
            "Es tut uns leid: Ihre Anfrage {reference} konnte Prof. Begüm Demir nicht "
            "zugestellt werden und ist seitdem nicht angekommen.",
            "Bitte schreiben Sie stattdessen an das Sekretariat der Arbeitsgruppe und geben Sie "
            "Ihre Vorgangsnummer {reference} an. Eine Antwort auf diese E-Mail erreicht das "
            "Sekretariat ebenfalls:\nSekretariat der Arbeitsgruppe RSiM: " + OFFICE_EMAIL,
        ),
    ],
    ids=["en", "de"],
)
def test_a_day_after_a_refusal_for_good_the_applicant_is_told_in_their_language(
    site: Site,
    smtp: SmtpSink,
    url: str,
    subject: str,
    sorry: str,
    write_to: str,
) -> None:
    app = site(smtp.port)
    enquiry = failed_enquiry(app, smtp, url)
    reference = enquiry.reference
    assert smtp.received == [], "the professor's address was refused, and no receipt went"

    failed_ago(app, DAY - timedelta(minutes=1))
    check(app)
    assert smtp.received == [], "not before a day has passed: the operator may resend first"

    failed_ago(app, DAY + timedelta(minutes=1))
    check(app)
    (notice,) = smtp.wait_for(1)
    assert notice.rcpt_tos == [APPLICANT]
    # Read from the raw bytes, as the applicant's mail client decodes them.
    assert notice.shown("Subject") == subject.format(reference=reference)
    assert notice.shown("To") == APPLICANT
    assert notice.shown("Reply-To").endswith(f"<{OFFICE_EMAIL}>")
    assert notice.shown("From") == "RSiM open positions <positions@rsim.example.org>"
    raw = notice.raw.decode("ascii")  # Every byte beyond ASCII travels encoded.
    assert PROFESSOR not in raw and "demir@tu-berlin.de" not in raw
    text = body_text(notice.message, "plain").replace("\r\n", "\n")
    assert sorry.format(reference=reference) in text
    assert write_to.format(reference=reference) in text
    assert f": {reference}\n" in text
    assert "/enquiry/yours/" in text, "the private link, to see and download what was sent"
    assert "know more about the two PhD topics" not in text, "never the applicant's own text"

    (told,) = stored_enquiries(app)
    assert told.applicant_told_of_failure_at is not None
    check(app)
    assert len(smtp.received) == 1, "told once"


def test_without_an_office_the_notice_says_to_send_it_again_later(
    site: Site, smtp: SmtpSink
) -> None:
    app = site(smtp.port, office=False)
    enquiry = failed_enquiry(app, smtp)
    failed_ago(app, DAY * 2)
    check(app)
    (notice,) = smtp.wait_for(1)
    assert notice.message["Reply-To"] is None
    text = body_text(notice.message, "plain").replace("\r\n", "\n")
    assert (
        "Please send your enquiry again in a few days, through the form at "
        f"https://rsim.example.org/enquiry, and quote your reference {enquiry.reference}. "
        "Replies to this mail are not read."
    ) in " ".join(text.split())
    assert "group office" not in text


def test_no_notice_when_the_operator_resent_it_and_it_was_delivered(
    site: Site, smtp: SmtpSink
) -> None:
    app = site(smtp.port)
    enquiry = failed_enquiry(app, smtp)
    smtp.refused_recipients = {}  # The operator fixed the recipient's address ...
    resent = app.test_cli_runner().invoke(args=["enquiries", "resend", enquiry.reference])
    assert resent.exit_code == 0, resent.output
    with app.app_context():
        attempt_delivery(enquiry.id)  # ... and the queue delivered it.
    smtp.wait_for(2)
    failed_ago(app, DAY * 2)
    check(app)
    assert [mail.rcpt_tos for mail in smtp.received] == [[PROFESSOR], [APPLICANT]]
    subjects = [decoded_header(mail.message["Subject"]) for mail in smtp.received]
    assert not any("could not be delivered" in subject for subject in subjects)


def test_a_resend_that_fails_again_gives_the_operator_another_day(
    site: Site, smtp: SmtpSink
) -> None:
    app = site(smtp.port)
    enquiry = failed_enquiry(app, smtp)
    failed_ago(app, DAY * 2)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["enquiries", "resend", enquiry.reference]).exit_code == 0
    with app.app_context():
        assert attempt_delivery(enquiry.id).failed  # Refused again, just now.
    check(app)
    assert smtp.received == []


def test_a_relay_down_when_the_notice_is_due_gets_it_later_once(site: Site, smtp: SmtpSink) -> None:
    port = free_port()
    app = site(port)
    with serving(SmtpSink(port=port)) as relay:
        failed_enquiry(app, relay)
    failed_ago(app, DAY * 2)
    check(app)  # Nothing listens on the relay's port now: it is down.
    (waiting,) = stored_enquiries(app)
    assert waiting.applicant_told_of_failure_at is None, "given back for the next check"

    with serving(SmtpSink(port=port)) as relay_back:
        check(app)
        check(app)
        (notice,) = relay_back.wait_for(1)
    assert notice.rcpt_tos == [APPLICANT]
    assert len(relay_back.received) == 1


def test_two_workers_checking_at_once_send_one_notice(
    site: Site, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = site(smtp.port)
    failed_enquiry(app, smtp)
    failed_ago(app, DAY * 2)
    # Both workers find the enquiry due before either takes it: the race at its closest.
    both_found = threading.Barrier(2, timeout=10)
    find_due = failure_notice.failures_due_for_notice

    def found_together() -> list[int]:
        due = find_due()
        both_found.wait()
        return due

    monkeypatch.setattr(failure_notice, "failures_due_for_notice", found_together)
    told: list[int] = []

    def worker() -> None:
        with app.app_context():
            told.append(failure_notice.tell_applicants_of_failures())

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=30)
    assert sorted(told) == [0, 1]
    (notice,) = smtp.wait_for(1)
    assert notice.rcpt_tos == [APPLICANT]
    assert len(smtp.received) == 1


def test_the_migration_gives_failures_before_it_a_day_from_the_upgrade(
    tmp_path: Path, smtp: SmtpSink, database: str
) -> None:
    app = create_app(app_config(tmp_path, smtp.port, SQLALCHEMY_DATABASE_URI=database))
    migrations = str(PROJECT_DIR / "migrations")
    with app.app_context():
        upgrade(directory=migrations, revision="0002")
        store_as_at_0002(1, status="failed", attempts=3)
        store_as_at_0002(2, status="sent", attempts=1)
        db.session.commit()
        upgrade(directory=migrations, revision="0006")
        before = utcnow()
        upgrade(directory=migrations)
        failed_at = dict(db.session.execute(sa.select(Enquiry.status, Enquiry.failed_at)).all())
        told = db.session.scalars(sa.select(Enquiry.applicant_told_of_failure_at)).all()
        resent = totals.current_totals()[totals.COPIES_RESENT]
        rows = db.session.scalar(
            sa.select(sa.func.count()).where(totals.RunningTotal.name == totals.COPIES_RESENT)
        )
        db.session.commit()
        downgrade(directory=migrations, revision="0006")
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns("enquiry")}
        db.engine.dispose()
    assert failed_at["sent"] is None
    assert failed_at["failed"] is not None and failed_at["failed"] >= before - timedelta(seconds=1)
    assert told == [None, None]
    assert (resent, rows) == (0, 1)
    assert not {"failed_at", "applicant_told_of_failure_at"} & columns


@pytest.mark.parametrize(
    ("url", "promised"),
    [
        (
            "/enquiry",
            [
                "Your enquiry about “PhD candidates in Deep Learning for Satellite Image "
                "Analysis” is stored and will be sent to Prof. Begüm Demir.",
                "Should your enquiry not reach Prof. Begüm Demir, we will tell you so by email.",
            ],
        ),
        (
            "/de/enquiry",
            [
                "Ihre Anfrage zu „Promovierende in Deep Learning für die Satellitenbildanalyse“ "
                "ist gespeichert und wird an Prof. Begüm Demir gesendet.",
                "Sollte Ihre Anfrage Prof. Begüm Demir nicht erreichen, teilen wir Ihnen das per "
                "E-Mail mit.",
            ],
        ),
    ],
    ids=["en", "de"],
)
def test_the_confirmation_promises_no_more_than_the_notice_keeps(
    site: Site, smtp: SmtpSink, url: str, promised: list[str]
) -> None:
    client = site(smtp.port).test_client()
    response = post_enquiry(client, url=url)
    page = " ".join(client.get(response.headers["Location"]).get_data(as_text=True).split())
    for sentence in promised:
        assert sentence in page
    assert "on its way" not in page and "auf dem Weg" not in page
