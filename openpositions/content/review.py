"""Warnings about positions that are valid, yet likely not what the group means to publish."""

from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import PurePath
from typing import Any

from babel import Locale

from openpositions.content.entities import OPEN, Position
from openpositions.content.problems import WARNING, Problem


def review_positions(
    positions: tuple[Position, ...],
    translations: Mapping[str, Mapping[str, Any]],
    languages: tuple[str, ...],
    today: date,
) -> Iterator[Problem]:
    """What a maintainer should look at on `today`: stale deadlines and missing translations."""
    for position in positions:
        if position.status == OPEN and position.deadline_passed_on(today):
            yield Problem(
                position.source,
                "deadline",
                f"{position.deadline} has passed, so the site shows the position as closed; "
                "set status: closed, or a later deadline",
                WARNING,
            )
        if not position.is_open_on(today):
            continue  # Nobody reads a closed position's text: its translation does not matter.
        for language in languages:
            if language != "en" and position.slug not in translations.get(language, {}):
                yield Problem(
                    position.source,
                    "translation",
                    f"has no {Locale.parse(language).english_name} text, so those pages show "
                    f"the English; add {_translation_name(position, language)} beside it",
                    WARNING,
                )


def _translation_name(position: Position, language: str) -> str:
    return f"{PurePath(position.source).stem}.{language}.md"
