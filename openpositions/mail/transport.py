"""Sending a composed mail through Flask-Mail's SMTP connection, as real relays behave."""

import logging
import smtplib
from email.message import EmailMessage
from typing import Any

from flask import current_app
from flask_mail import Connection

log = logging.getLogger(__name__)


class TimeoutConnection(Connection):
    """Flask-Mail's connection, opened with a socket timeout (MAIL_TIMEOUT).

    Flask-Mail opens its SMTP connection with no timeout and has no setting for one, so a relay
    that stops answering would hold a worker for ever. `configure_host` is the method its
    Connection opens the connection with; this one does the same, with a timeout. pyproject.toml
    pins Flask-Mail below 0.11, and tests/test_dependency_pins.py fails if its version or its
    own `configure_host` changes, so that this copy is looked at again.
    """

    def __init__(self, state: Any, timeout: float) -> None:
        # `state` is what Flask-Mail keeps in app.extensions["mail"]: what its own Mail.connect()
        # hands to Connection.
        super().__init__(state)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        settings = self.mail
        smtp_class = smtplib.SMTP_SSL if settings.use_ssl else smtplib.SMTP
        host = smtp_class(settings.server, settings.port, timeout=self.timeout)
        host.set_debuglevel(int(settings.debug))
        if settings.use_tls:
            host.starttls()
        if settings.username and settings.password:
            host.login(settings.username, settings.password)
        return host


def connect() -> TimeoutConnection:
    """A connection to the configured relay, for the current app, that gives up in MAIL_TIMEOUT."""
    return TimeoutConnection(
        current_app.extensions["mail"], timeout=current_app.config["MAIL_TIMEOUT"]
    )


class MessageTooLarge(Exception):
    """The relay announced a size limit this message exceeds: sending it again cannot help."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"the message is {size:,} bytes and the mail server takes at most {limit:,} "
            "(its SIZE); raise the server's limit or lower FLASK_MAIL_MAX_MESSAGE_SIZE"
        )


def send_message(message: EmailMessage) -> None:
    """Send one message; once the relay has answered 250 to its DATA, it counts as sent.

    An error after that (at QUIT, or a connection dropped) is logged, not raised: the relay
    has taken the mail, and sending it again would deliver a copy.
    """
    sender = message["From"].addresses[0].addr_spec
    recipients = [address.addr_spec for address in message["To"].addresses]
    data = message.as_bytes()  # In the policy it was composed with: CRLF, 7bit.
    taken = False
    try:
        with connect() as connection:
            host: smtplib.SMTP | None = connection.host
            if host is None:
                return  # MAIL_SUPPRESS_SEND: nothing leaves the site.
            limit = announced_size_limit(host)
            if limit and len(data) > limit:
                raise MessageTooLarge(len(data), limit)
            host.sendmail(sender, recipients, data)
            taken = True
    except (smtplib.SMTPException, OSError) as error:
        if not taken:
            raise
        log.warning(
            "Mail %s was taken by the mail server; the connection then failed (%s: %s)",
            message["Message-ID"], type(error).__name__, error,
        )  # fmt: skip


def announced_size_limit(host: smtplib.SMTP) -> int:
    """The SIZE the relay announced in its EHLO answer; 0 when it names none."""
    host.ehlo_or_helo_if_needed()
    announced = host.esmtp_features.get("size", "")
    return int(announced) if announced.strip().isdigit() else 0
