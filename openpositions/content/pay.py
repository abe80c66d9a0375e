"""What a position pays: `pay:` in its file, checked, and worded in the reader's language."""

import re

from babel import Locale
from babel.numbers import NumberPattern
from flask_babel import format_currency, format_decimal, get_locale, gettext

from openpositions.content.entities import Pay
from openpositions.content.fields import Fields, Invalid

PAY_FIELDS = {"min", "max"}
# More than this a month is more likely a year's pay (or cents) than a research post's month.
LIKELY_A_MONTH = 20_000


def read_pay(fields: Fields) -> Pay | None:
    """`pay:` of a position file, a range of euros a month; None where the file has none."""
    given = fields.raw("pay", required=False)
    if given is None:
        return None
    if not isinstance(given, dict):
        raise Invalid(
            "pay", "must give min: and max:, whole euros a month (both alike for one sum)"
        )
    pay = fields.mapping("pay")
    pay.warn_unknown(PAY_FIELDS)
    minimum = pay.check(lambda: pay.whole_number("min", "euros"), None)
    maximum = pay.check(lambda: pay.whole_number("max", "euros"), None)
    if minimum is None or maximum is None:
        return None
    if maximum < minimum:
        raise Invalid("pay.max", f"{maximum} is less than min, {minimum}; swap or correct them")
    if maximum > LIKELY_A_MONTH:
        pay.findings.warnings.append(
            Invalid("pay.max", f"{maximum} is a lot for a month; pay: is what a month pays")
        )
    return Pay(minimum=minimum, maximum=maximum)


def format_pay(pay: Pay) -> str:
    """ "€4,900–€7,100 a month", in German "4.900–7.100 € im Monat": the reader's language."""
    if pay.minimum == pay.maximum:
        amount = _money(pay.minimum, pay.currency)
    elif _symbol_follows_the_number():
        # Where the symbol follows, it is written once, after the range.
        amount = f"{format_decimal(pay.minimum)}–{_money(pay.maximum, pay.currency)}"
    else:
        amount = f"{_money(pay.minimum, pay.currency)}–{_money(pay.maximum, pay.currency)}"
    return str(gettext("%(amount)s a month", amount=amount))


def _money(amount: int, currency: str) -> str:
    """A whole amount in the locale's own currency format, without the cents."""
    whole = re.sub(r"\.0+", "", str(_currency_format().pattern))
    return str(format_currency(amount, currency, format=whole, currency_digits=False))


def _symbol_follows_the_number() -> bool:
    return "¤" in _currency_format().suffix[0]


def _currency_format() -> NumberPattern:
    locale = get_locale() or Locale.parse("en")
    pattern: NumberPattern = locale.currency_formats["standard"]
    return pattern
