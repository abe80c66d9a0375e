"""Which of the professor's mails carries each document: as many as fit go with the enquiry's
own mail, the rest follow in mails of their own in the same thread, each within the relay's
size (MAIL_MAX_MESSAGE_SIZE, less the room the relays after it need)."""

from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app

from openpositions.enquiries.models import Enquiry, EnquiryDocument
from openpositions.mail.composing import (
    BASE64_LINE_INPUT,
    BASE64_LINE_OUTPUT,
    HEADROOM_FOR_LATER_HOPS,
)

# What one attachment adds beside its base64 lines: its MIME headers, with its name in UTF-8
# (RFC 2231, split in parts) and in ASCII.
PART_ALLOWANCE = 2 * 1024
# The text of a follow-up mail, its headers and MIME structure: a few lines naming the files.
FOLLOW_UP_ALLOWANCE = 16 * 1024


def encoded_size(size: int) -> int:
    """What a file of `size` bytes takes in a mail, as base64 in lines of 76 and CRLF."""
    return -(-size // BASE64_LINE_INPUT) * BASE64_LINE_OUTPUT


def room_in_a_mail() -> int:
    """The most one mail may take, leaving the relays after ours room for their headers."""
    return int(current_app.config["MAIL_MAX_MESSAGE_SIZE"]) - HEADROOM_FOR_LATER_HOPS


@dataclass(frozen=True)
class MailPlan:
    """Each document's mail (by document id): 1 is the enquiry's own, 2 and on follow it."""

    numbers: dict[int, int]
    # How many mails the enquiry's documents take as it came in; mails after these carry
    # documents the applicant added later.
    first_count: int

    def mail_of(self, document: EnquiryDocument) -> int:
        return self.numbers[document.id]

    def documents_in(self, enquiry: Enquiry, number: int) -> list[EnquiryDocument]:
        return [d for d in enquiry.documents if self.numbers.get(d.id) == number]

    @property
    def last(self) -> int:
        return max(self.numbers.values(), default=1)


def plan_mails(enquiry: Enquiry, first_mail_text_size: int) -> MailPlan:
    """The mails of an enquiry's documents: as stored where planned already; the others in new
    mails after those, in the order they came, each mail filled before the next begins.

    `first_mail_text_size` is what the enquiry's own mail takes without attachments.
    """
    documents = list(enquiry.documents)
    numbers = {d.id: d.mail_number for d in documents if d.mail_number is not None}
    unplanned = [d for d in documents if d.mail_number is None]
    if unplanned:
        start = max(numbers.values(), default=0) + 1
        numbers.update(pack(unplanned, start, first_mail_text_size))
    first_count = max((numbers[d.id] for d in documents if not d.added_later), default=1)
    return MailPlan(numbers, first_count)


def pack(
    documents: Sequence[EnquiryDocument], start: int, first_mail_text_size: int
) -> dict[int, int]:
    """Mail numbers from `start` on for `documents`, in order: a mail takes the next document
    while it fits, else the next mail begins. Every document fits a mail of its own: the form
    takes none larger (largest_attachment)."""
    room = room_in_a_mail()
    text = first_mail_text_size if start == 1 else FOLLOW_UP_ALLOWANCE
    numbers: dict[int, int] = {}
    number, used = start, text
    for document in documents:
        cost = encoded_size(document.size) + PART_ALLOWANCE
        # A follow-up that carries nothing yet takes it whatever its size: it fits alone.
        carries_nothing = number > 1 and used == text
        if used + cost > room and not carries_nothing:
            number, used = number + 1, FOLLOW_UP_ALLOWANCE
            text = FOLLOW_UP_ALLOWANCE
        numbers[document.id] = number
        used += cost
    return numbers
