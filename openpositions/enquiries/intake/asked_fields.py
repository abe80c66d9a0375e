"""The fields a topic of the form asks for beyond the message: each document the position asks
for (a file field, with the file held across a re-shown form) and each of its questions (a
field of its type), labelled in the page's language as the position's content says."""

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext
from wtforms import BooleanField, Field, HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import DateInput

from openpositions.content import Content
from openpositions.content.entities import CV, Document, Question
from openpositions.enquiries.asked import NO, YES, Answer, document_label

# The form's own fields: a document's file field is named by its key (`cv`, `transcripts`, as
# links and scripts have long sent the CV), unless the key is one of these.
FORM_FIELD_NAMES = frozenset(
    {"name", "email", "position", "message", "consent", "website", "started", "csrf_token",
     "shown_for", "show_fields", "switch_language"}
)  # fmt: skip
TEXT_ANSWER_MAX = 500


@dataclass(frozen=True)
class Asks:
    """What one topic of the form asks for: its documents and its questions, in order."""

    documents: tuple[Document, ...] = (CV,)
    questions: tuple[Question, ...] = ()

    def fields(self) -> tuple[tuple[str, str, bool], ...]:
        """What the form's fields for these are, whatever their words: each document's and
        question's key, kind and whether it must be given."""
        return (
            *((document.key, "document", document.required) for document in self.documents),
            *((question.key, question.type, question.required) for question in self.questions),
        )


def what_topic_asks(content: Content, topic: str | None) -> Asks:
    """What the form asks for `topic` (a position's slug, or another topic): the position's own
    documents and questions, in the content's language; one optional CV for anything else."""
    position = content.position(topic or "")
    if position is None:
        return Asks()
    return Asks(position.apply.documents, position.apply.questions)


def file_field_name(key: str) -> str:
    return f"document_{key}" if key in FORM_FIELD_NAMES else key


def held_field_name(key: str) -> str:
    return f"held_{key}"


def remove_field_name(key: str) -> str:
    return f"remove_{key}"


def answer_field_name(key: str) -> str:
    return f"answer_{key}"


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def one_line(value: Any) -> Any:
    """A short answer on one line, its line breaks and other control characters as spaces."""
    return (
        re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", value).strip()
        if isinstance(value, str)
        else value
    )


def question_fields(question: Question) -> dict[str, Field]:
    """The unbound field that asks `question`, by its name on the form."""
    label = question.label
    optional = [Optional()] if not question.required else []
    field: Any
    if question.type == "choice":
        field = RadioField(
            label,
            validate_choice=False,  # Said in words below, not "Not a valid choice".
            validators=[
                *optional,
                InputRequired(gettext("Choose an answer to “%(question)s”", question=label)),
                one_of([choice.key for choice in question.choices], label),
            ],
        )
    elif question.type == "yes-no":
        field = RadioField(
            label,
            validate_choice=False,
            validators=[
                *optional,
                InputRequired(gettext("Choose yes or no for “%(question)s”", question=label)),
                one_of([YES, NO], label),
            ],
        )
    elif question.type == "date":
        field = StringField(
            label,
            widget=DateInput(),
            filters=[strip],
            validators=[
                *optional,
                DataRequired(gettext("Enter a date for “%(question)s”", question=label)),
                a_date,
            ],
        )
    else:
        field = StringField(
            label,
            filters=[one_line],
            validators=[
                *optional,
                DataRequired(gettext("Answer the question “%(question)s”", question=label)),
                Length(
                    max=TEXT_ANSWER_MAX,
                    message=gettext(
                        "Your answer to “%(question)s” must be %(count)d characters or fewer",
                        question=label,
                        count=TEXT_ANSWER_MAX,
                    ),
                ),
            ],
        )
    return {answer_field_name(question.key): field}


def choices_of(question: Question) -> list[tuple[str, str]]:
    """The answers a choice or yes-no question offers, as its radios' (value, label)s.

    Given to the bound field, as the form's own position choices are: the same for every
    showing of the form would need a class per position and language.
    """
    if question.type == "yes-no":
        return [(YES, gettext("Yes")), (NO, gettext("No"))]
    return [(choice.key, choice.label) for choice in question.choices]


def one_of(values: list[str], label: str) -> Any:
    def validate(form: Any, field: Any) -> None:
        if field.data not in values:
            raise ValidationError(
                gettext("Choose one of the answers given to “%(question)s”", question=label)
            )

    return validate


def a_date(form: Any, field: Any) -> None:
    try:
        date.fromisoformat(field.data or "")
    except ValueError:
        raise ValidationError(
            gettext(
                "Enter the date for “%(question)s” as year-month-day, like 2027-04-01",
                question=field.label.text,
            )
        ) from None


def document_fields(document: Document, file_field: Field) -> dict[str, Field]:
    """The unbound fields of one document: its file, the token of the file held for it, and
    the box that removes that file."""
    return {
        file_field_name(document.key): file_field,
        held_field_name(document.key): HiddenField(),
        remove_field_name(document.key): BooleanField(
            gettext("Remove the file for “%(document)s”", document=document_label(document))
        ),
    }


def answer_of(question: Question, data: Any) -> Answer:
    """What the applicant answered to `question`, as stored ("" where it was left open)."""
    value = "" if data is None else str(data)
    shown = value
    if question.type == "choice":
        shown = next((c.label for c in question.choices if c.key == value), value)
    elif question.type == "yes-no" and value in (YES, NO):
        shown = gettext("Yes") if value == YES else gettext("No")
    return Answer(question.key, question.label, question.type, value, shown)
