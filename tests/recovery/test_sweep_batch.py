"""The sweep's batch engine (recovery/clocks/batch.py) against the per-case path (sweeps.process_case):
over random histories both give exactly the same states, dates, history (CaseEvents and simple-history
rows), letters (content, recipients, amounts), deliveries, ledger rows and debts' dates; a late sweep
equals daily ones and a second sweep changes nothing through the batch path; one case's failure leaves
the rest of its chunk done (SPEC §4, §5.5, §6)."""

import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from beneficiaries.models import Authorisation
from recovery.clocks import batch, sweeps
from recovery.document_models import UploadedDocument
from recovery.letters import compose
from recovery.models import CaseEvent, Debt, LedgerEntry, Letter, LetterDelivery, RecoveryCase
from recovery.money import ledger
from recovery.money import rules as money
from tests import factories
from tests.recovery import test_money
from tests.recovery.test_sweeps import (B, G, P, _print_queue, at_demand, at_first_debt_step,  # noqa: F401
                                        at_notice, build_history, days, histories, run_days, snapshot)

pytestmark = pytest.mark.django_db

PROPERTY = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure prints its draws
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CASE_FIELDS = [f.attname for f in RecoveryCase._meta.concrete_fields if f.attname not in ("updated_at",)]
HISTORY_FIELDS = [f.attname for f in RecoveryCase.history.model.tracked_fields] + [
    "history_type", "history_user_id", "history_change_reason"]


def everything(case_ids, since):
    """Every row a sweep writes or changes for these cases, ids of new rows and times left out."""
    ev, lt, dl, hi, le = since
    events = list(CaseEvent.objects.filter(case_id__in=case_ids, id__gt=ev).order_by("id").values_list(
        "case_id", "effective_date", "actor_id", "actor_name", "action", "from_state", "to_state", "reason"))
    letters = list(Letter.objects.filter(case_id__in=case_ids, id__gt=lt).order_by("id").values_list(
        "case_id", "kind", "letter_date", "amount", "content", "recipients", "event__action", "event__effective_date"))
    deliveries = list(LetterDelivery.objects.filter(letter__case_id__in=case_ids, id__gt=dl).order_by("id")
                      .values_list("letter__case_id", "letter__kind", "recipient", "role", "channel", "address",
                                   "status", "attempts", "next_attempt_at", "sent_at", "last_error"))
    history = list(RecoveryCase.history.filter(id__in=case_ids, history_id__gt=hi).order_by("history_id")
                   .values_list(*HISTORY_FIELDS))
    rows = list(LedgerEntry.objects.filter(case_id__in=case_ids, id__gt=le).order_by("id").values_list(
        "case_id", "kind", "entry_date", "amount", "period", "base", "principal", "interest", "refund_owed",
        "note", "actor_name", "reverses__entry_date"))
    cases = list(RecoveryCase.objects.filter(pk__in=case_ids).order_by("pk").values_list(*CASE_FIELDS))
    debts = list(Debt.objects.filter(case_id__in=case_ids).order_by("case_id")
                 .values_list("case_id", "posted_through", "next_assessment_date"))
    # Per case, in the order written (a case the batch hands to the per-case path is written after the
    # chunk, so rows of different cases interleave differently; within a case the order is the same).
    return {"events": sorted(events, key=lambda r: r[0]), "letters": sorted(letters, key=lambda r: r[0]),
            "deliveries": sorted(deliveries, key=lambda r: r[0]), "history": sorted(history, key=lambda r: r[0]),
            "ledger": sorted(rows, key=lambda r: r[0]), "cases": cases, "debts": debts}


def high_water():
    def top(model, name="id"):
        return model.objects.order_by(f"-{name}").values_list(name, flat=True).first() or 0

    return (top(CaseEvent), top(Letter), top(LetterDelivery), top(RecoveryCase.history.model, "history_id"),
            top(LedgerEntry))


def both_ways(case_ids, as_of, **kw):
    """(per-case result, batch result): each a sweep of the same data, the first rolled back."""
    sweeps.services.system_user()  # made once, outside both (a sequence does not roll back)
    since = high_water()
    with transaction.atomic():
        per_case = sweeps.sweep(as_of=as_of, ids=case_ids, per_case=True, **kw)
        a = everything(case_ids, since)
        transaction.set_rollback(True)
    with transaction.atomic():
        batched = sweeps.sweep(as_of=as_of, ids=case_ids, **kw)
        b = everything(case_ids, since)
        transaction.set_rollback(True)
    return (per_case, a), (batched, b)


def add_representatives(w, rng_choice):
    """A verified POR, a CTR (unexpired or expired by the sweep) and a pending POR on the case: letters go
    to the verified, unexpired ones (SPEC §8)."""
    doc = UploadedDocument.objects.create(
        purpose=UploadedDocument.Purpose.AUTHORISATION, file="t/por.pdf", original_name="por.pdf",
        content_type="application/pdf", size=1, sha256="0" * 64, uploaded_by=w.worker, uploaded_at=timezone.now())
    holder = factories.user()
    kinds = [("por", "verified", None), ("ctr", "verified", w.on + days(rng_choice)), ("por", "pending", None)]
    for kind, status, end in kinds:
        Authorisation.objects.create(kind=kind, holder=holder if kind == "por" else factories.user(),
                                     beneficiary=w.case.beneficiary, case=w.case, ctr_end_date=end, document=doc,
                                     status=status, submitted_by=w.worker)


@pytest.mark.parametrize("track", [B, P, G])
@PROPERTY
@given(data=st.data())
def test_property_the_batch_engine_gives_exactly_what_the_per_case_path_gives(track, data):
    """Random histories (state reached, gaps, partial payments, random earlier sweeps, representatives,
    dated by rule or by the run date), several cases in one chunk: the same rows, to the field."""
    drawn = [data.draw(histories(track)) for _ in range(3)]
    dated_by = data.draw(st.sampled_from([sweeps.RULE, sweeps.RUN_DATE]))
    reps = data.draw(st.lists(st.integers(0, 200), min_size=3, max_size=3))
    with transaction.atomic():
        walks, last = [], None
        for (track, start, gaps, window, payments, sweep_days), rep in zip(drawn, reps):
            event(f"{track} from {start}")
            w = build_history(track, start, gaps)
            if rep % 2:
                add_representatives(w, rep)
            x = w.on
            run_days(x, x + days(window), [], sweep_days={w.case.pk: {x + days(k) for k in sweep_days}},
                     payments={x + days(k): v for k, v in payments.items()}, walks=(w,))
            walks.append(w)
            last = max(last or x + days(window), x + days(window))
        ids = sorted(w.case.pk for w in walks)
        as_of = last + days(data.draw(st.integers(0, 300)))
        as_of = min(as_of, timezone.localdate())
        (r1, a), (r2, b) = both_ways(ids, as_of, dated_by=dated_by)
        event(f"steps: {sum(len(r.steps) for r in r1)}")
        assert [(r.case_id, r.steps, r.interest_rows) for r in r1] == [(r.case_id, r.steps, r.interest_rows)
                                                                       for r in r2]
        assert a == b
        transaction.set_rollback(True)


def test_the_batch_engine_takes_the_demand_and_the_debt_steps_itself(monkeypatch):
    """The demand step (an unanswered CPN: its computation, the debt it opens), the debt steps and
    interest are all taken by the batch engine: nothing goes through process_case."""
    walks = [at_notice(B), at_demand(P), at_first_debt_step(G), at_demand(B)]
    ids = [w.case.pk for w in walks]
    taken = []
    real = sweeps.process_case
    monkeypatch.setattr(sweeps, "process_case", lambda pk, **kw: taken.append(pk) or real(pk, **kw))
    as_of = walks[0].on + days(400)
    results = sweeps.sweep(as_of=as_of, ids=ids)
    assert taken == []
    assert {r.case_id for r in results} == set(ids)
    assert all(RecoveryCase.objects.get(pk=pk).state == "referred_to_treasury" for pk in ids[1:])
    for pk in ids:
        ledger.ledger_verify(case=RecoveryCase.objects.get(pk=pk))


def test_catch_up_and_sweep_twice_through_the_batch_path():
    """One late sweep (batch) equals daily sweeps (batch), and a second sweep for the same day changes
    nothing; the per-case path gives the same."""
    for track in (B, P, G):
        daily, late, per_case = at_demand(track), at_demand(track), at_demand(track)
        x, y = daily.on, daily.on + days(260)
        run_days(x, y, [daily.case.pk])
        sweeps.sweep(as_of=y, ids=[late.case.pk])
        sweeps.sweep(as_of=y, ids=[per_case.case.pk], per_case=True)
        a, b, c = (snapshot(w.case.pk, letter_amounts=True) for w in (daily, late, per_case))
        assert a == b == c
        assert a["case"]["state"] == "referred_to_treasury"
        before = high_water()
        again = sweeps.sweep(as_of=y, ids=[daily.case.pk, late.case.pk])
        assert all(not r.steps and r.interest_rows == 0 for r in again)
        assert high_water() == before
        assert snapshot(late.case.pk, letter_amounts=True) == b


def test_one_failing_case_leaves_the_rest_of_its_chunk_done(monkeypatch, caplog):
    """A case whose letter cannot be written fails in the batch and again on its own: it is logged and left
    as it was (still due); the other cases of the chunk are done."""
    walks = [at_demand(B), at_demand(P), at_demand(G), at_demand(B)]
    bad = walks[1].case.pk
    real = compose.content

    def content(case, kind, on, **extra):
        if case.pk == bad:
            raise RuntimeError("the letter template is broken for this case")
        return real(case, kind, on, **extra)

    monkeypatch.setattr(compose, "content", content)
    as_of = walks[0].on + days(200)
    before = snapshot(bad)
    with caplog.at_level(logging.INFO):
        results = sweeps.sweep(as_of=as_of, ids=[w.case.pk for w in walks])
    assert {r.case_id for r in results} == {w.case.pk for w in walks} - {bad}
    assert snapshot(bad) == before
    assert bad in sweeps.due_case_ids(as_of=as_of)
    for w in walks:
        if w.case.pk != bad:
            assert RecoveryCase.objects.get(pk=w.case.pk).state == "referred_to_treasury"
    number = RecoveryCase.objects.get(pk=bad).number
    assert f"case {number} (id {bad}) failed" in caplog.text  # the number a person reads


def test_a_chunk_whose_bulk_write_fails_is_taken_case_by_case(monkeypatch):
    walks = [at_demand(B), at_first_debt_step(P), at_demand(G)]
    ids = [w.case.pk for w in walks]
    as_of = walks[0].on + days(300)
    (r1, expected), _ = both_ways(ids, as_of)

    def broken(*args, **kwargs):
        raise RuntimeError("the database refused the bulk insert")

    monkeypatch.setattr(batch, "_write", broken)
    since = high_water()
    results = sweeps.sweep(as_of=as_of, ids=ids)
    assert [(r.case_id, r.steps) for r in results] == [(r.case_id, r.steps) for r in r1]
    assert everything(ids, since) == expected


def test_a_second_worker_on_the_same_chunk_finds_the_steps_done():
    """The chunk's rows are locked before they are read: taking the same chunk again (a redelivery) takes
    no step twice and posts no interest twice."""
    walks = [at_demand(B), at_demand(P), at_demand(G)]
    ids = [w.case.pk for w in walks]
    as_of = walks[0].on + timedelta(days=200)
    table = sweeps.clock_table()
    actor = sweeps.services.system_user()
    first, rest = batch.sweep_chunk(ids, as_of=as_of, dated_by=sweeps.RULE, table=table, actor=actor)
    assert rest == [] and all(r.steps for r in first)
    before = high_water()
    second, rest = batch.sweep_chunk(ids, as_of=as_of, dated_by=sweeps.RULE, table=table, actor=actor)
    assert rest == [] and all(not r.steps and r.interest_rows == 0 for r in second)
    assert high_water() == before


@settings(max_examples=200, deadline=None)
@given(principal=test_money.principals, rate=test_money.rates, events=test_money.histories,
       first=st.integers(0, 400), later=st.integers(0, 200))
def test_a_schedule_cut_at_an_earlier_date_is_the_schedule_as_of_that_date(principal, rate, events, first, later):
    """rules.schedule_cut (the batch engine replays a debt once and cuts it for the earlier dates) gives
    exactly debt_schedule as of the earlier date: rows and balances."""
    late = test_money.schedule(test_money.on_day(first + later), events=events, principal=principal,
                               annual_rate=rate)
    early = test_money.schedule(test_money.on_day(first), events=events, principal=principal, annual_rate=rate)
    assert money.schedule_cut(late, test_money.on_day(first), principal=principal) == early
