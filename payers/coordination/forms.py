"""The caseworker's who-pays-first form (SPEC §7). It collects and types the answers; the rule is
``rules.who_pays_first`` through ``services.determine``, whose ``CoordinationInputError`` comes back as an
error on the field it names (SPEC §9)."""

from django import forms

from beneficiaries.mbi import InvalidMBI, normalize_mbi
from beneficiaries.models import Beneficiary
from recovery.fields import MoneyField

from . import answers


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


def _field(answer: answers.Answer):
    """The page's field for one answer (answers.ANSWERS)."""
    if answer.kind == "date":
        return _date(answer.label, required=answer.required, help_text=answer.page_help)
    if answer.kind == "flag":
        return _yes(answer.label, initial=answer.default)
    if answer.kind == "count":
        return _count(answer.label)
    return forms.ChoiceField(label=answer.label, choices=answer.choices, initial=answer.default, required=False)


class _WhoPaysFirstBase(forms.Form):
    on = _field(answers.DATE_OF_SERVICE)
    mbi = forms.CharField(label="Beneficiary MBI", required=False, max_length=13,
                          help_text="Optional: fills the date of birth and the entitlement basis from the record.")

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
        return answers.answers_of(self.cleaned_data)


# The answers' fields, declared from the one table (the form's metaclass collects them in this order).
WhoPaysFirstForm = type(forms.Form)("WhoPaysFirstForm", (_WhoPaysFirstBase,), {
    "__module__": __name__, "__doc__": "Who pays first for one service on one day (SPEC §7).",
    **{a.name: _field(a) for a in answers.ANSWERS}})


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
