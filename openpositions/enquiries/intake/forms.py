"""The enquiry form: what an applicant may send, and what each mistake tells them to do."""

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from flask import request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import CombinedMultiDict
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation, ValidationError

from openpositions.content import Content, Position
from openpositions.content.entities import Document, Question
from openpositions.content.topics import enquiry_topics
from openpositions.enquiries.asked import Answer, document_label
from openpositions.enquiries.intake.accept import IncomingDocument
from openpositions.enquiries.intake.asked_fields import (
    Asks,
    answer_field_name,
    answer_of,
    choices_of,
    document_fields,
    file_field_name,
    held_field_name,
    question_fields,
    remove_field_name,
    strip,
    what_topic_asks,
)
from openpositions.enquiries.intake.contained_check import ContainedChecks
from openpositions.enquiries.intake.document_field import (
    CheckedUpload,
    checked_upload,
    chosen_upload,
    documents_total_limit,
)
from openpositions.enquiries.intake.held_documents import (
    HeldFile,
    find_held_document,
    hold_document,
    release_document,
)
from openpositions.enquiries.intake.names import normalised_name, reads_as_address, spans_lines
from openpositions.enquiries.intake.spam import HONEYPOT_FIELD
from openpositions.enquiries.models import Enquiry
from openpositions.formatting import format_size
from openpositions.mail.typed_address import typed_email_address


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


email_address = typed_email_address(
    _l(
        "This email address cannot be used to answer you; enter the address you read "
        "your mail at, like name@example.com"
    )
)


def uploaded_document(form: Any, field: Any) -> None:
    """A newly chosen file, if any, checked; with no file chosen, validation stops here."""
    form.slot_of_file_field(field.name).check_new_file()


class DocumentSlot:
    """One document of the form: its file field, the file held for it, and the box to remove it."""

    def __init__(self, form: "EnquiryForm", document: Document) -> None:
        self.form = form
        self.document = document
        self.label = document_label(document)
        self.file: Field = form[file_field_name(document.key)]
        self.held: Field = form[held_field_name(document.key)]
        self.remove: Field = form[remove_field_name(document.key)]
        # A file chosen in this request that passed every check.
        self.new: CheckedUpload | None = None

    def check_new_file(self) -> None:
        upload = chosen_upload(self.file.data)
        if upload is None:
            self.file.data = None
            raise StopValidation()
        self.new = checked_upload(upload, f"{self.document.key}.pdf", self.form.checks)

    def chosen_file_unchecked(self) -> bool:
        return chosen_upload(self.file.data) is not None and self.new is None

    def held_file(self) -> HeldFile | None:
        return find_held_document(self.held.data)

    def chosen(self) -> IncomingDocument | None:
        """The file this submission carries: a new one, else the one held, unless removed."""
        key, label = self.document.key, self.label
        if self.new is not None:
            new = self.new
            return IncomingDocument(key, label, new.filename, new.size, new.digest, read=new.read)
        if self.remove.data:
            return None
        held = self.held_file()
        if held is None:
            return None
        return IncomingDocument(key, label, held.filename, held.size, held.digest, held_id=held.id)

    def keep_for_next_time(self, hold_new: bool) -> bool:
        """Before the form is shown again: hold a newly chosen, valid file (releasing any it
        replaces or the applicant removed), so that the next send carries it.

        False when a newly chosen file is not held, so that the applicant must choose it again:
        `hold_new` is off, the held documents' quota is full, or the database failed.
        """
        chosen = chosen_upload(self.file.data) is not None
        if not hold_new:
            self.remove.data = False
            return not chosen
        if chosen and self.new is None and not self.file.errors:
            try:  # Not validated yet: the form came back before validation.
                self.check_new_file()
            except ValidationError as error:
                self.file.errors = [*self.file.errors, str(error)]
            except StopValidation:
                pass
        if self.new is not None:
            token = hold_document(self.new.filename, self.new.read(), self.new.digest)
            if token is None:
                return False
            release_document(self.held.data)
            self.held.data = token
        elif self.remove.data or self.held_file() is None:
            release_document(self.held.data)
            self.held.data = ""
        self.remove.data = False
        return True


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
    # Shows the chosen position's documents and questions without sending (and without
    # JavaScript): the form comes back with that position's fields and all that was typed.
    show_fields = SubmitField(_l("Show this position’s questions"))
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
    # The topic whose documents and questions the page showed: a form sent for another one
    # comes back to show that one's, rather than go without what it asks.
    shown_for = HiddenField()

    # What the fields beyond these ask for: none here; see asking().
    asks: Asks = Asks(documents=(), questions=())
    transport_email: str = ""
    # Checks the files while the form validates them (checking()).
    checks: ContainedChecks

    @classmethod
    def asking(cls, asks: Asks) -> type["EnquiryForm"]:
        """The form class with the fields `asks` adds: each document's, then each question's."""
        fields: dict[str, Any] = {"asks": asks}
        for document in asks.documents:
            file_field = FileField(document_label(document), validators=[uploaded_document])
            fields.update(document_fields(document, file_field))
        for question in asks.questions:
            fields.update(question_fields(question))
        return type("EnquiryFormAsking", (cls,), fields)

    @classmethod
    def for_topic(
        cls, topic: str | None, *, content: Content, today: date, **kwargs: Any
    ) -> "EnquiryForm":
        """The form with the documents and questions that `topic` asks for."""
        form_class = cls.asking(what_topic_asks(content, topic))
        return form_class(content=content, today=today, **kwargs)

    @classmethod
    def as_sent(cls, content: Content, today: date) -> "EnquiryForm":
        """The form of this request's POST, with the fields of the position it names."""
        plain = cls(content=content, today=today)
        return cls.for_topic(plain.position.data, content=content, today=today)

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
        self.slots = [DocumentSlot(self, document) for document in self.asks.documents]
        for question, field in self.asked_questions():
            if isinstance(field, RadioField):
                field.choices = choices_of(question)

    def slot_of_file_field(self, name: str) -> DocumentSlot:
        return next(slot for slot in self.slots if slot.file.name == name)

    def answer_fields(self) -> list[Field]:
        return [field for _, field in self.asked_questions()]

    def asked_questions(self) -> list[tuple[Question, Field]]:
        """Each question the form asks, with the field that answers it."""
        return [(q, self[answer_field_name(q.key)]) for q in self.asks.questions]

    def chosen_position(self) -> Position | None:
        """The open position chosen on the form, if one is."""
        slug = self.position.data or ""
        return self.content.position(slug) if slug in self.topics else None

    def fields_in_page_order(self) -> Iterator[Field]:
        """The fields as the page shows them, for the error summary to list in that order."""
        for name in ("name", "email", "position", "message"):
            yield self[name]
        for slot in self.slots:
            yield slot.file
        yield from self.answer_fields()
        yield self.consent

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

    def validate(self, extra_validators: Any = None) -> bool:
        """Every field, then what the documents must be together: each required one there, and
        all within ENQUIRY_MAX_DOCUMENTS_SIZE."""
        with self.checking():
            valid = bool(super().validate(extra_validators))
        total, limit = 0, documents_total_limit()
        for slot in self.slots:
            if slot.file.errors:
                continue
            chosen = slot.chosen()
            if chosen is None and slot.document.required:
                slot.file.errors = [gettext("Choose a PDF for “%(document)s”", document=slot.label)]
                valid = False
                continue
            total += chosen.size if chosen else 0
            if total > limit:
                # On the file that crosses the limit: the ones before it fit.
                slot.file.errors = [
                    gettext(
                        "All files together may be at most %(limit)s; with this one they are "
                        "%(total)s. Choose a smaller file",
                        limit=format_size(limit, rounded_down=True),
                        total=format_size(total),
                    )
                ]
                total -= chosen.size if chosen else 0
                slot.new = None
                valid = False
        return valid

    def shows_what_its_position_asks(self) -> bool:
        """Whether the page the form was sent from had the fields the chosen topic asks for."""
        return what_topic_asks(self.content, self.shown_for.data).fields() == self.asks.fields()

    def keep_documents_for_next_time(self, hold_new_files: bool = True) -> list[str]:
        """Before the form is shown again: hold each newly chosen, valid file. The labels of the
        documents whose new file was not held, which the applicant must choose again."""
        with self.checking():
            return [
                slot.label for slot in self.slots if not slot.keep_for_next_time(hold_new_files)
            ]

    @contextmanager
    def checking(self) -> Iterator[None]:
        """One child process checks this request's files in turn, ended when they are."""
        with ContainedChecks() as self.checks:
            yield

    def chosen_documents(self) -> list[IncomingDocument]:
        return [chosen for slot in self.slots if (chosen := slot.chosen()) is not None]

    def release_held_documents(self) -> None:
        """Delete the files held for this form: its enquiry has them, or never will."""
        for slot in self.slots:
            release_document(slot.held.data)

    def answers(self) -> list[Answer]:
        return [
            answer_of(question, self[answer_field_name(question.key)].data)
            for question in self.asks.questions
        ]

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
            answers=[answer.as_stored() for answer in self.answers()],
        )

    def is_honeypot_filled(self) -> bool:
        return bool(getattr(self, HONEYPOT_FIELD).data)


class AddDocumentsForm(FlaskForm):
    """A file field for each document an enquiry may still be sent (additions.py)."""

    documents: tuple[Document, ...] = ()

    @classmethod
    def asking(cls, documents: tuple[Document, ...]) -> type["AddDocumentsForm"]:
        fields: dict[str, Any] = {"documents": documents}
        for document in documents:
            fields[file_field_name(document.key)] = FileField(document_label(document))
        return type("AddDocumentsFormAsking", (cls,), fields)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if request.method == "POST":
            formdata: CombinedMultiDict[str, Any] = CombinedMultiDict((request.files, request.form))
            kwargs.setdefault("formdata", formdata)
        super().__init__(*args, **kwargs)

    def files(self) -> list[tuple[Document, Field]]:
        return [(d, self[file_field_name(d.key)]) for d in self.documents]
