from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .mbi import InvalidMBI, normalize_mbi
from .models import Beneficiary


@admin.register(Beneficiary)
class BeneficiaryAdmin(SimpleHistoryAdmin):
    list_display = ["last_name", "first_name", "mbi_display", "date_of_birth", "entitlement_basis", "state"]
    list_filter = ["entitlement_basis", "state"]
    search_fields = ["mbi", "last_name", "first_name"]
    fieldsets = [
        (None, {"fields": ["mbi", ("first_name", "last_name"), ("date_of_birth", "date_of_death"), "email"]}),
        ("Address", {"fields": ["address_line1", "address_line2", ("city", "state", "zip_code")]}),
        ("Entitlement", {"fields": ["entitlement_basis", ("entitlement_start", "entitlement_end")]}),
    ]

    @admin.display(description="MBI", ordering="mbi")
    def mbi_display(self, obj):
        return obj.mbi_display

    def get_search_results(self, request, queryset, search_term):
        try:
            search_term = normalize_mbi(search_term)
        except InvalidMBI:
            pass
        return super().get_search_results(request, queryset, search_term)
