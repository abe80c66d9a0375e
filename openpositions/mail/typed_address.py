"""An email address as a person types it into a form: checked with email-validator, kept in its
normalised form, refused where mail could not reach it or would reach someone else."""

from collections.abc import Callable
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from openpositions.mail.addresses import travels_as_one_address

FieldValidator = Callable[[Any, Any], None]


def typed_email_address(cannot_travel: Any) -> FieldValidator:
    """A validator for a form's email field, with the form's own words (`cannot_travel`) for an
    address that email-validator takes but a mail header would not carry as one address.

    The field keeps the normalised address, as the person reads it; the form's
    `transport_email` is the one mail travels to (an internationalised domain in its ASCII
    form). Letters beyond ASCII before the @ would need SMTPUTF8 all the way to the person,
    which mail relays rarely offer.
    """

    def validate(form: Any, field: Any) -> None:
        config = current_app.config
        if not field.data.rpartition("@")[0].isascii():
            raise ValidationError(
                _l(
                    "Use an email address without accented or non-Latin letters before the @; "
                    "mail cannot be delivered to this one"
                )
            )
        try:
            result = validate_email(
                field.data,
                check_deliverability=config["EMAIL_CHECK_DELIVERABILITY"],
                allow_smtputf8=False,
                timeout=config["EMAIL_DNS_TIMEOUT"],
            )
        except EmailNotValidError:
            raise ValidationError(
                _l("Enter an email address in the correct format, like name@example.com")
            ) from None
        transport_email = result.ascii_email or result.normalized
        if not travels_as_one_address(transport_email):
            raise ValidationError(cannot_travel)
        field.data = result.normalized
        form.transport_email = transport_email

    return validate
