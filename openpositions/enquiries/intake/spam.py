"""Spam defences that need no third party: a honeypot, and a minimum time to fill the form.

The time counts from the first time this visitor was shown the form (kept in their session),
so a form shown again after a mistake, an expired token or a language switch, then sent at
once, is not taken for a bot's. Each stamp also carries a nonce that one accepted enquiry uses
up, so that one old stamp cannot serve many fast posts.
"""

import secrets
import time
from dataclasses import dataclass

from flask import current_app, session
from itsdangerous import BadSignature, URLSafeSerializer

HONEYPOT_FIELD = "website"
FIRST_SHOWN = "enquiry_form_first_shown"
# A visitor who comes back after this long is timed afresh.
FORGET_AFTER = 24 * 3600


@dataclass(frozen=True)
class FormStamp:
    """When this visitor was first shown the form, and the nonce of this showing."""

    shown_at: int
    nonce: str

    def filled_too_fast(self) -> bool:
        """Sent back sooner than a person could fill the form in."""
        minimum: float = current_app.config["ENQUIRY_MIN_SECONDS"]
        return time.time() - self.shown_at < minimum


def time_trap_on() -> bool:
    """ENQUIRY_MIN_SECONDS=0 turns the time trap off (for scripts and tests)."""
    return bool(current_app.config["ENQUIRY_MIN_SECONDS"])


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="enquiry-form-started")


def first_shown() -> int:
    """The first time this visitor was shown the form, remembered in their session."""
    now = int(time.time())
    shown = session.get(FIRST_SHOWN)
    if not isinstance(shown, int) or not now - FORGET_AFTER < shown <= now:
        shown = now
        session[FIRST_SHOWN] = shown
    return shown


def new_stamp(shown_at: int | None = None) -> str:
    """A signed stamp for a form about to be shown; `shown_at` carries an earlier showing on."""
    stamp = [shown_at if shown_at is not None else first_shown(), secrets.token_hex(16)]
    return _serializer().dumps(stamp)


def read_stamp(token: str | None) -> FormStamp | None:
    """The stamp a form came back with; None when it is missing or not ours."""
    try:
        shown_at, nonce = _serializer().loads(token or "")
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(shown_at, int) or not isinstance(nonce, str):
        return None
    return FormStamp(shown_at, nonce)
