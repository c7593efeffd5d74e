"""Odd numbers, dates and ids through the portal's forms (issue 9 items 8, 9, 12): the one parser
(recovery.parsing) reads every field; a refusal names the field and nothing changes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from recovery.money import ledger
from recovery.models import OptionElection, Settlement

from .conftest import ago, pdf, stored_files, today
from .test_forms import errors_of, settlement_data, snapshot

pytestmark = pytest.mark.django_db

ODD_AMOUNTS = ["1E5", "1_000", "12.345e1", "١٢٣.٠٠", "１２３", "१२३", "1,2", "1,33,333.00", "1 000"]


@pytest.mark.parametrize("field", ["gross_amount", "attorney_fees", "other_costs"])
@pytest.mark.parametrize("amount", ODD_AMOUNTS)
def test_settlement_amounts_that_are_not_dollars_and_cents_are_refused(world, as_user, settings, field, amount):
    before, files_before = snapshot(world.main), stored_files(settings)
    response = as_user("por").post(reverse("portal:settlement", args=[world.main.pk]),
                                   settlement_data(**{field: amount}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    label = str(response.context["form"].fields[field].label)
    assert label.lower() in errors_of(response).lower()
    assert snapshot(world.main) == before and stored_files(settings) == files_before
    assert not Settlement.objects.filter(case=world.main).exists()


def test_thousands_commas_and_a_dollar_sign_are_read_as_the_calculator_reads_them(world, as_user):
    response = as_user("por").post(reverse("portal:settlement", args=[world.main.pk]),
                                   settlement_data(gross_amount="$13,333.33", attorney_fees="1,000",
                                                   other_costs="0"))
    assert response.status_code == 302, response.context["form"].errors
    settlement = Settlement.objects.get(case=world.main)
    assert (settlement.gross_amount, settlement.attorney_fees) == (Decimal("13333.33"), Decimal("1000.00"))


@pytest.mark.parametrize("on", ["٢٠٢٤-٠١-٠١", "２０２４-０１-０１", "2024-०१-01"])
def test_a_settlement_date_in_odd_digits_is_refused(world, as_user, on):
    before = snapshot(world.main)
    response = as_user("por").post(reverse("portal:settlement", args=[world.main.pk]),
                                   settlement_data(settlement_date=on))
    assert list(response.context["form"].errors) == ["settlement_date"]
    assert snapshot(world.main) == before


SELF = {"injury_date": "2023-01-10", "expected_settlement": "20000.00", "submitted_amount": "1800.00"}


@pytest.mark.parametrize("field, value", [
    ("expected_settlement", "1E5"), ("expected_settlement", "١٢٣.٠٠"), ("submitted_amount", "1_000"),
    ("submitted_amount", "１２３"), ("injury_date", "٢٠٢٣-٠١-١٠"), ("care_completed_date", "２０２４-０１-０１"),
])
def test_self_calculated_inputs_in_odd_forms_are_refused(world, as_user, field, value):
    before = snapshot(world.main)
    response = as_user("por").post(reverse("portal:option_self", args=[world.main.pk]),
                                   {**SELF, "care_completed_date": ago(200).isoformat(), field: value})
    assert field in response.context["form"].errors, response.context["form"].errors
    assert snapshot(world.main) == before


@pytest.mark.parametrize("changes, field, words", [
    ({"injury_date": "0001-01-01"}, "injury_date", "before Medicare began"),
    ({"injury_date": "1900-01-01"}, "injury_date", "before Medicare began"),
    ({"injury_date": "2023-01-09"}, "injury_date", "before the incident"),
    ({"care_completed_date": "9999-12-31"}, "care_completed_date", "in the future"),
])
def test_impossible_self_calculated_dates_are_refused_naming_the_field(world, as_user, changes, field, words):
    before = snapshot(world.main)
    response = as_user("por").post(reverse("portal:option_self", args=[world.main.pk]),
                                   {**SELF, "care_completed_date": ago(200).isoformat(), **changes})
    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors.get(field, [])), response.context["form"].errors
    assert snapshot(world.main) == before and not OptionElection.objects.exists()


@pytest.mark.parametrize("claims", ["100000000000000000000", "9223372036854775808", "-1", "0", "١", "1.5", "x"])
def test_a_dispute_of_claims_that_are_not_ids_is_refused_not_a_server_error(world, as_user, settings, claims):
    before, files_before = snapshot(world.main), stored_files(settings)
    response = as_user("por").post(reverse("portal:dispute", args=[world.main.pk]),
                                   {"claims": [claims], "grounds": "Unrelated.", "documents": pdf()})
    assert response.status_code == 200
    assert "claims" in response.context["form"].errors
    assert "disputed claims" in errors_of(response).lower()
    assert snapshot(world.main) == before and stored_files(settings) == files_before


def test_the_portal_shows_the_refund_owed_after_an_overpayment(world, as_user):
    balance = ledger.debt_balance(case=world.debt).total
    event = ledger.payment_record(case=world.debt, amount=balance + Decimal("3041.25"), received_on=today(),
                                  actor=world.caseworker)
    assert event.overpaid == Decimal("3041.25")
    page = as_user("por").get(reverse("portal:case", args=[world.debt.pk])).content.decode()
    assert "Refund owed to you" in page and "$3,041.25" in page


def test_the_settlement_date_may_be_today_but_not_tomorrow(world, as_user):
    response = as_user("por").post(reverse("portal:settlement", args=[world.main.pk]),
                                   settlement_data(settlement_date=(today() + timedelta(days=1)).isoformat()))
    assert "future" in " ".join(response.context["form"].errors["settlement_date"])
    response = as_user("por").post(reverse("portal:settlement", args=[world.main.pk]),
                                   settlement_data(settlement_date=today().isoformat()))
    assert response.status_code == 302
