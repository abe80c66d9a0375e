"""Health checks for load balancers and process managers: /healthz and /readyz."""

import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from openpositions.extensions import db, limiter
from openpositions.monitoring.mail_relay import relay_state
from openpositions.queue import current_queue
from openpositions.web.security import talisman

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


# Probes talk to the server directly, over plain HTTP, often: no redirect, no rate limit.
@bp.get("/healthz")
@talisman(force_https=False)
@limiter.exempt
def alive() -> Response:
    """The process answers."""
    return no_store(jsonify(status="ok"))


@bp.get("/readyz")
@talisman(force_https=False)
@limiter.exempt
def ready() -> tuple[Response, int]:
    """The database and the queue can be reached; 503 naming what cannot.

    The mail relay is reported, but does not make the site unready: enquiries are still taken,
    stored and queued while it is down, and delivered once it is back (retried for a day). The
    relay is shared by every instance, so a balancer that took unready ones out would take out
    them all, pages and form included, for a fault that only delays mail.
    """
    relay = {"mail_relay": relay_state()}
    problems = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as error:  # Any failure means not ready; the reason goes to the caller.
        db.session.rollback()
        problems["database"] = f"unreachable ({type(error).__name__})"
    try:
        current_queue().pending_count()
    except Exception as error:
        problems["queue"] = f"unreachable ({type(error).__name__})"
    if problems:
        log.warning("Not ready: %s", problems)
        return no_store(jsonify(status="unavailable", **problems, **relay)), 503
    return no_store(jsonify(status="ok", database="ok", queue="ok", **relay)), 200


def no_store(response: Response) -> Response:
    response.cache_control.no_store = True
    return response
