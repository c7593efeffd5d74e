from django.contrib import admin

from recovery.admin_audit import AuditedHistoryAdmin, ReadOnlyHistoryAdmin

from .models import MSPOccurrence, Payer


@admin.register(Payer)
class PayerAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "kind", "email", "phone"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(MSPOccurrence)
class MSPOccurrenceAdmin(AuditedHistoryAdmin):
    list_display = ["beneficiary", "payer", "coverage_type", "incident_date", "coverage_start", "orm"]
    list_select_related = ["beneficiary", "payer"]
    list_filter = ["coverage_type", "orm", "injury_kind"]
    search_fields = ["beneficiary__mbi", "beneficiary__last_name", "payer__name"]
    autocomplete_fields = ["beneficiary", "payer"]
