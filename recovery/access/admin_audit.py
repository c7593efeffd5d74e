"""The admin's reads are audit-logged (SPEC §8), by construction (issue 9, findings 3 and 10).

- `AuditedAdminMixin` goes on every ModelAdmin of a model that holds case or beneficiary data (and of
  any model not named as impersonal in tests/security/test_admin_reads_audited.py, which enumerates
  the admin's URLs and fails for a view that reads without an audit row). It audits the list (with the
  ids shown), the object page, the delete confirmation, Django's and simple-history's history list and
  simple-history's record page — whether the read was allowed or refused. Search terms and filters
  never go into a row: object types and ids only.
- `ReadOnlyHistoryMixin` goes on every SimpleHistoryAdmin: the history record pages show a past
  version, and nothing more — no "Revert" button, and a POST to one is refused (403) before the form is
  read. Changes go through the change form or, for cases, authorisations, letters and the ledger,
  through the services (simple-history's SIMPLE_HISTORY_REVERT_DISABLED only hides the button).
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from ..fields import StrictInputAdminMixin
from . import audit

DENIED = "denied"


class RevertRefused(PermissionDenied):
    """A POST to a history record page (audited where it is refused)."""


def _outcome(response):
    return "ok" if response.status_code in (200, 302) else DENIED


class AuditedAdminMixin(StrictInputAdminMixin):
    """Every read of a beneficiary's data in the admin is audit-logged (SPEC §8): lists with the ids
    shown, pages viewed, changes saved, history pages, refusals."""

    def _audited(self, request, action, view, *, object_id=None, detail=""):
        label = self.model._meta.label
        try:
            response = view()
        except RevertRefused:
            raise
        except (PermissionDenied, Http404):
            audit.record(request, action, object_type=label, object_id=object_id, outcome=DENIED, detail=detail,
                         channel="admin")
            raise
        return response, label

    def changelist_view(self, request, extra_context=None):
        try:
            response = super().changelist_view(request, extra_context)
        except PermissionDenied:
            audit.record(request, audit.A.LIST, object_type=self.model._meta.label, outcome=DENIED, channel="admin")
            raise
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if cl is not None:
            audit.record(request, audit.A.LIST, objects=[o.pk for o in cl.result_list], channel="admin",
                         object_type=self.model._meta.label)
        elif request.method == "GET":
            audit.record(request, audit.A.LIST, object_type=self.model._meta.label, outcome=_outcome(response),
                         channel="admin")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        action = audit.A.VIEW if request.method == "GET" else audit.A.UPDATE
        response, label = self._audited(
            request, action, lambda: super(AuditedAdminMixin, self).change_view(request, object_id, form_url,
                                                                                extra_context),
            object_id=object_id)
        audit.record(request, action, object_type=label, object_id=object_id, outcome=_outcome(response),
                     channel="admin")
        return response

    def delete_view(self, request, object_id, extra_context=None):
        action = audit.A.VIEW if request.method == "GET" else audit.A.UPDATE
        response, label = self._audited(
            request, action, lambda: super(AuditedAdminMixin, self).delete_view(request, object_id, extra_context),
            object_id=object_id, detail="delete")
        audit.record(request, action, object_type=label, object_id=object_id, outcome=_outcome(response),
                     detail="delete", channel="admin")
        return response

    def history_view(self, request, object_id, extra_context=None):
        response, label = self._audited(
            request, audit.A.VIEW, lambda: super(AuditedAdminMixin, self).history_view(request, object_id,
                                                                                       extra_context),
            object_id=object_id, detail="history")
        audit.record(request, audit.A.VIEW, object_type=label, object_id=object_id, outcome=_outcome(response),
                     detail="history", channel="admin")
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        detail = f"history record {version_id}"[:100]
        response, label = self._audited(
            request, audit.A.VIEW, lambda: super(AuditedAdminMixin, self).history_form_view(
                request, object_id, version_id, extra_context),
            object_id=object_id, detail=detail)
        audit.record(request, audit.A.VIEW, object_type=label, object_id=object_id, outcome=_outcome(response),
                     detail=detail, channel="admin")
        return response


class ReadOnlyHistoryMixin:
    """On a SimpleHistoryAdmin: a past version is shown, never restored (issue 9, finding 10)."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            audit.record(request, audit.A.UPDATE, object_type=self.model._meta.label, object_id=object_id,
                         outcome=DENIED, detail="revert refused", channel="admin")
            raise RevertRefused("A past version is not restored here: change the record through its page or "
                                   "its steps.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A plain admin of a model holding case or beneficiary data."""


class ReadOnlyHistoryAdmin(ReadOnlyHistoryMixin, SimpleHistoryAdmin):
    """A SimpleHistoryAdmin whose history is read-only (models without personal data: payers, policy)."""


class AuditedHistoryAdmin(AuditedAdminMixin, ReadOnlyHistoryMixin, SimpleHistoryAdmin):
    """A model with case or beneficiary data and its history: audited reads, read-only history."""
