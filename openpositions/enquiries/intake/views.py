"""Web views of the enquiry form: show it, take a submission, confirm it."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from openpositions.content import Content, Position, current_content, current_day
from openpositions.content.topics import topic_title
from openpositions.enquiries.intake.accept import EnquiryNotStored, accept_enquiry, new_reference
from openpositions.enquiries.intake.asked_fields import answer_field_name, held_field_name
from openpositions.enquiries.intake.document_field import (
    document_size_limit,
    documents_total_limit,
)
from openpositions.enquiries.intake.drafts import discard_draft, keep_draft, this_visitors_draft
from openpositions.enquiries.intake.forms import EnquiryForm
from openpositions.enquiries.intake.limits import count_enquiry_from, minutes_until_sender_may_send
from openpositions.enquiries.intake.spam import new_stamp, read_stamp, time_trap_on
from openpositions.enquiries.totals import count_spam
from openpositions.extensions import csrf, limiter
from openpositions.formatting import format_size
from openpositions.i18n import route_in_each_language
from openpositions.web.errors import minutes_until_retry
from openpositions.web.networks import requesting_network

log = logging.getLogger(__name__)
# No url_prefix: the language's prefix comes first (/de/enquiry), see route_in_each_language.
bp = Blueprint("enquiries", __name__)


def flood_limit() -> str:
    limit: str = current_app.config["ENQUIRY_FLOOD_LIMIT"]
    return limit


@route_in_each_language(bp, "/enquiry", methods=["GET", "POST"])
# Every POST counts against its network's limit before anything of it is read; accepted
# enquiries count against their sender's address, in the view (see limits.py).
@limiter.limit(flood_limit, methods=["POST"], key_func=requesting_network)
def form() -> Response | tuple[str, int]:
    content, today = current_content(), current_day()
    if request.method != "POST":  # GET and HEAD show the form; they never submit it.
        return show_form(content, today)
    form = EnquiryForm.as_sent(content, today)
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()  # A CSRFError goes to form_expired.
    if request.form.get("switch_language"):
        return switch_language(form)
    if form.show_fields.data:
        return show_position_fields(form)
    if form.is_honeypot_filled():
        # Only a bot sees this field: it gets the answer people get, and learns nothing.
        log.info("Enquiry caught as spam (honeypot); nothing sent")
        count_spam("honeypot")
        return confirm(new_reference(), form.position.data, documents=[])
    # Mistakes first, whatever the time taken: an empty or half-filled form sent at once is a
    # person pressing Enter too soon, who needs to see what to fill in.
    if not form.validate():
        return render_again(form, status=422, keep_stamp=True)
    if not form.shows_what_its_position_asks():
        # Another position chosen and sent at once: it may ask for more than the page showed.
        notice = _(
            "The position you chose asks for other documents or questions than the form showed. "
            "Please check them below, then send the form again."
        )
        return render_again(form, status=422, notices=[notice], keep_stamp=True)
    stamp = read_stamp(form.started.data)
    if time_trap_on() and (stamp is None or stamp.filled_too_fast()):
        # Too fast for a person, or a stamp that is not ours: neither confirmed nor dropped.
        log.info("Enquiry sent back too fast (%s); shown again to check", stamp or "no stamp")
        count_spam("too_fast")
        notice = _("Please check your details, then send the form again.")
        return render_again(form, status=422, notices=[notice])
    minutes = minutes_until_sender_may_send(str(form.email.data))
    if minutes is not None:
        log.warning("Enquiry refused: its sender's address is at ENQUIRY_RATE_LIMIT")
        notice = ngettext(
            "You have sent several enquiries from this email address recently. You can send "
            "another in %(num)d minute.",
            "You have sent several enquiries from this email address recently. You can send "
            "another in %(num)d minutes.",
            minutes,
        )
        return render_again(form, status=429, notices=[notice, *office_notice()], keep_stamp=True)
    enquiry = form.enquiry(language=str(get_locale()))
    try:
        accepted = accept_enquiry(
            enquiry, form.chosen_documents(), form_stamp=stamp.nonce if stamp else None
        )
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
    if accepted.is_new:
        count_enquiry_from(str(form.email.data))
    form.release_held_documents()
    discard_draft()
    return confirm(
        accepted.enquiry.reference,
        accepted.enquiry.position_slug,
        documents=[(document.label, document.filename) for document in accepted.enquiry.documents],
    )


# The form token is checked in the view, after the limits: a forged POST counts against the
# flood limit like any other (CSRFProtect's own check comes before every view, and the limits).
csrf.exempt(form)


def show_form(content: Content, today: date) -> Response | tuple[str, int]:
    """The form, empty or for the position a link names; as typed, after a language switch or
    a position's fields were asked for."""
    draft = this_visitors_draft()
    if draft is not None and draft.get("query") == request.query_string.decode("latin-1"):
        form = EnquiryForm.for_topic(draft.get("position"), content=content, today=today)
        form.name.data = draft.get("name", "")
        form.email.data = draft.get("email", "")
        form.position.data = draft.get("position", "")
        form.message.data = draft.get("message", "")
        form.consent.data = bool(draft.get("consent"))
        for slot in form.slots:
            slot.held.data = draft.get(held_field_name(slot.document.key), "")
        for field in form.answer_fields():
            field.data = draft.get(field.name) or None
        stamp = read_stamp(draft.get("started"))
        form.started.data = draft["started"] if stamp else new_stamp()
        return render_form(form)
    requested = request.args.get("position", "")
    form = EnquiryForm.for_topic(requested, content=content, today=today)
    form.started.data = new_stamp()
    if requested and requested not in form.topics:
        # A link to a position that has closed since (or never was): say so, and offer the
        # open ones and a general enquiry rather than an error.
        closed = EnquiryForm.for_topic("", content=content, today=today)
        closed.started.data = form.started.data
        return render_form(closed, not_offered=NotOffered(content.position(requested)))
    form.position.data = requested
    return render_form(form)


def switch_language(form: EnquiryForm) -> Response | tuple[str, int]:
    """The language switch on the form: the same form in the other language, as typed.

    What was typed is kept and the answer is a redirect to the form's address in that language
    (the switch's button sends to it): the page shown is a GET's, so Back and Reload never ask
    to send the form again. When a file cannot be kept, or has a mistake to show, or the draft
    cannot be stored, the form is shown at once instead, saying so.
    """
    return keep_as_typed_and_show(form, request.full_path.rstrip("?"), request.query_string)


def show_position_fields(form: EnquiryForm) -> Response | tuple[str, int]:
    """ "Show this position's questions": the form again, as typed, with the fields of the
    position now chosen, at the address that names it (as a link to it would)."""
    position = form.position.data or ""
    query = urlencode({"position": position}) if position else ""
    target = url_for("enquiries.form", position=position or None)
    return keep_as_typed_and_show(form, target, query.encode("latin-1"))


def keep_as_typed_and_show(
    form: EnquiryForm, target: str, query: bytes
) -> Response | tuple[str, int]:
    """Keep what was typed (and the files chosen) as this visitor's draft for the form at
    `target`, whose query string is `query`, and redirect there; or show the form at once."""
    not_kept = form.keep_documents_for_next_time()
    has_file_errors = any(slot.file.errors for slot in form.slots)
    if not not_kept and not has_file_errors and keep_draft(draft_of(form, query)):
        return redirect(target, code=303)
    return render_again(form, status=200, keep_stamp=True, not_kept=not_kept)


def draft_of(form: EnquiryForm, query: bytes) -> dict[str, str]:
    fields = {
        "name": form.name.data or "",
        "email": form.email.data or "",
        "position": form.position.data or "",
        "message": form.message.data or "",
        "consent": "y" if form.consent.data else "",
        "started": form.started.data or "",
        # The address of the form it is for (a position link's ?position=): a later visit to
        # another position's form starts afresh rather than with this draft.
        "query": query.decode("latin-1"),
    }
    for slot in form.slots:
        fields[held_field_name(slot.document.key)] = slot.held.data or ""
    for question in form.asks.questions:
        value = form[answer_field_name(question.key)].data
        fields[answer_field_name(question.key)] = "" if value is None else str(value)
    return fields


def render_again(
    form: EnquiryForm,
    status: int,
    notices: Sequence[str] = (),
    keep_stamp: bool = False,
    hold_new_files: bool = True,
    not_kept: Sequence[str] | None = None,
) -> tuple[str, int]:
    """The form as it was sent, its files held, timed from when this visitor first saw it.

    `keep_stamp`: the stamp may serve once more (its enquiry was not accepted); otherwise a new
    nonce, with the same time of first showing. `hold_new_files`: off for a request that did
    not pass the form token or the limits, whose files the site keeps nothing of. `not_kept`:
    the documents whose new file was already found not kept.
    """
    if not_kept is None:
        not_kept = form.keep_documents_for_next_time(hold_new_files)
    notices = [
        *notices,
        *(
            _(
                "Please choose your file for “%(document)s” again before you send the form: the "
                "site did not keep it.",
                document=label,
            )
            for label in not_kept
        ),
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
    # The page shows the fields of the position chosen on it: what a send is checked against.
    form.shown_for.data = form.position.data or ""
    page = render_template(
        "enquiries/form.html",
        form=form,
        notices=notices,
        not_offered=not_offered,
        **size_limits(),
    )
    return page, status


def size_limits() -> dict[str, str]:
    """What the form and the too-large page say a file, and all files together, may take."""
    return {
        "document_size_limit": format_size(document_size_limit(), rounded_down=True),
        "documents_total_limit": format_size(documents_total_limit(), rounded_down=True),
    }


def _confirmations() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="enquiry-received")


def confirm(reference: str, position_slug: str, documents: Sequence[tuple[str, str]]) -> Response:
    """Post/Redirect/Get: reloading the confirmation sends nothing again.

    `documents`: each document's label and file name, as the confirmation lists them.
    """
    token = _confirmations().dumps([reference, position_slug, [list(d) for d in documents]])
    return redirect(url_for("enquiries.received", token=token), code=303)


@route_in_each_language(bp, "/enquiry/received/<token>")
def received(token: str) -> str:
    try:
        reference, position_slug, sent = _confirmations().loads(token)
        documents = confirmed_documents(sent)
    except (BadSignature, ValueError, TypeError):
        abort(404)
    title = topic_title(current_content(), position_slug, fallback="")
    return render_template(
        "enquiries/received.html",
        reference=reference,
        position_title=title,
        documents=documents,
    )


def confirmed_documents(sent: object) -> list[tuple[str, str]]:
    """The documents a confirmation's token names: (label, file name) pairs; for a token made
    when the CV was the only document, its file name or None."""
    if sent is None:
        return []
    if isinstance(sent, str):
        return [(_("CV"), sent)]
    if not isinstance(sent, list):
        raise ValueError("not a list of documents")
    return [(str(label), str(filename)) for label, filename in sent]


def resubmittable_form() -> EnquiryForm:
    """The form as it was sent, not yet validated, for an answer that comes before the view."""
    return EnquiryForm.as_sent(current_content(), current_day())


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError) -> tuple[str, int]:
    """A missing or stale form token: show the form again with what was typed."""
    log.info("Enquiry form expired or forged: %s", error.description)
    notice = _("Your form expired. Check your details and send it again.")
    return render_again(
        resubmittable_form(), status=400, notices=[notice], keep_stamp=True, hold_new_files=False
    )


@bp.errorhandler(429)
def too_many_enquiries(error: HTTPException) -> tuple[str, int]:
    """Rate limited: say when to try again, and keep what was typed so nothing is lost."""
    log.warning("Enquiry rate-limited: %s", error.description)
    minutes = minutes_until_retry() or 60
    notice = ngettext(
        "Very many forms have been sent from your network just now, so the site takes no more "
        "from it for a while. You can send yours again in %(num)d minute.",
        "Very many forms have been sent from your network just now, so the site takes no more "
        "from it for a while. You can send yours again in %(num)d minutes.",
        minutes,
    )
    return render_again(
        resubmittable_form(),
        status=429,
        notices=[notice, *office_notice()],
        keep_stamp=True,
        hold_new_files=False,
    )


def office_notice() -> list[Markup]:
    """The other way to reach the group, for a visitor the form cannot take: its office's
    shared mailbox, when site.yaml names one (never the professor's own address)."""
    office = current_content().site.office
    if not office.email:
        return []
    address = Markup('<a href="mailto:{0}">{0}</a>').format(office.email)
    # The translation's own text is escaped; only the link inside it is markup.
    wording = _("You can also write to the group: %(office)s, %(address)s.")
    return [escape(wording) % {"office": office.name, "address": address}]


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
    page = render_template("enquiries/too_large.html", back=back, **size_limits())
    return page, 413
