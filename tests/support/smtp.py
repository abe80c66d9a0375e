"""A real SMTP server's handler that keeps what it received, and reading those mails."""

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from typing import Any, TypeVar

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)

    def shown(self, header: str) -> str:
        """A header as a mail client shows it: its raw bytes, RFC 2047 decoded.

        Not Python's parsed header: its address parser puts a space between two encoded words
        of one display name, where RFC 2047 (and mail clients) join them.
        """
        raw = message_from_bytes(self.raw, policy=policy.compat32)[header]
        return decoded_header(str(raw))


# Postfix's default message_size_limit: the relay the site is configured for by default.
RELAY_MESSAGE_SIZE_LIMIT = 10_240_000


def _set_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


@dataclass
class SmtpSink:
    """An aiosmtpd handler that behaves as a test sets it: accept; refuse the message or one
    recipient with a code; or take the message with 250 and then drop the connection.

    aiosmtpd itself refuses lines over 1,000 bytes ("500 Line too long"), as RFC 5321 allows.
    """

    port: int = 0
    received: list[Received] = field(default_factory=list)
    reply: str = "250 OK"
    delay: float = 0.0
    refused_recipients: dict[str, str] = field(default_factory=dict)
    drop_after_data: bool = False
    arrived: threading.Condition = field(default_factory=threading.Condition)
    # Set once a message's DATA has come in, before the answer (and any delay) goes back.
    taking_data: threading.Event = field(default_factory=threading.Event)
    # Set: messages are answered. A test clears it to hold each answer (once taking_data is
    # set) until it sets it again: the relay is mid-send for as long as the test needs.
    answering: threading.Event = field(default_factory=_set_event)

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused_recipients:
            return self.refused_recipients[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.taking_data.set()
        while not self.answering.is_set():
            await asyncio.sleep(0.01)  # Held by the test; the server's loop stays free.
        if self.delay:
            # A slow relay, for bench/enquiry.py: there the time it takes is the point.
            await asyncio.sleep(self.delay)
        if self.reply.startswith("250"):
            with self.arrived:
                self.received.append(
                    Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
                )
                self.arrived.notify_all()
            if self.drop_after_data:
                # The 250 goes out first; then the connection breaks before QUIT.
                asyncio.get_running_loop().call_soon(server.transport.close)
        return self.reply

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        """Wait until `count` messages have arrived; fail the test if they do not."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                pytest.fail(f"expected {count} mails, {len(self.received)} arrived in {timeout}s")
        return list(self.received)

    def reset(self) -> None:
        with self.arrived:
            self.received.clear()
        self.taking_data.clear()
        self.answering.set()
        self.reply = "250 OK"
        self.delay = 0.0
        self.refused_recipients = {}
        self.drop_after_data = False


def body_text(message: EmailMessage, subtype: str) -> str:
    """The decoded text of the message's text/`subtype` part ("plain" or "html"), which it has."""
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} body"
    text = part.get_content()
    assert isinstance(text, str)
    return text


def decoded_header(value: str) -> str:
    """A header (RFC 2047 encoded words and all) as a mail client shows it."""
    return str(make_header(decode_header(value)))


Sink = TypeVar("Sink", bound=SmtpSink)


@contextmanager
def serving(sink: Sink, data_size_limit: int = RELAY_MESSAGE_SIZE_LIMIT) -> Iterator[Sink]:
    """`sink` answering as a real SMTP server (aiosmtpd) on 127.0.0.1:sink.port, until the block
    ends; by default with Postfix's message size limit."""
    controller = Controller(
        sink, hostname="127.0.0.1", port=sink.port, data_size_limit=data_size_limit
    )
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
