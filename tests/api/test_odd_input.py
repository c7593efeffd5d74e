"""Odd numbers, dates and ids through the API (issue 9 items 8, 9, 12 and the overpayment): one parser
(recovery.parsing) for every field; a refusal names the field and stores nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from recovery.models import CaseEvent, DebtEvent, OptionElection, Settlement
from recovery.cases.tracks import State
from tests import factories

from .conftest import act, ago, client_for, today

pytestmark = pytest.mark.django_db

ODD_AMOUNTS = ["١٢٣.٠٠", "１２３", "१२३", "1E5", "1_000", "12.345e1", "1,2", "1,33,333.00"]
ODD_DATES = ["٢٠٢٤-٠١-٠١", "２０２４-０１-０１", "2024-०१-01", "2024-1-1", "01/02/2024"]


def post(user, url, body):
    return client_for(user).post(url, body, format="json")


def debt_of(worker, principal: Decimal):
    """A demanded case whose balance is `principal` (no procurement costs: the recovery is the claims)."""
    case = factories.case(actor=worker, occurrence=factories.occurrence(), opened_on=ago(60), caseworker=worker)
    factories.claim(case, amount_paid=principal)
    for action, days in [("post_occurrence", 59), ("issue_rar", 58), ("issue_cpl", 40)]:
        act(case, action, ago(days), worker)
    factories.settlement(case, settlement_date=ago(31), gross_amount=Decimal("30000.00"),
                         attorney_fees=Decimal("0.00"))
    act(case, "report_settlement", ago(30), worker)
    return act(case, "issue_demand", ago(28), worker)


@pytest.mark.parametrize("amount", ODD_AMOUNTS)
def test_a_payment_in_odd_digits_is_refused_naming_the_amount(world, amount):
    response = post(world.caseworker, f"/api/cases/{world.debt.pk}/payments/",
                    {"amount": amount, "received_on": today().isoformat()})
    assert response.status_code == 400 and list(response.json()) == ["amount"], response.json()
    assert "amount" in response.json()["amount"][0].lower()
    assert not DebtEvent.objects.filter(debt__case=world.debt).exists()


@pytest.mark.parametrize("on", ODD_DATES)
def test_a_payment_dated_in_odd_digits_is_refused_naming_the_date(world, on):
    response = post(world.caseworker, f"/api/cases/{world.debt.pk}/payments/", {"amount": "10.00", "received_on": on})
    assert response.status_code == 400 and list(response.json()) == ["received_on"], response.json()
    assert not DebtEvent.objects.filter(debt__case=world.debt).exists()


@pytest.mark.parametrize("text, amount", [("$1,200.00", "1200.00"), ("1,200.5", "1200.50"), ("13,333.33", None)])
def test_dollar_signs_and_thousands_commas_are_read_as_everywhere_else(world, text, amount):
    case = debt_of(world.caseworker, Decimal("20000.00"))
    response = post(world.caseworker, f"/api/cases/{case.pk}/payments/", {"amount": text, "received_on": today().isoformat()})
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == (amount or text.replace(",", ""))


@pytest.mark.parametrize("field", ["gross_amount", "attorney_fees", "other_costs"])
@pytest.mark.parametrize("amount", ["١٢٣.٠٠", "１２３", "1E5"])
def test_settlement_amounts_in_odd_digits_are_refused(world, field, amount):
    body = {"settlement_date": ago(2).isoformat(), "gross_amount": "30000.00", "attorney_fees": "100.00",
            "other_costs": "0.00", field: amount}
    response = post(world.por, f"/api/cases/{world.main.pk}/settlement/", body)
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Settlement.objects.filter(case=world.main).exists()


@pytest.mark.parametrize("on", ODD_DATES)
def test_a_settlement_dated_in_odd_digits_is_refused(world, on):
    response = post(world.por, f"/api/cases/{world.main.pk}/settlement/",
                    {"settlement_date": on, "gross_amount": "30000.00"})
    assert response.status_code == 400 and "settlement_date" in response.json(), response.json()
    assert not Settlement.objects.filter(case=world.main).exists()


SELF = {"kind": "self_calculated", "care_completed_date": ago(120).isoformat(), "expected_settlement": "20000.00",
        "submitted_amount": "1500.00"}


@pytest.mark.parametrize("field, value", [("expected_settlement", "１２３"), ("submitted_amount", "١٢٣.٠٠"),
                                          ("injury_date", "٢٠٢٤-٠١-٠١"), ("care_completed_date", "2024-०१-01"),
                                          ("elected_on", "２０２４-０１-０１")])
def test_election_inputs_in_odd_digits_are_refused(world, field, value):
    body = {**SELF, "injury_date": ago(400).isoformat(), field: value}
    response = post(world.por, f"/api/cases/{world.main.pk}/elections/", body)
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not OptionElection.objects.exists()


@pytest.mark.parametrize("changes, field, words", [
    ({"injury_date": "0001-01-01"}, "injury_date", "before Medicare began"),
    ({"injury_date": "1900-01-01"}, "injury_date", "before Medicare began"),
    ({"injury_date": "1970-01-01", "born": date(1970, 1, 2)}, "injury_date", "before the beneficiary's birth"),
    ({"injury_date": "2023-01-09"}, "injury_date", "before the incident"),  # the occurrence: 2023-01-10
    ({"care_completed_date": "9999-12-31"}, "care_completed_date", "in the future"),
    ({"care_completed_date": (today() + timedelta(days=1)).isoformat()}, "care_completed_date", "in the future"),
    ({"injury_date": "2024-01-01", "care_completed_date": "2023-12-31"}, "care_completed_date", "before the injury"),
])
def test_impossible_election_dates_are_refused_naming_the_field(world, changes, field, words):
    changes = dict(changes)
    if "born" in changes:
        world.bene_a.date_of_birth = changes.pop("born")
        world.bene_a.save()
    body = {**SELF, "injury_date": ago(400).isoformat(), **changes}
    response = post(world.por, f"/api/cases/{world.main.pk}/elections/", body)
    assert response.status_code == 400 and field in response.json(), response.json()
    assert words in str(response.json()[field])
    assert not OptionElection.objects.exists()
    assert not CaseEvent.objects.filter(case=world.main, action="elect_self_calculated").exists()


@pytest.mark.parametrize("claims", [["١"], ["１"], [100000000000000000000], ["100000000000000000000"], [0], [-1],
                                    [1.5], ["x"]])
def test_a_dispute_with_ids_that_are_not_ids_is_refused_naming_the_claims(world, claims):
    response = post(world.por, f"/api/cases/{world.main.pk}/disputes/", {"claims": claims, "grounds": "Unrelated."})
    assert response.status_code == 400 and "claims" in response.json(), response.json()
    world.main.refresh_from_db()
    assert world.main.state == State.CPL_ISSUED and not world.main.disputes.exists()


def test_a_payment_above_the_balance_reports_the_refund_owed(world):
    case = debt_of(world.caseworker, Decimal("1958.75"))
    response = post(world.caseworker, f"/api/cases/{case.pk}/payments/",
                    {"amount": "5,000.00", "received_on": today().isoformat()})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["overpaid"] == "3041.25"
    assert body["warnings"] == ["This payment is $3,041.25 more than the balance: a refund of $3,041.25 is now "
                                "owed to the debtor."]
    assert body["balance"]["refund_owed"] == "3041.25" and body["balance"]["total"] == "0.00"
    assert body["case_state"] == State.CLOSED_PAID
    closing = CaseEvent.objects.get(case=case, action="close_paid")
    assert "refund of $3,041.25 is now owed" in closing.reason
    assert "$3,041.25 more than the balance, owed back as a refund" in case.ledger.get(kind="payment").note


def test_a_payment_of_the_balance_reports_no_overpayment(world):
    case = debt_of(world.caseworker, Decimal("1958.75"))
    response = post(world.caseworker, f"/api/cases/{case.pk}/payments/",
                    {"amount": "1958.75", "received_on": today().isoformat()})
    assert (response.json()["overpaid"], response.json()["warnings"]) == ("0.00", [])
    assert CaseEvent.objects.get(case=case, action="close_paid").reason == "Paid in full"
