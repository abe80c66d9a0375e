"""The applicant's private link: a signed token bound to one enquiry, and what it opens.

The token is [id, reference, secret] signed with SECRET_KEY under a salt of its own, so no
other token the site signs passes for one. The secret is random per enquiry and stored with
it: a reference, which the applicant may quote anywhere, opens nothing, and neither does an
id. The link holds as long as the enquiry is stored; once it is withdrawn or purged, the
signature still checks but nothing is found, which the pages answer with 410.
Changing SECRET_KEY makes every link sent so far unusable (404).
"""

import hmac

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from openpositions.enquiries.models import Enquiry
from openpositions.extensions import db
from openpositions.web.urls import absolute_url

SALT = "enquiry-private-link"


class NotAPrivateLink(Exception):
    """The token was not made by this site (altered, cut short, or made up)."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def private_token(enquiry: Enquiry) -> str:
    return _serializer().dumps([enquiry.id, enquiry.reference, enquiry.private_link_secret])


def private_link_url(enquiry: Enquiry) -> str:
    """The link's public address, for the receipt; "" without SITE_URL.

    Only SITE_URL says where the site is: a request's Host header is the client's to choose,
    and a receipt must never carry a link to a host someone else named.
    """
    if not current_app.config["SITE_URL"]:
        return ""
    return absolute_url("private_enquiry.show", token=private_token(enquiry))


def open_private_link(token: str) -> Enquiry | None:
    """The enquiry a private link opens; None if the site made it but the enquiry is gone.

    Raises NotAPrivateLink for a token the site did not make.
    """
    try:
        enquiry_id, reference, secret = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError) as error:
        raise NotAPrivateLink() from error
    if not (isinstance(enquiry_id, int) and isinstance(reference, str) and isinstance(secret, str)):
        raise NotAPrivateLink()
    enquiry = db.session.get(Enquiry, enquiry_id)
    if enquiry is None:
        return None
    # A deleted enquiry's id can be given to a new one (SQLite reuses the highest): the
    # reference and secret tell the new enquiry from the one the link was made for.
    same_reference = hmac.compare_digest(enquiry.reference, reference)
    same_secret = hmac.compare_digest(enquiry.private_link_secret, secret)
    return enquiry if same_reference and same_secret else None
