"""Domain code: the group's identity and its positions, loaded from content files."""

from openpositions.content.loader import (
    ContentError,
    Problem,
    load_content,
    placeholder_warnings,
)
from openpositions.content.models import Category, Content, Position, Site
from openpositions.content.store import ContentStore, current_content

__all__ = [
    "Category",
    "Content",
    "ContentError",
    "ContentStore",
    "Position",
    "Problem",
    "Site",
    "current_content",
    "load_content",
    "placeholder_warnings",
]
