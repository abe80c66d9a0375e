"""Read and validate the group's content files: config/site.yaml and config/positions/*.md."""

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from openpositions.content.markdown import plain_summary, render_markdown
from openpositions.content.models import (
    EMPLOYMENT_TYPES,
    STATUSES,
    Address,
    Category,
    Contact,
    Content,
    FundingProgramme,
    Group,
    Link,
    Position,
    Site,
)

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
OPEN_UNTIL_FILLED = "open-until-filled"
POSITION_FIELDS = {
    "title", "slug", "category", "status", "date_posted", "date_updated", "deadline", "start",
    "duration", "salary_grade", "employment_type", "working_time", "requirements",
    "what_to_send", "posting_url", "reference",
}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


class ContentError(Exception):
    """One or more content files are wrong; each problem names file, field and fix."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


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
    used: set[str] = field(default_factory=set)

    def name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def raw(self, key: str, required: bool) -> Any:
        self.used.add(key)
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise Invalid(self.name(key), "is missing; add it")
            return None
        return value

    def text(self, key: str, required: bool = True) -> str:
        value = self.raw(key, required)
        if value is None:
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise Invalid(self.name(key), "must be text")
        return str(value).strip()

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

    def mapping(self, key: str) -> "Fields":
        value = self.raw(key, required=True)
        if not isinstance(value, dict):
            raise Invalid(self.name(key), "must be a mapping of fields")
        return Fields(value, prefix=f"{self.name(key)}.")

    def items(self, key: str) -> list["Fields"]:
        value = self.raw(key, required=False) or []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise Invalid(self.name(key), "must be a list of mappings")
        return [Fields(v, prefix=f"{self.name(key)}[{i}].") for i, v in enumerate(value)]

    def reject_unknown(self, known: set[str]) -> None:
        # Keys may be numbers or dates too (`2026: ...`): sort and name them as text.
        unknown = sorted(set(self.data) - known, key=str)
        if unknown:
            raise Invalid(
                self.name(str(unknown[0])),
                f"unknown field; known fields are {', '.join(sorted(known))}",
            )


def load_content(content_dir: str | Path, display_root: Path | None = None) -> Content:
    """Load the site and its positions, or raise ContentError listing every problem."""
    content_dir = Path(content_dir)
    shown = _display(display_root)
    problems: list[Problem] = []
    site_file = content_dir / "site.yaml"
    site = _collect(problems, shown(site_file), lambda: _site(_read_yaml(site_file)))
    positions: list[Position] = []
    slugs: dict[str, Path] = {}
    for path in _position_files(content_dir):
        position = _collect(problems, shown(path), lambda p=path: _position(p, site))
        if position is None:
            continue
        if position.slug in slugs:
            problems.append(
                Problem(
                    shown(path),
                    "slug",
                    f"{position.slug!r} is already used by {shown(slugs[position.slug])}",
                )
            )
            continue
        slugs[position.slug] = path
        positions.append(position)
    if problems or site is None:
        raise ContentError(problems)
    positions.sort(key=lambda p: (p.date_posted, p.slug), reverse=True)
    return Content(site=site, positions=tuple(positions), version=content_fingerprint(content_dir))


def content_fingerprint(content_dir: str | Path) -> str:
    """A short hash that changes when any content file is added, removed or edited."""
    content_dir = Path(content_dir)
    digest = hashlib.sha256()
    for path in [content_dir / "site.yaml", *_position_files(content_dir)]:
        if path.exists():
            stat = path.stat()
            digest.update(f"{path.name}\0{stat.st_mtime_ns}\0{stat.st_size}\0".encode())
    return digest.hexdigest()[:16]


def _position_files(content_dir: Path) -> list[Path]:
    return sorted((content_dir / "positions").glob("*.md"))


def _display(root: Path | None) -> Callable[[Path], str]:
    def shown(path: Path) -> str:
        if root is not None:
            try:
                return str(path.resolve().relative_to(root.resolve()))
            except ValueError:
                pass
        return str(path)

    return shown


def _collect(problems: list[Problem], shown: str, load: Callable[[], Any]) -> Any:
    try:
        return load()
    except Invalid as invalid:
        problems.append(Problem(shown, invalid.field, invalid.message))
    except OSError as error:
        problems.append(Problem(shown, "file", f"cannot be read: {error.strerror}"))
    except UnicodeDecodeError:
        problems.append(Problem(shown, "file", "is not UTF-8 text; save it as UTF-8"))
    return None


def _read_yaml(path: Path) -> Fields:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=ContentLoader)
    except yaml.YAMLError as error:
        raise Invalid("yaml", _yaml_problem(error)) from None
    if not isinstance(data, dict):
        raise Invalid("yaml", "must be a mapping of fields")
    return Fields(data)


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    problem = getattr(error, "problem", None) or "is not valid YAML"
    return f"{problem}{where}"


def _site(fields: Fields) -> Site:
    group = fields.mapping("group")
    address = group.mapping("address")
    contact = fields.mapping("contact")
    categories = tuple(
        Category(
            key=_slug(c, "key"),
            title=c.text("title"),
            none_open=c.text("none_open"),
            list_funding=bool(c.raw("list_funding", required=False)),
        )
        for c in fields.items("categories")
    )
    if not categories:
        raise Invalid("categories", "is missing; list at least one category")
    return Site(
        group=Group(
            name=group.text("name"),
            url=group.url("url"),
            project=group.text("project"),
            project_url=group.url("project_url"),
            faculty=group.text("faculty"),
            university=group.text("university"),
            university_url=group.url("university_url"),
            address=Address(
                street=address.text("street"),
                postal_code=address.text("postal_code"),
                city=address.text("city"),
                country_code=address.text("country_code"),
                country=address.text("country"),
            ),
        ),
        contact=Contact(
            name=contact.text("name"),
            title=contact.text("title"),
            email=contact.text("email"),
            response_time=contact.text("response_time"),
        ),
        categories=categories,
        funding_intro=fields.text("funding_intro", required=False),
        funding_programmes=tuple(
            FundingProgramme(
                name=f.text("name"),
                description=f.text("description", required=False),
                url=f.url("url"),
            )
            for f in fields.items("funding_programmes")
        ),
        links=tuple(
            Link(title=link.text("title"), url=link.url("url")) for link in fields.items("links")
        ),
    )


def _slug(fields: Fields, key: str, default: str = "") -> str:
    value = fields.text(key, required=not default) or default
    if not SLUG.fullmatch(value):
        raise Invalid(fields.name(key), f"{value!r} must be lower-case letters, digits and hyphens")
    return value


def _position(path: Path, site: Site | None) -> Position:
    try:
        # parse(), not loads(): a Post takes the fields as keywords, which fails on `2026: ...`.
        metadata, body = frontmatter.parse(path.read_text(encoding="utf-8"), handler=FrontMatter())
    except yaml.YAMLError as error:
        raise Invalid("front matter", _yaml_problem(error)) from None
    fields = Fields(dict(metadata))
    fields.reject_unknown(POSITION_FIELDS)
    slug = _slug(fields, "slug", default=path.stem)
    title = fields.text("title")
    categories = [c.key for c in site.categories] if site else []
    category = fields.text("category")
    if site is not None and category not in categories:
        raise Invalid("category", f"{category!r} is not one of: {', '.join(categories)}")
    status = fields.choice("status", STATUSES)
    date_posted = fields.date("date_posted")
    if fields.raw("deadline", required=False) in (None, OPEN_UNTIL_FILLED):
        deadline = None
    else:
        deadline = fields.date("deadline", hint=f" or {OPEN_UNTIL_FILLED}")
    if not body.strip():
        raise Invalid("body", "is empty; describe the position below the front matter")
    body_html = render_markdown(body)
    return Position(
        slug=slug,
        title=title,
        category=category,
        status=status,
        date_posted=date_posted,
        date_updated=fields.date("date_updated", required=False),
        deadline=deadline,
        start=fields.text("start", required=False),
        duration=fields.text("duration", required=False),
        salary_grade=fields.text("salary_grade", required=False),
        employment_type=fields.choice("employment_type", EMPLOYMENT_TYPES, required=False),
        working_time=fields.text("working_time", required=False),
        requirements=fields.texts("requirements"),
        what_to_send=fields.text("what_to_send", required=False),
        posting_url=fields.url("posting_url", required=False),
        reference=fields.text("reference", required=False),
        body_html=body_html,
        summary=plain_summary(body_html),
    )
