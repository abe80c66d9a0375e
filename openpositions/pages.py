"""Pages that are neither positions nor the form: the privacy notice."""

from flask import Blueprint, render_template

from openpositions.page_cache import cached_page

bp = Blueprint("pages", __name__)


@bp.get("/privacy")
def privacy():  # type: ignore[no-untyped-def]
    return cached_page(lambda: render_template("pages/privacy.html"))
