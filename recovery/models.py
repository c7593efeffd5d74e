"""Recovery cases and what hangs off them: claims, settlement, disputes, letters, history, the debt.

Transitions here are thin state changes (STYLE.md): they set the dates the clocks need. They are
*performed* only by `recovery.cases.services`, which checks the guards, saves inside one transaction,
writes the history row and the letter.
"""

import re
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from .cases import tracks
from .models_base import AppendOnlyModel, AppendOnlyQuerySet
from .cases.tracks import State, Track

ZERO = Decimal("0.00")


def money_field(verbose_name=None, **kwargs):
    """Dollars stored to the cent; never negative (SPEC §5, §9)."""
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 2)
    kwargs.setdefault("validators", [MinValueValidator(ZERO, "Amounts cannot be negative.")])
    return models.DecimalField(verbose_name, **kwargs)


def _on_track(action):
    """FSM condition: the case's own track has `action` from its current state (tracks.EDGES)."""

    def condition(case):
        return tracks.allowed(case.track, case.state, action)

    condition.__name__ = f"track_allows_{action}"
    return condition


def _fsm(action, target, **kwargs):
    return transition(
        field="state",
        source=tracks.sources(action),
        target=target,
        conditions=[_on_track(action)],
        custom={"label": tracks.ACTION_LABELS[action]},
        **kwargs,
    )


_ANY = RETURN_VALUE(*State.values)


class CaseNumberSequence(models.Model):
    """The last number handed out per leading digit (SPEC §3.5): 2 beneficiary track, 3 plan tracks."""

    prefix = models.CharField(max_length=1, primary_key=True)
    last = models.BigIntegerField(default=0)


class RecoveryCase(ConcurrentTransitionMixin, models.Model):
    number = models.CharField("case number", max_length=15, unique=True, editable=False)
    track = models.CharField(max_length=12, choices=Track.choices)
    state = FSMField(max_length=32, choices=State.choices, default=State.REPORTED, protected=True)
    beneficiary = models.ForeignKey("beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="cases")
    occurrence = models.ForeignKey(
        "payers.MSPOccurrence", on_delete=models.PROTECT, related_name="cases", null=True, blank=True,
        verbose_name="MSP occurrence",
    )
    debtor_payer = models.ForeignKey(
        "payers.Payer", on_delete=models.PROTECT, related_name="debts", null=True, blank=True,
        help_text="Plan tracks: the plan or insurer recovered from. Empty: the beneficiary is the debtor.",
    )
    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="cases", null=True, blank=True
    )

    # Recovery period and the clocks' dates (SPEC §3).
    opened_on = models.DateField()
    incident_date = models.DateField(null=True, blank=True, help_text="Start of the recovery period")
    termination_date = models.DateField(null=True, blank=True, help_text="Settlement/judgment/award date")
    rar_date = models.DateField("RAR date", null=True, blank=True)
    cpl_date = models.DateField("latest CPL date", null=True, blank=True)
    cpn_date = models.DateField("CPN date", null=True, blank=True)
    payment_notice_date = models.DateField(null=True, blank=True)
    response_date = models.DateField(
        null=True, blank=True, help_text="When the debtor answered the CPN or payment notice"
    )
    demand_date = models.DateField(null=True, blank=True)
    demand_amount = money_field(null=True, blank=True)
    demand_without_reduction = models.BooleanField(
        default=False, help_text="Demand issued on an unanswered CPN: no fee or cost reduction (SPEC §5.2)"
    )
    itr_date = models.DateField("ITR date", null=True, blank=True)
    referral_notice_date = models.DateField(null=True, blank=True)
    referral_date = models.DateField("Treasury referral date", null=True, blank=True)
    closed_date = models.DateField(null=True, blank=True)

    # Where a pending review or a hold returns to.
    return_state = models.CharField(max_length=32, choices=State.choices, blank=True,
                                    help_text="Where a pending dispute, appeal, waiver or challenge returns to")
    hold_return_state = models.CharField(max_length=32, choices=State.choices, blank=True,
                                         help_text="Where the case resumes after a hold")
    appeal_level = models.PositiveSmallIntegerField(default=0)
    hold_reason = models.TextField(blank=True)

    # What the work queue and the sweeps filter on (SPEC §10: indexed).
    next_due_date = models.DateField(null=True, blank=True)
    next_due_reason = models.CharField(max_length=100, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["next_due_date", "next_due_reason", "updated_at"])

    class Meta:
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["track", "state"]),
            models.Index(fields=["state", "next_due_date"]),
            models.Index(fields=["caseworker", "state"]),
            models.Index(fields=["next_due_date"]),
            # The list pages' default order and their filters in that order (issue 10, SPEC §10).
            models.Index(fields=["-opened_on", "-id"], name="case_opened_desc_idx"),
            models.Index(fields=["state", "-opened_on", "-id"], name="case_state_opened_idx"),
            models.Index(fields=["track", "-opened_on", "-id"], name="case_track_opened_idx"),
            models.Index(fields=["caseworker", "-opened_on", "-id"], name="case_cw_opened_idx"),
            # A caseworker's worklist in its order: the 25 shown are read, not all their overdue cases (issue 10).
            models.Index(fields=["caseworker", "next_due_date", "number"], name="case_cw_due_number_idx"),
            # The worklist's order (next_due_date, number): a day's thousands of ties need no sort (issue 10).
            models.Index(fields=["next_due_date", "number"], name="case_due_number_idx"),
            models.Index(fields=["state", "next_due_date", "number"], name="case_state_due_number_idx"),
        ]
        permissions = [
            ("transition_recoverycase", "Can move a case through its track"),
            ("hold_recoverycase", "Can put a case on hold and resume it"),
        ]

    def __str__(self):
        return self.number

    # --- derived --------------------------------------------------------------------------------
    @property
    def is_closed(self) -> bool:
        return self.state in tracks.CLOSED_STATES

    @property
    def recovery_period_start(self):
        if self.incident_date:
            return self.incident_date
        if self.occurrence_id and self.occurrence.coverage_start:
            return self.occurrence.coverage_start
        return None

    @property
    def debtor_name(self) -> str:
        return str(self.debtor_payer) if self.debtor_payer_id else self.beneficiary.full_name

    def clean(self):
        errors = {}
        if self.track == Track.BENEFICIARY and self.debtor_payer_id:
            errors["debtor_payer"] = "On the beneficiary track the beneficiary is the debtor; leave this empty."
        if self.track in (Track.PLAN, Track.GHP) and not self.debtor_payer_id:
            errors["debtor_payer"] = "A plan-track case needs the plan or insurer it recovers from."
        if self.occurrence_id and self.beneficiary_id and self.occurrence.beneficiary_id != self.beneficiary_id:
            errors["occurrence"] = "This MSP occurrence belongs to another beneficiary."
        if self.track == Track.GHP and self.occurrence_id and not self.occurrence.is_ghp:
            errors["occurrence"] = "A GHP case needs a group health plan occurrence."
        if self.track in (Track.BENEFICIARY, Track.PLAN) and self.occurrence_id and self.occurrence.is_ghp:
            errors["occurrence"] = "An NGHP case needs a liability, no-fault or WC occurrence."
        if self.termination_date and self.incident_date and self.termination_date < self.incident_date:
            errors["termination_date"] = "The settlement date is before the incident date."
        if errors:
            raise ValidationError(errors)

    # --- transitions (thin: dates only; performed by recovery.cases.services) ------------------------
    @_fsm("post_occurrence", State.OCCURRENCE_POSTED)
    def post_occurrence(self, *, on):
        pass

    @_fsm("issue_rar", State.RAR_ISSUED)
    def issue_rar(self, *, on):
        self.rar_date = on

    @_fsm("issue_cpl", State.CPL_ISSUED)
    def issue_cpl(self, *, on):
        self.cpl_date = on

    @_fsm("issue_cpn", State.CPN_ISSUED)
    def issue_cpn(self, *, on, settlement_date=None):
        self.cpn_date = on
        self.response_date = None
        if settlement_date:  # the settlement the CPN follows ends the recovery period (SPEC §3.1)
            self.termination_date = settlement_date

    @_fsm("record_response", None)
    def record_response(self, *, on):
        self.response_date = on

    @_fsm("open_dispute", State.DISPUTE_PENDING)
    def open_dispute(self, *, on):
        self.return_state = self.state
        if self.state == State.CPN_ISSUED:
            self.response_date = self.response_date or on  # a dispute is a response: no automatic demand

    @_fsm("decide_dispute", _ANY)
    def decide_dispute(self, *, on):
        target, self.return_state = self.return_state, ""
        if target == State.CPL_ISSUED:
            self.cpl_date = on  # the decision comes with an updated CPL
        return target

    @_fsm("report_settlement", State.SETTLEMENT_REPORTED)
    def report_settlement(self, *, on, settlement_date):
        self.termination_date = settlement_date

    @_fsm("issue_payment_notice", State.PAYMENT_NOTICE_ISSUED)
    def issue_payment_notice(self, *, on):
        self.payment_notice_date = on
        self.response_date = None

    @_fsm("issue_demand", State.DEMAND_ISSUED)
    def issue_demand(self, *, on, amount, without_reduction):
        self.demand_date = on
        self.demand_amount = amount
        self.demand_without_reduction = without_reduction

    @_fsm("issue_itr", State.INTENT_TO_REFER_ISSUED)
    def issue_itr(self, *, on):
        self.itr_date = on

    @_fsm("issue_referral_notice", State.REFERRAL_NOTICE_ISSUED)
    def issue_referral_notice(self, *, on):
        self.referral_notice_date = on

    @_fsm("refer_to_treasury", State.REFERRED_TO_TREASURY)
    def refer_to_treasury(self, *, on):
        self.referral_date = on

    @_fsm("file_appeal", State.APPEAL_PENDING)
    def file_appeal(self, *, on):
        self.return_state = self.state
        self.appeal_level += 1

    @_fsm("file_waiver", State.WAIVER_PENDING)
    def file_waiver(self, *, on):
        self.return_state = self.state

    @_fsm("file_challenge", State.CHALLENGE_PENDING)
    def file_challenge(self, *, on):
        self.return_state = self.state

    def _decide_review(self, *, on, close_as):
        target, self.return_state = self.return_state, ""
        if close_as:
            self.closed_date = on
            return close_as
        return target

    @_fsm("decide_appeal", _ANY)
    def decide_appeal(self, *, on, close_as=None):
        return self._decide_review(on=on, close_as=close_as)

    @_fsm("decide_waiver", _ANY)
    def decide_waiver(self, *, on, close_as=None):
        return self._decide_review(on=on, close_as=close_as)

    @_fsm("decide_challenge", _ANY)
    def decide_challenge(self, *, on, close_as=None):
        return self._decide_review(on=on, close_as=close_as)

    @_fsm("close_paid", State.CLOSED_PAID)
    def close_paid(self, *, on):
        self.closed_date = on

    @_fsm("close_no_recovery", State.CLOSED_NO_RECOVERY)
    def close_no_recovery(self, *, on):
        self.closed_date = on

    @_fsm("put_on_hold", State.ON_HOLD, permission="recovery.hold_recoverycase")
    def put_on_hold(self, *, on, reason):
        self.hold_return_state = self.state
        self.hold_reason = reason

    @_fsm("resume", _ANY, permission="recovery.hold_recoverycase")
    def resume(self, *, on):
        target, self.hold_return_state, self.hold_reason = self.hold_return_state, "", ""
        return target


_ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")


def validate_diagnosis_codes(value: str):
    codes = [c.strip().upper() for c in value.split(",") if c.strip()]
    if not codes:
        raise ValidationError("Give at least one ICD-10 diagnosis code.")
    bad = [c for c in codes if not _ICD10.match(c)]
    if bad:
        raise ValidationError(f"Not ICD-10 diagnosis codes: {', '.join(bad)} (e.g. S82.101A).")


class Claim(models.Model):
    """A Medicare claim paid conditionally, and whether it relates to the case (SPEC §5.1)."""

    class Status(models.TextChoices):
        RELATED = "related", "Related"
        UNRELATED = "unrelated", "Unrelated"
        DISPUTED = "disputed", "Disputed"

    case = models.ForeignKey(RecoveryCase, on_delete=models.PROTECT, related_name="claims")
    claim_number = models.CharField(max_length=30)
    provider_name = models.CharField(max_length=200)
    provider_npi = models.CharField("provider NPI", max_length=10, blank=True)
    service_from = models.DateField("first date of service")
    service_to = models.DateField("last date of service")
    diagnosis_codes = models.CharField(
        max_length=200, validators=[validate_diagnosis_codes], help_text="ICD-10, comma-separated"
    )
    amount_paid = money_field("Medicare paid")
    paid_date = models.DateField("date Medicare paid", null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RELATED)

    history = HistoricalRecords()

    class Meta:
        ordering = ["service_from", "claim_number"]
        indexes = [models.Index(fields=["claim_number"], name="claim_number_idx")]  # the case list's search
        constraints = [
            models.UniqueConstraint(fields=["case", "claim_number"], name="claim_number_unique_per_case"),
            models.CheckConstraint(condition=models.Q(amount_paid__gte=0), name="claim_amount_not_negative"),
        ]

    def __str__(self):
        return self.claim_number

    def clean(self):
        errors = {}
        if self.provider_npi and not (self.provider_npi.isdigit() and len(self.provider_npi) == 10):
            errors["provider_npi"] = "An NPI is 10 digits."
        if self.service_from and self.service_to and self.service_to < self.service_from:
            errors["service_to"] = "The last date of service is before the first."
        if self.case_id:
            errors.update(service_period_errors(self.service_from, self.service_to,
                                                self.case.recovery_period_start, self.case.termination_date))
        if errors:
            raise ValidationError(errors)


def service_period_errors(service_from, service_to, start, end) -> dict[str, str]:
    """Dates of service inside the recovery period [start, end] (SPEC §5.1, §9), by field: the one rule
    that Claim.clean and the intake's set-based path (which checks rows without model instances) share."""
    errors = {}
    if service_from and service_to:
        if start and service_from < start:
            errors["service_from"] = (
                f"Dates of service must fall in the recovery period, which starts on {start:%Y-%m-%d}."
            )
        if end and service_to > end:
            errors["service_to"] = f"Dates of service must fall in the recovery period, which ends on {end:%Y-%m-%d}."
    return errors


class Settlement(models.Model):
    """The TPOC: settlement, judgment, award or other payment (SPEC §3.1: date, gross, fees and costs)."""

    class Source(models.TextChoices):
        BENEFICIARY = "beneficiary", "Beneficiary or representative"
        SECTION_111 = "section_111", "Insurer's Section 111 report"

    case = models.OneToOneField(RecoveryCase, on_delete=models.PROTECT, related_name="settlement")
    settlement_date = models.DateField()
    gross_amount = money_field("gross settlement amount")
    attorney_fees = money_field(default=ZERO)
    other_costs = money_field("other procurement costs", default=ZERO)
    costs_borne_by_beneficiary = models.BooleanField(
        default=True, help_text="Only costs the beneficiary bore reduce the recovery (§411.37(a)(1)(ii))"
    )
    claim_was_disputed = models.BooleanField(
        default=True, help_text="Costs count only if incurred because the claim was disputed (§411.37(a)(1)(i))"
    )
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.BENEFICIARY)
    received_on = models.DateField(null=True, blank=True)
    other_settlement_expected = models.BooleanField(
        default=False, help_text="Another settlement for the incident is expected (thresholds and options, SPEC §5.3)"
    )

    history = HistoricalRecords()

    def __str__(self):
        return f"Settlement {self.settlement_date} ${self.gross_amount}"

    @property
    def procurement_costs(self) -> Decimal:
        if not (self.costs_borne_by_beneficiary and self.claim_was_disputed):
            return ZERO
        return (self.attorney_fees or ZERO) + (self.other_costs or ZERO)

    def clean(self):
        errors = {}
        fees, other, gross = self.attorney_fees or ZERO, self.other_costs or ZERO, self.gross_amount
        if gross is not None and gross >= ZERO and fees + other > gross:
            errors["attorney_fees"] = (
                f"Procurement costs (${fees + other}) are above the gross settlement (${gross})."
            )
        # The one rule for the admin, the portal and the API (SPEC §9); today as cases.history.today()
        # counts it (the contractor's local date) — the models sit below that module.
        if self.settlement_date and self.settlement_date > timezone.localdate():
            errors["settlement_date"] = (
                "The settlement date cannot be in the future; for a settlement still to come, give notice of the "
                "expected settlement instead."
            )
        elif self.case_id and self.settlement_date and self.case.incident_date:
            if self.settlement_date < self.case.incident_date:
                errors["settlement_date"] = (
                    f"The settlement date is before the incident date ({self.case.incident_date:%Y-%m-%d})."
                )
        if errors:
            raise ValidationError(errors)


class Dispute(models.Model):
    """A dispute of claims on a CPL or CPN; decided within 45 days (SPEC §3.1)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        GRANTED = "granted", "Granted"
        PARTIAL = "partial", "Partly granted"
        DENIED = "denied", "Denied"

    case = models.ForeignKey(RecoveryCase, on_delete=models.PROTECT, related_name="disputes")
    received_date = models.DateField()
    filed_by = models.CharField(max_length=200)
    grounds = models.TextField()
    claims = models.ManyToManyField(Claim, related_name="disputes")
    from_state = models.CharField(max_length=32, choices=State.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    decided_on = models.DateField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    removed_claims = models.ManyToManyField(Claim, related_name="removed_by_disputes", blank=True)
    added_claims = models.ManyToManyField(Claim, related_name="added_by_disputes", blank=True)

    history = HistoricalRecords(m2m_fields=[claims, removed_claims, added_claims])

    class Meta:
        ordering = ["-received_date", "-id"]

    def __str__(self):
        return f"Dispute received {self.received_date} ({self.get_outcome_display()})"


class OptionElection(models.Model):
    """The beneficiary's election of a demand calculation option (SPEC §5.3): fixed percentage or
    self-calculated. Recorded by a caseworker (later by the representative in the portal)."""

    class Kind(models.TextChoices):
        FIXED_PERCENTAGE = "fixed_percentage", "Fixed percentage option"
        SELF_CALCULATED = "self_calculated", "Self-calculated conditional payment option"

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REFUSED = "refused", "Refused"
        ANSWERED = "answered", "Final amount given"

    case = models.ForeignKey(RecoveryCase, on_delete=models.PROTECT, related_name="elections")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    elected_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices)
    reasons = models.JSONField(default=list, help_text="Why it was refused, if it was")
    # Self-calculated option only.
    injury_date = models.DateField(null=True, blank=True)
    care_completed_date = models.DateField(null=True, blank=True)
    physician_attestation = models.BooleanField(default=False)
    expected_settlement = money_field(null=True, blank=True)
    submitted_amount = money_field("amount the beneficiary calculated", null=True, blank=True)
    final_amount = money_field("final conditional payment amount", null=True, blank=True)
    answered_on = models.DateField(null=True, blank=True)
    actor_name = models.CharField(max_length=150)

    history = HistoricalRecords()

    class Meta:
        ordering = ["elected_on", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class Letter(AppendOnlyModel):
    """A letter a step issued (SPEC §6): a durable record, written with the state change."""

    class Kind(models.TextChoices):
        RAR = "rar", "Rights and Responsibilities letter"
        CPL = "cpl", "Conditional Payment Letter with Payment Summary Form"
        CPN = "cpn", "Conditional Payment Notice"
        DISPUTE_DECISION = "dispute_decision", "Dispute decision"
        PAYMENT_NOTICE = "payment_notice", "Mistaken payment notice"
        DEMAND = "demand", "Demand letter"
        ITR = "itr", "Intent to refer"
        REFERRAL_NOTICE = "referral_notice", "Notice of intent to refer"
        TREASURY_REFERRAL = "treasury_referral", "Treasury referral notice"
        APPEAL_DECISION = "appeal_decision", "Appeal decision"
        WAIVER_DECISION = "waiver_decision", "Waiver decision"
        CHALLENGE_DECISION = "challenge_decision", "Challenge decision"

    case = models.ForeignKey(RecoveryCase, on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    letter_date = models.DateField()
    recipients = models.JSONField(default=list)
    amount = money_field(null=True, blank=True, help_text="The amount the letter states, if any")
    content = models.JSONField(default=dict, help_text="What the letter says, frozen when it was issued")
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey("CaseEvent", on_delete=models.PROTECT, related_name="letters", null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["letter_date", "id"]
        indexes = [models.Index(fields=["case", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.letter_date}"


class LetterDelivery(models.Model):
    """Delivery status of one letter to one recipient; the only mutable part of a letter."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    letter = models.ForeignKey(Letter, on_delete=models.PROTECT, related_name="deliveries")
    recipient = models.CharField(max_length=200)
    role = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=[("email", "Email"), ("print", "Print queue")])
    address = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Empty: as soon as the relay runs")
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False,
                                       help_text="Sent as the email's Message-ID / the print file's name")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.letter} to {self.recipient}: {self.status}"


class LetterDocument(models.Model):
    """The letter's PDF, rendered once and kept with the case (outside any public URL), with its hash."""

    letter = models.OneToOneField(Letter, on_delete=models.PROTECT, related_name="document")
    pdf = models.FileField(upload_to="letters/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.pdf.name


class CaseEvent(AppendOnlyModel):
    """The append-only case history: who, when, from which state to which, and why (SPEC §3.4)."""

    case = models.ForeignKey(RecoveryCase, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    effective_date = models.DateField(help_text="The date the step counts from (letters bear it)")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=32, choices=State.choices)
    to_state = models.CharField(max_length=32, choices=State.choices)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self):
        return f"{self.action}: {self.from_state} → {self.to_state}"

    @property
    def action_label(self):
        return tracks.ACTION_LABELS.get(self.action, self.action)


class Debt(models.Model):
    """The debt a demand creates (SPEC §5.5): principal from the computation, the interest terms in
    force on the demand date, fixed for this debt. What happened to it is in DebtEvent; what it
    came to, row by row, in LedgerEntry."""

    case = models.OneToOneField(RecoveryCase, on_delete=models.PROTECT, related_name="debt")
    demand_date = models.DateField()
    principal = money_field("demanded principal")
    annual_rate = models.DecimalField(max_digits=7, decimal_places=5)
    year_days = models.PositiveSmallIntegerField()
    period_days = models.PositiveSmallIntegerField()
    grace_days = models.PositiveSmallIntegerField()
    rate_effective_from = models.DateField(help_text="The interest-rate row this debt took its terms from")
    computation = models.JSONField(default=dict, help_text="How the principal was reached (SPEC §5.2)")
    posted_through = models.DateField(help_text="The ledger holds every row dated up to this day")
    next_assessment_date = models.DateField(
        null=True, blank=True, help_text="The next day interest can fall due (empty: nothing left to accrue on)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["next_assessment_date"])]

    def __str__(self):
        return f"Debt of case {self.case_id}: ${self.principal} at {self.annual_rate * 100:.3f}%"


class DebtEvent(AppendOnlyModel):
    """What people record against a debt: payments received, principal adjustments (appeal, waiver
    and challenge outcomes) and refunds paid out. The ledger is recomputed from these."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment received"
        ADJUSTMENT = "adjustment", "Principal adjustment"
        REFUND = "refund", "Refund paid"

    debt = models.ForeignKey(Debt, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    event_date = models.DateField()
    amount = money_field()
    reason = models.CharField(max_length=200, blank=True)
    actor_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event_date", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} ${self.amount} on {self.event_date}"


class LedgerEntry(AppendOnlyModel):
    """One row of a debt's append-only ledger (SPEC §5.5). Balances are sums over the rows' changes.

    Rows are posted from the debt's schedule (recovery.money.rules.debt_schedule). When an event arrives
    dated before rows already posted (a back-dated payment, an appeal decided in the debtor's
    favour), the rows that no longer hold are reversed by REVERSAL rows and the schedule is posted
    again from there: nothing is edited or deleted.
    """

    class Kind(models.TextChoices):
        PRINCIPAL = "principal", "Demand principal"
        INTEREST = "interest", "Interest assessed"
        PAYMENT = "payment", "Payment"
        ADJUSTMENT = "adjustment", "Adjustment"
        REFUND = "refund", "Refund paid"
        REVERSAL = "reversal", "Reversal"

    case = models.ForeignKey(RecoveryCase, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    entry_date = models.DateField()
    principal = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, help_text="Change in principal owed")
    interest = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, help_text="Change in interest owed")
    refund_owed = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, help_text="Change in refund owed")
    amount = money_field(help_text="The amount received, assessed, adjusted or reversed")
    period = models.PositiveIntegerField(null=True, blank=True, help_text="Interest period number")
    base = money_field(null=True, blank=True, help_text="Interest: the principal it was charged on")
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by")
    note = models.CharField(max_length=300, blank=True)
    actor_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["case", "entry_date"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.entry_date} ${self.amount}"


from .audit_models import AuditEvent  # noqa: E402,F401,I001 — registered with the app from here
from .document_models import UploadedDocument  # noqa: E402,F401,I001
from .policy_models import (  # noqa: E402,F401,I001
    ClockLength,
    FixedPercentageTerms,
    InterestRate,
    RecoveryThreshold,
    SelfCalculatedTerms,
)
from .final_amount_models import FinalAmountDispute, FinalConditionalPayment  # noqa: E402,F401,I001
from .submission_models import Submission  # noqa: E402,F401,I001 — issue 12: the worklist's submissions
from .sweep_models import SweepRun  # noqa: E402,F401,I001
from .intake_models import IntakeBatch, IntakeRowError  # noqa: E402,F401,I001
