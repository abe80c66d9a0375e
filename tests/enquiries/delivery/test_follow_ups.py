"""Several documents reach the professor as attachments named by what they are; those that do not
fit the enquiry's own mail follow in mails of their own in its thread, each within the relay's
size (a real SMTP server with Postfix's limit takes them), each sent once; the brief lists
every document and the mail that carries it, and the answers in the professor's language."""

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from openpositions.enquiries.delivery.attempts import attempt_delivery
from openpositions.enquiries.intake.accept import IncomingDocument, record_enquiry
from openpositions.enquiries.models import EnquiryDocument
from openpositions.extensions import db
from openpositions.mail.composing import HEADROOM_FOR_LATER_HOPS
from tests.enquiries.asking import ASKING_SLUG, ASKING_TITLE, DOCUMENTS, content_asking
from tests.support.app import an_enquiry, make_app, stored_enquiries
from tests.support.net import free_port
from tests.support.pdfs import pdf_of_size
from tests.support.smtp import (
    RELAY_MESSAGE_SIZE_LIMIT,
    Received,
    SmtpSink,
    body_text,
    decoded_header,
    serving,
)

pytestmark = pytest.mark.database

PROFESSOR = "professor@rsim.example.org"
APPLICANT = "Jana Müller-Ødegård"
# Four documents, 16.5 MB in all: more than one mail through Postfix's 10,240,000 bytes takes.
SIZES = {"cv": 6_500_000, "transcripts": 6_500_000, "letter": 2_000_000, "thesis": 1_500_000}


class ScriptedSink(SmtpSink):
    """A relay that answers the messages in turn as `script` says: "250" takes one, "drop"
    takes it with 250 and then breaks the connection before QUIT, any other reply refuses it.
    Past the script, it takes every message."""

    script: list[str]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        step = self.script.pop(0) if self.script else "250"
        self.drop_after_data = step == "drop"
        self.reply = "250 OK" if step in ("250", "drop") else step
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def relay() -> Iterator[ScriptedSink]:
    sink = ScriptedSink(port=free_port())
    sink.script = []
    with serving(sink, data_size_limit=RELAY_MESSAGE_SIZE_LIMIT) as running:
        yield running


@pytest.fixture
def app(tmp_path: Path, relay: ScriptedSink, database: str) -> Iterator[Flask]:
    app = make_app(
        tmp_path,
        relay.port,
        SQLALCHEMY_DATABASE_URI=database,
        CONTENT_DIR=str(content_asking(tmp_path)),
        SITE_URL="https://positions.example.org",
        ENQUIRY_RETRY_DELAY=0,
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def store_application(
    app: Flask, language: str = "en", **changes: Any
) -> tuple[int, dict[str, bytes]]:
    """An application for the asking position with four documents (SIZES), stored as the form
    stores one; its id and each document's bytes by key."""
    files = {key: pdf_of_size(size) for key, size in SIZES.items()}
    answers = [
        {"key": "start", "label": "Frühester Beginn", "type": "date", "value": "2027-04-01",
         "shown": "2027-04-01"},
        {"key": "visa", "label": "Brauchen Sie ein Visum?", "type": "yes-no", "value": "no",
         "shown": "Nein"},
        {"key": "topic", "label": "Bevorzugtes Thema", "type": "choice", "value": "sar",
         "shown": "Radarbilder"},
        {"key": "affiliation", "label": "Derzeitige Universität", "type": "text", "value": "",
         "shown": ""},
    ]  # fmt: skip
    with app.test_request_context():
        enquiry = record_enquiry(
            an_enquiry(
                name=APPLICANT,
                position_slug=ASKING_SLUG,
                position_title=ASKING_TITLE,
                language=language,
                answers=answers,
                **changes,
            ),
            [
                IncomingDocument.of_bytes(key, DOCUMENTS[key][1], f"{key}.pdf", data)
                for key, data in files.items()
            ],
        )
        return enquiry.id, files


def deliver(app: Flask, enquiry_id: int) -> Any:
    """One delivery attempt, as the queue's task makes it."""
    with app.app_context():
        outcome = attempt_delivery(enquiry_id)
        db.session.remove()
        return outcome


def to_professor(relay: SmtpSink) -> list[Received]:
    return [mail for mail in relay.received if mail.rcpt_tos == [PROFESSOR]]


def attachments(message: EmailMessage) -> dict[str, bytes]:
    found = {}
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[str(part.get_filename())] = payload
    return found


def attachments_of_all(mails: list[Received]) -> dict[str, bytes]:
    """Every attachment of `mails` by its name; a name twice would show as one fewer."""
    found: dict[str, bytes] = {}
    for mail in mails:
        found.update(attachments(mail.message))
    return found


def named_as_sent(files: dict[str, bytes]) -> dict[str, bytes]:
    """Each document's bytes under the name the professor sees."""
    return {f"{DOCUMENTS[key][0]} – {APPLICANT}.pdf": data for key, data in files.items()}


def test_documents_that_do_not_fit_one_mail_follow_in_its_thread_each_within_the_relay(
    app: Flask, relay: ScriptedSink
) -> None:
    enquiry_id, files = store_application(app, language="de")
    assert deliver(app, enquiry_id).retry_in is None
    mails = to_professor(relay)
    (enquiry,) = stored_enquiries(app)
    reference = enquiry.reference
    assert len(mails) == 3, [m.shown("Subject") for m in mails]
    first, *follow_ups = mails

    subject = f"{APPLICANT} – {ASKING_TITLE} ({reference})"
    assert first.shown("Subject") == f"{subject} (1 of 3)"
    first_id = f"<{reference}.enquiry@rsim.example.org>"
    assert first.message["Message-ID"] == first_id
    for number, mail in enumerate(follow_ups, start=2):
        assert mail.shown("Subject") == f"{subject} ({number} of 3)"
        assert mail.message["Message-ID"] == f"<{reference}.enquiry-{number}@rsim.example.org>"
        assert mail.message["In-Reply-To"] == first_id
        assert mail.message["References"] == first_id
        assert mail.message["Reply-To"] is not None
    for mail in mails:
        # Each within the relay's limit (it took them), and leaving room for the hops after it.
        assert len(mail.raw) <= RELAY_MESSAGE_SIZE_LIMIT - HEADROOM_FOR_LATER_HOPS

    # Named by what they are, in the professor's language (the applicant wrote in German), and
    # whose; each exactly as uploaded, each once.
    assert attachments_of_all(mails) == named_as_sent(files)
    raw_name = [p for p in first.message.iter_attachments()][0].get_param("name")
    assert raw_name == "CV-Jana-Mueller-Odegard.pdf", "an ASCII name for clients without RFC 2231"

    brief = body_text(first.message, "plain").replace("\r\n", "\n").split("Message:\n")[0]
    assert "- CV: cv.pdf (6.5 MB), attached to this mail\n" in brief
    assert "- Transcripts of records: transcripts.pdf (6.5 MB), in mail 2 of 3\n" in brief
    assert "- Letter of motivation: letter.pdf (2 MB), in mail 3 of 3\n" in brief
    assert "- Master's thesis: thesis.pdf (1.5 MB), in mail 3 of 3\n" in brief
    follow_up_text = body_text(follow_ups[0].message, "plain")
    assert f"Mail 2 of 3 of the enquiry {reference} from {APPLICANT}" in follow_up_text
    assert "Transcripts of records: transcripts.pdf (6.5 MB)" in follow_up_text

    receipt = next(mail for mail in relay.received if mail.rcpt_tos == ["ada@example.org"])
    receipt_text = body_text(receipt.message, "plain")
    assert "Dokumente: Lebenslauf (PDF, 6,5 MB), Zeugnisse und Leistungsnachweise" in receipt_text
    assert "cv.pdf" not in receipt_text, "never the applicant's own file names"


def test_the_brief_shows_the_answers_labelled_in_the_professors_language_before_the_message(
    app: Flask, relay: ScriptedSink
) -> None:
    enquiry_id, _ = store_application(app, language="de")
    deliver(app, enquiry_id)
    first = to_professor(relay)[0]
    text = body_text(first.message, "plain").replace("\r\n", "\n")
    brief, message = text.split("Message:\n", 1)
    assert "Earliest start date: April 1, 2027\n" in brief
    assert "Do you need a visa?: No\n" in brief
    assert "Preferred topic: Radar images\n" in brief
    assert "Current university: not answered\n" in brief
    html = body_text(first.message, "html")
    assert html.index("Earliest start date") < html.index("A message long enough")


def test_german_for_a_german_professor(tmp_path: Path, relay: ScriptedSink, database: str) -> None:
    app = make_app(
        tmp_path,
        relay.port,
        SQLALCHEMY_DATABASE_URI=database,
        CONTENT_DIR=str(content_asking(tmp_path)),
        ENQUIRY_MAIL_LANGUAGE="de",
    )
    enquiry_id, _ = store_application(app)
    deliver(app, enquiry_id)
    first, second, _ = to_professor(relay)
    text = body_text(first.message, "plain")
    assert "Frühester Beginn: 1. April 2027" in text
    assert "Brauchen Sie ein Visum?: Nein" in text
    assert "- Zeugnisse und Leistungsnachweise: transcripts.pdf (6,5 MB), in E-Mail 2 von 3" in text
    assert second.shown("Subject").endswith("(2 von 3)")
    assert f"Zeugnisse und Leistungsnachweise – {APPLICANT}.pdf" in attachments(second.message)
    with app.app_context():
        db.engine.dispose()


def test_a_follow_up_the_relay_took_before_the_connection_broke_is_never_sent_again(
    app: Flask, relay: ScriptedSink
) -> None:
    # The first mail goes; the second is taken (250) and the connection breaks before QUIT;
    # the third is refused for now. The retry sends the third alone, then the receipt.
    relay.script = ["250", "drop", "451 4.3.0 Try again later"]
    enquiry_id, _ = store_application(app)
    outcome = deliver(app, enquiry_id)
    assert outcome.retry_in is not None
    assert [m.shown("Subject")[-8:] for m in to_professor(relay)] == ["(1 of 3)", "(2 of 3)"]
    with app.app_context():
        sent = dict(
            db.session.execute(
                sa.select(EnquiryDocument.key, EnquiryDocument.mail_sent_at.is_not(None))
            ).all()
        )
        numbers = dict(
            db.session.execute(sa.select(EnquiryDocument.key, EnquiryDocument.mail_number)).all()
        )
        db.session.remove()
    assert numbers == {"cv": 1, "transcripts": 2, "letter": 3, "thesis": 3}, "planned first"
    assert sent == {"cv": True, "transcripts": True, "letter": False, "thesis": False}

    assert deliver(app, enquiry_id).retry_in is None
    subjects = [m.shown("Subject")[-8:] for m in to_professor(relay)]
    assert subjects == ["(1 of 3)", "(2 of 3)", "(3 of 3)"], "each once"
    (enquiry,) = stored_enquiries(app)
    assert enquiry.status == "sent" and enquiry.attempts == 2
    assert len(relay.received) == 4, "and the receipt once"


def test_one_mail_when_everything_fits(app: Flask, relay: ScriptedSink) -> None:
    with app.test_request_context():
        enquiry = record_enquiry(
            an_enquiry(name=APPLICANT, position_slug=ASKING_SLUG, position_title=ASKING_TITLE),
            [
                IncomingDocument.of_bytes("cv", "CV", "cv.pdf", pdf_of_size(3_000_000)),
                IncomingDocument.of_bytes("letter", "Letter", "l.pdf", pdf_of_size(3_000_000)),
            ],
        )
        enquiry_id, reference = enquiry.id, enquiry.reference
    deliver(app, enquiry_id)
    (mail,) = to_professor(relay)
    assert mail.shown("Subject") == f"{APPLICANT} – {ASKING_TITLE} ({reference})"
    assert sorted(attachments(mail.message)) == [
        f"CV – {APPLICANT}.pdf",
        f"Letter of motivation – {APPLICANT}.pdf",
    ]
    assert decoded_header(mail.message["Subject"]).startswith(APPLICANT)


def test_a_copy_on_request_copies_every_mail_the_professor_had(
    app: Flask, relay: ScriptedSink
) -> None:
    enquiry_id, files = store_application(app)
    deliver(app, enquiry_id)
    originals = to_professor(relay)
    (enquiry,) = stored_enquiries(app)
    result = app.test_cli_runner().invoke(
        args=["enquiries", "resend", "--force", enquiry.reference]
    )
    assert result.exit_code == 0, result.output
    assert "sent the professor a copy of each of its 3 mails, marked as copies" in result.output
    copies = to_professor(relay)[len(originals) :]
    assert [c.shown("Subject") for c in copies] == [
        "Copy: " + o.shown("Subject") for o in originals
    ]
    first_id = originals[0].message["Message-ID"]
    ids = {c.message["Message-ID"] for c in copies} | {o.message["Message-ID"] for o in originals}
    assert len(ids) == 6, "each copy an id of its own, so that no client drops it as a duplicate"
    for copy in copies:
        assert copy.message["References"] == first_id, "in the enquiry's thread"
        assert body_text(copy.message, "plain").startswith("This is a copy, sent again")
        assert len(copy.raw) <= RELAY_MESSAGE_SIZE_LIMIT - HEADROOM_FOR_LATER_HOPS
    assert attachments_of_all(copies) == named_as_sent(files), "every document once more"


def test_a_copy_the_relay_takes_only_in_part_says_which_mails_went(
    app: Flask, relay: ScriptedSink
) -> None:
    enquiry_id, _ = store_application(app)
    deliver(app, enquiry_id)
    (enquiry,) = stored_enquiries(app)
    before = len(to_professor(relay))
    relay.script = ["250", "552 5.3.4 Message size exceeds fixed limit"]
    result = app.test_cli_runner().invoke(
        args=["enquiries", "resend", "--force", enquiry.reference]
    )
    assert result.exit_code == 1
    assert (
        f"{enquiry.reference}: the copies of 1 of its 3 mails were sent; mail 2 was not: "
        "552 5.3.4 Message size exceeds fixed limit. Run the command again"
    ) in result.output
    assert "Traceback" not in result.output
    assert len(to_professor(relay)) == before + 1
