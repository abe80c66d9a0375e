"""Which language a request is answered in, and the switch that lets a visitor choose it."""

from flask import Blueprint, abort, current_app, has_request_context, redirect, request
from werkzeug.wrappers import Response

LANGUAGE_COOKIE = "lang"
ONE_YEAR = 365 * 24 * 3600

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The visitor's explicit choice, else the browser's preference, else the default."""
    offered: list[str] = current_app.config["LANGUAGES"]
    if not has_request_context():
        return offered[0]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in offered:
        return str(chosen)
    return request.accept_languages.best_match(offered) or offered[0]


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
