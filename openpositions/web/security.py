"""Security headers, cookies and the reverse proxy, configured in one place."""

from flask import Flask, g
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

talisman = Talisman()


def use_referrer_policy(policy: str) -> None:
    """Answer this request with `policy` as its Referrer-Policy instead of the site's own.

    Talisman sets one policy on every response and has no per-view setting for it; the
    applicant's private pages need a stricter one (same-origin).
    """
    g.referrer_policy = policy


def apply_view_referrer_policy(response: Response) -> Response:
    policy = g.get("referrer_policy")
    if policy:
        response.headers["Referrer-Policy"] = policy
    return response


# Everything the site loads is its own; nothing inline, nothing framed, no plugins.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
}

# Browser features the site never uses, turned off for it and anything it might embed.
PERMISSIONS_POLICY = {
    feature: "()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media",
        "fullscreen", "geolocation", "gyroscope", "magnetometer", "microphone", "midi",
        "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock",
        "usb", "xr-spatial-tracking", "interest-cohort",
    )
}  # fmt: skip


# Talisman's settings that leave out what the shipped nginx adds to every answer when
# EDGE_ADDS_SECURITY_HEADERS is on: the headers that are the same on every answer. The
# Referrer-Policy stays the site's: some pages send a stricter one.
LEFT_TO_THE_EDGE: dict[str, object] = {
    "content_security_policy": None,
    "permissions_policy": {},
    "frame_options": None,
    "x_content_type_options": False,
    "strict_transport_security": False,
}


def talisman_settings(https: bool, edge_adds_headers: bool) -> dict[str, object]:
    """Flask-Talisman's settings: what every response carries, and what HTTPS adds; without
    the headers the edge adds, when it does."""
    settings: dict[str, object] = {
        "force_https": https,
        "force_https_permanent": True,
        "strict_transport_security": https,
        "strict_transport_security_include_subdomains": False,
        "session_cookie_secure": https,
        "session_cookie_http_only": True,
        "session_cookie_samesite": "Lax",
        "content_security_policy": CONTENT_SECURITY_POLICY,
        "permissions_policy": PERMISSIONS_POLICY,
        "feature_policy": {},
        "document_policy": {},
        "frame_options": "DENY",
        "referrer_policy": "strict-origin-when-cross-origin",
        "x_content_type_options": True,
        "x_xss_protection": False,
    }
    return {**settings, **LEFT_TO_THE_EDGE} if edge_adds_headers else settings


def init_app(app: Flask) -> None:
    """Headers on every response; HTTPS and Secure cookies when HTTPS is on."""
    https = bool(app.config["HTTPS"])
    app.config["SESSION_COOKIE_SECURE"] = https
    # Registered before Talisman's own, so that it runs after it: Flask runs the app's
    # after_request functions in the reverse order of their registration.
    app.after_request(apply_view_referrer_policy)
    edge_adds_headers = bool(app.config["EDGE_ADDS_SECURITY_HEADERS"])
    talisman.init_app(app, **talisman_settings(https, edge_adds_headers))
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        # Only as many X-Forwarded-* hops as there are proxies of our own are believed, so a
        # client cannot forge its address past the rate limit. Wrapping wsgi_app is how
        # Flask documents middleware; mypy sees it as assigning to a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
