"""Streaming as-of balances (recovery.money.balances, SPEC §5.5 and §10): the same cents as replaying every
schedule (ledger.balances_as_of), whichever debts are summed from the posted ledger and whichever replayed,
whatever the chunk size; the bench_balances and balances_as_of commands."""

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.cases.history import today
from recovery.models import Debt, DebtEvent, LedgerEntry
from recovery.money import balances, ledger
from tests.recovery.test_ledger import (CENT, DEMAND, PROPERTY_SETTINGS, assess, day, demand_walk, fresh,
                                        pay, rolled_back)

pytestmark = pytest.mark.django_db

D = Decimal
K = LedgerEntry.Kind


def replayed_by_the_baseline(debts, as_of):
    """The baseline: every schedule replayed from the events (ledger.balances_as_of)."""
    got = ledger.balances_as_of(debts=debts, as_of=as_of)
    return {d.case_id: (got[d.case_id].principal, got[d.case_id].interest, got[d.case_id].refund_owed)
            for d in debts if d.demand_date <= as_of}


def streamed(as_of, **kw):
    return {b.case_id: (b.principal, b.interest, b.refund_owed) for b in balances.balances_as_of(as_of=as_of, **kw)}


def by_case(as_of, **kw):
    return {b.case_id: b for b in balances.balances_as_of(as_of=as_of, **kw)}


@pytest.fixture
def three_debts():
    return [demand_walk(), demand_walk(D("1234.56"), day(14)), demand_walk(D("50.00"), day(31))]


@settings(PROPERTY_SETTINGS, max_examples=20)
@given(
    steps=st.lists(st.one_of(
        st.tuples(st.just("pay"), st.integers(0, 2), st.integers(0, 300),
                  st.decimals(min_value=CENT, max_value=D("4000.00"), places=2)),
        st.tuples(st.just("assess"), st.integers(0, 2), st.integers(0, 300), st.just(None)),
    ), max_size=8),
    as_of_days=st.lists(st.integers(-5, 420), min_size=1, max_size=3),
    chunk_size=st.sampled_from([1, 2, 3, 5000]),
)
def test_streamed_balances_equal_the_replay_of_every_schedule(three_debts, steps, as_of_days, chunk_size):
    """Random ledgers made by the real services — payments (back-dated ones reverse posted rows) and
    interest assessments on random days, in any order — then as-of balances on random days."""
    with rolled_back():
        for what, which, n, amount in steps:
            w = three_debts[which]
            case = fresh(w)
            on = day(n, case.debt.demand_date)
            if what == "assess":
                assess(case, on)
            elif case.state != "closed_paid":
                ledger.payment_record(case=case, amount=amount, received_on=on, actor=w.worker)
        debts = list(Debt.objects.filter(case__in=[w.case for w in three_debts]))
        for n in as_of_days:
            as_of = day(n)
            want = replayed_by_the_baseline(debts, as_of)
            assert streamed(as_of, chunk_size=chunk_size) == want
            assert streamed(as_of, chunk_size=chunk_size, debts=Debt.objects.filter(pk=debts[0].pk)) == {
                k: v for k, v in want.items() if k == debts[0].case_id}
        for debt in debts:  # as of the day it is posted through, a debt is the sum of its ledger: no replay
            got = by_case(debt.posted_through)[debt.case_id]
            assert not got.replayed
            assert (got.principal, got.interest, got.refund_owed) == replayed_by_the_baseline(
                [debt], debt.posted_through)[debt.case_id]


@pytest.mark.parametrize("chunk_size", [1, 2, 3])
def test_chunk_boundaries_give_the_same_answer(three_debts, chunk_size):
    pay(three_debts[0], "2500.00", day(75))
    pay(three_debts[1], "100.00", day(20))
    assess(three_debts[2].case, day(200))
    for as_of in (day(59), day(120), day(400)):
        assert streamed(as_of, chunk_size=chunk_size) == streamed(as_of) == replayed_by_the_baseline(
            list(Debt.objects.all()), as_of)
    assert list(streamed(day(400), chunk_size=chunk_size)) == sorted(w.case.pk for w in three_debts)


def test_a_debt_demanded_after_the_day_is_not_listed(three_debts):
    got = streamed(day(20))
    assert set(got) == {three_debts[0].case.pk, three_debts[1].case.pk}  # the third is demanded on day 31


# --- which debts are summed and which replayed ---------------------------------------------------------


def test_posted_through_the_day_itself_is_summed_and_the_day_after_with_interest_due_is_replayed():
    w = demand_walk()
    assess(w.case, day(90))
    debt = Debt.objects.get(case=w.case)
    assert (debt.posted_through, debt.next_assessment_date) == (day(90), day(120))
    on_the_day = by_case(day(90))[w.case.pk]
    assert not on_the_day.replayed and on_the_day.interest == D("287.49")  # SPEC §5.5 worked example
    before_next = by_case(day(119))[w.case.pk]
    assert not before_next.replayed and before_next.interest == D("287.49")  # nothing can fall due before 120
    on_next = by_case(day(120))[w.case.pk]
    assert on_next.replayed and on_next.interest == D("383.32")  # period 4 is due, not yet posted
    assert balances.is_current(posted_through=day(90), next_assessment_date=day(120), as_of=day(119))
    assert not balances.is_current(posted_through=day(90), next_assessment_date=day(120), as_of=day(120))
    assert balances.is_current(posted_through=day(90), next_assessment_date=None, as_of=day(900))


def test_a_back_dated_payment_s_reversals_are_summed_by_the_reversed_row_s_date():
    """Interest posted through day 150, then a payment dated day 61 arrives: periods 3-5 are reversed
    (each reversal bearing the reversed row's date) and posted again on the lower principal."""
    w = demand_walk()
    assess(w.case, day(150))
    pay(w, "5000.00", day(61))
    reversals = LedgerEntry.objects.filter(case=w.case, kind=K.REVERSAL)
    assert reversals.count() == 3
    assert all(r.entry_date == r.reverses.entry_date for r in reversals)
    debts = list(Debt.objects.filter(case=w.case))
    for n in (60, 61, 89, 90, 100, 120, 150):
        got = by_case(day(n))[w.case.pk]
        assert not got.replayed, n  # posted through day 150: the ledger is current for every earlier day
        assert (got.principal, got.interest, got.refund_owed) == replayed_by_the_baseline(debts, day(n))[w.case.pk]
    # and the reversed rows count: without them day 90 would carry the old period 3 as well
    assert by_case(day(90))[w.case.pk].interest == ledger.schedule_for(debts[0], as_of=day(90)).interest


def test_an_event_dated_after_the_posted_day_is_replayed_not_trusted():
    """The services never leave one (they post through the day they record), but a balance must not
    silently miss an event that somehow bypassed them: such a debt is replayed."""
    w = demand_walk()
    assess(w.case, day(100))  # posted through day 100, the next assessment day 120
    debt = Debt.objects.get(case=w.case)
    DebtEvent.objects.create(debt=debt, kind=DebtEvent.Kind.PAYMENT, event_date=day(105), amount=D("1000.00"),
                             actor_name="elsewhere")
    got = by_case(day(110))[w.case.pk]
    assert got.replayed
    assert (got.principal, got.interest, got.refund_owed) == replayed_by_the_baseline([debt], day(110))[w.case.pk]
    assert (got.principal, got.interest) == (D("9287.49"), D("0.00"))  # $287.49 of interest first


def test_cents_are_exact_on_this_database():
    """Amounts whose float sum is not exact (0.10 + 0.20, 10¹¹ dollars) come out to the cent as Decimals:
    SQLite's SUM goes through floating point, so there rows are summed as integers of cents."""
    big = demand_walk(D("99999999999.99"))
    small = demand_walk(D("0.30"), day(3))
    for amount in ("0.10", "0.10", "0.10"):
        pay(small, amount, day(4))
    pay(big, "0.07", day(70))
    assess(big.case, day(200))
    for as_of in (day(5), day(100), day(200)):
        got = by_case(as_of)
        want = replayed_by_the_baseline(list(Debt.objects.all()), as_of)
        for case_id, b in got.items():
            assert not b.replayed
            assert all(isinstance(x, Decimal) for x in (b.principal, b.interest, b.refund_owed))
            assert (b.principal, b.interest, b.refund_owed) == want[case_id]
            assert str(b.principal) == str(want[case_id][0])
    assert by_case(day(5))[small.case.pk].principal == D("0.00")
    sums = {b.case_id: b for b in balances.posted_sums_as_of(as_of=day(200))}
    assert sums[big.case.pk] == by_case(day(200))[big.case.pk]
    assert sums[big.case.pk].interest == ledger.schedule_for(Debt.objects.get(case=big.case), as_of=day(200)).interest


def test_the_chunk_size_must_be_positive():
    with pytest.raises(ValueError, match="chunk_size"):
        list(balances.balances_as_of(as_of=DEMAND, chunk_size=0))


# --- the commands ----------------------------------------------------------------------------------------


def test_bench_balances_runs_at_a_tiny_size_and_ends_with_result():
    out = io.StringIO()
    call_command("bench_balances", debts=40, variants="single,batch,sql,replay", chunk_size=7, stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("RESULT ")
    result = json.loads(last[len("RESULT "):])
    assert result["debts"] == 40
    assert result["differences"] == 0 and result["sql_differences_current"] == 0
    assert result["replay_differences"] == 0
    for key in ("batch_s", "single_s", "sql_s", "ratio_batch_sql", "peak_rss_mb"):
        assert result[key] > 0, key
    assert 0 < result["replayed"] < 40
    assert not Debt.objects.exists()  # rolled back


def test_bench_balances_refuses_an_unknown_variant():
    with pytest.raises(CommandError, match="--variants"):
        call_command("bench_balances", debts=5, variants="batch,fast")


def test_balances_as_of_command_streams_a_csv_row_per_debt(three_debts):
    pay(three_debts[0], "2500.00", day(75))
    as_of = day(130)
    out = io.StringIO()
    call_command("balances_as_of", "--as-of", as_of.isoformat(), "--csv", "--chunk-size", "2", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    want = replayed_by_the_baseline(list(Debt.objects.all()), as_of)
    assert [r["case_number"] for r in rows] == [w.case.number for w in sorted(three_debts, key=lambda w: w.case.pk)]
    for w, r in zip(sorted(three_debts, key=lambda w: w.case.pk), rows):
        p, i, refund = want[w.case.pk]
        assert (D(r["principal"]), D(r["interest"]), D(r["balance"]), D(r["refund_owed"])) == (p, i, p + i, refund)
        assert r["computed"] in ("ledger", "replayed")
    assert {r["computed"] for r in rows} == {"replayed"}  # nothing was assessed through day 130

    out = io.StringIO()
    call_command("balances_as_of", "--as-of", as_of.isoformat(), stdout=out)
    text = out.getvalue()
    total = sum((p + i for p, i, _ in want.values()), D("0"))
    assert "3 debts" in text and f"${total:,}" in text


@pytest.mark.parametrize("value, message", [
    ("2024-02-30", "--as-of: enter a date as YYYY-MM-DD"),
    ("yesterday", "--as-of: enter a date as YYYY-MM-DD"),
])
def test_balances_as_of_command_names_a_bad_date(value, message):
    with pytest.raises(CommandError, match=message):
        call_command("balances_as_of", "--as-of", value)


def test_balances_as_of_command_refuses_a_day_that_has_not_come():
    with pytest.raises(CommandError, match="--as-of: .* has not come yet"):
        call_command("balances_as_of", "--as-of", (today() + timedelta(days=1)).isoformat())


def test_the_bench_counts_a_difference_of_one_cent_and_a_missing_debt():
    from recovery.management.commands.bench_balances import _Answers

    def answers(rows):
        a = _Answers()
        for case_id, cents, replayed in rows:
            a.add(case_id, D(cents), D("1.00"), D("0.00"), replayed)
        return a

    batch = answers([(1, "10.00", False), (2, "20.00", True), (4, "40.00", False), (5, "50.00", False)])
    assert batch.differences(answers([(1, "10.00", False), (2, "20.00", False), (4, "40.00", False),
                                      (5, "50.00", False)])) == 0
    assert batch.differences(answers([(1, "10.01", False), (2, "20.00", False), (3, "30.00", False),
                                      (4, "40.00", False)])) == 3  # a cent off, 3 only there, 5 missing
    # against the SQL sums only the debts the batch summed count: 2 was replayed, so its sum may differ
    assert batch.differences(answers([(1, "10.00", False), (2, "99.00", False), (4, "40.00", False),
                                      (5, "50.00", False)]), current_only=True) == 0
    assert batch.differences(answers([(1, "10.00", False), (4, "40.01", False), (5, "50.00", False)]),
                             current_only=True) == 1


# --- the dashboard's download --------------------------------------------------------------------------


def test_the_dashboard_streams_balances_as_of_a_day_to_a_supervisor_and_audits_it(three_debts):
    from django.test import Client
    from django.urls import reverse

    from recovery.audit_models import AuditEvent
    from tests import factories

    pay(three_debts[0], "2500.00", day(75))
    assess(three_debts[1].case, day(200))
    boss = Client()
    boss.force_login(factories.supervisor("boss"))
    page = boss.get(reverse("admin:dashboard"))
    assert page.status_code == 200 and 'name="balances"' in page.content.decode()
    as_of = day(150)
    response = boss.get(reverse("admin:dashboard"), {"balances": as_of.isoformat()})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f"balances-as-of-{as_of}" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    want = replayed_by_the_baseline(list(Debt.objects.all()), as_of)
    by_number = {w.case.number: w.case.pk for w in three_debts}
    assert len(rows) == 3
    for r in rows:
        p, i, refund = want[by_number[r["case_number"]]]
        assert (D(r["principal"]), D(r["interest"]), D(r["refund_owed"])) == (p, i, refund)
    assert {r["case_number"]: r["computed"] for r in rows}[three_debts[1].case.number] == "ledger"
    assert AuditEvent.objects.filter(object_type="recovery.Dashboard", action="export", username="boss",
                                     detail=f"csv balances as of {as_of}").exists()


@pytest.mark.parametrize("value, message", [
    ("31/12/2024", "Balances as of: enter a date as YYYY-MM-DD."),
    ("tomorrow", "Balances as of: enter a date as YYYY-MM-DD."),
])
def test_the_dashboard_names_a_bad_balances_date_and_exports_nothing(value, message):
    from django.test import Client
    from django.urls import reverse

    from recovery.audit_models import AuditEvent
    from tests import factories

    boss = Client()
    boss.force_login(factories.supervisor("boss"))
    response = boss.get(reverse("admin:dashboard"), {"balances": value})
    assert response.status_code == 400 and message in response.content.decode()
    future = boss.get(reverse("admin:dashboard"), {"balances": (today() + timedelta(days=1)).isoformat()})
    assert future.status_code == 400 and "has not come yet" in future.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_dashboard_download_is_for_supervisors_only(three_debts):
    from django.test import Client
    from django.urls import reverse

    worker = Client()
    worker.force_login(three_debts[0].worker)
    assert worker.get(reverse("admin:dashboard"), {"balances": day(100).isoformat()}).status_code == 403


def test_bench_balances_copies_debts_by_sql_with_the_same_balances():
    from django.db import connection

    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="--replicate"):
            call_command("bench_balances", debts=6, replicate=3)
        return
    out = io.StringIO()
    call_command("bench_balances", debts=30, replicate=3, chunk_size=4, stdout=out)
    result = json.loads(out.getvalue().strip().splitlines()[-1][len("RESULT "):])
    assert (result["debts"], result["distinct_debts"], result["single_debts"], result["replicas"]) == (30, 10, 10, 3)
    assert result["differences"] == 0 and result["sql_differences_current"] == 0
    assert result["replayed"] % 3 == 0
