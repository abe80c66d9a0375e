"""schema.org JobPosting for a position's own page, from what the page shows."""

from typing import Any

from openpositions.clock import end_of_day
from openpositions.content import Position, Site
from openpositions.content.entities import Pay
from openpositions.web.urls import absolute_url


def job_posting(position: Position, site: Site, timezone: str) -> dict[str, Any]:
    """The JobPosting JSON-LD of an open position: Google's required and recommended fields.

    Only for a position open today: a closed one's page carries none, so search engines drop it.
    """
    group = site.group
    posting: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": position.title,
        "description": position.body_html,
        "datePosted": position.date_posted.isoformat(),
        "url": absolute_url("positions.detail", slug=position.slug),
        "hiringOrganization": {
            "@type": "Organization",
            "name": group.university,
            "department": {"@type": "Organization", "name": group.name, "sameAs": group.url},
            "sameAs": group.university_url,
        },
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "streetAddress": group.address.street,
                "postalCode": group.address.postal_code,
                "addressLocality": group.address.city,
                "addressCountry": group.address.country_code,
            },
        },
        "directApply": False,
    }
    if position.deadline:
        # The end of the deadline day in the group's time zone: a bare date would be read as
        # its first moment, a day too early.
        posting["validThrough"] = end_of_day(position.deadline, timezone).isoformat()
    if position.employment_type:
        posting["employmentType"] = position.employment_type
    if position.posting_reference:
        posting["identifier"] = {
            "@type": "PropertyValue",
            "name": group.university,
            "value": position.posting_reference,
        }
    if position.pay:
        posting["baseSalary"] = base_salary(position.pay)
    return posting


def base_salary(pay: Pay) -> dict[str, Any]:
    """Google's baseSalary: a MonetaryAmount a month, its range or its one figure."""
    if pay.minimum == pay.maximum:
        value: dict[str, Any] = {"value": pay.minimum}
    else:
        value = {"minValue": pay.minimum, "maxValue": pay.maximum}
    return {
        "@type": "MonetaryAmount",
        "currency": pay.currency,
        "value": {"@type": "QuantitativeValue", **value, "unitText": "MONTH"},
    }
