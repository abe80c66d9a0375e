"""Sending a composed mail through Flask-Mail's SMTP connection, as real relays behave."""

import contextlib
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

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        # After an error the connection may be gone or mid-reply: a QUIT would only add an
        # error of its own ("please run connect() first") in place of the one that happened.
        if exc_type is not None and self.host is not None:
            self.host.close()
            return
        super().__exit__(exc_type, exc_value, traceback)

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        settings = self.mail
        smtp_class = smtplib.SMTP_SSL if settings.use_ssl else smtplib.SMTP
        host = smtp_class(settings.server, settings.port, timeout=self.timeout)
        host.set_debuglevel(int(settings.debug))
        try:
            if settings.use_tls:
                host.starttls()
            if settings.username and settings.password:
                host.login(settings.username, settings.password)
        except BaseException:
            host.close()  # A refused STARTTLS or login leaves no socket open behind it.
            raise
        return host


def connect() -> TimeoutConnection:
    """A connection to the configured relay that gives up on a reply after MAIL_TIMEOUT."""
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
            transfer(host, sender, recipients, data)
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


class NoAnswerToMessage(smtplib.SMTPException):
    """The relay took the message's data but gave no answer to it in MAIL_DATA_TIMEOUT."""


def transfer(host: smtplib.SMTP, sender: str, recipients: list[str], data: bytes) -> None:
    """What smtplib's sendmail does, with a long wait for the answer to the message alone.

    Each command gets an answer within MAIL_TIMEOUT, or the relay counts as down. The answer to
    the message itself may take a relay minutes (it scans it, or hands it on first): RFC 5321
    (4.5.3.2.6) gives it 10, MAIL_DATA_TIMEOUT. Giving up sooner, and sending again, would
    deliver the mail twice.
    """
    options = [f"SIZE={len(data)}"] if host.does_esmtp and host.has_extn("size") else []
    code, reply = host.mail(sender, options)
    if code != 250:
        reset(host)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused = {}
    for recipient in recipients:
        code, reply = host.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, reply)
    if refused:
        # Every mail of the site has one recipient: one refusal is the whole mail's.
        reset(host)
        raise smtplib.SMTPRecipientsRefused(refused)
    data_timeout = float(current_app.config["MAIL_DATA_TIMEOUT"])
    if host.sock is None:
        raise smtplib.SMTPServerDisconnected("the mail server closed the connection")
    host.sock.settimeout(data_timeout)
    try:
        code, reply = host.data(data)
    except (TimeoutError, smtplib.SMTPServerDisconnected) as error:
        if not timed_out(error):
            raise
        raise NoAnswerToMessage(
            f"the mail server took the message but gave no answer to it within "
            f"{data_timeout:g} s (FLASK_MAIL_DATA_TIMEOUT)"
        ) from error
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)
    if host.sock is not None:
        # What follows (QUIT) is a command like any other: MAIL_TIMEOUT again.
        host.sock.settimeout(float(current_app.config["MAIL_TIMEOUT"]))


def reset(host: smtplib.SMTP) -> None:
    """Abandon the mail begun, as smtplib does: a relay that hung up meanwhile is no news."""
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        host.rset()


def timed_out(error: BaseException) -> bool:
    """Whether an SMTP error is a reply that did not come in time.

    smtplib reports a read that timed out as SMTPServerDisconnected ("Connection unexpectedly
    closed: timed out"), raised while handling the TimeoutError.
    """
    return isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError)
