"""Whether the mail relay would take mail now, checked without sending any.

The check connects as a delivery does (TLS and login as configured), asks NOOP and says QUIT.
It sees a relay that cannot be reached or does not answer, one that refuses connections (421 or
554 in its greeting), and one that refuses the site's login. It cannot see a refusal of one
recipient: only sending shows that, and a failed enquiry and the operator's alert report it.

Each process checks at most once per MAIL_RELAY_CHECK_INTERVAL, in a thread of its own, and
reports its last reading meanwhile: probes wait for the relay only until a process's first check
(FIRST_READING_WAIT at most), and however many come, the relay sees one check per process and
interval.
"""

import logging
import smtplib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask, current_app
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from openpositions.mail.transport import timed_out

log = logging.getLogger(__name__)

EXTENSION = "openpositions.mail_relay"
# Longest the check waits for each answer (and for the connection): a relay this slow to greet
# or to answer a NOOP would hold every delivery too.
CHECK_TIMEOUT = 5.0
# How long a probe waits for its process's first check, which a relay that answers at all
# finishes well within; past it, the probe answers without the relay's state.
FIRST_READING_WAIT = 2.0
OK = "ok"
# The first check in this process has not answered within FIRST_READING_WAIT.
CHECKING = "checking"


@dataclass(frozen=True)
class RelayReading:
    """One check: "ok", or what was wrong, in words for the operator."""

    state: str
    # time.monotonic() when it was taken.
    taken_at: float

    @property
    def up(self) -> bool:
        return self.state == OK


def check_relay(app: Flask) -> str:
    """Connect to the relay as a delivery would and send nothing; "ok" or what went wrong."""
    config = app.config
    relay = f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    timeout = min(CHECK_TIMEOUT, float(config["MAIL_TIMEOUT"]))
    mail = app.extensions["mail"]  # Flask-Mail's settings, which every delivery connects with.
    host = (smtplib.SMTP_SSL if mail.use_ssl else smtplib.SMTP)(timeout=timeout)
    try:
        # As a delivery connects (mail/transport.py), one step at a time, so that the socket is
        # closed whichever step fails.
        code, reply = host.connect(mail.server, mail.port)
        if code != 220:
            return f"refuses connections at {relay} ({code} {_text(reply)})"
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        code, reply = host.noop()
        if code != 250:
            return f"refuses commands at {relay} ({code} {_text(reply)})"
        host.quit()
    except smtplib.SMTPAuthenticationError as error:
        return f"refuses the login at {relay} ({error.smtp_code} {_text(error.smtp_error)})"
    except smtplib.SMTPResponseException as error:
        return f"refuses at {relay} ({error.smtp_code} {_text(error.smtp_error)})"
    except (smtplib.SMTPException, OSError) as error:
        if timed_out(error):
            return f"no answer from {relay} within {timeout:g} s"
        return f"unreachable at {relay} ({type(error).__name__}: {error})"
    finally:
        host.close()
    return OK


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


class RelayCheck:
    """The last reading of the relay in this process, taken anew in the background when stale."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.interval = float(app.config["MAIL_RELAY_CHECK_INTERVAL"])
        self.lock = threading.Lock()
        self.last: RelayReading | None = None
        self.checking = False
        self.first_taken = threading.Event()

    @property
    def enabled(self) -> bool:
        # With MAIL_SUPPRESS_SEND no mail leaves the site: there is no relay to check.
        return self.interval > 0 and not self.app.extensions["mail"].suppress

    def reading(self) -> RelayReading | None:
        """The last reading; starts a check if it is stale. The first is waited for, a little:
        so that every process answers with a figure, unless its relay is slower than that."""
        if not self.enabled:
            return None
        with self.lock:
            last = self.last
            stale = last is None or time.monotonic() - last.taken_at >= self.interval
            if stale and not self.checking:
                self.checking = True
                threading.Thread(target=self._check, name="mail-relay-check", daemon=True).start()
        if last is None:
            self.first_taken.wait(FIRST_READING_WAIT)
            return self.last
        return last

    def _check(self) -> None:
        try:
            state = check_relay(self.app)
        except Exception as error:  # A bug here must not end the checks for good.
            log.exception("Mail relay check failed")
            state = f"not checked ({type(error).__name__})"
        reading = RelayReading(state, time.monotonic())
        with self.lock:
            before, self.last, self.checking = self.last, reading, False
        self.first_taken.set()
        # Changes only: a relay down for a day would otherwise fill the log once a minute.
        if not reading.up and (before is None or before.state != reading.state):
            log.warning("Mail relay %s", reading.state)
        elif reading.up and before is not None and not before.up:
            log.info("Mail relay answers again")


def relay_state() -> str:
    """The relay as /readyz reports it: "ok", what is wrong, "checking", or "not checked"."""
    check: RelayCheck | None = current_app.extensions.get(EXTENSION)
    if check is None or not check.enabled:
        return "not checked"
    reading = check.reading()
    return CHECKING if reading is None else reading.state


class MailRelayCollector:
    """A prometheus_client collector: openpositions_mail_relay_up, from the last reading.

    Making it gives the app its relay check, which /readyz reads too.
    """

    def __init__(self, app: Flask) -> None:
        self.check = app.extensions.setdefault(EXTENSION, RelayCheck(app))

    def collect(self) -> Iterator[Metric]:
        reading = self.check.reading()
        if reading is None:
            return  # Not checked, or not yet: no figure rather than a wrong one.
        yield GaugeMetricFamily(
            "openpositions_mail_relay_up",
            "1 if the mail relay answered the last check (which sends nothing) as it would a "
            "delivery; 0 if it could not be reached, did not answer, or refused the connection "
            "or the login. Checked at most once per MAIL_RELAY_CHECK_INTERVAL in each process.",
            value=1 if reading.up else 0,
        )
