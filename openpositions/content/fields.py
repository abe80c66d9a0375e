"""Reading content files: YAML and front matter, and typed fields whose errors name the field."""

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


class ContentLoader(yaml.SafeLoader):
    """safe_load's YAML, except that an impossible date (2026-02-30) is kept as text.

    PyYAML raises a bare ValueError for those, naming no field; as text, the field's own
    check reports it.
    """


def _timestamp_or_text(loader: ContentLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


ContentLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


class FrontMatter(YAMLHandler):
    """Front matter read with ContentLoader."""

    def load(self, fm: str, **kwargs: object) -> Any:
        return yaml.load(fm, Loader=ContentLoader)


class Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message


@dataclass
class Fields:
    """Typed access to one mapping of a content file; each check names its field."""

    data: dict[str, Any]
    prefix: str = ""
    # Text fields may be given per language ({en: ..., de: ...}); this picks one of them.
    language: str = "en"
    languages: tuple[str, ...] = ("en",)

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
        unknown = sorted((str(k) for k in versions if k not in self.languages), key=str)
        if unknown:
            offered = ", ".join(self.languages)
            raise Invalid(self.name(key), f"language {unknown[0]!r} is not one of: {offered}")
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
        """A dataclass whose other fields are texts of the same names (URLs where named so)."""
        values = {
            item.name: self.url(item.name) if item.name.endswith("url") else self.text(item.name)
            for item in dataclasses.fields(kind)
            if item.name not in given
        }
        return kind(**values, **given)

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
        return Fields(data, prefix=prefix, language=self.language, languages=self.languages)

    def reject_unknown(self, known: set[str]) -> None:
        # Keys may be numbers or dates too (`2026: ...`): sort and name them as text.
        unknown = sorted(set(self.data) - known, key=str)
        if unknown:
            raise Invalid(
                self.name(str(unknown[0])),
                f"unknown field; known fields are {', '.join(sorted(known))}",
            )


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=ContentLoader)
    except yaml.YAMLError as error:
        raise Invalid("yaml", yaml_problem(error)) from None
    if not isinstance(data, dict):
        raise Invalid("yaml", "must be a mapping of fields")
    return data


def yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    problem = getattr(error, "problem", None) or "is not valid YAML"
    return f"{problem}{where}"


def read_front_matter(path: Path) -> tuple[dict[str, Any], str]:
    """The front matter's fields and the Markdown body of a content file."""
    try:
        # parse(), not loads(): a Post takes the fields as keywords, which fails on `2026: ...`.
        metadata, body = frontmatter.parse(path.read_text(encoding="utf-8"), handler=FrontMatter())
    except yaml.YAMLError as error:
        raise Invalid("front matter", yaml_problem(error)) from None
    return dict(metadata), body
