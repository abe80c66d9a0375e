"""Pages that depend only on content, language and date, rendered once and served from memory."""

import hashlib
from collections.abc import Callable

from flask import Response, current_app, request
from flask_babel import get_locale

from openpositions.content import current_content, current_day

MAX_ENTRIES = 512


def cached_page(
    render: Callable[[], str], mimetype: str = "text/html", status: int = 200
) -> Response:
    """Answer with the page render() makes, rendered once per content version, language and day.

    The response carries a strong ETag and Cache-Control, and a matching If-None-Match gets a 304.
    """
    cache: dict[tuple[str, ...], tuple[bytes, str]] = current_app.extensions.setdefault(
        "openpositions.web.page_cache", {}
    )
    # The path, not the query string: ?utm_source=... must neither miss nor flush the cache.
    # The host only matters where absolute links are taken from the request (no SITE_URL).
    key = (
        current_app.config["SITE_URL"] or request.host_url,
        request.path,
        str(get_locale()),
        current_content().version,
        # What is open depends on the date: yesterday's page must not be served after midnight.
        current_day().isoformat(),
    )
    entry = cache.get(key)
    if entry is None:
        body = render().encode("utf-8")
        entry = (body, hashlib.sha256(body).hexdigest()[:32])
        if len(cache) >= MAX_ENTRIES:
            cache.clear()  # Only reached by many distinct URLs: start afresh rather than grow.
        cache[key] = entry
    body, etag = entry
    response = current_app.response_class(body, status=status, mimetype=mimetype)
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["PAGE_MAX_AGE"]
    response.vary.update(("Accept-Language", "Cookie"))
    response.make_conditional(request)
    return response
