"""The development mail sink that `make run` starts prints each mail readably."""

import io
import smtplib
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from devtools.mail_sink import PrintMail
from tests.support.forms import PDF_BYTES
from tests.support.net import free_port
from tests.support.waiting import wait_until


def test_the_sink_prints_headers_body_and_attachments() -> None:
    output = io.StringIO()
    port = free_port()
    controller = Controller(PrintMail(stream=output), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mail = EmailMessage()
        mail["From"] = "Site <site@example.org>"
        mail["To"] = "professor@example.org"
        mail["Reply-To"] = "Jürgen Müller <juergen@example.org>"
        mail["Subject"] = "Enquiry RS-AAAA-BBBB: Promotion – Jürgen"
        mail.set_content("Guten Tag,\nich interessiere mich für die Stelle.")
        mail.add_attachment(PDF_BYTES, maintype="application", subtype="pdf", filename="cv.pdf")
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            client.send_message(mail)
        wait_until(lambda: "=" * 72 + "\n" in output.getvalue()[80:])
    finally:
        controller.stop()
    printed = output.getvalue()
    assert "Mail for professor@example.org" in printed
    assert "Reply-To: Jürgen Müller <juergen@example.org>" in printed
    assert "Subject: Enquiry RS-AAAA-BBBB: Promotion – Jürgen" in printed
    assert "ich interessiere mich für die Stelle." in printed
    assert f"[attachment cv.pdf application/pdf, {len(PDF_BYTES)} bytes]" in printed
    assert "%PDF" not in printed
