"""Delivery of enquiries by mail, through the real queue consumer to a real SMTP server."""

import logging
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from openpositions.enquiries.delivery.attempts import retry_delay
from openpositions.enquiries.delivery.tasks import queue_lost_enquiries
from openpositions.enquiries.intake.accept import record_enquiry
from openpositions.queue import queue_of
from tests.support.app import an_enquiry, make_app, stored_enquiries
from tests.support.forms import PDF_BYTES, post_enquiry
from tests.support.net import free_port
from tests.support.smtp import Received, SmtpSink, body_text, decoded_header, serving
from tests.support.waiting import wait_until

SENDER = "RSiM open positions <positions@rsim.example.org>"

pytestmark = pytest.mark.database


def submit(client: FlaskClient, **changes: Any) -> str:
    """Send a valid enquiry, which must be accepted; the address of its confirmation page."""
    response = post_enquiry(client, **changes)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def mail_to(mails: list[Received], address: str) -> Received:
    (found,) = [mail for mail in mails if address in mail.rcpt_tos]
    return found


def status_of(app: Flask) -> str:
    (enquiry,) = stored_enquiries(app)
    return enquiry.status


def test_the_professor_gets_a_mail_to_answer_and_the_applicant_a_receipt(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    message = "Dear Prof. Demir,\nI would like to apply. <script>alert('x')</script> & more."
    submit(
        client,
        name="Jürgen Ñúñez-Çelik",
        message=message,
        cv=(PDF_BYTES, "Mein Lebenslauf.pdf", "application/pdf"),
    )
    mails = smtp.wait_for(2)
    (enquiry,) = stored_enquiries(app)

    to_professor = mail_to(mails, "professor@rsim.example.org")
    mail = to_professor.message
    assert mail["To"] == "professor@rsim.example.org"
    assert to_professor.rcpt_tos == ["professor@rsim.example.org"]
    assert decoded_header(mail["From"]) == SENDER
    assert getaddresses([decoded_header(mail["Reply-To"])]) == [
        ("Jürgen Ñúñez-Çelik", "ada@example.org")
    ]
    subject = decoded_header(mail["Subject"])
    assert enquiry.reference in subject
    assert "PhD candidates in Deep Learning for Satellite Image Analysis" in subject
    assert "Jürgen Ñúñez-Çelik" in subject
    assert mail["Message-ID"] == f"<{enquiry.reference}.enquiry@rsim.example.org>"
    text = body_text(mail, "plain").replace("\r\n", "\n")
    assert message in text
    html = body_text(mail, "html")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more." in html
    assert "<script>" not in html
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_payload(decode=True) == PDF_BYTES
    assert attachment.get_filename() == "CV – Jürgen Ñúñez-Çelik.pdf"

    receipt = mail_to(mails, "ada@example.org").message
    assert decoded_header(receipt["From"]) == SENDER
    assert receipt["Reply-To"] is None
    assert enquiry.reference in decoded_header(receipt["Subject"])
    receipt_text = body_text(receipt, "plain")
    assert enquiry.reference in receipt_text
    assert "PhD candidates in Deep Learning for Satellite Image Analysis" in receipt_text
    assert "within two weeks" in receipt_text
    receipt_html = body_text(receipt, "html")
    for applicant_text in ("I would like to apply", "Jürgen"):
        # Nothing the applicant typed goes to the address they gave: no relay for spam.
        receipt_subject = decoded_header(receipt["Subject"])
        assert applicant_text not in receipt_text + receipt_html + receipt_subject
    assert list(receipt.iter_attachments()) == []

    wait_until(lambda: status_of(app) == "sent")
    (enquiry,) = stored_enquiries(app)
    assert enquiry.attempts == 1
    assert enquiry.sent_at is not None


def test_the_default_recipient_is_the_contact_person_of_the_site(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    app = make_app(tmp_path, smtp.port, ENQUIRY_RECIPIENT="", ENQUIRY_ACKNOWLEDGE=False)
    queue_of(app).start_in_process(workers=1)
    try:
        submit(app.test_client())
        (mail,) = smtp.wait_for(1)
    finally:
        queue_of(app).stop_in_process()
    assert mail.rcpt_tos == ["demir@tu-berlin.de"]
    assert mail.message["To"] == "demir@tu-berlin.de"


def test_no_receipt_when_acknowledgements_are_off(tmp_path: Path, smtp: SmtpSink) -> None:
    app = make_app(tmp_path, smtp.port, ENQUIRY_ACKNOWLEDGE=False)
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    try:
        submit(app.test_client())
        wait_until(lambda: status_of(app) == "sent")
    finally:
        queue.stop_in_process()
    assert [mail.rcpt_tos for mail in smtp.received] == [["professor@rsim.example.org"]]


def test_mail_server_down_then_up_the_enquiry_arrives_by_retry(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    port = free_port()  # Nothing listens here yet: the mail server is down.
    app = make_app(tmp_path, port, ENQUIRY_RETRY_DELAY=1, ENQUIRY_ACKNOWLEDGE=False)
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    try:
        client = app.test_client()
        confirmation = client.get(submit(client))
        assert "Enquiry received" in confirmation.get_data(as_text=True)
        # The first attempt has failed once its error is recorded.
        wait_until(lambda: stored_enquiries(app)[0].last_error is not None)
        (enquiry,) = stored_enquiries(app)
        assert enquiry.status == "pending"
        assert f"nothing takes connections at 127.0.0.1:{port}" in (enquiry.last_error or "")

        with serving(SmtpSink(port=port)) as late_sink:
            (mail,) = late_sink.wait_for(1, timeout=30)
            assert mail.message["Message-ID"] == f"<{enquiry.reference}.enquiry@rsim.example.org>"
            wait_until(lambda: status_of(app) == "sent")
    finally:
        queue.stop_in_process()
    assert stored_enquiries(app)[0].attempts >= 2


def test_refused_for_a_while_then_for_good_fails_visibly_and_resend_delivers(
    tmp_path: Path, smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(tmp_path, smtp.port, ENQUIRY_RETRY_DELAY=0.1, ENQUIRY_ACKNOWLEDGE=False)
    queue = queue_of(app)
    runner = app.test_cli_runner()
    smtp.reply = "451 4.3.0 Try again later"
    queue.start_in_process(workers=1)
    try:
        submit(app.test_client())
        wait_until(lambda: stored_enquiries(app)[0].attempts >= 2)
        assert status_of(app) == "pending", "a temporary refusal is retried"
        smtp.reply = "550 5.1.1 Mailbox unavailable"
        wait_until(lambda: status_of(app) == "failed")
        (enquiry,) = stored_enquiries(app)
        assert enquiry.last_error == "550 5.1.1 Mailbox unavailable"
        wait_until(
            lambda: any(
                record.levelno == logging.ERROR and enquiry.reference in record.getMessage()
                for record in caplog.records
            )
        )

        listed = runner.invoke(args=["enquiries", "list", "--status", "failed"])
        assert enquiry.reference in listed.output
        assert (
            enquiry.reference
            not in runner.invoke(args=["enquiries", "list", "--status", "sent"]).output
        )

        smtp.reply = "250 OK"
        resent = runner.invoke(args=["enquiries", "resend", enquiry.reference])
        assert resent.exit_code == 0
        (mail,) = smtp.wait_for(1)
        assert mail.message["Message-ID"] == f"<{enquiry.reference}.enquiry@rsim.example.org>"
        wait_until(lambda: status_of(app) == "sent")
    finally:
        queue.stop_in_process()


def test_an_enquiry_whose_queued_task_was_lost_is_found_and_delivered(
    app: Flask, smtp: SmtpSink, consumer: None
) -> None:
    with app.app_context():
        enquiry = record_enquiry(
            an_enquiry(
                name="Lost Enquiry",
                email="lost@example.org",
                message="The process died before this was queued.",
            )
        )
        reference = enquiry.reference
        # Not queued, as if the process died between the commit and the queue.
        assert queue_lost_enquiries() == 0, "not yet overdue"
        app.config["ENQUIRY_SWEEP_GRACE"] = -60
        assert queue_lost_enquiries() == 1
    mails = smtp.wait_for(2)
    assert reference in decoded_header(
        mail_to(mails, "professor@rsim.example.org").message["Subject"]
    )


def test_retries_back_off_exponentially_up_to_a_cap(app: Flask) -> None:
    with app.app_context():
        assert [retry_delay(n) for n in range(1, 6)] == [60, 120, 240, 480, 960]
        assert retry_delay(20) == 4 * 3600
        total = 0.0
        attempts = 0
        while total <= app.config["ENQUIRY_RETRY_FOR"]:
            attempts += 1
            total += retry_delay(attempts)
    assert 10 <= attempts <= 20, "about a day of retries"


def test_logs_name_the_reference_never_the_message(
    app: Flask,
    client: FlaskClient,
    smtp: SmtpSink,
    consumer: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    submit(client, message="A very private message that must never reach a log file.")
    smtp.wait_for(2)
    (enquiry,) = stored_enquiries(app)

    def site_log() -> str:
        # The site's own logs and its queue's; the test's mail server logs what it receives.
        return "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")

    wait_until(lambda: f"Enquiry {enquiry.reference} sent" in site_log())
    assert f"Enquiry {enquiry.reference} received" in site_log()
    assert f"Enquiry {enquiry.reference} queued" in site_log()
    assert "very private message" not in site_log()
