"""What every page's template can use: the site, the language, dates and addresses."""

import functools
import hashlib
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import format_date
from markupsafe import Markup

from openpositions.content import current_content
from openpositions.formatting import visible_controls
from openpositions.i18n import current_language
from openpositions.web.alternates import canonical_url, language_alternates, language_switch_url
from openpositions.web.urls import absolute_url


def init_app(app: Flask) -> None:
    app.context_processor(layout_context)
    app.url_defaults(version_static_files)
    app.jinja_env.globals.update({helper.__name__: helper for helper in TEMPLATE_HELPERS})
    app.jinja_env.filters["paragraphs"] = paragraphs
    app.jinja_env.filters["visible_controls"] = visible_controls


def version_static_files(endpoint: str, values: dict[str, Any]) -> None:
    """/static/site.css?v=<hash of its bytes>: browsers may keep it for a year, yet see a change."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        path = Path(current_app.static_folder or "", values["filename"])
        if path.is_file():
            values["v"] = file_version(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def file_version(path: Path, mtime_ns: int) -> str:
    # mtime_ns is part of the cache key only: an edited file gets a new hash.
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def layout_context() -> dict[str, Any]:
    return {"site": current_content().site}


def lang_attribute(language: str) -> Markup:
    """` lang="en"` on text that is not in the page's language, so that it is read out right."""
    if language == current_language():
        return Markup("")
    return Markup(' lang="{}"').format(language)


def atom_datetime(day: date | None) -> str:
    """An RFC 3339 timestamp for a day (midnight UTC), as Atom requires; today if none."""
    moment = datetime.combine(day, time(), UTC) if day else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def paragraphs(text: str) -> Markup:
    """Plain text as HTML paragraphs, its single line breaks kept as <br>; all of it escaped.

    Each paragraph takes its direction from its own text and is isolated (dir="auto"), so that
    a right-to-left paragraph reads right, and no bidirectional control in it reorders anything
    outside it.
    """
    blocks = [block for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]
    return Markup("\n").join(
        Markup('<p dir="auto">{}</p>').format(Markup("<br>\n").join(block.strip("\n").split("\n")))
        for block in blocks
    )


# Each under its own name in every template.
TEMPLATE_HELPERS: tuple[Callable[..., Any], ...] = (
    absolute_url,
    format_date,
    atom_datetime,
    current_language,
    lang_attribute,
    language_alternates,
    canonical_url,
    language_switch_url,
)
