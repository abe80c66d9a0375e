"""Copies of the site's content files that a test may break or add positions to."""

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from tests.support.paths import PROJECT_DIR

SEED_SLUG = "phd-deep-learning-satellite-images"
SEED_FILE = f"positions/{SEED_SLUG}.md"
CLOSED_SLUG = "postdoc-foundation-models-2025"
SECOND_OPEN_SLUG = "phd-active-learning-earth-observation"


# The group office's address that tests fill in; the shipped site.yaml leaves it a placeholder.
OFFICE_EMAIL = "office@rsim.example.org"

# The placeholders shipped in config/site.yaml, each with a value that fills it in.
FILLED_IN = {
    "president: >-\n    TODO: the President's name and title, as on TU Berlin's own legal notice": (
        "president:\n    en: Prof. Dr. Jane Doe, President\n    de: Prof. Dr. Jane Doe, Präsidentin"
    ),
    "TODO: the Senate department of Berlin responsible for higher education, by its current name,"
    "\n    as on TU Berlin's own legal notice": "Senate Department for Higher Education",
    '"TODO: the web page of TU Berlin\'s data protection officer (https://...)"': (
        "https://www.example.org/dpo"
    ),
    "TODO: how many days the web server's access logs are kept, as its log rotation is set": "14",
    "TODO: the group office's shared email address, never the professor's own": OFFICE_EMAIL,
}


def copy_content(tmp_path: Path, fill_placeholders: bool = True) -> Path:
    """A copy of config/'s content (site.yaml and positions/) in tmp_path/content.

    The facts the shipped site.yaml leaves as placeholders are filled in, so that a test's
    content has no warning but those it makes; `fill_placeholders=False` keeps them.
    """
    content = Path(
        shutil.copytree(
            PROJECT_DIR / "config",
            tmp_path / "content",
            ignore=shutil.ignore_patterns("*.py", "__pycache__"),
        )
    )
    if fill_placeholders:
        fill_in_every_placeholder(content)
    return content


def fill_in_every_placeholder(content_dir: Path) -> None:
    for placeholder, value in FILLED_IN.items():
        replace_in(content_dir, "site.yaml", placeholder, value)


def replace_in(content_dir: Path, name: str, old: str, new: str) -> None:
    """Replace the first `old` in a content file with `new`; `old` must be there."""
    path = content_dir / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def write_position(content_dir: Path, slug: str, body: str, **fields: Any) -> Path:
    """Write positions/<slug>.md with the given front matter and Markdown body."""
    front = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False)
    path = content_dir / "positions" / f"{slug}.md"
    path.write_text(f"---\n{front}---\n{body}\n", encoding="utf-8")
    return path


def add_closed_position(content_dir: Path) -> Path:
    return write_position(
        content_dir,
        CLOSED_SLUG,
        "We were looking for a post-doc to work on foundation models for Earth observation.",
        title="Post-doc in Foundation Models for Earth Observation",
        category="postdoc",
        status="closed",
        date_posted=date(2025, 3, 1),
        deadline=date(2025, 4, 30),
        employment_type="FULL_TIME",
        reference="IV-41/25",
    )


def add_second_open_position(content_dir: Path) -> Path:
    """An open position with a deadline, part time, with a reference number.

    The deadline lies far ahead: tests that use the real clock must find it open for years.
    """
    return write_position(
        content_dir,
        SECOND_OPEN_SLUG,
        "Join us to develop *active learning* methods for Earth observation archives.\n\n"
        "The position is part of the [BigEarth](http://www.bigearth.eu/) project.",
        title="PhD position in Active Learning for Earth Observation",
        category="phd",
        status="open",
        date_posted=date(2026, 10, 15),
        deadline=date(2099, 1, 31),
        start="1 April 2027",
        duration="3 years",
        working_time="Part time (75%)",
        employment_type="PART_TIME",
        salary_grade="E13 TV-L Berliner Hochschulen",
        posting_url="https://stellenticket.de/99999/?lang=en",
        reference="IV-77/26",
    )
