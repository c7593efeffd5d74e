"""Template helpers of issue 12: a case's timeline, and money as $12,345.67."""

from decimal import Decimal, InvalidOperation

from django import template

from ..cases.services import today
from ..timeline.predict import case_timeline as _case_timeline

register = template.Library()


@register.simple_tag
def case_timeline(case):
    """The case's dated steps ahead (recovery.timeline.predict)."""
    return _case_timeline(case, today=today())


@register.filter
def money(value):
    """$12,345.67 — a Decimal to the cent with thousands separators; negatives as -$5.00; empty as —."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return value
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.filter
def money_or_number(value):
    """A Decimal as money ($12,345.67); anything else as it is."""
    return money(value) if isinstance(value, Decimal) else value


def percent_text(fraction) -> str:
    """A rate stored as a fraction shown as a percentage: 0.115 → "11.50%", 0.12345 → "12.345%"
    (two decimals, more only where the stored figure has them); empty as —."""
    if fraction is None or fraction == "":
        return "—"
    try:
        value = Decimal(fraction) * 100
    except (InvalidOperation, TypeError, ValueError):
        return str(fraction)
    text = f"{value.normalize():f}"
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}%"


@register.filter
def percent(value):
    """A fraction as a percentage: 0.115 → 11.50%."""
    return percent_text(value)
