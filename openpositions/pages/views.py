"""Web views of the site's own pages: the privacy notice and the legal notice."""

from flask import Blueprint, render_template
from werkzeug.wrappers import Response

from openpositions.i18n import route_in_each_language
from openpositions.web.page_cache import cached_page

bp = Blueprint("pages", __name__)


@route_in_each_language(bp, "/privacy")
def privacy() -> Response:
    return cached_page(lambda: render_template("pages/privacy.html"))


# German readers know it as the Impressum, and look for it at that address.
@route_in_each_language(bp, "/legal-notice", de="/impressum")
def legal_notice() -> Response:
    return cached_page(lambda: render_template("pages/legal_notice.html"))
