"""The sweep's batch engine (SPEC §4 scheduled jobs, §10 performance).

`sweeps.process_case` takes one case at a time through the services: ~48 queries a due case. This
engine takes a chunk of due cases at once:

1. load: the chunk's cases (locked, ordered by id), their debts (locked), the debts' events, their
   ledger rows, the date of each case's last step and the representatives the letters go to — a few
   queries for the whole chunk;
2. decide: each case's steps in memory with the same rules the per-case path uses — `sweeps.due_step`,
   `guards.why_not` (fed the ledger balance held in memory), the case machine's transitions,
   `clocks.next_deadline`, `ledger.sync_plan` / `money.debt_schedule`, `letters.letter_for`; nothing
   of SPEC is restated here, this module only orders the calls and buffers the writes;
3. write: every effect of the chunk with bulk inserts/updates (recovery.bulk_rows) — new debts, ledger
   rows, debts' dates, the case rows, their simple-history rows, the CaseEvents, the Letters and their
   LetterDelivery rows.

The demand step of an unanswered CPN or payment notice is taken here too: `services.demand_step` works
out its amount, letter and debt (the same function `_issue_demand` calls), the debt and its opening
row (`ledger.debt_new`) are bulk-inserted with the rest. A case this engine does not take (a demand
the computation refuses; a ledger that must be reversed; a step a guard refuses; anything that raises) is left out of the chunk's writes and
taken afterwards through `sweeps.process_case`, which gives it the per-case behaviour: its own
transaction, and a failure logged while the rest of the chunk stays done. If the chunk's writes fail
as a whole, every case of the chunk takes the per-case path.

Idempotency and catch-up are those of the per-case path: what is due comes from the stored dates
only, and the chunk's rows are locked (blocking, in id order, like process_case's lock) before they
are read, so a second worker on the same chunk waits and then finds the steps done.
"""

import functools
import gc
import logging
import operator
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max, prefetch_related_objects
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .. import bulk_rows
from ..cases import services
from .counting import due_step
from ..cases.guards import why_not
from ..cases import selectors
from ..cases.selectors import Balance
from ..cases.tracks import CLOSED_STATES, State
from ..errors import CaseActionError
from ..letters import compose as letters
from ..models import CaseEvent, Debt, DebtEvent, LedgerEntry, Letter, LetterDelivery, RecoveryCase
from ..money import ledger
from ..money import rules as money

log = logging.getLogger(__name__)
# Seconds spent per phase since the process started (bench_sweep prints them): load, decide, write.
TIMINGS: Counter = Counter()

# The steps this engine takes (the debt letters, SPEC §3.1-§3.3); the services name their letters.
DEBT_STEPS = services.DEBT_LETTER_KINDS


# The states whose automatic step is the demand (due_step: an unanswered CPN or payment notice).
DEMAND_STATES = (State.CPN_ISSUED, State.PAYMENT_NOTICE_ISSUED)

RULE, RUN_DATE = "rule", "run_date"  # a step dated by its rule's day, or by the sweep's run date


@dataclass
class CaseResult:
    case_id: int
    steps: list  # (action, date)
    interest_rows: int


class Fallback(Exception):
    """This case takes the per-case path (sweeps.process_case)."""


@dataclass
class _Ledger:
    """One debt's ledger as loaded, kept current in memory while the chunk is decided."""

    debt: Debt
    events: list  # money events (rules.Payment, …) in the ledger's order
    posted: list  # ledger._Posted-like rows in force
    balance: list  # [principal, interest, refund_owed]: the sums over every ledger row
    horizon: object = None  # the latest date the sweep asks about (replayed once; earlier dates are cut)
    schedules: dict = field(default_factory=dict)

    def schedule(self, as_of):
        s = self.schedules.get(as_of)
        if s is None:
            d = self.debt
            if self.horizon and as_of < self.horizon:
                s = money.schedule_cut(self.schedule(self.horizon), as_of, principal=d.principal)
            else:
                s = money.debt_schedule(
                    principal=d.principal, annual_rate=d.annual_rate, demand_date=d.demand_date, as_of=as_of,
                    events=self.events, year_days=d.year_days, period_days=d.period_days, grace_days=d.grace_days)
            self.schedules[as_of] = s
        return s


@dataclass
class _Out:
    """The buffered effects of one case (merged into the chunk's only once the case is decided)."""

    ledger: list = field(default_factory=list)
    debt_dirty: bool = False
    snapshots: list = field(default_factory=list)  # the case after each step (its history rows)
    events: list = field(default_factory=list)
    letters: list = field(default_factory=list)
    fields: set = field(default_factory=set)
    new_debt: Debt | None = None  # the debt a demand step opened


def _id_set(ids):
    """The chunk's ids as an `__in` value: on PostgreSQL one array parameter (`IN (SELECT unnest(%s))`)
    instead of 500 placeholders, each prepared by Django and by psycopg (~1 ms a query); else the list."""
    if transaction.get_connection().vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [bulk_rows.array_literal(ids)])
    return list(ids)


def _load(ids, as_of):
    ids = _id_set(ids)
    cases = list(RecoveryCase.objects.select_for_update(of=("self",))
                 .select_related("beneficiary", "debtor_payer", "settlement").filter(pk__in=ids).order_by("pk"))
    # the claims a demand step counts (demand_computation) and the related ones its letter lists, in
    # selectors.related_claims's order (the database's)
    demanding = [c for c in cases if c.state in DEMAND_STATES]
    prefetch_related_objects(demanding, "claims")
    related = defaultdict(list)
    for claim in selectors.related_claims_of(case_ids=_id_set([c.pk for c in demanding])):
        related[claim.case_id].append(claim)
    debts = {d.case_id: d for d in Debt.objects.select_for_update().filter(case_id__in=ids).order_by("case_id")}
    events = defaultdict(list)
    for e in DebtEvent.objects.filter(debt__case_id__in=ids).order_by("event_date", "id"):
        events[e.debt_id].append(ledger._EVENT_CLASSES[e.kind](e))
    rows = defaultdict(list)
    for r in LedgerEntry.objects.filter(case_id__in=ids).order_by("id").values_list(
            "id", "case_id", "kind", "entry_date", "period", "amount", "principal", "interest", "refund_owed",
            "reverses_id"):
        rows[r[1]].append(r)
    ledgers = {}
    skip = {LedgerEntry.Kind.PRINCIPAL, LedgerEntry.Kind.REVERSAL}
    for case_id, debt in debts.items():
        entries = rows.get(case_id, [])
        reversed_ids = {r[9] for r in entries if r[9]}
        posted = [ledger._Posted(r[3], r[2], r[4], r[5], None) for r in entries
                  if r[2] not in skip and r[0] not in reversed_ids]
        balance = [sum((r[k] for r in entries), money.ZERO) for k in (6, 7, 8)]
        ledgers[case_id] = _Ledger(debt, events.get(debt.pk, []), posted, balance,
                                   horizon=max(as_of, debt.posted_through))
    last = dict(CaseEvent.objects.filter(case_id__in=ids).values("case_id").annotate(m=Max("effective_date"))
                .values_list("case_id", "m"))
    auths = defaultdict(list)
    for a in letters.representatives(case_ids=ids):
        auths[a.case_id].append(a)
    return cases, ledgers, last, auths, related


def _assess(lg: _Ledger, as_of, actor_name, out: _Out) -> list:
    """ledger.interest_assess in memory: post what the schedule has and the ledger lacks."""
    debt = lg.debt
    plan = ledger.sync_plan(debt, as_of=as_of, events=lg.events, posted=lg.posted,
                            schedule=lg.schedule(max(as_of, debt.posted_through)))
    if plan.reverse_from is not None:
        raise Fallback("the ledger must be reversed from an earlier-dated event")
    rows = [ledger.ledger_row_values(debt.case_id, r, actor_name) for r in plan.new]
    out.ledger.extend(rows)
    for r, e in zip(plan.new, rows):
        lg.posted.append(ledger._Posted(r.date, r.kind, r.period, r.amount, None))
        lg.balance = [lg.balance[0] + e["principal"], lg.balance[1] + e["interest"],
                      lg.balance[2] + e["refund_owed"]]
    if (plan.as_of, plan.next_due) != (debt.posted_through, debt.next_assessment_date):
        debt.posted_through, debt.next_assessment_date = plan.as_of, plan.next_due
        out.debt_dirty = True
    s = plan.schedule
    if tuple(lg.balance) != (s.principal, s.interest, s.refund_owed):
        raise AssertionError(f"Ledger of case {debt.case_id} disagrees with its schedule: {lg.balance} vs {s}")
    return rows


@functools.cache
def _history_fields():
    """The columns simple-history copies from the case (RecoveryCase.history builds a manager per access)."""
    return [f.attname for f in RecoveryCase.history.model.tracked_fields]


@functools.cache
def _case_fields():
    """The case's columns but its key, and getters reading them (with the history's) from an instance's
    __dict__ in one call: a loaded case holds every column there (no deferred fields; the FSM state too),
    and a getattr through each field's descriptor was ~2 M calls a 20,000-case sweep."""
    fields = tuple(f.attname for f in RecoveryCase._meta.concrete_fields if not f.primary_key)
    return fields, operator.itemgetter(*fields), operator.itemgetter(*_history_fields())


def decide(case, lg, last, auths, *, as_of, dated_by, table, actor, today, now, terms_on=None, related=None):
    """One case's steps and interest, as process_case would take them, into a buffer (nothing written)."""
    out, steps, actor_name = _Out(), [], actor.get_username()
    fields, values_of, history_of = _case_fields()
    history_fields = _history_fields()
    state = case.__dict__  # every column of the loaded case (see _case_fields)
    while case.state not in CLOSED_STATES:
        step = due_step(case, table)
        if step is None or step.on > as_of:
            break
        demand = step.action == "issue_demand"
        if not (demand or step.action in DEBT_STEPS) or (lg is None) != demand or last is None:
            raise Fallback(step.action)
        if not demand and lg.schedule(max(step.on, lg.debt.demand_date)).balance <= 0:
            break  # paid by the step's date (process_case)
        on = max(step.on, last) if dated_by == RULE else max(as_of, step.on)
        steps.append((step.action, on))
        # services.case_act / _check (the row is locked; the copy is the one just loaded)
        if on > today:
            raise Fallback("a step dated in the future")
        if why_not(case, step.action, user=actor, on=on, table=table,
                   balance=None if demand else Balance(*lg.balance)) or on < last:
            raise Fallback("refused")
        if demand:
            # services._issue_demand: the amount, the letter's facts and the debt it opens (unsaved)
            try:
                plan, comp, terms = services.demand_step(case, on=on, terms_on=terms_on)
            except CaseActionError as exc:
                raise Fallback(exc.message) from None
            fsm_kwargs, kind, amount = plan.fsm_kwargs, plan.letter_kind, plan.letter_amount
            extra = {**plan.letter_extra, "related": related}
        else:
            # services._debt_letter: interest through the letter's date; the letter states the debt as of it
            _assess(lg, on, actor_name, out)
            balance = lg.schedule(on)
            fsm_kwargs, kind, amount = {}, DEBT_STEPS[step.action], balance.balance
            extra = {"principal": balance.principal, "interest": balance.interest}
            referral = services._referral_date(case, step.action, on, table)
            if referral:
                extra["referral_date"] = referral.isoformat()
        # services._perform: transition, deadline, save, history, letter
        from_state = case.state
        before = values_of(state)
        getattr(case, step.action)(on=on, **fsm_kwargs)
        services._refresh_deadline(case, table)
        case.updated_at = now
        out.fields.update(name for name, old, new in zip(fields, before, values_of(state)) if old != new)
        out.fields.add("updated_at")
        out.snapshots.append(dict(zip(history_fields, history_of(state))))
        event = CaseEvent(case=case, effective_date=on, actor=actor, actor_name=actor_name, action=step.action,
                          from_state=from_state, to_state=case.state, reason=step.why.strip())
        out.events.append(event)
        if demand:  # the after-save of _issue_demand: ledger.debt_open
            debt, opening = ledger.debt_new(case=case, principal=comp.amount, on=on, terms=terms,
                                            computation=comp.as_dict(), actor_name=actor_name)
            out.new_debt = debt
            out.ledger.append(opening)
            lg = _Ledger(debt, [], [], [comp.amount, money.ZERO, money.ZERO], horizon=max(as_of, on))
        token = letters.extra_content.set({"dated_by": dated_by})
        try:
            out.letters.append(letters.letter_for(case, kind, on=on, event=event, amount=amount, auths=auths,
                                                  **extra))
        finally:
            letters.extra_content.reset(token)
        last = on
    interest_rows = 0
    if case.state not in CLOSED_STATES and lg is not None:
        interest_rows = len(_assess(lg, as_of, actor_name, out))
    return CaseResult(case.pk, steps, interest_rows), out


def _write(cases_out, debts):
    """Every effect of the decided cases, table by table, in the order the per-case path writes them
    (recovery.bulk_rows: COPY on PostgreSQL)."""
    outs = [out for _, out in cases_out]
    bulk_rows.insert_objects(Debt, [o.new_debt for o in outs if o.new_debt])
    bulk_rows.insert(LedgerEntry, [r for o in outs for r in o.ledger], fill=True)
    bulk_rows.update(Debt, [debts[c.pk] for c, o in cases_out if o.debt_dirty and not o.new_debt],
                     ["posted_through", "next_assessment_date"])
    stepped = [(c, o) for c, o in cases_out if o.snapshots]
    if not stepped:
        return
    # one UPDATE for the chunk: the columns any of its cases changed (a case's other columns among them are
    # set to the values it holds, locked since the load)
    bulk_rows.update(RecoveryCase, [c for c, _ in stepped], sorted(set().union(*(o.fields for _, o in stepped))))
    # the simple-history row a save of the case writes (HistoricalRecords.post_save: no request, so the
    # default history user; no change reason)
    history = RecoveryCase.history.model
    bulk_rows.insert(history, bulk_rows.history_rows(RecoveryCase, [s for o in outs for s in o.snapshots],
                                                     actor=history.get_default_history_user(None),
                                                     history_type="~"))
    bulk_rows.insert_objects(CaseEvent, [e for o in outs for e in o.events])
    all_letters = [lt for o in outs for lt in o.letters]  # each takes its event's new id
    bulk_rows.insert_objects(Letter, all_letters)
    bulk_rows.insert(LetterDelivery, [{"letter_id": lt.pk, **letters.delivery_values(r)}
                                      for lt in all_letters for r in lt.recipients], fill=True)


def sweep_chunk(ids, *, as_of, dated_by, table, actor, terms_on=None):
    """Take the chunk `ids`; return (results of the cases taken here, ids left for the per-case path).
    `terms_on`: the interest terms in force by date, kept across the chunks of one sweep (a demand's)."""
    today, now = services.today(), timezone.now()
    collecting = gc.isenabled()
    gc.disable()  # a chunk allocates many short-lived objects and no cycles worth collecting mid-chunk
    try:
        return _sweep_chunk(ids, as_of=as_of, dated_by=dated_by, table=table, actor=actor, today=today, now=now,
                            terms_on={} if terms_on is None else terms_on)
    finally:
        if collecting:
            gc.enable()


def _sweep_chunk(ids, *, as_of, dated_by, table, actor, today, now, terms_on):
    with transaction.atomic():
        t0 = time.perf_counter()
        cases, ledgers, last, auths, related = _load(ids, as_of)
        t1 = time.perf_counter()
        found = {c.pk for c in cases}
        done, fallback = [], [pk for pk in ids if pk not in found]
        for case in cases:
            try:
                result, out = decide(case, ledgers.get(case.pk), last.get(case.pk), auths.get(case.pk, []),
                                     as_of=as_of, dated_by=dated_by, table=table, actor=actor, today=today, now=now,
                                     terms_on=terms_on,
                                     # loaded for the demand states only: elsewhere the letter reads its own
                                     related=related[case.pk] if case.state in DEMAND_STATES else None)
            except Exception as exc:  # noqa: BLE001 — the per-case path retakes it, with its own error handling
                if not isinstance(exc, Fallback):
                    log.info("case %s (id %s): batch engine gave way to the per-case path (%r)", case.number, case.pk, exc)
                fallback.append(case.pk)
                continue
            done.append((case, result, out))
        t2 = time.perf_counter()
        _write([(c, o) for c, _, o in done], {c.pk: ledgers[c.pk].debt for c, _, o in done if c.pk in ledgers})
        TIMINGS.update(load=t1 - t0, decide=t2 - t1, write=time.perf_counter() - t2)
    return [r for _, r, _ in done], fallback
