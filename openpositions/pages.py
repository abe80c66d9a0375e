"""Pages that are neither positions nor the form: the privacy notice, the language switch."""

from flask import Blueprint, abort, current_app, redirect, render_template, request
from werkzeug.wrappers import Response

from openpositions.i18n import LANGUAGE_COOKIE
from openpositions.page_cache import cached_page

bp = Blueprint("pages", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.get("/privacy")
def privacy() -> Response:
    return cached_page(lambda: render_template("pages/privacy.html"))


@bp.get("/language/<code>")
def choose_language(code: str) -> Response:
    """Remember the visitor's language and go back to the page they were on."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    back = request.args.get("next", "")
    # Only a path on this site: never an open redirect to somewhere else.
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = "/openpositions"
    response = redirect(back, code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=ONE_YEAR,
        secure=current_app.config["HTTPS"],
        httponly=True,
        samesite="Lax",
    )
    return response
