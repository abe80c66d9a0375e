"""Spam defences that need no third party: a honeypot and a minimum time to fill the form."""

import time

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

HONEYPOT_FIELD = "website"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="enquiry-form-started")


def form_started_token() -> str:
    """A signed record of when the form was shown."""
    return _serializer().dumps(int(time.time()))


def filled_too_fast(token: str | None) -> bool:
    """Whether the form came back sooner than a person could fill it (or without its token)."""
    minimum: float = current_app.config["ENQUIRY_MIN_SECONDS"]
    if not minimum:
        return False
    try:
        started = int(_serializer().loads(token or ""))
    except (BadSignature, TypeError, ValueError):
        return True
    return time.time() - started < minimum
