"""The caseworker's answers to who pays first (SPEC §7), named once: the page's form (forms.py) and the
API's body (api.py) are both built from ANSWERS, and both hand `answers_of(cleaned data)` to
services.determine → services.situation_from. Each answer: its name (the flat field name the rule's
inputs are read from), its kind, the page's label, the API's help text, and its default."""

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Answer:
    name: str
    kind: str  # "date", "flag", "count" or "choice"
    label: str  # the page's label
    api_help: str  # the API's help text
    default: object = None  # a flag's or a choice's default
    choices: list | None = None
    required: bool = False
    page_help: str = ""


def _date(name, label, api_help, **kw):
    return Answer(name, "date", label, api_help, **kw)


def _flag(name, label, api_help=None, default=False):
    return Answer(name, "flag", label, api_help or label, default=default)


def _count(name, label, api_help):
    return Answer(name, "count", label, api_help)


def _choice(name, label, api_help, choices, default):
    return Answer(name, "choice", label, api_help, default=default, choices=choices)


DATE_OF_SERVICE = _date("on", "Date of service", "Date of service", required=True)

# After the date of service (and the optional MBI, which the form and the API each check), in order.
ANSWERS = (
    _date("date_of_birth", "Date of birth", "Date of birth (required without an mbi)"),
    _flag("disabled", "Entitled to Medicare on the basis of disability"),
    _date("other_entitlement_start", "Medicare on age or disability began on", "When Medicare on age or disability began"),
    _date("esrd_start", "ESRD entitlement start (first month of eligibility)",
          "First day of the first month of ESRD entitlement"),
    _date("esrd_end", "ESRD entitlement end", "Last day of ESRD entitlement (null while it lasts)"),
    _date("dialysis_start", "Dialysis started on", "Dialysis started (used when esrd_start is null)",
          page_help="Used when the ESRD start is blank."),
    _flag("self_dialysis_training", "Took a self-dialysis training programme"),
    _date("transplant_admission", "Admitted for a kidney transplant on", "Admitted for a kidney transplant"),
    _date("transplant_date", "Kidney transplant on", "Kidney transplant"),
    _date("previous_esrd_start", "Earlier ESRD period start", "An earlier, ended ESRD period: start"),
    _date("previous_esrd_end", "Earlier ESRD period end", "An earlier, ended ESRD period: end"),
    _choice("medicare_primary_when_esrd_began", "Was Medicare properly primary when ESRD entitlement began?",
            "Was Medicare properly primary when ESRD entitlement began (unknown: decide from the answers)",
            KNOWN_CHOICES, "unknown"),
    _choice("part_a", "Part A", "Part A", PART_A_CHOICES, PartA.PREMIUM_FREE),
    _flag("part_b", "Enrolled in Part B", default=True),
    _choice("ghp", "Group health plan", "Group health plan coverage", GHP_CHOICES, GHPBasis.NONE),
    _choice("ghp_through", "Whose employment", "Whose employment the GHP comes through", THROUGH_CHOICES,
            Through.SELF),
    _count("employer_size", "Employer's number of employees", "The employer's number of employees"),
    _flag("multi_employer", "Multi-employer or multiple-employer plan"),
    _count("largest_employer_size", "Largest employer in the plan (employees)",
           "The largest employer in the multi-employer plan"),
    _flag("small_employer_exempted", "The plan exempted employers with fewer than 20 employees",
          "The multi-employer plan exempted employers with fewer than 20"),
    _flag("cobra_before_medicare", "COBRA began before Medicare entitlement"),
    _choice("nghp", "Liability, no-fault or WC", "Liability, no-fault or workers' compensation", NGHP_CHOICES,
            NGHP.NONE),
    _flag("nghp_related_care", "The care is related to that claim", default=True),
    _date("claim_received", "The plan received the claim on", "The plan received the claim (120-day rule)"),
    _date("nghp_paid_on", "The plan paid on", "The plan paid"),
    _flag("black_lung", "Covered by the Federal Black Lung Program"),
    _flag("black_lung_related_care", "The care is related to Black Lung"),
    _flag("va_authorised_care", "VA-authorised care"),
    _flag("tricare", "Covered by TRICARE"),
    _flag("military_facility", "At a military hospital or other federal provider"),
    _flag("medicaid", "Covered by Medicaid"),
)
NAMES = (DATE_OF_SERVICE.name, *(a.name for a in ANSWERS))


def answers_of(cleaned: dict) -> dict:
    """The answers services.determine takes, from a form's or a serializer's cleaned data (the MBI
    is not an answer: it names the beneficiary whose record fills some in)."""
    return {name: cleaned[name] for name in NAMES if name in cleaned}
