"""The audit concern's admin: every read of a beneficiary's data in an admin page is logged (the
mixin every beneficiary-data admin uses), and supervisors browse the log (SPEC §8)."""

from django.contrib import admin

from ..audit_models import AuditEvent
from . import audit
from ..fields import StrictInputAdminMixin
from ..pagination import FastPaginator


class AuditedAdminMixin(StrictInputAdminMixin):
    """Every read of a beneficiary's data in the admin is audit-logged (SPEC §8): lists with the ids
    shown, pages viewed, changes saved."""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl") if hasattr(response, "context_data") else None
        if cl is not None:
            audit.record(request, audit.A.LIST, objects=[o.pk for o in cl.result_list], channel="admin",
                         object_type=self.model._meta.label)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        action = audit.A.VIEW if request.method == "GET" else audit.A.UPDATE
        outcome = "ok" if response.status_code in (200, 302) else "denied"
        audit.record(request, action, object_type=self.model._meta.label, object_id=object_id, outcome=outcome,
                     channel="admin")
        return response


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Supervisors browse the audit log; nobody changes or deletes it (SPEC §8)."""

    list_display = ["at", "username", "action", "object_type", "object_id", "outcome", "channel", "client_ip"]
    list_filter = ["action", "outcome", "channel", "object_type"]
    search_fields = ["username", "object_id"]
    date_hierarchy = "at"
    show_full_result_count = False
    paginator = FastPaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
