"""Web views of the site's own pages: the privacy notice and the legal notice."""

from flask import Blueprint, render_template
from werkzeug.wrappers import Response

from openpositions.web.page_cache import cached_page

bp = Blueprint("pages", __name__)


@bp.get("/privacy")
def privacy() -> Response:
    return cached_page(lambda: render_template("pages/privacy.html"))


@bp.get("/legal-notice")
def legal_notice() -> Response:
    return cached_page(lambda: render_template("pages/legal_notice.html"))
