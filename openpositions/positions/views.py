"""Web views of the positions: list, detail, feed, and the old addresses."""

from typing import Any

from babel.lists import format_list
from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from openpositions.content import current_content, current_day
from openpositions.content.applying import call_to_action, channel_sentence, document_label
from openpositions.content.deadlines import closing_soon_notice
from openpositions.content.entities import Question
from openpositions.content.how_to_apply import CHOICE
from openpositions.content.pay import format_pay
from openpositions.content.topics import FELLOWSHIP, topic_title
from openpositions.i18n import route_in_each_language
from openpositions.positions.structured_data import job_posting
from openpositions.web.page_cache import cached_page, public

bp = Blueprint("positions", __name__)

# How each schema.org employmentType reads on the page, where structured data must be visible.
EMPLOYMENT_TYPES = {
    "FULL_TIME": _l("Full-time employment"),
    "PART_TIME": _l("Part-time employment"),
    "CONTRACTOR": _l("Contract work"),
    "TEMPORARY": _l("Fixed-term employment"),
    "INTERN": _l("Internship"),
    "OTHER": _l("Other"),
}
# What each kind of question asks for, as the position's page lists them (a choice names its own).
ANSWERS = {
    "text": _l("in your own words"),
    "date": _l("a date"),
    "yes-no": _l("yes or no"),
}


def answer_wanted(question: Question) -> str:
    """ "a date", "yes or no", "one of A, B, or C": what a question of the form asks for."""
    if question.type == CHOICE:
        labels = [choice.label for choice in question.choices]
        choices = format_list(labels, style="or", locale=get_locale())
        return str(gettext("one of %(choices)s", choices=choices))
    return str(ANSWERS[question.type])


def how_to_apply_wording() -> dict[str, Any]:
    """What the list and a position's page say about applying, in the page's language."""
    return {
        "call_to_action": call_to_action,
        "channel_sentence": channel_sentence,
        "document_label": document_label,
        "format_pay": format_pay,
        "answer_wanted": answer_wanted,
    }


@route_in_each_language(bp, "/")
@route_in_each_language(bp, "/openpositions.html")
def old_address() -> Response:
    # The home page's address: kept at the edge like the page it leads to.
    return public(redirect(url_for("positions.index"), code=301))


@route_in_each_language(bp, "/openpositions")
def index() -> Response:
    def render() -> str:
        content = current_content()
        return render_template(
            "positions/index.html",
            content=content,
            site=content.site,
            today=current_day(),
            closing_soon_notice=closing_soon_notice,
            FELLOWSHIP=FELLOWSHIP,
            fellowship_title=topic_title(content, FELLOWSHIP, ""),
            **how_to_apply_wording(),
        )

    return cached_page(render)


@route_in_each_language(bp, "/openpositions/<slug>")
def detail(slug: str) -> Response:
    content = current_content()
    position = content.position(slug)
    if position is None:
        abort(404)
    today = current_day()
    is_open = position.is_open_on(today)

    def render() -> str:
        assert position is not None  # Checked above; mypy does not carry it into here.
        timezone = current_app.config["TIMEZONE"]
        return render_template(
            "positions/detail.html" if is_open else "positions/closed.html",
            position=position,
            site=content.site,
            category=content.site.category(position.category),
            structured_data=job_posting(position, content.site, timezone) if is_open else None,
            employment_types=EMPLOYMENT_TYPES,
            today=today,
            closing_soon_notice=closing_soon_notice,
            **how_to_apply_wording(),
        )

    return cached_page(render, status=200 if is_open else 410)


@route_in_each_language(bp, "/openpositions.atom")
def feed() -> Response:
    def render() -> str:
        content = current_content()
        return render_template(
            "positions/feed.xml", positions=content.open_positions(current_day()), site=content.site
        )

    return cached_page(render, mimetype="application/atom+xml")
