"""What a relay's refusal or a failed send means: for good or for now, and in words an operator
acts on."""

import smtplib

from flask import current_app

from openpositions.mail.transport import MessageTooLarge, NoAnswerToMessage, timed_out


def permanent(error: BaseException) -> bool:
    """Whether the relay refused for good (a 5xx answer, or a message over its SIZE)."""
    if isinstance(error, MessageTooLarge):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False


def describe(error: BaseException | None) -> str:
    """A one-line account of a sending error, for the record and the log."""
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {as_text(error.smtp_error)}"
    if isinstance(error, MessageTooLarge | NoAnswerToMessage):
        return str(error)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {as_text(text)}" for code, text in error.recipients.values())
    config = current_app.config
    relay = f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    # In words an operator acts on, with the exception's own for whoever digs further.
    if error is not None and timed_out(error):
        return (
            f"the mail server at {relay} did not answer within {config['MAIL_TIMEOUT']:g} s "
            "(FLASK_MAIL_TIMEOUT)"
        )
    if isinstance(error, ConnectionRefusedError):
        return (
            f"nothing takes connections at {relay} (connection refused): "
            "is the mail server running there?"
        )
    if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError):
        return (
            f"the mail server at {relay} closed the connection before the mail was taken "
            f"({type(error).__name__}: {error})"
        )
    return f"{type(error).__name__}: {error}"


def as_text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
