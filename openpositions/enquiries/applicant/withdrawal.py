"""An applicant withdrawing their enquiry: deleted at once, and the professor told to delete too."""

import logging

from openpositions.enquiries.delivery.tasks import queue_withdrawal_notice
from openpositions.enquiries.models import Enquiry
from openpositions.extensions import db

log = logging.getLogger(__name__)


def withdraw(enquiry: Enquiry) -> bool:
    """Delete an enquiry and its CV for good; False if it was already gone.

    A delivery still queued then finds nothing and ends (attempt_delivery), and one under way
    stops at its next write (delivery.record). If the professor's mail had gone, or might be
    going right now, the professor is told, through the queue since the relay may be down,
    so that the copy in the mailbox can go too. The notice is queued only after the deletion
    is committed: it must never announce a withdrawal that did not happen.
    """
    removed = Enquiry.remove_withdrawn(enquiry.id)
    db.session.commit()
    if removed is None:
        return False
    log.info("Enquiry %s withdrawn by the applicant and deleted", removed.reference)
    if removed.professor_may_have_it:
        queue_withdrawal_notice(removed.reference)
    return True
