"""The enquiry form: what an applicant may send, and what each mistake tells them to do."""

import math
import re
import unicodedata
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app, request
from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.utils import secure_filename
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation, ValidationError

from openpositions.content import Content
from openpositions.content.topics import enquiry_topics
from openpositions.enquiries.addresses import travels_as_one_address
from openpositions.enquiries.cv_check import CvProblem, cv_problem
from openpositions.enquiries.mails import largest_cv
from openpositions.enquiries.models import Enquiry
from openpositions.enquiries.spam import HONEYPOT_FIELD

# Line and paragraph separators and control characters: in a name they could end a mail header.
FORBIDDEN_IN_ONE_LINE = {"Cc", "Zl", "Zp"}


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def single_spaced(value: Any) -> Any:
    """Trimmed, with each run of spaces one space: as the professor's mail will show it."""
    return re.sub(" {2,}", " ", value.strip()) if isinstance(value, str) else value


def cv_size_limit() -> int:
    """The largest CV in bytes: what still fits, as a whole mail, through the relay."""
    return largest_cv(current_app.config["MAIL_MAX_MESSAGE_SIZE"])


def megabytes(size: int) -> str:
    """A size in MB (millions of bytes), rounded down to one decimal, in the page's language."""
    return str(format_decimal(math.floor(size / 100_000) / 10, format="#,##0.#"))


def normalise_message(value: Any) -> Any:
    """Keep line breaks and tabs; drop other invisible control characters pasted in."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return "".join(c for c in value if c in "\n\t" or unicodedata.category(c) != "Cc")


def one_line(form: FlaskForm, field: Any) -> None:
    if any(unicodedata.category(c) in FORBIDDEN_IN_ONE_LINE for c in field.data or ""):
        raise ValidationError(
            _l("Enter your name on one line, without line breaks or invisible characters")
        )


def email_address(form: FlaskForm, field: Any) -> None:
    """Validate with email-validator and keep its normalised form.

    Internationalised domains are taken (mail goes to their ASCII form); letters beyond ASCII
    before the @ would need SMTPUTF8 all the way to the applicant, which mail relays rarely offer.
    """
    config = current_app.config
    if not field.data.rpartition("@")[0].isascii():
        raise ValidationError(
            _l(
                "Use an email address without accented or non-Latin letters before the @; "
                "mail cannot be delivered to this one"
            )
        )
    try:
        result = validate_email(
            field.data,
            check_deliverability=config["EMAIL_CHECK_DELIVERABILITY"],
            allow_smtputf8=False,
            timeout=config["EMAIL_DNS_TIMEOUT"],
        )
    except EmailNotValidError:
        raise ValidationError(
            _l("Enter an email address in the correct format, like name@example.com")
        ) from None
    transport_email = result.ascii_email or result.normalized
    if not travels_as_one_address(transport_email):
        raise ValidationError(
            _l(
                "This email address cannot be used to answer you; enter the address you read "
                "your mail at, like name@example.com"
            )
        )
    field.data = result.normalized
    form.transport_email = transport_email


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


def pdf_file(form: FlaskForm, field: Any) -> None:
    """A real PDF that is safe to open, judged by its content, not its name or the browser's
    word for it."""
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
            gettext("The selected file must be at most %(size)s MB", size=megabytes(limit))
        )
    problem = cv_problem(data)
    if problem is not None:
        raise ValidationError(CV_PROBLEM_MESSAGES[problem])
    form.cv_bytes = data
    form.cv_filename = (secure_filename(upload.filename) or "cv.pdf")[-120:]


class EnquiryForm(FlaskForm):
    # DataRequired, not InputRequired: a value of only spaces is empty once trimmed.
    name = StringField(
        _l("Full name"),
        filters=[single_spaced],
        validators=[
            DataRequired(_l("Enter your name")),
            Length(max=100, message=_l("Your name must be 100 characters or fewer")),
            one_line,
        ],
    )
    email = EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[DataRequired(_l("Enter your email address")), email_address],
    )
    position = SelectField(
        _l("What is your enquiry about?"),
        validate_choice=False,  # Checked against the content of this moment, below.
        validators=[InputRequired(_l("Choose what your enquiry is about"))],
    )
    message = TextAreaField(
        _l("Your message"),
        filters=[normalise_message],
        validators=[
            DataRequired(_l("Enter your message")),
            Length(
                min=20,
                max=5000,
                message=_l("Your message must be between 20 and 5,000 characters"),
            ),
        ],
    )
    cv = FileField(_l("Your CV (optional)"), validators=[pdf_file])
    consent = BooleanField(
        _l("I agree that my details are stored and sent to the professor to answer this enquiry."),
        validators=[
            InputRequired(
                _l("Confirm that we may store and send your details to answer your enquiry")
            )
        ],
    )
    website = StringField(_l("Leave this field empty"))
    started = HiddenField()

    cv_bytes: bytes | None = None
    cv_filename: str | None = None
    transport_email: str = ""

    def __init__(self, *args: Any, content: Content, today: date, **kwargs: Any) -> None:
        # Only form fields and files: Flask-WTF would also read a JSON body, and fail on a bad one.
        if request.method == "POST":
            formdata: CombinedMultiDict[str, Any] = CombinedMultiDict((request.files, request.form))
            kwargs.setdefault("formdata", formdata)
        super().__init__(*args, **kwargs)
        # Offered today: validated against these, not a list fixed at import or start.
        self.content = content
        self.topics = dict(enquiry_topics(content, today))
        self.position.choices = [("", str(_l("Choose one"))), *self.topics.items()]

    def validate_position(self, field: Any) -> None:
        if field.data in self.topics:
            return
        if self.content.position(field.data) is not None:
            # A form opened before the deadline and sent after it: say why, not just "choose".
            raise ValidationError(
                _l(
                    "This position no longer takes applications; choose another position or "
                    "a general enquiry"
                )
            )
        raise ValidationError(_l("Choose what your enquiry is about"))

    def enquiry(self, language: str) -> Enquiry:
        """What the applicant sent, as a new enquiry, once the form has validated."""
        return Enquiry(
            name=str(self.name.data),
            email=str(self.email.data),
            transport_email=self.transport_email,
            position_slug=self.position.data,
            position_title=self.topics[self.position.data],
            message=str(self.message.data),
            language=language,
            cv_filename=self.cv_filename,
            cv_data=self.cv_bytes,
        )

    def is_honeypot_filled(self) -> bool:
        return bool(getattr(self, HONEYPOT_FIELD).data)
