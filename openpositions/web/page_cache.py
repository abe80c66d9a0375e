"""Pages that depend only on their address, the content and the date, rendered once and served
from memory.

Each language has its own addresses (see openpositions/i18n.py), so neither a cookie nor
Accept-Language changes what a page shows, and caches need no `Vary` on them.

They are the only answers marked public, which nginx's edge cache stores (see
deploy/nginx/openpositions.conf); every other answer is marked `no-store`.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from flask import Flask, Response, current_app, g, request
from werkzeug.wrappers import Response as BaseResponse

from openpositions.content import current_content, current_day

# The most the rendered pages may take in one worker's memory. Every public page of a group with
# a thousand positions, in both languages, takes a few MB; what passes this comes from many
# distinct addresses or hosts (without SITE_URL the host is part of the key), and empties it.
MAX_BYTES = 16 * 1024 * 1024


@dataclass
class RenderedPages:
    """The pages rendered so far in this worker, and how many bytes they take."""

    pages: dict[tuple[str, ...], tuple[bytes, str]] = field(default_factory=dict)
    size: int = 0

    def get(self, key: tuple[str, ...]) -> tuple[bytes, str] | None:
        return self.pages.get(key)

    def keep(self, key: tuple[str, ...], body: bytes, etag: str) -> None:
        if self.size + len(body) > MAX_BYTES:
            self.pages.clear()  # Start afresh rather than grow.
            self.size = 0
        self.pages[key] = (body, etag)
        self.size += len(body)


AnyResponse = TypeVar("AnyResponse", bound=BaseResponse)


def cached_page(
    render: Callable[[], str], mimetype: str = "text/html", status: int = 200
) -> Response:
    """Answer with the page render() makes, rendered once per address, content version and day.

    The response carries a strong ETag and Cache-Control, and a matching If-None-Match gets a 304.
    """
    cache: RenderedPages = current_app.extensions.setdefault(
        "openpositions.web.page_cache", RenderedPages()
    )
    # The path, which names the language too, not the query string: ?utm_source=... must
    # neither miss nor flush the cache. The host only matters where absolute links are taken
    # from the request (no SITE_URL).
    key = (
        current_app.config["SITE_URL"] or request.host_url,
        request.path,
        current_content().version,
        # What is open depends on the date: yesterday's page must not be served after midnight.
        current_day().isoformat(),
    )
    entry = cache.get(key)
    if entry is None:
        g.rendering_shared_page = True
        try:
            body = render().encode("utf-8")
        finally:
            g.rendering_shared_page = False
        entry = (body, hashlib.sha256(body).hexdigest()[:32])
        cache.keep(key, *entry)
    body, etag = entry
    response = current_app.response_class(body, status=status, mimetype=mimetype)
    response.set_etag(etag)
    public(response)
    response.make_conditional(request)
    return response


def rendering_shared_page() -> bool:
    """Whether the page being rendered is the one every query string of its address gets."""
    return bool(g.get("rendering_shared_page", False))


def public(response: AnyResponse) -> AnyResponse:
    """Let browsers and shared caches keep this answer for PAGE_MAX_AGE seconds."""
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["PAGE_MAX_AGE"]
    return response


def init_app(app: Flask) -> None:
    app.after_request(no_store_unless_public)


def no_store_unless_public(response: BaseResponse) -> BaseResponse:
    """Nothing is kept by a browser or a shared cache unless its view said it may be.

    The form and its confirmation carry a form token, what the visitor typed or an enquiry's
    reference; error pages and redirects answer one visitor's request. A new view is private
    until it is made public on purpose, and an answer that sets a cookie never is.
    """
    if not response.cache_control or response.headers.get("Set-Cookie"):
        response.cache_control.clear()
        response.cache_control.no_store = True
    return response
