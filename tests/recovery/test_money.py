"""Tests for recovery/money/rules.py (SPEC §5): the worked examples of the seeds, the edges, and properties.

Pure functions: no database is used.
"""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.money.rules import (
    GHP,
    LIABILITY,
    NO_FAULT,
    WORKERS_COMP,
    Claim,
    MoneyInputError,
    Payment,
    PrincipalAdjustment,
    RefundPaid,
    ScheduleDivergedError,
    add_months,
    apply_payment,
    below_recovery_threshold,
    conditional_payment_total,
    debt_schedule,
    fixed_percentage_option,
    period_interest,
    recovery_amount,
    recovery_from_primary_payer,
    recovery_threshold_applies,
    rows_to_append,
    secondary_payment_fee_schedule,
    secondary_payment_inpatient,
    self_calculated_option_eligibility,
    to_cents,
)

D = Decimal
day = datetime.date.fromisoformat


def has_two_decimals(value: Decimal) -> bool:
    return isinstance(value, Decimal) and value.as_tuple().exponent == -2


# --- Rounding and dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, cents",
    [
        (D("0.005"), D("0.01")),
        (D("2.675"), D("2.68")),
        (D("1.994"), D("1.99")),
        (D("95.8333"), D("95.83")),
        (7, D("7.00")),
    ],
)
def test_to_cents_rounds_half_up_to_the_cent(value, cents):
    assert to_cents(value) == cents
    assert has_two_decimals(to_cents(value))


def test_to_cents_refuses_a_float():
    with pytest.raises(MoneyInputError) as error:
        to_cents(0.1)
    assert error.value.field == "value"


@pytest.mark.parametrize(
    "start, months, expected",
    [
        ("2023-08-31", 6, "2024-02-29"),  # into a leap February
        ("2022-08-31", 6, "2023-02-28"),  # into a common February
        ("2024-01-31", 1, "2024-02-29"),
        ("2024-03-31", -1, "2024-02-29"),
        ("2023-12-15", 1, "2024-01-15"),  # across a year end
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-02-29", 48, "2028-02-29"),
        ("2024-05-31", 1, "2024-06-30"),
    ],
)
def test_add_months_keeps_the_day_or_falls_back_to_the_month_end(start, months, expected):
    assert add_months(day(start), months) == day(expected)


# --- §5.1 Conditional payment amount ---------------------------------------------------------------


def test_conditional_payment_total_sums_only_related_claims_inside_the_period():
    claims = [
        Claim(day("2024-01-05"), day("2024-01-07"), D("1200.00"), True),
        Claim(day("2024-01-10"), day("2024-01-10"), D("300.50"), False),  # unrelated or removed
        (day("2024-02-01"), day("2024-02-03"), D("99.99"), True),  # a tuple works too
        Claim(day("2023-12-30"), day("2024-01-02"), D("500.00"), True),  # starts before the period
        Claim(day("2024-03-30"), day("2024-04-02"), D("700.00"), True),  # ends after the period
        Claim(day("2024-03-31"), day("2024-03-31"), D("10.00"), True),  # on the last day: inside
        Claim(day("2024-01-01"), day("2024-01-01"), D("20.00"), True),  # on the first day: inside
    ]
    total = conditional_payment_total(claims=claims, period_start=day("2024-01-01"), period_end=day("2024-03-31"))
    assert total == D("1329.99")
    assert has_two_decimals(total)


def test_conditional_payment_total_with_an_open_period_counts_every_later_related_claim():
    claims = [
        Claim(day("2024-01-05"), day("2024-01-07"), D("10"), True),
        Claim(day("2030-01-01"), day("2030-01-02"), D("5.25"), True),
    ]
    assert conditional_payment_total(claims=claims, period_start=day("2024-01-01"), period_end=None) == D("15.25")


def test_conditional_payment_total_of_no_claims_is_zero_cents():
    total = conditional_payment_total(claims=[], period_start=day("2024-01-01"), period_end=None)
    assert total == 0 and has_two_decimals(total)


@pytest.mark.parametrize(
    "claim, field",
    [
        (Claim(day("2024-01-05"), day("2024-01-07"), D("-1.00"), True), "claims[1].amount"),
        (Claim(day("2024-01-05"), day("2024-01-07"), D("1.001"), True), "claims[1].amount"),
        (Claim(day("2024-01-05"), day("2024-01-07"), 1.5, True), "claims[1].amount"),
        (Claim(day("2024-01-07"), day("2024-01-05"), D("1.00"), True), "claims[1].service_to"),
    ],
)
def test_conditional_payment_total_rejects_a_bad_claim_naming_it(claim, field):
    good = Claim(day("2024-01-05"), day("2024-01-07"), D("1.00"), True)
    with pytest.raises(MoneyInputError) as error:
        conditional_payment_total(claims=[good, claim], period_start=day("2024-01-01"), period_end=None)
    assert error.value.field == field
    assert field in str(error.value)


def test_conditional_payment_total_rejects_a_period_that_ends_before_it_starts():
    with pytest.raises(MoneyInputError) as error:
        conditional_payment_total(claims=[], period_start=day("2024-02-01"), period_end=day("2024-01-31"))
    assert error.value.field == "period_end"


# --- §5.2 Recovery amount (42 CFR 411.37) ---------------------------------------------------------


def test_payments_below_the_settlement_are_reduced_by_medicares_prorated_share_of_costs():
    result = recovery_amount(medicare_payments=D("4000.00"), settlement=D("10000.00"), procurement_costs=D("3000.00"))
    assert result.rule == "411.37(c)"
    assert result.medicare_share_of_costs == D("1200.00")
    assert result.amount == D("2800.00")
    assert any("$3,000.00 × $4,000.00 ÷ $10,000.00 = $1,200.00" in step for step in result.steps)
    assert result.steps[-1] == "Recovery: $4,000.00 − $1,200.00 = $2,800.00."


def test_the_share_of_costs_is_rounded_once_and_never_through_a_rounded_ratio():
    # The ratio 3000/9000 is 1/3; rounding it to 0.33 first would give a share of $1,100.00.
    result = recovery_amount(medicare_payments=D("3333.33"), settlement=D("9000.00"), procurement_costs=D("3000.00"))
    assert result.medicare_share_of_costs == D("1111.11")
    assert result.amount == D("2222.22")
    assert any("≈ 0.333333" in step for step in result.steps)


def test_the_share_of_costs_rounds_a_half_cent_up():
    # 100.00 × 0.05 ÷ 1000.00 = 0.005 exactly: half up gives 0.01 (banker's rounding would give 0.00).
    result = recovery_amount(medicare_payments=D("0.05"), settlement=D("1000.00"), procurement_costs=D("100.00"))
    assert result.medicare_share_of_costs == D("0.01")
    assert result.amount == D("0.04")


@pytest.mark.parametrize("payments", [D("10000.00"), D("12000.00")])
def test_payments_equal_to_or_above_the_settlement_recover_the_settlement_less_costs(payments):
    result = recovery_amount(medicare_payments=payments, settlement=D("10000.00"), procurement_costs=D("3000.00"))
    assert result.rule == "411.37(d)"
    assert result.amount == D("7000.00")
    assert result.medicare_share_of_costs == D("3000.00")


@pytest.mark.parametrize(
    "payments, settlement, costs, expected",
    [
        (D("5000.00"), D("10000.00"), D("3000.00"), D("5000.00")),  # payments are the lower
        (D("8000.00"), D("10000.00"), D("4000.00"), D("6000.00")),  # settlement less costs is the lower
        (D("15000.00"), D("10000.00"), D("4000.00"), D("6000.00")),
    ],
)
def test_when_cms_had_to_sue_the_recovery_is_the_lower_of_payments_and_settlement_less_costs(
    payments, settlement, costs, expected
):
    result = recovery_amount(medicare_payments=payments, settlement=settlement, procurement_costs=costs, cms_sued=True)
    assert result.rule == "411.37(e)"
    assert result.amount == expected


@pytest.mark.parametrize(
    "payments, expected, rule",
    [(D("4000.00"), D("4000.00"), "411.37(c)"), (D("12000.00"), D("10000.00"), "411.37(d)")],
)
def test_a_demand_after_an_unanswered_cpn_takes_no_procurement_cost_reduction(payments, expected, rule):
    result = recovery_amount(
        medicare_payments=payments, settlement=D("10000.00"), procurement_costs=D("3000.00"), cpn_unanswered=True
    )
    assert result.amount == expected
    assert result.rule == rule
    assert result.procurement_reduction_taken is False
    assert result.medicare_share_of_costs == D("0.00")
    assert "no reduction for procurement costs" in result.steps[0]


def test_recovery_from_the_primary_payer_is_no_greater_than_the_411_37_amount():
    capped = recovery_from_primary_payer(
        medicare_payments=D("4000.00"), settlement=D("10000.00"), procurement_costs=D("3000.00")
    )
    assert capped.rule == "411.37(b)"
    assert capped.amount == D("2800.00")
    assert "lower of $4,000.00 and $2,800.00 is $2,800.00" in capped.steps[-1]
    smaller = recovery_from_primary_payer(
        medicare_payments=D("4000.00"), settlement=D("10000.00"), procurement_costs=D("3000.00"),
        amount_sought=D("1500.00"),
    )
    assert smaller.amount == D("1500.00")


def test_recovery_with_a_zero_settlement_is_zero():
    result = recovery_amount(medicare_payments=D("500.00"), settlement=D("0.00"), procurement_costs=D("0.00"))
    assert result.amount == D("0.00") and result.rule == "411.37(d)"


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"procurement_costs": D("10000.01")}, "procurement_costs"),
        ({"medicare_payments": D("-0.01")}, "medicare_payments"),
        ({"settlement": D("10000.001")}, "settlement"),
        ({"settlement": 10000.0}, "settlement"),
        ({"procurement_costs": "3000"}, "procurement_costs"),
        ({"cms_sued": "yes"}, "cms_sued"),
    ],
)
def test_recovery_amount_rejects_bad_input_naming_the_field(kwargs, field):
    arguments = {"medicare_payments": D("4000.00"), "settlement": D("10000.00"), "procurement_costs": D("3000.00")}
    arguments.update(kwargs)
    with pytest.raises(MoneyInputError) as error:
        recovery_amount(**arguments)
    assert error.value.field == field
    assert field in str(error.value)
    assert isinstance(error.value, ValueError)


cents = st.integers(min_value=0, max_value=10**9).map(lambda n: Decimal(n).scaleb(-2))


@settings(max_examples=200, deadline=None)
@given(
    payments=cents,
    settlement=cents,
    cost_share=st.fractions(min_value=0, max_value=1),
    sued=st.booleans(),
    cpn=st.booleans(),
)
def test_the_recovery_is_never_negative_never_above_the_payments_and_always_in_cents(
    payments, settlement, cost_share, sued, cpn
):
    costs = to_cents(settlement * Decimal(cost_share.numerator) / Decimal(cost_share.denominator))
    costs = min(costs, settlement)
    result = recovery_amount(
        medicare_payments=payments, settlement=settlement, procurement_costs=costs, cms_sued=sued, cpn_unanswered=cpn
    )
    assert D("0.00") <= result.amount <= payments
    assert result.amount <= settlement
    assert has_two_decimals(result.amount)
    assert has_two_decimals(result.medicare_share_of_costs)
    assert result.medicare_share_of_costs >= 0


# --- §5.3 Thresholds and options -----------------------------------------------------------------


@pytest.mark.parametrize(
    "settlement, below",
    [(D("749.99"), True), (D("750.00"), True), (D("750.01"), False), (D("750"), True)],
)
def test_a_settlement_at_or_below_the_threshold_is_not_recovered_to_the_cent(settlement, below):
    assert below_recovery_threshold(settlement=settlement, threshold=D("750.00")) is below


def test_the_threshold_closes_a_liability_trauma_case_with_no_recovery():
    result = recovery_threshold_applies(
        settlement=D("750.00"), threshold=D("750.00"), coverage_type=LIABILITY,
        physical_trauma=True, other_settlement_expected=False,
    )
    assert result.eligible is True
    assert result.amount == D("0.00")
    assert result.reasons == ()


@pytest.mark.parametrize(
    "changes, reason_word",
    [
        ({"settlement": D("750.01")}, "above the recovery threshold"),
        ({"coverage_type": GHP}, "liability, no-fault and workers' compensation"),
        ({"physical_trauma": False}, "physical trauma"),
        ({"other_settlement_expected": True}, "Another settlement"),
        ({"threshold": None}, "No recovery threshold was in force"),
    ],
)
def test_the_threshold_does_not_apply_and_says_why(changes, reason_word):
    arguments = dict(
        settlement=D("500.00"), threshold=D("750.00"), coverage_type=WORKERS_COMP,
        physical_trauma=True, other_settlement_expected=False,
    )
    arguments.update(changes)
    result = recovery_threshold_applies(**arguments)
    assert result.eligible is False
    assert result.amount is None
    assert any(reason_word in reason for reason in result.reasons)


def test_an_unknown_coverage_type_is_bad_input():
    with pytest.raises(MoneyInputError) as error:
        recovery_threshold_applies(
            settlement=D("500.00"), threshold=D("750.00"), coverage_type="auto",
            physical_trauma=True, other_settlement_expected=False,
        )
    assert error.value.field == "coverage_type"


def fixed_percentage(**changes):
    arguments = dict(
        gross_settlement=D("4000.00"), percentage=D("0.25"), settlement_cap=D("5000.00"), coverage_type=LIABILITY,
        physical_trauma=True, elected_before_demand=True, other_settlement_expected=False,
    )
    arguments.update(changes)
    return fixed_percentage_option(**arguments)


def test_the_fixed_percentage_option_is_a_quarter_of_the_gross_settlement():
    # Whatever the conditional payments (they are not even an input): 25% of the gross.
    result = fixed_percentage()
    assert result.eligible is True
    assert result.amount == D("1000.00")
    assert "$4,000.00 × 25.00% = $1,000.00" in result.steps[-1]


@pytest.mark.parametrize("gross, amount", [(D("1234.57"), D("308.64")), (D("0.10"), D("0.03")), (D("0.02"), D("0.01"))])
def test_the_fixed_percentage_amount_is_rounded_half_up_to_the_cent(gross, amount):
    assert fixed_percentage(gross_settlement=gross).amount == amount


def test_a_settlement_at_the_cap_may_use_the_fixed_percentage_option():
    assert fixed_percentage(gross_settlement=D("5000.00")).eligible is True
    assert fixed_percentage(gross_settlement=D("5000.01")).eligible is False


def test_the_cap_raised_on_2023_10_02_lets_a_7500_settlement_use_the_fixed_percentage_option():
    # The caller picks the cap in force on the settlement date: $5,000 before 2023-10-02, $10,000 from then.
    before = fixed_percentage(gross_settlement=D("7500.00"), settlement_cap=D("5000.00"))
    after = fixed_percentage(gross_settlement=D("7500.00"), settlement_cap=D("10000.00"))
    assert before.eligible is False
    assert before.amount is None
    assert any("above the $5,000.00 cap" in reason for reason in before.reasons)
    assert after.eligible is True
    assert after.amount == D("1875.00")


@pytest.mark.parametrize(
    "changes, reason_word",
    [
        ({"coverage_type": NO_FAULT}, "liability settlements only"),
        ({"physical_trauma": False}, "physical trauma"),
        ({"elected_before_demand": False}, "before the demand"),
        ({"other_settlement_expected": True}, "Another settlement"),
    ],
)
def test_the_fixed_percentage_option_is_refused_with_the_reason(changes, reason_word):
    result = fixed_percentage(**changes)
    assert result.eligible is False
    assert any(reason_word in reason for reason in result.reasons)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"percentage": D("25")}, "percentage"),
        ({"percentage": 0.25}, "percentage"),
        ({"gross_settlement": D("-1.00")}, "gross_settlement"),
        ({"settlement_cap": D("5000.005")}, "settlement_cap"),
    ],
)
def test_the_fixed_percentage_option_rejects_bad_input_naming_the_field(changes, field):
    with pytest.raises(MoneyInputError) as error:
        fixed_percentage(**changes)
    assert error.value.field == field


def self_calculated(**changes):
    arguments = dict(
        injury_date=day("2023-08-31"), election_date=day("2024-02-29"), expected_settlement=D("25000.00"),
        settlement_limit=D("25000.00"), care_completed_date=day("2024-01-01"), submission_date=day("2024-03-31"),
        physician_attestation=False, other_settlement_expected=False, physical_trauma=True,
        min_months=6, min_care_days=90,
    )
    arguments.update(changes)
    return self_calculated_option_eligibility(**arguments)


def test_the_self_calculated_option_is_open_six_calendar_months_after_the_injury():
    result = self_calculated()
    assert result.eligible is True, result.reasons
    assert result.amount is None
    assert "2023-08-31 + 6 months = 2024-02-29" in result.steps[0]


def test_the_self_calculated_option_is_closed_the_day_before_six_months_have_passed():
    result = self_calculated(election_date=day("2024-02-28"))
    assert result.eligible is False
    assert any("earliest election date is 2024-02-29" in reason for reason in result.reasons)


def test_the_self_calculated_option_needs_care_completed_ninety_days_before_submission():
    # 2024-01-01 + 90 days = 2024-03-31 (2024 is a leap year).
    assert self_calculated(submission_date=day("2024-03-31")).eligible is True
    too_early = self_calculated(submission_date=day("2024-03-30"))
    assert too_early.eligible is False
    assert any("earliest submission is 2024-03-31" in reason for reason in too_early.reasons)


def test_a_physician_attestation_replaces_the_ninety_days_of_completed_care():
    assert self_calculated(submission_date=day("2024-03-30"), physician_attestation=True).eligible is True
    assert self_calculated(care_completed_date=None, physician_attestation=True).eligible is True
    assert self_calculated(care_completed_date=None).eligible is False


@pytest.mark.parametrize(
    "changes, reason_word",
    [
        ({"expected_settlement": D("25000.01")}, "above the $25,000.00 limit"),
        ({"other_settlement_expected": True}, "Another settlement"),
        ({"physical_trauma": False}, "physical trauma"),
    ],
)
def test_the_self_calculated_option_is_refused_with_the_reason(changes, reason_word):
    result = self_calculated(**changes)
    assert result.eligible is False
    assert any(reason_word in reason for reason in result.reasons)


def test_the_self_calculated_option_rejects_a_sub_cent_expected_settlement():
    with pytest.raises(MoneyInputError) as error:
        self_calculated(expected_settlement=D("100.001"))
    assert error.value.field == "expected_settlement"


# --- §5.4 Secondary payment (42 CFR 411.33) -------------------------------------------------------


@pytest.mark.parametrize("charges", [D("3000.00"), D("4000.00"), D("6800.00")])
def test_the_cfr_inpatient_example_pays_100_dollars_counting_the_full_payment_obligation_as_the_charges(charges):
    # cfr-411-33-to-411-37.txt: gross $3,500, deductible $520, primary payment $2,900, the provider must
    # accept $3,000 as full payment. (The seed's excerpt does not show the billed charges; any charges
    # of $3,000 or more give the same result, because $3,000 then counts as the charges.)
    result = secondary_payment_inpatient(
        gross_medicare_amount=D("3500.00"), primary_payment=D("2900.00"), deductible=D("520.00"),
        provider_charges=charges, full_payment_obligation=D("3000.00"),
    )
    assert [amount for _, amount in result.candidates] == [D("2980.00"), D("600.00"), D("100.00"), D("2480.00")]
    assert result.amount == D("100.00")
    assert result.rule == "411.33(e)"
    assert D("2900.00") + result.amount == D("3000.00")  # the combined payment the seed states


def test_the_crs_inpatient_example_pays_340_dollars():
    # CRS p. 18: charges $6,800, primary payment $4,360, 2023 deductible $1,600, gross Medicare amount $4,700.
    result = secondary_payment_inpatient(
        gross_medicare_amount=D("4700.00"), primary_payment=D("4360.00"), deductible=D("1600.00"),
        provider_charges=D("6800.00"),
    )
    assert sorted(amount for _, amount in result.candidates) == [D("340.00"), D("2440.00"), D("3100.00"), D("5200.00")]
    assert result.amount == D("340.00")
    assert "(2) Gross Medicare amount minus the primary payment: $4,700.00 − $4,360.00 = $340.00." in result.steps
    assert D("4360.00") + result.amount == D("4700.00")


def test_the_crs_fee_schedule_example_pays_30_dollars():
    # CRS p. 18 and 42 CFR 411.33(b): charge $175, primary allowed $150 and paid $120, Medicare fee schedule
    # $125 of which Medicare pays 80% = $100.
    result = secondary_payment_fee_schedule(
        actual_charge=D("175.00"), primary_payment=D("120.00"), medicare_primary_amount=D("100.00"),
        primary_allowable=D("150.00"), medicare_recognised_amount=D("125.00"),
    )
    assert [amount for _, amount in result.candidates] == [D("55.00"), D("100.00"), D("30.00")]
    assert result.amount == D("30.00")
    assert result.rule == "411.33(a)"


def test_the_fee_schedule_counts_the_amount_the_supplier_must_accept_as_its_charge():
    result = secondary_payment_fee_schedule(
        actual_charge=D("175.00"), primary_payment=D("120.00"), medicare_primary_amount=D("100.00"),
        primary_allowable=D("150.00"), medicare_recognised_amount=D("125.00"), full_payment_obligation=D("140.00"),
    )
    assert result.candidates[0][1] == D("20.00")
    assert result.amount == D("20.00")


def test_medicare_pays_nothing_when_the_primary_payment_covers_everything():
    inpatient = secondary_payment_inpatient(
        gross_medicare_amount=D("3500.00"), primary_payment=D("4000.00"), deductible=D("520.00"),
        provider_charges=D("4000.00"),
    )
    assert inpatient.amount == D("0.00")
    assert "no secondary payment" in inpatient.steps[-1]
    fee = secondary_payment_fee_schedule(
        actual_charge=D("100.00"), primary_payment=D("100.00"), medicare_primary_amount=D("80.00"),
        primary_allowable=D("90.00"), medicare_recognised_amount=D("95.00"),
    )
    assert fee.amount == D("0.00")
    assert has_two_decimals(fee.amount)


def test_secondary_payment_rejects_a_negative_primary_payment():
    with pytest.raises(MoneyInputError) as error:
        secondary_payment_inpatient(
            gross_medicare_amount=D("3500.00"), primary_payment=D("-1.00"), deductible=D("520.00"),
            provider_charges=D("4000.00"),
        )
    assert error.value.field == "primary_payment"


# --- §5.5 Interest and payments -------------------------------------------------------------------

DEMAND = day("2024-01-01")
RATE = D("0.1150")


def schedule(as_of, events=(), principal=D("10000.00"), demand=DEMAND, **policy):
    policy = {"annual_rate": RATE, "year_days": 360, "period_days": 30, "grace_days": 60, **policy}
    return debt_schedule(principal=principal, demand_date=demand, as_of=as_of, events=events, **policy)


def on_day(n, demand=DEMAND):
    return demand + datetime.timedelta(days=n)


def test_apply_payment_pays_interest_first_then_principal_then_refunds_the_excess():
    assert apply_payment(interest_due=D("191.66"), principal_due=D("10000.00"), amount=D("500.00")) == (
        D("191.66"), D("308.34"), D("0.00"),
    )
    assert apply_payment(interest_due=D("191.66"), principal_due=D("10000.00"), amount=D("100.00")) == (
        D("100.00"), D("0.00"), D("0.00"),
    )
    split = apply_payment(interest_due=D("1.00"), principal_due=D("2.00"), amount=D("5.00"))
    assert split.to_interest == D("1.00") and split.to_principal == D("2.00") and split.excess == D("2.00")


def test_the_public_worked_example_day_60_day_61_day_90():
    # SPEC §5.5: $10,000.00 at 11.50% from 2024-01-01, no payment.
    assert schedule(day("2024-03-01")).interest == D("0.00")  # day 60
    at_61 = schedule(day("2024-03-02"))  # day 61
    assert [(row.period, row.amount, row.date) for row in at_61.rows] == [
        (1, D("95.83"), day("2024-03-02")),
        (2, D("95.83"), day("2024-03-02")),
    ]
    assert at_61.interest == D("191.66")
    at_90 = schedule(day("2024-03-31"))  # day 90
    assert at_90.interest == D("287.49")
    assert at_90.rows[-1].period == 3 and at_90.rows[-1].date == day("2024-03-31")
    assert at_90.balance == D("10287.49")


def test_the_leap_day_counts_so_day_60_of_a_2024_demand_is_1_march():
    assert on_day(60) == day("2024-03-01")
    assert on_day(60, demand=day("2023-01-01")) == day("2023-03-02")
    # The same debt dated 2023-01-01 is still in grace on 2023-03-01 and 2023-03-02 (day 59 and 60) ...
    assert schedule(day("2023-03-02"), demand=day("2023-01-01")).interest == D("0.00")
    # ... while a 2024 debt is assessed on 2024-03-02.
    assert schedule(day("2024-03-02")).interest == D("191.66")


def test_a_period_is_charged_only_when_it_is_complete_day_89_and_day_90():
    assert schedule(on_day(89)).interest == D("191.66")
    assert schedule(on_day(90)).interest == D("287.49")
    assert schedule(on_day(119)).interest == D("287.49")
    assert schedule(on_day(120)).interest == D("383.32")


def test_the_interest_note_shows_the_arithmetic():
    row = schedule(on_day(61)).rows[0]
    assert row.note == (
        "Interest for period 1 (days 1–30, 2024-01-02 to 2024-01-31): "
        "$10,000.00 × 11.50% × 30 ÷ 360 = $95.83."
    )
    assert row.base == D("10000.00")


def test_paid_in_full_on_day_60_means_no_interest_ever():
    paid = schedule(on_day(400), events=[Payment(on_day(60), D("10000.00"))])
    assert [row.kind for row in paid.rows] == ["payment"]
    assert paid.interest == paid.principal == paid.refund_owed == D("0.00")


def test_paid_the_principal_in_full_on_day_61_still_owes_the_two_periods_of_interest():
    paid = schedule(on_day(61), events=[Payment(on_day(61), D("10000.00"))])
    assert [row.kind for row in paid.rows] == ["interest", "interest", "payment"]
    payment = paid.rows[-1]
    assert (payment.to_interest, payment.to_principal, payment.to_refund) == (D("191.66"), D("9808.34"), D("0.00"))
    assert paid.principal == D("191.66")
    assert paid.balance == D("191.66")
    # Interest keeps running on what is left.
    later = schedule(on_day(90), events=[Payment(on_day(61), D("10000.00"))])
    assert later.rows[-1].kind == "interest" and later.rows[-1].amount == D("1.84")  # 191.66 × 11.5% × 30/360


def test_a_payment_on_day_61_pays_the_interest_of_periods_1_and_2_first():
    paid = schedule(on_day(61), events=[Payment(on_day(61), D("500.00"))])
    payment = paid.rows[-1]
    assert payment.to_interest == D("191.66")
    assert payment.to_principal == D("308.34")
    assert paid.principal == D("9691.66") and paid.interest == D("0.00")


def test_a_payment_on_the_last_day_of_period_1_counts_for_that_period():
    paid = schedule(on_day(61), events=[Payment(on_day(30), D("4000.00"))])
    assert [(row.period, row.base, row.amount) for row in paid.rows if row.kind == "interest"] == [
        (1, D("6000.00"), D("57.50")),
        (2, D("6000.00"), D("57.50")),
    ]


def test_periods_1_and_2_are_each_charged_on_the_principal_unpaid_at_their_own_end():
    paid = schedule(on_day(61), events=[Payment(on_day(31), D("4000.00"))])
    assert [(row.period, row.base) for row in paid.rows if row.kind == "interest"] == [
        (1, D("10000.00")),
        (2, D("6000.00")),
    ]


def test_a_payment_on_day_90_is_applied_before_period_3_is_charged():
    paid = schedule(on_day(90), events=[Payment(on_day(90), D("5000.00"))])
    assert [row.kind for row in paid.rows] == ["interest", "interest", "payment", "interest"]
    payment, period_3 = paid.rows[2], paid.rows[3]
    assert (payment.to_interest, payment.to_principal) == (D("191.66"), D("4808.34"))
    assert period_3.base == D("5191.66")
    assert period_3.amount == D("49.75")
    assert paid.interest == D("49.75")


def test_a_payment_larger_than_the_balance_makes_a_refund_owed():
    paid = schedule(on_day(200), events=[Payment(on_day(20), D("10500.00"))])
    assert paid.refund_owed == D("500.00")
    assert paid.principal == paid.interest == D("0.00")
    assert paid.rows[0].to_refund == D("500.00")


def test_a_favourable_appeal_after_full_payment_makes_a_refund_owed():
    events = [Payment(on_day(10), D("10000.00")), PrincipalAdjustment(on_day(100), D("4000.00"), "appeal granted")]
    result = schedule(on_day(100), events=events)
    adjustment = result.rows[-1]
    assert adjustment.kind == "adjustment"
    assert adjustment.to_refund == D("4000.00")
    assert result.refund_owed == D("4000.00")
    assert "appeal granted" in adjustment.note


def test_a_waiver_of_part_of_the_principal_reduces_later_interest_but_not_interest_already_charged():
    events = [PrincipalAdjustment(on_day(75), D("6000.00"), "partial waiver")]
    result = schedule(on_day(90), events=events)
    assert [(row.kind, row.amount) for row in result.rows] == [
        ("interest", D("95.83")), ("interest", D("95.83")), ("adjustment", D("6000.00")), ("interest", D("38.33")),
    ]
    assert result.principal == D("4000.00")
    assert result.interest == D("229.99")


def test_a_reduction_beyond_the_unpaid_principal_settles_unpaid_interest_before_any_refund():
    events = [Payment(on_day(61), D("9000.00")), PrincipalAdjustment(on_day(70), D("1500.00"))]
    # Day 61: 191.66 interest, then 9,000.00 pays 191.66 interest and 8,808.34 principal: 1,191.66 left.
    # Day 70: the reduction of 1,500.00 takes 1,191.66 off the principal; 308.34 was already paid: refund.
    result = schedule(on_day(70), events=events)
    adjustment = result.rows[-1]
    assert (adjustment.to_principal, adjustment.to_interest, adjustment.to_refund) == (
        D("1191.66"), D("0.00"), D("308.34"),
    )
    # With interest unpaid at the time, the already-paid part settles it first.
    events = [Payment(on_day(91), D("9287.49")), PrincipalAdjustment(on_day(95), D("2000.00"))]
    # Day 91: interest due 287.49; the payment pays it and 9,000.00 of principal; 1,000.00 left.
    result = schedule(on_day(95), events=events)
    assert result.principal == D("0.00") and result.refund_owed == D("1000.00")


def test_a_cancelled_debt_during_grace_never_bears_interest():
    result = schedule(on_day(365), events=[PrincipalAdjustment(on_day(45), D("10000.00"), "waiver")])
    assert result.interest_assessed == D("0.00")
    assert result.balance == D("0.00")


def test_a_refund_paid_reduces_the_refund_owed_and_cannot_exceed_it():
    events = [Payment(on_day(5), D("10100.00")), RefundPaid(on_day(40), D("100.00"))]
    result = schedule(on_day(40), events=events)
    assert [row.kind for row in result.rows] == ["payment", "refund"]
    assert result.refund_owed == D("0.00")
    with pytest.raises(MoneyInputError) as error:
        schedule(on_day(40), events=[Payment(on_day(5), D("10100.00")), RefundPaid(on_day(40), D("100.01"))])
    assert error.value.field == "events[1].amount"


def test_events_after_the_as_of_date_are_not_yet_on_the_schedule():
    result = schedule(on_day(30), events=[Payment(on_day(31), D("10000.00"))])
    assert result.rows == () and result.principal == D("10000.00")


def test_events_given_out_of_order_are_replayed_by_date():
    in_order = schedule(on_day(150), events=[Payment(on_day(70), D("100.00")), Payment(on_day(100), D("200.00"))])
    reversed_ = schedule(on_day(150), events=[Payment(on_day(100), D("200.00")), Payment(on_day(70), D("100.00"))])
    assert in_order.rows == reversed_.rows


def test_the_day_count_basis_is_a_parameter():
    assert period_interest(principal=D("10000.00"), annual_rate=RATE, period_days=30, year_days=365) == D("94.52")
    assert schedule(on_day(61), year_days=365).interest == D("189.04")


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"annual_rate": D("11.50")}, "annual_rate"),
        ({"annual_rate": 0.115}, "annual_rate"),
        ({"principal": D("-5.00")}, "principal"),
        ({"principal": D("5.005")}, "principal"),
        ({"as_of": day("2023-12-31")}, "as_of"),
        ({"events": [Payment(day("2023-12-31"), D("1.00"))]}, "events[0].date"),
        ({"events": [Payment(on_day(5), D("-1.00"))]}, "events[0].amount"),
        ({"events": [Payment(on_day(5), D("1.00")), ("2024-01-05", D("1.00"))]}, "events[1]"),
        ({"year_days": 0}, "year_days"),
        ({"period_days": D("30")}, "period_days"),
    ],
)
def test_debt_schedule_rejects_bad_input_naming_the_field(kwargs, field):
    arguments = dict(
        principal=D("10000.00"), annual_rate=RATE, demand_date=DEMAND, as_of=on_day(90), events=(),
        year_days=360, period_days=30, grace_days=60,
    )
    arguments.update(kwargs)
    with pytest.raises(MoneyInputError) as error:
        debt_schedule(**arguments)
    assert error.value.field == field
    assert field in str(error.value)


def test_only_the_new_rows_are_appended_to_the_ledger():
    events = [Payment(on_day(61), D("500.00"))]
    posted = schedule(on_day(61), events=events).rows
    new = rows_to_append(posted=posted, schedule=schedule(on_day(120), events=events))
    assert [(row.kind, row.period) for row in new] == [("interest", 3), ("interest", 4)]
    assert rows_to_append(posted=posted, schedule=schedule(on_day(61), events=events)) == ()


def test_a_back_dated_payment_after_later_interest_was_posted_is_refused_not_guessed():
    posted = schedule(on_day(120)).rows
    late_news = schedule(on_day(121), events=[Payment(on_day(95), D("5000.00"))])
    with pytest.raises(ScheduleDivergedError) as error:
        rows_to_append(posted=posted, schedule=late_news)
    assert error.value.index == 3  # the row after periods 1-3 is now the payment, not period 4


# --- §5.5 properties -------------------------------------------------------------------------------

amounts = st.integers(min_value=1, max_value=1_500_000).map(lambda n: Decimal(n).scaleb(-2))
event_strategy = st.tuples(
    st.integers(min_value=0, max_value=400), st.sampled_from(["payment", "payment", "adjustment"]), amounts
).map(lambda t: (Payment if t[1] == "payment" else PrincipalAdjustment)(on_day(t[0]), t[2]))
histories = st.lists(event_strategy, max_size=8)
principals = st.integers(min_value=0, max_value=2_000_000).map(lambda n: Decimal(n).scaleb(-2))
rates = st.integers(min_value=0, max_value=2500).map(lambda n: Decimal(n).scaleb(-4))


def money_fields(row):
    values = [row.amount, row.principal_after, row.interest_after, row.refund_owed_after,
              row.to_interest, row.to_principal, row.to_refund]
    return values + ([row.base] if row.base is not None else [])


@settings(max_examples=200, deadline=None)
@given(principal=principals, rate=rates, events=histories, horizon=st.integers(min_value=0, max_value=500))
def test_no_balance_is_ever_negative_and_every_payment_is_fully_accounted_for(principal, rate, events, horizon):
    result = schedule(on_day(horizon), events=events, principal=principal, annual_rate=rate)
    for row in result.rows:
        assert row.principal_after >= 0 and row.interest_after >= 0 and row.refund_owed_after >= 0
        assert all(has_two_decimals(value) for value in money_fields(row))
        if row.kind in ("payment", "adjustment"):
            assert row.to_interest + row.to_principal + row.to_refund == row.amount
        if row.refund_owed_after > 0:  # a refund is owed only once nothing else is
            assert row.principal_after == row.interest_after == 0
    assert all(has_two_decimals(value) for value in (result.principal, result.interest, result.refund_owed))
    # The balances are derived from the rows, to the cent.
    received = sum((row.amount for row in result.rows if row.kind == "payment"), D("0"))
    reduced = sum((row.amount for row in result.rows if row.kind == "adjustment"), D("0"))
    assert principal + result.interest_assessed + result.refund_owed == (
        result.principal + result.interest + received + reduced
    )


@settings(max_examples=200, deadline=None)
@given(principal=principals, rate=rates, events=histories, first=st.integers(0, 400), later=st.integers(0, 200))
def test_the_schedule_as_of_an_earlier_date_is_a_prefix_of_the_schedule_as_of_a_later_date(
    principal, rate, events, first, later
):
    early = schedule(on_day(first), events=events, principal=principal, annual_rate=rate)
    late = schedule(on_day(first + later), events=events, principal=principal, annual_rate=rate)
    assert late.rows[: len(early.rows)] == early.rows
    assert rows_to_append(posted=early.rows, schedule=late) == late.rows[len(early.rows):]


@settings(max_examples=50, deadline=None)
@given(principal=principals, rate=rates, events=histories, horizon=st.integers(0, 200))
def test_assessing_every_day_gives_the_same_ledger_as_assessing_once_late(principal, rate, events, horizon):
    ledger = []
    for n in range(horizon + 1):
        today = schedule(on_day(n), events=events, principal=principal, annual_rate=rate)
        ledger += rows_to_append(posted=ledger, schedule=today)
    once = schedule(on_day(horizon), events=events, principal=principal, annual_rate=rate)
    assert tuple(ledger) == once.rows


@settings(max_examples=100, deadline=None)
@given(principal=principals, rate=rates, events=histories, horizon=st.integers(0, 500))
def test_computing_the_same_schedule_twice_gives_the_same_rows(principal, rate, events, horizon):
    first = schedule(on_day(horizon), events=events, principal=principal, annual_rate=rate)
    second = schedule(on_day(horizon), events=list(events), principal=principal, annual_rate=rate)
    assert first == second


@settings(max_examples=200, deadline=None)
@given(interest=principals, principal_due=principals, amount=principals)
def test_a_payment_is_split_without_losing_or_inventing_a_cent(interest, principal_due, amount):
    split = apply_payment(interest_due=interest, principal_due=principal_due, amount=amount)
    assert split.to_interest + split.to_principal + split.excess == amount
    assert min(split) >= 0
    assert split.to_interest <= interest and split.to_principal <= principal_due
    assert split.excess == 0 or (split.to_interest == interest and split.to_principal == principal_due)
    assert all(has_two_decimals(value) for value in split)


@settings(max_examples=300, deadline=None)
@given(
    principal=st.decimals(min_value=0, max_value=Decimal("99999999999.99"), places=2),
    rate=st.decimals(min_value=0, max_value=1, places=5),
    days=st.integers(1, 400),
    year=st.sampled_from([360, 365, 366]),
)
def test_period_interest_rounds_as_exact_fraction_arithmetic_would(principal, rate, days, year):
    from fractions import Fraction

    exact = Fraction(principal) * Fraction(rate) * days / year * 100
    whole = exact.numerator // exact.denominator
    if exact - whole >= Fraction(1, 2):
        whole += 1
    expected = Decimal(whole).scaleb(-2)
    from recovery.money.rules import period_interest

    assert period_interest(principal=principal, annual_rate=rate, period_days=days, year_days=year) == expected
