"""What search engines read: /sitemap.xml, every public page in each language, and /robots.txt.

Cached like the pages they list: they change with the content and the date only.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, current_app, render_template
from werkzeug.wrappers import Response

from openpositions.content import current_content, current_day
from openpositions.i18n import LANGUAGE, languages
from openpositions.web.page_cache import cached_page
from openpositions.web.urls import absolute_url

bp = Blueprint("crawlers", __name__)


@dataclass(frozen=True)
class SitemapPage:
    """One page: its address in each language (the first is also x-default), when it changed."""

    addresses: tuple[tuple[str, str], ...]
    last_modified: date | None = None


def sitemap_page(endpoint: str, last_modified: date | None = None, **values: Any) -> SitemapPage:
    addresses = tuple(
        (language, absolute_url(endpoint, **values, **{LANGUAGE: language}))
        for language in languages()
    )
    return SitemapPage(addresses, last_modified)


def public_pages() -> list[SitemapPage]:
    """The pages worth finding: the list, each open position, the form, the job alerts' form
    where the site offers them (with SITE_URL), the legal pages.

    Not the feed, nor a closed position (it answers 410), nor the form's confirmation.
    """
    openings = current_content().open_positions(current_day())
    newest = max((position.updated for position in openings), default=None)
    return [
        sitemap_page("positions.index", newest),
        *(
            sitemap_page("positions.detail", position.updated, slug=position.slug)
            for position in openings
        ),
        sitemap_page("enquiries.form"),
        # Only SITE_URL says where an alert's links lead: without it there are no alerts.
        *([sitemap_page("alerts.form")] if current_app.config["SITE_URL"] else []),
        sitemap_page("pages.privacy"),
        sitemap_page("pages.legal_notice"),
    ]


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    return cached_page(
        lambda: render_template("pages/sitemap.xml", pages=public_pages()),
        mimetype="application/xml",
    )


@bp.get("/robots.txt")
def robots() -> Response:
    return cached_page(
        lambda: render_template("pages/robots.txt", sitemap=absolute_url("crawlers.sitemap")),
        mimetype="text/plain",
    )
