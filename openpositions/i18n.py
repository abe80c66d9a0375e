"""Which language a request is answered in."""

from flask import current_app, has_request_context, request

LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    """The visitor's explicit choice, else the browser's preference, else the default."""
    offered = current_app.config["LANGUAGES"]
    if not has_request_context():
        return offered[0]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in offered:
        return chosen
    return request.accept_languages.best_match(offered) or offered[0]
