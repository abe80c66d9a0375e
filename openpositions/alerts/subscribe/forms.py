"""The alerts' forms: subscribing (an address, the categories, consent) and changing the
categories; what each mistake tells the visitor to do."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectMultipleField
from wtforms.validators import DataRequired, InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from openpositions.content import Content
from openpositions.mail.typed_address import typed_email_address


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class CategoryChoice(SelectMultipleField):
    """Check boxes, one per category of site.yaml, read as a list of their keys."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def category_field() -> CategoryChoice:
    # Checked against the categories of this moment in `validate_categories`.
    return CategoryChoice(_l("The positions to hear about"), validate_choice=False)


class ChoosingCategories:
    """What both forms share: the categories offered, from the content of this moment."""

    categories: CategoryChoice

    def offer_categories(self, content: Content) -> None:
        self.categories.choices = [
            (category.key, category.title) for category in content.site.categories
        ]

    def validate_categories(self, field: Any) -> None:
        offered = {key for key, _ in field.choices}
        chosen = set(field.data or ())
        if not chosen or not chosen <= offered:
            raise ValidationError(_l("Choose at least one kind of position to hear about"))


email_address = typed_email_address(
    _l(
        "Mail cannot be delivered to this email address; enter the address you read "
        "your mail at, like name@example.com"
    )
)


class AlertForm(ChoosingCategories, FlaskForm):
    email = EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[DataRequired(_l("Enter your email address")), email_address],
    )
    categories = category_field()
    consent = BooleanField(
        _l(
            "Email me when a position opens in the categories I chose, at most one email a "
            "day. I can stop them at any time with the link in each email."
        ),
        validators=[InputRequired(_l("Confirm that we may email you about new positions"))],
    )

    transport_email: str = ""

    def __init__(self, *args: Any, content: Content, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offer_categories(content)

    def consent_wording(self) -> str:
        """The consent's words as this visitor read them, to be kept with the subscription."""
        return str(self.consent.label.text)


class CategoriesForm(ChoosingCategories, FlaskForm):
    """The categories of a confirmed subscription, changed through the link in its mails."""

    categories = category_field()

    def __init__(self, *args: Any, content: Content, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offer_categories(content)


class ConfirmForm(FlaskForm):
    """The button that confirms a subscription: a POST, which link scanners never send."""
