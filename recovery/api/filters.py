"""Filters of the case list (django-filter). They narrow `access.cases_for(user)`; they never widen it."""

import django_filters
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from recovery.fields import StrictIntegerField
from recovery.models import RecoveryCase
from recovery.cases.tracks import State, Track


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    field_class = StrictIntegerField  # ASCII digits only (recovery.parsing's rule for ids)


class CaseFilter(django_filters.FilterSet):
    track = django_filters.ChoiceFilter(choices=Track.choices)
    state = django_filters.MultipleChoiceFilter(choices=State.choices,
                                                help_text="One or more states (repeat the parameter)")
    caseworker = IdFilter(field_name="caseworker_id", min_value=1, max_value=2**63 - 1,
                                             help_text="The id of the caseworker the case is assigned to")
    next_due_date = django_filters.DateFromToRangeFilter(
        help_text="next_due_date_after / next_due_date_before (inclusive, YYYY-MM-DD)")
    overdue = django_filters.ChoiceFilter(
        choices=[("true", "Overdue"), ("false", "Not overdue")], method="filter_overdue",
        help_text="true: the next dated step was due before today; false: it was not")
    number = django_filters.CharFilter(field_name="number", max_length=15, help_text="The exact 15-digit case number")
    search = django_filters.CharFilter(
        method="filter_search", max_length=20,
        help_text="The start of a case number (digits; spaces and dashes are ignored)")
    ordering = django_filters.OrderingFilter(fields=(("opened_on", "opened_on"), ("next_due_date", "next_due_date"),
                                                     ("number", "number")))

    class Meta:
        model = RecoveryCase
        fields = ["track", "state", "caseworker", "next_due_date", "overdue", "number", "search"]

    def filter_overdue(self, queryset, name, value):
        today = timezone.localdate()
        if value == "true":
            return queryset.filter(next_due_date__lt=today)
        if value == "false":
            return queryset.exclude(next_due_date__lt=today)
        return queryset

    def filter_search(self, queryset, name, value):
        digits = "".join(ch for ch in value if ch not in " -")
        if not digits:
            return queryset
        if not (digits.isascii() and digits.isdigit()):
            return queryset.none()
        # A prefix match on the unique number: LIKE '2000…%' uses its index on PostgreSQL.
        return queryset.filter(number__startswith=digits)

    @property
    def qs(self):
        qs = super().qs
        # Ordering by a column that repeats (opened_on, next_due_date) must still page stably.
        if self.form.cleaned_data.get("ordering"):
            qs = qs.order_by(*qs.query.order_by, "-id")
        return qs
