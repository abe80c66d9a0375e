"""What every mail of the alerts shares: a Message-ID that is the same on each attempt, one
connection to the relay for many mails, and what the relay's refusals mean.
"""

import hashlib
import hmac
import logging
import smtplib
from email.message import EmailMessage
from types import TracebackType

from flask import current_app

from openpositions.mail.composing import site_sender
from openpositions.mail.refusals import describe, permanent
from openpositions.mail.transport import (
    MessageTooLarge,
    TimeoutConnection,
    announced_size_limit,
    connect,
    transfer,
)

log = logging.getLogger(__name__)


def message_id(kind: str, *parts: object, domain: str | None = None) -> str:
    """A Message-ID for one mail, the same on every attempt, that tells nothing of the site's
    subscriptions (how many, which number this is): a keyed hash of `parts`. Under `domain`,
    by default the site sender's."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    text = "/".join(str(part) for part in (kind, *parts)).encode()
    digest = hmac.new(secret, text, hashlib.sha256).hexdigest()[:32]
    return f"<{kind}.{digest}@{domain or site_sender().domain}>"


def auto_generated(message: EmailMessage) -> None:
    """Mark a mail as sent by the site on its own (RFC 3834), so that autoresponders keep quiet."""
    message["Auto-Submitted"] = "auto-generated"


def refused_by_recipient(error: BaseException) -> bool:
    """Whether a permanent refusal concerns the recipient (its address or mailbox), rather than
    the site's sender or the message's size: only such a refusal suspends a subscription."""
    if isinstance(error, smtplib.SMTPSenderRefused | MessageTooLarge):
        return False
    return permanent(error)


class RelayDown(Exception):
    """The relay cannot be reached, or broke off: the mails left are for a later attempt."""


class RelaySession:
    """One connection to the relay for many mails, opened when first needed.

    A connection that has carried a mail is asked (NOOP) whether it still answers before it
    carries the next, and opened afresh if not: a relay may close it after any mail, and a
    mail must never be begun on a connection that is gone, where it could not tell whether the
    relay took it. Once the relay answered 250 to a mail, that mail counts as sent.
    """

    def __init__(self) -> None:
        self.connection: TimeoutConnection | None = None
        self.host: smtplib.SMTP | None = None
        self.carried = 0

    def __enter__(self) -> "RelaySession":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        """Send one message. RelayDown if the relay cannot take it now; the relay's own refusal
        (smtplib's errors, MessageTooLarge) as raised."""
        sender = message["From"].addresses[0].addr_spec
        recipients = [address.addr_spec for address in message["To"].addresses]
        data = message.as_bytes()
        host = self.ready_host()
        if host is None:
            return  # MAIL_SUPPRESS_SEND: nothing leaves the site.
        limit = announced_size_limit(host)
        if limit and len(data) > limit:
            raise MessageTooLarge(len(data), limit)
        try:
            transfer(host, sender, recipients, data)
        except smtplib.SMTPRecipientsRefused:
            raise  # This mail's recipient; the connection goes on (transfer reset it).
        except smtplib.SMTPResponseException as error:
            if error.smtp_code == 421:  # The relay is closing the connection: try later.
                self.drop()
                raise RelayDown(describe(error)) from error
            raise
        except OSError as error:  # smtplib's other errors too: a connection broken or silent.
            self.drop()
            raise RelayDown(describe(error)) from error
        self.carried += 1

    def ready_host(self) -> smtplib.SMTP | None:
        if self.connection is not None and self.carried and not self.still_answers():
            self.drop()
        if self.connection is None:
            connection = connect()
            try:
                connection.__enter__()
            except (smtplib.SMTPException, OSError) as error:
                raise RelayDown(describe(error)) from error
            self.connection, self.host, self.carried = connection, connection.host, 0
        return self.host

    def still_answers(self) -> bool:
        if self.host is None:
            return True
        try:
            code, _ = self.host.noop()
        except (smtplib.SMTPException, OSError):
            return False
        return code == 250

    def drop(self) -> None:
        """Close a connection that failed, sending nothing more on it."""
        if self.host is not None:
            self.host.close()
        self.connection = self.host = None

    def close(self) -> None:
        """Say QUIT; every mail was taken already, so an error now changes nothing."""
        if self.connection is None:
            return
        try:
            self.connection.__exit__(None, None, None)
        except (smtplib.SMTPException, OSError) as error:
            log.info("The relay's connection failed at its end (%s); every mail was taken", error)
            if self.host is not None:
                self.host.close()
        self.connection = self.host = None
