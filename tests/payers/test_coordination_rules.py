"""Who pays first (SPEC §7): every row of CRS Tables 1–3, the ESRD dates and edges, employer sizes, the
120-day rule and the WCMSA thresholds — worked by hand from seeds/crs-msp-coordination-of-benefits.txt."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from payers.coordination.rules import (
    NGHP, CoordinationInputError, EsrdPeriod, GHPBasis, PartA, Payer, Situation, Through, add_months, age_on,
    coordination_period, esrd_entitlement_end, esrd_entitlement_start, may_pay_conditionally,
    months_between, prompt_payment_last_day, wcmsa_review, who_pays_first, within_months,
)

M, GHP = Payer.MEDICARE, Payer.GHP
ON = date(2026, 6, 15)
AGED = dict(on=ON, date_of_birth=date(1955, 3, 4))  # 71 on ON
DISABLED = dict(on=ON, date_of_birth=date(1980, 5, 5), disabled=True, other_entitlement_start=date(2020, 1, 1))
ESRD_ONLY = dict(on=ON, date_of_birth=date(1980, 5, 5), esrd=(EsrdPeriod(date(2025, 10, 1)),))  # month 9
WORK = dict(ghp=GHPBasis.CURRENT_EMPLOYMENT)

# (CRS row, situation, expected payers first to last, the rule that decided)
TABLE_1 = [
    ("T1 retiree coverage", dict(**AGED, ghp=GHPBasis.RETIREE), (M, Payer.RETIREE), "T1.1"),
    ("T1 65+, own employment, 20+ workers", dict(**AGED, **WORK, employer_size=20), (GHP, M), "T1.2"),
    ("T1 65+, spouse's employment, 20+ workers",
     dict(**AGED, **WORK, ghp_through=Through.SPOUSE, employer_size=500), (GHP, M), "T1.2"),
    ("T1 65+, fewer than 20 workers", dict(**AGED, **WORK, employer_size=19), (M, GHP), "T1.3"),
    ("T1 under 65 disabled, family member's employment, 100+",
     dict(**DISABLED, **WORK, ghp_through=Through.FAMILY, employer_size=100), (GHP, M), "T1.4"),
    ("T1 under 65 disabled, fewer than 100", dict(**DISABLED, **WORK, employer_size=99), (M, GHP), "T1.5"),
    ("T1 solely ESRD, in a GHP (any size, current or former employment)",
     dict(**ESRD_ONLY, ghp=GHPBasis.RETIREE), (Payer.RETIREE, M), "T1.6"),
    ("T1 simultaneous ESRD and disability, in a GHP",
     dict(**ESRD_ONLY, **WORK, employer_size=5, disabled=True, other_entitlement_start=date(2025, 10, 1)),
     (GHP, M), "T1.7"),
    ("T1 disability first, Medicare properly primary, then ESRD",
     dict(**DISABLED, **WORK, employer_size=50, esrd=(EsrdPeriod(date(2025, 10, 1)),)), (M, GHP), "T1.8"),
]
TABLE_2 = [
    ("T2 Medicare (age) then COBRA", dict(**AGED, ghp=GHPBasis.COBRA), (M, Payer.COBRA), "T2.1"),
    ("T2 Medicare (disability) then COBRA", dict(**DISABLED, ghp=GHPBasis.COBRA), (M, Payer.COBRA), "T2.1"),
    ("T2 COBRA first, then Medicare", dict(**AGED, ghp=GHPBasis.COBRA, cobra_before_medicare=True),
     (M, Payer.COBRA), "T2.2"),
    ("T2 Medicare on ESRD, then COBRA, inside the 30 months", dict(**ESRD_ONLY, ghp=GHPBasis.COBRA),
     (Payer.COBRA, M), "T2.3"),
]
TABLE_3 = [
    ("T3 Black Lung related care", dict(**AGED, black_lung=True, black_lung_related_care=True),
     (Payer.BLACK_LUNG, M), "T3.1"),
    ("T3 Black Lung covered, care not related", dict(**AGED, black_lung=True), (M,), "NONE"),
    ("T3 veteran, VA-authorised care", dict(**AGED, va_authorised_care=True), (Payer.VA,), "T3.2"),
    ("T3 veteran, care outside the VA", dict(**AGED), (M,), "NONE"),
    ("T3 TRICARE at a military hospital", dict(**AGED, tricare=True, military_facility=True),
     (Payer.TRICARE,), "T3.3"),
    ("T3 TRICARE elsewhere: Medicare first, TRICARE For Life second", dict(**AGED, tricare=True),
     (M, Payer.TRICARE), "T3.3s"),
]


@pytest.mark.parametrize(("row", "situation", "order", "rule_id"), TABLE_1 + TABLE_2 + TABLE_3,
                         ids=[r[0] for r in TABLE_1 + TABLE_2 + TABLE_3])
def test_every_row_of_the_crs_tables(row, situation, order, rule_id):
    result = who_pays_first(Situation(**situation))
    assert result.order == order
    assert result.primary == order[0]
    assert result.secondary == (order[1] if len(order) > 1 else None)
    assert result.rule_id == rule_id
    assert result.rule and result.applied[0][0] == rule_id


def test_medicare_pays_nothing_for_va_or_military_facility_care():
    assert who_pays_first(Situation(**AGED, va_authorised_care=True)).medicare_pays is False
    assert who_pays_first(Situation(**AGED, tricare=True, military_facility=True)).medicare_pays is False
    assert who_pays_first(Situation(**AGED, tricare=True)).medicare_pays is True


def test_disability_first_with_a_large_employer_keeps_the_ghp_primary_through_the_30_months():
    result = who_pays_first(Situation(**DISABLED, **WORK, employer_size=150, esrd=(EsrdPeriod(date(2025, 10, 1)),)))
    assert (result.primary, result.rule_id) == (GHP, "T1.8s")


def test_the_caseworker_may_say_how_medicare_stood_when_esrd_began():
    s = dict(**DISABLED, **WORK, employer_size=150, esrd=(EsrdPeriod(date(2025, 10, 1)),))
    assert who_pays_first(Situation(**s, medicare_primary_when_esrd_began=True)).rule_id == "T1.8"
    assert who_pays_first(Situation(**s, medicare_primary_when_esrd_began=False)).rule_id == "T1.8s"


def test_esrd_first_stays_ghp_primary_for_the_30_months_even_after_turning_65():
    situation = Situation(on=date(2026, 6, 15), date_of_birth=date(1961, 1, 10), **WORK, employer_size=3,
                          esrd=(EsrdPeriod(date(2025, 10, 1)),))
    assert age_on(situation.date_of_birth, situation.on) == 65
    assert (who_pays_first(situation).primary, who_pays_first(situation).rule_id) == (GHP, "T1.6")


def test_medicaid_always_pays_last():
    for situation in (dict(**AGED), dict(**AGED, **WORK, employer_size=25), dict(**AGED, va_authorised_care=True),
                      dict(**AGED, nghp=NGHP.LIABILITY, tricare=True)):
        result = who_pays_first(Situation(**situation, medicaid=True))
        assert result.order[-1] == Payer.MEDICAID and result.primary != Payer.MEDICAID
        assert ("MEDICAID" in dict(result.applied))


@pytest.mark.parametrize("nghp", [NGHP.LIABILITY, NGHP.NO_FAULT, NGHP.WORKERS_COMP])
def test_liability_no_fault_and_wc_pay_first_for_the_related_care(nghp):
    result = who_pays_first(Situation(**AGED, nghp=nghp))
    assert (result.order, result.rule_id) == ((Payer(nghp.value), M), "NGHP")
    unrelated = who_pays_first(Situation(**AGED, nghp=nghp, nghp_related_care=False))
    assert unrelated.primary == M


def test_nghp_then_a_primary_ghp_then_medicare():
    result = who_pays_first(Situation(**AGED, **WORK, employer_size=40, nghp=NGHP.NO_FAULT))
    assert result.order == (Payer.NO_FAULT, GHP, M)
    assert [r for r, _ in result.applied] == ["NGHP", "T1.2"]


# --- employer size ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "primary"), [(0, M), (19, M), (20, GHP), (21, GHP)])
def test_working_aged_employer_size_19_and_20(size, primary):
    assert who_pays_first(Situation(**AGED, **WORK, employer_size=size)).primary == primary


@pytest.mark.parametrize(("size", "primary"), [(20, M), (99, M), (100, GHP), (101, GHP)])
def test_working_disabled_employer_size_99_and_100(size, primary):
    assert who_pays_first(Situation(**DISABLED, **WORK, employer_size=size)).primary == primary


@pytest.mark.parametrize(("largest", "primary"), [(19, M), (20, GHP)])
def test_a_multi_employer_plan_counts_its_largest_employer_for_the_aged(largest, primary):
    situation = Situation(**AGED, **WORK, employer_size=5, multi_employer=True, largest_employer_size=largest)
    assert who_pays_first(situation).primary == primary


@pytest.mark.parametrize(("largest", "primary"), [(99, M), (100, GHP)])
def test_a_multi_employer_plan_counts_its_largest_employer_for_the_disabled(largest, primary):
    situation = Situation(**DISABLED, **WORK, employer_size=5, multi_employer=True, largest_employer_size=largest)
    assert who_pays_first(situation).primary == primary


def test_a_multi_employer_plan_may_exempt_small_employers_for_the_aged_but_not_the_disabled():
    exempt = dict(**WORK, employer_size=5, multi_employer=True, largest_employer_size=500,
                  small_employer_exempted=True)
    aged = who_pays_first(Situation(**AGED, **exempt))
    assert (aged.primary, aged.rule_id) == (M, "AGED-EXEMPT")
    assert who_pays_first(Situation(**DISABLED, **exempt)).primary == GHP
    # the exemption is for employers under 20: a large member employer's employees stay GHP-primary
    assert who_pays_first(Situation(**AGED, **{**exempt, "employer_size": 20})).primary == GHP


@pytest.mark.parametrize(("part_a", "part_b"), [(PartA.PREMIUM, True), (PartA.NONE, True)])
def test_working_aged_with_premium_part_a_or_part_b_only_has_medicare_primary(part_a, part_b):
    result = who_pays_first(Situation(**AGED, **WORK, employer_size=5000, part_a=part_a, part_b=part_b))
    assert (result.primary, result.rule_id) == (M, "AGED-PART")


def test_the_aged_rule_counts_own_or_spouse_employment_only():
    result = who_pays_first(Situation(**AGED, **WORK, employer_size=5000, ghp_through=Through.FAMILY))
    assert (result.primary, result.rule_id) == (M, "AGED-THROUGH")


# --- ESRD: dates, the 30 months, the restart -----------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "first_month"), [
    (dict(dialysis_start=date(2024, 7, 15)), date(2024, 10, 1)),  # the third month after July
    (dict(dialysis_start=date(2024, 11, 30)), date(2025, 2, 1)),  # across the year
    (dict(dialysis_start=date(2024, 7, 15), self_dialysis_training=True), date(2024, 7, 1)),
    (dict(transplant_admission=date(2024, 3, 10), transplant_date=date(2024, 5, 2)), date(2024, 3, 1)),
    (dict(transplant_admission=date(2024, 3, 10), transplant_date=date(2024, 6, 20)), date(2024, 4, 1)),
    (dict(transplant_date=date(2024, 6, 20)), date(2024, 6, 1)),
    (dict(dialysis_start=date(2024, 1, 5), transplant_admission=date(2024, 2, 1), transplant_date=date(2024, 2, 3)),
     date(2024, 2, 1)),  # the earlier of dialysis (April) and the transplant (February)
])
def test_the_first_month_of_esrd_eligibility(kwargs, first_month):
    assert esrd_entitlement_start(**kwargs) == first_month


def test_esrd_entitlement_ends_12_months_after_dialysis_stops_or_36_after_a_transplant():
    assert esrd_entitlement_end(dialysis_stopped=date(2025, 1, 20)) == date(2026, 1, 31)
    assert esrd_entitlement_end(transplant_date=date(2025, 1, 20)) == date(2028, 1, 31)
    assert esrd_entitlement_end(dialysis_stopped=date(2023, 2, 3)) == date(2024, 2, 29)


def test_the_coordination_period_is_30_calendar_months():
    assert coordination_period(date(2024, 10, 1)) == (date(2024, 10, 1), date(2027, 3, 31))
    assert coordination_period(date(2025, 9, 1)) == (date(2025, 9, 1), date(2028, 2, 29))
    assert months_between(date(2024, 10, 1), date(2027, 3, 31)) == 30
    assert months_between(date(2024, 10, 1), date(2027, 4, 1)) == 31


@pytest.mark.parametrize(("on", "primary", "rule_id"), [
    (date(2024, 10, 1), GHP, "T1.6"),  # month 1
    (date(2027, 3, 1), GHP, "T1.6"),  # month 30, first day
    (date(2027, 3, 31), GHP, "T1.6"),  # month 30, last day
    (date(2027, 4, 1), M, "ESRD-30"),  # month 31
])
def test_month_30_vs_31_of_the_coordination_period(on, primary, rule_id):
    result = who_pays_first(Situation(on=on, date_of_birth=date(1980, 5, 5), **WORK, employer_size=8,
                                      esrd=(EsrdPeriod(date(2024, 10, 1)),)))
    assert (result.primary, result.rule_id) == (primary, rule_id)
    assert result.coordination_period == (date(2024, 10, 1), date(2027, 3, 31))


def test_after_the_30_months_medicare_is_primary_even_with_current_employment_of_a_large_employer():
    result = who_pays_first(Situation(on=date(2027, 4, 1), date_of_birth=date(1960, 5, 5), **WORK,
                                      employer_size=10_000, esrd=(EsrdPeriod(date(2024, 10, 1)),)))
    assert (result.primary, result.rule_id) == (M, "ESRD-30")


def test_a_new_period_of_esrd_entitlement_restarts_the_30_months():
    first = EsrdPeriod(date(2020, 1, 1), esrd_entitlement_end(transplant_date=date(2021, 3, 10)))  # to 2024-03-31
    assert first.end == date(2024, 3, 31)
    again = EsrdPeriod(esrd_entitlement_start(dialysis_start=date(2025, 2, 10)))  # from 2025-05-01
    base = dict(date_of_birth=date(1980, 5, 5), **WORK, employer_size=8)
    # inside the first period, after its 30 months: Medicare
    assert who_pays_first(Situation(on=date(2023, 1, 1), esrd=(first, again), **base)).primary == M
    # the new period: the GHP again for 30 months, from May 2025 to October 2027
    result = who_pays_first(Situation(on=date(2027, 10, 31), esrd=(first, again), **base))
    assert (result.primary, result.coordination_period) == (GHP, (date(2025, 5, 1), date(2027, 10, 31)))
    assert who_pays_first(Situation(on=date(2027, 11, 1), esrd=(first, again), **base)).primary == M
    # one continuous period from 2020 would have ended the 30 months long ago
    assert who_pays_first(Situation(on=date(2026, 1, 1), esrd=(EsrdPeriod(date(2020, 1, 1)),), **base)).primary == M
    # between the two periods the person (under 65, not disabled) has no Medicare at all
    with pytest.raises(CoordinationInputError) as exc:
        who_pays_first(Situation(on=date(2024, 6, 1), esrd=(first, again), **base))
    assert exc.value.field == "date_of_birth"


# --- the 120-day prompt-payment rule --------------------------------------------------------------------


def test_the_120th_day_after_the_claim():
    assert prompt_payment_last_day(date(2026, 1, 1)) == date(2026, 5, 1)
    # §411.50: the earlier of the claim and the service date
    assert prompt_payment_last_day(date(2026, 3, 1), service_date=date(2026, 1, 1)) == date(2026, 5, 1)


@pytest.mark.parametrize(("on", "conditional"), [(date(2026, 5, 1), False), (date(2026, 5, 2), True)])
def test_day_120_vs_121_for_a_conditional_payment(on, conditional):
    assert may_pay_conditionally(claim_received=date(2026, 1, 1), on=on) is conditional
    result = who_pays_first(Situation(on=on, date_of_birth=date(1950, 1, 1), nghp=NGHP.LIABILITY,
                                      claim_received=date(2026, 1, 1)))
    assert result.primary == Payer.LIABILITY  # still the primary payer: Medicare recovers what it pays
    assert result.conditional_payment is conditional
    assert ("PROMPT-120" in dict(result.applied)) is conditional


def test_a_plan_that_paid_leaves_no_conditional_payment():
    assert may_pay_conditionally(claim_received=date(2026, 1, 1), on=date(2026, 9, 1),
                                 paid_on=date(2026, 6, 1)) is False
    assert may_pay_conditionally(claim_received=date(2026, 1, 1), on=date(2026, 5, 10),
                                 paid_on=date(2026, 6, 1)) is True


# --- WCMSA review thresholds (CRS p. 30) -----------------------------------------------------------------


@pytest.mark.parametrize(("amount", "beneficiary", "expects", "reviewed"), [
    ("25000.00", True, False, False),
    ("25000.01", True, False, True),
    ("250000.00", False, True, False),
    ("250000.01", False, True, True),
    ("250000.00", True, False, True),  # a beneficiary: the $25,000 test
    ("999999.99", False, False, False),  # neither a beneficiary nor expecting Medicare within 30 months
    ("0.00", True, False, False),
])
def test_wcmsa_review_thresholds_to_the_cent(amount, beneficiary, expects, reviewed):
    result = wcmsa_review(total_settlement=Decimal(amount), medicare_beneficiary=beneficiary,
                          expects_medicare_within_30_months=expects)
    assert result.reviewed is reviewed and result.rule


def test_expecting_medicare_within_30_months_of_the_settlement_date():
    assert within_months(date(2024, 8, 31), date(2027, 2, 28), 30) is True
    assert within_months(date(2024, 8, 31), date(2027, 3, 1), 30) is False


@pytest.mark.parametrize(("amount", "message"), [
    (Decimal("25000.001"), "whole cents"), (Decimal("-1.00"), "negative"), (25000.5, "Decimal"),
    (Decimal("NaN"), "dollars"),
])
def test_a_bad_settlement_amount_names_the_field(amount, message):
    with pytest.raises(CoordinationInputError) as exc:
        wcmsa_review(total_settlement=amount, medicare_beneficiary=True)
    assert exc.value.field == "total_settlement" and message in exc.value.message


# --- calendar arithmetic and bad input ------------------------------------------------------------------


def test_month_arithmetic_keeps_to_the_calendar():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)
    assert age_on(date(1960, 2, 29), date(2025, 2, 28)) == 64
    assert age_on(date(1960, 2, 29), date(2025, 3, 1)) == 65


@pytest.mark.parametrize(("situation", "field"), [
    (dict(on=ON, date_of_birth=ON + timedelta(days=200)), "date_of_birth"),  # born after the day asked about
    (dict(on=ON, date_of_birth=date(1990, 1, 1)), "date_of_birth"),  # under 65, no disability, no ESRD
    (dict(**AGED, **WORK), "employer_size"),
    (dict(**AGED, **WORK, employer_size=-1), "employer_size"),
    (dict(**AGED, **WORK, multi_employer=True, employer_size=5), "largest_employer_size"),
    (dict(**AGED, **WORK, multi_employer=True, employer_size=50, largest_employer_size=10),
     "largest_employer_size"),
    (dict(**AGED, small_employer_exempted=True), "small_employer_exempted"),
    (dict(**AGED, esrd=(EsrdPeriod(date(2020, 1, 1)), EsrdPeriod(date(2022, 1, 1)))), "esrd"),
    (dict(**AGED, esrd=(EsrdPeriod(date(2020, 1, 1), date(2019, 1, 1)),)), "esrd"),
    (dict(**AGED, claim_received=date(2026, 1, 1)), "claim_received"),
    (dict(**AGED, nghp=NGHP.LIABILITY, nghp_paid_on=date(2026, 1, 1)), "claim_received"),
    (dict(**AGED, military_facility=True), "military_facility"),
    (dict(**AGED, black_lung_related_care=True), "black_lung_related_care"),
    (dict(on=date(2300, 1, 1), date_of_birth=date(1950, 1, 1)), "on"),
    (dict(**ESRD_ONLY, disabled=True), "other_entitlement_start"),
])
def test_bad_input_names_the_field(situation, field):
    with pytest.raises(CoordinationInputError) as exc:
        who_pays_first(Situation(**situation))
    assert exc.value.field == field and exc.value.message


@pytest.mark.parametrize(("kwargs", "field"), [
    (dict(), "dialysis_start"), (dict(self_dialysis_training=True), "dialysis_start"),
    (dict(transplant_admission=date(2024, 1, 1)), "transplant_date"),
    (dict(transplant_admission=date(2024, 5, 1), transplant_date=date(2024, 4, 1)), "transplant_admission"),
    (dict(dialysis_start=date(1800, 1, 1)), "dialysis_start"),
])
def test_bad_esrd_dates_name_the_field(kwargs, field):
    with pytest.raises(CoordinationInputError) as exc:
        esrd_entitlement_start(**kwargs)
    assert exc.value.field == field
