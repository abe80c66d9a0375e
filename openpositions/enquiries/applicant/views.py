"""Web views of the applicant's private page: see, download or withdraw their enquiry.

Reached only through the link in the receipt (private_link.py). Every answer here is kept
out of caches and search engines and sends no Referer to other sites, since its address is
the key. The page speaks the enquiry's language (`lang=` in the query chooses another); once
the enquiry is gone, the visitor's own.
"""

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from openpositions.content import current_content
from openpositions.content.topics import topic_title
from openpositions.enquiries.applicant.applicant_copy import applicant_copy
from openpositions.enquiries.applicant.withdrawal import withdraw
from openpositions.enquiries.models import Enquiry
from openpositions.enquiries.private_link import NotAPrivateLink, open_private_link
from openpositions.formatting import format_moment, format_size
from openpositions.i18n import languages
from openpositions.web.errors import render_http_error
from openpositions.web.security import use_referrer_policy

bp = Blueprint("private_enquiry", __name__, url_prefix="/enquiry/yours")

Page = tuple[str, int]


@bp.after_request
def keep_private(response: Response) -> Response:
    """No cache keeps it, no search engine lists it, and no other site learns its address.

    same-origin, not no-referrer: the withdrawal form posts back to this site, and over HTTPS
    Flask-WTF refuses a POST without a Referer of this site's own (it would never withdraw).
    """
    response.cache_control.clear()
    response.cache_control.no_store = True
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    use_referrer_policy("same-origin")
    return response


def chosen_language() -> str | None:
    """The language chosen on a private page with its switch (`?lang=de`), if any."""
    chosen = request.args.get("lang")
    return chosen if chosen in languages() else None


def page_language(enquiry: Enquiry | None) -> str:
    """A private page's language: as chosen on it, else the enquiry's, else the visitor's."""
    if chosen := chosen_language():
        return chosen
    if enquiry is not None and enquiry.language in languages():
        return enquiry.language
    return str(get_locale())


@contextmanager
def speaking(enquiry: Enquiry | None) -> Iterator[None]:
    with force_locale(page_language(enquiry)):
        yield


def opened(token: str) -> Enquiry | None:
    """The enquiry the link opens, None if it is gone; a token the site did not make: 404."""
    try:
        return open_private_link(token)
    except NotAPrivateLink:
        abort(404)


def render(template: str, enquiry: Enquiry | None, status: int = 200, **context: Any) -> Page:
    with speaking(enquiry):
        page = render_template(
            template, enquiry=enquiry, chosen_language=chosen_language(), **context
        )
    return page, status


def gone() -> Page:
    """The link was the site's, but its enquiry was withdrawn or purged: gone for good."""
    return render("enquiries/private/gone.html", None, status=410)


@bp.get("/<token>")
def show(token: str) -> Page:
    enquiry = opened(token)
    if enquiry is None:
        return gone()
    with speaking(enquiry):
        facts: dict[str, Any] = {
            "position_title": topic_title(
                current_content(), enquiry.position_slug, enquiry.position_title
            ),
            "received": format_moment(enquiry.created_at),
            "delivered": format_moment(enquiry.notified_at) if enquiry.notified_at else None,
            "cv_size": format_size(enquiry.cv_size) if enquiry.cv_size else None,
        }
    return render("enquiries/private/show.html", enquiry, token=token, **facts)


@bp.get("/<token>/enquiry.json")
def download(token: str) -> Response | Page:
    """Everything stored, CV included, as a file to keep or take elsewhere (Art. 20)."""
    enquiry = opened(token)
    if enquiry is None:
        return gone()
    body = json.dumps(applicant_copy(enquiry), ensure_ascii=False, indent=2) + "\n"
    return send_file(
        io.BytesIO(body.encode()),
        mimetype="application/json",
        as_attachment=True,
        download_name=f"enquiry-{enquiry.reference}.json",
        etag=False,
    )


@bp.get("/<token>/cv.pdf")
def cv(token: str) -> Response | Page:
    """The CV exactly as it was uploaded."""
    enquiry = opened(token)
    if enquiry is None:
        return gone()
    if not enquiry.cv_data:
        abort(404)
    return send_file(
        io.BytesIO(enquiry.cv_data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=enquiry.cv_filename or "cv.pdf",
        etag=False,
    )


@bp.route("/<token>/withdraw", methods=["GET", "POST"])
def confirm_withdrawal(token: str) -> Response | Page:
    """GET asks "Are you sure?"; the POST from there withdraws.

    Two steps, so that a mail scanner opening the links in the receipt deletes nothing, and
    nobody deletes by one slip of the finger.
    """
    enquiry = opened(token)
    if enquiry is None:
        return gone()
    if request.method == "GET":
        return render("enquiries/private/withdraw.html", enquiry, token=token, notices=[])
    language = page_language(enquiry)
    if not withdraw(enquiry):
        return gone()
    # The enquiry is gone, and its language with it: the next page is told.
    return redirect(url_for(".withdrawn", token=token, lang=language), code=303)


@bp.get("/<token>/withdrawn")
def withdrawn(token: str) -> Response | Page:
    """The confirmation after withdrawing; the private page itself while it still exists."""
    enquiry = opened(token)
    if enquiry is not None:
        return redirect(url_for(".show", token=token, lang=chosen_language()), code=303)
    return render("enquiries/private/withdrawn.html", None)


@bp.errorhandler(CSRFError)
def withdrawal_expired(error: CSRFError) -> Response | Page:
    """A missing or stale form token: ask again, rather than delete on a forged request."""
    token = (request.view_args or {}).get("token", "")
    try:
        enquiry = open_private_link(token)
    except NotAPrivateLink:
        # abort() here would escape the error handling as a 500.
        return render_http_error(NotFound())
    if enquiry is None:
        return gone()
    with speaking(enquiry):
        notice = _("The page had expired, so nothing was deleted. Please confirm again.")
    return render(
        "enquiries/private/withdraw.html", enquiry, status=400, token=token, notices=[notice]
    )
