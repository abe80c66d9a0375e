"""Where the site needs more than a dependency's public API, a release that changes it fails here.

Each case is also pinned in pyproject.toml; when one of these fails after an upgrade, read the
new code of the dependency, mend the site's copy or override, then update the pin and this test.
"""

import hashlib
import inspect
import signal
import threading

import flask_mail
from flask import Flask
from huey import MemoryHuey
from huey.consumer import Consumer

from openpositions.mail.transport import TimeoutConnection, connect
from openpositions.queue.consumer import InProcessConsumer
from tests.support.smtp import SmtpSink

# The source of Flask-Mail 0.10's Connection.configure_host, which TimeoutConnection copies.
FLASK_MAIL_CONFIGURE_HOST = "93cc14cfe5b7cfc65fd78422b8037a85062016dce41cd7dc7be7e636c7ffa914"


def test_flask_mail_opens_its_connection_as_the_timeout_connection_copies() -> None:
    source = inspect.getsource(flask_mail.Connection.configure_host)
    assert hashlib.sha256(source.encode()).hexdigest() == FLASK_MAIL_CONFIGURE_HOST, (
        "Flask-Mail's Connection.configure_host changed: compare it with "
        "TimeoutConnection.configure_host in openpositions/mail/transport.py"
    )
    assert TimeoutConnection.configure_host is not flask_mail.Connection.configure_host


def test_huey_still_installs_signal_handlers_through_the_overridden_method() -> None:
    assert "_set_signal_handlers" in vars(Consumer), "Huey's Consumer no longer has the method"
    assert "self._set_signal_handlers()" in inspect.getsource(Consumer.start)


def test_the_in_process_consumer_leaves_the_servers_signal_handlers_alone() -> None:
    def servers_own(signum: int, frame: object) -> None:
        pass

    before = signal.signal(signal.SIGTERM, servers_own)
    consumer = InProcessConsumer(MemoryHuey("pins"), workers=1, worker_type="thread")
    try:
        consumer.start()
        assert signal.getsignal(signal.SIGTERM) is servers_own
    finally:
        consumer.stop(graceful=True)
        signal.signal(signal.SIGTERM, before)


def test_the_in_process_consumer_starts_from_a_thread_that_is_not_the_main_one() -> None:
    # Signal handlers can only be set from the main thread: Huey's own start() fails elsewhere.
    errors: list[BaseException] = []
    consumer = InProcessConsumer(MemoryHuey("pins"), workers=1, worker_type="thread")

    def start() -> None:
        try:
            consumer.start()
        except BaseException as error:  # Reported by the assertion below.
            errors.append(error)

    thread = threading.Thread(target=start)
    thread.start()
    thread.join()
    consumer.stop(graceful=True)
    assert errors == []


def test_timeout_connection_opens_with_the_configured_timeout(app: Flask, smtp: SmtpSink) -> None:
    with app.app_context():
        app.config["MAIL_TIMEOUT"] = 7
        with connect() as connection:
            assert connection.host is not None
            assert connection.host.timeout == 7
