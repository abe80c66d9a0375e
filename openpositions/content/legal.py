"""The facts of the legal notice and the privacy notice, from site.yaml's `legal_notice:` and
`privacy:` sections. Any of their texts may be a placeholder (`TODO: ...`) until it is known."""

from openpositions.content.entities import (
    Address,
    LegalNotice,
    Office,
    Placeholder,
    Privacy,
    ResponsiblePerson,
)
from openpositions.content.fields import Fields, Invalid
from openpositions.content.placeholders import placeholder_hint, record_with_placeholders


def load_legal_notice(fields: Fields, found: list[Placeholder]) -> LegalNotice:
    notice = fields.mapping("legal_notice")
    address = record_with_placeholders(notice.mapping("address"), Address, found)
    responsible = notice.mapping("content_responsible")
    return record_with_placeholders(
        notice,
        LegalNotice,
        found,
        address=address,
        content_responsible=record_with_placeholders(responsible, ResponsiblePerson, found),
    )


def load_privacy(fields: Fields, found: list[Placeholder]) -> Privacy:
    privacy = fields.mapping("privacy")
    return record_with_placeholders(
        privacy,
        Privacy,
        found,
        data_protection_officer=load_office(privacy.mapping("data_protection_officer"), found),
        supervisory_authority=load_office(privacy.mapping("supervisory_authority"), found),
        access_log_days=load_days(privacy, "access_log_days", found),
    )


def load_days(fields: Fields, key: str, found: list[Placeholder]) -> int | None:
    """A whole number of days, written as a number or as digits; None if not known yet."""
    value = fields.raw(key, required=False)
    hint = placeholder_hint(value)
    if hint is not None:
        found.append(Placeholder(fields.name(key), hint))
    if value is None or hint is not None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise Invalid(fields.name(key), f"{value!r} is not a whole number of days")


def load_office(fields: Fields, found: list[Placeholder]) -> Office:
    address = record_with_placeholders(fields.mapping("address"), Address, found)
    return record_with_placeholders(fields, Office, found, address=address)
