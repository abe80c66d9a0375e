"""Domain code: the group's identity and its positions, loaded from content files."""

from openpositions.content.entities import Category, Content, Position, Site
from openpositions.content.loader import load_content
from openpositions.content.problems import ContentError, Problem
from openpositions.content.store import ContentStore, current_content, current_day

__all__ = [
    "Category",
    "Content",
    "ContentError",
    "ContentStore",
    "Position",
    "Problem",
    "Site",
    "current_content",
    "current_day",
    "load_content",
]
