"""A real SMTP server's handler that keeps what it received, and reading those mails."""

import asyncio
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from typing import Any

import pytest


@dataclass
class Received:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SmtpSink:
    """An aiosmtpd handler whose answer a test can set: accept, or refuse with a code."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    reply: str = "250 OK"
    delay: float = 0.0
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply.startswith("250"):
            with self.arrived:
                self.received.append(
                    Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
                )
                self.arrived.notify_all()
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
        self.reply = "250 OK"
        self.delay = 0.0


def decoded_header(value: str) -> str:
    """A header (RFC 2047 encoded words and all) as a mail client shows it."""
    return str(make_header(decode_header(value)))
