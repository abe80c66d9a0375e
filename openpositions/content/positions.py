"""Positions from config/positions/<slug>.md, and their translations <slug>.<language>.md."""

from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from openpositions.content.entities import EMPLOYMENT_TYPES, POSITION_STATUSES, HowToApply, Position
from openpositions.content.fields import NO_TEXTS, Fields, Findings, Invalid
from openpositions.content.how_to_apply import read_how_to_apply
from openpositions.content.markdown import plain_summary, render_markdown
from openpositions.content.pay import read_pay
from openpositions.content.reading import read_front_matter
from openpositions.content.site import slug_field

OPEN_UNTIL_FILLED = "open-until-filled"
POSITION_FIELDS = {
    "title", "slug", "category", "status", "date_posted", "date_updated", "deadline", "start",
    "duration", "salary_grade", "employment_type", "working_time", "requirements",
    "what_to_send", "posting_url", "reference", "apply", "pay",
}  # fmt: skip
# What a translation may give; dates, status, addresses and the like stay in the English file.
TRANSLATABLE_FIELDS = {
    "title", "start", "duration", "salary_grade", "working_time", "requirements", "what_to_send",
}  # fmt: skip
# What the English file alone gives, its texts per language ({en: ..., de: ...}) where it has
# any: written in a translation, it would be taken for what that language's pages show.
ONLY_IN_THE_ENGLISH_FILE = {
    "apply": (
        "belongs in the English file only, with its labels per language there "
        "({en: ..., de: ...}); remove it from this file"
    ),
    "pay": "belongs in the English file only, as it is the same in every language; remove it "
    "from this file",
}
FROM_THE_ENGLISH_FILE = {
    key: "is taken from the English file, so it is ignored here; remove it from this file"
    for key in POSITION_FIELDS - TRANSLATABLE_FIELDS - ONLY_IN_THE_ENGLISH_FILE.keys()
}
OPTIONAL_TEXTS = ("start", "duration", "salary_grade", "working_time", "what_to_send")


def load_position(
    path: Path,
    categories: tuple[str, ...] | None,
    findings: Findings,
    shown: str,
    languages: tuple[str, ...] = ("en",),
) -> dict[str, Position] | None:
    """One position file: its front matter checked, its Markdown body rendered safe.

    The position as each of `languages` reads it before its translation, if any, is applied:
    the file gives the labels of how to apply per language.
    Each field is checked on its own and every mistake goes to `findings`, so that one run
    reports them all; None when there was any, as such a position cannot be shown.
    `categories` are site.yaml's keys, None where they cannot be read (site.yaml says why).
    """
    metadata, body = read_front_matter(path)
    fields = Fields(metadata, findings=findings)
    check = fields.check
    fields.warn_unknown(POSITION_FIELDS)
    values: dict[str, Any] = {
        "slug": check(lambda: slug_field(fields, "slug", default=path.stem), path.stem),
        "title": check(lambda: fields.text("title"), ""),
        "category": check(lambda: _category(fields, categories), ""),
        "status": check(lambda: fields.choice("status", POSITION_STATUSES), ""),
        "date_posted": check(lambda: fields.required_date("date_posted"), None),
        "date_updated": check(lambda: fields.date("date_updated", required=False), None),
        "deadline": check(lambda: _deadline(fields), None),
        "employment_type": check(
            lambda: fields.choice("employment_type", EMPLOYMENT_TYPES, required=False), ""
        ),
        "requirements": check(partial(fields.texts, "requirements"), NO_TEXTS),
        "posting_url": check(lambda: fields.url("posting_url", required=False), ""),
    }
    for key in OPTIONAL_TEXTS:
        values[key] = check(partial(fields.text, key, required=False), "")
    # "reference" in the file, beside posting_url; not to be confused with an enquiry's.
    values["posting_reference"] = check(partial(fields.text, "reference", required=False), "")
    check(lambda: _dates_in_order(values["date_posted"], values["deadline"]), None)
    # Its mistakes are the same in every language: noted once, in the first.
    how_to_apply = {
        language: _how_to_apply(
            metadata, language, languages, findings if language == languages[0] else Findings()
        )
        for language in languages
    }
    values["pay"] = check(lambda: read_pay(fields), None)
    body_html = check(lambda: _body_html(body, "describe the position"), "")
    if findings.errors:
        return None
    english = Position(
        **values, body_html=body_html, summary=plain_summary(body_html), source=shown
    )
    return {language: replace(english, apply=how_to_apply[language]) for language in languages}


def _how_to_apply(
    metadata: dict[str, Any],
    language: str,
    languages: tuple[str, ...],
    findings: Findings,
) -> HowToApply:
    """`apply:` with its labels in `language`; its mistakes noted in `findings`."""
    fields = Fields(metadata, language=language, languages=languages, findings=findings)
    # A posting_url that is there but malformed has its own error; via: posting needs it there.
    has_posting_url = fields.raw("posting_url", required=False) is not None
    return fields.check(lambda: read_how_to_apply(fields, has_posting_url), HowToApply())


def _category(fields: Fields, categories: tuple[str, ...] | None) -> str:
    category = fields.text("category")
    if categories is not None:
        if category not in categories:
            raise Invalid("category", f"{category!r} is not one of: {', '.join(categories)}")
    return category


def _deadline(fields: Fields) -> date | None:
    if fields.raw("deadline", required=False) in (None, OPEN_UNTIL_FILLED):
        return None
    return fields.date("deadline", hint=f" or {OPEN_UNTIL_FILLED}")


def _dates_in_order(date_posted: date | None, deadline: date | None) -> None:
    if date_posted and deadline and deadline < date_posted:
        raise Invalid(
            "deadline",
            f"{deadline.isoformat()} is before date_posted {date_posted.isoformat()}; "
            "correct one of the two dates",
        )


def _body_html(body: str, what: str) -> str:
    if not body.strip():
        raise Invalid("body", f"is empty; {what} below the front matter")
    return render_markdown(body)


def load_translation(path: Path, findings: Findings) -> dict[str, object] | None:
    """A position's text in another language (<slug>.<language>.md): the fields it replaces."""
    metadata, body = read_front_matter(path)
    fields = Fields(metadata, findings=findings)
    fields.warn_unknown(
        TRANSLATABLE_FIELDS | ONLY_IN_THE_ENGLISH_FILE.keys(), explained=FROM_THE_ENGLISH_FILE
    )
    for key, message in ONLY_IN_THE_ENGLISH_FILE.items():
        if key in metadata:
            findings.errors.append(Invalid(key, message))
    body_html = fields.check(lambda: _body_html(body, "translate the description"), "")
    texts: dict[str, object] = {"body_html": body_html, "summary": plain_summary(body_html)}
    for key in sorted(TRANSLATABLE_FIELDS):
        if fields.raw(key, required=False) is None:
            continue
        if key == "requirements":
            texts[key] = fields.check(partial(fields.texts, "requirements"), NO_TEXTS)
        else:
            texts[key] = fields.check(partial(fields.text, key), "")
    return None if findings.errors else texts
