"""The caseworkers' admin: the case list (filters, search, overdue), the case page with everything
that hangs off a case, and a button for exactly each step this user may take now (SPEC §3.4)."""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from urllib.parse import urlencode
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from ..access import audit
from ..money import ledger, options
from . import services, tracks
from ..errors import CaseActionError
from ..fields import StrictInputAdminMixin
from .. import list_pages
from ..access import roles
from ..access.admin_audit import AuditedAdminMixin, AuditedHistoryAdmin, AuditedModelAdmin, ReadOnlyHistoryAdmin  # noqa: F401
from .forms import (
    FixedPercentageElectionForm,
    PaymentForm,
    RefundForm,
    SelfCalculatedAnswerForm,
    SelfCalculatedElectionForm,
    form_for,
)
from ..access.admin import AuditedAdminMixin
from ..models import (
    CaseEvent,
    Claim,
    Dispute,
    LedgerEntry,
    Letter,
    OptionElection,
    RecoveryCase,
    Settlement,
    UploadedDocument,
)
from ..pagination import FastPaginator
from . import steps
from .selectors import debt_balance
from ..templatetags.caseday import money
from .tracks import State


PERM_WORK = "recovery.transition_recoverycase"

# Case operations that are not state changes: (label, form, service call, open on this case?).
OPERATIONS = {
    "record_payment": ("Record a payment", PaymentForm,
                       lambda case, user, d: ledger.payment_record(case=case, actor=user, **d),
                       lambda case: case.demand_date is not None and not case.is_closed),
    "record_refund": ("Record a refund paid", RefundForm,
                      lambda case, user, d: ledger.refund_record(case=case, actor=user, **d),
                      lambda case: case.demand_date is not None and services.debt_balance(case=case).refund_owed > 0),
    "elect_fixed_percentage": ("Record a fixed-percentage election", FixedPercentageElectionForm,
                               lambda case, user, d: options.option_elect_fixed_percentage(case=case, actor=user, **d),
                               lambda case: case.track == tracks.Track.BENEFICIARY and case.state in options.PRE_DEMAND),
    "elect_self_calculated": ("Record a self-calculated election", SelfCalculatedElectionForm,
                              lambda case, user, d: options.option_elect_self_calculated(case=case, actor=user, **d),
                              lambda case: case.track == tracks.Track.BENEFICIARY and case.state in options.PRE_DEMAND),
    "answer_self_calculated": ("Give the final conditional payment amount", SelfCalculatedAnswerForm,
                               lambda case, user, d: options.option_answer_self_calculated(case=case, actor=user, **d),
                               lambda case: case.elections.filter(kind=OptionElection.Kind.SELF_CALCULATED,
                                                                  status=OptionElection.Status.ACCEPTED).exists()),
}


def demand_preview(case, on):
    return steps.demand_preview(case=case, on=on)


def preview_matches(data, preview) -> bool:
    """The POST carries the date and amount of the preview the caseworker read (hidden fields)."""
    return (preview.amount is not None and data.get("preview_on") == preview.on.isoformat()
            and data.get("preview_amount") == str(preview.amount))


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("today", "Due today"), ("week", "Due in the next 7 days")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "yes":
            return queryset.filter(next_due_date__lt=today)
        if self.value() == "today":
            return queryset.filter(next_due_date=today)
        if self.value() == "week":
            return queryset.filter(next_due_date__gt=today, next_due_date__lte=today + timezone.timedelta(days=7))
        return queryset


def money_column(name: str, description: str | None = None):
    """A read-only column showing a money field as $12,345.67 (issue 12: money the same everywhere)."""
    def show(self, obj):
        return money(getattr(obj, name))

    show.__name__ = f"{name}_money"
    return admin.display(description=description or name.replace("_", " "))(show)


# The case page's tables: Django's tabular inline without the caption it prints above each row (the
# object's str(), e.g. "issue_rar: occurrence_posted → rar_issued" in the history).
CASE_TABULAR = "admin/recovery/recoverycase/tabular.html"


class ReadOnlyInline(admin.TabularInline):
    template = CASE_TABULAR
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClaimInline(StrictInputAdminMixin, admin.TabularInline):
    model = Claim
    template = CASE_TABULAR
    classes = ["case-claims"]
    extra = 0
    can_delete = False
    fields = ["claim_number", "provider_name", "provider_npi", "service_from", "service_to", "diagnosis_codes",
              "amount_paid", "paid_date", "status"]

    amount_paid_money = money_column("amount_paid", "Medicare paid")

    def has_change_permission(self, request, obj=None):
        # Claims are worked until the demand; after it the demand's computation is fixed.
        return obj is None or obj.demand_date is None

    def has_add_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        return _money_when_fixed(self, super().get_fields(request, obj), request, obj)

    def get_readonly_fields(self, request, obj=None):
        return _money_readonly(self, super().get_readonly_fields(request, obj), request, obj)


class SettlementInline(StrictInputAdminMixin, admin.StackedInline):
    model = Settlement
    template = "admin/recovery/recoverycase/stacked.html"
    extra = 0
    max_num = 1
    can_delete = False
    fields = [("settlement_date", "received_on", "source"), ("gross_amount", "attorney_fees", "other_costs"),
              ("costs_borne_by_beneficiary", "claim_was_disputed", "other_settlement_expected")]

    gross_amount_money = money_column("gross_amount", "gross amount")
    attorney_fees_money = money_column("attorney_fees", "attorney fees")
    other_costs_money = money_column("other_costs", "other procurement costs")

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.demand_date is None

    def has_add_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return [(name, {**opts, "fields": _money_when_fixed(self, opts["fields"], request, obj)})
                for name, opts in fieldsets]

    def get_readonly_fields(self, request, obj=None):
        return _money_readonly(self, super().get_readonly_fields(request, obj), request, obj)


def _money_when_fixed(inline, fields, request, obj):
    """Once the inline is read-only (after the demand), its money fields are shown as $12,345.67."""
    if inline.has_change_permission(request, obj):
        return fields

    def swap(name):
        if isinstance(name, (list, tuple)):
            return type(name)(swap(n) for n in name)
        return f"{name}_money" if hasattr(inline, f"{name}_money") else name

    return [swap(f) for f in fields]


def _money_readonly(inline, readonly, request, obj):
    if inline.has_change_permission(request, obj):
        return readonly
    return [*readonly, *(name for name in dir(type(inline)) if name.endswith("_money"))]


class DisputeInline(ReadOnlyInline):
    model = Dispute
    fields = ["received_date", "filed_by", "grounds", "from_state", "outcome", "decided_on", "decision_reason"]
    readonly_fields = fields


class LetterInline(ReadOnlyInline):
    model = Letter
    fields = ["letter_date", "kind", "amount_money", "recipient_names", "pdf"]
    readonly_fields = fields
    amount_money = money_column("amount")

    @admin.display(description="recipients")
    def recipient_names(self, obj):
        return ", ".join(f"{r['name']} ({r['role']})" for r in obj.recipients)

    @admin.display(description="document")
    def pdf(self, obj):
        url = reverse("admin:recovery_letter_pdf", args=[obj.pk])
        return format_html('<a href="{}">PDF</a>', url)


class DocumentInline(ReadOnlyInline):
    model = UploadedDocument
    fields = ["uploaded_at", "purpose", "download", "content_type", "size", "uploaded_by"]
    readonly_fields = fields
    verbose_name_plural = "documents uploaded"

    @admin.display(description="document")
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("portal:document", args=[obj.key]), obj.original_name)


class ElectionInline(ReadOnlyInline):
    model = OptionElection
    fields = ["elected_on", "kind", "status", "reasons", "submitted_amount_money", "final_amount_money",
              "answered_on", "actor_name"]
    readonly_fields = fields
    submitted_amount_money = money_column("submitted_amount")
    final_amount_money = money_column("final_amount")
    verbose_name_plural = "option elections (SPEC §5.3)"


class LedgerInline(ReadOnlyInline):
    model = LedgerEntry
    fields = ["entry_date", "kind", "amount_money", "principal_money", "interest_money", "refund_owed_money", "note",
              "actor_name"]
    readonly_fields = fields
    amount_money = money_column("amount")
    principal_money = money_column("principal")
    interest_money = money_column("interest")
    refund_owed_money = money_column("refund_owed")
    verbose_name_plural = "debt ledger"


class HistoryInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["effective_date", "what", "actor_name", "change", "reason", "at"]
    readonly_fields = fields
    verbose_name_plural = "case history"
    ordering = ["at", "id"]

    @admin.display(description="what happened")
    def what(self, obj):
        return tracks.event_label(obj.action)

    @admin.display(description="state")
    def change(self, obj):
        if obj.from_state == obj.to_state:
            return State(obj.to_state).label
        return f"{State(obj.from_state).label} → {State(obj.to_state).label}"


class CaseChangeList(ChangeList):
    """The case list loads the columns its rows show, not each case's forty and its beneficiary's and
    caseworker's every column (issue 10: building the models was a large part of a 50-row page)."""

    COLUMNS = ["id", "number", "track", "state", "next_due_date", "opened_on", "beneficiary_id", "caseworker_id",
               "beneficiary__first_name", "beneficiary__last_name", "beneficiary__mbi", "caseworker__username"]

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).only(*self.COLUMNS)


@admin.register(RecoveryCase)
class RecoveryCaseAdmin(AuditedHistoryAdmin):
    change_form_template = "admin/recovery/recoverycase/change_form.html"
    list_display = ["number", "track", "state", "beneficiary_name", "mbi", "caseworker", "next_due_date",
                    "overdue", "opened_on"]
    list_select_related = ["beneficiary", "caseworker"]
    list_filter = ["track", "state", ("caseworker", list_pages.CaseworkerListFilter), OverdueFilter]
    search_fields = ["number", "beneficiary__mbi", "beneficiary__last_name", "beneficiary__first_name"]
    search_help_text = ("A case number (or its start), an MBI, a claim number, or a name — the beneficiary's, "
                        "else the payer's, else the attorney's (accents do not matter in a beneficiary's name). Say which with "
                        "name:, payer:, claim: or attorney:.")
    autocomplete_fields = ["beneficiary"]
    list_per_page = 50
    show_full_result_count = False
    paginator = FastPaginator  # no COUNT(*) over a million cases on every page (issue 10)

    def get_changelist(self, request, **kwargs):
        return CaseChangeList
    # The documents uploaded on the case are listed with the authorisations' in the page's Documents
    # section (steps.case_documents), with download; DocumentInline stays for other pages.
    inlines = [ClaimInline, SettlementInline, DisputeInline, ElectionInline, LetterInline, LedgerInline,
               HistoryInline]
    readonly_fields = ["number", "state", "rar_date", "cpl_date", "cpn_date", "payment_notice_date",
                       "response_date", "termination_date", "demand_date", "demand_amount_money",
                       "demand_without_reduction", "itr_date", "referral_notice_date", "referral_date",
                       "closed_date", "appeal_level", "hold_reason", "next_due_date", "next_due_reason",
                       "balance"]
    fieldsets = [
        (None, {"fields": ["number", "track", "state", "beneficiary", "occurrence", "debtor_payer", "caseworker",
                           "opened_on", "incident_date"]}),
        ("Clocks", {"fields": ["next_due_date", "next_due_reason", "rar_date", "cpl_date", "cpn_date",
                               "payment_notice_date", "response_date", "termination_date", "hold_reason"]}),
        ("Debt", {"fields": ["demand_date", "demand_amount_money", "demand_without_reduction", "balance", "itr_date",
                             "referral_notice_date", "referral_date", "appeal_level", "closed_date"]}),
    ]
    add_fieldsets = [(None, {"fields": ["track", "beneficiary", "occurrence", "debtor_payer", "caseworker",
                                        "opened_on"]})]

    @admin.display(description="beneficiary", ordering="beneficiary__last_name")
    def beneficiary_name(self, obj):
        return obj.beneficiary.full_name

    @admin.display(description="MBI", ordering="beneficiary__mbi")
    def mbi(self, obj):
        return obj.beneficiary.mbi_display

    @admin.display(boolean=True)
    def overdue(self, obj):
        return bool(obj.next_due_date and obj.next_due_date < timezone.localdate())

    @admin.display(description="balance (principal + interest)")
    def balance(self, obj):
        if not obj.demand_date:
            return "—"
        b = debt_balance(case=obj)
        refund = f"; refund owed {money(b.refund_owed)}" if b.refund_owed else ""
        return f"{money(b.total)} (principal {money(b.principal)}, interest {money(b.interest)}{refund})"

    demand_amount_money = money_column("demand_amount", "demand amount")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """The caseworker is chosen among the active caseworkers and supervisors (any other user is
        refused, naming the field); an MSP occurrence is shown with its beneficiary's name (issue 9)."""
        if db_field.name == "caseworker":
            kwargs["queryset"] = roles.case_workers()
            kwargs["error_messages"] = {"invalid_choice": "Choose an active caseworker or supervisor; "
                                                          "that user does not work cases."}
        if db_field.name == "occurrence":
            kwargs["queryset"] = db_field.related_model.objects.select_related("beneficiary", "payer")
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda occ: f"{occ.beneficiary.full_name} — {occ}"
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def add_view(self, request, form_url="", extra_context=None):
        """The add form lists the MSP occurrences with their beneficiaries' names: a read, audited (SPEC §8)."""
        response = super().add_view(request, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            audit.record(request, audit.A.LIST, object_type="payers.MSPOccurrence", channel="admin",
                         detail="occurrence choices on the case add form")
        return response

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = list(self.readonly_fields) + ["track", "beneficiary", "opened_on"]
        if obj.demand_date:
            fields += ["occurrence", "debtor_payer", "incident_date"]
        return fields

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def get_search_results(self, request, queryset, search_term):
        """A case number, an MBI (dashed or lower-case too: SPEC §8) or a claim number is recognised by its
        shape and looked up exactly through its index; words search the names (list_pages.case_search)."""
        found, kind, capped = list_pages.search(queryset, search_term)
        if capped:
            messages.info(request, f"More than {list_pages.NAME_CAP:,} people have this name: the list shows the "
                                   f"cases of the first {list_pages.NAME_CAP:,}. Add more of the name, or search by MBI.")
        return found, False

    def save_model(self, request, obj, form, change):
        if change:
            # Save only what this form changed (caseworker, occurrence…): a step or a sweep that moved
            # the case meanwhile keeps its dates and state.
            if form.changed_data:
                obj.save(update_fields=[*form.changed_data, "updated_at"])
            return
        case = services.case_open(
            beneficiary=obj.beneficiary, track=obj.track, actor=request.user, occurrence=obj.occurrence,
            debtor_payer=obj.debtor_payer, caseworker=obj.caseworker, opened_on=obj.opened_on,
        )
        obj.pk, obj.number = case.pk, case.number
        obj._state.adding = False

    # --- steps -------------------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("<int:pk>/act/<str:action>/", self.admin_site.admin_view(self.action_view),
                 name="recovery_recoverycase_act"),
            path("<int:pk>/operation/<str:op>/", self.admin_site.admin_view(self.operation_view),
                 name="recovery_recoverycase_operation"),
            path("diagrams/", self.admin_site.admin_view(self.diagrams_view), name="recovery_recoverycase_diagrams"),
            path("queue/", self.admin_site.admin_view(self.queue_view), name="recovery_recoverycase_queue"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        case = self.get_object(request, object_id)
        if case is not None:
            # Every step of the track: buttons for those this user may take now, the others greyed with
            # the guard's words (recovery.cases.steps asks the same guards as case_act).
            case_steps = steps.case_steps(case=case, user=request.user)
            extra_context["steps_here"] = [s for s in case_steps if s.from_here]
            extra_context["steps_elsewhere"] = [s for s in case_steps if not s.from_here]
            may_work = request.user.has_perm(PERM_WORK)
            extra_context["case_operations"] = [
                (op, label) for op, (label, _, _, open_on) in OPERATIONS.items() if may_work and open_on(case)
            ]
            extra_context["case_documents"] = steps.case_documents(case=case)
        return super().change_view(request, object_id, form_url, extra_context)

    def _case_for(self, request, pk):
        case = get_object_or_404(RecoveryCase.objects.select_related("beneficiary", "debtor_payer"), pk=pk)
        if not self.has_view_permission(request, case):
            raise PermissionDenied
        return case

    def _change_url(self, case):
        return reverse("admin:recovery_recoverycase_change", args=[case.pk])

    def action_view(self, request, pk, action):
        case = self._case_for(request, pk)
        if action not in tracks.ACTION_LABELS:
            raise PermissionDenied
        form_class = form_for(action)
        form = form_class(request.POST or None, case=case)
        preview = None
        previewing = action == "issue_demand" and "_preview" in request.POST  # "Preview for this date"
        if action == "issue_demand":
            # Issue demand shows the whole computation before it commits (SPEC §5.2/§5.3): the page
            # previews the demand for the date in the form; a POST whose date or amount differs from
            # what the page showed is shown again with the new figures instead of being issued.
            on = form.cleaned_data["on"] if form.is_bound and form.is_valid() else timezone.localdate()
            preview = demand_preview(case, on)
            if form.is_bound and form.is_valid() and preview.error:
                form.add_error(None, preview.error)
            elif form.is_bound and not previewing and form.is_valid() and not preview_matches(request.POST, preview):
                form.add_error(None, f"The demand dated {on:%Y-%m-%d} comes to {money(preview.amount)}: check the "
                                     f"computation above, then press '{tracks.ACTION_LABELS[action]}' again.")
        if request.method == "POST" and not previewing and form.is_valid():
            try:
                services.case_act(case=case, action=action, actor=request.user,
                                  expected_state=form.cleaned_data["expected_state"], **form.service_params())
            except CaseActionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                case.refresh_from_db()
            else:
                audit.record(request, audit.A.ACT, case, detail=action, channel="admin")
                self.message_user(request, f"{tracks.ACTION_LABELS[action]} on case {case.number}: done. The case "
                                           f"is now '{case.get_state_display()}'.", messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(case))
        refusal = None
        if request.method == "GET":
            refusal = services.why_not(case, action, user=request.user, on=timezone.localdate())
            audit.record(request, audit.A.VIEW, case, detail=f"step form {action}", channel="admin")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta, "original": case, "case": case, "form": form,
            "title": f"{tracks.ACTION_LABELS[action]} — case {case.number}",
            "action_label": tracks.ACTION_LABELS[action], "refusal": refusal,
            "change_url": self._change_url(case), "preview": preview,
        }
        return TemplateResponse(request, "admin/recovery/recoverycase/action.html", context)

    def operation_view(self, request, pk, op):
        case = self._case_for(request, pk)
        if op not in OPERATIONS or not request.user.has_perm(PERM_WORK):
            raise PermissionDenied
        label, form_class, call, _ = OPERATIONS[op]
        form = form_class(request.POST or None, case=case)
        if request.method == "POST" and form.is_valid():
            try:
                result = call(case, request.user, form.cleaned_data)
            except CaseActionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                if getattr(result, "overpaid", None):  # a payment above the balance: a refund is owed
                    self.message_user(request, ledger.overpayment_warning(result.overpaid), messages.WARNING)
                audit.record(request, audit.A.ACT, case, detail=op, channel="admin")
                case.refresh_from_db()
                balance = services.debt_balance(case=case).total if case.demand_date else None
                note = f" Balance {money(balance)}." if balance is not None else ""
                self.message_user(request, f"{label} on case {case.number}: done.{note}", messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(case))
        if request.method == "GET":
            audit.record(request, audit.A.VIEW, case, detail=f"operation form {op}", channel="admin")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta, "original": case, "case": case, "form": form,
            "title": f"{label} — case {case.number}", "action_label": label,
            "change_url": self._change_url(case),
        }
        return TemplateResponse(request, "admin/recovery/recoverycase/action.html", context)

    def queue_view(self, request):
        """The old work queue (issue 4) lives on as the worklist's clock buckets (issue 12: overdue, due
        today, this week, later): its address sends there, for the same caseworker or for everyone."""
        if not self.has_view_permission(request):
            audit.record(request, audit.A.LIST, object_type=self.model._meta.label, outcome="denied",
                         detail="work queue", channel="admin")
            raise PermissionDenied
        who = request.GET.get("caseworker", "")
        query = {"who": "all"} if who == "all" else {"who": who} if who.isascii() and who.isdigit() else {}
        return HttpResponseRedirect(reverse("admin:worklist") + (f"?{urlencode(query)}" if query else ""))

    def diagrams_view(self, request):
        if not self.has_view_permission(request):  # a caseworker page: staff with no case permission get none
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta, "title": "Recovery tracks",
            "diagrams": [
                {
                    "track": label,
                    "mermaid": tracks.mermaid(value),
                    "edges": sorted({(State(s).label, tracks.ACTION_LABELS[a], State(t).label)
                                     for a, s, t in tracks.EDGES[value] if a not in ("put_on_hold", "resume")},
                                    key=lambda e: tracks.State.labels.index(e[0])),
                }
                for value, label in tracks.Track.choices
            ],
        }
        return TemplateResponse(request, "admin/recovery/recoverycase/diagrams.html", context)


class EventActionFilter(admin.SimpleListFilter):
    """The history filtered by what happened, in words (the track table's labels; no DISTINCT over the history)."""
    title = "what happened"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return list(tracks.EVENT_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(CaseEvent)
class CaseEventAdmin(AuditedModelAdmin):
    list_display = ["case", "at", "effective_date", "actor_name", "what", "from_state", "to_state"]
    list_select_related = ["case"]
    list_filter = [EventActionFilter]
    search_fields = ["case__number", "actor_name"]

    @admin.display(description="what happened", ordering="action")
    def what(self, obj):
        return tracks.event_label(obj.action)  # "CPL issued", never the internal code

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
