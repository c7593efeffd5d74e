"""Forms for taking a step on a case and recording a payment (used by the admin and the pages).

They only collect and type the inputs; the rules are in recovery.services / recovery.guards, whose
refusals come back as errors on the field they name.
"""

from decimal import Decimal

from django import forms
from django.utils import timezone

from .models import Claim, Dispute


class ActionForm(forms.Form):
    on = forms.DateField(label="Date", help_text="The date the step counts from; letters bear it.",
                         widget=forms.DateInput(attrs={"type": "date"}))
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
    claims = forms.ModelMultipleChoiceField(queryset=Claim.objects.none(), widget=forms.CheckboxSelectMultiple)
    filed_by = forms.CharField(max_length=200)
    grounds = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["on"].label = "Date received"
        self.fields["claims"].queryset = case.claims.filter(status=Claim.Status.RELATED)


class DecideDisputeForm(ActionForm):
    outcome = forms.ChoiceField(choices=[c for c in Dispute.Outcome.choices if c[0] != Dispute.Outcome.PENDING])
    removed_claims = forms.ModelMultipleChoiceField(
        queryset=Claim.objects.none(), widget=forms.CheckboxSelectMultiple, required=False,
        help_text="Claims the contractor agrees are unrelated",
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["removed_claims"].queryset = case.claims.filter(status=Claim.Status.DISPUTED)


class DecideReviewForm(ActionForm):
    favourable = forms.BooleanField(required=False, help_text="The decision reduces or cancels the debt")
    reduced_to = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_digits=14, decimal_places=2,
        help_text="Favourable: the debt after the decision (0.00 cancels it)",
    )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(min_value=Decimal("0.01"), max_digits=14, decimal_places=2)
    received_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()


ACTION_FORMS = {
    "open_dispute": OpenDisputeForm,
    "decide_dispute": DecideDisputeForm,
    "decide_appeal": DecideReviewForm,
    "decide_waiver": DecideReviewForm,
    "decide_challenge": DecideReviewForm,
}


def form_for(action: str):
    return ACTION_FORMS.get(action, ActionForm)
