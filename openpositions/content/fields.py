"""Typed fields of a content file whose checks name the field, and what they find wrong."""

import dataclasses
import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")
T = TypeVar("T")
# What a check of a list gives back after a mistake: typed, so that checks infer the list's type.
NO_TEXTS: tuple[str, ...] = ()


class Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message


@dataclass
class Findings:
    """Every error and warning found in one file, so that all of them are reported at once."""

    errors: list[Invalid] = field(default_factory=list)
    warnings: list[Invalid] = field(default_factory=list)

    def check(self, read: Callable[[], T], fallback: T) -> T:
        """What read() returns; if it finds a mistake, note it and go on with `fallback`."""
        try:
            return read()
        except Invalid as invalid:
            self.errors.append(invalid)
            return fallback


@dataclass
class Fields:
    """Typed access to one mapping of a content file; each check names its field."""

    data: dict[str, Any]
    prefix: str = ""
    # Text fields may be given per language ({en: ..., de: ...}); this picks one of them.
    language: str = "en"
    languages: tuple[str, ...] = ("en",)
    # Shared by a file's every mapping: where checks that go on past a mistake note it.
    findings: Findings = field(default_factory=Findings)

    def check(self, read: Callable[[], T], fallback: T) -> T:
        return self.findings.check(read, fallback)

    def name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def raw(self, key: str, required: bool) -> Any:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise Invalid(self.name(key), "is missing; add it")
            return None
        return value

    def text(self, key: str, required: bool = True) -> str:
        value = self.raw(key, required)
        if isinstance(value, dict):
            value = self._in_language(key, value)
        if value is None:
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise Invalid(self.name(key), "must be text")
        return str(value).strip()

    def _in_language(self, key: str, versions: dict[Any, Any]) -> Any:
        """This language's version of a text given per language; English where it has none."""
        unknown = sorted((k for k in versions if k not in self.languages), key=str)
        if unknown:
            offered = ", ".join(self.languages)
            message = f"language {str(unknown[0])!r} is not one of: {offered}"
            if versions[unknown[0]] is None:
                # {en: Topic, if any, de: ...} reads "if any" as a language: the comma splits it.
                message += "; put a text with a comma in {...} in quotes"
            raise Invalid(self.name(key), message)
        if not versions.get("en"):
            raise Invalid(self.name(key), "has no English text (en:); add it")
        return versions.get(self.language) or versions["en"]

    def choice(self, key: str, allowed: Iterable[str], required: bool = True) -> str:
        allowed = tuple(allowed)
        value = self.text(key, required)
        if value and value not in allowed:
            raise Invalid(self.name(key), f"{value!r} is not one of: {', '.join(allowed)}")
        return value

    def url(self, key: str, required: bool = True) -> str:
        value = self.text(key, required)
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
                raise Invalid(self.name(key), f"{value!r} is not a web address (https://...)")
        return value

    def required_date(self, key: str) -> date:
        value = self.date(key)
        assert value is not None  # raw() has raised for a missing required value.
        return value

    def date(self, key: str, required: bool = True, hint: str = "") -> date | None:
        value = self.raw(key, required)
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            message = f"{value!r} is not a date (YYYY-MM-DD){hint}"
            raise Invalid(self.name(key), message) from None

    def flag(self, key: str) -> bool:
        """A yes-or-no field, written true or false; false where it is missing."""
        value = self.raw(key, required=False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise Invalid(self.name(key), f"{value!r} is not true or false")
        return value

    def whole_number(self, key: str, what: str) -> int:
        """A positive whole number of `what` ("euros"), written without separators."""
        value = self.raw(key, required=True)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            # YAML reads 4.900 as the fraction 4.9: say what to write rather than what it read.
            raise Invalid(
                self.name(key),
                f"{value!r} is not a whole number of {what}; write it as digits alone, like 4900",
            )
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.raw(key, required=False)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise Invalid(self.name(key), "must be a list of texts")
        return tuple(v.strip() for v in value)

    def record(self, kind: type[R], **given: Any) -> R:
        """A dataclass whose other fields are texts of the same names (URLs where named so).

        Each field is checked on its own: a wrong one is noted and the others still checked.
        """
        values = {
            item.name: self.check(partial(self._text_or_url, item.name), "")
            for item in dataclasses.fields(kind)
            if item.name not in given
        }
        return kind(**values, **given)

    def _text_or_url(self, key: str) -> str:
        return self.url(key) if key.endswith("url") else self.text(key)

    def mapping(self, key: str) -> "Fields":
        value = self.raw(key, required=True)
        if not isinstance(value, dict):
            raise Invalid(self.name(key), "must be a mapping of fields")
        return self._child(value, f"{self.name(key)}.")

    def items(self, key: str) -> list["Fields"]:
        value = self.raw(key, required=False) or []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise Invalid(self.name(key), "must be a list of mappings")
        return [self._child(v, f"{self.name(key)}[{i}].") for i, v in enumerate(value)]

    def _child(self, data: dict[str, Any], prefix: str) -> "Fields":
        return Fields(
            data,
            prefix=prefix,
            language=self.language,
            languages=self.languages,
            findings=self.findings,
        )

    def warn_unknown(self, known: set[str], explained: Mapping[str, str] | None = None) -> None:
        """A problem for each key the site does not read, which a typo would otherwise hide.

        A key one edit away from a known one is an error: it is that key mistyped, and ignoring
        it would change what the page says (`dedline:` would read "open until filled").
        Other unknown keys are warnings. `explained` says, for keys that are not typos, why
        they do not belong here.
        """
        explained = explained or {}
        # Keys may be numbers or dates too (`2026: ...`): sort and name them as text.
        for key in sorted((str(k) for k in set(self.data) - known), key=str):
            meant = next((k for k in sorted(known) if within_one_edit(key, k)), None)
            if meant is not None and key not in explained:
                message = f"unknown field; did you mean {meant}? Correct its name"
                self.findings.errors.append(Invalid(self.name(key), message))
                continue
            guesses = difflib.get_close_matches(key, sorted(known), n=1)
            if key in explained:
                message = explained[key]
            elif guesses:
                message = f"unknown field, so it is ignored; did you mean {guesses[0]}?"
            else:
                message = (
                    f"unknown field, so it is ignored; known fields are {', '.join(sorted(known))}"
                )
            self.findings.warnings.append(Invalid(self.name(key), message))


def within_one_edit(typed: str, known: str) -> bool:
    """Whether `typed` is `known` with one letter left out, added, changed or two swapped."""
    if typed == known or abs(len(typed) - len(known)) > 1:
        return False
    if len(typed) == len(known):
        differ = [i for i, (a, b) in enumerate(zip(typed, known, strict=True)) if a != b]
        if len(differ) == 1:
            return True
        first, second = differ[0], differ[-1]
        return (
            len(differ) == 2
            and second == first + 1
            and (typed[first], typed[second]) == (known[second], known[first])
        )
    shorter, longer = sorted((typed, known), key=len)
    # The first letter that differs is the one added or left out.
    cut = next(
        (i for i, (a, b) in enumerate(zip(shorter, longer, strict=False)) if a != b), len(shorter)
    )
    return shorter[cut:] == longer[cut + 1 :]
