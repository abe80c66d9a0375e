"""The applicant's receipt as it arrived, and the private link it carries."""

import re
from urllib.parse import urlsplit

from tests.support.smtp import Received

PRIVATE_LINK = re.compile(r"https?://\S+/enquiry/yours/[A-Za-z0-9_.-]+")


def receipt_to(mails: list[Received], address: str) -> Received:
    """The one mail among `mails` that went to `address`."""
    (found,) = [mail for mail in mails if address in mail.rcpt_tos]
    return found


def private_link(receipt: Received) -> str:
    """The private link in a receipt's text part; the HTML part must carry the same one."""
    message = receipt.message
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    text, html = text_part.get_content(), html_part.get_content()
    (link,) = PRIVATE_LINK.findall(text)
    assert f'href="{link}"' in html
    return str(link)


def path_of(url: str) -> str:
    """The path and query of an absolute URL, as a test client or a browser on another host
    asks for it."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
