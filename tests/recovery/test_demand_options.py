"""The demand amount through the services (SPEC §5.2, §5.3, §3.1 CPN, §5.5 rate, §9): the recovery
threshold row in force on the settlement date, the fixed percentage and self-calculated options,
a CPN left unanswered, the demand letter's computation and the interest rate fixed on the demand date.

Cases move through `services.case_act` with the walker of test_tracks_beneficiary; `CaseWalk` only
chooses the occurrence (coverage, injury, incident date), the claims and the opening date.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from recovery.money import ledger, options
from recovery.errors import CaseActionError
from recovery.models import CaseEvent, Debt, LedgerEntry, Letter, OptionElection
from recovery.policy_models import InterestRate
from recovery.cases.tracks import State as S
from recovery.cases.tracks import Track
from tests import factories
from tests.recovery.test_tracks_beneficiary import OPENED_ON, Walk, assert_refused_and_unchanged, reach

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")
CPL = ("post_occurrence", "issue_rar", "issue_cpl")
TO_SETTLEMENT = CPL + ("report_settlement",)
SEEDED_RATE_FROM = date(2023, 7, 17)
ST = OptionElection.Status
K = Letter.Kind


def days(n):
    return timedelta(days=n)


class CaseWalk(Walk):
    """A beneficiary-track walk with a chosen occurrence and claims (dates of service from the incident)."""

    def __init__(self, *, coverage="liability", injury="trauma", incident=date(2023, 1, 10),
                 claims=(D("1200.00"), D("800.00")), opened_on=OPENED_ON):
        self.track = Track.BENEFICIARY
        self.worker = factories.caseworker()
        self._boss = None
        occurrence = factories.occurrence(coverage_type=coverage, injury_kind=injury, incident_date=incident)
        self.case = factories.case(self.track, actor=self.worker, opened_on=opened_on, occurrence=occurrence)
        self.on = opened_on
        self.claims = [factories.claim(self.case, service_from=incident + days(i), service_to=incident + days(i),
                                       amount_paid=amount) for i, amount in enumerate(claims)]


def settled_walk(gross, settled_on, *, fees=ZERO, **kw) -> CaseWalk:
    """A case in settlement_reported with a settlement of `gross` dated `settled_on`."""
    w = CaseWalk(**kw)
    w.settle(settlement_date=settled_on, gross_amount=D(gross), attorney_fees=D(fees))
    return w.run(TO_SETTLEMENT)


def demand_letter(w):
    return w.case.letters.get(kind=K.DEMAND)


# --- the recovery threshold (SPEC §5.3) -----------------------------------------------------------


def test_a_settlement_at_the_threshold_is_not_recovered_and_the_case_closes_with_no_recovery():
    w = settled_walk("750.00", date(2023, 6, 1))
    error = assert_refused_and_unchanged(w, "issue_demand")
    assert "recovery threshold" in error.message
    assert "$750.00" in error.message and "close the case with no recovery" in error.message
    assert not Debt.objects.filter(case=w.case).exists()
    w.act("close_no_recovery", reason="At or below the recovery threshold")
    assert w.case.state == S.CLOSED_NO_RECOVERY


def test_a_settlement_one_cent_above_the_threshold_gets_a_demand():
    w = settled_walk("750.01", date(2023, 6, 1))
    w.act("issue_demand")
    assert w.case.state == S.DEMAND_ISSUED
    # §411.37(d): $2,000.00 paid ≥ $750.01 settlement, no costs → settlement − costs.
    assert w.case.demand_amount == D("750.01")
    assert w.case.debt.principal == D("750.01")


@pytest.mark.parametrize(("settled_on", "threshold"), [
    (date(2013, 12, 31), None),  # $300 (2012 row): 900.00 is above it
    (date(2014, 1, 1), "$1,000.00"),
    (date(2017, 12, 31), "$1,000.00"),
    (date(2018, 1, 1), None),  # $750 from 2018
])
def test_the_liability_threshold_is_the_row_in_force_on_the_settlement_date(settled_on, threshold):
    w = settled_walk("900.00", settled_on, incident=date(2013, 6, 1))
    if threshold:
        error = assert_refused_and_unchanged(w, "issue_demand")
        assert f"at or below the recovery threshold {threshold}" in error.message
    else:
        w.act("issue_demand")
        assert w.case.demand_amount == D("900.00")


@pytest.mark.parametrize("coverage", ["workers_comp", "no_fault"])
@pytest.mark.parametrize(("settled_on", "recovered"), [(date(2016, 9, 25), True), (date(2016, 9, 26), False)])
def test_no_threshold_applies_to_wc_or_no_fault_before_2016_09_26(coverage, settled_on, recovered):
    w = settled_walk("500.00", settled_on, coverage=coverage, incident=date(2016, 1, 4))
    if recovered:
        w.act("issue_demand")
        assert w.case.demand_amount == D("500.00")
        steps = " ".join(w.case.debt.computation["steps"])
        assert "411.37(d)" in steps
    else:
        error = assert_refused_and_unchanged(w, "issue_demand")
        assert "$750.00" in error.message


@pytest.mark.parametrize("injury", ["ingestion", "implantation", "exposure"])
def test_the_threshold_does_not_apply_to_an_ingestion_implantation_or_exposure_injury(injury):
    w = settled_walk("500.00", date(2023, 6, 1), injury=injury)
    w.act("issue_demand")
    assert w.case.demand_amount == D("500.00")
    assert not w.case.debt.computation["below_threshold"]


def test_the_threshold_does_not_apply_when_another_settlement_is_expected():
    w = CaseWalk()
    w.settle(settlement_date=date(2023, 6, 1), gross_amount=D("500.00"), attorney_fees=ZERO,
             other_settlement_expected=True)
    w.run(TO_SETTLEMENT)
    w.act("issue_demand")
    assert w.case.demand_amount == D("500.00")


# --- the fixed percentage option (SPEC §5.3) ------------------------------------------------------


@pytest.mark.parametrize(("settled_on", "gross", "accepted", "demand"), [
    (date(2023, 10, 1), "7500.00", False, "666.67"),  # cap $5,000: §411.37(c) 1,000 − 2,500 × 1,000 ÷ 7,500
    (date(2023, 10, 2), "7500.00", True, "1875.00"),  # cap $10,000: 25% of the gross
    (date(2023, 10, 1), "5000.00", True, "1250.00"),  # at the old cap
    (date(2023, 10, 2), "10000.00", True, "2500.00"),  # at the new cap
    (date(2023, 10, 2), "10000.01", False, "750.00"),  # 1,000 − 2,500 × 1,000 ÷ 10,000.01 (249.999975 → 250.00)
], ids=["7500-before", "7500-from-2023-10-02", "5000-before", "10000-after", "10000.01-after"])
def test_the_fixed_percentage_election_uses_the_cap_in_force_on_the_settlement_date(
        settled_on, gross, accepted, demand):
    fees = D("2500.00") if D(gross) >= D("7500.00") else D("1250.00")
    # Conditional payments of $1,000.00 — less than 25% of the gross: the option still sets the demand.
    w = settled_walk(gross, settled_on, fees=fees, claims=(D("600.00"), D("400.00")), opened_on=date(2023, 10, 15))
    election = options.option_elect_fixed_percentage(case=w.reload(), elected_on=w.on, actor=w.worker)
    assert election.status == (ST.ACCEPTED if accepted else ST.REFUSED)
    if accepted:
        assert election.reasons == []
    else:
        cap = "$5,000.00" if settled_on < date(2023, 10, 2) else "$10,000.00"
        assert any(f"above the {cap} cap" in r for r in election.reasons), election.reasons
    history = CaseEvent.objects.filter(case=w.case, action="elect_fixed_percentage").get()
    assert ("Refused" if not accepted else "Accepted") in history.reason

    w.act("issue_demand")
    assert w.case.demand_amount == D(demand)
    computation = w.case.debt.computation
    if accepted:
        assert computation["rule"] == "fixed percentage option (§5.3)"
        assert any("25.00% of the gross settlement" in s for s in computation["steps"])
        assert computation["conditional_payments"] == "1000.00"  # the option stands even above the payments
    else:
        assert computation["rule"] == "411.37(c)"


def test_an_accepted_fixed_percentage_does_not_override_the_recovery_threshold():
    w = settled_walk("700.00", date(2023, 10, 2), opened_on=date(2023, 10, 15))
    election = options.option_elect_fixed_percentage(case=w.reload(), elected_on=w.on, actor=w.worker)
    assert election.status == ST.ACCEPTED
    error = assert_refused_and_unchanged(w, "issue_demand")
    assert "recovery threshold" in error.message


@pytest.mark.parametrize(("kw", "reason"), [
    ({"coverage": "no_fault"}, "liability settlements only"),
    ({"injury": "ingestion"}, "physical trauma"),
])
def test_the_fixed_percentage_election_is_recorded_as_refused_with_its_reasons(kw, reason):
    w = settled_walk("4000.00", date(2023, 6, 1), **kw)
    election = options.option_elect_fixed_percentage(case=w.reload(), elected_on=w.on, actor=w.worker)
    assert election.status == ST.REFUSED
    assert any(reason in r for r in election.reasons), election.reasons
    w.act("issue_demand")
    assert w.case.debt.computation["rule"].startswith("411.37")


def _refused_election(w, message, **kw):
    before = (OptionElection.objects.filter(case=w.case).count(), CaseEvent.objects.filter(case=w.case).count())
    with pytest.raises(CaseActionError) as info:
        options.option_elect_fixed_percentage(case=w.reload(), elected_on=kw.get("on", w.on), actor=w.worker)
    assert message in info.value.message
    assert (OptionElection.objects.filter(case=w.case).count(),
            CaseEvent.objects.filter(case=w.case).count()) == before
    return info.value


def test_the_fixed_percentage_election_is_refused_after_the_demand():
    _refused_election(reach(Track.BENEFICIARY, S.DEMAND_ISSUED), "must be elected before the demand is issued")


def test_the_fixed_percentage_election_is_refused_on_the_plan_track():
    _refused_election(reach(Track.PLAN, S.CPN_ISSUED), "beneficiaries' liability cases")


def test_the_fixed_percentage_election_is_refused_without_a_settlement():
    _refused_election(reach(Track.BENEFICIARY, S.CPL_ISSUED), "Enter the settlement details first")


def test_an_election_dated_in_the_future_is_refused_naming_the_date():
    from recovery.cases.services import today

    w = settled_walk("4000.00", date(2023, 6, 1))
    error = _refused_election(w, "future", on=today() + days(1))
    assert error.field == "elected_on"


# --- the self-calculated option (SPEC §5.3) --------------------------------------------------------


ELECTED_ON = date(2023, 8, 10)
ANSWERED_ON = date(2023, 9, 1)  # the case must settle by 2023-10-31
GOOD = {"elected_on": ELECTED_ON, "injury_date": date(2023, 1, 10), "care_completed_date": date(2023, 5, 1),
        "physician_attestation": False, "expected_settlement": "20000.00", "submitted_amount": "1500.00"}


def elect_self(w, **overrides):
    return options.option_elect_self_calculated(case=w.reload(), actor=w.worker, **{**GOOD, **overrides})


@pytest.mark.parametrize(("settled_on", "uses_final"), [(date(2023, 10, 31), True), (date(2023, 11, 1), False)],
                         ids=["settled-day-60", "settled-day-61"])
def test_the_self_calculated_final_amount_stands_if_the_case_settles_within_60_days_of_the_answer(
        settled_on, uses_final):
    w = CaseWalk().run(CPL)
    election = elect_self(w)
    assert (election.status, election.reasons) == (ST.ACCEPTED, [])
    answered = options.option_answer_self_calculated(case=w.reload(), final_amount="1500.00",
                                                     answered_on=ANSWERED_ON, actor=w.worker)
    assert (answered.status, answered.final_amount) == (ST.ANSWERED, D("1500.00"))
    w.settle(settlement_date=settled_on, gross_amount=D("20000.00"), attorney_fees=D("5000.00"))
    w.act("report_settlement", on=date(2023, 11, 5))
    w.act("issue_demand", on=date(2023, 11, 6))
    computation = w.case.debt.computation
    steps = " ".join(computation["steps"])
    if uses_final:
        # §411.37(c) on the final amount: 1,500 − 5,000 × 1,500 ÷ 20,000 = 1,500 − 375 = 1,125.00.
        assert w.case.demand_amount == D("1125.00")
        assert computation["conditional_payments"] == "1500.00"
        assert "$1500.00" in steps and "holds" in steps
    else:
        # The final amount no longer holds: 2,000 − 5,000 × 2,000 ÷ 20,000 = 1,500.00.
        assert w.case.demand_amount == D("1500.00")
        assert computation["conditional_payments"] == "2000.00"
        assert "no longer holds" in steps
    assert computation["rule"] == "411.37(c)"


@pytest.mark.parametrize(("overrides", "eligible", "reason"), [
    ({"injury_date": date(2023, 3, 11)}, False, "at least 6 months before the election"),  # 5 months
    ({"injury_date": date(2023, 2, 10)}, True, None),  # exactly 6 months
    ({"expected_settlement": "25000.01"}, False, "above the $25,000.00 limit"),
    ({"expected_settlement": "25000.00"}, True, None),
    ({"care_completed_date": date(2023, 5, 13)}, False, "at least 90 days before submission"),  # 89 days
    ({"care_completed_date": date(2023, 5, 12)}, True, None),  # 90 days
    ({"care_completed_date": None}, False, "no physician attests"),
    ({"care_completed_date": None, "physician_attestation": True}, True, None),
    ({"care_completed_date": date(2023, 8, 1), "physician_attestation": True}, True, None),
], ids=["5-months", "6-months", "25000.01", "25000.00", "care-89-days", "care-90-days", "care-not-shown",
        "attestation", "attestation-recent-care"])
def test_self_calculated_eligibility_is_recorded_with_reasons(overrides, eligible, reason):
    w = CaseWalk().run(CPL)
    election = elect_self(w, **overrides)
    assert election.status == (ST.ACCEPTED if eligible else ST.REFUSED)
    if reason:
        assert any(reason in r for r in election.reasons), election.reasons
    else:
        assert election.reasons == []
    history = CaseEvent.objects.get(case=w.case, action="elect_self_calculated")
    assert history.effective_date == ELECTED_ON
    if reason:
        assert reason in history.reason


def test_a_self_calculated_election_needs_a_physical_trauma_injury():
    w = CaseWalk(injury="exposure").run(CPL)
    election = elect_self(w)
    assert election.status == ST.REFUSED
    assert any("physical trauma" in r for r in election.reasons)


def test_a_refused_self_calculated_election_cannot_be_answered_and_keeps_appeal_rights():
    w = CaseWalk().run(CPL)
    elect_self(w, expected_settlement="30000.00")
    with pytest.raises(CaseActionError, match="no accepted self-calculated election"):
        options.option_answer_self_calculated(case=w.reload(), final_amount="1000.00", answered_on=ANSWERED_ON,
                                              actor=w.worker)
    assert not options.gave_up_appeal_rights(w.case)
    w.settle(settlement_date=date(2023, 10, 1))
    w.act("report_settlement", on=date(2023, 10, 5))
    w.act("issue_demand")
    w.act("file_appeal")
    assert w.case.state == S.APPEAL_PENDING


@pytest.mark.parametrize(("overrides", "field"), [
    ({"expected_settlement": "-1.00"}, "expected_settlement"),
    ({"expected_settlement": "abc"}, "expected_settlement"),
    ({"submitted_amount": "100.005"}, "submitted_amount"),
    ({"injury_date": ELECTED_ON + days(1)}, "injury_date"),
])
def test_bad_self_calculated_input_is_refused_naming_the_field_and_records_nothing(overrides, field):
    w = CaseWalk().run(CPL)
    before = (OptionElection.objects.count(), CaseEvent.objects.filter(case=w.case).count())
    with pytest.raises(CaseActionError) as info:
        elect_self(w, **overrides)
    assert info.value.field == field
    assert (OptionElection.objects.count(), CaseEvent.objects.filter(case=w.case).count()) == before


def test_the_self_calculated_option_is_elected_before_the_case_settles():
    w = CaseWalk().run(CPL)
    w.settle(settlement_date=ELECTED_ON)
    with pytest.raises(CaseActionError) as info:
        elect_self(w)
    assert info.value.field == "elected_on"
    assert not OptionElection.objects.filter(case=w.case).exists()


def test_an_answer_cannot_precede_the_election():
    w = CaseWalk().run(CPL)
    elect_self(w)
    with pytest.raises(CaseActionError) as info:
        options.option_answer_self_calculated(case=w.reload(), final_amount="1000.00",
                                              answered_on=ELECTED_ON - days(1), actor=w.worker)
    assert info.value.field == "answered_on"
    assert OptionElection.objects.get(case=w.case).status == ST.ACCEPTED


def test_an_answer_dated_in_the_future_is_refused_naming_the_date():
    from recovery.cases.services import today

    w = CaseWalk().run(CPL)
    elect_self(w)
    with pytest.raises(CaseActionError) as info:
        options.option_answer_self_calculated(case=w.reload(), final_amount="1000.00",
                                              answered_on=today() + days(1), actor=w.worker)
    assert info.value.field == "answered_on"
    assert OptionElection.objects.get(case=w.case).status == ST.ACCEPTED


@pytest.mark.parametrize("answered", [True, False], ids=["answered", "accepted"])
def test_electing_self_calculated_gives_up_appeal_rights_but_not_a_waiver(answered):
    w = CaseWalk().run(CPL)
    elect_self(w)
    if answered:
        options.option_answer_self_calculated(case=w.reload(), final_amount="1500.00", answered_on=ANSWERED_ON,
                                              actor=w.worker)
    assert options.gave_up_appeal_rights(w.case)
    w.settle(settlement_date=date(2023, 10, 1), gross_amount=D("20000.00"), attorney_fees=D("5000.00"))
    w.act("report_settlement", on=date(2023, 10, 5))
    w.act("issue_demand")
    error = assert_refused_and_unchanged(w, "file_appeal", reason="Disagree with the amount")
    assert "gives up appeal rights" in error.message and "waiver" in error.message
    w.act("file_waiver", reason="Financial hardship")
    assert w.case.state == S.WAIVER_PENDING


# --- a CPN left unanswered (SPEC §3.1, §5.2) --------------------------------------------------------


@pytest.mark.parametrize(("gross", "fees", "unanswered", "answered"), [
    ("30000.00", "10000.00", "2000.00", "1333.33"),  # payments < settlement: §411.37(c) when answered
    ("1500.00", "500.00", "1500.00", "1000.00"),  # payments ≥ settlement: §411.37(d) when answered
], ids=["payments-below-settlement", "payments-above-settlement"])
@pytest.mark.parametrize("response", [False, True], ids=["unanswered", "answered"])
def test_a_demand_after_an_unanswered_cpn_takes_no_procurement_cost_reduction(
        gross, fees, unanswered, answered, response):
    w = Walk(Track.BENEFICIARY)  # $2,000.00 of related claims
    w.settle(gross_amount=D(gross), attorney_fees=D(fees))
    w.act("issue_cpn")
    cpn = w.case.cpn_date
    if response:
        w.act("record_response", on=cpn + days(30), reason="Fee agreement and settlement statement")
    else:
        error = assert_refused_and_unchanged(w, "issue_demand", on=cpn + days(30))
        assert "30-day response window" in error.message
    w.act("issue_demand", on=cpn + days(31))
    assert w.case.demand_without_reduction is (not response)
    assert w.case.demand_amount == D(answered if response else unanswered)
    computation = demand_letter(w).content["computation"]
    assert computation["without_reduction"] is (not response)
    if not response:
        # No reduction: the lower of the payments and the settlement.
        assert w.case.demand_amount == min(D("2000.00"), D(gross))
        assert any("went unanswered" in s for s in computation["steps"])


def test_a_dispute_filed_within_the_cpn_window_counts_as_a_response():
    w = Walk(Track.BENEFICIARY)
    w.settle()
    w.act("issue_cpn")
    w.act("open_dispute")
    w.act("decide_dispute", outcome="denied", removed_claims=[], reason="Related to the accident")
    assert w.case.state == S.CPN_ISSUED
    w.act("issue_demand")
    assert not w.case.demand_without_reduction
    assert w.case.demand_amount == D("1333.33")


# --- the demand letter and the interest rate --------------------------------------------------------


def test_the_demand_letter_holds_the_computation_and_the_debt_the_rate_in_force():
    w = reach(Track.BENEFICIARY, S.DEMAND_ISSUED)  # $2,000.00 paid, $30,000.00 settlement, $10,000.00 fees
    letter = demand_letter(w)
    computation = letter.content["computation"]
    assert letter.amount == w.case.demand_amount == D("1333.33")
    assert computation["amount"] == "1333.33"
    assert computation["rule"] == "411.37(c)"
    assert (computation["conditional_payments"], computation["settlement"], computation["procurement_costs"]) == (
        "2000.00", "30000.00", "10000.00")
    steps = " ".join(computation["steps"])
    assert "$10,000.00 × $2,000.00 ÷ $30,000.00 = $666.67" in steps
    assert "$2,000.00 − $666.67 = $1,333.33" in steps
    assert letter.content["annual_rate"] == "0.11500"
    assert (letter.content["grace_days"], letter.content["period_days"], letter.content["year_days"]) == (
        "60", "30", "360")
    debt = w.case.debt
    assert debt.computation == computation
    assert (debt.annual_rate, debt.rate_effective_from, debt.demand_date) == (
        D("0.11500"), SEEDED_RATE_FROM, w.case.demand_date)


def test_a_demand_dated_when_no_interest_rate_is_in_force_is_refused_and_changes_nothing():
    InterestRate.objects.filter(effective_from=date(2000, 1, 1)).delete()  # the conftest's test-data rate
    assert not InterestRate.objects.filter(effective_from__lt=SEEDED_RATE_FROM).exists()
    w = settled_walk("30000.00", date(2023, 4, 15), fees="10000.00", opened_on=date(2023, 5, 1))
    error = assert_refused_and_unchanged(w, "issue_demand", on=date(2023, 7, 16))
    assert "interest-rate table" in error.message and "2023-07-16" in error.message
    assert not Debt.objects.filter(case=w.case).exists()
    assert not w.case.letters.filter(kind=K.DEMAND).exists()
    w.act("issue_demand", on=SEEDED_RATE_FROM)
    assert (w.case.debt.annual_rate, w.case.debt.rate_effective_from) == (D("0.11500"), SEEDED_RATE_FROM)


def test_the_rate_is_the_one_in_force_on_the_demand_date_and_stays_fixed_for_that_debt():
    InterestRate.objects.create(effective_from=date(2024, 1, 1), annual_rate=D("0.12500"), source="test data")
    before = settled_walk("30000.00", date(2023, 6, 1), fees="10000.00")
    before.act("issue_demand", on=date(2023, 12, 31))
    after = settled_walk("30000.00", date(2023, 6, 1), fees="10000.00")
    after.act("issue_demand", on=date(2024, 1, 1))
    assert (before.case.debt.annual_rate, after.case.debt.annual_rate) == (D("0.11500"), D("0.12500"))
    assert after.case.debt.rate_effective_from == date(2024, 1, 1)
    # A supervisor adds a row that would have been in force on the first debt's demand date: that debt keeps
    # the rate it was issued with (SPEC §5.5 "stays fixed for that debt").
    InterestRate.objects.create(effective_from=date(2023, 12, 1), annual_rate=D("0.20000"), source="test data")
    for w, per_period in ((before, D("12.78")), (after, D("13.89"))):  # 1,333.33 × rate × 30 ÷ 360
        ledger.interest_assess(case=w.case, as_of=w.case.demand_date + days(61), actor_name="sweep")
        interest = LedgerEntry.objects.filter(case=w.case, kind=LedgerEntry.Kind.INTEREST)
        assert [e.amount for e in interest] == [per_period, per_period]
