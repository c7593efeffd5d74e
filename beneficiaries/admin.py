from django.contrib import admin

from recovery.access.admin_audit import AuditedHistoryAdmin

from .mbi import InvalidMBI, normalize_mbi
from .models import Beneficiary


@admin.register(Beneficiary)
class BeneficiaryAdmin(AuditedHistoryAdmin):
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


from django.contrib import messages  # noqa: E402

from recovery.errors import CaseActionError  # noqa: E402

from .models import Authorisation, ExternalProfile  # noqa: E402
from .services import authorisation_decide  # noqa: E402


@admin.register(ExternalProfile)
class ExternalProfileAdmin(AuditedHistoryAdmin):
    list_display = ["user", "kind", "organisation", "payer"]
    list_filter = ["kind"]
    search_fields = ["user__username", "organisation"]
    autocomplete_fields = ["payer"]


@admin.register(Authorisation)
class AuthorisationAdmin(AuditedHistoryAdmin):
    """Caseworkers verify or reject the POR, CTR and letters of authority people upload (SPEC §8)."""

    list_display = ["kind", "holder", "case", "payer", "ctr_end_date", "status", "submitted_at", "decided_on"]
    list_filter = ["status", "kind"]
    list_select_related = ["holder", "case", "payer"]
    search_fields = ["holder__username", "case__number"]
    readonly_fields = ["status", "decided_by", "decided_on", "submitted_by", "submitted_at", "document_link"]
    fields = ["kind", "holder", "case", "payer", "ctr_end_date", "from_estate", "document_link", "status",
              "decision_note", "submitted_by", "submitted_at", "decided_by", "decided_on"]
    actions = ["verify", "reject"]

    def has_add_permission(self, request):
        return False  # submitted with a document through the portal or the API

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f for f in self.fields if f != "decision_note"]

    @admin.display(description="document")
    def document_link(self, obj):
        from django.urls import reverse
        from django.utils.html import format_html

        return format_html('<a href="{}">{}</a>', reverse("portal:document", args=[obj.document.key]),
                           obj.document.original_name)

    def _decide(self, request, queryset, verified):
        done = 0
        for auth in queryset:
            try:
                authorisation_decide(authorisation=auth, verified=verified, actor=request.user,
                                     note=auth.decision_note or ("" if verified else "Rejected by caseworker"))
                done += 1
            except CaseActionError as exc:
                self.message_user(request, f"{auth}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} authorisation(s) {'verified' if verified else 'rejected'}.")

    @admin.action(description="Verify the selected authorisations", permissions=["change"])
    def verify(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description="Reject the selected authorisations", permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, False)
