"""The positions feature: the list of openings, one page per position, the feed."""

from openpositions.positions.views import bp

__all__ = ["bp"]
