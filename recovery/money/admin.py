"""The policy tables' admin: supervisors maintain the effective-dated figures (SPEC §5, §7).

Rates are typed and shown as percentages (issue 12): 12.5 or "12.50%" means 12.5%, stored as the
fraction 0.125 as the rules use it; the lists show 11.50%."""

import re
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from ..models import ClockLength, FixedPercentageTerms, InterestRate, RecoveryThreshold, SelfCalculatedTerms
from ..fields import StrictInputAdminMixin
from ..access.admin_audit import ReadOnlyHistoryAdmin
from ..templatetags.caseday import money, percent_text

_PERCENT = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*%?", re.ASCII)


class PercentField(forms.Field):
    """A rate typed as a percentage ("12.5", "12.50%", "0", "100"), cleaned to the fraction the model
    stores (Decimal("0.125")), within 0 %–100 % and to the column's precision. A stored fraction is
    shown back as a percentage (0.11500 → "11.50")."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "percent"})

    def __init__(self, *, decimal_places: int, **kwargs):
        self.fraction_places = decimal_places
        self.percent_places = max(decimal_places - 2, 0)
        super().__init__(**kwargs)

    def _label(self) -> str:
        return str(self.label) if self.label else "Rate"

    def prepare_value(self, value):
        if isinstance(value, Decimal):  # the stored fraction: shown as the percentage
            return percent_text(value).removesuffix("%")
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        text = str(value).strip()
        label = self._label()
        if text.startswith("-"):
            raise ValidationError(f"{label} must not be negative (0% to 100%).", code="min_value")
        match = _PERCENT.fullmatch(text)
        if match is None:
            raise ValidationError(f"{label}: enter a percentage, e.g. 12.5 or 12.50% (digits 0–9 and a point).",
                                  code="invalid")
        number = Decimal(match["number"])
        if -number.as_tuple().exponent > self.percent_places:
            example = "12" + (f".{'125'[:self.percent_places]}" if self.percent_places else "")
            raise ValidationError(f"{label}: at most {self.percent_places} decimal places in a percentage "
                                  f"(e.g. {example}%).", code="max_decimal_places")
        if number > 100:
            raise ValidationError(f"{label} is at most 100% (you typed {match['number']}%).", code="max_value")
        return (number / 100).quantize(Decimal(1).scaleb(-self.fraction_places))


class PolicyAdmin(StrictInputAdminMixin, ReadOnlyHistoryAdmin):
    """Supervisors maintain the effective-dated policy tables; every change is kept (django-simple-history).
    Rows are never deleted: a new figure is a new row with a later effective date."""

    percent_fields: tuple = ()  # fraction columns typed and shown as percentages

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.percent_fields:
            return PercentField(decimal_places=db_field.decimal_places, required=not db_field.blank,
                                label=f"{db_field.verbose_name.capitalize()} (%)",
                                help_text="A percentage: 11.5 or 11.50% for 11.50% a year; 0 to 100.")
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(RecoveryThreshold)
class RecoveryThresholdAdmin(PolicyAdmin):
    list_display = ["coverage_type", "effective_from", "amount_money", "source"]
    list_filter = ["coverage_type"]

    @admin.display(description="amount", ordering="amount")
    def amount_money(self, obj):
        return money(obj.amount)


@admin.register(FixedPercentageTerms)
class FixedPercentageTermsAdmin(PolicyAdmin):
    list_display = ["effective_from", "percentage_shown", "settlement_cap_money", "source"]
    percent_fields = ("percentage",)

    @admin.display(description="percentage of the gross settlement", ordering="percentage")
    def percentage_shown(self, obj):
        return percent_text(obj.percentage)

    @admin.display(description="settlement cap", ordering="settlement_cap")
    def settlement_cap_money(self, obj):
        return money(obj.settlement_cap)


@admin.register(SelfCalculatedTerms)
class SelfCalculatedTermsAdmin(PolicyAdmin):
    list_display = ["effective_from", "settlement_limit_money", "min_months_since_injury", "min_days_since_care",
                    "source"]

    @admin.display(description="settlement limit", ordering="settlement_limit")
    def settlement_limit_money(self, obj):
        return money(obj.settlement_limit)


@admin.register(InterestRate)
class InterestRateAdmin(PolicyAdmin):
    list_display = ["effective_from", "annual_rate_shown", "year_days", "period_days", "grace_days", "source"]
    percent_fields = ("annual_rate",)

    @admin.display(description="annual rate", ordering="annual_rate")
    def annual_rate_shown(self, obj):
        return percent_text(obj.annual_rate)


@admin.register(ClockLength)
class ClockLengthAdmin(PolicyAdmin):
    list_display = ["track", "name", "effective_from", "days", "source"]
    list_filter = ["track", "name"]
