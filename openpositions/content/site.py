"""The group's identity and the page's fixed text, from config/site.yaml."""

import re
from dataclasses import replace

from openpositions.content.fields import Fields, Invalid
from openpositions.content.legal import load_legal_notice, load_privacy
from openpositions.content.models import (
    Address,
    Category,
    Contact,
    FundingProgramme,
    Group,
    Link,
    Placeholder,
    Site,
)

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def load_site(fields: Fields) -> Site:
    """The site as written in site.yaml, its texts in the language `fields` picks."""
    group = fields.mapping("group")
    categories = tuple(
        Category(
            key=slug_field(c, "key"),
            title=c.text("title"),
            none_open=c.text("none_open"),
            list_funding=bool(c.raw("list_funding", required=False)),
        )
        for c in fields.items("categories")
    )
    if not categories:
        raise Invalid("categories", "is missing; list at least one category")
    placeholders: list[Placeholder] = []
    site = Site(
        group=group.record(Group, address=group.mapping("address").record(Address)),
        contact=fields.mapping("contact").record(Contact),
        categories=categories,
        funding_intro=fields.text("funding_intro", required=False),
        funding_programmes=tuple(
            FundingProgramme(
                name=f.text("name"),
                description=f.text("description", required=False),
                url=f.url("url"),
            )
            for f in fields.items("funding_programmes")
        ),
        links=tuple(
            Link(title=link.text("title"), url=link.url("url")) for link in fields.items("links")
        ),
        legal_notice=load_legal_notice(fields, placeholders),
        privacy=load_privacy(fields, placeholders),
    )
    return replace(site, placeholders=tuple(placeholders))


def slug_field(fields: Fields, key: str, default: str = "") -> str:
    """A field that must be a slug: lower-case letters, digits and hyphens."""
    value = fields.text(key, required=not default) or default
    if not SLUG.fullmatch(value):
        raise Invalid(fields.name(key), f"{value!r} must be lower-case letters, digits and hyphens")
    return value
