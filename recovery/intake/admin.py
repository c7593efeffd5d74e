"""Admin: upload an intake cases file (and its claims file) → preview (what would be created / updated,
every row's errors) → confirm → the import runs as a Celery task with its progress shown."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from . import layout
from .layout import RowError
from ..models import IntakeBatch
from .services import errors_csv
from .tasks import confirm_batch, live_progress, preview_batch, queue_preview
from ..access import audit
from ..access.admin_audit import AuditedModelAdmin

MAX_BYTES = 200 * 1024 * 1024
# Files bigger than this are previewed by the Celery task (its progress shown), not in the request.
PREVIEW_IN_REQUEST_BYTES = 2 * 1024 * 1024


class UploadForm(forms.Form):
    cases_file = forms.FileField(label="Cases file (CSV)", help_text=f"Intake layout v{layout.VERSION}: see docs/intake.md")
    claims_file = forms.FileField(label="Claims file (CSV)", required=False)

    def _text(self, name):
        upload = self.cleaned_data.get(name)
        if not upload:
            return ""
        if upload.size == 0:
            raise forms.ValidationError({name: "The file is empty."})
        if upload.size > MAX_BYTES:
            raise forms.ValidationError({name: f"The file is larger than {MAX_BYTES // 2**20} MiB."})
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError({name: "The file is not UTF-8 text (a CSV file)."}) from None

    def clean(self):
        data = super().clean()
        if not self.errors:
            data["cases_text"] = self._text("cases_file")
            data["claims_text"] = self._text("claims_file")
        return data


@admin.register(IntakeBatch)
class IntakeBatchAdmin(AuditedModelAdmin):  # the files hold MBIs and names: every read audited (SPEC §8)
    list_display = ["id", "cases_name", "claims_name", "status", "uploaded_by", "uploaded_at", "finished_at"]
    list_filter = ["status"]
    change_form_template = "admin/recovery/intakebatch/batch.html"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/confirm/", view(self.confirm_view), name="recovery_intakebatch_confirm"),
            path("<int:pk>/errors.csv", view(self.errors_view), name="recovery_intakebatch_errors"),
            path("<int:pk>/progress/", view(self.progress_view), name="recovery_intakebatch_progress"),
            *super().get_urls(),
        ]

    def _batch(self, request, pk, perm="view"):
        batch = get_object_or_404(IntakeBatch, pk=pk)
        allowed = self.has_view_permission(request, batch) if perm == "view" else self.has_add_permission(request)
        if not allowed:
            raise PermissionDenied
        return batch

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            batch = IntakeBatch.objects.create(
                cases_name=form.cleaned_data["cases_file"].name[:200], cases_csv=form.cleaned_data["cases_text"],
                claims_name=form.cleaned_data["claims_file"].name[:200] if form.cleaned_data["claims_file"] else "",
                claims_csv=form.cleaned_data["claims_text"], layout_version=layout.VERSION,
                uploaded_by=request.user)
            size = len(batch.cases_csv) + len(batch.claims_csv)
            if size > getattr(settings, "INTAKE_PREVIEW_IN_REQUEST_BYTES", PREVIEW_IN_REQUEST_BYTES):
                IntakeBatch.objects.filter(pk=batch.pk).update(status=IntakeBatch.Status.PREVIEWING)
                queue_preview(batch)
            else:
                preview_batch(batch)
            return HttpResponseRedirect(reverse("admin:recovery_intakebatch_change", args=[batch.pk]))
        context = {**self.admin_site.each_context(request), "title": "Upload an intake file", "form": form,
                   "opts": self.model._meta, "version": layout.VERSION}
        return TemplateResponse(request, "admin/recovery/intakebatch/upload.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = live_progress(self._batch(request, object_id))
        phase = "import" if batch.status == IntakeBatch.Status.DONE else "preview"
        errors = batch.errors.filter(phase=phase)
        context = {
            **self.admin_site.each_context(request), "title": str(batch), "batch": batch, "opts": self.model._meta,
            "phase": phase, "error_count": errors.count(), "errors": errors[:500],
            "counts": batch.result if phase == "import" else batch.preview,
            "may_confirm": batch.status == IntakeBatch.Status.PREVIEWED and self.has_add_permission(request),
            "running": batch.status in (IntakeBatch.Status.PREVIEWING, IntakeBatch.Status.QUEUED,
                                        IntakeBatch.Status.RUNNING),
        }
        audit.record(request, audit.A.VIEW, batch, channel="admin")  # the rows hold MBIs and names (SPEC §8)
        return TemplateResponse(request, self.change_form_template, context)

    def confirm_view(self, request, pk):
        batch = self._batch(request, pk, perm="add")
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:recovery_intakebatch_change", args=[pk]))
        if confirm_batch(batch):
            messages.success(request, "The import is running; this page shows its progress.")
        else:
            messages.warning(request, "This batch was already confirmed.")
        return HttpResponseRedirect(reverse("admin:recovery_intakebatch_change", args=[pk]))

    def progress_view(self, request, pk):
        batch = live_progress(self._batch(request, pk))
        from django.http import JsonResponse

        audit.record(request, audit.A.VIEW, batch, channel="admin", detail="progress")
        return JsonResponse({"status": batch.status, "done": batch.done, "total": batch.total,
                             "percent": batch.percent})

    def errors_view(self, request, pk):
        batch = self._batch(request, pk)
        phase = "import" if batch.status == IntakeBatch.Status.DONE else "preview"
        rows = [RowError(e.file, e.line, e.field, e.reason, e.key) for e in batch.errors.filter(phase=phase)]
        audit.record(request, audit.A.DOWNLOAD, batch, channel="admin", detail="error report")
        response = HttpResponse(errors_csv(rows), content_type="text/csv; charset=utf-8")
        response["Cache-Control"] = "no-store"
        response["Content-Disposition"] = f'attachment; filename="intake-{batch.pk}-{phase}-errors.csv"'
        return response
