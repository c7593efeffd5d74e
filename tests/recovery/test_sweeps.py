"""The deadline sweeps (SPEC §3 "How a clock counts", §4 scheduled jobs, §5.5 interest): every clock at
the edge of its window (day N: nothing; day N+1 or the letter's day: the step), per track, through
`sweeps.sweep(as_of=...)`; a late sweep equals daily sweeps; a second sweep changes nothing; the
run_deadlines command and the Celery tasks do the same work.

Cases are built in 2023-2024 through the real services with the walker of test_tracks_beneficiary
(steps and sweeps cannot be dated in the future) and swept with as-of dates in the past.
"""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from recovery.money import ledger
from recovery.letters import outbox
from recovery.cases import services
from recovery.clocks import sweeps, tasks
from recovery.errors import CaseActionError
from recovery.models import CaseEvent, Debt, LedgerEntry, Letter, LetterDelivery, RecoveryCase
from recovery.cases.selectors import debt_balance
from recovery.cases.tracks import State as S
from recovery.cases.tracks import Track
from tests import factories
from tests.recovery.test_tracks_beneficiary import OPENED_ON, Walk

pytestmark = pytest.mark.django_db

K = Letter.Kind
D = Decimal
B, P, G = Track.BENEFICIARY, Track.PLAN, Track.GHP
NOTICE = {B: "issue_cpn", P: "issue_cpn", G: "issue_payment_notice"}
NOTICE_WINDOW = {B: 30, P: 30, G: 45}  # the response window: demand on day N+1
FIRST_DEBT_STEP = {B: ("issue_itr", 90), P: ("issue_referral_notice", 61), G: ("issue_itr", 120)}
NOTICE_ON = date(2023, 9, 1)
DEMAND_ON = date(2023, 10, 2)


STUB_PDF = b"%PDF-1.4\n% stub: test_outbox.py renders and checks the real letters\n%%EOF\n"


@pytest.fixture(autouse=True)
def _print_queue(tmp_path, settings, monkeypatch):
    """Sweeps run through the tasks relay letters eagerly (Celery is eager in tests): keep printed letters in
    the test's folder, and skip the (slow) PDF rendering, which test_outbox.py covers."""
    settings.PRINT_QUEUE_DIR = str(tmp_path / "print-queue")
    monkeypatch.setattr(outbox, "render_letter_pdf", lambda letter: STUB_PDF)


def days(n):
    return timedelta(days=n)


# --- building cases -------------------------------------------------------------------------------------


def at_notice(track, on=NOTICE_ON) -> Walk:
    """A case whose CPN (payment notice on the GHP track) is dated `on` and unanswered."""
    w = Walk(track)
    if track == B:
        w.settle()  # a CPN on the beneficiary track follows a settlement (reported → cpn_issued)
    w.act(NOTICE[track], on=on)
    return w


def at_demand(track, on=DEMAND_ON) -> Walk:
    """A case whose demand is dated `on` (issued by hand once its notice window has run out)."""
    w = at_notice(track, on - days(NOTICE_WINDOW[track] + 1))
    w.act("issue_demand", on=on)
    assert w.case.demand_date == on
    return w


def at_first_debt_step(track, demand_on=DEMAND_ON) -> Walk:
    """Beneficiary/GHP: the ITR issued on its day; plan: the referral notice issued on day 61."""
    w = at_demand(track, demand_on)
    action, n = FIRST_DEBT_STEP[track]
    w.act(action, on=demand_on + days(n))
    return w


def demand_of(principal, on) -> Walk:
    """A beneficiary case whose demand comes to exactly `principal`, dated `on`: one related claim of that
    amount and a settlement above it with no procurement costs (§411.37(c): Medicare's share $0.00)."""
    w = Walk(B, claims=False)
    w.claims = [factories.claim(w.case, amount_paid=principal)]
    w.settle(gross_amount=principal + D("1000.00"), attorney_fees=D("0.00"))
    w.run(("post_occurrence", "issue_rar", "issue_cpl", "report_settlement"))
    w.act("issue_demand", on=on)
    assert w.case.demand_amount == principal
    return w


def fresh(w_or_case) -> RecoveryCase:
    case = w_or_case.case if isinstance(w_or_case, Walk) else w_or_case
    return RecoveryCase.objects.get(pk=case.pk)


# --- reading ----------------------------------------------------------------------------------------------


def counts():
    return {
        "events": CaseEvent.objects.count(),
        "letters": Letter.objects.count(),
        "deliveries": LetterDelivery.objects.count(),
        "ledger": LedgerEntry.objects.count(),
    }


DATE_FIELDS = ("state", "cpn_date", "payment_notice_date", "response_date", "demand_date", "demand_amount",
               "demand_without_reduction", "itr_date", "referral_notice_date", "referral_date", "closed_date",
               "next_due_date", "return_state", "hold_return_state")


def snapshot(case_id, *, letter_amounts=False):
    """What a sweep decides for one case, comparable between two cases built alike."""
    row = RecoveryCase.objects.filter(pk=case_id).values(*DATE_FIELDS).get()
    events = [(*row, "job" if actor == services.SYSTEM_USERNAME else "person") for *row, actor in
              CaseEvent.objects.filter(case_id=case_id).order_by("id")
              .values_list("action", "from_state", "to_state", "effective_date", "actor_name")]
    letter_cols = ("kind", "letter_date", "amount") if letter_amounts else ("kind", "letter_date")
    letters = list(Letter.objects.filter(case_id=case_id).order_by("id").values_list(*letter_cols))
    rows = list(LedgerEntry.objects.filter(case_id=case_id).order_by("id")
                .values_list("kind", "entry_date", "amount", "period"))
    # (posted_through is bookkeeping: a daily job only visits a case on the days something is due)
    debt = Debt.objects.filter(case_id=case_id).values("next_assessment_date").first()
    return {"case": row, "events": events, "letters": letters, "ledger": rows, "debt": debt}


def interest_total(case):
    return debt_balance(case=case).interest


def sweep(as_of, **kw):
    return sweeps.sweep(as_of=as_of, **kw)


def assert_no_step(w, as_of):
    """A sweep as of `as_of` takes no step on the case (interest may be assessed: that is not a step)."""
    before = fresh(w)
    events, letters = before.events.count(), before.letters.count()
    results = sweep(as_of)
    after = fresh(w)
    assert after.state == before.state
    assert (after.events.count(), after.letters.count()) == (events, letters)
    assert all(not r.steps for r in results if r.case_id == w.case.pk)
    return after


def assert_step(w, as_of, action, on, state, letter_kind):
    """A sweep as of `as_of` takes `action` dated `on` (the rule's day), as the system user, with its letter."""
    results = sweep(as_of)
    case = fresh(w)
    assert case.state == state
    [mine] = [r for r in results if r.case_id == case.pk]
    assert (action, on) in mine.steps
    event = case.events.filter(action=action).get()
    assert (event.effective_date, event.actor_name) == (on, services.SYSTEM_USERNAME)
    letter = case.letters.filter(kind=letter_kind).get()
    assert letter.letter_date == on
    assert letter.content["dated_by"] == sweeps.RULE
    assert letter.event_id == event.pk
    assert letter.deliveries.count() == len(letter.recipients) >= 1
    return case, letter


# --- beneficiary track (SPEC §3.1) ------------------------------------------------------------------------


def test_beneficiary_an_unanswered_cpn_brings_the_demand_on_day_31_with_no_reduction():
    w = at_notice(B)
    c = w.case.cpn_date
    assert_no_step(w, c + days(30))  # day 30: the last day to respond
    case, letter = assert_step(w, c + days(31), "issue_demand", c + days(31), S.DEMAND_ISSUED, K.DEMAND)
    assert case.demand_date == c + days(31)
    assert case.demand_without_reduction
    assert case.demand_amount == D("2000.00")  # $1,200 + $800: no share of the $10,000 fees taken off
    assert letter.amount == D("2000.00")
    assert letter.content["computation"]["without_reduction"] is True
    assert case.debt.demand_date == c + days(31)


def test_beneficiary_a_response_recorded_in_time_stops_the_automatic_demand():
    w = at_notice(B)
    c = w.case.cpn_date
    w.act("record_response", on=c + days(30), reason="Fee agreement and settlement statement received")
    assert fresh(w).next_due_date is None
    assert_no_step(w, c + days(31))
    case = assert_no_step(w, c + days(400))
    assert case.state == S.CPN_ISSUED and case.demand_date is None
    assert not case.letters.filter(kind=K.DEMAND).exists()
    assert w.case.pk not in sweeps.due_case_ids(as_of=c + days(400))


def test_beneficiary_the_itr_goes_out_on_day_90_after_the_demand():
    w = at_demand(B)
    d = w.case.demand_date
    assert_no_step(w, d + days(89))
    case, letter = assert_step(w, d + days(90), "issue_itr", d + days(90), S.INTENT_TO_REFER_ISSUED, K.ITR)
    assert case.itr_date == d + days(90)
    assert letter.content["referral_date"] == (d + days(151)).isoformat()
    assert letter.amount == debt_balance(case=case).total  # balance with interest (SPEC §6)


def test_beneficiary_treasury_referral_on_the_61st_day_after_the_itr():
    w = at_first_debt_step(B)
    i = w.case.itr_date
    assert_no_step(w, i + days(60))
    case, _ = assert_step(w, i + days(61), "refer_to_treasury", i + days(61), S.REFERRED_TO_TREASURY,
                          K.TREASURY_REFERRAL)
    assert case.referral_date == case.demand_date + days(151)


@pytest.mark.parametrize("review", ["file_appeal", "file_waiver"])
@pytest.mark.parametrize("start", [S.DEMAND_ISSUED, S.INTENT_TO_REFER_ISSUED])
def test_beneficiary_an_appeal_or_waiver_pending_blocks_the_itr_and_referral_but_not_interest(review, start):
    w = at_first_debt_step(B) if start == S.INTENT_TO_REFER_ISSUED else at_demand(B)
    d = w.case.demand_date
    w.act(review, on=max(w.on, d + days(30)) + days(1), reason="The beneficiary asks for a review")
    late = d + days(400)
    case = assert_no_step(w, late)
    assert case.state == S.APPEAL_PENDING if review == "file_appeal" else S.WAIVER_PENDING
    if start == S.DEMAND_ISSUED:
        assert not case.letters.filter(kind=K.ITR).exists()
    assert not case.letters.filter(kind=K.TREASURY_REFERRAL).exists()
    periods = sorted(LedgerEntry.objects.filter(case=case, kind=LedgerEntry.Kind.INTEREST)
                     .values_list("period", flat=True))
    assert periods == list(range(1, 400 // 30 + 1))  # every full period through day 400 assessed
    assert case.debt.posted_through == late


def test_beneficiary_paid_in_full_before_day_90_no_itr():
    w = at_demand(B)
    d = w.case.demand_date
    w.pay(on=d + days(89))  # the whole balance, interest of day 61 included
    assert fresh(w).state == S.CLOSED_PAID
    case = assert_no_step(w, d + days(200))
    assert not case.letters.filter(kind=K.ITR).exists()
    assert w.case.pk not in sweeps.due_case_ids(as_of=d + days(200))


def test_beneficiary_paid_in_full_but_not_closed_while_under_appeal_no_itr_after_the_decision():
    """Paid in full under appeal; an unfavourable decision then closes it as paid — nothing to refer."""
    w = at_demand(B)
    d = w.case.demand_date
    w.act("file_appeal", on=d + days(10), reason="Disputes the amount")
    w.pay(on=d + days(20))
    assert fresh(w).state == S.APPEAL_PENDING
    w.act("decide_appeal", on=d + days(30), reason="The demand stands", favourable=False)
    case = assert_no_step(w, d + days(200))
    assert case.state == S.CLOSED_PAID
    assert not case.letters.filter(kind=K.ITR).exists()


# --- plan track (SPEC §3.2) -------------------------------------------------------------------------------


def test_plan_an_unanswered_cpn_brings_the_demand_on_day_31():
    w = at_notice(P)
    c = w.case.cpn_date
    assert_no_step(w, c + days(30))
    case, letter = assert_step(w, c + days(31), "issue_demand", c + days(31), S.DEMAND_ISSUED, K.DEMAND)
    assert case.demand_without_reduction
    assert [r["role"] for r in letter.recipients] == ["debtor", "beneficiary"]


def test_plan_referral_notice_on_day_61_then_treasury_referral_on_day_121():
    w = at_demand(P)
    d = w.case.demand_date
    assert_no_step(w, d + days(60))
    case, _ = assert_step(w, d + days(61), "issue_referral_notice", d + days(61), S.REFERRAL_NOTICE_ISSUED,
                          K.REFERRAL_NOTICE)
    assert case.referral_notice_date == d + days(61)
    assert interest_total(case) > 0  # day 61: periods 1 and 2 assessed with the notice
    assert_no_step(w, d + days(120))
    case, _ = assert_step(w, d + days(121), "refer_to_treasury", d + days(121), S.REFERRED_TO_TREASURY,
                          K.TREASURY_REFERRAL)
    assert case.referral_date == d + days(121)


@pytest.mark.parametrize("start", [S.DEMAND_ISSUED, S.REFERRAL_NOTICE_ISSUED])
def test_plan_an_appeal_pending_blocks_the_referral_but_not_interest(start):
    w = at_first_debt_step(P) if start == S.REFERRAL_NOTICE_ISSUED else at_demand(P)
    d = w.case.demand_date
    w.act("file_appeal", on=d + days(100), reason="Redetermination requested")
    case = assert_no_step(w, d + days(500))
    assert case.state == S.APPEAL_PENDING
    assert not case.letters.filter(kind=K.TREASURY_REFERRAL).exists()
    assert case.debt.posted_through == d + days(500)
    assert LedgerEntry.objects.filter(case=case, kind=LedgerEntry.Kind.INTEREST, period=16).exists()


# --- GHP track (SPEC §3.3) --------------------------------------------------------------------------------


def test_ghp_an_unanswered_payment_notice_brings_the_demand_on_day_46():
    w = at_notice(G)
    p = w.case.payment_notice_date
    assert_no_step(w, p + days(45))
    case, letter = assert_step(w, p + days(46), "issue_demand", p + days(46), S.DEMAND_ISSUED, K.DEMAND)
    assert case.demand_date == p + days(46)
    assert [r["role"] for r in letter.recipients] == ["debtor"]


def test_ghp_itr_on_day_120_then_treasury_referral_on_day_181():
    w = at_demand(G)
    d = w.case.demand_date
    assert_no_step(w, d + days(119))
    case, _ = assert_step(w, d + days(120), "issue_itr", d + days(120), S.INTENT_TO_REFER_ISSUED, K.ITR)
    assert case.itr_date == d + days(120)
    assert_no_step(w, d + days(180))
    case, _ = assert_step(w, d + days(181), "refer_to_treasury", d + days(181), S.REFERRED_TO_TREASURY,
                          K.TREASURY_REFERRAL)
    assert case.referral_date == case.itr_date + days(61)


def test_ghp_a_challenge_pending_blocks_the_itr_and_referral():
    w = at_demand(G)
    d = w.case.demand_date
    w.act("file_challenge", on=d + days(5), reason="The employee was not covered")
    case = assert_no_step(w, d + days(400))
    assert case.state == S.CHALLENGE_PENDING
    assert not case.letters.filter(kind__in=[K.ITR, K.TREASURY_REFERRAL]).exists()
    assert case.debt.posted_through == d + days(400)


# --- interest through the sweeps (SPEC §5.5 worked example) -----------------------------------------------


def test_the_worked_interest_example_through_the_sweeps():
    w = demand_of(D("10000.00"), date(2024, 1, 1))
    assert w.case.debt.annual_rate == D("0.11500")

    sweep(date(2024, 3, 1))  # day 60: still in grace
    case = fresh(w)
    assert not LedgerEntry.objects.filter(case=case, kind=LedgerEntry.Kind.INTEREST).exists()
    assert interest_total(case) == D("0.00")

    sweep(date(2024, 3, 2))  # day 61: periods 1 and 2
    rows = list(LedgerEntry.objects.filter(case=case, kind=LedgerEntry.Kind.INTEREST).order_by("id")
                .values_list("period", "amount", "entry_date"))
    assert rows == [(1, D("95.83"), date(2024, 3, 2)), (2, D("95.83"), date(2024, 3, 2))]
    assert interest_total(case) == D("191.66")

    sweep(date(2024, 3, 31))  # day 90: period 3, and the ITR
    case = fresh(w)
    assert interest_total(case) == D("287.49")
    assert case.state == S.INTENT_TO_REFER_ISSUED
    itr = case.letters.get(kind=K.ITR)
    assert itr.amount == D("10287.49")
    assert (itr.content["principal"], itr.content["interest"]) == ("10000.00", "287.49")
    ledger.ledger_verify(case=case)


def test_interest_one_late_sweep_posts_what_the_daily_ones_would_have():
    w = demand_of(D("10000.00"), date(2024, 1, 1))
    sweep(date(2024, 3, 31))
    assert interest_total(fresh(w)) == D("287.49")
    assert list(LedgerEntry.objects.filter(case=w.case, kind=LedgerEntry.Kind.INTEREST)
                .values_list("period", "entry_date")) == [
        (1, date(2024, 3, 2)), (2, date(2024, 3, 2)), (3, date(2024, 3, 31))]


# --- catch-up: one sweep after downtime == daily sweeps (SPEC §4) -----------------------------------------


def run_days(first, last, daily_ids, *, sweep_days=None, payments=None, walks=()):
    """Simulate the days `first`..`last`: each day record that day's payments (before the sweep), then sweep
    the `daily_ids` that are due (as the real job finds them), and any case whose sweep days include it."""
    payments = payments or {}
    sweep_days = sweep_days or {}
    d = first
    while d <= last:
        for amount in payments.get(d, ()):
            for w in walks:
                ledger.payment_record(case=fresh(w), amount=amount, received_on=d, actor=w.worker)
        due = set(sweeps.due_case_ids(as_of=d))
        ids = [i for i in daily_ids if i in due] + [i for i, ds in sweep_days.items() if d in ds]
        if ids:
            sweep(d, ids=sorted(set(ids)))
        d += days(1)


ROUTE_START = {B: S.CPN_ISSUED, P: S.CPN_ISSUED, G: S.PAYMENT_NOTICE_ISSUED}
CATCH_UP = {
    # track: (build, days after the start to sweep through)
    B: (lambda: at_notice(B), 31 + 151 + 40),
    P: (lambda: at_notice(P), 31 + 121 + 40),
    G: (lambda: at_notice(G), 46 + 181 + 40),
}


@pytest.mark.parametrize("track", [B, P, G])
def test_one_sweep_after_downtime_equals_daily_sweeps(track):
    build, length = CATCH_UP[track]
    daily, late = build(), build()
    x = daily.on
    y = x + days(length)
    run_days(x, y, [daily.case.pk])
    before = snapshot(late.case.pk)
    assert before["case"]["state"] == S(ROUTE_START[track])  # the late one was left alone
    sweep(y, ids=[late.case.pk])
    a, b = snapshot(daily.case.pk, letter_amounts=True), snapshot(late.case.pk, letter_amounts=True)
    assert a == b
    assert a["case"]["state"] == S.REFERRED_TO_TREASURY
    assert len([r for r in a["ledger"] if r[0] == LedgerEntry.Kind.INTEREST]) >= 5


# --- the property: for random histories, daily == random sweep days == once at the end --------------------

STARTS = {
    B: [S.CPN_ISSUED, S.DEMAND_ISSUED, S.INTENT_TO_REFER_ISSUED, S.APPEAL_PENDING],
    P: [S.CPN_ISSUED, S.DEMAND_ISSUED, S.REFERRAL_NOTICE_ISSUED, S.APPEAL_PENDING],
    G: [S.PAYMENT_NOTICE_ISSUED, S.DEMAND_ISSUED, S.INTENT_TO_REFER_ISSUED, S.CHALLENGE_PENDING],
}
REVIEW = {B: "file_appeal", P: "file_appeal", G: "file_challenge"}
PROPERTY = settings(max_examples=5, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@st.composite
def histories(draw, track):
    start = draw(st.sampled_from(STARTS[track]))
    gaps = draw(st.lists(st.integers(0, 40), min_size=3, max_size=3))
    window = draw(st.integers(0, 260))
    debt_from_start = start not in (S.CPN_ISSUED, S.PAYMENT_NOTICE_ISSUED)
    payments = {}
    if debt_from_start and window:
        for k, cents in draw(st.lists(st.tuples(st.integers(1, window), st.integers(100, 50000)), max_size=3)):
            payments.setdefault(k, []).append(D(cents) / 100)  # at most $1,500 of a $2,000 debt: stays open
    sweep_days = draw(st.sets(st.integers(0, window), max_size=6))
    return track, start, gaps, window, payments, sweep_days


def build_history(track, start, gaps) -> Walk:
    """The same case every time for the same draw: notice, then (maybe) demand, first debt step, review."""
    w = Walk(track)
    if track == B:
        w.settle()
    w.act(NOTICE[track], on=OPENED_ON + days(10 + gaps[0]))
    if start in (S.CPN_ISSUED, S.PAYMENT_NOTICE_ISSUED):
        return w
    w.act("issue_demand", on=w.on + days(NOTICE_WINDOW[track] + 1 + gaps[1]))
    action, n = FIRST_DEBT_STEP[track]
    if start in (S.INTENT_TO_REFER_ISSUED, S.REFERRAL_NOTICE_ISSUED):
        w.act(action, on=w.case.demand_date + days(n + gaps[2]))
    elif start in (S.APPEAL_PENDING, S.CHALLENGE_PENDING):
        w.act(REVIEW[track], on=w.on + days(1 + gaps[2] % 30), reason="Review requested")
    assert w.case.state == start
    return w


@pytest.mark.parametrize("track", [B, P, G])  # 5 examples per track, 15 in all
@PROPERTY
@given(data=st.data())
def test_property_daily_sweeps_random_sweeps_and_one_late_sweep_agree(track, data):
    """For random histories (state reached, gaps between steps, partial payments during the window, random
    days on which a second case is swept), sweeping daily, on random days, and once at the end agree on
    states, dates, history, letters (kind, date, amount) and ledger rows (kind, date, amount, period)."""
    track, start, gaps, window, payments, sweep_days = data.draw(histories(track))
    event(f"{track} from {start}")
    event(f"payments: {sum(map(len, payments.values()))}")
    with transaction.atomic():
        daily, sometimes, once = (build_history(track, start, gaps) for _ in range(3))
        x = daily.on
        y = x + days(window)
        run_days(x, y, [daily.case.pk], sweep_days={sometimes.case.pk: {x + days(k) for k in sweep_days}},
                 payments={x + days(k): v for k, v in payments.items()}, walks=(daily, sometimes, once))
        sweep(y, ids=[sometimes.case.pk, once.case.pk])
        a, b, c = (snapshot(w.case.pk, letter_amounts=True) for w in (daily, sometimes, once))
        assert a == b
        assert a == c
        if hasattr(fresh(daily), "debt"):
            ledger.ledger_verify(case=fresh(daily))
        transaction.set_rollback(True)


# --- idempotency, the command, dry runs -------------------------------------------------------------------


def test_a_second_sweep_for_the_same_date_changes_nothing():
    cases = [at_notice(B), at_demand(P), at_first_debt_step(G)]
    as_of = date(2024, 6, 30)
    first = sweep(as_of)
    assert {r.case_id for r in first} == {w.case.pk for w in cases}
    assert all(r.steps for r in first)
    before = counts()
    snaps = [snapshot(w.case.pk) for w in cases]
    assert sweeps.due_case_ids(as_of=as_of) == []
    second = sweep(as_of)
    assert second == []
    again = [sweeps.process_case(w.case.pk, as_of=as_of) for w in cases]  # even when asked by id
    assert all(r.steps == [] and r.interest_rows == 0 for r in again)
    assert counts() == before
    assert [snapshot(w.case.pk) for w in cases] == snaps


def test_run_deadlines_prints_what_it_did_and_a_second_run_does_nothing():
    w = at_demand(B)
    d = w.case.demand_date
    as_of = (d + days(95)).isoformat()
    out = StringIO()
    call_command("run_deadlines", "--as-of", as_of, stdout=out)
    text = out.getvalue()
    assert f"As of {as_of}: 1 case(s) with something due." in text
    assert f"case {w.case.number}: Intent to refer issued on {d + days(90)}" in text
    assert "Took 1 step(s); posted" in text
    assert fresh(w).state == S.INTENT_TO_REFER_ISSUED
    before = counts()

    out = StringIO()
    call_command("run_deadlines", "--as-of", as_of, stdout=out)
    assert f"As of {as_of}: 0 case(s) with something due." in out.getvalue()
    assert "Took 0 step(s); posted 0 ledger row(s)." in out.getvalue()
    assert counts() == before


def test_run_deadlines_dry_run_says_what_it_would_do_and_changes_nothing():
    w = at_demand(B)
    d = w.case.demand_date
    before, snap = counts(), snapshot(w.case.pk)
    out = StringIO()
    call_command("run_deadlines", "--as-of", (d + days(95)).isoformat(), "--dry-run", stdout=out)
    text = out.getvalue()
    assert f"case {w.case.number}: would issue intent to refer on {d + days(90)}" in text
    assert "Would take 1 step(s)" in text
    assert counts() == before
    assert snapshot(w.case.pk) == snap


def test_run_deadlines_dated_by_run_date_dates_the_letter_on_the_run_day():
    w = at_demand(B)
    d = w.case.demand_date
    run_day = d + days(100)
    out = StringIO()
    call_command("run_deadlines", "--as-of", run_day.isoformat(), "--dated-by", "run_date", stdout=out)
    assert f"Intent to refer issued on {run_day}" in out.getvalue()
    case = fresh(w)
    assert case.itr_date == run_day
    letter = case.letters.get(kind=K.ITR)
    assert letter.letter_date == run_day
    assert letter.content["dated_by"] == sweeps.RUN_DATE
    assert case.events.get(action="issue_itr").effective_date == run_day


def test_run_deadlines_refuses_a_future_as_of_unless_dry_run():
    w = at_notice(B)
    before = counts()
    future = (services.today() + days(1)).isoformat()
    with pytest.raises(CommandError, match="has not come"):
        call_command("run_deadlines", "--as-of", future, stdout=StringIO())
    with pytest.raises(CaseActionError):
        sweeps.sweep(as_of=services.today() + days(1))
    out = StringIO()
    call_command("run_deadlines", "--as-of", future, "--dry-run", stdout=out)
    assert f"case {w.case.number}: would issue demand on {w.case.cpn_date + days(31)}" in out.getvalue()
    assert counts() == before
    assert fresh(w).state == S.CPN_ISSUED


# --- due_case_ids ---------------------------------------------------------------------------------------


def test_due_case_ids_finds_exactly_the_cases_with_a_step_or_interest_due():
    cpn = at_notice(B, date(2023, 9, 1))  # demand due 2023-10-02
    demand = at_demand(P, date(2023, 10, 2))  # interest from 2023-12-02 (day 61), referral notice too
    answered = at_notice(B, date(2023, 9, 1))
    answered.act("record_response", on=date(2023, 9, 5), reason="Response received")
    held = at_notice(G, date(2023, 9, 1))
    held.act("put_on_hold", on=date(2023, 9, 2), reason="Awaiting the court file")
    closed = Walk(B)
    closed.act("close_no_recovery", on=date(2023, 9, 1), reason="No MSP occurrence")
    paid = at_demand(G, date(2023, 10, 2))
    paid.pay(on=date(2023, 10, 20))
    assert fresh(paid).state == S.CLOSED_PAID
    # Stale dates left on a closed or held case never make it due.
    RecoveryCase.objects.filter(pk__in=[held.case.pk, closed.case.pk, paid.case.pk]).update(
        next_due_date=date(2023, 9, 15))
    Debt.objects.filter(case=paid.case).update(next_assessment_date=date(2023, 11, 1))

    assert fresh(cpn).next_due_date == date(2023, 10, 2)
    assert fresh(demand).debt.next_assessment_date == date(2023, 12, 2)
    assert sweeps.due_case_ids(as_of=date(2023, 10, 1)) == []
    assert sweeps.due_case_ids(as_of=date(2023, 10, 2)) == [cpn.case.pk]
    assert sweeps.due_case_ids(as_of=date(2023, 12, 1)) == [cpn.case.pk]
    assert sweeps.due_case_ids(as_of=date(2023, 12, 2)) == sorted([cpn.case.pk, demand.case.pk])

    sweep(date(2023, 12, 2))
    assert fresh(held).state == S.ON_HOLD and fresh(closed).state == S.CLOSED_NO_RECOVERY
    assert fresh(answered).state == S.CPN_ISSUED
    # Done: the next things due are the demand's day-61 interest and the plan's Treasury referral.
    assert sweeps.due_case_ids(as_of=date(2023, 12, 2)) == []
    assert fresh(demand).next_due_date == date(2023, 10, 2) + days(121)


def test_interest_only_due_is_found_through_the_debt_and_posted_without_a_step():
    w = at_demand(B, date(2023, 10, 2))
    d = w.case.demand_date
    assert fresh(w).next_due_date == d + days(90)
    assert sweeps.due_case_ids(as_of=d + days(60)) == []
    assert sweeps.due_case_ids(as_of=d + days(61)) == [w.case.pk]
    [result] = sweep(d + days(61))
    assert result.steps == [] and result.interest_rows == 2
    assert fresh(w).debt.next_assessment_date == d + days(90)
    assert sweeps.due_case_ids(as_of=d + days(89)) == []


# --- the Celery tasks (SPEC §4: chunked, no double processing) ---------------------------------------------


def test_the_sweep_task_does_the_same_work_as_the_sweep():
    walks = [at_notice(B), at_demand(B), at_first_debt_step(B), at_notice(P), at_demand(P), at_demand(G),
             at_first_debt_step(G)]
    ids = [w.case.pk for w in walks]
    as_of = date(2024, 3, 1)
    due = sweeps.due_case_ids(as_of=as_of)
    assert sorted(due) == sorted(ids)
    with transaction.atomic():
        sweep(as_of)
        expected = {pk: snapshot(pk, letter_amounts=True) for pk in ids}
        transaction.set_rollback(True)
    assert all(snapshot(pk, letter_amounts=True) != expected[pk] for pk in ids)  # rolled back

    result = tasks.sweep_deadlines.delay(as_of=as_of.isoformat(), chunk_size=3)
    assert result.get() == len(ids)
    assert {pk: snapshot(pk, letter_amounts=True) for pk in ids} == expected
    assert sweeps.due_case_ids(as_of=as_of) == []


def test_a_chunk_delivered_twice_changes_each_case_once():
    walks = [at_notice(B), at_demand(P), at_demand(G)]
    ids = [w.case.pk for w in walks]
    as_of = date(2024, 3, 1)
    steps = tasks.sweep_chunk(ids, as_of.isoformat())
    assert steps >= 3
    # The chunk kicked the outbox: every letter (the walker's and the sweep's) went out, each once.
    assert not LetterDelivery.objects.exclude(status=LetterDelivery.Status.SENT).exists()
    emails = LetterDelivery.objects.filter(channel="email").count()
    assert len(mail.outbox) == emails > 0
    before = counts()
    snaps = {pk: snapshot(pk) for pk in ids}
    assert tasks.sweep_chunk.delay(ids, as_of.isoformat()).get() == 0
    assert counts() == before
    assert {pk: snapshot(pk) for pk in ids} == snaps
    assert len(mail.outbox) == emails
    for pk in ids:  # no automatic step was taken twice
        actions = [a for a, *_ in snaps[pk]["events"] if a != "open"]
        assert len(actions) == len(set(actions)), actions


# --- regressions: bugs these tests found (fixed in recovery/clocks/sweeps.py and services.py) -----------------------


BACK_ON_THE_CLOCK = {
    # id: (track, how the case leaves its clock, how it comes back, the step then due, its state)
    "beneficiary-appeal": (B, ("file_appeal", {}), ("decide_appeal", {"favourable": False}), "issue_itr",
                           S.INTENT_TO_REFER_ISSUED),
    "beneficiary-hold": (B, ("put_on_hold", {}), ("resume", {}), "issue_itr", S.INTENT_TO_REFER_ISSUED),
    "plan-appeal": (P, ("file_appeal", {}), ("decide_appeal", {"favourable": False}), "issue_referral_notice",
                    S.REFERRAL_NOTICE_ISSUED),
    "ghp-challenge": (G, ("file_challenge", {}), ("decide_challenge", {"favourable": False}), "issue_itr",
                      S.INTENT_TO_REFER_ISSUED),
}


@pytest.mark.parametrize("key", list(BACK_ON_THE_CLOCK))
def test_a_case_back_on_its_clock_after_its_rule_day_gets_its_overdue_step(key):
    """SPEC §3.1: an unfavourable decision "returns to the clock" (likewise a resume from hold); when the
    rule day (ITR on day 90, …) passed meanwhile the step is overdue, and the next sweep must take it — it
    cannot be dated before the decision that put the case back, so it bears the decision's day at the
    earliest."""
    track, (leave, leave_kw), (back, back_kw), action, state = BACK_ON_THE_CLOCK[key]
    w = at_demand(track)
    d = w.case.demand_date
    w.act(leave, on=d + days(10), reason="Review or hold", **leave_kw)
    w.act(back, on=d + days(200), reason="Back to the clock", **back_kw)
    assert fresh(w).state == S.DEMAND_ISSUED
    assert w.case.pk in sweeps.due_case_ids(as_of=d + days(201))
    sweep(d + days(201))
    case = fresh(w)
    assert case.state == state
    event = case.events.get(action=action)
    assert d + days(200) <= event.effective_date <= d + days(201)


def test_a_late_sweep_s_letters_state_the_amounts_daily_sweeps_would_have():
    """SPEC §4: a late sweep brings each case to "the state and the amounts it would have had". A payment
    received on day 100 while the job was down must not be in the ITR dated day 90."""
    daily, late = at_demand(B), at_demand(B)
    d = daily.case.demand_date
    run_days(d, d + days(120), [daily.case.pk], payments={d + days(100): [D("100.00")]}, walks=(daily, late))
    sweep(d + days(120), ids=[late.case.pk])
    a, b = snapshot(daily.case.pk), snapshot(late.case.pk)
    assert a == b  # states, dates, ledger rows and letter dates agree...
    itr_daily = fresh(daily).letters.get(kind=K.ITR)
    itr_late = fresh(late).letters.get(kind=K.ITR)
    assert itr_daily.amount == D("2057.51")  # $2,000.00 + two periods of $19.17 + one of $19.17
    assert itr_late.amount == itr_daily.amount  # (it used to say $1,957.51: the day-100 payment taken off)
    assert itr_late.content["interest"] == itr_daily.content["interest"]


def test_a_dry_run_looking_ahead_reports_the_debt_steps_that_will_fall_due():
    """§4 / run_deadlines: "use a dry run to look ahead" — the ITR falling due in 80 days must be listed."""
    w = at_demand(B, services.today() - days(10))
    ahead = services.today() + days(100)
    before, snap = counts(), snapshot(w.case.pk)
    out = StringIO()
    call_command("run_deadlines", "--as-of", ahead.isoformat(), "--dry-run", stdout=out)
    assert snapshot(w.case.pk) == snap and counts() == before
    assert f"case {w.case.number}: would issue intent to refer on {w.case.demand_date + days(90)}" in out.getvalue()
