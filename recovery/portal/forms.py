"""The portal's forms. They collect and type the inputs (SPEC §9: a bad input is an error naming its
field); the rules are the services' (recovery.cases.services, recovery.money.options, recovery.money.final_amount,
beneficiaries.services), whose refusals come back as errors on the field they name. Uploaded files
are checked only by recovery.access.documents.document_store (content, size, emptiness, name)."""

from decimal import Decimal

from django import forms
from django.utils import timezone

from beneficiaries.mbi import InvalidMBI, normalize_mbi
from beneficiaries.models import Authorisation

from ..fields import IdMultipleChoiceField, MoneyField, StrictDateField
from ..models import Claim, Settlement


def _date_widget():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _money(**kwargs):
    """The one money field (recovery.parsing): "$13,333.33" and "13333.33" alike; never negative."""
    kwargs.setdefault("error_messages", {"min_value": "Amounts cannot be negative."})
    return MoneyField(max_digits=14, decimal_places=2, min_value=Decimal("0"), **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class DocumentsField(forms.FileField):
    """One or more uploaded files, passed on unchecked: recovery.access.documents.document_store is the one
    place that decides whether a file is acceptable (and says why not)."""

    def __init__(self, *args, multiple=True, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput() if multiple else forms.ClearableFileInput())
        kwargs.setdefault("help_text", "PDF, PNG, JPEG or TIFF; each file checked by its content.")
        super().__init__(*args, **kwargs)

    def to_python(self, data):
        return data or None

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if self.required and not files:
            raise forms.ValidationError("Choose a file to upload.", code="required")
        return files


class PortalForm(forms.Form):
    expected_state = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        if case is not None:
            self.fields["expected_state"].initial = case.state


class SettlementForm(forms.ModelForm):
    """Settlement details (SPEC §3.1: date, gross amount, attorney fees and other procurement costs).
    Validated by the model (full_clean: costs above the settlement, a date before the incident or in the
    future)."""

    documents = DocumentsField(label="Settlement documents", required=False)
    expected_state = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Settlement
        fields = ["settlement_date", "gross_amount", "attorney_fees", "other_costs", "other_settlement_expected"]
        widgets = {"settlement_date": _date_widget()}
        field_classes = {"settlement_date": StrictDateField, "gross_amount": MoneyField, "attorney_fees": MoneyField,
                         "other_costs": MoneyField}
        labels = {"attorney_fees": "Attorney fees", "other_costs": "Other procurement costs"}
        help_texts = {
            "settlement_date": "The date of the settlement, judgment, award or other payment.",
            "gross_amount": "Before fees and costs, in dollars and cents.",
            "attorney_fees": "Borne by the beneficiary.",
            "other_costs": "Other costs of obtaining the settlement, borne by the beneficiary.",
            "other_settlement_expected": "Tick if another settlement for this incident is expected.",
        }

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["expected_state"].initial = case.state
        # The first submission comes with the settlement documents; an update may add more.
        self.fields["documents"].required = self.instance.pk is None
        for name in ("gross_amount", "attorney_fees", "other_costs"):
            # A text input: the server checks cents and signs (SPEC §9). Refused here (recovery.parsing), a
            # negative amount is kept out of the model's cross-field check (costs above the settlement).
            self.fields[name].error_messages["min_value"] = "Amounts cannot be negative."

    # A settlement date in the future is refused by the model (Settlement.clean: one rule for every channel).


class DisputeForm(PortalForm):
    claims = IdMultipleChoiceField(
        queryset=Claim.objects.none(), widget=forms.CheckboxSelectMultiple, label="Disputed claims",
        error_messages={"required": "Choose the claims you dispute."},
        help_text="The claims you say are not related to the incident.")
    grounds = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
                              help_text="Why each claim is unrelated (e.g. treatment for another condition).")
    documents = DocumentsField(label="Supporting documents",
                               help_text="Records that show the claims are unrelated (PDF, PNG, JPEG or TIFF). "
                                         "A dispute without documents is denied.")

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["claims"].queryset = case.claims.filter(status=Claim.Status.RELATED).order_by(
            "service_from", "claim_number")
        self.fields["claims"].label_from_instance = (
            lambda c: f"{c.claim_number} — {c.provider_name}, {c.service_from:%Y-%m-%d} to {c.service_to:%Y-%m-%d}, "
                      f"${c.amount_paid:,}")


class ReviewForm(PortalForm):
    """An appeal, a waiver request or a challenge: the reason, and documents if any."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, label="Reason")
    documents = DocumentsField(label="Supporting documents", required=False)


class ResponseForm(PortalForm):
    """A response to a conditional payment notice (or a GHP payment notice)."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, label="Your response",
                             help_text="What you send: proof of unrelated claims, procurement costs, settlement "
                                       "documents.")
    documents = DocumentsField(label="Documents", required=False)


class FixedPercentageForm(PortalForm):
    confirm = forms.BooleanField(label="I elect the fixed percentage option for this case",
                                 error_messages={"required": "Tick the box to elect the option."})


class SelfCalculatedForm(PortalForm):
    injury_date = StrictDateField(widget=_date_widget(), label="Date of the injury")
    care_completed_date = StrictDateField(widget=_date_widget(), required=False,
                                          label="Date medical care was completed",
                                          help_text="Leave empty if a physician attests that care is complete.")
    physician_attestation = forms.BooleanField(required=False, label="A physician attests that care is complete")
    expected_settlement = _money(label="Expected settlement amount")
    submitted_amount = _money(label="Your calculation of the conditional payments")


class FinalNoticeForm(PortalForm):
    expected_settlement_date = StrictDateField(widget=_date_widget(), label="Expected settlement date",
                                               help_text="Within 120 days of today.")


class FinalRequestForm(PortalForm):
    confirm = forms.BooleanField(label="I ask for the final conditional payment amount",
                                 error_messages={"required": "Tick the box to ask for the amount."})


class RepresentativeAuthorisationForm(forms.Form):
    """A POR or CTR for a case named by its number and the beneficiary's MBI (both must match)."""

    kind = forms.ChoiceField(choices=[(Authorisation.Kind.POR, "Proof of Representation (POR)"),
                                      (Authorisation.Kind.CTR, "Consent to Release (CTR)")],
                             widget=forms.RadioSelect, label="Document")
    case_number = forms.CharField(max_length=20, label="Case number", help_text="15 digits, from our letters.")
    mbi = forms.CharField(max_length=13, label="Beneficiary's MBI", help_text="e.g. 1EG4-TE5-MK73")
    ctr_end_date = StrictDateField(widget=_date_widget(), required=False, label="CTR end date",
                                   help_text="A CTR only: the end of the period the beneficiary chose on the form.")
    from_estate = forms.BooleanField(required=False, label="The beneficiary has died: this POR is from the estate")
    document = DocumentsField(label="The signed document", multiple=False, help_text="PDF, PNG, JPEG or TIFF.")

    def clean_case_number(self):
        value = self.cleaned_data["case_number"].strip().replace(" ", "").replace("-", "")
        if not (value.isascii() and value.isdigit() and len(value) == 15):
            raise forms.ValidationError("A case number has 15 digits.")
        return value

    def clean_mbi(self):
        try:
            return normalize_mbi(self.cleaned_data["mbi"])
        except InvalidMBI as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        data = super().clean()
        kind, end = data.get("kind"), data.get("ctr_end_date")
        if kind == Authorisation.Kind.CTR:
            if not end:
                self.add_error("ctr_end_date", "A CTR runs for the period the beneficiary chose: give its end date.")
            elif end < timezone.localdate():
                self.add_error("ctr_end_date", "This CTR has already ended: it would give nothing.")
        elif kind == Authorisation.Kind.POR and end:
            self.add_error("ctr_end_date", "A POR has no end date; leave this empty.")
        if kind == Authorisation.Kind.CTR and data.get("from_estate"):
            self.add_error("from_estate", "Only a POR comes from the estate.")
        return data


class LetterOfAuthorityForm(forms.Form):
    document = DocumentsField(label="Letter of authority", multiple=False,
                              help_text="On your organisation's letterhead, signed (PDF, PNG, JPEG or TIFF).")


def error_summary(form) -> list[dict]:
    """Every error, naming its field and linking to it (SPEC §9)."""
    items = [{"anchor": None, "message": m} for m in form.non_field_errors()]
    for field in form:
        if field.is_hidden:
            items.extend({"anchor": None, "message": m} for m in field.errors)
            continue
        anchor = f"{field.auto_id}_0" if isinstance(field.field.widget, (forms.RadioSelect,
                                                                           forms.CheckboxSelectMultiple)) \
            else field.auto_id
        for message in field.errors:
            label = str(field.label)
            text = message if label.lower() in message.lower() else f"{label}: {message}"
            items.append({"anchor": anchor, "message": text})
    return items
