"""The audit concern's admin: every read of a beneficiary's data in an admin page is logged (the
mixin every beneficiary-data admin uses), and supervisors browse the log (SPEC §8)."""

from django.contrib import admin

from ..audit_models import AuditEvent
from . import audit
from ..fields import StrictInputAdminMixin
from ..pagination import FastPaginator


from .admin_audit import AuditedAdminMixin  # noqa: E402,F401 — its home; imported from here by the admins



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
