"""What a position asks of an applicant (its documents and questions) and what they answered,
as stored with an enquiry and as each reader reads it.

A document and an answer keep their labels (and the answer) as the applicant read them, in case
the position file changes later; every reader (the professor, the applicant, the operator) sees
them in their own language from the position's content while the position still asks them.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date

from flask_babel import format_date, gettext

from openpositions.content import Content, Position
from openpositions.content.entities import CV, Document
from openpositions.content.topics import other_topics

YES = "yes"
NO = "no"


def document_label(document: Document) -> str:
    """A document's name in the reader's language: the content's, or the site's own for the CV
    a position asks for when its file says nothing."""
    return gettext("CV") if document == CV else document.label


def shown_document_label(key: str, stored_label: str, position: Position | None) -> str:
    """The label of an enquiry's document `key` in the reader's language, while its position
    still asks for it; as the applicant read it otherwise."""
    asked = next((d for d in documents_asked(position) if d.key == key), None)
    return document_label(asked) if asked is not None else stored_label


def documents_asked(position: Position | None) -> tuple[Document, ...]:
    """What an enquiry about `position` is asked to carry: its documents, or one CV for an
    enquiry about anything else."""
    return position.apply.documents if position else (CV,)


def documents_to_add(
    position_slug: str, carried: Iterable[str], content: Content, day: date
) -> tuple[Document, ...]:
    """The documents an enquiry about `position_slug` that carries `carried` (their keys) may
    still be sent: those its position asks for and it lacks, while the position takes
    applications (up to its deadline); the CV for an enquiry that is not about a position."""
    position = content.position(position_slug)
    if position is None:
        if position_slug not in dict(other_topics()):
            return ()  # A position that is gone.
    elif not position.is_open_on(day):
        return ()
    keys = set(carried)
    return tuple(document for document in documents_asked(position) if document.key not in keys)


@dataclass(frozen=True)
class Answer:
    key: str
    # The question as the applicant read it.
    label: str
    # One of the content's QUESTION_TYPES.
    type: str
    # As typed for text; the choice's key; the date as 2027-04-01; "yes" or "no".
    value: str
    # The answer as the applicant read it: the choice's label, "Ja" for yes in German.
    shown: str

    def as_stored(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_stored(cls, stored: dict[str, str]) -> "Answer":
        return cls(
            key=str(stored.get("key", "")),
            label=str(stored.get("label", "")),
            type=str(stored.get("type", "text")),
            value=str(stored.get("value", "")),
            shown=str(stored.get("shown", stored.get("value", ""))),
        )


@dataclass(frozen=True)
class ShownAnswer:
    """A question and its answer as one reader reads them."""

    key: str
    label: str
    text: str


def stored_answers(stored: list[dict[str, str]] | None) -> list[Answer]:
    return [Answer.from_stored(answer) for answer in stored or []]


def shown_answers(
    stored: list[dict[str, str]] | None, position: Position | None
) -> list[ShownAnswer]:
    """The answers in the language of `position` (the content of the reader's language) and of
    the current locale; as the applicant read them where the position no longer asks that."""
    return [shown_answer(answer, position) for answer in stored_answers(stored)]


def shown_answer(answer: Answer, position: Position | None) -> ShownAnswer:
    question = next(
        (
            q
            for q in (position.apply.questions if position else ())
            if q.key == answer.key and q.type == answer.type
        ),
        None,
    )
    label = question.label if question else answer.label
    if answer.type == "yes-no" and answer.value in (YES, NO):
        text = gettext("Yes") if answer.value == YES else gettext("No")
    elif answer.type == "date":
        text = formatted_date(answer.value)
    elif answer.type == "choice" and question is not None:
        text = next((c.label for c in question.choices if c.key == answer.value), answer.shown)
    else:
        text = answer.shown
    return ShownAnswer(answer.key, label, text)


def formatted_date(value: str) -> str:
    """A stored date as the reader's language writes it; as stored if it is not one."""
    try:
        return str(format_date(date.fromisoformat(value), "long"))
    except ValueError:
        return value
