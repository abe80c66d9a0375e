"""Absolute addresses for canonical links, the feed, structured data and mails."""

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def absolute_url(endpoint: str, **values: Any) -> str:
    """The public address of an endpoint: SITE_URL when configured, else the request's host.

    Outside a request (a mail composed by the queue) only SITE_URL can say where the site is:
    without it, the answer is "". Either way the address is in the current language (the
    mail's, under force_locale) unless `values` name another.
    """
    base: str = current_app.config["SITE_URL"].rstrip("/")
    if has_request_context():
        if base:
            return base + url_for(endpoint, **values)
        return url_for(endpoint, _external=True, **values)
    if not base:
        return ""
    values = dict(values)
    current_app.inject_url_defaults(endpoint, values)  # What url_for does within a request.
    site = urlsplit(base)
    adapter = current_app.url_map.bind(
        site.netloc, script_name=site.path or "/", url_scheme=site.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
