"""A debt's ledger through the ORM (SPEC §5.5, §3.1 appeals/waivers, §9): interest assessed as of a date,
payments applied interest first, refunds, back-dated events reversed (never deleted), favourable
reviews reducing the principal from the demand date, and properties over random histories checked
against the pure schedule (recovery.money.rules.debt_schedule) as an independent oracle.

Cases are brought to a demand through the real services with the walker of test_tracks_beneficiary.
"""

from contextlib import contextmanager
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from recovery.money import ledger, rules as money
from recovery.cases import services
from recovery.errors import CaseActionError
from recovery.models import CaseEvent, Debt, DebtEvent, LedgerEntry, RecoveryCase
from recovery.cases.selectors import debt_balance
from recovery.cases.tracks import State as S
from recovery.cases.tracks import Track
from tests import factories
from tests.recovery.test_tracks_beneficiary import Walk

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")
CENT = D("0.01")
DEMAND = date(2024, 1, 1)  # on/after 2023-07-17: the seeded 11.50% rate is the one in force
PRINCIPAL = D("10000.00")
RATE = D("0.11500")
SEEDED_RATE_FROM = date(2023, 7, 17)
K = LedgerEntry.Kind

PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def day(n, start=DEMAND):
    return start + timedelta(days=n)


# --- helpers ------------------------------------------------------------------------------------------


def demand_walk(principal=PRINCIPAL, on=DEMAND) -> Walk:
    """A beneficiary case whose demand comes to exactly `principal`, dated `on`: one related claim of that
    amount and a settlement above it with no procurement costs (§411.37(c): Medicare's share of $0.00)."""
    w = Walk(Track.BENEFICIARY, claims=False)
    w.claims = [factories.claim(w.case, amount_paid=principal)]
    w.settle(gross_amount=principal + D("1000.00"), attorney_fees=ZERO)
    w.run(("post_occurrence", "issue_rar", "issue_cpl", "report_settlement"))
    w.act("issue_demand", on=on)
    assert w.case.state == S.DEMAND_ISSUED
    assert w.case.demand_amount == principal
    assert w.case.debt.principal == principal
    return w


def fresh(case_or_walk) -> RecoveryCase:
    case = case_or_walk.case if isinstance(case_or_walk, Walk) else case_or_walk
    return RecoveryCase.objects.get(pk=case.pk)


def assess(case, as_of):
    """interest_assess reads the case by its key only: no need to reload it first."""
    case = case.case if isinstance(case, Walk) else case
    return ledger.interest_assess(case=case, as_of=as_of, actor_name="sweep")


def pay(w, amount, on):
    entry = ledger.payment_record(case=fresh(w), amount=amount, received_on=on, actor=w.worker)
    w.reload()
    return entry


def counts(case):
    return (DebtEvent.objects.filter(debt__case=case).count(), LedgerEntry.objects.filter(case=case).count(),
            CaseEvent.objects.filter(case=case).count())


def live(case, *, full=False):
    """The schedule rows in force: not the opening principal, not reversals, not reversed."""
    entries = (LedgerEntry.objects.filter(case=case, reversed_by__isnull=True)
               .exclude(kind__in=[K.PRINCIPAL, K.REVERSAL]).order_by("id"))
    if full:
        return [(e.entry_date, e.kind, e.period, e.amount, e.base, e.principal, e.interest, e.refund_owed)
                for e in entries]
    return [(e.entry_date, e.kind, e.period, e.amount) for e in entries]


def rows_of(schedule):
    return [(r.date, r.kind, r.period, r.amount) for r in schedule.rows]


def balance(case):
    b = debt_balance(case=case)
    return b.principal, b.interest, b.refund_owed


def oracle(events, as_of, *, principal=PRINCIPAL, demand=DEMAND, rate=RATE):
    return money.debt_schedule(principal=principal, annual_rate=rate, demand_date=demand, as_of=as_of,
                               events=events)


def assert_payment_rows_add_up(case):
    """Each payment row's amount = interest part + principal part + refund part (and a reversal of a
    payment row takes exactly those parts back)."""
    for e in LedgerEntry.objects.filter(case=case, kind=K.PAYMENT):
        assert -e.interest - e.principal + e.refund_owed == e.amount, e
        assert e.interest <= 0 and e.principal <= 0 and e.refund_owed >= 0, e
    for r in LedgerEntry.objects.filter(case=case, kind=K.REVERSAL).select_related("reverses"):
        o = r.reverses
        assert (r.principal, r.interest, r.refund_owed) == (-o.principal, -o.interest, -o.refund_owed)
        assert (r.amount, r.entry_date) == (o.amount, o.entry_date)


def assert_consistent(case):
    """Balances never negative; the ledger agrees with a recompute from the events (ledger_verify)."""
    case = fresh(case)
    p, i, r = balance(case)
    assert p >= 0 and i >= 0 and r >= 0, (p, i, r)
    schedule = ledger.ledger_verify(case=case)
    assert (schedule.principal, schedule.interest, schedule.refund_owed) == (p, i, r)
    assert_payment_rows_add_up(case)
    return schedule


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back():
    """One hypothesis example in a savepoint that is always rolled back: the fixture's case is reused."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


# --- SPEC §5.5 worked example ------------------------------------------------------------------------


@pytest.fixture
def worked():
    return demand_walk()


def test_the_debt_takes_the_seeded_11_50_percent_rate_in_force_on_the_demand_date(worked):
    debt = worked.case.debt
    assert (debt.annual_rate, debt.rate_effective_from) == (RATE, SEEDED_RATE_FROM)
    assert (debt.year_days, debt.period_days, debt.grace_days) == (360, 30, 60)
    assert debt.demand_date == DEMAND
    opening = LedgerEntry.objects.get(case=worked.case)
    assert (opening.kind, opening.entry_date, opening.principal, opening.amount) == (K.PRINCIPAL, DEMAND,
                                                                                     PRINCIPAL, PRINCIPAL)


def test_spec_worked_example_nothing_on_day_60_two_periods_on_day_61_three_by_day_90(worked):
    case = worked.case
    assert assess(case, date(2024, 3, 1)) == []  # day 60: still in grace
    assert balance(case) == (PRINCIPAL, ZERO, ZERO)

    posted = assess(case, date(2024, 3, 2))  # day 61: periods 1 and 2, from the demand date
    assert [(e.kind, e.entry_date, e.period, e.amount, e.interest, e.base) for e in posted] == [
        (K.INTEREST, date(2024, 3, 2), 1, D("95.83"), D("95.83"), PRINCIPAL),
        (K.INTEREST, date(2024, 3, 2), 2, D("95.83"), D("95.83"), PRINCIPAL),
    ]
    assert balance(case) == (PRINCIPAL, D("191.66"), ZERO)

    posted = assess(case, date(2024, 3, 31))  # day 90: period 3 completes
    assert [(e.kind, e.entry_date, e.period, e.amount) for e in posted] == [
        (K.INTEREST, date(2024, 3, 31), 3, D("95.83"))]
    assert balance(case) == (PRINCIPAL, D("287.49"), ZERO)
    assert debt_balance(case=case).total == D("10287.49")
    assert_consistent(case)


def test_assessing_again_for_the_same_or_an_earlier_date_posts_nothing(worked):
    case = worked.case
    assess(case, date(2024, 3, 31))
    before = counts(case)
    assert assess(case, date(2024, 3, 31)) == []
    assert assess(case, date(2024, 3, 2)) == []
    assert assess(case, DEMAND) == []
    assert counts(case) == before
    assert balance(case) == (PRINCIPAL, D("287.49"), ZERO)
    assert fresh(case).debt.posted_through == date(2024, 3, 31)


def test_one_assessment_on_day_90_after_none_posts_what_daily_assessment_posts(worked):
    daily = demand_walk()
    for n in range(0, 91):
        assess(daily.case, day(n))
    assess(worked.case, date(2024, 3, 31))
    assert live(worked.case, full=True) == live(daily.case, full=True)
    assert len(live(worked.case)) == 3
    assert balance(worked.case) == balance(daily.case) == (PRINCIPAL, D("287.49"), ZERO)
    assert not LedgerEntry.objects.filter(case__in=[worked.case, daily.case], kind=K.REVERSAL).exists()


def test_interest_rows_are_dated_when_each_period_completes_and_explain_the_arithmetic(worked):
    assess(worked.case, day(150))
    rows = list(LedgerEntry.objects.filter(case=worked.case, kind=K.INTEREST).order_by("id"))
    assert [(e.period, e.entry_date) for e in rows] == [
        (1, day(61)), (2, day(61)), (3, day(90)), (4, day(120)), (5, day(150))]
    assert "$10,000.00 × 11.50% × 30 ÷ 360 = $95.83" in rows[0].note


# --- payments --------------------------------------------------------------------------------------


def test_a_payment_dated_day_61_first_pays_the_interest_of_periods_1_and_2(worked):
    pay(worked, "1000.00", day(61))
    rows = live(worked.case, full=True)
    assert rows == [
        (day(61), K.INTEREST, 1, D("95.83"), PRINCIPAL, ZERO, D("95.83"), ZERO),
        (day(61), K.INTEREST, 2, D("95.83"), PRINCIPAL, ZERO, D("95.83"), ZERO),
        (day(61), K.PAYMENT, None, D("1000.00"), None, D("-808.34"), D("-191.66"), ZERO),
    ]
    assert balance(worked.case) == (D("9191.66"), ZERO, ZERO)
    assert worked.case.state == S.DEMAND_ISSUED
    # Interest keeps accruing on the principal still unpaid: 9,191.66 × 11.5% × 30/360 = 88.0867 → 88.09.
    assert [(e.period, e.amount, e.base) for e in assess(worked.case, day(90))] == [(3, D("88.09"), D("9191.66"))]
    assert_consistent(worked.case)


def test_a_payment_dated_day_60_that_leaves_principal_unpaid_still_lets_interest_run_from_the_demand(worked):
    pay(worked, "4000.00", day(60))
    assess(worked.case, day(61))
    # Period 1 on the principal unpaid at the end of day 30 (10,000), period 2 at the end of day 60 (6,000).
    assert live(worked.case)[1:] == [(day(61), K.INTEREST, 1, D("95.83")), (day(61), K.INTEREST, 2, D("57.50"))]
    assert_consistent(worked.case)


def test_paid_in_full_on_day_60_no_interest_is_ever_assessed_and_the_case_closes_paid(worked):
    pay(worked, "10000.00", date(2024, 3, 1))
    assert worked.case.state == S.CLOSED_PAID
    assert worked.case.closed_date == date(2024, 3, 1)
    assess(worked.case, date(2024, 12, 31))
    assert not LedgerEntry.objects.filter(case=worked.case, kind=K.INTEREST).exists()
    assert balance(worked.case) == (ZERO, ZERO, ZERO)
    assert_consistent(worked.case)


def test_paying_the_principal_on_day_61_leaves_the_interest_owed_and_the_case_open(worked):
    pay(worked, "10000.00", day(61))
    assert balance(worked.case) == (D("191.66"), ZERO, ZERO)  # interest first, then principal
    assert worked.case.state == S.DEMAND_ISSUED
    pay(worked, "191.66", day(62))
    assert worked.case.state == S.CLOSED_PAID
    assert balance(worked.case) == (ZERO, ZERO, ZERO)
    assert_consistent(worked.case)


def test_an_overpayment_is_owed_back_and_refund_record_pays_it_out(worked):
    pay(worked, "10500.00", day(10))
    assert balance(worked.case) == (ZERO, ZERO, D("500.00"))
    assert worked.case.state == S.CLOSED_PAID
    payment = LedgerEntry.objects.get(case=worked.case, kind=K.PAYMENT)
    assert (payment.principal, payment.interest, payment.refund_owed) == (-PRINCIPAL, ZERO, D("500.00"))

    with pytest.raises(CaseActionError) as info:
        ledger.refund_record(case=fresh(worked), amount="500.01", paid_on=day(20), actor=worked.worker)
    assert info.value.field == "amount" and "$500.00" in info.value.message

    event = ledger.refund_record(case=fresh(worked), amount="200.00", paid_on=day(20), actor=worked.worker)
    assert (event.kind, event.amount, event.event_date) == (DebtEvent.Kind.REFUND, D("200.00"), day(20))
    ledger.refund_record(case=fresh(worked), amount="300.00", paid_on=day(21), actor=worked.worker)
    refunds = LedgerEntry.objects.filter(case=worked.case, kind=K.REFUND).order_by("id")
    assert [(e.entry_date, e.amount, e.refund_owed) for e in refunds] == [
        (day(20), D("200.00"), D("-200.00")), (day(21), D("300.00"), D("-300.00"))]
    assert balance(worked.case) == (ZERO, ZERO, ZERO)
    assert_consistent(worked.case)


def test_a_back_dated_payment_reverses_the_posted_interest_and_reposts_nothing_is_deleted(worked):
    case = worked.case
    assess(case, day(100))  # periods 1-3 on 10,000.00 posted
    original = list(LedgerEntry.objects.filter(case=case).order_by("id").values_list(
        "id", "kind", "entry_date", "amount", "principal", "interest", "refund_owed"))
    assert balance(case) == (PRINCIPAL, D("287.49"), ZERO)

    pay(worked, "5000.00", day(45))  # received on day 45, recorded on day 100

    still = list(LedgerEntry.objects.filter(pk__in=[o[0] for o in original]).order_by("id").values_list(
        "id", "kind", "entry_date", "amount", "principal", "interest", "refund_owed"))
    assert still == original  # nothing deleted or edited
    reversals = LedgerEntry.objects.filter(case=case, kind=K.REVERSAL)
    assert reversals.count() == 3
    assert {r.reverses_id for r in reversals} == {o[0] for o in original if o[1] == K.INTEREST}
    assert live(case) == [
        (day(45), K.PAYMENT, None, D("5000.00")),
        (day(61), K.INTEREST, 1, D("95.83")),  # end of day 30: 10,000.00 unpaid
        (day(61), K.INTEREST, 2, D("47.92")),  # end of day 60: 5,000.00 unpaid
        (day(90), K.INTEREST, 3, D("47.92")),
    ]
    expected = oracle([money.Payment(day(45), D("5000.00"))], day(100))
    assert balance(case) == (expected.principal, expected.interest, expected.refund_owed) == (
        D("5000.00"), D("191.67"), ZERO)
    assert live(case) == rows_of(expected)
    assert_consistent(case)


def test_a_back_dated_payment_in_full_within_grace_cancels_all_posted_interest_and_closes(worked):
    assess(worked.case, day(95))
    pay(worked, "10000.00", day(30))
    assert balance(worked.case) == (ZERO, ZERO, ZERO)
    assert worked.case.state == S.CLOSED_PAID
    assert live(worked.case) == [(day(30), K.PAYMENT, None, PRINCIPAL)]
    assert LedgerEntry.objects.filter(case=worked.case, kind=K.REVERSAL).count() == 3
    assert_consistent(worked.case)


# --- favourable review (appeal, waiver) -----------------------------------------------------------


REVIEWS = [("file_appeal", "decide_appeal", S.APPEAL_PENDING), ("file_waiver", "decide_waiver", S.WAIVER_PENDING)]


@pytest.mark.parametrize(("file", "decide", "pending"), REVIEWS, ids=["appeal", "waiver"])
def test_a_favourable_review_reduces_the_principal_from_the_demand_date_and_recomputes_interest(
        worked, file, decide, pending):
    worked.act(file, on=day(5))
    assert worked.case.state == pending
    assess(worked.case, day(95))  # appeals and waivers do not stop accrual
    assert balance(worked.case) == (PRINCIPAL, D("287.49"), ZERO)

    worked.act(decide, on=day(95), favourable=True, reduced_to="6000.00", reason="Claims found unrelated")
    case = worked.case
    assert case.state == S.DEMAND_ISSUED  # back to its clock
    adjustment = DebtEvent.objects.get(debt__case=case, kind=DebtEvent.Kind.ADJUSTMENT)
    assert (adjustment.event_date, adjustment.amount) == (DEMAND, D("4000.00"))
    assert live(case) == [
        (DEMAND, K.ADJUSTMENT, None, D("4000.00")),
        (day(61), K.INTEREST, 1, D("57.50")),  # 6,000.00 × 11.5% × 30/360
        (day(61), K.INTEREST, 2, D("57.50")),
        (day(90), K.INTEREST, 3, D("57.50")),
    ]
    assert LedgerEntry.objects.filter(case=case, kind=K.REVERSAL).count() == 3
    assert balance(case) == (D("6000.00"), D("172.50"), ZERO)
    assert_consistent(case)


@pytest.mark.parametrize(("file", "decide", "pending"), REVIEWS, ids=["appeal", "waiver"])
def test_paid_in_full_under_review_then_a_favourable_decision_closes_paid_with_a_refund_owed(
        worked, file, decide, pending):
    worked.act(file, on=day(5))
    pay(worked, "10000.00", day(20))
    assert worked.case.state == pending  # paid while under review: the decision closes it
    worked.act(decide, on=day(30), favourable=True, reduced_to="6000.00", reason="Partly unrelated")
    assert worked.case.state == S.CLOSED_PAID
    assert balance(worked.case) == (ZERO, ZERO, D("4000.00"))
    assert_consistent(worked.case)
    ledger.refund_record(case=fresh(worked), amount="4000.00", paid_on=day(40), actor=worked.worker)
    assert balance(worked.case) == (ZERO, ZERO, ZERO)
    assert_consistent(worked.case)


def test_a_favourable_appeal_after_a_partial_payment_and_interest_leaves_the_overpayment_owed_back(worked):
    worked.act("file_appeal", on=day(5))
    pay(worked, "7000.00", day(70))  # pays the 191.66 interest of periods 1-2, then 6,808.34 principal
    assess(worked.case, day(100))
    worked.act("decide_appeal", on=day(100), favourable=True, reduced_to="5000.00", reason="Reduced")
    # From the demand date the debt was 5,000.00: period 1 and 2 on 5,000.00 (47.92 each) were due on day 61;
    # the 7,000.00 paid on day 70 covers 95.84 interest and 5,000.00 principal: 1,904.16 is owed back.
    assert balance(worked.case) == (ZERO, ZERO, D("1904.16"))
    assert worked.case.state == S.CLOSED_PAID
    expected = oracle([money.PrincipalAdjustment(DEMAND, D("5000.00")), money.Payment(day(70), D("7000.00"))],
                      day(100))
    assert (expected.principal, expected.interest, expected.refund_owed) == balance(worked.case)
    assert_consistent(worked.case)


@pytest.mark.parametrize(("file", "decide", "pending"), REVIEWS, ids=["appeal", "waiver"])
def test_a_debt_cancelled_with_nothing_paid_closes_with_no_recovery_and_its_interest_is_reversed(
        worked, file, decide, pending):
    worked.act(file, on=day(5))
    assess(worked.case, day(70))
    assert balance(worked.case)[1] == D("191.66")
    worked.act(decide, on=day(70), favourable=True, reduced_to="0.00", reason="No MSP occurrence")
    assert worked.case.state == S.CLOSED_NO_RECOVERY
    assert worked.case.closed_date == day(70)
    assert balance(worked.case) == (ZERO, ZERO, ZERO)
    assert live(worked.case) == [(DEMAND, K.ADJUSTMENT, None, PRINCIPAL)]
    assert_consistent(worked.case)


def test_a_debt_cancelled_after_a_payment_closes_paid_and_the_payment_is_owed_back(worked):
    worked.act("file_appeal", on=day(5))
    pay(worked, "1000.00", day(10))
    worked.act("decide_appeal", on=day(20), favourable=True, reduced_to="0.00", reason="No MSP occurrence")
    assert worked.case.state == S.CLOSED_PAID
    assert balance(worked.case) == (ZERO, ZERO, D("1000.00"))
    assert_consistent(worked.case)


def test_an_unfavourable_decision_leaves_the_debt_as_it_was(worked):
    worked.act("file_appeal", on=day(5))
    assess(worked.case, day(70))
    before = counts(worked.case)
    worked.act("decide_appeal", on=day(70), favourable=False, reason="Denied")
    assert worked.case.state == S.DEMAND_ISSUED
    assert counts(worked.case)[:2] == before[:2]
    assert balance(worked.case) == (PRINCIPAL, D("191.66"), ZERO)


def test_a_second_favourable_decision_sets_the_debt_to_its_own_reduced_amount(worked):
    worked.act("file_appeal", on=day(5))
    worked.act("decide_appeal", on=day(10), favourable=True, reduced_to="6000.00", reason="Partly unrelated")
    assert balance(worked.case) == (D("6000.00"), ZERO, ZERO)
    worked.act("file_waiver", on=day(15))
    worked.act("decide_waiver", on=day(20), favourable=True, reduced_to="5000.00", reason="Hardship")
    # "reduced_to": the debt was 5,000.00 all along — not 6,000.00 − (10,000.00 − 5,000.00).
    assert balance(worked.case) == (D("5000.00"), ZERO, ZERO)
    assert_consistent(worked.case)


def test_a_later_favourable_decision_cannot_raise_the_debt_back_up(worked):
    worked.act("file_appeal", on=day(5))
    worked.act("decide_appeal", on=day(10), favourable=True, reduced_to="6000.00", reason="Partly unrelated")
    worked.act("file_waiver", on=day(15))
    before = counts(worked.case)
    with pytest.raises(CaseActionError) as info:
        services.case_act(case=worked.reload(), action="decide_waiver", actor=worked.worker, on=day(20),
                          reason="Favourable", favourable=True, reduced_to="7000.00")
    assert info.value.field == "reduced_to"
    assert counts(worked.case) == before
    assert balance(worked.case) == (D("6000.00"), ZERO, ZERO)


def test_cancelling_a_debt_already_reduced_owes_no_refund_when_nothing_was_paid(worked):
    worked.act("file_appeal", on=day(5))
    worked.act("decide_appeal", on=day(10), favourable=True, reduced_to="6000.00", reason="Partly unrelated")
    worked.act("file_waiver", on=day(15))
    worked.act("decide_waiver", on=day(20), favourable=True, reduced_to="0.00", reason="No MSP occurrence")
    assert worked.case.state == S.CLOSED_NO_RECOVERY
    assert balance(worked.case) == (ZERO, ZERO, ZERO)


@pytest.mark.parametrize("reduced_to", ["10000.00", "10000.01", "-1.00", "5000.005", "abc", None])
def test_a_favourable_decision_needs_a_reduced_amount_below_the_principal_and_changes_nothing_otherwise(
        worked, reduced_to):
    worked.act("file_appeal", on=day(5))
    before = (counts(worked.case), fresh(worked).state)
    with pytest.raises(CaseActionError) as info:
        services.case_act(case=worked.case, action="decide_appeal", actor=worked.worker, on=day(10),
                          reason="Favourable", favourable=True, reduced_to=reduced_to)
    assert info.value.field == "reduced_to"
    assert (counts(worked.case), fresh(worked).state) == before


# --- bad input (SPEC §9) ---------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "received_on", "field"), [
    ("-1.00", day(10), "amount"),
    (D("-0.01"), day(10), "amount"),
    ("0", day(10), "amount"),
    ("0.00", day(10), "amount"),
    ("100.005", day(10), "amount"),
    (D("0.001"), day(10), "amount"),
    ("abc", day(10), "amount"),
    ("", day(10), "amount"),
    (None, day(10), "amount"),
    ("NaN", day(10), "amount"),
    ("Infinity", day(10), "amount"),
    ("1,00.00", day(10), "amount"),  # commas must group by three (recovery.parsing)
    ("100.00", day(-1), "received_on"),
    ("100.00", "tomorrow", "received_on"),
], ids=["negative", "negative-cent", "zero", "zero-cents", "sub-cent", "sub-cent-decimal", "words", "empty",
        "none", "nan", "infinity", "thousands-separator", "before-the-demand", "in-the-future"])
def test_a_bad_payment_is_refused_naming_the_field_and_writes_nothing(worked, amount, received_on, field):
    assess(worked.case, day(70))
    if received_on == "tomorrow":
        received_on = services.today() + timedelta(days=1)
    before = (counts(worked.case), balance(worked.case), fresh(worked).state, fresh(worked).debt.posted_through)
    with pytest.raises(CaseActionError) as info:
        ledger.payment_record(case=fresh(worked), amount=amount, received_on=received_on, actor=worked.worker)
    assert info.value.field == field, info.value.message
    assert info.value.message
    after = (counts(worked.case), balance(worked.case), fresh(worked).state, fresh(worked).debt.posted_through)
    assert after == before


def test_a_payment_before_any_demand_or_after_the_case_closed_is_refused(worked):
    w = Walk(Track.BENEFICIARY)
    with pytest.raises(CaseActionError) as info:
        ledger.payment_record(case=w.case, amount="10.00", received_on=date(2024, 1, 1), actor=w.worker)
    assert "demand" in info.value.message
    pay(worked, "10000.00", day(10))
    before = counts(worked.case)
    with pytest.raises(CaseActionError) as info:
        ledger.payment_record(case=fresh(worked), amount="10.00", received_on=day(11), actor=worked.worker)
    assert "closed as paid" in info.value.message
    assert counts(worked.case) == before


@pytest.mark.parametrize(("amount", "paid_on", "field"), [
    ("0.00", day(20), "amount"),
    ("-5.00", day(20), "amount"),
    ("10.005", day(20), "amount"),
    ("x", day(20), "amount"),
    ("500.01", day(20), "amount"),
    ("100.00", day(-1), "paid_on"),
], ids=["zero", "negative", "sub-cent", "words", "more-than-owed", "before-the-demand"])
def test_a_bad_refund_is_refused_naming_the_field_and_writes_nothing(worked, amount, paid_on, field):
    pay(worked, "10500.00", day(10))
    before = (counts(worked.case), balance(worked.case))
    with pytest.raises(CaseActionError) as info:
        ledger.refund_record(case=fresh(worked), amount=amount, paid_on=paid_on, actor=worked.worker)
    assert info.value.field == field, info.value.message
    assert (counts(worked.case), balance(worked.case)) == before


def test_a_refund_dated_before_the_overpayment_it_returns_is_refused_naming_the_date(worked):
    pay(worked, "10500.00", day(10))
    before = (counts(worked.case), balance(worked.case))
    with pytest.raises(CaseActionError) as info:
        ledger.refund_record(case=fresh(worked), amount="500.00", paid_on=day(5), actor=worked.worker)
    assert info.value.field == "paid_on"
    assert (counts(worked.case), balance(worked.case)) == before


def test_a_refund_dated_in_the_future_is_refused_naming_the_date(worked):
    pay(worked, "10500.00", day(10))
    before = (counts(worked.case), balance(worked.case), fresh(worked).debt.posted_through)
    with pytest.raises(CaseActionError) as info:
        ledger.refund_record(case=fresh(worked), amount="500.00", paid_on=services.today() + timedelta(days=1),
                             actor=worked.worker)
    assert info.value.field == "paid_on"
    assert (counts(worked.case), balance(worked.case), fresh(worked).debt.posted_through) == before


def test_a_payment_too_large_for_the_ledger_columns_is_refused_naming_the_amount(worked):
    before = counts(worked.case)
    with pytest.raises(CaseActionError) as info:
        ledger.payment_record(case=fresh(worked), amount="1000000000000.00", received_on=day(10),
                              actor=worked.worker)
    assert info.value.field == "amount"
    assert counts(worked.case) == before
    pay(worked, "999999999999.99", day(10))  # the most the columns hold is accepted, to the cent
    assert balance(worked.case) == (ZERO, ZERO, D("999999989999.99"))
    assert_consistent(worked.case)


def test_interest_assess_on_a_case_with_no_demand_is_refused():
    w = Walk(Track.BENEFICIARY)
    with pytest.raises(CaseActionError, match="no debt"):
        ledger.interest_assess(case=w.case, as_of=date(2024, 1, 1), actor_name="sweep")


# --- properties over random histories --------------------------------------------------------------


DAYS = st.integers(min_value=0, max_value=400)
AMOUNTS = st.one_of(
    st.decimals(min_value=D("0.01"), max_value=D("12000.00"), places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([CENT, D("95.83"), D("191.66"), D("5000.00"), PRINCIPAL, D("10191.66"), D("10287.49")]),
    st.just("balance"),
)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("assess"), DAYS),
        st.tuples(st.just("pay"), DAYS, AMOUNTS),
        st.tuples(st.just("refund"), DAYS, st.integers(min_value=1, max_value=100)),
    ),
    min_size=1, max_size=7,
)


@PROPERTY_SETTINGS
@given(ops=OPS)
def test_random_histories_keep_the_ledger_equal_to_a_recompute_and_no_balance_negative(worked, ops):
    pk = worked.case.pk
    with rolled_back():
        events = []  # what the test recorded, in order: the oracle replays them with the pure schedule
        posted_through = DEMAND
        for op in ops:
            case = RecoveryCase.objects.get(pk=pk)
            before = counts(case)
            if op[0] == "assess":
                as_of = day(op[1])
                assess(case, as_of)
                once = counts(case)
                assert assess(case, as_of) == []  # twice = once
                assert counts(case) == once
            elif op[0] == "pay":
                _, n, amount = op
                as_of = day(n)
                if amount == "balance":
                    amount = max(debt_balance(case=case).total, CENT)
                if case.state == S.CLOSED_PAID:
                    with pytest.raises(CaseActionError):
                        ledger.payment_record(case=case, amount=amount, received_on=as_of, actor=worked.worker)
                    assert counts(case) == before
                    continue
                if as_of < posted_through:
                    event("back-dated payment")
                ledger.payment_record(case=case, amount=amount, received_on=as_of, actor=worked.worker)
                events.append(money.Payment(as_of, amount))
            else:
                _, n, percent = op
                owed = debt_balance(case=case).refund_owed
                if owed == ZERO:
                    continue
                amount = max(CENT, (owed * percent / 100).quantize(CENT, rounding=ROUND_DOWN))
                as_of = day(n)
                try:  # the oracle says whether that much was owed back on that date
                    oracle(events + [money.RefundPaid(as_of, amount)], max(posted_through, as_of))
                except money.MoneyInputError:
                    with pytest.raises(CaseActionError) as info:  # e.g. dated before the overpayment
                        ledger.refund_record(case=case, amount=amount, paid_on=as_of, actor=worked.worker)
                    assert info.value.field == "paid_on"
                    assert counts(case) == before
                    event("refund dated before it was owed: refused")
                    continue
                ledger.refund_record(case=case, amount=amount, paid_on=as_of, actor=worked.worker)
                events.append(money.RefundPaid(as_of, amount))
                event("refund paid")
            posted_through = max(posted_through, as_of)

            case = RecoveryCase.objects.get(pk=pk)
            assert case.debt.posted_through == posted_through
            schedule = assert_consistent(case)
            expected = oracle(events, posted_through)
            assert balance(case) == (expected.principal, expected.interest, expected.refund_owed)
            assert live(case) == rows_of(expected) == rows_of(schedule)
            total = debt_balance(case=case).total
            assert case.state == (S.CLOSED_PAID if total == ZERO else S.DEMAND_ISSUED)
            assert counts(case)[1] >= before[1]  # append-only


@st.composite
def dated_payments(draw):
    final = draw(st.integers(min_value=58, max_value=92))
    payments = draw(st.lists(
        st.tuples(st.integers(min_value=0, max_value=final),
                  st.one_of(st.decimals(min_value=CENT, max_value=D("6000.00"), places=2),
                            st.sampled_from([D("191.66"), D("5000.00"), PRINCIPAL]))),
        max_size=4))
    return final, sorted(payments, key=lambda p: p[0]), draw(st.booleans())


@pytest.fixture
def two_debts():
    return demand_walk(), demand_walk()


@settings(PROPERTY_SETTINGS, max_examples=5)
@given(history=dated_payments())
@example(history=(92, [(61, D("1000.00")), (90, D("5000.00"))], True))  # the daily case reverses period 3
@example(history=(70, [(30, D("4000.00")), (60, D("6000.00"))], False))  # paid off on day 60: no interest
def test_assessing_once_late_posts_what_assessing_daily_posts(two_debts, history):
    final, payments, assess_before_paying = history
    late, daily = two_debts
    with rolled_back():
        for n, amount in payments:
            if fresh(late).state != S.CLOSED_PAID:
                pay(late, amount, day(n))
        assess(late.case, day(final))

        by_day = {}
        for n, amount in payments:
            by_day.setdefault(n, []).append(amount)
        for n in range(final + 1):
            if assess_before_paying:
                assess(daily.case, day(n))
            for amount in by_day.get(n, ()):
                if fresh(daily).state != S.CLOSED_PAID:
                    pay(daily, amount, day(n))
            if not assess_before_paying:
                assess(daily.case, day(n))

        assert live(late.case, full=True) == live(daily.case, full=True)
        assert balance(late.case) == balance(daily.case)
        assert fresh(late).state == fresh(daily).state
        assert_consistent(late.case)
        assert_consistent(daily.case)


@pytest.fixture
def three_debts():
    return [demand_walk(), demand_walk(D("1234.56"), date(2024, 1, 15)), demand_walk(D("50.00"), date(2024, 2, 1))]


@settings(PROPERTY_SETTINGS, max_examples=20)
@given(
    payments=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 300),
                                st.decimals(min_value=CENT, max_value=D("4000.00"), places=2)), max_size=6),
    as_of_days=st.lists(st.integers(0, 400), min_size=1, max_size=3),
)
def test_balances_as_of_many_debts_agrees_with_each_debt_s_schedule(three_debts, payments, as_of_days):
    with rolled_back():
        for which, n, amount in payments:
            w = three_debts[which]
            case = fresh(w)
            if case.state != S.CLOSED_PAID:
                ledger.payment_record(case=case, amount=amount, received_on=day(n, case.demand_date),
                                      actor=w.worker)
        debts = list(Debt.objects.filter(case__in=[w.case for w in three_debts]))
        for n in as_of_days:
            as_of = day(n)
            got = ledger.balances_as_of(debts=debts, as_of=as_of)
            assert set(got) == {w.case.pk for w in three_debts}
            for debt in debts:
                if as_of < debt.demand_date:
                    continue
                want = ledger.schedule_for(debt, as_of=as_of)
                have = got[debt.case_id]
                assert (have.principal, have.interest, have.refund_owed) == (
                    want.principal, want.interest, want.refund_owed)
                assert rows_of(have) == rows_of(want)
        for debt in debts:  # as of the day the ledger is posted through, it is the ledger's balance
            have = ledger.balances_as_of(debts=[debt], as_of=debt.posted_through)[debt.case_id]
            assert (have.principal, have.interest, have.refund_owed) == balance(debt.case)
            assert_consistent(debt.case)


def test_balances_as_of_reads_the_events_of_all_debts_in_one_query(three_debts, django_assert_num_queries):
    for w in three_debts:
        pay(w, "10.00", day(3, w.case.demand_date))
    debts = list(Debt.objects.filter(case__in=[w.case for w in three_debts]))
    with django_assert_num_queries(1):
        got = ledger.balances_as_of(debts=debts, as_of=date(2024, 6, 30))
    # Interest due through the as-of date counts even though nothing was assessed after the payments.
    want = oracle([money.Payment(day(3), D("10.00"))], date(2024, 6, 30))
    assert (got[three_debts[0].case.pk].principal, got[three_debts[0].case.pk].interest) == (
        want.principal, want.interest) == (D("9990.00"), D("574.44"))  # day 181: six periods of 95.74
