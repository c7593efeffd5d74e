"""The policy tables' admin: supervisors maintain the effective-dated figures (SPEC §5, §7)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ..models import ClockLength, FixedPercentageTerms, InterestRate, RecoveryThreshold, SelfCalculatedTerms
from ..fields import StrictInputAdminMixin
from ..access.admin_audit import ReadOnlyHistoryAdmin


class PolicyAdmin(StrictInputAdminMixin, ReadOnlyHistoryAdmin):
    """Supervisors maintain the effective-dated policy tables; every change is kept (django-simple-history).
    Rows are never deleted: a new figure is a new row with a later effective date."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RecoveryThreshold)
class RecoveryThresholdAdmin(PolicyAdmin):
    list_display = ["coverage_type", "effective_from", "amount", "source"]
    list_filter = ["coverage_type"]


@admin.register(FixedPercentageTerms)
class FixedPercentageTermsAdmin(PolicyAdmin):
    list_display = ["effective_from", "percentage", "settlement_cap", "source"]


@admin.register(SelfCalculatedTerms)
class SelfCalculatedTermsAdmin(PolicyAdmin):
    list_display = ["effective_from", "settlement_limit", "min_months_since_injury", "min_days_since_care", "source"]


@admin.register(InterestRate)
class InterestRateAdmin(PolicyAdmin):
    list_display = ["effective_from", "annual_rate", "year_days", "period_days", "grace_days", "source"]


@admin.register(ClockLength)
class ClockLengthAdmin(PolicyAdmin):
    list_display = ["track", "name", "effective_from", "days", "source"]
    list_filter = ["track", "name"]
