"""The mail that the form sends the address: a link to confirm (or, to an address subscribed
already, a link to change its alerts), in the language of the form's page."""

import logging
import smtplib
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from openpositions.alerts import totals
from openpositions.alerts.links import confirm_url, manage_url
from openpositions.alerts.mailing import auto_generated, message_id
from openpositions.alerts.models import CONFIRMED, Subscription
from openpositions.clock import utcnow
from openpositions.content import current_content
from openpositions.extensions import db
from openpositions.mail.composing import compose
from openpositions.mail.refusals import describe, permanent
from openpositions.mail.transport import MessageTooLarge, send_message

log = logging.getLogger(__name__)

# A confirmation mail the relay has not taken after this long is given up on: whoever asked
# can ask again (and an unconfirmed subscription is deleted after a week anyway).
GIVE_UP_AFTER = timedelta(days=1)


def category_titles(keys: list[str]) -> list[str]:
    """The titles of the categories `keys` names, in site.yaml's order, in the mail's language."""
    categories = current_content().site.categories
    return [category.title for category in categories if category.key in keys]


def confirmation_mail(subscription: Subscription) -> EmailMessage:
    """A pending subscription's mail: what was asked for, and the link to confirm it.

    Nothing the visitor typed but the address it goes to: otherwise anyone could send words of
    their choosing to any address through the site.
    """
    with force_locale(subscription.language):
        site = current_content().site
        context = {
            "site": site,
            "categories": category_titles(subscription.categories),
            "confirm_url": confirm_url(subscription.secret),
        }
        message = compose_to(
            subscription,
            subject=gettext("Confirm your job alerts from the %(group)s", group=site.group.name),
            text=render_template("alerts/email/confirm.txt", **context),
        )
    return message


def subscribed_already_mail(subscription: Subscription) -> EmailMessage:
    """The answer to the form for an address that is subscribed: its link, to change them."""
    with force_locale(subscription.language):
        site = current_content().site
        context = {
            "site": site,
            "categories": category_titles(subscription.categories),
            "manage_url": manage_url(subscription.secret),
        }
        message = compose_to(
            subscription,
            subject=gettext("Your job alerts from the %(group)s", group=site.group.name),
            text=render_template("alerts/email/subscribed_already.txt", **context),
        )
    return message


def compose_to(subscription: Subscription, *, subject: str, text: str) -> EmailMessage:
    message = compose(
        subject=subject,
        to=Address(addr_spec=subscription.transport_email),
        text=text,
        html=None,
        message_id=message_id(
            "alerts-confirmation",
            subscription.id,
            subscription.confirmations_day,
            subscription.confirmations_sent,
        ),
    )
    auto_generated(message)
    return message


def confirmation_lease() -> timedelta:
    """How long one attempt may hold the mail: longer than a send can take."""
    config = current_app.config
    return timedelta(seconds=config["MAIL_DATA_TIMEOUT"] + 3 * config["MAIL_TIMEOUT"])


def send_confirmation_mail(subscription_id: int) -> None:
    """Send the mail a subscription is due, once, if it is still due: retried by the check."""
    held = Subscription.hold_confirmation_mail(subscription_id, confirmation_lease())
    db.session.commit()
    subscription = db.session.get(Subscription, subscription_id) if held else None
    if held is None or subscription is None:
        return  # Sent, being sent by another worker, or unsubscribed meanwhile.
    if subscription.state == CONFIRMED:
        message = subscribed_already_mail(subscription)
    else:
        message = confirmation_mail(subscription)
    try:
        send_message(message)
    except (smtplib.SMTPException, OSError, MessageTooLarge) as error:
        if permanent(error) or subscription.asked_at < utcnow() - GIVE_UP_AFTER:
            Subscription.confirmation_mail_done(subscription_id, held)
            db.session.commit()
            log.warning("Alerts: a confirmation mail was given up on: %s", describe(error))
            return
        Subscription.confirmation_mail_later(subscription_id, held, utcnow())
        db.session.commit()
        log.warning("Alerts: a confirmation mail was not sent (%s); tried again", describe(error))
        return
    Subscription.confirmation_mail_done(subscription_id, held)
    totals.add_to_totals({totals.CONFIRMATIONS_SENT: 1})
    db.session.commit()
    log.info("Alerts: confirmation mail sent for subscription %d", subscription_id)
