"""Absolute addresses for canonical links, the feed and structured data."""

from typing import Any

from flask import current_app, url_for


def absolute_url(endpoint: str, **values: Any) -> str:
    """The public address of an endpoint: SITE_URL when configured, else the request's host."""
    base: str = current_app.config["SITE_URL"].rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
