"""The enquiry form: what an applicant may send, and what each mistake tells them to do."""

import unicodedata
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import CombinedMultiDict
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from openpositions.content import Content
from openpositions.content.topics import enquiry_topics
from openpositions.enquiries.intake.cv_field import uploaded_cv
from openpositions.enquiries.intake.held_cvs import Cv, find_held_cv, hold_cv, release_cv
from openpositions.enquiries.intake.names import normalised_name, reads_as_address, spans_lines
from openpositions.enquiries.intake.spam import HONEYPOT_FIELD
from openpositions.enquiries.models import Enquiry
from openpositions.mail.addresses import travels_as_one_address


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def name_filter(value: Any) -> Any:
    return normalised_name(value) if isinstance(value, str) else value


def normalise_message(value: Any) -> Any:
    """Keep line breaks and tabs; drop other invisible control characters pasted in."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return "".join(c for c in value if c in "\n\t" or unicodedata.category(c) != "Cc")


def plain_name(form: FlaskForm, field: Any) -> None:
    if spans_lines(field.data or ""):
        raise ValidationError(
            _l("Enter your name on one line, without line breaks or invisible characters")
        )
    if reads_as_address(field.data or ""):
        # gettext, not the lazy _l: Flask-Babel marks lazy strings safe, and < > must be escaped.
        raise ValidationError(gettext("Enter your name without @, < or >"))


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


class EnquiryForm(FlaskForm):
    # DataRequired, not InputRequired: a value of only spaces is empty once trimmed.
    name = StringField(
        _l("Full name"),
        filters=[name_filter],
        validators=[
            DataRequired(_l("Enter your name")),
            Length(max=100, message=_l("Your name must be 100 characters or fewer")),
            plain_name,
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
    cv = FileField(_l("Your CV (optional)"), validators=[uploaded_cv])
    # The CV chosen before the form was shown again, held on the server under this token.
    held_cv = HiddenField()
    remove_cv = BooleanField(_l("Remove this CV"))
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

    new_cv: Cv | None = None
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

    def chosen_cv(self) -> Cv | None:
        """The CV this submission carries: a new file, else the one held for it, unless removed."""
        if self.new_cv is not None:
            return self.new_cv
        if self.remove_cv.data:
            return None
        return find_held_cv(self.held_cv.data)

    def keep_cv_for_next_time(self, hold_new_cv: bool = True) -> bool:
        """Before the form is shown again: hold a newly chosen, valid CV (releasing any it
        replaces or the applicant removed), so that the next send carries it.

        False when a newly chosen CV is not held, so that the applicant must choose it again:
        `hold_new_cv` is off (a request that did not pass the form token or the limits may
        keep nothing on the server), the held CVs' quota is full, or the database failed.
        """
        chosen = self.cv.data is not None and bool(getattr(self.cv.data, "filename", ""))
        if not hold_new_cv:
            self.remove_cv.data = False
            return not chosen
        if chosen and self.new_cv is None and not self.cv.errors:
            self.cv.validate(self)  # Not validated yet: the form came back before validation.
        if self.new_cv is not None:
            token = hold_cv(self.new_cv)
            if token is None:
                return False
            release_cv(self.held_cv.data)
            self.held_cv.data = token
        elif self.remove_cv.data or find_held_cv(self.held_cv.data) is None:
            release_cv(self.held_cv.data)
            self.held_cv.data = ""
        self.remove_cv.data = False
        return True

    def held_cv_name(self) -> str | None:
        """The file name of the CV held for this form, to show as attached."""
        cv = find_held_cv(self.held_cv.data)
        return cv.filename if cv is not None else None

    def enquiry(self, language: str) -> Enquiry:
        """What the applicant sent, as a new enquiry, once the form has validated."""
        cv = self.chosen_cv()
        return Enquiry(
            name=str(self.name.data),
            email=str(self.email.data),
            transport_email=self.transport_email,
            position_slug=self.position.data,
            position_title=self.topics[self.position.data],
            message=str(self.message.data),
            language=language,
            cv_filename=cv.filename if cv else None,
            cv_data=cv.data if cv else None,
        )

    def is_honeypot_filled(self) -> bool:
        return bool(getattr(self, HONEYPOT_FIELD).data)
