"""Request ids and the site's log lines: each request's id is in its logs and its response."""

import logging
import re
import secrets

from flask import Flask, current_app, g, has_request_context, request
from werkzeug.wrappers import Response

REQUEST_ID_HEADER = "X-Request-ID"
ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def init_app(app: Flask) -> None:
    app.after_request(echo_request_id)
    configure_logging(app)


def current_request_id() -> str:
    """This request's id: a proxy's, when a proxy of ours gave a sane one, else a new one."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        trusted = current_app.config["TRUSTED_PROXIES"] and ACCEPTABLE_ID.fullmatch(incoming)
        g.request_id = incoming if trusted else secrets.token_hex(8)
    return str(g.request_id)


def echo_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = current_request_id()
    return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def configure_logging(app: Flask) -> None:
    """The site's own events, and the queue's warnings, on standard error with request ids."""
    logging.getLogger("openpositions").setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("huey").setLevel(logging.WARNING)  # Not a line for every task run.
    for name in ("openpositions", "huey"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RequestIdFilter) for h in logger.handlers for f in h.filters):
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            handler.addFilter(RequestIdFilter())
            logger.addHandler(handler)
