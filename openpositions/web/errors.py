"""Friendly error pages in the site's layout."""

import logging
import math
import time

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from openpositions.extensions import limiter
from openpositions.web.request_log import current_request_id

log = logging.getLogger(__name__)

# What each error means to a visitor, and what to do about it.
MESSAGES = {
    400: (
        _l("Something went wrong with what you sent"),
        _l("Go back, reload the page and try again."),
    ),
    404: (
        _l("Page not found"),
        _l(
            "If you typed the address, check that it is correct. If you followed a link, the "
            "page may have moved or the position may have been removed."
        ),
    ),
    405: (
        _l("This address does not accept that kind of request"),
        _l("Go back to the page you came from and use its links and buttons."),
    ),
    410: (_l("This page is gone"), _l("What was here has been removed for good.")),
    413: (
        _l("The file is too large"),
        _l(
            "The file you sent is larger than the form accepts. Choose a smaller PDF and send "
            "the form again."
        ),
    ),
    429: (
        _l("Too many requests"),
        _l("You have sent the form too often in a short time. Please try again later."),
    ),
    500: (
        _l("Sorry, something went wrong on our side"),
        _l("The problem has been recorded. Please try again in a few minutes."),
    ),
}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_http_error)
    app.register_error_handler(Exception, render_unexpected_error)


def render_http_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    heading, explanation = MESSAGES.get(code, (error.name, ""))
    page = render_template(
        "errors/error.html",
        code=code,
        heading=heading,
        explanation=explanation,
        retry_in_minutes=minutes_until_retry() if code == 429 else None,
        request_id=current_request_id() if code >= 500 else None,
    )
    return page, code


def minutes_until_retry() -> int | None:
    """Whole minutes until the rate limit that was hit lets this visitor send again."""
    limit = limiter.current_limit
    if limit is None:
        return None
    return max(1, math.ceil((limit.reset_at - time.time()) / 60))


def render_unexpected_error(error: Exception) -> tuple[str, int]:
    log.exception("Unhandled error")
    return render_http_error(InternalServerError())
