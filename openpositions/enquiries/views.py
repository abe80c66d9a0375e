"""Web views of the enquiry form: show it, take a submission, confirm it."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from openpositions.content import Position, current_content, current_day
from openpositions.content.topics import topic_title
from openpositions.enquiries.accept import EnquiryNotStored, accept_enquiry, new_reference
from openpositions.enquiries.forms import EnquiryForm, cv_size_limit, megabytes
from openpositions.enquiries.spam import filled_too_fast, form_started_token
from openpositions.enquiries.totals import count_spam
from openpositions.extensions import limiter
from openpositions.i18n import route_in_each_language
from openpositions.web.errors import minutes_until_retry

log = logging.getLogger(__name__)
# No url_prefix: the language's prefix comes first (/de/enquiry), see route_in_each_language.
bp = Blueprint("enquiries", __name__)


def rate_limit() -> str:
    limit: str = current_app.config["ENQUIRY_RATE_LIMIT"]
    return limit


@route_in_each_language(bp, "/enquiry", methods=["GET", "POST"])
@limiter.limit(rate_limit, methods=["POST"])
def form() -> Response | tuple[str, int]:
    form = EnquiryForm(content=current_content(), today=current_day())
    if request.method == "GET":
        requested = request.args.get("position", "")
        form.started.data = form_started_token()
        if requested and requested not in form.topics:
            # A link to a position that has closed since (or never was): say so, and offer
            # the open ones and a general enquiry rather than an error.
            return render_form(form, not_offered=NotOffered(form.content.position(requested)))
        form.position.data = requested
        return render_form(form)
    if form.is_honeypot_filled() or filled_too_fast(form.started.data):
        # Bots get the same answer as people, so they learn nothing; nothing is stored or sent.
        trap = "honeypot" if form.is_honeypot_filled() else "too_fast"
        log.info("Enquiry caught as spam (%s); nothing sent", trap.replace("_", " "))
        count_spam(trap)
        return confirm(new_reference(), form.position.data)
    if not form.validate():
        return render_form(form, status=422)
    try:
        accepted = accept_enquiry(form.enquiry(language=str(get_locale())))
    except EnquiryNotStored:
        # Not stored, so not confirmed: the applicant keeps the text and can send it again.
        notice = _(
            "We could not save your enquiry just now, so it was not sent. "
            "Please send it again in a few minutes."
        )
        return render_form(form, status=503, notices=[notice])
    return confirm(accepted.enquiry.reference, accepted.enquiry.position_slug)


@dataclass(frozen=True)
class NotOffered:
    """The form was linked for a position it does not offer: closed (known), or unknown (None)."""

    closed_position: Position | None


def render_form(
    form: EnquiryForm,
    status: int = 200,
    notices: Sequence[str] = (),
    not_offered: NotOffered | None = None,
) -> tuple[str, int]:
    page = render_template(
        "enquiries/form.html",
        form=form,
        notices=notices,
        not_offered=not_offered,
        cv_size_limit_mb=megabytes(cv_size_limit()),
    )
    return page, status


def _receipts() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="enquiry-received")


def confirm(reference: str, position_slug: str) -> Response:
    """Post/Redirect/Get: reloading the confirmation sends nothing again."""
    token = _receipts().dumps([reference, position_slug])
    return redirect(url_for("enquiries.received", token=token), code=303)


@route_in_each_language(bp, "/enquiry/received/<token>")
def received(token: str) -> str:
    try:
        reference, position_slug = _receipts().loads(token)
    except (BadSignature, ValueError, TypeError):
        abort(404)
    title = topic_title(current_content(), position_slug, fallback="")
    return render_template("enquiries/received.html", reference=reference, position_title=title)


def resubmittable_form() -> EnquiryForm:
    """The form as it was sent (all but the file), ready to be sent again."""
    form = EnquiryForm(content=current_content(), today=current_day())
    form.started.data = form_started_token()
    return form


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError) -> tuple[str, int]:
    """A missing or stale form token: show the form again with what was typed."""
    log.info("Enquiry form expired or forged: %s", error.description)
    notice = _("Your form expired. Check your details and send it again.")
    return render_form(resubmittable_form(), status=400, notices=[notice])


@bp.errorhandler(429)
def too_many_enquiries(error: HTTPException) -> tuple[str, int]:
    """Rate limited: say when to try again, and keep what was typed so nothing is lost."""
    log.warning("Enquiry rate-limited: %s", error.description)
    minutes = minutes_until_retry() or 60
    notice = ngettext(
        "You have sent this form too often. You can send it again in %(num)d minute.",
        "You have sent this form too often. You can send it again in %(num)d minutes.",
        minutes,
    )
    return render_form(resubmittable_form(), status=429, notices=[notice])
