"""Addresses as mail headers carry them: exactly one address, or a clear refusal."""

from collections.abc import Mapping
from email.errors import HeaderParseError
from email.headerregistry import Address, AddressHeader, HeaderRegistry
from typing import Any, cast

_registry = HeaderRegistry()


def _parsed_addresses(name: str, value: str) -> tuple[Address, ...]:
    """The addresses a header holding `value` parses to; none where it finds a defect."""
    header = _registry(name, value)
    if header.defects:
        return ()
    # Reply-To and To are address headers.
    return cast(AddressHeader, header).addresses


class NotOneAddress(ValueError):
    """A value that a mail header would not carry as exactly one address."""


def travels_as_one_address(addr_spec: str) -> bool:
    """Whether a Reply-To holding this address parses back to it, and to nothing else.

    An RFC 2047 encoded word before the @ ("=?utf-8?b?...?=@example.com") passes
    email-validator, yet a mail client decodes it into whatever addresses it hides.
    """
    if "=?" in addr_spec or "?=" in addr_spec:
        return False
    try:
        addresses = _parsed_addresses("Reply-To", str(Address("Applicant", addr_spec=addr_spec)))
    except (HeaderParseError, IndexError, ValueError, TypeError):
        return False
    return len(addresses) == 1 and addresses[0].addr_spec == addr_spec


def parse_address(value: str | tuple[str, str]) -> Address:
    """One configured address, "Name <addr>" or a (name, addr) pair, as an Address."""
    text = str(Address(value[0], addr_spec=value[1])) if isinstance(value, tuple) else value
    try:
        addresses = _parsed_addresses("To", text)
    except (HeaderParseError, IndexError, ValueError, TypeError) as error:
        raise NotOneAddress(str(error)) from None
    if len(addresses) != 1:
        raise NotOneAddress("it is not exactly one address")
    address = addresses[0]
    # Not email-validator: a development sender such as positions@localhost is fine here.
    if not address.username or not address.domain or not address.addr_spec.isascii():
        raise NotOneAddress("it needs a name before the @ and an ASCII domain after it")
    if not travels_as_one_address(address.addr_spec):
        raise NotOneAddress("it would not travel as one address")
    return address


# The settings that name an address, and what each is for.
ADDRESS_SETTINGS = {
    "MAIL_DEFAULT_SENDER": "the site's own address, From of every mail",
    "ENQUIRY_RECIPIENT": "who receives enquiries",
    "OPERATOR_EMAIL": "who is told when an enquiry cannot be delivered",
}


def configured_address_problems(config: Mapping[str, Any]) -> list[str]:
    """One line for each address setting that is set but is not one valid address."""
    problems = []
    for name, meaning in ADDRESS_SETTINGS.items():
        value = config.get(name)
        if not value:
            continue
        try:
            parse_address(value)
        except NotOneAddress as error:
            problems.append(
                f"FLASK_{name} ({meaning}): {value!r} is not a valid email address ({error}); "
                'set it to one address, like "Name <name@example.org>" or name@example.org'
            )
    return problems
