"""Forms of the calculator pages (SPEC §5.2–§5.4). They collect and type the inputs only.

The rules are in ``recovery.money.rules`` (pure functions) and the figures in force on a date in
``recovery.money.policy``; a ``MoneyInputError`` those raise comes back as an error on the field it names
(see ``recovery.money.calculators``). Every amount is a ``Decimal`` in whole cents, never a ``float``.
"""

from decimal import Decimal

from django import forms

from .. import fields
from ..policy_models import RecoveryThreshold

YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes(value) -> bool:
    return value == "yes"


def _in_sentence(label: str) -> str:
    """The label as it reads inside a sentence: "Gross settlement" → "gross settlement", "Medicare's …" kept."""
    first = label.split(" ", 1)[0]
    if first.startswith(("Medicare", "CMS", "CPN")):
        return label
    return label[0].lower() + label[1:]


class MoneyField(fields.MoneyField):
    """A U.S. dollar amount: not negative, at most two decimal places; "$30,000.00" is read as 30000.00.

    The one money field (recovery.fields.MoneyField, max 14 digits, 2 decimal places, minimum 0) with
    messages that name the field in the calculators' words.
    """

    def __init__(self, *, label: str, **kwargs):
        name = _in_sentence(label)
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off",
                                                           "class": "money"}))
        messages = {
            "required": f"Enter the {name}.",
            "invalid": f"{label} must be an amount in dollars and cents, such as 1250.00.",
            "min_value": f"{label} must not be negative.",
            "max_decimal_places": f"{label} must be in whole cents (no more than 2 decimal places).",
            "max_digits": f"{label} is too large.",
            "max_whole_digits": f"{label} is too large.",
        }
        messages.update(kwargs.pop("error_messages", {}))
        super().__init__(label=label, error_messages=messages, **kwargs)


def date_field(label: str, **kwargs) -> forms.DateField:
    name = _in_sentence(label)
    return fields.StrictDateField(
        label=label,
        error_messages={"required": f"Enter the {name}.",
                        "invalid": f"{label} must be a date (YYYY-MM-DD)."},
        **kwargs,
    )


def yes_no_field(label: str, **kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=YES_NO, coerce=_yes, empty_value=None, widget=forms.RadioSelect,
        error_messages={"required": f"Answer “{label}”: yes or no.",
                        "invalid_choice": f"Answer “{label}”: yes or no."},
        **kwargs,
    )


class CalculatorForm(forms.Form):
    """No colon after labels: the labels are phrases, some end in a question mark."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DemandEstimateForm(CalculatorForm):
    """§411.37 recovery amount, the recovery threshold and the two options (SPEC §5.2, §5.3)."""

    # The settlement
    settlement_date = date_field(
        "Settlement date", help_text="The thresholds and option terms in force on this date are used.")
    gross_settlement = MoneyField(label="Gross settlement", help_text="The total settlement, judgment or award.")
    attorney_fees = MoneyField(label="Attorney fees")
    other_costs = MoneyField(
        label="Other procurement costs",
        help_text="Only costs incurred because the claim was disputed and borne by the beneficiary "
                  "(42 CFR 411.37(a)). Enter 0.00 if none.")
    conditional_payments = MoneyField(
        label="Conditional payments", help_text="Medicare's total conditional payments on the related claims.")

    # The case
    coverage_type = forms.ChoiceField(
        label="Coverage type", choices=RecoveryThreshold.CoverageType.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose the coverage type.",
                        "invalid_choice": "Coverage type must be liability, no-fault or workers' compensation."})
    physical_trauma = yes_no_field(
        "Physical trauma injury?", help_text="Not ingestion, implantation or exposure.")
    other_settlement_expected = yes_no_field("Another settlement expected?")
    cms_sued = forms.BooleanField(
        label="CMS had to sue to recover", required=False,
        help_text="The party that received the payment opposed recovery (42 CFR 411.37(e)).")
    cpn_unanswered = forms.BooleanField(
        label="The demand follows an unanswered conditional payment notice (CPN)", required=False,
        help_text="No reduction for procurement costs is taken.")
    fixed_elected_before_demand = forms.BooleanField(
        label="The fixed percentage option is (or will be) elected before the demand", required=False,
        initial=True)

    # Self-calculated option (optional)
    injury_date = date_field("Injury date", required=False)
    election_date = date_field("Election date", required=False,
                               help_text="When the beneficiary elects the self-calculated option.")
    care_completed_date = date_field("Care completed date", required=False,
                                     help_text="When medical care for the injury was completed, if it is.")
    submission_date = date_field("Submission date", required=False,
                                 help_text="When the beneficiary submits its own calculation.")
    physician_attestation = forms.BooleanField(
        label="A physician attests that medical care is complete", required=False)

    MAIN_FIELDS = ("settlement_date", "gross_settlement", "attorney_fees", "other_costs", "conditional_payments")
    CASE_FIELDS = ("coverage_type", "physical_trauma", "other_settlement_expected", "cms_sued", "cpn_unanswered",
                   "fixed_elected_before_demand")
    SELF_CALCULATED_FIELDS = ("injury_date", "election_date", "care_completed_date", "submission_date",
                              "physician_attestation")
    SELF_CALCULATED_REQUIRED = ("injury_date", "election_date", "submission_date")

    def clean(self):
        data = super().clean()
        settlement_date, injury_date = data.get("settlement_date"), data.get("injury_date")
        if settlement_date and injury_date and settlement_date < injury_date:
            self.add_error("settlement_date", f"Settlement date ({settlement_date:%Y-%m-%d}) is before the "
                                              f"injury date ({injury_date:%Y-%m-%d}).")
        # The self-calculated option is assessed only when asked for: any of its inputs asks for it.
        if self.wants_self_calculated():
            for name in self.SELF_CALCULATED_REQUIRED:
                if name in data and data[name] is None:
                    label = _in_sentence(self.fields[name].label)
                    self.add_error(name, f"Enter the {label} to assess the self-calculated option.")
        return data

    def wants_self_calculated(self) -> bool:
        data = self.cleaned_data
        return any(
            data.get(name) not in (None, False) or self.has_error(name) for name in self.SELF_CALCULATED_FIELDS
        )

    def procurement_costs(self) -> Decimal:
        return self.cleaned_data["attorney_fees"] + self.cleaned_data["other_costs"]


class InpatientForm(CalculatorForm):
    """42 CFR 411.33(e): services not paid on a fee schedule, e.g. inpatient hospital care (SPEC §5.4)."""

    method = "inpatient"
    prefix = "inpatient"

    gross_medicare_amount = MoneyField(
        label="Gross Medicare amount",
        help_text="What Medicare would pay disregarding the deductible, coinsurance and the primary payment.")
    primary_payment = MoneyField(label="Primary payment", help_text="What the primary payer paid.")
    deductible = MoneyField(label="Deductible", help_text="The applicable Medicare deductible and coinsurance.")
    provider_charges = MoneyField(label="Provider charges")
    full_payment_obligation = MoneyField(
        label="Full payment obligation", required=False,
        help_text="Optional: the amount the provider must accept as full payment, if less than its charges.")


class FeeScheduleForm(CalculatorForm):
    """42 CFR 411.33(a): services paid on a fee schedule or reasonable-charge basis (SPEC §5.4)."""

    method = "fee_schedule"
    prefix = "fee"

    actual_charge = MoneyField(label="Actual charge")
    primary_payment = MoneyField(label="Primary payment", help_text="What the primary payer paid.")
    medicare_primary_amount = MoneyField(
        label="Medicare's payment as primary", help_text="What Medicare would pay if it were primary, "
                                                        "e.g. 80% of the fee schedule amount.")
    primary_allowable = MoneyField(
        label="Primary payer's allowable charge", help_text="Disregarding deductible and coinsurance.")
    medicare_recognised_amount = MoneyField(
        label="Medicare's recognised amount", help_text="The fee schedule amount, disregarding deductible and "
                                                        "coinsurance.")
    full_payment_obligation = MoneyField(
        label="Full payment obligation", required=False,
        help_text="Optional: the amount the supplier must accept as full payment, if less than its charge.")
