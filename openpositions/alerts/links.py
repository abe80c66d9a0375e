"""The links in a subscription's mails, each carrying its key: confirm, manage, unsubscribe.

Absolute, from SITE_URL alone: the mails are composed by the queue, outside any request, and a
request's Host header is the client's to choose, so no mail may carry a link to a host someone
else named. Without SITE_URL the site offers no alerts (`alerts_offered`).
"""

from flask import current_app

from openpositions.web.urls import absolute_url


def alerts_offered() -> bool:
    """Whether the site can mail alerts: only SITE_URL says where their links lead."""
    return bool(current_app.config["SITE_URL"])


def confirm_url(key: str) -> str:
    """The page whose button confirms the subscription that `key` (its secret) opens."""
    return absolute_url("alerts.confirm", token=key)


def manage_url(key: str) -> str:
    return absolute_url("alerts.manage", token=key)


def unsubscribe_url(key: str) -> str:
    """Where RFC 8058's one-click POST goes, and a page with one button for a GET."""
    return absolute_url("alerts.unsubscribe", token=key)
