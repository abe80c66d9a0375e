"""`apply:` and `pay:` in a position file: how to apply and what it pays, read and checked."""

import shutil
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

from openpositions.content import ContentError, load_content
from openpositions.content.entities import (
    CV,
    VIA_FORM,
    VIA_POSTING,
    Choice,
    Document,
    HowToApply,
    Pay,
    Position,
    Question,
)
from tests.support.app import make_app
from tests.support.content import SEED_SLUG, copy_content, replace_in
from tests.support.paths import PROJECT_DIR
from tests.support.smtp import SmtpSink

SLUG = "phd-testing"
FILE = f"positions/{SLUG}.md"
GERMAN_FILE = f"positions/{SLUG}.de.md"
SEED_GERMAN_FILE = f"positions/{SEED_SLUG}.de.md"
EXAMPLE = PROJECT_DIR / "docs" / "example-position.md"
GERMAN_EXAMPLE = PROJECT_DIR / "docs" / "example-position.de.md"
POSITION = """---
title: PhD in Testing
category: phd
status: open
date_posted: 2026-11-20
posting_url: https://stellenticket.de/12345/
reference: "12345"
{front_matter}
---
We are looking for a PhD candidate.
"""
GERMAN = """---
title: Promotion im Testen
{front_matter}
---
Wir suchen eine Doktorandin oder einen Doktoranden.
"""


def write(content: Path, front_matter: str, name: str = FILE, template: str = POSITION) -> Path:
    path = content / name
    path.write_text(template.format(front_matter=front_matter.strip("\n")), encoding="utf-8")
    return path


def documents(*lines: str) -> str:
    return "apply:\n  documents:\n" + "\n".join(f"    {line}" for line in lines)


def questions(*lines: str) -> str:
    return "apply:\n  questions:\n" + "\n".join(f"    {line}" for line in lines)


def listed(kind: str, count: int, item: str) -> str:
    """`apply:` listing `count` items of `kind`, each `item` with its number as key and label."""
    entries = "\n".join(item.format(n=n) for n in range(count))
    return f"apply:\n  {kind}:\n{entries}"


DOCUMENT = "    - {{key: doc-{n}, label: Document {n}}}"
QUESTION = "    - {{key: question-{n}, label: Question {n}, type: text}}"
LONG_LABEL = "A" * 101

# (front matter of the position, field named, what the message says)
BAD_APPLY = [
    pytest.param("apply: form", "apply", "must be a mapping of fields", id="apply-not-a-mapping"),
    pytest.param(
        "apply:\n  via: email", "apply.via", "'email' is not one of: form, posting", id="bad-via"
    ),
    pytest.param(
        "apply:\n  vai: posting",
        "apply.vai",
        "unknown field; did you mean via? Correct its name",
        id="key-one-edit-off-in-apply",
    ),
    pytest.param(
        "aply:\n  via: posting",
        "aply",
        "unknown field; did you mean apply? Correct its name",
        id="apply-one-edit-off",
    ),
    pytest.param(
        "apply:\n  documents:",
        "apply.documents",
        "is empty; list the documents, or write documents: [] to ask for none",
        id="documents-empty",
    ),
    pytest.param(
        "apply:\n  documents: CV",
        "apply.documents",
        "must be a list of mappings",
        id="documents-not-a-list",
    ),
    pytest.param(
        documents("- {key: Transcripts, label: Transcripts}"),
        "apply.documents[0].key",
        "'Transcripts' must be lower-case letters, digits and hyphens",
        id="key-not-a-slug",
    ),
    pytest.param(
        documents("- {label: Transcripts}"),
        "apply.documents[0].key",
        "is missing; add it",
        id="key-missing",
    ),
    pytest.param(
        documents("- {key: cv, label: CV}", "- {key: cv, label: Transcripts}"),
        "apply.documents[1].key",
        "'cv' is already the key of apply.documents[0]; give each a key of its own",
        id="document-key-repeated",
    ),
    pytest.param(
        "apply:\n  documents:\n    - {key: cv, label: CV}\n"
        "  questions:\n    - {key: cv, label: CV written?, type: yes-no}",
        "apply.questions[0].key",
        "'cv' is already the key of apply.documents[0]",
        id="question-key-repeats-a-document-key",
    ),
    pytest.param(
        documents("- {key: cv}"), "apply.documents[0].label", "is missing; add it", id="no-label"
    ),
    pytest.param(
        documents("- {key: cv, label: {de: Lebenslauf}}"),
        "apply.documents[0].label",
        "has no English text (en:); add it",
        id="label-without-english",
    ),
    pytest.param(
        documents("- {key: cv, label: {en: CV, fr: CV}}"),
        "apply.documents[0].label",
        "language 'fr' is not one of: en, de",
        id="label-in-an-unknown-language",
    ),
    pytest.param(
        documents("- {key: cv, label: {en: CV, de: Lebenslauf, kurz gefasst}}"),
        "apply.documents[0].label",
        "put a text with a comma in {...} in quotes",
        id="label-with-an-unquoted-comma",
    ),
    pytest.param(
        documents("- key: cv", "  label: |", "    CV", "    and more"),
        "apply.documents[0].label",
        "spans several lines; write it on one line",
        id="label-on-two-lines",
    ),
    pytest.param(
        documents(f"- {{key: cv, label: {LONG_LABEL}}}"),
        "apply.documents[0].label",
        "has 101 characters; keep it to 100 and put the rest in a hint",
        id="label-too-long",
    ),
    pytest.param(
        documents("- {key: cv, label: CV, required: yes please}"),
        "apply.documents[0].required",
        "'yes please' is not true or false",
        id="required-not-true-or-false",
    ),
    pytest.param(
        documents("- {key: cv, label: CV, requird: true}"),
        "apply.documents[0].requird",
        "unknown field; did you mean required? Correct its name",
        id="key-one-edit-off-in-a-document",
    ),
    pytest.param(
        documents("- {key: cv, label: CV, hint: [one, two]}"),
        "apply.documents[0].hint",
        "must be text",
        id="hint-not-text",
    ),
    pytest.param(
        listed("documents", 11, DOCUMENT),
        "apply.documents",
        "lists 11; a position asks for at most 10",
        id="too-many-documents",
    ),
    pytest.param(
        listed("questions", 21, QUESTION),
        "apply.questions",
        "lists 21; a position asks for at most 20",
        id="too-many-questions",
    ),
    pytest.param(
        questions("- {key: start, label: Start}"),
        "apply.questions[0].type",
        "is missing; add it",
        id="type-missing",
    ),
    pytest.param(
        questions("- {key: start, label: Start, type: number}"),
        "apply.questions[0].type",
        "'number' is not one of: text, choice, date, yes-no",
        id="unknown-type",
    ),
    pytest.param(
        questions("- {key: topic, label: Topic, type: choice}"),
        "apply.questions[0].choices",
        "is missing; list at least 2 to choose from",
        id="choice-without-choices",
    ),
    pytest.param(
        questions(
            "- key: topic",
            "  label: Topic",
            "  type: choice",
            "  choices: [{key: imbalance, label: Class imbalance}]",
        ),
        "apply.questions[0].choices",
        "lists 1; list at least 2 to choose from",
        id="one-choice",
    ),
    pytest.param(
        questions(
            "- key: start",
            "  label: Start",
            "  type: date",
            "  choices: [{key: soon, label: Soon}, {key: later, label: Later}]",
        ),
        "apply.questions[0].choices",
        "are only for questions of type choice; remove them, or write type: choice",
        id="choices-on-a-date",
    ),
    pytest.param(
        questions(
            "- key: topic",
            "  label: Topic",
            "  type: choice",
            "  choices: [{key: imbalance, label: Imbalance}, {key: imbalance, label: Again}]",
        ),
        "apply.questions[0].choices[1].key",
        "'imbalance' is already the key of apply.questions[0].choices[0]",
        id="choice-key-repeated",
    ),
    pytest.param(
        questions(
            "- key: topic",
            "  label: Topic",
            "  type: choice",
            "  choices: [{key: imbalance, label: Imbalance}, {key: active}]",
        ),
        "apply.questions[0].choices[1].label",
        "is missing; add it",
        id="choice-without-label",
    ),
    pytest.param("pay: 4900", "pay", "must give min: and max:", id="pay-not-a-mapping"),
    pytest.param("pay:\n  min: 4900", "pay.max", "is missing; add it", id="pay-without-max"),
    pytest.param(
        "pay:\n  min: 7100\n  max: 4900",
        "pay.max",
        "4900 is less than min, 7100; swap or correct them",
        id="pay-max-below-min",
    ),
    pytest.param(
        "pay:\n  min: 4.900\n  max: 7100",
        "pay.min",
        "4.9 is not a whole number of euros; write it as digits alone, like 4900",
        id="pay-with-a-thousands-point",
    ),
    pytest.param(
        'pay:\n  min: "4,900"\n  max: 7100',
        "pay.min",
        "'4,900' is not a whole number of euros",
        id="pay-as-text",
    ),
    pytest.param(
        "pay:\n  min: 0\n  max: 7100", "pay.min", "0 is not a whole number", id="pay-zero"
    ),
    pytest.param(
        "pay:\n  min: 4900\n  mxa: 7100",
        "pay.mxa",
        "unknown field; did you mean max? Correct its name",
        id="pay-key-letters-swapped",
    ),
]


@pytest.mark.parametrize(("front_matter", "field", "message"), BAD_APPLY)
def test_a_mistake_in_apply_or_pay_names_file_and_field(
    tmp_path: Path, front_matter: str, field: str, message: str
) -> None:
    content = copy_content(tmp_path)
    path = write(content, front_matter)
    with pytest.raises(ContentError) as caught:
        load_content(content)
    lines = [str(error) for error in caught.value.errors]
    assert any(line.startswith(f"{path}: {field}: ") and message in line for line in lines), lines
    # Nothing else is blamed: a mistyped key of pay: also leaves its value missing, said too.
    assert len(lines) == (2 if field == "pay.mxa" else 1), lines


def test_via_posting_needs_the_official_posting(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    path = write(content, "apply:\n  via: posting")
    replace_in(content, FILE, "posting_url: https://stellenticket.de/12345/\n", "")
    with pytest.raises(ContentError) as caught:
        load_content(content)
    (error,) = caught.value.errors
    assert str(error) == (
        f"{path}: apply.via: is posting, but the file has no posting_url; add the official "
        "posting's address, or write via: form"
    )


def test_every_mistake_in_apply_and_pay_is_reported_at_once(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    path = write(
        content,
        "apply:\n"
        "  via: mail\n"
        "  documents:\n"
        "    - {key: CV, label: CV}\n"
        "    - {key: transcripts}\n"
        "  questions:\n"
        "    - {key: start, label: Start, type: when}\n"
        "pay:\n  min: 7100\n  max: 4900",
    )
    with pytest.raises(ContentError) as caught:
        load_content(content)
    named = [(e.path, e.field) for e in caught.value.errors]
    assert named == [
        (str(path), "apply.via"),
        (str(path), "apply.documents[0].key"),
        (str(path), "apply.documents[1].label"),
        (str(path), "apply.questions[0].type"),
        (str(path), "pay.max"),
    ]


@pytest.mark.parametrize(
    ("front_matter", "message"),
    [
        pytest.param(
            "apply:\n  documents:\n    - {key: cv, label: Lebenslauf}",
            "belongs in the English file only, with its labels per language there "
            "({en: ..., de: ...}); remove it from this file",
            id="apply",
        ),
        pytest.param(
            "pay:\n  min: 4900\n  max: 7100",
            "belongs in the English file only, as it is the same in every language",
            id="pay",
        ),
    ],
)
def test_a_translation_may_not_repeat_apply_or_pay(
    tmp_path: Path, front_matter: str, message: str
) -> None:
    content = copy_content(tmp_path)
    write(content, "")
    german = write(content, front_matter, GERMAN_FILE, GERMAN)
    with pytest.raises(ContentError) as caught:
        load_content(content)
    (error,) = caught.value.errors
    key = front_matter.partition(":")[0]
    assert str(error).startswith(f"{german}: {key}: {message}"), str(error)


def test_unknown_keys_in_apply_that_are_no_typo_are_warnings(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    path = write(content, documents("- {key: cv, label: CV, format: pdf}"))
    (warning,) = load_content(content).warnings
    assert str(warning).startswith(
        f"warning: {path}: apply.documents[0].format: unknown field, so it is ignored"
    )


def test_a_months_pay_that_looks_like_a_years_is_a_warning(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    path = write(content, "pay:\n  min: 58800\n  max: 85200")
    (warning,) = load_content(content).warnings
    assert str(warning) == (
        f"warning: {path}: pay.max: 85200 is a lot for a month; pay: is what a month pays"
    )


# --- What a good file gives -----------------------------------------------------------------


def test_a_position_without_apply_or_pay_keeps_the_default(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    write(content, "")
    loaded = load_content(content)
    for language in ("en", "de"):
        position = loaded.in_language(language).position(SLUG)
        assert position is not None
        assert position.apply == HowToApply(via=VIA_FORM, documents=(CV,), questions=())
        assert position.pay is None


def test_apply_and_pay_are_read_with_the_labels_in_each_language(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    write(
        content,
        """
apply:
  via: posting
  documents:
    - key: transcripts
      label: {en: Transcripts of records, de: Zeugnisse und Leistungsnachweise}
      required: true
      hint: {en: All of them in one PDF., de: Alle in einer PDF-Datei.}
    - key: paper
      label: A paper you wrote
  questions:
    - key: start
      label: {en: Earliest start date, de: Frühester Beginn}
      type: date
      required: true
    - key: topic
      label: {en: Topic, de: Thema}
      type: choice
      choices:
        - {key: imbalance, label: {en: Class imbalance, de: Unausgewogene Klassen}}
        - {key: active-learning, label: Active learning}
pay:
  min: 4900
  max: 7100
""",
    )
    loaded = load_content(content)
    english = loaded.position(SLUG)
    german = loaded.in_language("de").position(SLUG)
    assert english is not None and german is not None
    assert english.apply == HowToApply(
        via=VIA_POSTING,
        documents=(
            Document("transcripts", "Transcripts of records", True, "All of them in one PDF."),
            Document("paper", "A paper you wrote"),
        ),
        questions=(
            Question("start", "Earliest start date", "date", required=True),
            Question(
                "topic",
                "Topic",
                "choice",
                choices=(
                    Choice("imbalance", "Class imbalance"),
                    Choice("active-learning", "Active learning"),
                ),
            ),
        ),
    )
    # German where the file gives it, English where it does not.
    assert [d.label for d in german.apply.documents] == [
        "Zeugnisse und Leistungsnachweise",
        "A paper you wrote",
    ]
    assert german.apply.documents[0].hint == "Alle in einer PDF-Datei."
    assert [q.label for q in german.apply.questions] == ["Frühester Beginn", "Thema"]
    assert [c.label for c in german.apply.questions[1].choices] == [
        "Unausgewogene Klassen",
        "Active learning",
    ]
    assert english.pay == german.pay == Pay(minimum=4900, maximum=7100, currency="EUR")
    assert loaded.warnings == ()


def test_german_labels_reach_a_translated_position_too(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    write(content, documents("- {key: cv, label: {en: CV, de: Lebenslauf}}"))
    write(content, "", GERMAN_FILE, GERMAN)
    german = load_content(content).in_language("de").position(SLUG)
    assert german is not None
    assert german.title == "Promotion im Testen"
    assert german.apply.documents == (Document("cv", "Lebenslauf"),)


def test_a_position_may_ask_for_no_document(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    write(content, "apply:\n  via: posting\n  documents: []")
    position = load_content(content).position(SLUG)
    assert position is not None
    assert position.apply == HowToApply(via=VIA_POSTING, documents=(), questions=())


def test_one_figure_of_pay_is_given_as_both_ends(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    write(content, "pay:\n  min: 5200\n  max: 5200")
    position = load_content(content).position(SLUG)
    assert position is not None
    assert position.pay == Pay(minimum=5200, maximum=5200)


def test_the_seed_is_applied_for_through_the_form_with_one_cv_asked_for() -> None:
    loaded = load_content(PROJECT_DIR / "config")
    for language, label, hint in [
        ("en", "CV", "Your CV as a single PDF."),
        ("de", "Lebenslauf", "Ihr Lebenslauf als eine PDF-Datei."),
    ]:
        seed = loaded.in_language(language).position(SEED_SLUG)
        assert seed is not None
        assert seed.apply == HowToApply(
            via=VIA_FORM, documents=(Document("cv", label, required=False, hint=hint),)
        )
        # No figure the group has not given: the seed names its grade, not a sum.
        assert seed.pay is None


# --- The example in docs/ ---------------------------------------------------------------------


def copy_example(content: Path) -> None:
    for example in (EXAMPLE, GERMAN_EXAMPLE):
        shutil.copy(example, content / "positions" / example.name)


def test_the_example_position_shows_every_option_and_loads_cleanly(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    copy_example(content)
    loaded = load_content(content, today=date(2026, 12, 2))
    assert loaded.warnings == ()
    example = loaded.position("example-position")
    assert example is not None
    assert example.apply.via == VIA_FORM
    assert {d.required for d in example.apply.documents} == {True, False}
    assert {q.type for q in example.apply.questions} == {"text", "choice", "date", "yes-no"}
    assert example.pay == Pay(minimum=4900, maximum=7100)
    german = loaded.in_language("de").position("example-position")
    assert german is not None and german.language == "de"
    for english_label, german_label in zip(labels(example), labels(german), strict=True):
        assert german_label != english_label, "every label in German too"


def labels(position: Position) -> list[str]:
    how = position.apply
    return [d.label for d in how.documents] + [q.label for q in how.questions]


def test_the_check_passes_the_example_position(tmp_path: Path, smtp: SmtpSink) -> None:
    content = copy_content(tmp_path)
    copy_example(content)
    runner: FlaskCliRunner = make_app(
        tmp_path, smtp.port, CONTENT_DIR=str(content)
    ).test_cli_runner()
    result = runner.invoke(args=["positions", "check"])
    assert result.exit_code == 0, result.output
    assert "Content is valid: 2 positions" in result.output
    about_the_example = [
        line
        for line in result.output.splitlines()
        if "example-position" in line and ": deadline: " not in line  # The real clock's.
    ]
    assert about_the_example == []
