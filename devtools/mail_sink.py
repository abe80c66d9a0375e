"""A local mail sink for development: prints each message it receives, readably.

Run by `make run` as `python -m aiosmtpd -n -l 127.0.0.1:8025 -c devtools.mail_sink.PrintMail`.
"""

import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, TextIO

SHOWN_HEADERS = ("From", "To", "Reply-To", "Subject", "Message-ID", "Date")


class PrintMail:
    """aiosmtpd handler: headers, the plain-text body, and attachments by name and size."""

    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self.stream = stream

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.stream.write(describe(message, envelope.rcpt_tos))
        self.stream.flush()
        return "250 Message accepted for delivery"


def describe(message: EmailMessage, recipients: list[str]) -> str:
    lines = ["", "=" * 72, f"Mail for {', '.join(recipients)}"]
    lines += [f"{name}: {message[name]}" for name in SHOWN_HEADERS if message[name]]
    body = message.get_body(preferencelist=("plain",))
    lines += ["", body.get_content().rstrip() if body else "(no plain-text body)"]
    for part in message.iter_attachments():
        size = len(part.get_payload(decode=True) or b"")
        lines.append(f"[attachment {part.get_filename()} {part.get_content_type()}, {size} bytes]")
    lines.append("=" * 72)
    return "\n".join(lines) + "\n"
