"""The professor's mail as a mail client reads it, through relays that behave as real ones do:
names in any script, hostile addresses, long paragraphs, large CVs, 550s and dropped connections.
"""

import asyncio
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import getaddresses
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from openpositions import create_app
from openpositions.enquiries.delivery.attempts import attempt_delivery
from openpositions.enquiries.delivery.mails import professor_mail
from openpositions.enquiries.delivery.tasks import alert_overdue_enquiries, queue_lost_enquiries
from openpositions.enquiries.intake.accept import record_enquiry
from openpositions.enquiries.models import FAILED, SENT, Enquiry
from openpositions.mail.composing import largest_attachment
from openpositions.queue import queue_of
from openpositions.settings import SettingError
from tests.support.app import an_enquiry, app_config, make_app, stored_enquiries
from tests.support.forms import post_enquiry
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
from tests.support.waiting import wait_until

PROFESSOR = "professor@rsim.example.org"
OPERATOR = "operator@rsim.example.org"
SMTP_LINE_LIMIT = 998

# Names as applicants write them: the ones that came out changed before, and more.
REALISTIC_NAMES = [
    "Jürgen Großmann-Schönberger",
    "Ada İstanbul",
    "محمد عبد الله الحسيني",
    "Αλέξανδρος Παπαδόπουλος-Καραγιαννόπουλος",
    "Константин Константинович Рождественский",
    "王小明",
    "渡辺 美咲子 (わたなべ みさこ)",
    "김민준",
    "Nguyễn Thị Minh Khai",
    "Seán Ó Súilleabháin",
    "Zoë Brontë-O'Connor",
    "Þórunn Guðmundsdóttir",
    "Łukasz Żółkiewski-Wróblewski",
    "Dvořák Čeněk Šťastný",
    "Ørjan Ødegård",
    "Chidiebube Nwachukwu-Okonkwo",
    "राजेश कुमार शर्मा",
    "שלמה אבן-גבירול",
    "Maximilian Alexander Großherzogtum von Mecklenburg-Strelitz zu Schönberg",
    "A",
    "José María Fernández de la Peña y Ruiz-Gallardón",
    "Hồ Chí Minh",
]


def page_text(response: TestResponse) -> str:
    return unescape(response.get_data(as_text=True))


def lines_of(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n")


def assert_within_line_limit(received: Received) -> None:
    longest = max(len(line) for line in lines_of(received.raw))
    assert longest <= SMTP_LINE_LIMIT, f"a line of {longest} bytes"


def professor_mail_of(mails: list[Received]) -> Received:
    (found,) = [mail for mail in mails if PROFESSOR in mail.rcpt_tos]
    return found


def reply_to_addresses(received: Received) -> list[tuple[str, str]]:
    """The Reply-To as a mail client reads it: one address, by structure and once decoded."""
    assert len(received.message["Reply-To"].addresses) == 1, "one address by structure"
    return getaddresses([received.shown("Reply-To")])


@pytest.fixture
def alerting_app(tmp_path: Path, smtp: SmtpSink) -> Iterator[Flask]:
    app = make_app(tmp_path, smtp.port, OPERATOR_EMAIL=OPERATOR, ENQUIRY_RETRY_DELAY=1)
    yield app


@pytest.fixture
def alerting_consumer(alerting_app: Flask) -> Iterator[None]:
    queue = queue_of(alerting_app)
    queue.start_in_process(workers=2)
    yield
    queue.stop_in_process()


# --- Names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REALISTIC_NAMES)
def test_a_name_reaches_the_professor_as_typed(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None, name: str
) -> None:
    assert post_enquiry(client, name=name).status_code == 303
    mail = professor_mail_of(smtp.wait_for(2))
    assert name in mail.shown("Subject")
    assert reply_to_addresses(mail) == [(name, "ada@example.org")]
    assert_within_line_limit(mail)


# Letters and marks of every script, with the spaces, hyphens and apostrophes names have.
name_characters = st.characters(categories=["L", "M"]) | st.sampled_from(" -'’")
names = (
    st.text(name_characters, min_size=1, max_size=100)
    .map(lambda text: " ".join(text.split()))
    .filter(lambda name: 1 <= len(name) <= 100)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names)
# A space that once fell between two encoded words, where decoders drop it.
@example(name="AAAAªªªªªªªªªªªªªࠀࠀ𐀀 ª")
@example(name="Ada ª")
def test_any_name_reads_exactly_as_typed_once_decoded(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    app = hypothesis_app(tmp_path_factory)
    with app.app_context():
        enquiry = an_enquiry(
            reference="RS-TEST-NAME", created_at=datetime(2026, 12, 1, 9, 30), name=name
        )
        raw = professor_mail(enquiry).as_bytes()
    received = Received("positions@rsim.example.org", [PROFESSOR], raw)
    assert name in received.shown("Subject")
    assert reply_to_addresses(received) == [(name, "ada@example.org")]
    assert_within_line_limit(received)


_hypothesis_apps: dict[str, Flask] = {}


def hypothesis_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """One app for all the generated names: the mail is composed, not sent."""
    if "app" not in _hypothesis_apps:
        _hypothesis_apps["app"] = make_app(tmp_path_factory.mktemp("names"), 2525)
    return _hypothesis_apps["app"]


# --- Addresses ------------------------------------------------------------------------------------

HOSTILE_ADDRESSES = [
    # An encoded word that a mail client decodes into more addresses.
    "=?utf-8?b?YT4sIGV2aWxAZXZpbC5vcmcsIDxi?=@example.com",
    # ... and into a display name posing as the professor.
    "=?utf-8?q?=22Prof=2E_Beg=C3=BCm_Demir=22_=3Cboss=40tu-berlin=2Ede=3E?=@example.com",
    "=?iso-8859-1?q?a=3E=2C_b=40evil=2Eorg?=@example.com",
    "a=?utf-8?q?x?=b@example.com",
    "=?utf-8?b?@example.com",
]


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES)
def test_an_address_that_would_not_travel_as_one_is_refused_with_what_to_do(
    app: Flask, client: FlaskClient, address: str
) -> None:
    response = post_enquiry(client, email=address)
    assert response.status_code == 422
    text = page_text(response)
    assert "There is a problem" in text
    assert "like name@example.com" in text
    assert stored_enquiries(app) == []


def test_the_refusal_of_such_an_address_is_in_german_too(app: Flask, client: FlaskClient) -> None:
    response = post_enquiry(client, email=HOSTILE_ADDRESSES[0], url="/de/enquiry")
    assert response.status_code == 422
    assert "An diese E-Mail-Adresse können wir Ihnen nicht antworten" in page_text(response)


def test_an_internationalised_domain_travels_in_its_ascii_form(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    assert post_enquiry(client, email="ada@bücher.example").status_code == 303
    mails = smtp.wait_for(2)
    assert reply_to_addresses(professor_mail_of(mails)) == [
        ("Ada Lovelace", "ada@xn--bcher-kva.example")
    ]
    assert any("ada@xn--bcher-kva.example" in mail.rcpt_tos for mail in mails)


# --- Long text ------------------------------------------------------------------------------------


def test_a_long_paragraph_arrives_whole_in_both_parts(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    paragraph = " ".join(
        f"Sentence {number} of my cover letter says why remote sensing matters to me."
        for number in range(50)
    )[:3000]
    message = f"Dear Professor Demir,\n\n{paragraph}\n\nKind regards,\nAda"
    assert len(paragraph) == 3000
    assert post_enquiry(client, message=message[:5000]).status_code == 303
    mail = professor_mail_of(smtp.wait_for(2))
    assert_within_line_limit(mail)
    text = body_text(mail.message, "plain").replace("\r\n", "\n")
    assert message in text
    html = body_text(mail.message, "html").replace("\r\n", "\n")
    assert f'<p dir="auto">{paragraph}</p>' in html
    assert '<p dir="auto">Kind regards,<br>\nAda</p>' in html
    wait_until(lambda: stored_enquiries(app)[0].status == SENT)
    assert stored_enquiries(app)[0].attempts == 1


def test_a_paragraph_of_non_latin_text_without_a_break_keeps_to_the_line_limit(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    paragraph = "遥感图像分析" * 800  # 4,800 characters, 14,400 bytes of UTF-8, no space at all.
    assert post_enquiry(client, message=paragraph).status_code == 303
    mail = professor_mail_of(smtp.wait_for(2))
    assert_within_line_limit(mail)
    text = body_text(mail.message, "plain")
    assert paragraph in text


# --- Size -----------------------------------------------------------------------------------------


def test_the_largest_cv_is_what_fits_a_relay_of_postfixs_default_size() -> None:
    assert 7_300_000 <= largest_attachment(RELAY_MESSAGE_SIZE_LIMIT) < 7_500_000
    assert largest_attachment(1_000_000) < largest_attachment(RELAY_MESSAGE_SIZE_LIMIT)


def test_the_form_states_the_largest_cv(client: FlaskClient) -> None:
    assert "One PDF file, at most 7.3 MB." in page_text(client.get("/enquiry"))
    german = client.get("/de/enquiry")
    assert "Eine PDF-Datei, höchstens 7,3 MB." in page_text(german)


def test_a_cv_of_six_and_a_half_mb_reaches_the_professor_through_a_postfix_sized_relay(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    cv = pdf_of_size(6_500_000)
    message = "My CV is attached; it is large because it includes my thesis figures. " * 70
    response = post_enquiry(client, message=message[:5000], cv=(cv, "cv.pdf", "application/pdf"))
    assert response.status_code == 303
    mail = professor_mail_of(smtp.wait_for(2, timeout=60))
    assert len(mail.raw) <= RELAY_MESSAGE_SIZE_LIMIT
    assert_within_line_limit(mail)
    (attachment,) = list(mail.message.iter_attachments())
    assert attachment.get_payload(decode=True) == cv


# The worst cases for the text parts: 5,000 characters that escape and encode the most.
LONGEST_MESSAGES = {
    "mixed": "&<ü遥" * 1250,
    "emoji": "😀" * 5000,
    # English first: Python's own choice, made from the first lines, was quoted-printable.
    "emoji-after-english": "Dear Professor Demir, " + "😀" * 4978,
    "markup": '<"&>' * 1250,
}
# What the relays after ours add: Received, DKIM-Signature and the like.
HEADROOM_FOR_LATER_HOPS = 64 * 1024


@pytest.mark.parametrize("message", LONGEST_MESSAGES.values(), ids=LONGEST_MESSAGES.keys())
def test_the_largest_cv_with_the_longest_message_leaves_room_for_later_hops(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None, message: str
) -> None:
    cv = pdf_of_size(largest_attachment(RELAY_MESSAGE_SIZE_LIMIT))
    response = post_enquiry(client, message=message, cv=(cv, "cv.pdf", "application/pdf"))
    assert response.status_code == 303
    mail = professor_mail_of(smtp.wait_for(2, timeout=60))
    assert len(mail.raw) <= RELAY_MESSAGE_SIZE_LIMIT - HEADROOM_FOR_LATER_HOPS
    assert body_text(mail.message, "plain").count("😀") == message.count("😀")
    # Each text part in the smaller encoding for all of it: base64 for text mostly beyond
    # ASCII (quoted-printable makes each such byte three), quoted-printable for ASCII.
    expected = "quoted-printable" if message.isascii() else "base64"
    for part in ("plain", "html"):
        body = mail.message.get_body((part,))
        assert body is not None and body["Content-Transfer-Encoding"] == expected, part
    wait_until(lambda: stored_enquiries(app)[0].status == SENT)


def test_a_cv_just_over_the_limit_is_refused_with_the_size_named(
    app: Flask, client: FlaskClient
) -> None:
    cv = pdf_of_size(largest_attachment(RELAY_MESSAGE_SIZE_LIMIT) + 1)
    response = post_enquiry(client, cv=(cv, "cv.pdf", "application/pdf"))
    assert response.status_code == 422
    assert "The selected file must be at most 7.3 MB" in page_text(response)
    assert stored_enquiries(app) == []


@pytest.fixture
def small_relay() -> Iterator[SmtpSink]:
    """A relay that announces a SIZE smaller than the site was told."""
    with serving(SmtpSink(port=free_port()), data_size_limit=300_000) as sink:
        yield sink


def test_a_mail_over_the_size_the_relay_announces_fails_at_once_and_the_operator_is_told(
    tmp_path: Path, smtp: SmtpSink, small_relay: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    # The relay for the site is the small one; the operator's mailbox is behind it too.
    app = make_app(tmp_path, small_relay.port, OPERATOR_EMAIL=OPERATOR)
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    try:
        cv = pdf_of_size(400_000)
        response = post_enquiry(app.test_client(), cv=(cv, "cv.pdf", "application/pdf"))
        assert response.status_code == 303
        (alert,) = small_relay.wait_for(1)
        wait_until(lambda: stored_enquiries(app)[0].status == FAILED)
    finally:
        queue.stop_in_process()
    (enquiry,) = stored_enquiries(app)
    assert enquiry.attempts == 1, "no retries: it cannot fit"
    assert "the mail server takes at most 300,000" in (enquiry.last_error or "")
    assert alert.rcpt_tos == [OPERATOR]
    body = body_text(alert.message, "plain")
    assert enquiry.reference in body
    assert "at most 300,000" in body


# --- Refusals and dropped connections -------------------------------------------------------------


def test_a_550_for_the_professor_fails_at_once_and_tells_the_operator_without_the_content(
    alerting_app: Flask, smtp: SmtpSink, alerting_consumer: None
) -> None:
    smtp.refused_recipients[PROFESSOR] = "550 5.1.1 <professor@rsim.example.org>: User unknown"
    message = "A confidential message about my application and my health."
    response = post_enquiry(
        alerting_app.test_client(),
        message=message,
        cv=(pdf_of_size(2000), "cv.pdf", "application/pdf"),
    )
    assert response.status_code == 303
    (alert,) = smtp.wait_for(1)
    (enquiry,) = stored_enquiries(alerting_app)
    assert enquiry.status == FAILED
    assert enquiry.attempts == 1
    assert alert.rcpt_tos == [OPERATOR]
    mail = alert.message
    assert enquiry.reference in decoded_header(mail["Subject"])
    body = body_text(mail, "plain")
    assert PROFESSOR in body
    assert "550 5.1.1 <professor@rsim.example.org>: User unknown" in body
    assert f"flask --app app enquiries resend {enquiry.reference}" in body
    assert message not in alert.raw.decode("ascii", "replace")
    assert "Ada Lovelace" not in body
    assert list(mail.iter_attachments()) == []


def test_a_mail_the_relay_took_before_the_connection_broke_is_sent_once(
    app: Flask,
    client: FlaskClient,
    smtp: SmtpSink,
    consumer: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    smtp.drop_after_data = True
    with caplog.at_level(logging.WARNING, logger="openpositions"):
        assert post_enquiry(client).status_code == 303
        mails = smtp.wait_for(2)
        wait_until(lambda: stored_enquiries(app)[0].status == SENT)
    (enquiry,) = stored_enquiries(app)
    assert enquiry.attempts == 1
    assert enquiry.acknowledged_at is not None
    assert len([mail for mail in mails if PROFESSOR in mail.rcpt_tos]) == 1
    assert "was taken by the mail server; the connection then failed" in caplog.text
    assert len(smtp.received) == 2, "no copy sent again"


def test_an_enquiry_waiting_longer_than_the_alert_time_is_reported_once(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    app = make_app(tmp_path, smtp.port, OPERATOR_EMAIL=OPERATOR, ENQUIRY_ALERT_AFTER=0)
    # The professor's relay answers "try later": the enquiry stays pending.
    smtp.refused_recipients[PROFESSOR] = "451 4.3.0 Try again later"
    assert post_enquiry(app.test_client()).status_code == 303
    with app.app_context():
        assert alert_overdue_enquiries() == 1
        assert alert_overdue_enquiries() == 0, "told once"
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    try:
        (alert,) = smtp.wait_for(1)
        wait_until(lambda: stored_enquiries(app)[0].attempts >= 1)
    finally:
        queue.stop_in_process()
    assert alert.rcpt_tos == [OPERATOR]
    body = body_text(alert.message, "plain")
    (enquiry,) = stored_enquiries(app)
    assert enquiry.status == "pending"
    assert f"The enquiry {enquiry.reference} for {PROFESSOR} has waited since" in body
    assert "flask --app app enquiries resend" in body


# --- Settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("ENQUIRY_RECIPIENT", "professor at tu-berlin.de"),
        ("ENQUIRY_RECIPIENT", "a@tu-berlin.de, b@tu-berlin.de"),
        ("OPERATOR_EMAIL", "=?utf-8?b?YT4sIGV2aWxAZXZpbC5vcmcsIDxi?=@example.com"),
        ("MAIL_DEFAULT_SENDER", "RSiM positions"),
    ],
)
def test_an_address_setting_that_is_not_one_address_stops_the_start(
    tmp_path: Path, setting: str, value: str
) -> None:
    with pytest.raises(SettingError, match=f"FLASK_{setting} .*set it to one address"):
        create_app(app_config(tmp_path, 2525, **{setting: value}))


# --- Slow relays ----------------------------------------------------------------------------------


@dataclass
class SlowRelay(SmtpSink):
    """A relay that keeps a message as soon as it has all of it, then takes `answer_after`
    seconds to say 250 (it scans it, or passes it on first), or is silent at RCPT or QUIT."""

    answer_after: float = 0.0
    silent_at_rcpt: float = 0.0
    silent_at_quit: float = 0.0
    quit_answered: threading.Event = field(default_factory=threading.Event)

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(self.silent_at_quit)
        self.quit_answered.set()
        return "221 Bye"

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        await asyncio.sleep(self.silent_at_rcpt)
        return await super().handle_RCPT(server, session, envelope, address, options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.arrived:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
            self.arrived.notify_all()
        await asyncio.sleep(self.answer_after)
        return "250 2.0.0 Ok: queued"


@pytest.fixture
def slow_relay() -> Iterator[SlowRelay]:
    with serving(SlowRelay(port=free_port())) as relay:
        yield relay


def slow_relay_app(tmp_path: Path, relay: SlowRelay, **settings: Any) -> Flask:
    # Short timeouts, so that a relay a few seconds slow stands for one minutes slow.
    return make_app(tmp_path, relay.port, MAIL_TIMEOUT=1, ENQUIRY_ACKNOWLEDGE=False, **settings)


def stored_and_attempted(app: Flask) -> Enquiry:
    with app.app_context():
        enquiry = record_enquiry(an_enquiry())
        attempt_delivery(enquiry.id)
    (stored,) = stored_enquiries(app)
    return stored


def test_a_relay_slow_to_answer_the_message_gets_it_once(
    tmp_path: Path, slow_relay: SlowRelay
) -> None:
    # The relay keeps the mail and answers after 3 s: three times MAIL_TIMEOUT, well inside
    # MAIL_DATA_TIMEOUT. Giving up at MAIL_TIMEOUT sent it again on each retry: 3 mails for 1.
    slow_relay.answer_after = 3
    app = slow_relay_app(tmp_path, slow_relay, MAIL_DATA_TIMEOUT=10)
    enquiry = stored_and_attempted(app)
    assert enquiry.status == SENT, enquiry.last_error
    with app.app_context():
        assert queue_lost_enquiries() == 0
    assert len(slow_relay.received) == 1


@pytest.mark.parametrize(
    ("answer_after", "silent_at_rcpt", "error"),
    [
        # No answer to the message within MAIL_DATA_TIMEOUT (2 s here): tried again later.
        (
            5,
            0,
            "the mail server took the message but gave no answer to it within 2 s "
            "(FLASK_MAIL_DATA_TIMEOUT)",
        ),
        # No answer to a command within MAIL_TIMEOUT (1 s): the relay counts as down.
        (
            0,
            4,
            "the mail server at 127.0.0.1:{port} did not answer within 1 s (FLASK_MAIL_TIMEOUT)",
        ),
    ],
    ids=["silent-after-the-message", "silent-at-a-command"],
)
def test_a_silent_relay_is_tried_again_and_the_record_says_why(
    tmp_path: Path, slow_relay: SlowRelay, answer_after: float, silent_at_rcpt: float, error: str
) -> None:
    slow_relay.answer_after = answer_after
    slow_relay.silent_at_rcpt = silent_at_rcpt
    enquiry = stored_and_attempted(slow_relay_app(tmp_path, slow_relay, MAIL_DATA_TIMEOUT=2))
    assert enquiry.status == "pending"
    assert enquiry.last_error == error.format(port=slow_relay.port)
    assert len(slow_relay.received) == (1 if answer_after else 0)


def test_a_relay_silent_after_taking_the_message_holds_the_sender_only_mail_timeout(
    tmp_path: Path, slow_relay: SlowRelay
) -> None:
    # The long wait is for the answer to the message alone; QUIT gets MAIL_TIMEOUT (1 s here).
    slow_relay.silent_at_quit = 5
    enquiry = stored_and_attempted(slow_relay_app(tmp_path, slow_relay, MAIL_DATA_TIMEOUT=30))
    assert not slow_relay.quit_answered.is_set(), "the site waited out the relay's silence"
    assert enquiry.status == SENT, "the relay had taken it"
    assert len(slow_relay.received) == 1


def test_nothing_listening_is_recorded_as_such(tmp_path: Path) -> None:
    port = free_port()
    app = make_app(tmp_path, port)
    with app.app_context():
        enquiry = record_enquiry(an_enquiry())
        attempt_delivery(enquiry.id)
    (stored,) = stored_enquiries(app)
    assert stored.last_error == (
        f"nothing takes connections at 127.0.0.1:{port} (connection refused): "
        "is the mail server running there?"
    )
