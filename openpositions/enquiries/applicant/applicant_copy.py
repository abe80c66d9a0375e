"""Everything stored about an enquiry, as the applicant may see and take it (GDPR Art. 15, 20)."""

import base64
from datetime import datetime
from typing import Any

from openpositions.clock import in_group_timezone
from openpositions.enquiries.models import Enquiry


def stored_time(stored: datetime | None) -> str | None:
    """A stored time in ISO 8601 with the group's offset: 2026-12-01T10:04:00+01:00."""
    return in_group_timezone(stored).isoformat() if stored is not None else None


def applicant_copy(enquiry: Enquiry) -> dict[str, Any]:
    """The enquiry as JSON data, with the CV in base64: what the applicant gave, and its fate.

    The same facts as the private page shows. Left out is only what the site derives for its
    own work (the duplicate check's hash, the mail server's answers, retry times) and the
    link's secret.
    """
    cv = None
    if enquiry.cv_data:
        cv = {
            "file_name": enquiry.cv_filename,
            "size_bytes": enquiry.cv_size,
            "media_type": "application/pdf",
            "content_base64": base64.b64encode(enquiry.cv_data).decode("ascii"),
        }
    return {
        "reference": enquiry.reference,
        "received_at": stored_time(enquiry.created_at),
        "name": enquiry.name,
        "email": enquiry.email,
        "position": {"slug": enquiry.position_slug, "title": enquiry.position_title},
        "message": enquiry.message,
        "language": enquiry.language,
        "cv": cv,
        "delivery": {
            "status": enquiry.status,
            "delivered_to_professor_at": stored_time(enquiry.notified_at),
            "receipt_sent_at": stored_time(enquiry.acknowledged_at),
        },
    }
