"""The CV on the form: checked as a real PDF that fits the mail, and held while the form is
shown again, so that fixing another field does not drop it."""

import re
import unicodedata
from typing import Any

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation, ValidationError

from openpositions.enquiries.intake.cv_check import CvProblem, contained_cv_problem
from openpositions.enquiries.intake.held_cvs import Cv
from openpositions.formatting import format_size
from openpositions.mail.composing import largest_attachment


def shown_file_name(uploaded: str | None) -> str:
    """The CV's file name as the site shows and keeps it: the applicant's own name for the
    file, in any script, without folders, invisible or bidirectional characters, or anything
    but letters, digits, marks and . _ - (spaces become _); at most 120 characters.

    The name is only ever shown (escaped) and offered for download; the mail's attachment is
    named from the applicant's name and reference.
    """
    name = unicodedata.normalize("NFC", re.split(r"[/\\]", uploaded or "")[-1])
    kept = "".join(
        c if unicodedata.category(c)[0] in "LNM" or c in "._-" else "_" if c.isspace() else ""
        for c in name
    )
    kept = re.sub(r"_+", "_", kept).lstrip("._-")
    return kept[-120:] or "cv.pdf"


def cv_size_limit() -> int:
    """The largest CV in bytes: what still fits, as a whole mail, through the relay."""
    return largest_attachment(current_app.config["MAIL_MAX_MESSAGE_SIZE"])


# What each problem with a CV tells the applicant to do; printing to PDF drops whatever can act.
CV_PROBLEM_MESSAGES = {
    CvProblem.NOT_A_PDF: _l("The selected file must be a PDF"),
    CvProblem.DAMAGED: _l(
        "The selected file is damaged or not a PDF; save your CV as a PDF again and choose the "
        "new file"
    ),
    CvProblem.PASSWORD_PROTECTED: _l(
        "The selected file is password-protected; save it without a password and choose it again"
    ),
    CvProblem.ENCRYPTED: _l(
        "The selected file is encrypted; save it without encryption or restrictions and choose "
        "it again"
    ),
    CvProblem.JAVASCRIPT: _l(
        "The selected file contains JavaScript; print it to PDF and choose the new file"
    ),
    CvProblem.LAUNCH_ACTION: _l(
        "The selected file contains an action that starts other programs; print it to PDF and "
        "choose the new file"
    ),
    CvProblem.ACTS_WHEN_OPENED: _l(
        "The selected file opens a website, a share or another file by itself when it is "
        "opened; print it to PDF (links you click stay) and choose the new file"
    ),
    CvProblem.EMBEDDED_FILE: _l(
        "The selected file has other files attached to it; save it without attachments and "
        "choose it again"
    ),
    CvProblem.XFA_FORM: _l(
        "The selected file is a dynamic (XFA) form; print it to PDF and choose the new file"
    ),
    CvProblem.TOO_COMPLEX: _l(
        "The selected file is too complex to check; print it to PDF and choose the new file"
    ),
}


def uploaded_cv(form: Any, field: Any) -> None:
    """A newly chosen file, if any: a real PDF, safe to open, small enough for the mail.

    It becomes `form.new_cv`; with no file chosen, the validation of this field stops here.
    """
    upload = field.data
    if upload is None or not getattr(upload, "filename", None):
        field.data = None
        raise StopValidation()
    limit = cv_size_limit()
    data = upload.stream.read(limit + 1)
    if not data:
        raise ValidationError(_l("The selected file is empty; choose your CV as a PDF"))
    if len(data) > limit:
        raise ValidationError(
            gettext(
                "The selected file must be at most %(size)s",
                size=format_size(limit, rounded_down=True),
            )
        )
    problem = contained_cv_problem(data)
    if problem is not None:
        raise ValidationError(CV_PROBLEM_MESSAGES[problem])
    form.new_cv = Cv(filename=shown_file_name(upload.filename), data=data)
