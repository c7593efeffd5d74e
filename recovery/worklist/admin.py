"""The worklist in the admin (issue 12, item 1): the caseworker's home page, the submission review page,
and the counts per bucket in the admin's navigation."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from ..access import checks as access, audit
from ..cases import services as case_services
from ..errors import CaseActionError
from ..cases.tracks import Track
from . import selectors
from ..models import Submission
from .services import REVIEW_PERM, submission_review
from ..access.admin_audit import AuditedModelAdmin


def scope_from(request) -> selectors.Scope:
    who = request.GET.get("who", "mine")
    if who not in ("mine", "all") and not who.isdigit():
        who = "mine"
    track = request.GET.get("track", "")
    if track not in Track.values:
        track = ""
    try:
        horizon = int(request.GET.get("horizon", selectors.DEFAULT_HORIZON))
    except ValueError:
        horizon = selectors.DEFAULT_HORIZON
    if horizon not in selectors.HORIZONS:
        horizon = selectors.DEFAULT_HORIZON
    return selectors.Scope(user=request.user, who=who, track=track, horizon=horizon, today=case_services.today())


def nav_context(request) -> dict:
    """For every admin page (RecoveryAdminSite.each_context): my counts per bucket (selectors.nav_counts:
    counted at most once a minute per user)."""
    user = getattr(request, "user", None)
    if not (user and access.is_staff_user(user)):
        return {}
    counts = selectors.nav_counts(user, case_services.today())
    titles = {key: title for key, title, *_ in selectors.BUCKETS}
    return {"worklist_nav": [(key, titles[key], n) for key, n in counts.items()],
            "worklist_total": sum(counts.values()),
            "may_see_dashboard": user.has_perm("recovery.dashboard_sweeprun")}


def worklist_view(request, admin_site):
    if not access.is_staff_user(request.user):
        raise PermissionDenied
    scope = scope_from(request)
    only = request.GET.get("bucket") or None
    if only not in (None, *selectors.BUCKET_KEYS):
        only = None
    try:
        page = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        page = 1
    buckets = selectors.worklist(scope, only=only, page=page)
    nav_scope = selectors.Scope(user=request.user, today=scope.today)
    if only is None and scope == nav_scope:  # the navigation's own counts: store what was just counted
        selectors.remember_nav_counts(request.user, scope.today,
                                      {b.key: b.count + (1 if b.more else 0) for b in buckets})
    pager = None
    if only:
        pager = Paginator(range(buckets[0].count), selectors.PAGE_SIZE).get_page(page)
    case_ids = sorted({i.case.pk for b in buckets for i in b.items if i.case is not None})
    audit.record(request, audit.A.LIST, objects=case_ids, object_type="recovery.RecoveryCase", channel="admin",
                 detail=f"worklist {scope.who} {scope.track or 'all tracks'} {only or 'all buckets'}")
    from django.contrib.auth import get_user_model

    context = {
        **admin_site.each_context(request),
        "title": "Worklist", "buckets": buckets, "scope": scope, "only": only, "pager": pager,
        "horizons": selectors.HORIZONS, "tracks": Track.choices,
        "caseworkers": get_user_model().objects.filter(is_staff=True, is_active=True, groups__isnull=False)
        .distinct().order_by("username")[:200],
    }
    return TemplateResponse(request, "admin/recovery/worklist.html", context)


@admin.register(Submission)
class SubmissionAdmin(AuditedModelAdmin):  # shows what people sent on a case: every read audited (SPEC §8)
    """A submission's page: what was sent, the case, and the explicit "Mark reviewed" step."""

    change_form_template = "admin/recovery/submission/change_form.html"
    list_display = ["received_at", "case", "action_label", "submitted_by_name", "reviewed_at", "reviewed_by"]
    list_select_related = ["case", "reviewed_by"]
    list_filter = [("reviewed_at", admin.EmptyFieldListFilter), "action"]
    search_fields = ["case__number", "submitted_by_name"]
    show_full_result_count = False
    fields = ["case", "action_label", "received_at", "received_on", "submitted_by_name", "reason",
              "reviewed_at", "reviewed_by", "review_note"]
    readonly_fields = fields

    @admin.display(description="what was sent")
    def action_label(self, obj):
        return obj.action_label

    @admin.display(description="as recorded in the case history")
    def reason(self, obj):
        return obj.event.reason

    def get_queryset(self, request):
        return selectors.visible(super().get_queryset(request), request.user, "case__").select_related(
            "case", "event", "reviewed_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        from django.urls import path

        return [path("<int:pk>/review/", self.admin_site.admin_view(self.review_view),
                     name="recovery_submission_review"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = {**(extra_context or {}), "may_review": bool(obj and not obj.reviewed_at
                                                               and request.user.has_perm(REVIEW_PERM))}
        if obj is not None:
            extra["case_url"] = reverse("admin:recovery_recoverycase_change", args=[obj.case_id])
            extra["documents"] = obj.case.documents.filter(uploaded_by_id=obj.submitted_by_id).order_by(
                "-uploaded_at")[:20]
            if obj.action == "submit_settlement":  # what was sent, as it stands on the case now
                from ..models import Settlement

                extra["settlement"] = Settlement.objects.filter(case_id=obj.case_id).first()
        response = super().change_view(request, object_id, form_url, extra)
        audit.record(request, audit.A.VIEW, object_type="recovery.Submission", object_id=object_id,
                     channel="admin", outcome="ok" if response.status_code == 200 else "denied")
        return response

    def review_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:recovery_submission_change", args=[pk]))
        submission = get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            submission_review(submission=submission, actor=request.user, note=request.POST.get("note", ""))
        except CaseActionError as exc:
            audit.record(request, audit.A.ACT, submission, detail="review_submission", channel="admin",
                         outcome="refused")
            self.message_user(request, exc.message, messages.ERROR)
            if not request.user.has_perm(REVIEW_PERM):
                raise PermissionDenied from exc
            return HttpResponseRedirect(reverse("admin:recovery_submission_change", args=[pk]))
        audit.record(request, audit.A.ACT, submission, detail="review_submission", channel="admin")
        self.message_user(request, f"{submission.action_label} on case {submission.case.number}: marked reviewed.",
                          messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:worklist"))
