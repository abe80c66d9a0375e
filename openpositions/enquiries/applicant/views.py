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
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from openpositions.content import current_content, current_day
from openpositions.content.topics import topic_title
from openpositions.enquiries.applicant.applicant_copy import applicant_copy
from openpositions.enquiries.applicant.withdrawal import withdraw
from openpositions.enquiries.asked import (
    document_label,
    documents_to_add,
    shown_answers,
    shown_document_label,
)
from openpositions.enquiries.models import Enquiry
from openpositions.enquiries.private_link import NotAPrivateLink, keep_private, open_private_link
from openpositions.formatting import format_moment, format_size
from openpositions.i18n import languages
from openpositions.web.errors import render_http_error

bp = Blueprint("private_enquiry", __name__, url_prefix="/enquiry/yours")

Page = tuple[str, int]


bp.after_request(keep_private)


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
        content = current_content()
        position = content.position(enquiry.position_slug)
        facts: dict[str, Any] = {
            "position_title": topic_title(content, enquiry.position_slug, enquiry.position_title),
            "received": format_moment(enquiry.created_at),
            "delivered": format_moment(enquiry.notified_at) if enquiry.notified_at else None,
            "documents": [
                ShownDocument(
                    key=document.key,
                    label=shown_document_label(document.key, document.label, position),
                    filename=document.filename,
                    size=format_size(document.size),
                    added=format_moment(document.added_at) if document.added_later else None,
                )
                for document in enquiry.documents
            ],
            "answers": shown_answers(enquiry.answers, position),
            # Documents the position still asks for, while it takes applications.
            "to_add": [
                document_label(document)
                for document in documents_to_add(
                    enquiry.position_slug,
                    [document.key for document in enquiry.documents],
                    content,
                    current_day(),
                )
            ],
            "just_added": request.args.get("added", type=int) or 0,
        }
    return render("enquiries/private/show.html", enquiry, token=token, **facts)


@dataclass(frozen=True)
class ShownDocument:
    """A document as the private page lists it."""

    key: str
    label: str
    filename: str
    size: str
    # When it was added from this page, if it was.
    added: str | None


@bp.get("/<token>/enquiry.json")
def download(token: str) -> Response | Page:
    """Everything stored, CV included, as a file to keep or take elsewhere (Art. 20)."""
    enquiry = opened(token)
    if enquiry is None:
        return gone()
    with speaking(enquiry):
        position = current_content().position(enquiry.position_slug)
        copy = applicant_copy(enquiry, position)
    body = json.dumps(copy, ensure_ascii=False, indent=2) + "\n"
    return send_file(
        io.BytesIO(body.encode()),
        mimetype="application/json",
        as_attachment=True,
        download_name=f"enquiry-{enquiry.reference}.json",
        etag=False,
    )


@bp.get("/<token>/documents/<key>.pdf")
def document(token: str, key: str) -> Response | Page:
    """One document exactly as it was uploaded."""
    enquiry = opened(token)
    if enquiry is None:
        return gone()
    found = next((d for d in enquiry.documents if d.key == key), None)
    if found is None:
        abort(404)
    return send_file(
        io.BytesIO(found.data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=found.filename,
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
