"""A position's `apply:` section: the channel, the documents and the questions, checked."""

from collections.abc import Sequence
from functools import partial

from openpositions.content.entities import (
    APPLY_CHANNELS,
    QUESTION_TYPES,
    VIA_FORM,
    VIA_POSTING,
    Choice,
    Document,
    HowToApply,
    Question,
)
from openpositions.content.fields import Fields, Invalid
from openpositions.content.site import slug_field

APPLY_FIELDS = {"via", "documents", "questions"}
DOCUMENT_FIELDS = {"key", "label", "required", "hint"}
QUESTION_FIELDS = {"key", "label", "type", "required", "choices", "hint"}
CHOICE_FIELDS = {"key", "label"}
# What a check of a list gives back after a mistake: typed, so that the checks infer the type.
NO_DOCUMENTS: tuple[Document, ...] = ()
NO_QUESTIONS: tuple[Question, ...] = ()
NO_CHOICES: tuple[Choice, ...] = ()
CHOICE = "choice"
# Bounds that keep the form one page a candidate can finish, and the professor's mail readable.
MAX_DOCUMENTS = 10
MAX_QUESTIONS = 20
MIN_CHOICES = 2
MAX_CHOICES = 20
# A label names a form field and a file sent to the professor: one line, short.
MAX_LABEL_LENGTH = 100


def read_how_to_apply(fields: Fields, has_posting_url: bool) -> HowToApply:
    """`apply:` of a position file, its labels in the language `fields` reads.

    Where the file has no `apply:`, the default: the form, one CV asked for but not required.
    `via: posting` needs the file to name the official posting (`posting_url`).
    """
    if fields.raw("apply", required=False) is None:
        return HowToApply()
    apply = fields.mapping("apply")
    apply.warn_unknown(APPLY_FIELDS)
    via = apply.check(lambda: _via(apply, has_posting_url), VIA_FORM)
    documents = apply.check(lambda: _documents(apply), NO_DOCUMENTS)
    questions = apply.check(lambda: _questions(apply), NO_QUESTIONS)
    _note_repeated_keys(apply, "documents", documents)
    _note_repeated_keys(apply, "questions", questions, taken=documents)
    return HowToApply(via=via, documents=documents, questions=questions)


def _via(apply: Fields, has_posting_url: bool) -> str:
    via = apply.choice("via", APPLY_CHANNELS, required=False) or VIA_FORM
    if via == VIA_POSTING and not has_posting_url:
        raise Invalid(
            apply.name("via"),
            "is posting, but the file has no posting_url; add the official posting's address, "
            "or write via: form",
        )
    return via


def _documents(apply: Fields) -> tuple[Document, ...]:
    if "documents" not in apply.data:
        return HowToApply().documents
    items = _listed(apply, "documents", MAX_DOCUMENTS, "write documents: [] to ask for none")
    return tuple(_document(item) for item in items)


def _document(item: Fields) -> Document:
    item.warn_unknown(DOCUMENT_FIELDS)
    return Document(
        key=item.check(partial(slug_field, item, "key"), ""),
        label=item.check(partial(_label, item), ""),
        required=item.check(partial(item.flag, "required"), False),
        hint=item.check(partial(item.text, "hint", required=False), ""),
    )


def _questions(apply: Fields) -> tuple[Question, ...]:
    if "questions" not in apply.data:
        return ()
    items = _listed(apply, "questions", MAX_QUESTIONS, "remove questions: to ask none")
    return tuple(_question(item) for item in items)


def _question(item: Fields) -> Question:
    item.warn_unknown(QUESTION_FIELDS)
    question_type = item.check(partial(item.choice, "type", QUESTION_TYPES), "")
    return Question(
        key=item.check(partial(slug_field, item, "key"), ""),
        label=item.check(partial(_label, item), ""),
        type=question_type,
        required=item.check(partial(item.flag, "required"), False),
        choices=item.check(partial(_choices, item, question_type), NO_CHOICES),
        hint=item.check(partial(item.text, "hint", required=False), ""),
    )


def _choices(question: Fields, question_type: str) -> tuple[Choice, ...]:
    given = question.raw("choices", required=False) is not None
    if question_type != CHOICE:
        if given and question_type:
            raise Invalid(
                question.name("choices"),
                f"are only for questions of type {CHOICE}; remove them, or write type: {CHOICE}",
            )
        return ()
    if not given:
        raise Invalid(
            question.name("choices"), f"is missing; list at least {MIN_CHOICES} to choose from"
        )
    items = question.items("choices")
    if len(items) < MIN_CHOICES:
        raise Invalid(
            question.name("choices"),
            f"lists {len(items)}; list at least {MIN_CHOICES} to choose from",
        )
    if len(items) > MAX_CHOICES:
        raise Invalid(
            question.name("choices"),
            f"lists {len(items)}; a question offers at most {MAX_CHOICES}",
        )
    choices = tuple(_choice(item) for item in items)
    _note_repeated_keys(question, "choices", choices)
    return choices


def _choice(item: Fields) -> Choice:
    item.warn_unknown(CHOICE_FIELDS)
    return Choice(
        key=item.check(partial(slug_field, item, "key"), ""),
        label=item.check(partial(_label, item), ""),
    )


def _listed(apply: Fields, key: str, most: int, for_none: str) -> list[Fields]:
    """The mappings listed under `key`, at most `most` of them."""
    if apply.data[key] in (None, ""):
        raise Invalid(apply.name(key), f"is empty; list the {key}, or {for_none}")
    items = apply.items(key)
    if len(items) > most:
        raise Invalid(apply.name(key), f"lists {len(items)}; a position asks for at most {most}")
    return items


def _label(item: Fields) -> str:
    label = item.text("label")
    if "\n" in label:
        raise Invalid(item.name("label"), "spans several lines; write it on one line")
    if len(label) > MAX_LABEL_LENGTH:
        raise Invalid(
            item.name("label"),
            f"has {len(label)} characters; keep it to {MAX_LABEL_LENGTH} and put the rest in "
            "a hint",
        )
    return label


def _note_repeated_keys(
    within: Fields,
    kind: str,
    items: Sequence[Document | Question | Choice],
    taken: Sequence[Document] = (),
) -> None:
    """An error for each key used before: of a document or question in the position (each names
    a field of the form), or of a choice in its question."""
    seen = {document.key: f"documents[{index}]" for index, document in enumerate(taken)}
    for index, item in enumerate(items):
        if not item.key:
            continue  # Missing or malformed: its own error says so.
        if item.key in seen:
            within.findings.errors.append(
                Invalid(
                    within.name(f"{kind}[{index}].key"),
                    f"{item.key!r} is already the key of {within.name(seen[item.key])}; give "
                    "each a key of its own",
                )
            )
        else:
            seen[item.key] = f"{kind}[{index}]"
