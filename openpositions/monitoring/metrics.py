"""/metrics: the features' figures in Prometheus' text format, for the operator's monitoring.

Answered to clients on this machine (the loopback address, after ProxyFix has put the real
client's address there), or, with METRICS_TOKEN set, only to a request bearing that token.
Anyone else gets the site's ordinary 404, as for an address that does not exist: the figures
are not public, and a refusal of another kind would tell a scanner that there is something here.
"""

import hmac
import ipaddress
import logging
from collections.abc import Iterable

from flask import Blueprint, Flask, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from openpositions.extensions import db, limiter
from openpositions.monitoring.mail_relay import MailRelayCollector
from openpositions.web.security import talisman

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)
REGISTRY_KEY = "openpositions.metrics"


def init_app(app: Flask, collectors: Iterable[Collector]) -> None:
    """Serve /metrics with what `collectors` read (each feature brings its own), and the relay."""
    # The app's own registry, not prometheus_client's global one: that one would also carry
    # this process's own figures (memory, CPU), which differ for each worker that answers.
    registry = CollectorRegistry()
    for collector in collectors:
        registry.register(collector)
    registry.register(MailRelayCollector(app))
    app.extensions[REGISTRY_KEY] = registry
    app.register_blueprint(bp)


def metrics_registry(app: Flask) -> CollectorRegistry:
    registry: CollectorRegistry = app.extensions[REGISTRY_KEY]
    return registry


# Prometheus scrapes gunicorn directly over plain HTTP, often: no redirect, no rate limit.
@bp.get("/metrics")
@talisman(force_https=False)
@limiter.exempt
def metrics() -> Response:
    refusal = refusal_reason()
    if refusal is not None:
        log.info("Metrics refused to %s: %s", request.remote_addr, refusal)
        abort(404)
    try:
        body = generate_latest(metrics_registry(current_app))
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("Metrics unavailable: the database cannot be read", exc_info=True)
        # A failed scrape, rather than figures that are missing or wrong.
        return no_store(Response("database unreachable\n", 503, mimetype="text/plain"))
    return no_store(Response(body, 200, content_type=CONTENT_TYPE_LATEST))


def refusal_reason() -> str | None:
    """Why this request may not see the figures; None if it may."""
    token = str(current_app.config["METRICS_TOKEN"] or "")
    if token:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return "no bearer token"
        # In constant time, so that the answer's timing gives away nothing of the token.
        if not hmac.compare_digest(credentials.strip().encode(), token.encode()):
            return "wrong bearer token"
        return None
    if not is_loopback(request.remote_addr):
        return "not a loopback client, and METRICS_TOKEN is not set"
    return None


def is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    # An IPv4 client on a dual-stack socket arrives as ::ffff:127.0.0.1.
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def no_store(response: Response) -> Response:
    response.cache_control.no_store = True
    return response
