"""A position that asks for several documents and a question of each type, in a content copy,
and the form's fields for it, as the enquiry tests use them."""

from datetime import date
from pathlib import Path
from typing import Any

from tests.support.content import copy_content, write_position

ASKING_SLUG = "phd-remote-sensing-documents"
ASKING_TITLE = "PhD position in Remote Sensing, with documents"

# Each document's key, and its label in English and German; the CV is required.
DOCUMENTS = {
    "cv": ("CV", "Lebenslauf"),
    "transcripts": ("Transcripts of records", "Zeugnisse und Leistungsnachweise"),
    "letter": ("Letter of motivation", "Motivationsschreiben"),
    "thesis": ("Master's thesis", "Masterarbeit"),
}
QUESTIONS = {
    "start": ("Earliest start date", "Frühester Beginn"),
    "topic": ("Preferred topic", "Bevorzugtes Thema"),
    "visa": ("Do you need a visa?", "Brauchen Sie ein Visum?"),
    "affiliation": ("Current university", "Derzeitige Universität"),
}

# What a complete answer to the questions sends: each question's field and value.
ANSWERS = {
    "answer_start": "2027-04-01",
    "answer_topic": "sar",
    "answer_visa": "no",
    "answer_affiliation": "Universität Wien",
}


def languages(pair: tuple[str, str]) -> dict[str, str]:
    return {"en": pair[0], "de": pair[1]}


def add_position_asking(content_dir: Path) -> Path:
    """A position file whose `apply:` asks for DOCUMENTS (the CV required) and QUESTIONS (the
    start date required), open for years ahead."""
    return write_position(
        content_dir,
        ASKING_SLUG,
        "A PhD position that asks for documents and questions of its own.",
        title=ASKING_TITLE,
        category="phd",
        status="open",
        date_posted=date(2026, 10, 1),
        deadline=date(2099, 1, 31),
        what_to_send="Your CV, your transcripts, a letter and your thesis.",
        apply={
            "via": "form",
            "documents": [
                {
                    "key": "cv",
                    "label": languages(DOCUMENTS["cv"]),
                    "required": True,
                    "hint": {"en": "Two pages at most.", "de": "Höchstens zwei Seiten."},
                },
                *(
                    {"key": key, "label": languages(labels)}
                    for key, labels in DOCUMENTS.items()
                    if key != "cv"
                ),
            ],
            "questions": [
                {
                    "key": "start",
                    "label": languages(QUESTIONS["start"]),
                    "type": "date",
                    "required": True,
                },
                {
                    "key": "topic",
                    "label": languages(QUESTIONS["topic"]),
                    "type": "choice",
                    "choices": [
                        {"key": "sar", "label": {"en": "Radar images", "de": "Radarbilder"}},
                        {
                            "key": "optical",
                            "label": {"en": "Optical images", "de": "Optische Bilder"},
                        },
                    ],
                },
                {"key": "visa", "label": languages(QUESTIONS["visa"]), "type": "yes-no"},
                {
                    "key": "affiliation",
                    "label": languages(QUESTIONS["affiliation"]),
                    "type": "text",
                },
            ],
        },
    )


def content_asking(tmp_path: Path) -> Path:
    """A copy of the content with the position that asks added."""
    content = copy_content(tmp_path)
    add_position_asking(content)
    return content


def pdf_file(data: bytes, name: str) -> tuple[bytes, str, str]:
    """A file field's value for post_enquiry."""
    return (data, name, "application/pdf")


def asking_enquiry(**changes: Any) -> dict[str, Any]:
    """The changes to the valid enquiry that make it one for the asking position, its questions
    answered (no files: each test chooses its own)."""
    return {"position": ASKING_SLUG, "shown_for": ASKING_SLUG, **ANSWERS, **changes}
