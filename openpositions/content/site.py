"""The group's identity and the page's fixed text, from config/site.yaml."""

import re
from functools import partial
from typing import Any

from email_validator import EmailNotValidError, validate_email

from openpositions.content.entities import (
    Address,
    Category,
    Contact,
    FundingProgramme,
    Group,
    GroupOffice,
    Link,
    Placeholder,
    Site,
)
from openpositions.content.fields import Fields, Invalid
from openpositions.content.legal import load_legal_notice, load_privacy
from openpositions.content.placeholders import record_with_placeholders

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def load_site(fields: Fields) -> Site | None:
    """The site as written in site.yaml, its texts in the language `fields` picks.

    Each part is checked on its own and every mistake noted in `fields.findings`, so that one
    run reports them all; None when there was any.
    """
    check = fields.check
    group = check(lambda: _group(fields), None)
    contact = check(lambda: fields.mapping("contact").record(Contact), None)
    placeholders: list[Placeholder] = []
    office = check(lambda: _office(fields, contact, placeholders), None)
    categories: tuple[Category, ...] = check(lambda: _categories(fields), ())
    funding_intro = check(lambda: fields.text("funding_intro", required=False), "")
    funding_programmes: tuple[FundingProgramme, ...] = check(
        lambda: _funding_programmes(fields), ()
    )
    links: tuple[Link, ...] = check(lambda: _links(fields), ())
    legal_notice = check(lambda: load_legal_notice(fields, placeholders), None)
    privacy = check(lambda: load_privacy(fields, placeholders), None)
    if fields.findings.errors or None in (group, contact, office, legal_notice, privacy):
        return None
    assert group and contact and office and legal_notice and privacy  # For the type checker.
    return Site(
        group=group,
        contact=contact,
        office=office,
        categories=categories,
        funding_intro=funding_intro,
        funding_programmes=funding_programmes,
        links=links,
        legal_notice=legal_notice,
        privacy=privacy,
        placeholders=tuple(placeholders),
    )


def category_keys(data: dict[str, Any]) -> tuple[str, ...] | None:
    """The categories' keys, for checking positions even where other parts of site.yaml fail."""
    try:
        return tuple(slug_field(c, "key") for c in Fields(data).items("categories"))
    except Invalid:
        return None  # load_site reports why.


def _group(fields: Fields) -> Group:
    group = fields.mapping("group")
    # A wrong address is noted and the group's other fields still checked; with any mistake
    # noted, load_site builds no Site, so the missing address is never seen.
    address = group.check(lambda: group.mapping("address").record(Address), None)
    return group.record(Group, address=address)


def _office(fields: Fields, contact: Contact | None, found: list[Placeholder]) -> GroupOffice:
    office = record_with_placeholders(fields.mapping("office"), GroupOffice, found)
    if office.email:
        try:
            email = validate_email(office.email, check_deliverability=False).normalized
        except EmailNotValidError as error:
            message = f"{office.email!r} is not an email address: {error}"
            raise Invalid("office.email", message) from None
        if contact and email.casefold() == contact.email.casefold():
            raise Invalid(
                "office.email",
                "is the contact's own address, which the site never shows; give the group "
                "office's shared mailbox",
            )
    return office


def _categories(fields: Fields) -> tuple[Category, ...]:
    categories = tuple(
        Category(
            key=c.check(partial(slug_field, c, "key"), ""),
            title=c.check(partial(c.text, "title"), ""),
            none_open=c.check(partial(c.text, "none_open"), ""),
            list_funding=bool(c.raw("list_funding", required=False)),
        )
        for c in fields.items("categories")
    )
    if not categories:
        raise Invalid("categories", "is missing; list at least one category")
    return categories


def _funding_programmes(fields: Fields) -> tuple[FundingProgramme, ...]:
    return tuple(
        FundingProgramme(
            name=f.check(partial(f.text, "name"), ""),
            description=f.check(partial(f.text, "description", required=False), ""),
            url=f.check(partial(f.url, "url"), ""),
        )
        for f in fields.items("funding_programmes")
    )


def _links(fields: Fields) -> tuple[Link, ...]:
    return tuple(
        Link(
            title=link.check(partial(link.text, "title"), ""),
            url=link.check(partial(link.url, "url"), ""),
        )
        for link in fields.items("links")
    )


def slug_field(fields: Fields, key: str, default: str = "") -> str:
    """A field that must be a slug: lower-case letters, digits and hyphens."""
    value = fields.text(key, required=not default) or default
    if not SLUG.fullmatch(value):
        raise Invalid(fields.name(key), f"{value!r} must be lower-case letters, digits and hyphens")
    return value
