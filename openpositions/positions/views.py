"""Web views of the positions: list, detail, feed, and the old addresses."""

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from openpositions.content import current_content, current_day
from openpositions.content.deadlines import closing_soon_notice
from openpositions.content.topics import FELLOWSHIP
from openpositions.i18n import route_in_each_language
from openpositions.positions.structured_data import job_posting
from openpositions.web.page_cache import cached_page, public

bp = Blueprint("positions", __name__)

# How each schema.org employmentType reads on the page, where structured data must be visible.
EMPLOYMENT_TYPES = {
    "FULL_TIME": _l("Full-time employment"),
    "PART_TIME": _l("Part-time employment"),
    "CONTRACTOR": _l("Contract work"),
    "TEMPORARY": _l("Fixed-term employment"),
    "INTERN": _l("Internship"),
    "OTHER": _l("Other"),
}


@route_in_each_language(bp, "/")
@route_in_each_language(bp, "/openpositions.html")
def old_address() -> Response:
    # The home page's address: kept at the edge like the page it leads to.
    return public(redirect(url_for("positions.index"), code=301))


@route_in_each_language(bp, "/openpositions")
def index() -> Response:
    def render() -> str:
        content = current_content()
        return render_template(
            "positions/index.html",
            content=content,
            site=content.site,
            today=current_day(),
            closing_soon_notice=closing_soon_notice,
            FELLOWSHIP=FELLOWSHIP,
        )

    return cached_page(render)


@route_in_each_language(bp, "/openpositions/<slug>")
def detail(slug: str) -> Response:
    content = current_content()
    position = content.position(slug)
    if position is None:
        abort(404)
    today = current_day()
    is_open = position.is_open_on(today)

    def render() -> str:
        assert position is not None  # Checked above; mypy does not carry it into here.
        timezone = current_app.config["TIMEZONE"]
        return render_template(
            "positions/detail.html" if is_open else "positions/closed.html",
            position=position,
            site=content.site,
            category=content.site.category(position.category),
            structured_data=job_posting(position, content.site, timezone) if is_open else None,
            employment_types=EMPLOYMENT_TYPES,
            today=today,
            closing_soon_notice=closing_soon_notice,
        )

    return cached_page(render, status=200 if is_open else 410)


@route_in_each_language(bp, "/openpositions.atom")
def feed() -> Response:
    def render() -> str:
        content = current_content()
        return render_template(
            "positions/feed.xml", positions=content.open_positions(current_day()), site=content.site
        )

    return cached_page(render, mimetype="application/atom+xml")
