"""Web views of the enquiry form: show it, take a submission, confirm it."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from openpositions.content import Position, current_content, current_day
from openpositions.content.topics import topic_title
from openpositions.enquiries.intake.accept import EnquiryNotStored, accept_enquiry, new_reference
from openpositions.enquiries.intake.cv_field import cv_size_limit
from openpositions.enquiries.intake.forms import EnquiryForm
from openpositions.enquiries.intake.held_cvs import release_cv
from openpositions.enquiries.intake.spam import new_stamp, read_stamp, time_trap_on
from openpositions.enquiries.totals import count_spam
from openpositions.extensions import csrf, limiter
from openpositions.formatting import format_size
from openpositions.i18n import route_in_each_language
from openpositions.web.errors import minutes_until_retry

log = logging.getLogger(__name__)
# No url_prefix: the language's prefix comes first (/de/enquiry), see route_in_each_language.
bp = Blueprint("enquiries", __name__)


def rate_limit() -> str:
    limit: str = current_app.config["ENQUIRY_RATE_LIMIT"]
    return limit


def flood_limit() -> str:
    limit: str = current_app.config["ENQUIRY_FLOOD_LIMIT"]
    return limit


def was_accepted(response: Response) -> bool:
    return bool(g.get("enquiry_accepted"))


@route_in_each_language(bp, "/enquiry", methods=["GET", "POST"])
# Only accepted enquiries count against the address's limit: typos and a second try never
# lock anyone out. Every POST counts against a far higher limit that stops floods.
@limiter.limit(rate_limit, methods=["POST"], deduct_when=was_accepted)
@limiter.limit(flood_limit, methods=["POST"])
def form() -> Response | tuple[str, int]:
    form = EnquiryForm(content=current_content(), today=current_day())
    if request.method != "POST":  # GET and HEAD show the form; they never submit it.
        requested = request.args.get("position", "")
        form.started.data = new_stamp()
        if requested and requested not in form.topics:
            # A link to a position that has closed since (or never was): say so, and offer
            # the open ones and a general enquiry rather than an error.
            return render_form(form, not_offered=NotOffered(form.content.position(requested)))
        form.position.data = requested
        return render_form(form)
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()  # A CSRFError goes to form_expired.
    if request.form.get("switch_language"):
        # The language switch on the form: the same form in the other language, as typed.
        return render_again(form, status=200, keep_stamp=True)
    if form.is_honeypot_filled():
        # Only a bot sees this field: it gets the answer people get, and learns nothing.
        log.info("Enquiry caught as spam (honeypot); nothing sent")
        count_spam("honeypot")
        return confirm(new_reference(), form.position.data, cv_filename=None)
    stamp = read_stamp(form.started.data)
    if time_trap_on() and (stamp is None or stamp.filled_too_fast()):
        # Too fast for a person, or a stamp that is not ours: neither confirmed nor dropped.
        log.info("Enquiry sent back too fast (%s); shown again to check", stamp or "no stamp")
        count_spam("too_fast")
        notice = _("Please check your details, then send the form again.")
        return render_again(form, status=422, notices=[notice])
    if not form.validate():
        return render_again(form, status=422, keep_stamp=True)
    enquiry = form.enquiry(language=str(get_locale()))
    try:
        accepted = accept_enquiry(enquiry, form_stamp=stamp.nonce if stamp else None)
    except EnquiryNotStored:
        # Not stored, so not confirmed: the applicant keeps the text and can send it again.
        notice = _(
            "We could not save your enquiry just now, so it was not sent. "
            "Please send it again in a few minutes."
        )
        return render_again(form, status=503, notices=[notice], keep_stamp=True)
    if accepted.stamp_used_before:
        # The same stamp sent again with other text: a form from the Back button, or a bot.
        notice = _("Please check your details, then send the form again.")
        return render_again(form, status=422, notices=[notice])
    g.enquiry_accepted = accepted.is_new
    release_cv(form.held_cv.data)
    return confirm(
        accepted.enquiry.reference,
        accepted.enquiry.position_slug,
        cv_filename=accepted.enquiry.cv_filename,
    )


# The form token is checked in the view, after the limits: a forged POST counts against the
# flood limit like any other (CSRFProtect's own check comes before every view, and the limits).
csrf.exempt(form)


def render_again(
    form: EnquiryForm,
    status: int,
    notices: Sequence[str] = (),
    keep_stamp: bool = False,
    hold_new_cv: bool = True,
) -> tuple[str, int]:
    """The form as it was sent, the CV held, timed from when this visitor first saw it.

    `keep_stamp`: the stamp may serve once more (its enquiry was not accepted); otherwise a new
    nonce, with the same time of first showing. `hold_new_cv`: off for a request that did not
    pass the form token or the limits, whose file the site keeps nothing of.
    """
    if not form.keep_cv_for_next_time(hold_new_cv):
        notices = [
            *notices,
            _("Please choose your CV again before you send the form: the site did not keep it."),
        ]
    stamp = read_stamp(form.started.data)
    if not keep_stamp or stamp is None:
        form.started.data = new_stamp(stamp.shown_at if stamp else None)
    return render_form(form, status=status, notices=notices)


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
        held_cv_name=form.held_cv_name(),
        not_offered=not_offered,
        cv_size_limit=format_size(cv_size_limit(), rounded_down=True),
    )
    return page, status


def _confirmations() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="enquiry-received")


def confirm(reference: str, position_slug: str, cv_filename: str | None) -> Response:
    """Post/Redirect/Get: reloading the confirmation sends nothing again."""
    token = _confirmations().dumps([reference, position_slug, cv_filename])
    return redirect(url_for("enquiries.received", token=token), code=303)


@route_in_each_language(bp, "/enquiry/received/<token>")
def received(token: str) -> str:
    try:
        reference, position_slug, cv_filename = _confirmations().loads(token)
    except (BadSignature, ValueError, TypeError):
        abort(404)
    title = topic_title(current_content(), position_slug, fallback="")
    return render_template(
        "enquiries/received.html",
        reference=reference,
        position_title=title,
        cv_filename=cv_filename,
    )


def resubmittable_form() -> EnquiryForm:
    """The form as it was sent, not yet validated, for an answer that comes before the view."""
    return EnquiryForm(content=current_content(), today=current_day())


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError) -> tuple[str, int]:
    """A missing or stale form token: show the form again with what was typed."""
    log.info("Enquiry form expired or forged: %s", error.description)
    notice = _("Your form expired. Check your details and send it again.")
    return render_again(
        resubmittable_form(), status=400, notices=[notice], keep_stamp=True, hold_new_cv=False
    )


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
    return render_again(
        resubmittable_form(), status=429, notices=[notice], keep_stamp=True, hold_new_cv=False
    )


@bp.errorhandler(413)
def upload_too_large(error: HTTPException) -> tuple[str, int]:
    """A request too large to read at all: a way back to the form, with its position."""
    log.info("Enquiry too large to read: %s bytes", request.content_length)
    return too_large_page()


@route_in_each_language(bp, "/enquiry/too-large")
def too_large() -> tuple[str, int]:
    """The same answer, for a request too large for the web server in front to pass on: nginx
    asks for it in place of its own bare page (error_page 413), with the form's Referer."""
    log.info("Enquiry too large for the web server in front")
    return too_large_page()


def too_large_page() -> tuple[str, int]:
    back = url_for("enquiries.form")
    referrer = urlsplit(request.referrer or "")
    if referrer.path == back and referrer.query.startswith("position="):
        back = f"{back}?{referrer.query}"
    page = render_template(
        "enquiries/too_large.html",
        back=back,
        cv_size_limit=format_size(cv_size_limit(), rounded_down=True),
    )
    return page, 413
