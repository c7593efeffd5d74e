"""A debt's ledger (SPEC §5.5): payments, adjustments, refunds, interest "as of" any date.

People record *events* (DebtEvent: payments received, principal adjustments, refunds paid). The
ledger rows are posted from the debt's schedule, which `recovery.money.rules.debt_schedule` computes from
the debt's terms and its events alone — so assessing interest as of a date is idempotent (asking
again posts nothing), asking once after a gap posts what daily asking would have, and a recompute
from scratch agrees with the ledger to the cent (`ledger_verify`).

An event dated before rows already posted (a back-dated payment; an appeal decided in the debtor's
favour, which reduces the principal from the demand date) makes some posted rows wrong: they are
reversed by REVERSAL rows and the schedule is posted again from there. Nothing is edited or deleted.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.db import transaction

from ..cases.history import today
from . import rules as money
from .. import parsing
from ..cases.history import write as _history
from .signals import paid_in_full
from ..errors import CaseActionError
from ..models import ZERO, Debt, DebtEvent, LedgerEntry, RecoveryCase
from ..cases.selectors import debt_balance
from ..cases.tracks import State

REVIEW_STATES = {State.APPEAL_PENDING, State.WAIVER_PENDING, State.CHALLENGE_PENDING}
_EVENT_CLASSES = {
    DebtEvent.Kind.PAYMENT: lambda e: money.Payment(e.event_date, e.amount),
    DebtEvent.Kind.ADJUSTMENT: lambda e: money.PrincipalAdjustment(e.event_date, e.amount, e.reason),
    DebtEvent.Kind.REFUND: lambda e: money.RefundPaid(e.event_date, e.amount),
}


MAX_AMOUNT = Decimal(10) ** 12  # the money columns hold 14 digits, 2 after the point


def parse_money(value, field) -> Decimal:
    """A dollar amount from a person: whole cents, not negative (SPEC §9). Typed text is read by the one
    parser (recovery.parsing: "$1,250.00" yes; "1E5", "1_000", "١٢٣" no); a Decimal is checked alike."""
    if isinstance(value, str):
        try:
            return parsing.parse_money(value, field)
        except parsing.ParseError as exc:
            raise CaseActionError(exc.message, field=field) from None
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise CaseActionError("Enter an amount in dollars and cents.", field=field)
    amount = Decimal(value)
    if not amount.is_finite():
        raise CaseActionError("Enter an amount in dollars and cents.", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise CaseActionError("Amounts are in whole cents (at most two decimal places).", field=field)
    if amount < ZERO:
        raise CaseActionError("The amount cannot be negative.", field=field)
    if amount >= MAX_AMOUNT:
        raise CaseActionError(f"The amount must be below ${MAX_AMOUNT:,}.", field=field)
    return amount.quantize(Decimal("0.01"))


# --- the schedule and the posted rows ---------------------------------------------------------------


class _Posted(NamedTuple):
    date: date
    kind: str
    period: int | None
    amount: Decimal
    entry: LedgerEntry


def _money_events(debt: Debt, extra=()) -> list:
    rows = list(debt.events.order_by("event_date", "id"))
    return [_EVENT_CLASSES[e.kind](e) for e in rows] + list(extra)


def schedule_for(debt: Debt, *, as_of: date, extra_events=()) -> money.DebtSchedule:
    return money.debt_schedule(
        principal=debt.principal, annual_rate=debt.annual_rate, demand_date=debt.demand_date,
        as_of=as_of, events=_money_events(debt, extra_events), year_days=debt.year_days,
        period_days=debt.period_days, grace_days=debt.grace_days,
    )


def _posted(case) -> list[_Posted]:
    """The schedule rows in force: not the opening principal, not reversals, not reversed."""
    entries = (LedgerEntry.objects.filter(case=case, reversed_by__isnull=True)
               .exclude(kind__in=[LedgerEntry.Kind.PRINCIPAL, LedgerEntry.Kind.REVERSAL]).order_by("id"))
    return [_Posted(e.entry_date, e.kind, e.period, e.amount, e) for e in entries]


def _deltas(row: money.LedgerRow) -> tuple[Decimal, Decimal, Decimal]:
    """(principal, interest, refund owed) changes of one schedule row."""
    if row.kind == money.INTEREST:
        return ZERO, row.amount, ZERO
    if row.kind == money.REFUND:
        return ZERO, ZERO, -row.amount
    return -row.to_principal, -row.to_interest, row.to_refund  # payment, adjustment


def _reverse(case, posted: list[_Posted], actor_name, why):
    for p in reversed(posted):
        e = p.entry
        LedgerEntry.objects.create(
            case=case, kind=LedgerEntry.Kind.REVERSAL, entry_date=e.entry_date, amount=e.amount, reverses=e,
            principal=-e.principal, interest=-e.interest, refund_owed=-e.refund_owed, actor_name=actor_name,
            note=f"Reverses {e.get_kind_display().lower()} of ${e.amount} on {e.entry_date}: {why}"[:300],
        )


@dataclass(frozen=True)
class SyncPlan:
    """What assessing a debt as of a date does, worked out before anything is written (pure)."""

    as_of: date
    schedule: money.DebtSchedule
    reverse_from: int | None  # posted[reverse_from:] are reversed first (an earlier-dated event), or None
    new: tuple  # the schedule rows to post
    next_due: date | None


def sync_plan(debt: Debt, *, as_of: date, events: list, posted: list, schedule=None) -> SyncPlan:
    """The one rule of an assessment (SPEC §5.5): the schedule as of max(`as_of`, posted_through) from
    the debt's terms and `events`; the rows `posted` lacks (reversing from the first that diverged);
    the next assessment date. Used by `_sync` and by the sweep's batch engine (data preloaded; it may
    pass the schedule as of max(`as_of`, posted_through) it already computed from the same events)."""
    as_of = max(as_of, debt.posted_through)
    schedule = schedule or money.debt_schedule(
        principal=debt.principal, annual_rate=debt.annual_rate, demand_date=debt.demand_date, as_of=as_of,
        events=events, year_days=debt.year_days, period_days=debt.period_days, grace_days=debt.grace_days)
    try:
        new, reverse_from = money.rows_to_append(posted=posted, schedule=schedule), None
    except money.ScheduleDivergedError as diverged:
        new, reverse_from = schedule.rows[diverged.index:], diverged.index
    return SyncPlan(as_of, schedule, reverse_from, tuple(new),
                    next_assessment_date(debt, as_of=as_of, principal=schedule.principal))


def ledger_row_values(case_id: int, row: money.LedgerRow, actor_name: str) -> dict:
    """The columns of the ledger row posting one schedule row (the one place a schedule row becomes a
    ledger row)."""
    principal, interest, refund_owed = _deltas(row)
    return {"case_id": case_id, "kind": row.kind, "entry_date": row.date, "amount": row.amount, "period": row.period,
            "base": row.base, "note": row.note[:300], "actor_name": actor_name, "principal": principal,
            "interest": interest, "refund_owed": refund_owed}


def ledger_rows(case_id: int, rows, actor_name: str) -> list[LedgerEntry]:
    """Unsaved LedgerEntry rows for schedule rows."""
    return [LedgerEntry(**ledger_row_values(case_id, row, actor_name)) for row in rows]


def _sync(debt: Debt, *, as_of: date, actor_name: str) -> money.DebtSchedule:
    """Post what the schedule as of `as_of` has and the ledger lacks. The caller holds the debt's lock."""
    posted = _posted(debt.case)
    plan = sync_plan(debt, as_of=as_of, events=_money_events(debt), posted=posted)
    schedule, as_of = plan.schedule, plan.as_of
    if plan.reverse_from is not None:
        _reverse(debt.case, posted[plan.reverse_from:], actor_name, "an earlier-dated event changed the schedule")
    LedgerEntry.objects.bulk_create(ledger_rows(debt.case_id, plan.new, actor_name))
    next_due = plan.next_due
    if (as_of, next_due) != (debt.posted_through, debt.next_assessment_date):
        debt.posted_through, debt.next_assessment_date = as_of, next_due
        debt.save(update_fields=["posted_through", "next_assessment_date"])
    balance = debt_balance(case=debt.case)
    if (balance.principal, balance.interest, balance.refund_owed) != (
            schedule.principal, schedule.interest, schedule.refund_owed):
        raise AssertionError(f"Ledger of case {debt.case_id} disagrees with its schedule: {balance} vs {schedule}")
    return schedule


def next_assessment_date(debt: Debt, *, as_of: date, principal: Decimal) -> date | None:
    """The first day after `as_of` on which time alone can post interest (SPEC §5.5): the day after the
    grace days, then each period's last day. None once no principal is left to accrue on."""
    if principal <= ZERO:
        return None
    day = (as_of - debt.demand_date).days
    if day <= debt.grace_days:
        return debt.demand_date + timedelta(days=debt.grace_days + 1)
    next_end = (day // debt.period_days + 1) * debt.period_days
    return debt.demand_date + timedelta(days=next_end)


def _locked_debt(case) -> Debt:
    try:
        return Debt.objects.select_for_update().select_related("case").get(case=case)
    except Debt.DoesNotExist:
        raise CaseActionError("This case has no debt: no demand has been issued.") from None


# --- services ------------------------------------------------------------------------------------


@transaction.atomic
def debt_open(*, case: RecoveryCase, principal: Decimal, on: date, terms, computation: dict, actor_name: str) -> Debt:
    """Called by the demand step: the debt, its terms fixed from the rate in force on the demand date."""
    debt, opening = debt_new(case=case, principal=principal, on=on, terms=terms, computation=computation,
                             actor_name=actor_name)
    debt.save(force_insert=True)
    LedgerEntry.objects.create(**opening)
    return debt


def debt_new(*, case: RecoveryCase, principal: Decimal, on: date, terms, computation: dict, actor_name: str):
    """The debt a demand opens and its opening ledger row (as column values), unsaved: `debt_open` saves
    them, the sweep's batch engine bulk-inserts them."""
    debt = Debt(
        case=case, demand_date=on, principal=principal, annual_rate=terms.annual_rate, year_days=terms.year_days,
        period_days=terms.period_days, grace_days=terms.grace_days, rate_effective_from=terms.effective_from,
        computation=computation, posted_through=on,
        next_assessment_date=on + timedelta(days=terms.grace_days + 1),
    )
    opening = {"case_id": case.pk, "kind": LedgerEntry.Kind.PRINCIPAL, "entry_date": on, "principal": principal,
               "amount": principal, "note": "Demand principal", "actor_name": actor_name}
    return debt, opening


@transaction.atomic
def interest_assess(*, case: RecoveryCase, as_of: date, actor_name: str) -> list[LedgerEntry]:
    """Post every interest row due through `as_of` (SPEC §5.5). Asking again posts nothing."""
    if as_of > today():
        raise CaseActionError("Interest cannot be assessed for a day that has not come.", field="as_of")
    debt = _locked_debt(case)
    before = LedgerEntry.objects.filter(case=case).count()
    _sync(debt, as_of=as_of, actor_name=actor_name)
    return list(LedgerEntry.objects.filter(case=case).order_by("id")[before:])


def ledger_verify(*, case: RecoveryCase) -> money.DebtSchedule:
    """Recompute the debt from its events alone and check the ledger agrees, row for row and to the cent."""
    debt = case.debt
    schedule = schedule_for(debt, as_of=debt.posted_through)
    posted = _posted(case)
    if [(p.date, p.kind, p.period, p.amount) for p in posted] != [
            (r.date, r.kind, r.period, r.amount) for r in schedule.rows]:
        raise AssertionError(f"Ledger rows of case {case.pk} differ from the recomputed schedule")
    balance = debt_balance(case=case)
    if (balance.principal, balance.interest, balance.refund_owed) != (
            schedule.principal, schedule.interest, schedule.refund_owed):
        raise AssertionError(f"Ledger balances of case {case.pk} differ from the recomputed schedule")
    return schedule


def _record_event(case, *, kind, amount, on, actor, reason="", field="received_on", event_date=None) -> Debt:
    """Record an event dated `event_date` (default `on`) and post the ledger through `on`."""
    debt = _locked_debt(case)
    if on < debt.demand_date:
        raise CaseActionError("The date is before the demand.", field=field)
    DebtEvent.objects.create(debt=debt, kind=kind, event_date=event_date or on, amount=amount, reason=reason,
                             actor_name=actor.get_username())
    try:
        _sync(debt, as_of=on, actor_name=actor.get_username())
    except money.MoneyInputError as exc:  # e.g. a refund dated before the overpayment it returns
        raise CaseActionError(f"On that date this cannot be booked: {exc}", field=field) from exc
    return debt


def overpayment_warning(overpaid: Decimal) -> str:
    """What a person is told when a payment is more than the balance (SPEC §5.5: a refund is owed)."""
    return (f"This payment is ${overpaid:,} more than the balance: a refund of ${overpaid:,} is now owed to "
            "the debtor.")


@transaction.atomic
def payment_record(*, case: RecoveryCase, amount, received_on: date, actor) -> DebtEvent:
    """A payment received: interest due by its date is assessed first, then it is applied to interest,
    then principal; any excess is a refund owed. A payment that clears the balance closes the case.

    The event returned has ``overpaid``: by how much the payment raised the refund owed ($0.00 if it
    did not); an overpayment is written to the case history (the close's reason, or its own event)."""
    amount = parse_money(amount, "amount")
    if amount == ZERO:
        raise CaseActionError("A payment must be more than $0.00.", field="amount")
    case = RecoveryCase.objects.get(pk=case.pk)
    if case.state == State.CLOSED_PAID:
        raise CaseActionError("This case is closed as paid; nothing is owed.", field="amount")
    if case.state == State.CLOSED_NO_RECOVERY or not Debt.objects.filter(case=case).exists():
        raise CaseActionError("Payments are recorded once a demand has been issued.", field="amount")
    if received_on > today():
        raise CaseActionError("The payment cannot be dated in the future.", field="received_on")
    owed_before = debt_balance(case=case).refund_owed
    debt = _record_event(case, kind=DebtEvent.Kind.PAYMENT, amount=amount, on=received_on, actor=actor)
    balance = debt_balance(case=case)
    overpaid = max(balance.refund_owed - owed_before, ZERO)
    warning = overpayment_warning(overpaid) if overpaid else ""
    if balance.total == ZERO and case.state not in REVIEW_STATES | {State.ON_HOLD}:
        # Paid while under review: the decision closes it (with a refund if it goes the debtor's way);
        # paid while on hold: it closes once resumed.
        # The case machine closes it (recovery/cases/receivers.py): the ledger does not take steps.
        last = case.events.order_by("-effective_date").values_list("effective_date", flat=True).first()
        paid_in_full.send(sender=RecoveryCase, case=case, actor=actor, on=max(received_on, last),
                          reason="Paid in full" + (f". {warning}" if warning else ""))
    elif warning:
        case.refresh_from_db(fields=["state"])
        _history(case, "record_payment", actor=actor, on=received_on, from_state=case.state,
                 reason=f"Payment of ${amount:,}. {warning}")
    event = debt.events.order_by("-id").first()
    event.overpaid = overpaid
    return event


@transaction.atomic
def refund_record(*, case: RecoveryCase, amount, paid_on: date, actor) -> DebtEvent:
    amount = parse_money(amount, "amount")
    if paid_on > today():
        raise CaseActionError("The refund cannot be dated in the future.", field="paid_on")
    owed = debt_balance(case=case).refund_owed
    if amount == ZERO or amount > owed:
        raise CaseActionError(f"The refund owed is ${owed}; a refund paid must be more than $0.00 and no more.",
                              field="amount")
    debt = _record_event(case, kind=DebtEvent.Kind.REFUND, amount=amount, on=paid_on, actor=actor, field="paid_on")
    return debt.events.order_by("-id").first()


@dataclass(frozen=True)
class ReviewOutcome:
    """What a favourable appeal, waiver or challenge does to the debt, worked out before it is booked."""

    reduction: Decimal
    close_as: str | None

    def book(self, *, case, on, actor, reason):
        if self.reduction:
            _record_event(case, kind=DebtEvent.Kind.ADJUSTMENT, amount=self.reduction, on=on, actor=actor,
                          reason=reason[:200], field="on", event_date=case.debt.demand_date)


def review_outcome(*, case: RecoveryCase, reduced_to, on: date) -> ReviewOutcome:
    """A favourable decision finds the debt was `reduced_to` all along: the principal is reduced from
    the demand date, so interest is recomputed on the lower principal and what was paid above it is
    owed back (SPEC §3.1, §5.5). Cancelled (0) with nothing paid → no recovery; a balance of zero →
    paid; otherwise the case goes back to its clock."""
    if reduced_to in (None, ""):
        raise CaseActionError("A favourable decision gives the reduced debt (0.00 cancels it).", field="reduced_to")
    reduced_to = parse_money(reduced_to, "reduced_to")
    debt = Debt.objects.get(pk=case.debt.pk)
    earlier = sum(debt.events.filter(kind=DebtEvent.Kind.ADJUSTMENT).values_list("amount", flat=True), ZERO)
    current = debt.principal - earlier  # after earlier favourable decisions
    if reduced_to >= current:
        raise CaseActionError(f"The reduced debt must be below the principal as it stands (${current}).",
                              field="reduced_to")
    reduction = current - reduced_to
    adjustment = money.PrincipalAdjustment(debt.demand_date, reduction, "review")
    schedule = schedule_for(debt, as_of=max(on, debt.posted_through), extra_events=[adjustment])
    paid = debt.events.filter(kind=DebtEvent.Kind.PAYMENT).exists()
    if reduced_to == ZERO and not paid:
        return ReviewOutcome(reduction, State.CLOSED_NO_RECOVERY)
    if schedule.balance == ZERO:
        return ReviewOutcome(reduction, State.CLOSED_PAID)
    return ReviewOutcome(reduction, None)


def balances_as_of(*, debts, as_of: date) -> dict[int, money.DebtSchedule]:
    """As-of balances of many debts at once: two queries (debts, their events), then the schedules in
    memory (SPEC §5.5). Interest due through `as_of` counts whether or not it has been posted yet.

    The replay baseline: it holds every schedule at once. For every debt in bounded memory — the
    current ones summed from the posted ledger, the rest replayed — use recovery.money.balances."""
    debts = list(debts)
    by_debt: dict[int, list] = {d.pk: [] for d in debts}
    events = DebtEvent.objects.filter(debt_id__in=by_debt, event_date__lte=as_of).order_by("event_date", "id")
    for e in events.iterator(chunk_size=5000):
        by_debt[e.debt_id].append(_EVENT_CLASSES[e.kind](e))
    out = {}
    for d in debts:
        out[d.case_id] = money.debt_schedule(
            principal=d.principal, annual_rate=d.annual_rate, demand_date=d.demand_date, as_of=max(as_of, d.demand_date),
            events=by_debt[d.pk], year_days=d.year_days, period_days=d.period_days, grace_days=d.grace_days)
    return out
