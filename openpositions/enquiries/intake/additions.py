"""Documents an applicant adds to their enquiry from its private page, until the position's
deadline: the documents the position asks for that it does not carry yet, each with the checks
of the form's. The professor gets them in the enquiry's thread; the applicant, a receipt."""

import logging

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response
from wtforms.validators import ValidationError

from openpositions.content import current_content, current_day
from openpositions.enquiries.asked import document_label, documents_to_add
from openpositions.enquiries.delivery.tasks import queue_added_documents
from openpositions.enquiries.intake.accept import IncomingDocument, store_document
from openpositions.enquiries.intake.asked_fields import file_field_name
from openpositions.enquiries.intake.contained_check import ContainedChecks
from openpositions.enquiries.intake.document_field import (
    checked_upload,
    chosen_upload,
    document_size_limit,
    documents_total_limit,
)
from openpositions.enquiries.intake.forms import AddDocumentsForm
from openpositions.enquiries.models import Enquiry
from openpositions.enquiries.private_link import NotAPrivateLink, keep_private, open_private_link
from openpositions.extensions import db
from openpositions.formatting import format_size
from openpositions.i18n import languages
from openpositions.web.errors import render_http_error

log = logging.getLogger(__name__)

bp = Blueprint("added_documents", __name__, url_prefix="/enquiry/yours")
bp.after_request(keep_private)

Page = tuple[str, int]


def chosen_language(enquiry: Enquiry | None) -> str:
    """The page's language: as chosen with its switch (`?lang=de`), else the enquiry's."""
    chosen = request.args.get("lang")
    if chosen in languages():
        return str(chosen)
    return enquiry.language if enquiry is not None and enquiry.language in languages() else "en"


def opened(token: str) -> Enquiry | None:
    try:
        return open_private_link(token)
    except NotAPrivateLink:
        abort(404)


@bp.route("/<token>/documents", methods=["GET", "POST"])
def add(token: str) -> Response | Page:
    """The documents the enquiry may still be sent: a form; sent, they are added and delivered."""
    enquiry = opened(token)
    if enquiry is None:
        return gone()
    with force_locale(chosen_language(enquiry)):
        documents = documents_to_add(
            enquiry.position_slug,
            [document.key for document in enquiry.documents],
            current_content(),
            current_day(),
        )
        form = AddDocumentsForm.asking(documents)()
        if request.method != "POST" or not documents:
            return render_page(enquiry, token, form)
        added = take_documents(enquiry, form)
        if added and not form.errors:
            return redirect(
                url_for(
                    "private_enquiry.show",
                    token=token,
                    lang=request.args.get("lang"),
                    added=len(added),
                ),
                code=303,
            )
        notices = [] if added or form.errors else [gettext("Choose a file to add.")]
        if added:
            notices.append(
                gettext(
                    "Added: %(documents)s. The files below were not added:",
                    documents=", ".join(added),
                )
            )
        # Those added are no longer to be added: the form shows what is left.
        left = AddDocumentsForm.asking(
            tuple(d for d in documents if document_label(d) not in added)
        )()
        for document, field in left.files():
            field.errors = form[file_field_name(document.key)].errors
        return render_page(enquiry, token, left, status=422, notices=notices)


def take_documents(enquiry: Enquiry, form: AddDocumentsForm) -> list[str]:
    """Check each file chosen on `form` and add those that pass to the enquiry, one at a time:
    the labels of the documents added. A file that does not pass gets its error on its field."""
    with ContainedChecks() as checks:
        return take_checked_documents(enquiry, form, checks)


def take_checked_documents(
    enquiry: Enquiry, form: AddDocumentsForm, checks: ContainedChecks
) -> list[str]:
    total = sum(document.size for document in enquiry.documents)
    limit = documents_total_limit()
    added: list[str] = []
    for document, field in form.files():
        upload = chosen_upload(field.data)
        if upload is None:
            continue
        label = document_label(document)
        try:
            checked = checked_upload(upload, f"{document.key}.pdf", checks)
        except ValidationError as error:
            field.errors = [str(error)]
            continue
        if total + checked.size > limit:
            field.errors = [
                gettext(
                    "All files together may be at most %(limit)s; with this one they are "
                    "%(total)s. Choose a smaller file",
                    limit=format_size(limit, rounded_down=True),
                    total=format_size(total + checked.size),
                )
            ]
            continue
        incoming = IncomingDocument(
            document.key, label, checked.filename, checked.size, checked.digest, read=checked.read
        )
        if add_document(enquiry.id, incoming):
            total += checked.size
            added.append(label)
        else:
            field.errors = [gettext("This document was added already.")]
    if added:
        log.info("Enquiry %s: %d document(s) added by the applicant", enquiry.reference, len(added))
        queue_added_documents(enquiry)
    return added


def add_document(enquiry_id: int, document: IncomingDocument) -> bool:
    """Store one document added later; False if the enquiry has one of its kind already (sent
    from another tab a moment ago) or is gone. Committed here, so that each is kept at once."""
    try:
        store_document(enquiry_id, document, added_later=True)
        # Still there (not withdrawn meanwhile): this transaction now holds the write, so a
        # withdrawal comes after it and deletes the document too.
        if db.session.get(Enquiry, enquiry_id, populate_existing=True) is None:
            db.session.rollback()
            return False
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def render_page(
    enquiry: Enquiry,
    token: str,
    form: AddDocumentsForm,
    status: int = 200,
    notices: list[str] | None = None,
) -> Page:
    position = current_content().position(enquiry.position_slug)
    page = render_template(
        "enquiries/private/add_documents.html",
        enquiry=enquiry,
        token=token,
        form=form,
        notices=notices or [],
        deadline=position.deadline if position else None,
        chosen_language=request.args.get("lang"),
        document_size_limit=format_size(document_size_limit(), rounded_down=True),
        documents_total_limit=format_size(documents_total_limit(), rounded_down=True),
        carried=format_size(sum(d.size for d in enquiry.documents)),
    )
    return page, status


def gone() -> Page:
    with force_locale(chosen_language(None)):
        return render_template("enquiries/private/gone.html", enquiry=None), 410


@bp.errorhandler(CSRFError)
def expired(error: CSRFError) -> Response | Page:
    """A missing or stale form token: the form again, nothing added."""
    token = (request.view_args or {}).get("token", "")
    try:
        enquiry = open_private_link(token)
    except NotAPrivateLink:
        # abort() here would escape the error handling as a 500.
        return render_http_error(NotFound())
    if enquiry is None:
        return gone()
    with force_locale(chosen_language(enquiry)):
        documents = documents_to_add(
            enquiry.position_slug,
            [document.key for document in enquiry.documents],
            current_content(),
            current_day(),
        )
        notice = gettext(
            "The page had expired, so nothing was added. Please choose the files again."
        )
        return render_page(
            enquiry, token, AddDocumentsForm.asking(documents)(), status=400, notices=[notice]
        )
