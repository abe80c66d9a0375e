"""Positions from config/positions/<slug>.md, and their translations <slug>.<language>.md."""

from pathlib import Path

from openpositions.content.fields import Fields, Invalid, read_front_matter
from openpositions.content.markdown import plain_summary, render_markdown
from openpositions.content.models import EMPLOYMENT_TYPES, STATUSES, Position, Site
from openpositions.content.site import slug_field

OPEN_UNTIL_FILLED = "open-until-filled"
POSITION_FIELDS = {
    "title", "slug", "category", "status", "date_posted", "date_updated", "deadline", "start",
    "duration", "salary_grade", "employment_type", "working_time", "requirements",
    "what_to_send", "posting_url", "reference",
}  # fmt: skip
# What a translation may give; dates, status, addresses and the like stay in the English file.
TRANSLATABLE_FIELDS = {
    "title", "start", "duration", "salary_grade", "working_time", "requirements", "what_to_send",
}  # fmt: skip


def load_position(path: Path, site: Site | None) -> Position:
    """One position file: its front matter checked, its Markdown body rendered safe."""
    metadata, body = read_front_matter(path)
    fields = Fields(metadata)
    fields.reject_unknown(POSITION_FIELDS)
    slug = slug_field(fields, "slug", default=path.stem)
    title = fields.text("title")
    categories = [c.key for c in site.categories] if site else []
    category = fields.text("category")
    if site is not None and category not in categories:
        raise Invalid("category", f"{category!r} is not one of: {', '.join(categories)}")
    status = fields.choice("status", STATUSES)
    date_posted = fields.required_date("date_posted")
    if fields.raw("deadline", required=False) in (None, OPEN_UNTIL_FILLED):
        deadline = None
    else:
        deadline = fields.date("deadline", hint=f" or {OPEN_UNTIL_FILLED}")
    if not body.strip():
        raise Invalid("body", "is empty; describe the position below the front matter")
    body_html = render_markdown(body)
    return Position(
        slug=slug,
        title=title,
        category=category,
        status=status,
        date_posted=date_posted,
        date_updated=fields.date("date_updated", required=False),
        deadline=deadline,
        start=fields.text("start", required=False),
        duration=fields.text("duration", required=False),
        salary_grade=fields.text("salary_grade", required=False),
        employment_type=fields.choice("employment_type", EMPLOYMENT_TYPES, required=False),
        working_time=fields.text("working_time", required=False),
        requirements=fields.texts("requirements"),
        what_to_send=fields.text("what_to_send", required=False),
        posting_url=fields.url("posting_url", required=False),
        reference=fields.text("reference", required=False),
        body_html=body_html,
        summary=plain_summary(body_html),
    )


def load_translation(path: Path) -> dict[str, object]:
    """A position's text in another language (<slug>.<language>.md): the fields it replaces."""
    metadata, body = read_front_matter(path)
    fields = Fields(metadata)
    fields.reject_unknown(TRANSLATABLE_FIELDS)
    if not body.strip():
        raise Invalid("body", "is empty; translate the description below the front matter")
    body_html = render_markdown(body)
    texts: dict[str, object] = {"body_html": body_html, "summary": plain_summary(body_html)}
    for key in sorted(TRANSLATABLE_FIELDS):
        if key == "requirements":
            if fields.raw(key, required=False) is not None:
                texts[key] = fields.texts(key)
        elif fields.raw(key, required=False) is not None:
            texts[key] = fields.text(key)
    return texts
