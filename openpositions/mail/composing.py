"""What every mail of the site shares: its policy, its sender, its size budget, its shape.

Composed with Python's modern email API: every address an Address, every header encoded by the
policy, so that names in any script arrive as typed and bodies keep to SMTP's line limit.
"""

import quopri
import re
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app

from openpositions.mail.addresses import parse_address
from openpositions.mail.headers import set_address_header, set_text_header

# SMTP's CRLF line ends; 7bit, so that any byte beyond ASCII travels quoted-printable or base64
# and no line comes near the 998-byte limit, whatever the relay offers.
# Headers written ready-folded (see headers.py) are kept as they are, never folded again.
MAIL_POLICY = policy.SMTP.clone(cte_type="7bit", refold_source="none")

# What the text parts, the headers and the MIME structure may take at most, beside an attachment:
# a 5,000-character message in both parts, escaped and each in its smaller encoding, stays well
# below it (about 80 KB at worst).
MESSAGE_ALLOWANCE = 128 * 1024
# Left free for the headers that the relays after ours add (Received, DKIM-Signature, ...): a
# mail that fills our relay's limit to the byte would be refused by the next hop.
HEADROOM_FOR_LATER_HOPS = 64 * 1024
# base64 writes 57 bytes as a line of 76 characters and CRLF.
BASE64_LINE_INPUT, BASE64_LINE_OUTPUT = 57, 78
# Lines this long or shorter travel as they are (7bit) when they are plain ASCII.
SHORT_LINE = 78


def largest_attachment(max_message_size: int) -> int:
    """The largest attachment (bytes) whose mail fits a relay that takes `max_message_size`,
    with room left for the relays after it."""
    room = max_message_size - MESSAGE_ALLOWANCE - HEADROOM_FOR_LATER_HOPS
    return max(0, room) // BASE64_LINE_OUTPUT * BASE64_LINE_INPUT


def body_encoding(text: str) -> str | None:
    """The smaller transfer encoding for a text part, measured on the whole of it.

    Python's email package picks one from the first lines alone: a message that starts in
    English and goes on in emoji went quoted-printable, three times larger than base64. None
    lets plain ASCII in short lines travel as it is.
    """
    data = text.encode("utf-8")
    if data.isascii() and all(len(line) <= SHORT_LINE for line in data.splitlines()):
        return None
    quoted = len(quopri.encodestring(data))
    base64 = -(-len(data) // BASE64_LINE_INPUT) * BASE64_LINE_OUTPUT
    return "quoted-printable" if quoted <= base64 else "base64"


def site_sender() -> Address:
    return parse_address(current_app.config["MAIL_DEFAULT_SENDER"])


# Address punctuation, and the = and ? of RFC 2047 encoded words ("=?utf-8?q?...?=").
# Parentheses stay: names carry them ("渡辺 美咲子 (わたなべ みさこ)"), and in a quoted display
# name they are text, not a comment.
NOT_IN_HEADER_NAMES = re.compile(r'[<>@,;:"\\\[\]=?]+')


def display_name(name: str) -> str:
    """The applicant's name for Subject and Reply-To, with nothing a mail client would decode.

    Headers are encoded, so no name can add one; but a client shows the decoded text, where
    "Ada <someone@else.org>" would pass for another address and an encoded word typed as a
    name would turn into whatever it encodes.
    """
    return " ".join(NOT_IN_HEADER_NAMES.sub(" ", name).split())


def compose(
    *,
    subject: str,
    to: Address,
    text: str,
    html: str | None,
    message_id: str,
    reply_to: Address | None = None,
) -> EmailMessage:
    """A mail from the site's own address: headers, a text part, and an HTML alternative."""
    message = EmailMessage(policy=MAIL_POLICY)
    set_text_header(message, "Subject", subject)
    set_address_header(message, "From", site_sender())
    set_address_header(message, "To", to)
    if reply_to is not None:
        set_address_header(message, "Reply-To", reply_to)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id
    message.set_content(text, cte=body_encoding(text))
    if html is not None:
        message.add_alternative(html, subtype="html", cte=body_encoding(html))
    return message
