"""The one reading of typed money and dates (SPEC §9: bad input is refused naming the field).

Every form field (recovery.fields), API field (recovery.api.serializers) and service that takes a
typed amount or date (recovery.money.ledger.parse_money) reads it here, so that the portal, the admin, the
calculators, the API and imports agree on what "1,250.00" means — and on what is refused.

Money: ASCII digits only; an optional leading ``$``; optional thousands commas, in groups of three
(``13,333.33``; not ``1,33,333`` or ``1,2``); at most two decimals; no exponent (``1E5``), no
underscores (``1_000``), no non-ASCII digits (``١٢٣``, ``１２３``, ``१२३``), no spaces inside. A minus
sign only where the field allows negatives (``-$5.00`` or ``$-5.00``). Dates: ISO ``YYYY-MM-DD``
with ASCII digits only, a real calendar day.

Pure functions: no Django, no database. A refusal is a ``ParseError`` (a ``ValueError``) carrying
the field's name and a message that names it.
"""

import re
from datetime import date
from decimal import Decimal

__all__ = ["ParseError", "parse_money", "parse_iso_date", "parse_id", "MAX_DIGITS", "MAX_ID"]

MAX_DIGITS = 12  # digits before the point: the money columns hold 14 digits, 2 after the point
MAX_ID = 2**63 - 1  # the largest id a 64-bit signed integer column (PostgreSQL, SQLite) holds

# [-] [$] [-] digits-with-optional-comma-groups [. one or two digits]   (ASCII only: no \d, which is Unicode)
_MONEY = re.compile(
    r"(?P<sign1>-)?\$?(?P<sign2>-)?"
    r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)"
    r"(?:\.(?P<cents>[0-9]{1,2}))?",
    re.ASCII,
)
_MONEY_SHAPE_HINT = re.compile(r"^-?\$?-?[0-9,]*\.?[0-9]*$", re.ASCII)
_DATE = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})", re.ASCII)
_ID = re.compile(r"[0-9]+", re.ASCII)


class ParseError(ValueError):
    """A typed value that is not what the field takes; ``field`` names it, ``message`` says why."""

    def __init__(self, field: str, message: str, code: str = "invalid"):
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


def _label(field: str) -> str:
    text = field.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def parse_money(text: str, field: str = "amount", *, allow_negative: bool = False,
                max_digits: int = MAX_DIGITS) -> Decimal:
    """A dollar amount typed by a person, as a ``Decimal`` with exactly two decimals.

    >>> parse_money("$13,333.33")
    Decimal('13333.33')
    """
    label = _label(field)
    if not isinstance(text, str):
        raise ParseError(field, f"{label} must be typed as text, e.g. 1,250.00.", "not_a_string")
    value = text.strip()
    if not value:
        raise ParseError(field, f"Enter the {field.replace('_', ' ')}.", "required")
    match = _MONEY.fullmatch(value)
    if match is None or (match["sign1"] and match["sign2"]):
        if any(ch.isdigit() and not ("0" <= ch <= "9") for ch in value):
            why = "digits 0–9 only"
        elif "e" in value.lower():
            why = "no exponent"
        elif "_" in value:
            why = "no underscores"
        elif "." in value and re.search(r"\.[0-9]{3,}$", value):
            raise ParseError(field, f"{label} must be in whole cents (no more than 2 decimal places).",
                             "max_decimal_places")
        elif _MONEY_SHAPE_HINT.fullmatch(value) and "," in value:
            why = "thousands commas in groups of three, e.g. 13,333.33"
        else:
            why = "e.g. 1,250.00"
        raise ParseError(field, f"{label}: Enter a number of dollars and cents ({why}).")
    negative = bool(match["sign1"] or match["sign2"])
    whole = match["whole"].replace(",", "")
    cents = (match["cents"] or "").ljust(2, "0")
    if len(whole) > max_digits:
        raise ParseError(field, f"{label} is too large (at most {max_digits} digits before the point).",
                         "max_whole_digits")
    amount = Decimal(f"{whole}.{cents}")
    if negative and not allow_negative:
        raise ParseError(field, f"{label} must not be negative.", "min_value")
    if negative and amount:
        amount = -amount
    return amount


def parse_iso_date(text: str, field: str = "date") -> date:
    """A calendar date written YYYY-MM-DD in ASCII digits."""
    label = _label(field)
    if not isinstance(text, str):
        raise ParseError(field, f"{label} must be a date written YYYY-MM-DD.", "not_a_string")
    match = _DATE.fullmatch(text.strip())
    if match is None:
        raise ParseError(field, f"{label}: Enter a valid date, written YYYY-MM-DD (digits 0–9).")
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise ParseError(field, f"{label}: Enter a valid date — {text.strip()} is not a calendar day.") from None


def parse_id(text, field: str = "id") -> int:
    """A record id: ASCII digits, 1 … 2**63−1 (what the database's id column holds)."""
    label = _label(field)
    if isinstance(text, bool):
        raise ParseError(field, f"{label}: an id is a whole number.")
    if isinstance(text, int):
        value = text
    else:
        value_text = str(text).strip()
        if not _ID.fullmatch(value_text):
            raise ParseError(field, f"{label}: “{value_text[:30]}” is not an id (a whole number, digits 0–9).")
        if len(value_text.lstrip("0")) > len(str(MAX_ID)):  # never int() of a thousand digits
            raise ParseError(field, f"{label}: {value_text[:30]} is not an id (out of range).", "out_of_range")
        value = int(value_text)
    if not 1 <= value <= MAX_ID:
        raise ParseError(field, f"{label}: {str(value)[:30]} is not an id (out of range).", "out_of_range")
    return value
