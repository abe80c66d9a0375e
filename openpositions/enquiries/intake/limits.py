"""How much one sender and one network may send, so that no one is refused for someone else's
enquiries.

Accepted enquiries are counted per sender address (ENQUIRY_RATE_LIMIT): on eduroam, behind a
university's NAT or a mobile carrier many candidates share one IP address, and one of them
sending five enquiries must not lock out the next. Every POST is counted per network
(ENQUIRY_FLOOD_LIMIT, far higher; web/networks.py) before anything of it is read, which stops
floods.
"""

import hashlib
import hmac
import logging
import math
import time

from flask import current_app
from limits import RateLimitItem, parse_many

from openpositions.extensions import limiter

log = logging.getLogger(__name__)
SENDER_SCOPE = "enquiry-sender"


def _sender_limits() -> list[RateLimitItem]:
    return parse_many(current_app.config["ENQUIRY_RATE_LIMIT"])


def _sender_key(email: str) -> str:
    """The sender's address as the limiter stores it: keyed and hashed, so that its storage
    (Redis, say) holds no applicant's address."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, email.strip().casefold().encode(), hashlib.sha256).hexdigest()
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}/{digest}"


def minutes_until_sender_may_send(email: str) -> int | None:
    """None when this address may send an enquiry now; else the whole minutes to wait.

    A limiter whose storage fails lets the enquiry through: the flood limit still holds, and
    refusing a candidate for the site's own fault would be worse.
    """
    if not limiter.enabled:
        return None
    key, strategy = _sender_key(email), limiter.limiter
    try:
        waits = [
            strategy.get_window_stats(item, key, SENDER_SCOPE).reset_time - time.time()
            for item in _sender_limits()
            if not strategy.test(item, key, SENDER_SCOPE)
        ]
    except Exception:
        log.exception("The sender's limit could not be read; the enquiry is let through")
        return None
    return max(1, math.ceil(max(waits) / 60)) if waits else None


def count_enquiry_from(email: str) -> None:
    """One more enquiry accepted from this address."""
    if not limiter.enabled:
        return
    try:
        for item in _sender_limits():
            limiter.limiter.hit(item, _sender_key(email), SENDER_SCOPE)
    except Exception:
        log.exception("An accepted enquiry could not be counted against its sender's limit")
