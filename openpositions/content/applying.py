"""How applying for a position is worded: its call to action, the channel that counts, and
the name of each document it asks for.

The same words wherever the position is offered, so that a candidate never has to guess whether
the form is the application or the official posting is.
"""

from flask_babel import gettext

from openpositions.content.entities import CV, VIA_POSTING, Document, Position


def call_to_action(position: Position) -> str:
    """ "Apply for this position" where the form is the channel, "Ask about …" where it is not."""
    if position.apply.via == VIA_POSTING:
        return str(gettext("Ask about this position"))
    return str(gettext("Apply for this position"))


def channel_sentence(position: Position) -> str:
    """One sentence that names the channel that counts, and the official posting's reference."""
    reference = position.posting_reference
    if position.apply.via == VIA_POSTING:
        if reference:
            return str(
                gettext(
                    "Applications go through the official job posting (reference "
                    "%(reference)s); use the form for questions.",
                    reference=reference,
                )
            )
        return str(
            gettext("Applications go through the official job posting; use the form for questions.")
        )
    if not position.posting_url:
        return str(gettext("Apply through this site's form."))
    if reference:
        return str(
            gettext(
                "Apply through this site's form; the official posting (reference %(reference)s) "
                "describes the position.",
                reference=reference,
            )
        )
    return str(
        gettext("Apply through this site's form; the official posting describes the position.")
    )


def document_label(document: Document) -> str:
    """A document's name in the page's language: the position's own, or the site's for the CV
    asked for by default, whose file names no label."""
    return str(gettext("CV")) if document == CV else document.label
