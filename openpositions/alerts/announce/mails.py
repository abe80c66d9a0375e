"""The alert: the new positions, each with its deadline and a link, in the subscriber's
language, as a list mail that can stop itself (RFC 2369, RFC 8058)."""

from dataclasses import dataclass
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage

from flask import render_template
from flask_babel import force_locale, format_date, gettext

from openpositions.alerts.links import manage_url, unsubscribe_url
from openpositions.alerts.mailing import auto_generated, message_id
from openpositions.content import Position, current_content
from openpositions.mail.composing import compose, site_sender
from openpositions.web.urls import absolute_url

# What RFC 8058 asks List-Unsubscribe-Post to say: a POST of this unsubscribes at once.
ONE_CLICK_POST = "List-Unsubscribe=One-Click"


@dataclass(frozen=True)
class Opening:
    """One new position as the alert names it."""

    title: str
    # The language of its text: English where it has no translation into the mail's.
    language: str
    category: str
    deadline: str
    url: str


def deadline_words(position: Position) -> str:
    if position.deadline is None:
        return str(gettext("Open until filled"))
    return str(gettext("Apply by %(date)s", date=format_date(position.deadline, "long")))


def opening(position: Position) -> Opening:
    category = current_content().site.category(position.category)
    return Opening(
        title=position.title,
        language=position.language,
        category=category.title if category else "",
        deadline=deadline_words(position),
        url=absolute_url("positions.detail", slug=position.slug),
    )


@dataclass(frozen=True)
class Alert:
    """What one alert mail says and to whom, read when it was claimed: a plain value, so that
    composing and sending it needs nothing more of the database."""

    mail_id: int
    subscription_id: int
    day: date
    language: str
    transport_email: str
    # The subscription's key, for the links to change the alerts and to unsubscribe.
    key: str
    positions: tuple[Position, ...]


def list_id(domain: str) -> str:
    """The alerts' List-Id (RFC 2919): a name, and a label under the site's own mail domain."""
    return f"Job alerts <alerts.{domain}>"


def alert_subject(openings: list[Opening]) -> str:
    if len(openings) == 1:
        return str(gettext("New position: %(title)s", title=openings[0].title))
    return str(
        gettext(
            "%(num)d new positions at the %(group)s",
            num=len(openings),
            group=current_content().site.group.name,
        )
    )


def alert_message(alert: Alert) -> EmailMessage:
    """The alert, in the subscriber's language.

    From the site's own address, with no Reply-To: the professor's address is in no alert.
    The header values are the site's own (its URL, a key it made), never anything typed.
    """
    with force_locale(alert.language):
        openings = [opening(position) for position in alert.positions]
        subject = alert_subject(openings)
        context = {
            "site": current_content().site,
            "positions": openings,
            "manage_url": manage_url(alert.key),
            "subject": subject,
        }
        domain = site_sender().domain
        message = compose(
            subject=subject,
            to=Address(addr_spec=alert.transport_email),
            text=render_template("alerts/email/alert.txt", **context),
            html=render_template("alerts/email/alert.html", **context),
            message_id=message_id("alert", alert.subscription_id, alert.day, domain=domain),
        )
        unsubscribe = unsubscribe_url(alert.key)
    auto_generated(message)
    message["List-Id"] = list_id(domain)
    # Written as they are: the policy would fold a long URL into encoded words, which mail
    # clients do not decode in List-Unsubscribe.
    message.set_raw("List-Unsubscribe", f"<{unsubscribe}>")
    message.set_raw("List-Unsubscribe-Post", ONE_CLICK_POST)
    return message
