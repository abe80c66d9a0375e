"""The applicant's private link: a signed token bound to one enquiry, and what it opens.

The token is [reference, secret] signed with SECRET_KEY under a salt of its own, so no other
token the site signs passes for one. It holds no enquiry id: the signed part is readable, and
an id would tell how many enquiries came in (links sent before carried one, and still open).
The secret is random per enquiry and stored with it: a reference, which the applicant may quote
anywhere, opens nothing. The link holds as long as the enquiry is stored; once it is withdrawn
or purged, the signature still checks but nothing is found, which the pages answer with 410.
Changing SECRET_KEY makes every link sent so far unusable (404).
"""

import hmac

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from openpositions.enquiries.models import Enquiry
from openpositions.extensions import db
from openpositions.web.security import use_referrer_policy
from openpositions.web.urls import absolute_url

SALT = "enquiry-private-link"


class NotAPrivateLink(Exception):
    """The token was not made by this site (altered, cut short, or made up)."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def private_token(enquiry: Enquiry) -> str:
    return _serializer().dumps([enquiry.reference, enquiry.private_link_secret])


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
        *_, reference, secret = _serializer().loads(token)  # Older links: [id, reference, secret].
    except (BadSignature, ValueError, TypeError) as error:
        raise NotAPrivateLink() from error
    if not (isinstance(reference, str) and isinstance(secret, str)):
        raise NotAPrivateLink()
    enquiry = db.session.scalars(sa.select(Enquiry).where(Enquiry.reference == reference)).first()
    if enquiry is None:
        return None
    # The secret tells the enquiry the link was made for from any other with its reference.
    return enquiry if hmac.compare_digest(enquiry.private_link_secret, secret) else None


def keep_private(response: Response) -> Response:
    """A page a private link opens: no cache keeps it, no search engine lists it, and no other
    site learns its address.

    same-origin, not no-referrer: the forms on these pages post back to this site, and over
    HTTPS Flask-WTF refuses a POST without a Referer of this site's own.
    """
    response.cache_control.clear()
    response.cache_control.no_store = True
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    use_referrer_policy("same-origin")
    return response
