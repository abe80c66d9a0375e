"""The facts of the legal notice and the privacy notice, from site.yaml's `legal_notice:` and
`privacy:` sections. Any of their texts may be a placeholder (`TODO: ...`) until it is known."""

from openpositions.content.fields import Fields, Invalid
from openpositions.content.models import (
    Address,
    LegalNotice,
    Office,
    Placeholder,
    Privacy,
    ResponsiblePerson,
)
from openpositions.content.placeholders import record_with_placeholders


def load_legal_notice(fields: Fields, found: list[Placeholder]) -> LegalNotice:
    notice = fields.mapping("legal_notice")
    return record_with_placeholders(
        notice,
        LegalNotice,
        found,
        address=record_with_placeholders(notice.mapping("address"), Address, found),
        content_responsible=record_with_placeholders(
            notice.mapping("content_responsible"), ResponsiblePerson, found
        ),
    )


def load_privacy(fields: Fields, found: list[Placeholder]) -> Privacy:
    privacy = fields.mapping("privacy")
    facts = record_with_placeholders(
        privacy,
        Privacy,
        found,
        data_protection_officer=load_office(privacy.mapping("data_protection_officer"), found),
        supervisory_authority=load_office(privacy.mapping("supervisory_authority"), found),
    )
    if facts.access_log_days and not facts.access_log_days.isdigit():
        days = facts.access_log_days
        raise Invalid(privacy.name("access_log_days"), f"{days!r} is not a whole number of days")
    return facts


def load_office(fields: Fields, found: list[Placeholder]) -> Office:
    address = record_with_placeholders(fields.mapping("address"), Address, found)
    return record_with_placeholders(fields, Office, found, address=address)
