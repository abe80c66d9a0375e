"""Every piece of the site's text has a German translation, with the same placeholders, in a
catalogue that compiles whole: nothing fuzzy, nothing untranslated."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.support.paths import PROJECT_DIR

GERMAN = PROJECT_DIR / "translations" / "de" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The messages in the code and templates as they are now, not as last extracted."""
    template = tmp_path_factory.mktemp("messages") / "messages.pot"
    subprocess.run(
        [
            Path(sys.executable).parent / "pybabel",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(template),
            "--ignore-dirs=.venv bench tests",
            ".",
        ],  # fmt: skip
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as file:
        return read_po(file)


@pytest.fixture(scope="module")
def german() -> Catalog:
    with GERMAN.open("rb") as file:
        return read_po(file, locale="de")


def texts(message: Message) -> tuple[str | None, ...]:
    value = message.string
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def translated(message: Message | None) -> bool:
    """Whether a catalogue's message is there, not fuzzy, and has every text (each plural)."""
    return message is not None and not message.fuzzy and all(texts(message))


def test_every_message_has_a_german_translation(extracted: Catalog, german: Catalog) -> None:
    # The site's text was found: an extraction that finds nothing would leave nothing missing.
    assert extracted.get("Open positions") is not None and len(extracted) > 100
    missing = [
        message.id for message in extracted if message.id and not translated(german.get(message.id))
    ]
    assert missing == [], "run `make extract-messages` and translate these"


def test_translations_keep_their_placeholders(german: Catalog) -> None:
    compared = 0
    for message in german:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        expected = sorted(PLACEHOLDER.findall(source))
        for translation in filter(None, texts(message)):
            assert sorted(PLACEHOLDER.findall(translation)) == expected, message.id
            compared += bool(expected)
    assert compared > 10, "translations with placeholders were compared"


def test_the_catalogue_has_no_fuzzy_or_untranslated_entry(german: Catalog) -> None:
    # A fuzzy header makes `pybabel compile` skip the whole catalogue; a fuzzy entry, that text.
    assert not german.fuzzy, "the catalogue's header is marked fuzzy"
    assert [message.id for message in german if message.id and message.fuzzy] == []
    assert [message.id for message in german if message.id and not all(texts(message))] == []


def test_the_catalogue_compiles_without_an_error_or_a_warning(
    german: Catalog, tmp_path: Path
) -> None:
    assert [(message.id, errors) for message, errors in german.check()] == []
    compiled = tmp_path / "messages.mo"
    result = subprocess.run(
        [Path(sys.executable).parent / "pybabel", "compile", "-i", GERMAN, "-o", compiled],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and compiled.exists(), result.stderr
    assert "error" not in result.stderr.lower() and "warning" not in result.stderr.lower()
    with compiled.open("rb") as file:
        # Every entry is in the compiled catalogue, none left out as fuzzy or empty.
        assert len([message for message in read_mo(file) if message.id]) == len(
            [message for message in german if message.id]
        )
