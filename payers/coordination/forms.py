"""The caseworker's who-pays-first form (SPEC §7). It collects and types the answers; the rule is
``rules.who_pays_first`` through ``services.determine``, whose ``CoordinationInputError`` comes back as an
error on the field it names (SPEC §9)."""

from django import forms

from beneficiaries.mbi import InvalidMBI, normalize_mbi
from beneficiaries.models import Beneficiary
from recovery.fields import MoneyField

from .rules import NGHP, GHPBasis, PartA, Through

GHP_CHOICES = [(GHPBasis.NONE, "No group health plan"),
               (GHPBasis.CURRENT_EMPLOYMENT, "Through current employment"),
               (GHPBasis.COBRA, "COBRA continuation"), (GHPBasis.RETIREE, "Retiree coverage")]
THROUGH_CHOICES = [(Through.SELF, "The beneficiary's own"), (Through.SPOUSE, "The spouse's"),
                   (Through.FAMILY, "Another family member's")]
PART_A_CHOICES = [(PartA.PREMIUM_FREE, "Premium-free Part A"), (PartA.PREMIUM, "Part A bought with a premium"),
                  (PartA.NONE, "No Part A (Part B only)")]
NGHP_CHOICES = [(NGHP.NONE, "None"), (NGHP.LIABILITY, "Liability (incl. self-insured)"),
                (NGHP.NO_FAULT, "No-fault"), (NGHP.WORKERS_COMP, "Workers' compensation")]
KNOWN_CHOICES = [("unknown", "Decide from the answers above"), ("yes", "Yes"), ("no", "No")]


def _date(label, **kw):
    return forms.DateField(label=label, required=kw.pop("required", False),
                           widget=forms.DateInput(attrs={"type": "date"}),
                           error_messages={"required": f"Enter the {label.lower()}.",
                                           "invalid": f"{label} must be a date (YYYY-MM-DD)."}, **kw)


def _count(label):
    return forms.IntegerField(label=label, required=False, min_value=0, max_value=10_000_000, error_messages={
        "invalid": f"{label} must be a whole number.", "min_value": f"{label} must not be negative.",
        "max_value": f"{label} is too large."})


def _yes(label, **kw):
    return forms.BooleanField(label=label, required=False, **kw)


class WhoPaysFirstForm(forms.Form):
    on = _date("Date of service", required=True)
    mbi = forms.CharField(label="Beneficiary MBI", required=False, max_length=13,
                          help_text="Optional: fills the date of birth and the entitlement basis from the record.")
    date_of_birth = _date("Date of birth")
    disabled = _yes("Entitled to Medicare on the basis of disability")
    other_entitlement_start = _date("Medicare on age or disability began on")
    esrd_start = _date("ESRD entitlement start (first month of eligibility)")
    esrd_end = _date("ESRD entitlement end")
    dialysis_start = _date("Dialysis started on", help_text="Used when the ESRD start is blank.")
    self_dialysis_training = _yes("Took a self-dialysis training programme")
    transplant_admission = _date("Admitted for a kidney transplant on")
    transplant_date = _date("Kidney transplant on")
    previous_esrd_start = _date("Earlier ESRD period start")
    previous_esrd_end = _date("Earlier ESRD period end")
    medicare_primary_when_esrd_began = forms.ChoiceField(
        label="Was Medicare properly primary when ESRD entitlement began?", choices=KNOWN_CHOICES,
        initial="unknown", required=False)
    part_a = forms.ChoiceField(label="Part A", choices=PART_A_CHOICES, initial=PartA.PREMIUM_FREE)
    part_b = _yes("Enrolled in Part B", initial=True)
    ghp = forms.ChoiceField(label="Group health plan", choices=GHP_CHOICES, initial=GHPBasis.NONE)
    ghp_through = forms.ChoiceField(label="Whose employment", choices=THROUGH_CHOICES, initial=Through.SELF)
    employer_size = _count("Employer's number of employees")
    multi_employer = _yes("Multi-employer or multiple-employer plan")
    largest_employer_size = _count("Largest employer in the plan (employees)")
    small_employer_exempted = _yes("The plan exempted employers with fewer than 20 employees")
    cobra_before_medicare = _yes("COBRA began before Medicare entitlement")
    nghp = forms.ChoiceField(label="Liability, no-fault or WC", choices=NGHP_CHOICES, initial=NGHP.NONE)
    nghp_related_care = _yes("The care is related to that claim", initial=True)
    claim_received = _date("The plan received the claim on")
    nghp_paid_on = _date("The plan paid on")
    black_lung = _yes("Covered by the Federal Black Lung Program")
    black_lung_related_care = _yes("The care is related to Black Lung")
    va_authorised_care = _yes("VA-authorised care")
    tricare = _yes("Covered by TRICARE")
    military_facility = _yes("At a military hospital or other federal provider")
    medicaid = _yes("Covered by Medicaid")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.beneficiary = None

    def clean_mbi(self):
        value = self.cleaned_data.get("mbi", "").strip()
        if not value:
            return ""
        try:
            mbi = normalize_mbi(value)
        except InvalidMBI as exc:
            raise forms.ValidationError(f"Beneficiary MBI: {exc}") from exc
        self.beneficiary = Beneficiary.objects.filter(mbi=mbi).first()
        if self.beneficiary is None:
            raise forms.ValidationError("Beneficiary MBI: no beneficiary has this MBI.")
        return mbi

    def answers(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "mbi"}


class DollarField(MoneyField):
    """An amount typed as "$25,000.00" or "25000", read by the one money parser (recovery.parsing via
    recovery.fields.MoneyField: commas in groups of three, no exponent), with this form's messages."""


class WcmsaForm(forms.Form):
    """Would CMS review a WCMSA (SPEC §7)? The settlement, and whether the claimant is or expects to be a
    beneficiary within 30 months of the settlement date."""

    prefix = "wcmsa"
    total_settlement = DollarField(
        label="Total settlement", max_digits=14, decimal_places=2, min_value=0,
        error_messages={"required": "Enter the total settlement.",
                        "invalid": "Total settlement must be an amount in dollars and cents, such as 25000.00.",
                        "min_value": "Total settlement must not be negative.",
                        "max_decimal_places": "Total settlement must be in whole cents (no more than 2 decimal "
                                              "places).",
                        "max_digits": "Total settlement is too large.",
                        "max_whole_digits": "Total settlement is too large."})
    medicare_beneficiary = _yes("The claimant is a Medicare beneficiary")
    settlement_date = _date("Settlement date")
    expected_medicare_on = _date("Expected Medicare enrolment on",
                                 help_text="With the settlement date: within 30 months of it?")

    def clean(self):
        data = super().clean()
        if data.get("expected_medicare_on") and not data.get("settlement_date"):
            self.add_error("settlement_date", "Enter the settlement date to compare the expected enrolment with.")
        return data

    def clean_total_settlement(self):
        return self.cleaned_data["total_settlement"]
