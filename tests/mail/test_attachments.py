"""The CV's file name keeps the applicant's name, in UTF-8 and in a readable ASCII form, as
mail clients and Python's parsers read it from the bytes a real relay received."""

import re
from email import message_from_bytes, policy
from email.message import EmailMessage, Message

import pytest
from flask import Flask
from flask.testing import FlaskClient

from openpositions.mail.attachments import ascii_file_name, file_name_words
from tests.support.app import stored_enquiries
from tests.support.forms import PDF_BYTES, post_enquiry
from tests.support.smtp import Received, SmtpSink

PROFESSOR = "professor@rsim.example.org"
RECOMMENDED_LINE = 78

# A name; its words in the UTF-8 file name; its words in the ASCII one.
FILE_NAMES = [
    ("Jana Müller-Ødegård", "jana-müller-ødegård", "jana-mueller-odegard"),
    ("Jürgen Weiß", "jürgen-weiß", "juergen-weiss"),
    ("Björn Ährenfeld-Übelacker", "björn-ährenfeld-übelacker", "bjoern-aehrenfeld-uebelacker"),
    ("Zoë Brontë-O'Connor", "zoë-brontë-o-connor", "zoe-bronte-o-connor"),
    ("Ada İstanbul", "ada-istanbul", "ada-istanbul"),
    ("Αλέξανδρος Παπαδόπουλος", "αλέξανδρος-παπαδόπουλος", "alexandros-papadopoylos"),
    ("Константин Рождественский", "константин-рождественский", "konstantin-rozhdestvenskiy"),
    ("محمد عبد الله", "محمد-عبد-الله", "mhmd-bd-llh"),
    ("राजेश कुमार शर्मा", "राजेश-कुमार-शर्मा", "rajes-kumar-srma"),
]


def professor_mail_of(mails: list[Received]) -> Received:
    (found,) = [mail for mail in mails if PROFESSOR in mail.rcpt_tos]
    return found


def the_attachment(message: Message) -> Message:
    (attachment,) = [
        part for part in message.walk() if part.get_content_type() == "application/pdf"
    ]
    return attachment


@pytest.mark.parametrize(("name", "words", "ascii_words"), FILE_NAMES)
def test_the_cv_arrives_named_for_the_applicant_in_utf_8_with_a_readable_ascii_form(
    app: Flask,
    client: FlaskClient,
    smtp: SmtpSink,
    consumer: None,
    name: str,
    words: str,
    ascii_words: str,
) -> None:
    cv = (PDF_BYTES, "Lebenslauf.pdf", "application/pdf")
    assert post_enquiry(client, name=name, cv=cv).status_code == 303
    mail = professor_mail_of(smtp.wait_for(2))
    (enquiry,) = stored_enquiries(app)
    # Named for what it is and whose it is, as the professor saves it.
    utf8_name = f"CV – {name}.pdf"
    ascii_name = ascii_file_name(utf8_name)

    # Mailing-list software reads mail with Python's modern parser, older tools with compat32.
    for reading in (policy.default, policy.compat32):
        attachment = the_attachment(message_from_bytes(mail.raw, policy=reading))
        assert attachment.get_filename() == utf8_name
        assert attachment.get_param("name") == ascii_name, "for clients without RFC 2231"
        assert attachment.get_payload(decode=True) == PDF_BYTES
    modern = the_attachment(mail.message)
    assert isinstance(modern, EmailMessage)
    assert modern["Content-Disposition"].defects == ()

    raw = mail.raw.decode("ascii")
    if utf8_name.isascii():
        assert f'filename="{utf8_name}"' in raw
    else:
        # RFC 2231: the name in UTF-8, percent-encoded, whole or in numbered parts.
        assert re.search(r"filename\*(0\*)?=utf-8''CV", raw)
    assert max(len(line) for line in mail.raw.split(b"\r\n")) <= RECOMMENDED_LINE


@pytest.mark.parametrize(("name", "words", "ascii_words"), FILE_NAMES)
def test_file_names_keep_every_letter_and_transliterate_the_german_way(
    name: str, words: str, ascii_words: str
) -> None:
    assert file_name_words(name, limit=40) == words
    assert ascii_file_name(f"cv-{words}-RS-7KQ2-M9XD.pdf") == f"cv-{ascii_words}-RS-7KQ2-M9XD.pdf"


def test_a_long_name_is_cut_after_a_whole_word_and_never_before_a_mark() -> None:
    assert file_name_words("Chukwuemeka Oluwaseun Adébáyọ̀-Ọláńrewájú", limit=40) == (
        "chukwuemeka-oluwaseun-adébáyọ̀"
    )
    # One word longer than the limit is cut in it, but not between a letter and its accent.
    dot_and_grave = "\u1ecd\u0300"
    assert file_name_words(dot_and_grave * 30, limit=41) == dot_and_grave * 20
    assert file_name_words("…", limit=40) == ""
