"""The audit concern's admin: every read of a beneficiary's data in an admin page is logged (the
mixin every beneficiary-data admin uses), and supervisors browse the log (SPEC §8)."""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList

from ..audit_models import AuditEvent
from . import audit
from ..fields import StrictInputAdminMixin
from ..pagination import FastPaginator


from .admin_audit import AuditedAdminMixin  # noqa: E402,F401 — its home; imported from here by the admins



# The channels audit.record is called with (AuditEvent.channel's help text): the filter offers these
# without a DISTINCT over the whole log.
CHANNELS = ["admin", "portal", "api", "download"]
CASE_TYPE = "recovery.RecoveryCase"


def distinct_leading(model, column: str, limit: int = 100) -> list[str]:
    """The distinct values of `column`, the leading column of an index on `model`'s table: on PostgreSQL
    a recursive "loose index scan" (one index probe per distinct value, not a scan of every row); on
    other databases a plain DISTINCT (small tables)."""
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    col = connection.ops.quote_name(column)
    if connection.vendor != "postgresql":
        return list(model._default_manager.order_by(column).values_list(column, flat=True).distinct()[:limit])
    with connection.cursor() as cur:
        cur.execute(f"""
            WITH RECURSIVE v(x) AS (
                (SELECT {col} FROM {table} ORDER BY {col} LIMIT 1)
                UNION ALL
                SELECT (SELECT {col} FROM {table} WHERE {col} > v.x ORDER BY {col} LIMIT 1) FROM v WHERE v.x IS NOT NULL
            ) SELECT x FROM v WHERE x IS NOT NULL LIMIT %s""", [limit])
        return [row[0] for row in cur.fetchall()]


class ObjectTypeFilter(admin.SimpleListFilter):
    title = "object type"
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        return [(t, t) for t in distinct_leading(AuditEvent, "object_type")]  # the (object_type, object_id) index

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


class ChannelFilter(admin.SimpleListFilter):
    title = "channel"
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return [(c, c) for c in CHANNELS]

    def queryset(self, request, queryset):
        return queryset.filter(channel=self.value()) if self.value() else queryset


def case_numbers(ids) -> dict[int, str]:
    """{case id: case number} for the ids given: one query (issue 12 item 5: a person reads case numbers)."""
    from ..models import RecoveryCase

    wanted = {int(i) for i in ids if str(i).isdigit()}
    if not wanted:
        return {}
    return dict(RecoveryCase.objects.filter(pk__in=wanted).values_list("pk", "number"))


class AuditChangeList(ChangeList):
    def get_results(self, request):
        """The page's rows, then the case numbers of the cases they name in one query."""
        super().get_results(request)
        rows = list(self.result_list)
        numbers = case_numbers(r.object_id for r in rows if r.object_type == CASE_TYPE)
        for r in rows:
            r.case_number = numbers.get(int(r.object_id)) if r.object_type == CASE_TYPE and r.object_id.isdigit() \
                else None


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Supervisors browse the audit log; nobody changes or deletes it (SPEC §8).

    At a million cases (issue 10) every part of the list is an index probe: the page by the (-at, -id)
    index, the date filter by fixed ranges (no DISTINCT of years), the object types by a loose index scan,
    the channels from a fixed list; a search is exact: a case number (that case's rows) or a username."""

    list_display = ["at", "username", "action", "object_type", "what", "outcome", "channel", "client_ip"]
    list_filter = [("at", admin.DateFieldListFilter), "action", "outcome", ChannelFilter, ObjectTypeFilter]
    search_fields = ["username"]  # shows the search box; the search itself is get_search_results
    search_help_text = "A case number (that case's rows) or a username, exactly."
    show_full_result_count = False
    paginator = FastPaginator
    list_per_page = 50
    fields = ["at", "user", "username", "action", "object_type", "object_id", "case", "object_ids", "cases_listed",
              "detail", "outcome", "client_ip", "channel"]
    readonly_fields = ["case", "cases_listed"]

    def get_changelist(self, request, **kwargs):
        return AuditChangeList

    def changelist_view(self, request, extra_context=None):
        """The log names cases by their numbers: which cases a supervisor saw named is itself audited."""
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl") if response.status_code == 200 else None
        if cl is not None:
            shown = sorted({int(r.object_id) for r in cl.result_list if getattr(r, "case_number", None)})
            if shown:
                audit.record(request, audit.A.LIST, objects=shown, object_type=CASE_TYPE, detail="audit log",
                             channel="admin")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            audit.record(request, audit.A.VIEW, object_type="recovery.AuditEvent", object_id=str(object_id),
                         detail="audit log entry (case numbers)", channel="admin")
        return response

    @admin.display(description="object")
    def what(self, obj):
        number = getattr(obj, "case_number", None)
        if number:
            return f"case {number}"
        if obj.object_type == CASE_TYPE and obj.object_ids:
            return f"{len(obj.object_ids)} cases"
        return obj.object_id or "—"

    @admin.display(description="case")
    def case(self, obj):
        if obj.object_type != CASE_TYPE:
            return "—"
        return case_numbers([obj.object_id]).get(int(obj.object_id), "—") if obj.object_id.isdigit() else "—"

    @admin.display(description="cases listed (numbers)")
    def cases_listed(self, obj):
        if obj.object_type != CASE_TYPE or not obj.object_ids:
            return "—"
        numbers = case_numbers(obj.object_ids)
        return ", ".join(numbers.get(int(i), f"#{i}") for i in obj.object_ids if str(i).isdigit())

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        digits = term.replace(" ", "").replace("-", "")
        if digits.isdigit() and len(digits) == 15:
            from ..models import RecoveryCase

            pk = RecoveryCase.objects.filter(number=digits).values_list("pk", flat=True).first()
            return queryset.filter(object_type=CASE_TYPE, object_id=str(pk) if pk else "-"), False
        from django.contrib.auth import get_user_model

        user_id = get_user_model().objects.filter(username=term).values_list("pk", flat=True).first()
        if user_id is not None:  # the (user, at) index
            return queryset.filter(user_id=user_id), False
        return queryset.filter(username=term), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
