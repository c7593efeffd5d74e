"""The one money and date parser (recovery.parsing; issue 9 item 8): worked cases and properties."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.parsing import MAX_ID, ParseError, parse_id, parse_iso_date, parse_money


@pytest.mark.parametrize("text, amount", [
    ("13,333.33", "13333.33"), ("$13,333.33", "13333.33"), ("13333.33", "13333.33"), ("1,000", "1000.00"),
    ("$1,234,567.8", "1234567.80"), ("0", "0.00"), ("0.5", "0.50"), (" 42.10 ", "42.10"), ("999999999999.99",
                                                                                           "999999999999.99"),
])
def test_amounts_people_type_are_read_exactly(text, amount):
    assert parse_money(text, "gross_amount") == Decimal(amount)
    assert parse_money(text, "gross_amount").as_tuple().exponent == -2


@pytest.mark.parametrize("text, words", [
    ("1E5", "no exponent"), ("12.345e1", "no exponent"), ("1e-2", "no exponent"), ("1_000", "no underscores"),
    ("١٢٣.٠٠", "digits 0–9"), ("１２３", "digits 0–9"), ("१२३", "digits 0–9"), ("12.345", "2 decimal places"),
    ("1,2", "groups of three"), ("1,33,333", "groups of three"), ("12,34.00", "groups of three"),
    ("1 000", "dollars and cents"), ("$$5", "dollars and cents"), ("5$", "dollars and cents"),
    ("NaN", "dollars and cents"), ("Infinity", "dollars and cents"), ("0x10", "dollars and cents"),
    (".5", "dollars and cents"), ("5.", "dollars and cents"), ("+5", "dollars and cents"), ("", "Enter the"),
    ("-5.00", "must not be negative"), ("$-5.00", "must not be negative"), ("-0.00", "must not be negative"),
    ("1234567890123.00", "too large"),
])
def test_odd_amounts_are_refused_naming_the_field(text, words):
    with pytest.raises(ParseError) as exc:
        parse_money(text, "gross_amount")
    assert exc.value.field == "gross_amount"
    assert "gross amount" in exc.value.message.lower() and words in exc.value.message


def test_a_negative_amount_only_where_the_field_takes_one():
    assert parse_money("-$5.00", "adjustment", allow_negative=True) == Decimal("-5.00")
    assert parse_money("$-1,000.10", "adjustment", allow_negative=True) == Decimal("-1000.10")
    with pytest.raises(ParseError):
        parse_money("--5", "adjustment", allow_negative=True)


@pytest.mark.parametrize("value", [Decimal("5"), 5, 5.0, None, b"5"])
def test_only_text_is_parsed(value):
    with pytest.raises(ParseError):
        parse_money(value, "amount")


CENTS = st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2, allow_nan=False,
                    allow_infinity=False)


@given(CENTS, st.booleans(), st.booleans())
def test_every_amount_in_cents_round_trips_with_or_without_dollar_sign_and_commas(amount, dollar, commas):
    text = ("$" if dollar else "") + (f"{amount:,.2f}" if commas else f"{amount:.2f}")
    assert parse_money(text, "amount") == amount


@given(CENTS)
def test_one_decimal_and_no_decimals_round_trip_too(amount):
    whole = amount.to_integral_value(rounding="ROUND_FLOOR")
    assert parse_money(f"{whole:,}", "amount") == whole
    tenth = amount.quantize(Decimal("0.1"), rounding="ROUND_FLOOR")
    assert parse_money(f"{tenth:.1f}", "amount") == tenth


NON_ASCII_DIGITS = st.characters(categories=["Nd"]).filter(lambda ch: not "0" <= ch <= "9")


@given(st.text(alphabet="0123456789$,.", max_size=12), NON_ASCII_DIGITS, st.text(alphabet="0123456789$,.",
                                                                                     max_size=12))
def test_any_text_with_a_non_ascii_digit_is_refused(before, digit, after):
    with pytest.raises(ParseError):
        parse_money(before + digit + after, "amount")
    with pytest.raises(ParseError):
        parse_iso_date(before + digit + after, "on")


@given(st.dates(min_value=date(1, 1, 1)))
def test_every_iso_date_round_trips(day):
    assert parse_iso_date(day.isoformat(), "on") == day


@given(st.dates(min_value=date(1000, 1, 1)), NON_ASCII_DIGITS, st.integers(min_value=0, max_value=9))
def test_an_iso_date_with_any_non_ascii_digit_is_refused(day, digit, position):
    text = day.isoformat()
    places = [i for i, ch in enumerate(text) if ch.isdigit()]
    i = places[position % len(places)]
    with pytest.raises(ParseError):
        parse_iso_date(text[:i] + digit + text[i + 1:], "on")


@pytest.mark.parametrize("text", ["2024-02-30", "2023-02-29", "24-01-01", "2024-1-1", "2024/01/01", "01/02/2024",
                                  "2024-01-01T00:00", "20240101", "２０２４-０１-０１", ""])
def test_odd_dates_are_refused_naming_the_field(text):
    with pytest.raises(ParseError) as exc:
        parse_iso_date(text, "settlement_date")
    assert "Settlement date" in exc.value.message


@pytest.mark.parametrize("value, ok", [("1", 1), (7, 7), (str(MAX_ID), MAX_ID), ("0", None), (0, None),
                                       ("100000000000000000000", None), (MAX_ID + 1, None), ("-1", None),
                                       ("١", None), ("1.0", None), (True, None)])
def test_ids(value, ok):
    if ok is None:
        with pytest.raises(ParseError) as exc:
            parse_id(value, "claims")
        assert "Claims" in exc.value.message
    else:
        assert parse_id(value, "claims") == ok
