"""`flask enquiries resend`: what it says and sends, as a real relay and /metrics see it.

A delivered enquiry is left alone unless the operator asks for a copy (--force), which goes to
the professor at once, marked as a copy and threaded with the first; copies are counted apart
from first deliveries, so that sent never exceeds accepted.
"""

import html
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from openpositions.enquiries.delivery.attempts import attempt_delivery
from openpositions.enquiries.delivery.tasks import Resend, resend_undelivered
from openpositions.enquiries.models import SENT, Enquiry
from openpositions.extensions import db
from tests.support.app import make_app, queued_tasks, stored_enquiries
from tests.support.forms import PDF_BYTES, post_enquiry
from tests.support.metrics import scrape
from tests.support.smtp import Received, SmtpSink, body_text

pytestmark = pytest.mark.database

PROFESSOR = "professor@rsim.example.org"


def delivered_enquiry(app: Flask, smtp: SmtpSink, url: str = "/enquiry") -> Enquiry:
    """Send an enquiry with a CV through the form and deliver it, as the queue does."""
    response = post_enquiry(
        app.test_client(), url=url, cv=(PDF_BYTES, "Lebenslauf Jürgen.pdf", "application/pdf")
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    (enquiry,) = stored_enquiries(app)
    with app.app_context():
        attempt_delivery(enquiry.id)
    smtp.wait_for(2)  # The professor's mail and the applicant's receipt.
    (enquiry,) = stored_enquiries(app)
    assert enquiry.status == SENT
    return enquiry


def to_professor(smtp: SmtpSink) -> list[Received]:
    return [mail for mail in smtp.received if mail.rcpt_tos == [PROFESSOR]]


def counted(app: Flask) -> dict[str, float]:
    metrics = scrape(app.test_client())
    return {
        name: metrics[f"openpositions_enquiries_{name}_total"]
        for name in ("accepted", "sent", "resent")
    }


def test_resending_a_delivered_enquiry_says_when_it_went_and_sends_nothing(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpSink
) -> None:
    enquiry = delivered_enquiry(app, smtp)
    queued = queued_tasks(app)  # The form's own task, which found it delivered.
    result = runner.invoke(args=["enquiries", "resend", enquiry.reference])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{enquiry.reference}: delivered on 20")
    assert result.output.endswith(
        "; nothing sent. To send the professor a copy of its mail, add --force.\n"
    )
    assert "queued" not in result.output
    # Nothing queued, nothing sent now: nothing can arrive later either.
    assert queued_tasks(app) == queued
    assert len(smtp.received) == 2
    (after,) = stored_enquiries(app)
    assert (after.status, after.attempts, after.sent_at) == (SENT, 1, enquiry.sent_at)
    assert counted(app) == {"accepted": 1, "sent": 1, "resent": 0}


@pytest.mark.parametrize(
    ("language", "prefix", "note"),
    [
        ("en", "Copy: ", "This is a copy, sent again at the site operator's request; the first"),
        ("de", "Kopie: ", "Dies ist eine Kopie, die auf Wunsch des Website-Betreibers erneut"),
    ],
)
def test_force_sends_the_professor_a_copy_marked_and_threaded_and_counted_apart(
    tmp_path: Path, smtp: SmtpSink, language: str, prefix: str, note: str
) -> None:
    app = make_app(tmp_path, smtp.port, ENQUIRY_MAIL_LANGUAGE=language)
    runner = app.test_cli_runner()
    enquiry = delivered_enquiry(app, smtp)
    (first,) = to_professor(smtp)
    queued = queued_tasks(app)

    for copies in (1, 2):
        result = runner.invoke(args=["enquiries", "resend", "--force", enquiry.reference])
        assert result.exit_code == 0, result.output
        assert result.output.startswith(
            f"{enquiry.reference}: sent the professor a copy of its mail, marked as a copy "
            "(the first went on 20"
        )
        assert len(to_professor(smtp)) == 1 + copies, "sent at once, not queued"
    assert queued_tasks(app) == queued
    _, *copies_sent = to_professor(smtp)
    assert len(smtp.received) == 4, "no second receipt for the applicant"

    original = first.message
    for copy in copies_sent:
        mail = copy.message
        # The raw bytes, decoded as a mail client decodes them.
        assert copy.shown("Subject") == prefix + first.shown("Subject")
        assert copy.shown("Reply-To") == first.shown("Reply-To")
        assert mail["Message-ID"] != original["Message-ID"]
        assert mail["References"] == original["Message-ID"]
        text = body_text(mail, "plain")
        assert text.startswith(note)
        assert text.endswith(body_text(original, "plain"))
        assert note in html.unescape(body_text(mail, "html"))
        (attachment,) = mail.iter_attachments()
        assert attachment.get_payload(decode=True) == PDF_BYTES
    assert copies_sent[0].message["Message-ID"] != copies_sent[1].message["Message-ID"]

    (after,) = stored_enquiries(app)
    assert (after.status, after.attempts, after.sent_at) == (SENT, 1, enquiry.sent_at)
    assert counted(app) == {"accepted": 1, "sent": 1, "resent": 2}


def test_a_copy_the_relay_refuses_is_reported_and_not_counted(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpSink
) -> None:
    enquiry = delivered_enquiry(app, smtp)
    smtp.refused_recipients = {PROFESSOR: "550 5.1.1 Mailbox unavailable"}
    result = runner.invoke(args=["enquiries", "resend", "--force", enquiry.reference])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {enquiry.reference}: the copy was not sent: 550 5.1.1 Mailbox unavailable\n"
    )
    assert len(smtp.received) == 2
    assert counted(app) == {"accepted": 1, "sent": 1, "resent": 0}


def test_force_goes_with_one_reference_only(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["enquiries", "resend", "--failed", "--force"])
    assert result.exit_code == 2
    assert "--force sends one delivered enquiry again: give its REFERENCE" in result.output


def test_a_failed_enquiry_resent_is_delivered_once_and_counted_once(
    app: Flask, runner: FlaskCliRunner, smtp: SmtpSink
) -> None:
    smtp.refused_recipients = {PROFESSOR: "550 5.1.1 Mailbox unavailable"}
    assert post_enquiry(app.test_client()).status_code == 303
    (enquiry,) = stored_enquiries(app)
    with app.app_context():
        assert attempt_delivery(enquiry.id).failed

    smtp.refused_recipients = {}
    result = runner.invoke(args=["enquiries", "resend", enquiry.reference])
    assert result.output == f"{enquiry.reference}: queued\n"
    with app.app_context():
        attempt_delivery(enquiry.id)
    assert [mail.rcpt_tos for mail in smtp.wait_for(2)] == [[PROFESSOR], ["ada@example.org"]]
    # Asked again, it is delivered now: nothing more goes out, nothing more is counted.
    again = runner.invoke(args=["enquiries", "resend", enquiry.reference])
    assert "delivered on" in again.output and "nothing sent" in again.output
    metrics = scrape(app.test_client())
    assert metrics["openpositions_enquiries_failed_total"] == 1
    assert counted(app) == {"accepted": 1, "sent": 1, "resent": 0}


def test_an_enquiry_delivered_while_it_is_resent_is_not_made_pending_again(
    app: Flask, smtp: SmtpSink
) -> None:
    assert post_enquiry(app.test_client()).status_code == 303
    queued = queued_tasks(app)
    with app.app_context():
        (enquiry,) = db.session.scalars(sa.select(Enquiry))
        assert enquiry.status == "pending"  # As the operator's command read it, when ...
        with db.engine.begin() as worker:  # ... a worker delivers it, on a connection of its own.
            worker.execute(sa.update(Enquiry).where(Enquiry.id == enquiry.id).values(status=SENT))
        assert resend_undelivered(enquiry) is Resend.DELIVERED
    (after,) = stored_enquiries(app)
    assert after.status == SENT
    assert queued_tasks(app) == queued
    assert counted(app) == {"accepted": 1, "sent": 0, "resent": 0}, "the resend counted nothing"
