"""Odd numbers and dates through the admin and the calculators (issue 9 items 8, 9 and the overpayment):
the one parser (recovery.parsing) for every typed money or date field; a refusal names the field."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from recovery.cases import services
from recovery.models import CaseEvent, Claim, DebtEvent, Settlement
from recovery.cases.tracks import State
from tests import factories as f

from .test_admin import _change_form, change_url, worker  # noqa: F401 — the logged-in caseworker fixture
from .test_calculators import DEMAND, EXAMPLE, caseworker  # noqa: F401

pytestmark = pytest.mark.django_db

ODD_AMOUNTS = ["1E5", "1_000", "12.345e1", "١٢٣.٠٠", "１２３", "१२३", "1,2"]


def _settlement_post(client, case, **values):
    data = _change_form(client, case)
    row = {"settlement_date": "2023-06-01", "received_on": "", "source": "beneficiary", "gross_amount": "30000.00",
           "attorney_fees": "10000.00", "other_costs": "0.00", "costs_borne_by_beneficiary": "on",
           "claim_was_disputed": "on", "case": str(case.pk), **values}
    data.update({f"settlement-0-{k}": v for k, v in row.items()})
    data["settlement-TOTAL_FORMS"] = "1"
    return client.post(change_url(case), data)


def _settlement_errors(response):
    formset = next(s.formset for s in response.context["inline_admin_formsets"] if s.formset.prefix == "settlement")
    return formset.errors[0]


@pytest.mark.parametrize("amount", ODD_AMOUNTS)
def test_the_admin_refuses_a_settlement_amount_in_odd_digits(client, worker, amount):
    case = f.case()
    response = _settlement_post(client, case, gross_amount=amount)
    assert response.status_code == 200
    assert "gross_amount" in _settlement_errors(response)
    assert not Settlement.objects.exists()


def test_the_admin_reads_thousands_commas(client, worker):
    case = f.case()
    response = _settlement_post(client, case, gross_amount="$13,333.33", attorney_fees="1,000.00")
    assert response.status_code == 302
    assert Settlement.objects.get().gross_amount == Decimal("13333.33")


@pytest.mark.parametrize("on", ["2027-03-20", "9999-12-31"])
def test_the_admin_refuses_a_settlement_dated_in_the_future_as_the_api_does(client, worker, on):
    case = f.case()
    future = max(date.fromisoformat(on), services.today() + timedelta(days=1))
    response = _settlement_post(client, case, settlement_date=future.isoformat())
    assert response.status_code == 200
    assert "cannot be in the future" in " ".join(_settlement_errors(response)["settlement_date"])
    assert not Settlement.objects.exists()


@pytest.mark.parametrize("on", ["٢٠٢٣-٠٦-٠١", "２０２３-０６-０１", "06/01/2023"])
def test_the_admin_refuses_a_settlement_date_in_odd_digits(client, worker, on):
    case = f.case()
    response = _settlement_post(client, case, settlement_date=on)
    assert "settlement_date" in _settlement_errors(response)
    assert not Settlement.objects.exists()


@pytest.mark.parametrize("amount", ODD_AMOUNTS)
def test_the_admin_refuses_a_claim_amount_in_odd_digits(client, worker, amount):
    case = f.case()
    data = _change_form(client, case)
    data.update({"claims-0-claim_number": "C1", "claims-0-provider_name": "Albany Medical",
                 "claims-0-service_from": "2023-01-10", "claims-0-service_to": "2023-01-12",
                 "claims-0-diagnosis_codes": "S82.101A", "claims-0-paid_date": "2023-02-15",
                 "claims-0-amount_paid": amount, "claims-0-status": "related", "claims-0-case": str(case.pk),
                 "claims-TOTAL_FORMS": "1"})
    response = client.post(change_url(case), data)
    assert response.status_code == 200
    assert not Claim.objects.exists()


def _demanded(principal: Decimal, worker):
    case = f.case(caseworker=worker)
    f.claim(case, amount_paid=principal)
    for action, on in [("post_occurrence", date(2023, 2, 2)), ("issue_rar", date(2023, 2, 3)),
                       ("issue_cpl", date(2023, 3, 1))]:
        services.case_act(case=case, action=action, actor=worker, on=on)
    f.settlement(case, settlement_date=date(2023, 6, 1), attorney_fees=Decimal("0.00"))
    services.case_act(case=case, action="report_settlement", actor=worker, on=date(2023, 6, 5))
    services.case_act(case=case, action="issue_demand", actor=worker, on=date(2023, 6, 10))
    case.refresh_from_db()
    return case


@pytest.mark.parametrize("amount", ODD_AMOUNTS)
def test_the_admin_refuses_a_payment_in_odd_digits(client, worker, amount):
    case = _demanded(Decimal("1958.75"), worker)
    url = reverse("admin:recovery_recoverycase_operation", args=[case.pk, "record_payment"])
    response = client.post(url, {"amount": amount, "received_on": "2023-07-01"})
    assert response.status_code == 200 and "amount" in response.context["form"].errors
    assert not DebtEvent.objects.exists()


def test_a_payment_above_the_balance_in_the_admin_warns_that_a_refund_is_owed(client, worker):
    case = _demanded(Decimal("1958.75"), worker)
    assert case.demand_amount == Decimal("1958.75")
    url = reverse("admin:recovery_recoverycase_operation", args=[case.pk, "record_payment"])
    response = client.post(url, {"amount": "5,000.00", "received_on": "2023-07-01"})
    assert response.status_code == 302
    shown = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert ("warning", "This payment is $3,041.25 more than the balance: a refund of $3,041.25 is now owed to "
                       "the debtor.") in shown
    case.refresh_from_db()
    assert case.state == State.CLOSED_PAID
    assert services.debt_balance(case=case).refund_owed == Decimal("3041.25")
    assert "refund of $3,041.25" in CaseEvent.objects.get(case=case, action="close_paid").reason


@pytest.mark.parametrize("field", ["gross_settlement", "attorney_fees", "conditional_payments"])
@pytest.mark.parametrize("amount", ["1E5", "1_000", "١٢٣.٠٠", "１２３", "1,2"])
def test_the_calculator_refuses_odd_amounts_as_the_portal_does(caseworker, field, amount):  # noqa: F811
    response = caseworker.get(DEMAND, {**EXAMPLE, field: amount})
    assert response.context["estimate"] is None
    assert field in response.context["form"].errors


def test_the_calculator_refuses_a_date_in_odd_digits(caseworker):  # noqa: F811
    response = caseworker.get(DEMAND, {**EXAMPLE, "settlement_date": "٢٠٢٣-٠٦-٠١"})
    assert response.context["estimate"] is None
    assert "settlement_date" in response.context["form"].errors


@pytest.mark.parametrize("changes, field, words", [
    ({"injury_date": "0001-01-01"}, "injury_date", "before Medicare began"),
    ({"injury_date": "1900-01-01"}, "injury_date", "before Medicare began"),
    ({"care_completed_date": "9999-12-31"}, "care_completed_date", "in the future"),
])
def test_the_admin_refuses_impossible_election_dates(client, worker, changes, field, words):
    from recovery.models import OptionElection

    case = f.case()
    url = reverse("admin:recovery_recoverycase_operation", args=[case.pk, "elect_self_calculated"])
    data = {"elected_on": services.today().isoformat(), "injury_date": "2023-01-10",
            "care_completed_date": "2023-05-01", "expected_settlement": "20,000.00", "submitted_amount": "1800.00",
            **changes}
    response = client.post(url, data)
    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors.get(field, [])), response.context["form"].errors
    assert not OptionElection.objects.exists()
