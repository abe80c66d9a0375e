"""What an enquiry can be about: an open position, a post-doc fellowship, or anything else."""

from datetime import date

from flask_babel import lazy_gettext as _l

from openpositions.content import Content

FELLOWSHIP = "postdoc-fellowship"
GENERAL = "general"


def enquiry_topics(content: Content, today: date) -> list[tuple[str, str]]:
    """The positions open today, then the fellowship and general routes: (value, title) pairs."""
    return [*((p.slug, p.title) for p in content.open_positions(today)), *other_topics()]


def other_topics() -> list[tuple[str, str]]:
    """The topics that are not a position, open whatever the date."""
    return [
        (FELLOWSHIP, str(_l("Post-doc with an external fellowship"))),
        (GENERAL, str(_l("General enquiry"))),
    ]


def topic_title(content: Content, slug: str, fallback: str) -> str:
    """The title of a topic in the content's language; `fallback` once a position is gone."""
    position = content.position(slug)
    if position is not None:
        return position.title
    return dict(other_topics()).get(slug, fallback)
