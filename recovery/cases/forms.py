"""Forms for taking a step on a case and recording a payment (used by the admin and the pages).

They only collect and type the inputs; the rules are in recovery.cases.services / recovery.cases.guards, whose
refusals come back as errors on the field they name.
"""

from decimal import Decimal

from django import forms
from django.utils import timezone

from ..fields import IdMultipleChoiceField, MoneyField, StrictDateField
from ..models import Claim, Dispute


class ActionForm(forms.Form):
    on = StrictDateField(label="Date", help_text="The date the step counts from; letters bear it.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    expected_state = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["on"].initial = timezone.localdate()
        self.fields["expected_state"].initial = case.state

    def service_params(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("expected_state")
        return data


class OpenDisputeForm(ActionForm):
    claims = IdMultipleChoiceField(queryset=Claim.objects.none(), widget=forms.CheckboxSelectMultiple)
    filed_by = forms.CharField(max_length=200)
    grounds = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["on"].label = "Date received"
        self.fields["claims"].queryset = case.claims.filter(status=Claim.Status.RELATED)


class DecideDisputeForm(ActionForm):
    outcome = forms.ChoiceField(choices=[c for c in Dispute.Outcome.choices if c[0] != Dispute.Outcome.PENDING])
    removed_claims = IdMultipleChoiceField(
        queryset=Claim.objects.none(), widget=forms.CheckboxSelectMultiple, required=False,
        help_text="Claims the contractor agrees are unrelated",
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["removed_claims"].queryset = case.claims.filter(status=Claim.Status.DISPUTED)


class DecideReviewForm(ActionForm):
    favourable = forms.BooleanField(required=False, help_text="The decision reduces or cancels the debt")
    reduced_to = MoneyField(
        required=False, min_value=Decimal("0"), max_digits=14, decimal_places=2,
        help_text="Favourable: the debt after the decision (0.00 cancels it)",
    )


def _date_field(**kwargs):
    return StrictDateField(**kwargs)


def _money_field(**kwargs):
    kwargs.setdefault("min_value", Decimal("0.01"))
    return MoneyField(max_digits=14, decimal_places=2, **kwargs)


class OperationForm(forms.Form):
    """A form for a case operation that is not a state change (payments, refunds, elections)."""

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.initial = timezone.localdate()


class PaymentForm(OperationForm):
    amount = _money_field()
    received_on = _date_field()


class RefundForm(OperationForm):
    amount = _money_field()
    paid_on = _date_field()


class FixedPercentageElectionForm(OperationForm):
    elected_on = _date_field()


class SelfCalculatedElectionForm(OperationForm):
    elected_on = _date_field(help_text="The date the beneficiary submitted the election and calculation")
    injury_date = _date_field()
    care_completed_date = _date_field(required=False)
    physician_attestation = forms.BooleanField(required=False, help_text="A physician attests care is complete")
    expected_settlement = _money_field(min_value=Decimal("0"))
    submitted_amount = _money_field(min_value=Decimal("0"), label="Amount the beneficiary calculated")


class SelfCalculatedAnswerForm(OperationForm):
    final_amount = _money_field(min_value=Decimal("0"), label="Final conditional payment amount")
    answered_on = _date_field()


ACTION_FORMS = {
    "open_dispute": OpenDisputeForm,
    "decide_dispute": DecideDisputeForm,
    "decide_appeal": DecideReviewForm,
    "decide_waiver": DecideReviewForm,
    "decide_challenge": DecideReviewForm,
}


def form_for(action: str):
    return ACTION_FORMS.get(action, ActionForm)
