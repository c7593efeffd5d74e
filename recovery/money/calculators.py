"""Calculator pages: estimate a demand (SPEC §5.2, §5.3) and a secondary payment (§5.4).

They read no case data, so any logged-in user may use them. The arithmetic is ``recovery.money.rules``'s
(pure functions that return every step); the figures in force on the settlement date come from
``recovery.money.policy`` (effective-dated rows, never constants). These views only put the two together
and turn a ``MoneyInputError`` into an error on the form field it names (SPEC §9): when any input is
bad, no result is shown.

The forms use GET, so an estimate is a link that can be bookmarked or sent to a colleague.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.forms import Form, RadioSelect
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import rules as money, policy
from .calculator_forms import DemandEstimateForm, FeeScheduleForm, InpatientForm
from .rules import MoneyInputError
from ..policy_models import FixedPercentageTerms, SelfCalculatedTerms


def usd(amount: Decimal) -> str:
    """$1,234.56; a negative amount as −$5.00 (as the steps write it)."""
    return f"−${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


def percent(fraction: Decimal) -> str:
    return f"{fraction * 100:.2f}%"


# ---------------------------------------------------------------------------------------------
# Bad input: a MoneyInputError names a rule's input; show it on the form field that supplied it.
# ---------------------------------------------------------------------------------------------


def add_money_error(form: Form, error: MoneyInputError, *, field_for: dict[str, str], labels: dict[str, str]):
    """Put ``error`` on the form field that supplied the rule's input, else as a non-field error naming it."""
    name = field_for.get(error.field, error.field)
    if name in form.fields:
        form.add_error(name, _reworded(error, form.fields[name].label))
    else:
        form.add_error(None, _reworded(error, labels.get(error.field, error.field)))


def _reworded(error: MoneyInputError, label: str) -> str:
    """money's messages start with the input's Python name; the reader sees the label instead."""
    message = error.message
    if message.startswith(error.field):
        message = label + message[len(error.field):]
    else:
        message = f"{label}: {message}"
    return message if message.endswith(".") else message + "."


def error_summary(form: Form) -> list[dict]:
    """Every error, each naming its field and linking to it (for the summary at the top of the form)."""
    items = [{"anchor": None, "message": message} for message in form.non_field_errors()]
    for field in form:
        if field.errors:
            anchor = f"{field.auto_id}_0" if isinstance(field.field.widget, RadioSelect) else field.auto_id
            for message in field.errors:
                if field.label.lower().rstrip("?") not in message.lower():
                    message = f"{field.label}: {message}"
                items.append({"anchor": anchor, "message": message})
    return items


# ---------------------------------------------------------------------------------------------
# Demand estimate (SPEC §5.2, §5.3)
# ---------------------------------------------------------------------------------------------

# A rule's input → the form field that supplies it.
DEMAND_FIELD_FOR = {
    "medicare_payments": "conditional_payments",
    "settlement": "gross_settlement",
    "gross_settlement": "gross_settlement",
    "expected_settlement": "gross_settlement",
    "physical_trauma": "physical_trauma",
    "other_settlement_expected": "other_settlement_expected",
    "elected_before_demand": "fixed_elected_before_demand",
}
# Inputs no single field supplies.
DEMAND_LABELS = {
    "procurement_costs": "Attorney fees plus other procurement costs",
    "threshold": "The recovery threshold in the policy table",
    "percentage": "The fixed percentage option's percentage in the policy table",
    "settlement_cap": "The fixed percentage option's settlement cap in the policy table",
    "settlement_limit": "The self-calculated option's settlement limit in the policy table",
    "min_months": "The self-calculated option's months since injury in the policy table",
    "min_care_days": "The self-calculated option's days since care in the policy table",
}


@dataclass(frozen=True)
class DemandEstimate:
    settlement_date: date
    coverage_label: str
    procurement_costs: Decimal
    procurement_step: str
    recovery: money.RecoveryComputation
    threshold: Decimal | None
    threshold_result: money.OptionResult
    fixed_terms: FixedPercentageTerms | None  # the row in force on the settlement date
    fixed: money.OptionResult
    self_terms: SelfCalculatedTerms | None  # the row in force on the settlement date
    self_calculated: money.OptionResult | None  # None: not asked for

    @property
    def no_recovery(self) -> bool:
        """The recovery threshold closes the case with no recovery."""
        return self.threshold_result.eligible

    @property
    def amount(self) -> Decimal:
        return self.threshold_result.amount if self.no_recovery else self.recovery.amount

    @property
    def fixed_percent(self) -> str:
        return percent(self.fixed_terms.percentage) if self.fixed_terms else ""

    @property
    def recovery_steps(self) -> tuple[str, ...]:
        return (self.procurement_step,) + self.recovery.steps


def demand_estimate(form: DemandEstimateForm) -> DemandEstimate:
    """The estimate for a valid form's inputs; raises MoneyInputError on bad input."""
    data = form.cleaned_data
    on = data["settlement_date"]
    gross = data["gross_settlement"]
    costs = form.procurement_costs()

    recovery = money.recovery_amount(
        medicare_payments=data["conditional_payments"],
        settlement=gross,
        procurement_costs=costs,
        cms_sued=data["cms_sued"],
        cpn_unanswered=data["cpn_unanswered"],
    )

    threshold = policy.recovery_threshold(coverage_type=data["coverage_type"], on=on)
    threshold_result = money.recovery_threshold_applies(
        settlement=gross,
        threshold=threshold,
        coverage_type=data["coverage_type"],
        physical_trauma=data["physical_trauma"],
        other_settlement_expected=data["other_settlement_expected"],
    )

    fixed_terms = policy.fixed_percentage_terms(on=on)
    if fixed_terms is None:
        fixed = money.OptionResult(
            eligible=False, amount=None,
            reasons=(f"No fixed percentage option terms are in force on {on:%Y-%m-%d}.",))
    else:
        fixed = money.fixed_percentage_option(
            gross_settlement=gross,
            percentage=fixed_terms.percentage,
            settlement_cap=fixed_terms.settlement_cap,
            coverage_type=data["coverage_type"],
            physical_trauma=data["physical_trauma"],
            elected_before_demand=data["fixed_elected_before_demand"],
            other_settlement_expected=data["other_settlement_expected"],
        )

    self_terms = policy.self_calculated_terms(on=on)
    self_calculated = None
    if form.wants_self_calculated():
        if self_terms is None:
            self_calculated = money.OptionResult(
                eligible=False, amount=None,
                reasons=(f"No self-calculated option terms are in force on {on:%Y-%m-%d}.",))
        else:
            self_calculated = money.self_calculated_option_eligibility(
                injury_date=data["injury_date"],
                election_date=data["election_date"],
                expected_settlement=gross,
                settlement_limit=self_terms.settlement_limit,
                care_completed_date=data["care_completed_date"],
                submission_date=data["submission_date"],
                physician_attestation=data["physician_attestation"],
                other_settlement_expected=data["other_settlement_expected"],
                physical_trauma=data["physical_trauma"],
                min_months=self_terms.min_months_since_injury,
                min_care_days=self_terms.min_days_since_care,
            )

    return DemandEstimate(
        settlement_date=on,
        coverage_label=dict(form.fields["coverage_type"].choices)[data["coverage_type"]],
        procurement_costs=costs,
        procurement_step=(
            f"Procurement costs: attorney fees {usd(data['attorney_fees'])} + other procurement costs "
            f"{usd(data['other_costs'])} = {usd(costs)}."
        ),
        recovery=recovery,
        threshold=threshold,
        threshold_result=threshold_result,
        fixed_terms=fixed_terms,
        fixed=fixed,
        self_terms=self_terms,
        self_calculated=self_calculated,
    )


@require_GET
@login_required
def demand_estimate_view(request):
    form = DemandEstimateForm(request.GET or None)
    estimate = None
    if form.is_bound and form.is_valid():
        try:
            estimate = demand_estimate(form)
        except MoneyInputError as error:
            add_money_error(form, error, field_for=DEMAND_FIELD_FOR, labels=DEMAND_LABELS)
    return render(request, "calculators/demand_estimate.html", {
        "form": form,
        "errors": error_summary(form) if form.is_bound else [],
        "estimate": estimate,
    })


# ---------------------------------------------------------------------------------------------
# Secondary payment (SPEC §5.4)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    number: int
    label: str
    amount: Decimal
    lowest: bool

    @property
    def amount_usd(self) -> str:
        return usd(self.amount)


@dataclass(frozen=True)
class SecondaryEstimate:
    payment: money.SecondaryPayment
    candidates: tuple[Candidate, ...]

    @property
    def lowest(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.lowest)


def secondary_estimate(payment: money.SecondaryPayment) -> SecondaryEstimate:
    """Mark which of the regulation's candidates was the lowest (every one, if several tie)."""
    least = min(amount for _, amount in payment.candidates)
    return SecondaryEstimate(payment=payment, candidates=tuple(
        Candidate(number, label, amount, amount == least)
        for number, (label, amount) in enumerate(payment.candidates, start=1)
    ))


SECONDARY_METHODS = (
    # form, rule, heading, regulation
    (InpatientForm, money.secondary_payment_inpatient,
     "Inpatient and other services not paid on a fee schedule", "42 CFR 411.33(e)"),
    (FeeScheduleForm, money.secondary_payment_fee_schedule,
     "Services paid on a fee schedule", "42 CFR 411.33(a)"),
)
SECONDARY_LABELS = {"value": "Amount"}


@require_GET
@login_required
def secondary_payment_view(request):
    chosen = request.GET.get("method")
    sections = []
    for form_class, rule, heading, regulation in SECONDARY_METHODS:
        form = form_class(request.GET if chosen == form_class.method else None)
        result = None
        if form.is_bound and form.is_valid():
            try:
                result = secondary_estimate(rule(**form.cleaned_data))
            except MoneyInputError as error:
                add_money_error(form, error, field_for={}, labels=SECONDARY_LABELS)
        sections.append({
            "method": form_class.method,
            "heading": heading,
            "regulation": regulation,
            "form": form,
            "errors": error_summary(form) if form.is_bound else [],
            "result": result,
        })
    return render(request, "calculators/secondary_payment.html", {"sections": sections, "chosen": chosen})


# ---------------------------------------------------------------------------------------------
# Index
# ---------------------------------------------------------------------------------------------


@require_GET
@login_required
def index(request):
    return render(request, "calculators/index.html")
