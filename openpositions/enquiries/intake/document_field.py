"""A document on the form: checked as a real PDF that fits a mail, its facts kept, its bytes not.

Each file is read, checked in a child process (contained_check.py, one for all files of a
request) and hashed one at a time; only its facts stay in the web worker's memory. When it is
stored, it is read again from the upload, which the web server keeps in a temporary file: the
worker never holds all of a request's files at once, however many the position asks for.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from wtforms.validators import ValidationError

from openpositions.enquiries.intake.contained_check import ContainedChecks
from openpositions.enquiries.intake.cv_check import CvProblem
from openpositions.formatting import format_size
from openpositions.mail.composing import largest_attachment


def shown_file_name(uploaded: str | None, fallback: str = "document.pdf") -> str:
    """A file's name as the site shows and keeps it: the applicant's own name for the file, in
    any script, without folders, invisible or bidirectional characters, or anything but
    letters, digits, marks and . _ - (spaces become _); at most 120 characters.

    The name is only ever shown (escaped) and offered for download; the mail's attachment is
    named from the document's label and the applicant's name.
    """
    name = unicodedata.normalize("NFC", re.split(r"[/\\]", uploaded or "")[-1])
    kept = "".join(
        c if unicodedata.category(c)[0] in "LNM" or c in "._-" else "_" if c.isspace() else ""
        for c in name
    )
    kept = re.sub(r"_+", "_", kept).lstrip("._-")
    return kept[-120:] or fallback


def document_size_limit() -> int:
    """The largest document in bytes: what still fits, as a whole mail, through the relay."""
    return largest_attachment(current_app.config["MAIL_MAX_MESSAGE_SIZE"])


def documents_total_limit() -> int:
    """The most all documents of one enquiry may take together (bytes)."""
    return int(current_app.config["ENQUIRY_MAX_DOCUMENTS_SIZE"])


# What each problem with a file tells the applicant to do; printing to PDF drops whatever can act.
PROBLEM_MESSAGES = {
    CvProblem.NOT_A_PDF: _l("The selected file must be a PDF"),
    CvProblem.DAMAGED: _l(
        "The selected file is damaged or not a PDF; save it as a PDF again and choose the new file"
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


@dataclass(frozen=True)
class CheckedUpload:
    """A newly chosen file that passed every check: its facts, and the upload to read it from."""

    filename: str
    size: int
    digest: str
    upload: Any  # The request's FileStorage: its stream is read again when the file is kept.

    def read(self) -> bytes:
        self.upload.stream.seek(0)
        data: bytes = self.upload.stream.read()
        return data


def chosen_upload(upload: Any) -> FileStorage | None:
    """The file a file field carries, None when none was chosen."""
    return upload if isinstance(upload, FileStorage) and upload.filename else None


def checked_upload(
    upload: FileStorage, fallback_name: str, checks: ContainedChecks
) -> CheckedUpload:
    """A newly chosen file that is a real PDF, safe to open, small enough for a mail; checked by
    `checks`, the child process that checks the request's files in turn.

    Raises ValidationError saying what to do otherwise.
    """
    limit = document_size_limit()
    upload.stream.seek(0)
    data = upload.stream.read(limit + 1)
    if not data:
        raise ValidationError(_l("The selected file is empty; choose a PDF"))
    if len(data) > limit:
        raise ValidationError(
            gettext(
                "The selected file must be at most %(size)s",
                size=format_size(limit, rounded_down=True),
            )
        )
    problem = checks.problem(data)
    if problem is not None:
        raise ValidationError(PROBLEM_MESSAGES[problem])
    return CheckedUpload(
        filename=shown_file_name(upload.filename, fallback_name),
        size=len(data),
        digest=hashlib.sha256(data).hexdigest(),
        upload=upload,
    )
