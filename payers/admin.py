from django.contrib import admin
from django.urls import path

from recovery.access.admin_audit import AuditedHistoryAdmin, ReadOnlyHistoryAdmin

from .coordination import occurrence as coordination
from .coordination.admin_views import who_pays_first_view
from recovery.fields import StrictInputAdminMixin
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
    form = coordination.OccurrenceCoordinationForm  # + the who-pays-first facts of a GHP (SPEC §7)

    def get_urls(self):
        view = self.admin_site.admin_view(
            lambda request: who_pays_first_view(request, admin_site=self.admin_site, opts=self.model._meta))
        return [path("who-pays-first/", view, name="payers_who_pays_first"), *super().get_urls()]

    def get_fieldsets(self, request, obj=None):
        return coordination.fieldsets(super().get_fieldsets(request, obj))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        coordination.warn_after_save(request, obj, form, message_user=self.message_user)
