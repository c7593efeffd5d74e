"""The calculator pages (SPEC §5.2–§5.4, §9): worked numbers, policy figures by date, bad input, access."""

import html
from datetime import date
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.html import strip_tags

from recovery.money.calculator_forms import DemandEstimateForm
from recovery.money.calculators import add_money_error
from recovery.money.rules import MoneyInputError
from recovery.policy_models import FixedPercentageTerms, RecoveryThreshold
from tests import factories as f

pytestmark = pytest.mark.django_db

INDEX = reverse("calculators:index")
DEMAND = reverse("calculators:demand_estimate")
SECONDARY = reverse("calculators:secondary_payment")

# §411.37(c)'s example (cfr-411-33-to-411-37.txt): settlement $30,000, costs $10,000, payments $1,200.
EXAMPLE = {
    "settlement_date": "2023-06-01",
    "gross_settlement": "30000.00",
    "attorney_fees": "10000.00",
    "other_costs": "0.00",
    "conditional_payments": "1200.00",
    "coverage_type": "liability",
    "physical_trauma": "yes",
    "other_settlement_expected": "no",
    "fixed_elected_before_demand": "on",
}


@pytest.fixture
def caseworker(client):
    client.force_login(f.user())
    return client


def text(response) -> str:
    """The page as a reader sees it: no tags, entities decoded, runs of white space as one space."""
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def estimate(client, **changes):
    data = {**EXAMPLE, **changes}
    return client.get(DEMAND, {k: v for k, v in data.items() if v is not None})


def secondary(client, method, **fields):
    prefix = {"inpatient": "inpatient", "fee_schedule": "fee"}[method]
    return client.get(SECONDARY, {"method": method, **{f"{prefix}-{k}": v for k, v in fields.items()}})


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [INDEX, DEMAND, SECONDARY])
def test_an_anonymous_user_is_redirected_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{settings.LOGIN_URL}?next={url}"


@pytest.mark.parametrize("url", [INDEX, DEMAND, SECONDARY])
def test_any_logged_in_user_may_use_the_calculators_even_without_staff_access(client, url):
    client.force_login(User.objects.create_user("attorney", password="pw-test-123", is_staff=False))
    assert client.get(url).status_code == 200


def test_the_index_lists_the_calculators(caseworker):
    response = caseworker.get(INDEX)
    assert f'href="{DEMAND}"' in response.content.decode()
    assert f'href="{SECONDARY}"' in response.content.decode()
    assert "MSP recovery" in text(response)


def test_the_page_shows_who_is_signed_in_and_a_logout_form(client):
    client.force_login(f.user("casey"))
    page = client.get(DEMAND).content.decode()
    assert "Signed in as" in page and "casey" in page
    assert 'action="/accounts/logout/"' in page and 'method="post"' in page and "csrfmiddlewaretoken" in page


def test_a_get_without_data_shows_the_empty_form_and_no_result(caseworker):
    response = caseworker.get(DEMAND)
    assert response.context["form"].is_bound is False
    assert response.context["estimate"] is None
    assert response.context["errors"] == []
    assert 'name="gross_settlement"' in response.content.decode()
    assert 'type="date"' in response.content.decode()


def test_the_calculators_answer_get_only(caseworker):
    assert caseworker.post(DEMAND, EXAMPLE).status_code == 405


# --- §5.2 Recovery amount (42 CFR 411.37) ------------------------------------------------------


def test_the_cfr_example_recovers_800_dollars_with_every_step_shown(caseworker):
    response = estimate(caseworker)
    result = response.context["estimate"]
    assert result.recovery.rule == "411.37(c)"
    assert result.recovery.amount == D("800.00")
    assert result.amount == D("800.00")
    page = text(response)
    assert "Medicare would recover $800.00" in page
    assert "Procurement costs: attorney fees $10,000.00 + other procurement costs $0.00 = $10,000.00." in page
    assert "Medicare's share of the procurement costs: $10,000.00 × $1,200.00 ÷ $30,000.00 = $400.00" in page
    assert "Recovery: $1,200.00 − $400.00 = $800.00." in page


def test_attorney_fees_and_other_procurement_costs_are_added(caseworker):
    response = estimate(caseworker, attorney_fees="8000.00", other_costs="2000.00")
    assert response.context["estimate"].recovery.amount == D("800.00")
    assert "attorney fees $8,000.00 + other procurement costs $2,000.00 = $10,000.00" in text(response)


def test_amounts_may_be_typed_with_a_dollar_sign_and_thousands_separators(caseworker):
    response = estimate(caseworker, gross_settlement="$30,000", attorney_fees="10,000.00")
    assert response.context["estimate"].recovery.amount == D("800.00")


@pytest.mark.parametrize("payments", ["12000.00", "10000.00"])
def test_payments_equal_to_or_above_the_settlement_recover_the_settlement_less_costs(caseworker, payments):
    response = estimate(caseworker, gross_settlement="10000.00", attorney_fees="3000.00", conditional_payments=payments)
    result = response.context["estimate"].recovery
    assert result.rule == "411.37(d)"
    assert result.amount == D("7000.00")
    assert "settlement minus procurement costs, $10,000.00 − $3,000.00 = $7,000.00" in text(response)


def test_when_cms_had_to_sue_the_recovery_is_the_lower_of_payments_and_settlement_less_costs(caseworker):
    response = estimate(caseworker, cms_sued="on")
    result = response.context["estimate"].recovery
    assert result.rule == "411.37(e)"
    assert result.amount == D("1200.00")  # lower of 1,200 and 30,000 − 10,000


def test_a_demand_after_an_unanswered_cpn_takes_no_reduction_for_procurement_costs(caseworker):
    response = estimate(caseworker, cpn_unanswered="on")
    assert response.context["estimate"].recovery.amount == D("1200.00")
    assert "no reduction for procurement costs is taken" in text(response)


# --- §5.3 Recovery threshold, in force on the settlement date ------------------------------------


def test_a_liability_settlement_of_750_dollars_in_2023_is_not_recovered(caseworker):
    response = estimate(caseworker, gross_settlement="750.00", attorney_fees="250.00", conditional_payments="500.00")
    result = response.context["estimate"]
    assert result.threshold == D("750.00")
    assert result.no_recovery is True
    assert result.amount == D("0.00")
    assert "No recovery." in text(response)
    assert "at or below the $750.00 recovery threshold in force on 2023-06-01" in text(response)


def test_a_liability_settlement_of_750_dollars_and_one_cent_in_2023_is_recovered(caseworker):
    response = estimate(caseworker, gross_settlement="750.01", attorney_fees="250.00", conditional_payments="500.00")
    result = response.context["estimate"]
    assert result.no_recovery is False
    assert result.amount == D("333.34")  # 500 − 250 × 500 ÷ 750.01 (= 166.664…, rounded to 166.66)
    assert "Settlement $750.01 is above the recovery threshold $750.00." in text(response)
    assert "Medicare would recover $333.34" in text(response)


def test_the_threshold_is_the_one_in_force_on_the_settlement_date(caseworker):
    # Liability: $1,000 from 2014-01-01 until $750 from 2018-01-01.
    response = estimate(caseworker, settlement_date="2017-12-31", gross_settlement="900.00",
                        attorney_fees="300.00", conditional_payments="500.00")
    assert response.context["estimate"].threshold == D("1000.00")
    assert response.context["estimate"].no_recovery is True
    response = estimate(caseworker, settlement_date="2018-01-01", gross_settlement="900.00",
                        attorney_fees="300.00", conditional_payments="500.00")
    assert response.context["estimate"].threshold == D("750.00")
    assert response.context["estimate"].no_recovery is False


def test_a_new_threshold_row_changes_the_result_without_a_code_change(caseworker):
    RecoveryThreshold.objects.create(coverage_type="liability", effective_from=date(2030, 1, 1),
                                     amount=D("1500.00"), source="test data")
    response = estimate(caseworker, settlement_date="2030-02-01", gross_settlement="1200.00",
                        attorney_fees="300.00", conditional_payments="500.00")
    assert response.context["estimate"].threshold == D("1500.00")
    assert response.context["estimate"].no_recovery is True


def test_with_no_threshold_in_force_the_page_says_so(caseworker):
    # Workers' compensation has no threshold before 2016-09-26.
    response = estimate(caseworker, coverage_type="workers_comp", settlement_date="2015-06-01",
                        gross_settlement="500.00", attorney_fees="100.00", conditional_payments="300.00")
    assert response.context["estimate"].no_recovery is False
    assert "No recovery threshold was in force for this coverage type on the settlement date." in text(response)


@pytest.mark.parametrize("changes, reason", [
    ({"physical_trauma": "no"}, "only to a physical trauma injury"),
    ({"other_settlement_expected": "yes"}, "Another settlement for the incident is expected."),
])
def test_the_threshold_does_not_apply_without_physical_trauma_or_with_another_settlement(caseworker, changes, reason):
    response = estimate(caseworker, gross_settlement="700.00", attorney_fees="100.00", conditional_payments="500.00",
                        **changes)
    assert response.context["estimate"].no_recovery is False
    assert reason in text(response)


# --- §5.3 Fixed percentage option: the terms in force on the settlement date -----------------------


def test_the_fixed_percentage_cap_rises_from_5000_to_10000_on_2023_10_02(caseworker):
    before = estimate(caseworker, settlement_date="2023-10-01", gross_settlement="7500.00",
                      attorney_fees="2500.00", conditional_payments="3000.00")
    fixed = before.context["estimate"].fixed
    assert fixed.eligible is False
    assert fixed.amount is None
    assert "The gross settlement $7,500.00 is above the $5,000.00 cap for this option." in text(before)

    after = estimate(caseworker, settlement_date="2023-10-02", gross_settlement="7500.00",
                     attorney_fees="2500.00", conditional_payments="3000.00")
    fixed = after.context["estimate"].fixed
    assert fixed.eligible is True
    assert fixed.amount == D("1875.00")  # 25% of the gross settlement
    assert "25.00% of the gross settlement: $7,500.00 × 25.00% = $1,875.00" in text(after)
    assert after.context["estimate"].fixed_terms.settlement_cap == D("10000.00")


def test_the_fixed_percentage_option_may_exceed_the_conditional_payments(caseworker):
    response = estimate(caseworker, settlement_date="2024-01-10", gross_settlement="8000.00",
                        attorney_fees="0.00", conditional_payments="900.00")
    assert response.context["estimate"].fixed.amount == D("2000.00")
    assert response.context["estimate"].recovery.amount == D("900.00")


@pytest.mark.parametrize("changes, reason", [
    ({"coverage_type": "no_fault"}, "for liability settlements only"),
    ({"physical_trauma": "no"}, "requires a physical trauma injury"),
    ({"fixed_elected_before_demand": None}, "must be elected before the demand"),
    ({"other_settlement_expected": "yes"}, "Another settlement for the incident is expected."),
])
def test_the_fixed_percentage_option_is_refused_with_the_reason(caseworker, changes, reason):
    response = estimate(caseworker, settlement_date="2024-01-10", gross_settlement="8000.00",
                        attorney_fees="2000.00", conditional_payments="900.00", **changes)
    assert response.context["estimate"].fixed.eligible is False
    assert any(reason in r for r in response.context["estimate"].fixed.reasons)
    assert reason in text(response)


def test_the_fixed_percentage_terms_come_from_the_policy_table(caseworker):
    FixedPercentageTerms.objects.create(effective_from=date(2030, 1, 1), percentage=D("0.2000"),
                                        settlement_cap=D("20000.00"), source="test data")
    response = estimate(caseworker, settlement_date="2030-03-01", gross_settlement="15000.00",
                        attorney_fees="5000.00", conditional_payments="3000.00")
    assert response.context["estimate"].fixed.amount == D("3000.00")
    assert "20.00% of the gross settlement" in text(response)


# --- §5.3 Self-calculated option ---------------------------------------------------------------


SELF_CALCULATED = {
    "settlement_date": "2024-06-01", "gross_settlement": "20000.00", "attorney_fees": "5000.00",
    "conditional_payments": "3000.00",
    "injury_date": "2023-08-31", "election_date": "2024-02-29", "care_completed_date": "2024-01-01",
    "submission_date": "2024-03-31",
}


def test_the_self_calculated_option_is_not_assessed_without_its_dates(caseworker):
    response = estimate(caseworker)
    assert response.context["estimate"].self_calculated is None
    assert "Not assessed" in text(response)


def test_the_self_calculated_option_is_open_when_every_condition_holds(caseworker):
    response = estimate(caseworker, **SELF_CALCULATED)
    result = response.context["estimate"].self_calculated
    assert result.eligible is True, result.reasons
    page = text(response)
    assert "Injury on 2023-08-31 + 6 months = 2024-02-29; elected on 2024-02-29." in page
    assert "Care completed on 2024-01-01 + 90 days = 2024-03-31; submitted on 2024-03-31." in page
    assert "gives up appeal rights" in page


@pytest.mark.parametrize("changes, reason", [
    ({"election_date": "2024-02-28"}, "at least 6 months before the election"),
    ({"gross_settlement": "25000.01"}, "above the $25,000.00 limit"),
    ({"submission_date": "2024-03-30"}, "at least 90 days before submission"),
    ({"care_completed_date": None}, "no physician attests"),
    ({"other_settlement_expected": "yes"}, "Another settlement for the incident is expected."),
])
def test_the_self_calculated_option_is_refused_with_the_reason(caseworker, changes, reason):
    response = estimate(caseworker, **{**SELF_CALCULATED, **changes})
    result = response.context["estimate"].self_calculated
    assert result.eligible is False
    assert any(reason in r for r in result.reasons), result.reasons
    assert reason in text(response)


def test_a_physicians_attestation_stands_in_for_90_days_since_care(caseworker):
    response = estimate(caseworker, **{**SELF_CALCULATED, "submission_date": "2024-03-30",
                                       "physician_attestation": "on"})
    assert response.context["estimate"].self_calculated.eligible is True


def test_the_self_calculated_option_asks_for_its_missing_dates(caseworker):
    response = estimate(caseworker, election_date="2024-02-29")
    form = response.context["form"]
    assert response.context["estimate"] is None
    assert form.errors["injury_date"] == ["Enter the injury date to assess the self-calculated option."]
    assert form.errors["submission_date"] == ["Enter the submission date to assess the self-calculated option."]


# --- §9 Bad input: a message naming the field, and no result -------------------------------------


@pytest.mark.parametrize("changes, field, message", [
    ({"gross_settlement": "-1.00"}, "gross_settlement", "Gross settlement must not be negative."),
    ({"attorney_fees": "-0.01"}, "attorney_fees", "Attorney fees must not be negative."),
    ({"conditional_payments": "1200.005"}, "conditional_payments",
     "Conditional payments must be in whole cents (no more than 2 decimal places)."),
    ({"other_costs": "12.345"}, "other_costs",
     "Other procurement costs must be in whole cents (no more than 2 decimal places)."),
    ({"gross_settlement": "lots"}, "gross_settlement",
     "Gross settlement must be an amount in dollars and cents, such as 1250.00."),
    ({"gross_settlement": ""}, "gross_settlement", "Enter the gross settlement."),
    ({"settlement_date": "2023-02-30"}, "settlement_date", "Settlement date must be a date (YYYY-MM-DD)."),
    ({"settlement_date": None}, "settlement_date", "Enter the settlement date."),
    ({"coverage_type": "ghp"}, "coverage_type",
     "Coverage type must be liability, no-fault or workers' compensation."),
    ({"physical_trauma": None}, "physical_trauma", "Answer “Physical trauma injury?”: yes or no."),
    ({"injury_date": "2023-06-02", "election_date": "2024-01-01", "submission_date": "2024-01-01"},
     "settlement_date", "Settlement date (2023-06-01) is before the injury date (2023-06-02)."),
])
def test_bad_input_is_refused_on_its_field_and_no_result_is_shown(caseworker, changes, field, message):
    response = estimate(caseworker, **changes)
    assert response.status_code == 200
    assert response.context["estimate"] is None
    assert response.context["form"].errors[field] == [message]
    page = text(response)
    assert message in page
    assert "Please correct" in page
    assert "Medicare would recover" not in page and "No recovery." not in page


def test_procurement_costs_above_the_settlement_are_refused_naming_both_cost_fields(caseworker):
    response = estimate(caseworker, gross_settlement="10000.00", attorney_fees="8000.00", other_costs="2000.01")
    assert response.context["estimate"] is None
    errors = response.context["form"].non_field_errors()
    assert errors == ["Attorney fees plus other procurement costs ($10,000.01) exceed the settlement ($10,000.00)."]
    assert errors[0] in text(response)
    assert "Medicare would recover" not in text(response)


def test_procurement_costs_equal_to_the_settlement_are_allowed(caseworker):
    response = estimate(caseworker, gross_settlement="10000.00", attorney_fees="10000.00")
    assert response.context["estimate"].recovery.amount == D("0.00")


def test_a_rule_error_on_an_input_a_field_supplies_lands_on_that_field():
    form = DemandEstimateForm({**EXAMPLE})
    assert form.is_valid()
    add_money_error(form, MoneyInputError("medicare_payments", "medicare_payments must not be negative (got -1)"),
                    field_for={"medicare_payments": "conditional_payments"}, labels={})
    assert form.errors["conditional_payments"] == ["Conditional payments must not be negative (got -1)."]


def test_the_error_summary_links_each_message_to_its_field(caseworker):
    response = estimate(caseworker, gross_settlement="-5.00", physical_trauma=None)
    page = response.content.decode()
    assert '<a href="#id_gross_settlement">Gross settlement must not be negative.</a>' in page
    assert 'href="#id_physical_trauma_0"' in page
    assert 'aria-invalid="true"' in page


# --- §5.4 Secondary payment (42 CFR 411.33) -----------------------------------------------------


def test_the_secondary_payment_page_shows_both_empty_forms(caseworker):
    response = caseworker.get(SECONDARY)
    page = response.content.decode()
    assert 'name="inpatient-gross_medicare_amount"' in page
    assert 'name="fee-actual_charge"' in page
    assert all(section["result"] is None and not section["form"].is_bound for section in response.context["sections"])


@pytest.mark.parametrize("charges", ["3000.00", "4000.00", "6800.00"])
def test_the_cfr_inpatient_example_pays_100_dollars(caseworker, charges):
    response = secondary(caseworker, "inpatient", gross_medicare_amount="3500.00", primary_payment="2900.00",
                         deductible="520.00", provider_charges=charges, full_payment_obligation="3000.00")
    result = response.context["sections"][0]["result"]
    assert result.payment.amount == D("100.00")
    assert [c.number for c in result.lowest] == [3]
    page = text(response)
    assert "Medicare pays $100.00 as secondary payer" in page
    assert "Lowest: (3) Provider charges minus the primary payment, $100.00." in page
    assert "(3) Provider charges minus the primary payment: $3,000.00 − $2,900.00 = $100.00." in page


def test_the_crs_inpatient_example_pays_340_dollars(caseworker):
    response = secondary(caseworker, "inpatient", gross_medicare_amount="4700.00", primary_payment="4360.00",
                         deductible="1600.00", provider_charges="6800.00", full_payment_obligation="")
    result = response.context["sections"][0]["result"]
    assert result.payment.amount == D("340.00")
    assert [(c.number, c.amount) for c in result.candidates] == [
        (1, D("3100.00")), (2, D("340.00")), (3, D("2440.00")), (4, D("5200.00"))]
    assert [c.number for c in result.lowest] == [2]
    assert "(2) Gross Medicare amount minus the primary payment: $4,700.00 − $4,360.00 = $340.00." in text(response)
    assert response.context["sections"][1]["form"].is_bound is False  # the other method is left alone


def test_the_crs_fee_schedule_example_pays_30_dollars(caseworker):
    response = secondary(caseworker, "fee_schedule", actual_charge="175.00", primary_payment="120.00",
                         medicare_primary_amount="100.00", primary_allowable="150.00",
                         medicare_recognised_amount="125.00")
    result = response.context["sections"][1]["result"]
    assert result.payment.rule == "411.33(a)"
    assert result.payment.amount == D("30.00")
    assert [c.amount for c in result.candidates] == [D("55.00"), D("100.00"), D("30.00")]
    assert [c.number for c in result.lowest] == [3]
    page = text(response)
    assert "Medicare pays $30.00 as secondary payer" in page
    assert "(3) The higher of the primary payer's allowable charge ($150.00) and Medicare's recognised amount ($125.00), minus the primary payment: $150.00 − $120.00 = $30.00." in page


def test_medicare_pays_nothing_when_the_primary_payment_covers_every_figure(caseworker):
    response = secondary(caseworker, "inpatient", gross_medicare_amount="3500.00", primary_payment="4000.00",
                         deductible="520.00", provider_charges="4000.00")
    result = response.context["sections"][0]["result"]
    assert result.payment.amount == D("0.00")
    page = text(response)
    assert "Medicare pays $0.00" in page
    assert "−$500.00" in page and "below $0.00, so Medicare pays nothing" in page


@pytest.mark.parametrize("field, value, message", [
    ("primary_payment", "-1.00", "Primary payment must not be negative."),
    ("deductible", "520.001", "Deductible must be in whole cents (no more than 2 decimal places)."),
    ("provider_charges", "", "Enter the provider charges."),
])
def test_secondary_payment_bad_input_is_refused_on_its_field(caseworker, field, value, message):
    data = dict(gross_medicare_amount="3500.00", primary_payment="2900.00", deductible="520.00",
                provider_charges="4000.00")
    data[field] = value
    response = secondary(caseworker, "inpatient", **data)
    section = response.context["sections"][0]
    assert section["result"] is None
    assert section["form"].errors[field] == [message]
    assert message in text(response)
    assert "as secondary payer" not in text(response)
