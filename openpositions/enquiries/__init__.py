"""The enquiry feature: the form that replaces the mailto: link."""

from openpositions.enquiries.views import bp

__all__ = ["bp"]
