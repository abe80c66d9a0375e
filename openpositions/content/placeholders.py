"""Facts not known yet: a site.yaml value written `TODO: what to enter`.

The legal pages need facts that the group may first have to ask the university for. Until then
the value stays a placeholder: the site runs, the pages leave the fact out rather than show
"TODO" to visitors, and `flask positions check` warns about each one.
"""

import dataclasses
import re
from typing import TYPE_CHECKING, Any, TypeVar

from openpositions.content.entities import Placeholder
from openpositions.content.fields import Fields

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")

# "TODO" as the first word, with or without a colon; the rest says what to enter.
PLACEHOLDER = re.compile(r"\s*TODO\b:?(?P<hint>.*)", re.DOTALL)


def placeholder_hint(value: Any) -> str | None:
    """What a placeholder asks to enter, or None if `value` is not one.

    A text given per language is a placeholder if any of its versions is: the fact is then
    unknown in every language, rather than shown in some and missing in others.
    """
    if isinstance(value, dict):
        # The English version's hint first: warnings are in English.
        hints = [placeholder_hint(value.get("en")), *map(placeholder_hint, value.values())]
        return next((hint for hint in hints if hint is not None), None)
    if isinstance(value, str):
        match = PLACEHOLDER.fullmatch(value)
        if match:
            return " ".join(match["hint"].split())
    return None


def record_with_placeholders(
    fields: Fields, kind: type[R], found: list[Placeholder], **given: Any
) -> R:
    """fields.record(kind), except that a placeholder is left empty and added to `found`.

    A field that has a default in `kind` may also be left out of the file.
    """
    values: dict[str, Any] = {}
    for item in dataclasses.fields(kind):
        if item.name in given:
            continue
        raw = fields.data.get(item.name)
        hint = placeholder_hint(raw)
        if hint is not None:
            found.append(Placeholder(fields.name(item.name), hint))
            values[item.name] = ""
        elif raw in (None, "") and item.default is not dataclasses.MISSING:
            values[item.name] = item.default
    return fields.record(kind, **values, **given)
