"""The letters' admin: the list of letters written, and each letter's PDF (audited download)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from ..access import audit
from ..models import Letter
from .outbox import letter_pdf_bytes
from .pdf import letter_filename
from ..access.admin_audit import AuditedModelAdmin


@admin.register(Letter)
class LetterAdmin(AuditedModelAdmin):
    list_display = ["case", "kind", "letter_date", "amount_money", "created_at", "pdf"]
    list_select_related = ["case"]
    list_filter = ["kind"]
    search_fields = ["case__number"]
    readonly_fields = ["case", "kind", "letter_date", "recipients", "amount", "content", "event", "created_at", "pdf"]

    @admin.display(description="amount", ordering="amount")
    def amount_money(self, obj):
        from ..templatetags.caseday import money  # $12,345.67, as everywhere a person reads money

        return money(obj.amount)

    @admin.display(description="document")
    def pdf(self, obj):
        return format_html('<a href="{}">PDF</a>', reverse("admin:recovery_letter_pdf", args=[obj.pk]))

    def get_urls(self):
        return [path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="recovery_letter_pdf"),
                *super().get_urls()]

    def pdf_view(self, request, pk):
        letter = get_object_or_404(Letter.objects.select_related("case__beneficiary", "case__debtor_payer"), pk=pk)
        if not self.has_view_permission(request, letter):
            raise PermissionDenied
        try:
            data = letter_pdf_bytes(letter)
        except ValueError as exc:  # the stored file no longer matches its SHA-256
            audit.record(request, audit.A.DOWNLOAD, letter, channel="admin", outcome="refused")
            self.message_user(request, f"The letter's stored PDF cannot be trusted: {exc}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:recovery_letter_change", args=[letter.pk]))
        audit.record(request, audit.A.DOWNLOAD, letter, channel="admin")
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{letter_filename(letter)}"'
        response["Cache-Control"] = "no-store"  # PHI: never kept by a browser or proxy cache (issue 9)
        return response

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
