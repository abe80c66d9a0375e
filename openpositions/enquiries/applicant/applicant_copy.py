"""Everything stored about an enquiry, as the applicant may see and take it (GDPR Art. 15, 20)."""

import base64
from datetime import datetime
from typing import Any

from openpositions.clock import in_group_timezone
from openpositions.content import Position
from openpositions.enquiries.asked import shown_answer, shown_document_label, stored_answers
from openpositions.enquiries.models import Enquiry


def stored_time(stored: datetime | None) -> str | None:
    """A stored time in ISO 8601 with the group's offset: 2026-12-01T10:04:00+01:00."""
    return in_group_timezone(stored).isoformat() if stored is not None else None


def applicant_copy(enquiry: Enquiry, position: Position | None) -> dict[str, Any]:
    """The enquiry as JSON data, with each document in base64: what the applicant gave, and its
    fate. Labels are in the language of `position` (the content the page is read in).

    The same facts as the private page shows. Left out is only what the site derives for its
    own work (the duplicate check's hash, the mail server's answers, retry times) and the
    link's secret.
    """
    return {
        "reference": enquiry.reference,
        "received_at": stored_time(enquiry.created_at),
        "name": enquiry.name,
        "email": enquiry.email,
        "position": {"slug": enquiry.position_slug, "title": enquiry.position_title},
        "message": enquiry.message,
        "language": enquiry.language,
        "answers": [
            {
                "key": answer.key,
                "question": shown.label,
                "answer": shown.text,
                "value": answer.value,
            }
            for answer in stored_answers(enquiry.answers)
            for shown in [shown_answer(answer, position)]
        ],
        "documents": [
            {
                "key": document.key,
                "label": shown_document_label(document.key, document.label, position),
                "file_name": document.filename,
                "size_bytes": document.size,
                "media_type": "application/pdf",
                "added_at": stored_time(document.added_at),
                "delivered_to_professor_at": stored_time(document.mail_sent_at),
                "content_base64": base64.b64encode(document.data).decode("ascii"),
            }
            for document in enquiry.documents
        ],
        "delivery": {
            "status": enquiry.status,
            "delivered_to_professor_at": stored_time(enquiry.notified_at),
            "receipt_sent_at": stored_time(enquiry.acknowledged_at),
        },
    }
