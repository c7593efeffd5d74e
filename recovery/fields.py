"""Form fields that read money, dates and ids with the one parser (recovery.parsing, SPEC §9).

Used by the portal's, the calculators', the case pages' and the admin's forms (``StrictInputAdminMixin``
makes a ModelAdmin's or inline's DecimalField/DateField model fields use them), so that every form
accepts the same "$13,333.33" and refuses the same "1E5", "1_000" and "١٢٣".
"""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from . import parsing


def _name(field: forms.Field, fallback: str = "amount") -> str:
    """What a message calls the field: its label, else the fallback (the form's field name)."""
    return str(field.label) if field.label else fallback


class MoneyField(forms.DecimalField):
    """A U.S. dollar amount (recovery.parsing.parse_money): "$1,250.00", "1250", "1250.5"; whole cents.

    Not negative unless ``allow_negative``; min/max value and digit limits as a DecimalField."""

    def __init__(self, *, allow_negative: bool = False, **kwargs):
        self.allow_negative = allow_negative
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        if not allow_negative:
            kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off",
                                                           "class": "money"}))
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)  # a text input: the server checks the cents
        return attrs

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        try:
            return parsing.parse_money(text, _name(self), allow_negative=self.allow_negative,
                                       max_digits=self.max_digits - self.decimal_places)
        except parsing.ParseError as exc:
            # A message the form gave for this code (e.g. the calculators'); else the parser's, naming the field.
            message = self.error_messages.get(exc.code)
            if message == forms.DecimalField.default_error_messages.get(exc.code) or (message and "%(" in message):
                message = None
            raise ValidationError(message or exc.message, code=exc.code) from None


class StrictDateField(forms.DateField):
    """A calendar date typed YYYY-MM-DD in ASCII digits (recovery.parsing.parse_iso_date)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
        kwargs.pop("input_formats", None)
        super().__init__(input_formats=["%Y-%m-%d"], **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if hasattr(value, "year") and not hasattr(value, "hour"):
            return value
        if hasattr(value, "date"):
            return value.date()
        try:
            return parsing.parse_iso_date(str(value), _name(self, "date"))
        except parsing.ParseError as exc:
            message = self.error_messages.get("invalid")
            if not message or message == forms.DateField.default_error_messages["invalid"]:
                message = exc.message
            raise ValidationError(message, code="invalid") from None


class StrictDecimalField(forms.DecimalField):
    """A non-money decimal (a rate, a percentage): ASCII digits, an optional point and sign; no exponent."""

    SHAPE = re.compile(r"-?[0-9]+(\.[0-9]+)?|-?\.[0-9]+", re.ASCII)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, str) and not self.SHAPE.fullmatch(value.strip()):
            raise ValidationError(f"{_name(self, 'value')} must be a number written with digits 0–9 and a "
                                  "point (no exponent, no other characters).", code="invalid")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Record ids from check boxes: a value that is not an id (not ASCII digits, out of the id column's
    range) is refused naming the field, before it reaches the database (where it would be a 500)."""

    def _check_values(self, value):
        for item in value:
            try:
                parsing.parse_id(item, _name(self, "choice"))
            except parsing.ParseError as exc:
                raise ValidationError(exc.message, code="invalid_pk_value") from None
        return super()._check_values(value)


class StrictIntegerField(forms.IntegerField):
    """A whole number typed in ASCII digits (``int()`` alone would take "١٢٣" as 123)."""

    SHAPE = re.compile(r"-?[0-9]+", re.ASCII)

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not self.SHAPE.fullmatch(value.strip()):
            raise ValidationError(f"{_name(self, 'value')}: Enter a whole number (digits 0–9).", code="invalid")
        return super().to_python(value)


class StrictInputAdminMixin:
    """For a ModelAdmin or an inline: money and date model fields are typed with the strict fields."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is None or db_field.choices:
            return formfield
        common = {"required": formfield.required, "label": formfield.label, "help_text": formfield.help_text,
                  "initial": formfield.initial, "disabled": formfield.disabled}
        if isinstance(db_field, models.DecimalField):
            limits = {"max_digits": db_field.max_digits, "decimal_places": db_field.decimal_places}
            if db_field.decimal_places == 2:
                return MoneyField(allow_negative=True, **limits, **common)  # signs: the model's validators
            return StrictDecimalField(**limits, **common)
        if isinstance(db_field, models.DateField) and not isinstance(db_field, models.DateTimeField):
            return StrictDateField(widget=formfield.widget, **common)
        return formfield
