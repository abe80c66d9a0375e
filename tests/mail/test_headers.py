"""Long names in Subject, From and Reply-To, through a real relay, as each kind of reader
decodes them: mail clients (RFC 2047), Python's modern parser (as mailing-list software reads
mail) and its older one."""

import base64
import re
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.utils import getaddresses

import pytest
from flask import Flask
from hypothesis import example, given
from hypothesis import strategies as st

from openpositions.mail.composing import compose
from openpositions.mail.headers import MAX_ENCODED_WORD, WRAPPER, encoded_words
from openpositions.mail.transport import send_message
from tests.support.smtp import SmtpSink

PROFESSOR = "professor@rsim.example.org"
SITE_ADDRESS = "positions@rsim.example.org"
POSITION_TITLE = "PhD candidates in Deep Learning for Satellite Image Analysis"
# RFC 5322's recommended limit for a line, and SMTP's hard one.
RECOMMENDED_LINE = 78
SMTP_LINE_LIMIT = 998
# The UTF-8 bytes one base64 encoded word of at most 75 characters holds.
ENCODED_WORD_HOLDS = (MAX_ENCODED_WORD - WRAPPER) // 4 * 3

# Long names as applicants write them, in the scripts that came out split before.
LONG_NAMES = [
    "Αλέξανδρος Παπαδόπουλος-Καραγιαννόπουλος",
    "Παναγιώτα Χατζηδημητρίου-Παπαδοπούλου",
    "Константин Константинович Константинопольский",
    "Александра Владимировна Рождественская-Преображенская",
    "Maximilian Alexander Großherzogtum von Mecklenburg-Strelitz zu Schönberg",
    "Ludwig Ferdinand Prinz von Sachsen-Coburg und Gotha zu Löwenstein-Wertheim-Freudenberg",
    "محمد عبد الرحمن بن عبد العزيز الحسيني الهاشمي",
    "فاطمة الزهراء بنت عبد الله القحطاني",
    "राजेश कुमार शर्मा श्रीवास्तव चतुर्वेदी",
    "सुब्रह्मण्यम वेंकटरमण अय्यर",
    "欧阳明轩 (Ouyang Mingxuan)",
    "爱新觉罗·启星 (Aisin-Gioro Qixing)",
    "Nguyễn Thị Phương Thảo Hoàng Trần Ngọc Diễm",
    "Tôn Nữ Thị Ngọc Bích Huyền Trân",
    "Jürgen Ñúñez-Çelik Παπαδόπουλος",
    "Ørjan Ødegård-Þórðarson Łukasiewicz",
    "Ada İstanbul-Ağaoğlu Müller-Lüdenscheidt",
    "Chukwuemeka Oluwaseun Adébáyọ̀-Ọláńrewájú",
]


def _parser_drops_space_between_encoded_words() -> bool:
    """Whether this Python's address parser follows RFC 2047 6.2 in display names.

    Before CPython's fix for gh-128110 it keeps the whitespace between two encoded words as a
    space, where mail clients drop it.
    """
    probe = b"To: =?utf-8?q?Ada_?= =?utf-8?q?Lovelace?= <ada@example.org>\r\n\r\n"
    (address,) = message_from_bytes(probe, policy=policy.default)["To"].addresses
    display_name: str = address.display_name
    return display_name == "Ada Lovelace"


PARSER_FOLLOWS_RFC_2047 = _parser_drops_space_between_encoded_words()


def assert_words_whole(read: str, name: str) -> None:
    """`read`, a display name as Python's address parser gives it, is `name` with no word
    split: every letter there, and each word that one encoded word holds intact.

    Where that parser keeps the whitespace between encoded words, a space may be doubled
    (one encoded, one between the words); mail clients read the name exactly.
    """
    if PARSER_FOLLOWS_RFC_2047:
        assert read == name
        return
    assert read.replace(" ", "") == name.replace(" ", ""), "no letter lost"
    read_words = read.split()
    for word in name.split():
        if len(word.encode()) <= ENCODED_WORD_HOLDS:
            assert word in read_words, f"{word!r} split in {read!r}"


def assert_lines_short(raw: bytes) -> None:
    longest = max(raw.split(b"\r\n"), key=len)
    assert len(longest) <= RECOMMENDED_LINE <= SMTP_LINE_LIMIT, longest


@pytest.mark.parametrize("name", LONG_NAMES)
def test_a_long_name_arrives_whole_in_subject_from_and_reply_to(
    app: Flask, smtp: SmtpSink, name: str
) -> None:
    subject = f"{name} – {POSITION_TITLE} (RS-7KQ2-M9XD)"
    app.config["MAIL_DEFAULT_SENDER"] = (name, SITE_ADDRESS)
    with app.app_context():
        send_message(
            compose(
                subject=subject,
                to=Address(addr_spec=PROFESSOR),
                reply_to=Address(name, addr_spec="ada@example.org"),
                text="A message long enough to be an enquiry.",
                html=None,
                message_id="<RS-7KQ2-M9XD.enquiry@rsim.example.org>",
            )
        )
    (mail,) = smtp.wait_for(1)

    # As mail clients decode the raw bytes (RFC 2047).
    assert mail.shown("Subject") == subject
    assert getaddresses([mail.shown("From")]) == [(name, SITE_ADDRESS)]
    assert getaddresses([mail.shown("Reply-To")]) == [(name, "ada@example.org")]
    # As Python's modern parser does.
    modern = mail.message
    assert str(modern["Subject"]) == subject
    for header, address in (("From", SITE_ADDRESS), ("Reply-To", "ada@example.org")):
        (parsed,) = modern[header].addresses
        assert parsed.addr_spec == address
        assert_words_whole(parsed.display_name, name)
    assert_lines_short(mail.raw)


def encoded_word_texts(header: str) -> list[str]:
    """The text each encoded word of a folded header holds, in order."""
    return [
        base64.b64decode(payload).decode("utf-8")
        for payload in re.findall(r"=\?utf-8\?b\?([A-Za-z0-9+/=]*)\?=", header)
    ]


def around(text: str, offset: int, ends: str) -> str:
    """The stretch of `text` around `offset`, up to the nearest of `ends` on either side."""
    start = max(text.rfind(end, 0, offset) for end in ends) + 1
    found = [i for i in (text.find(end, offset) for end in ends) if i != -1]
    return text[start : min(found, default=len(text))]


def assert_split_only_where_it_must(name: str, first_line_taken: int) -> None:
    """Encoded words end after a space (which the earlier one holds); inside a word only when
    one encoded word cannot hold it, and then after a hyphen where it can."""
    header = encoded_words(name, first_line_taken)
    texts = encoded_word_texts(header)
    assert "".join(texts) == name
    assert all(len(line) <= 76 for line in header.split("\r\n")), "RFC 2047's line limit"
    offset = 0
    for text in texts[:-1]:
        offset += len(text)
        if name[offset - 1] == " ":
            continue
        word = around(name, offset, " ")
        assert len(word.encode()) > ENCODED_WORD_HOLDS, f"{word!r} split, yet it fits one"
        if name[offset - 1] not in "-·":
            part = around(name, offset, " -·")
            assert len(part.encode()) > ENCODED_WORD_HOLDS, f"{word!r} split inside {part!r}"


@pytest.mark.parametrize("name", LONG_NAMES)
def test_encoded_words_end_between_words_with_the_space_in_the_earlier_one(name: str) -> None:
    assert_split_only_where_it_must(name, len("Reply-To: "))


# Letters and marks of every script, with the spaces and hyphens that names have.
header_texts = st.text(st.characters(categories=["L", "M"]) | st.sampled_from("  -"), min_size=1)


@given(text=header_texts, first_line_taken=st.sampled_from([len("To: "), len("Subject: "), 40]))
# A first word that fits an encoded word but not what the header's name leaves of its line.
@example(text="Ж" * 22 + " Ада", first_line_taken=len("Reply-To: "))
# A word longer than one encoded word, with a hyphen to split it at.
@example(text="Рождественская-Преображенская", first_line_taken=len("Subject: "))
def test_any_text_is_split_only_where_it_must(text: str, first_line_taken: int) -> None:
    assert_split_only_where_it_must(text, first_line_taken)
