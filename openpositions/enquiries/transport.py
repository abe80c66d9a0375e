"""Flask-Mail, with a timeout so that a stalled mail server cannot hold a worker for ever."""

import smtplib

from flask import current_app
from flask_mail import Connection, Mail, _Mail


class TimeoutConnection(Connection):
    """Flask-Mail's connection, opened with a socket timeout (Flask-Mail sets none)."""

    def __init__(self, settings: _Mail, timeout: float) -> None:
        # Flask-Mail itself hands its _Mail state to Connection; its hint says Mail.
        super().__init__(settings)  # type: ignore[arg-type]
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


class Mailer(Mail):
    """Flask-Mail whose SMTP connections give up after MAIL_TIMEOUT seconds."""

    def connect(self) -> TimeoutConnection:
        settings = current_app.extensions["mail"]
        return TimeoutConnection(settings, timeout=current_app.config["MAIL_TIMEOUT"])
