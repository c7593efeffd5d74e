"""As-of balances of every debt, streamed in bounded memory (SPEC §5.5 interest and ledger, §10 scale).

The balance of a debt as of a date D is what its schedule (`recovery.money.rules.debt_schedule`, the one
place the interest rule lives) comes to at the end of D from the debt's terms and its events dated by D.
`recovery.money.ledger.balances_as_of` replays every schedule: that is the baseline. Most debts do not
need it, because their ledger already holds every row the schedule has up to D:

- The ledger is append-only and kept equal to the schedule as of `Debt.posted_through` (ledger._sync
  runs in the same transaction as every event it records, and an event is never dated after the day it
  is posted through). A back-dated event is absorbed then and there: the rows it invalidates are
  reversed by REVERSAL rows *bearing the reversed row's date*, and the schedule is posted again. So the
  rows dated on or before D — reversed rows and their reversals netting to nothing — sum to the
  schedule's balances at the end of D whenever D <= posted_through (the schedule as of D is a prefix
  of the schedule as of any later day, rules.debt_schedule).
- Past posted_through only time can add rows, and `Debt.next_assessment_date` is the first day it can
  (ledger.next_assessment_date; empty once no principal is left to accrue on). So a debt whose next
  assessment falls after D is current through D as well — provided no event is dated after
  posted_through, which this module checks rather than assumes.

Such a debt is *current* through D, and its balance is a plain sum of posted rows dated by D (one GROUP BY
per chunk of debts). Every other debt is *replayed* from its events with the pure schedule rules. Debts are
read in chunks of `chunk_size` by case id (keyset, never OFFSET), so memory holds one chunk whatever the
number of debts. Money stays exact: PostgreSQL sums NUMERIC; SQLite's SUM goes through floating point, so
there each row is summed as an integer number of cents.
"""

import time
from datetime import date
from decimal import Decimal
from typing import Iterator, NamedTuple

from django.db import connection
from django.db.models import BigIntegerField, F, Sum
from django.db.models.functions import Cast, Round

from ..models import ZERO, Debt, DebtEvent, LedgerEntry
from . import rules

CHUNK_SIZE = 5000
_EVENT_CLASSES = {
    DebtEvent.Kind.PAYMENT: lambda d, amount, reason: rules.Payment(d, amount),
    DebtEvent.Kind.ADJUSTMENT: lambda d, amount, reason: rules.PrincipalAdjustment(d, amount, reason),
    DebtEvent.Kind.REFUND: lambda d, amount, reason: rules.RefundPaid(d, amount),
}
_DEBT_FIELDS = ("case_id", "id", "principal", "annual_rate", "demand_date", "year_days", "period_days",
                "grace_days", "posted_through", "next_assessment_date")


class AsOfBalance(NamedTuple):
    """A debt's balances at the end of the as-of day. `replayed`: computed from its events, not summed."""

    case_id: int
    principal: Decimal
    interest: Decimal
    refund_owed: Decimal
    replayed: bool = False
    case_number: str = ""

    @property
    def balance(self) -> Decimal:
        """What the debtor owes: principal and interest (a refund owed is the other way round)."""
        return self.principal + self.interest


CSV_COLUMNS = ["case_number", "principal", "interest", "balance", "refund_owed", "computed"]


def csv_row(b: AsOfBalance) -> list:
    """One debt's row of an as-of balances CSV (the balances_as_of command, the dashboard's download)."""
    return [b.case_number, b.principal, b.interest, b.balance, b.refund_owed, "replayed" if b.replayed else "ledger"]


def is_current(*, posted_through: date, next_assessment_date: date | None, as_of: date) -> bool:
    """Does the posted ledger already hold every schedule row dated up to `as_of`? (See the module text;
    the caller still checks that no event is dated after `posted_through`.)"""
    if as_of <= posted_through:
        return True
    return next_assessment_date is None or next_assessment_date > as_of


def _sums(rows):
    """SUM of the three change columns by case: exact on both databases (SPEC §5: never float)."""
    if connection.vendor == "postgresql":
        return rows.values("case_id").annotate(p=Sum("principal"), i=Sum("interest"), r=Sum("refund_owed"))
    cents = {k: Sum(Cast(Round(F(col) * 100), BigIntegerField()))
             for k, col in (("p", "principal"), ("i", "interest"), ("r", "refund_owed"))}
    return rows.values("case_id").annotate(**cents)


def _exact(value) -> Decimal:  # PostgreSQL: NUMERIC sums arrive as Decimals
    return ZERO if value is None else value


def _from_cents(value) -> Decimal:  # SQLite: integer cents
    return ZERO if value is None else Decimal(int(value)).scaleb(-2)


def _reader():
    return _exact if connection.vendor == "postgresql" else _from_cents


def posted_sums_as_of(*, as_of: date, chunk_size: int = CHUNK_SIZE) -> Iterator[AsOfBalance]:
    """One SQL aggregate over the ledger rows posted with a date up to `as_of`, by case, in case order
    (streamed through a server-side cursor on PostgreSQL). Right only for debts current through `as_of`:
    the floor `balances` is measured against (bench_balances), not a balance report by itself."""
    money = _reader()
    rows = _sums(LedgerEntry.objects.filter(entry_date__lte=as_of)).order_by("case_id")
    for r in rows.values_list("case_id", "p", "i", "r").iterator(chunk_size=chunk_size):
        yield AsOfBalance(r[0], money(r[1]), money(r[2]), money(r[3]))


def _debt_chunks(debts, as_of: date, chunk_size: int, with_number: bool):
    fields = _DEBT_FIELDS + (("case__number",) if with_number else ())
    qs = debts.filter(demand_date__lte=as_of).order_by("case_id").values_list(*fields)
    last = None
    while True:
        chunk = list((qs if last is None else qs.filter(case_id__gt=last))[:chunk_size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0]


def _replay(chunk, as_of: date) -> dict[int, rules.DebtSchedule]:
    """The schedules of the debts of a chunk that need them, from their events (one query)."""
    events: dict[int, list] = {row[1]: [] for row in chunk}
    for debt_id, kind, on, amount, reason in (
            DebtEvent.objects.filter(debt_id__in=list(events), event_date__lte=as_of)
            .order_by("debt_id", "event_date", "id").values_list("debt_id", "kind", "event_date", "amount", "reason")):
        events[debt_id].append(_EVENT_CLASSES[kind](on, amount, reason))
    return {
        case_id: rules.debt_schedule(principal=principal, annual_rate=rate, demand_date=demand, as_of=as_of,
                                     events=events[debt_id], year_days=year_days, period_days=period_days,
                                     grace_days=grace_days)
        for case_id, debt_id, principal, rate, demand, year_days, period_days, grace_days, *_ in chunk
    }


def balances_as_of(*, as_of: date, debts=None, chunk_size: int = CHUNK_SIZE, with_number: bool = False,
                   stats: dict | None = None) -> Iterator[AsOfBalance]:
    """The balances at the end of `as_of` of the debts (a Debt queryset; all by default) whose demand is
    dated by then, one AsOfBalance each, in case order, a chunk of `chunk_size` debts at a time: the
    current ones summed from the posted ledger, the rest replayed (SPEC §5.5). Interest due through
    `as_of` counts whether or not it has been posted yet; events dated after it do not. `stats`, if
    given, gets the number of debts replayed and the seconds spent replaying them."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    debts = Debt.objects.all() if debts is None else debts
    money = _reader()
    for chunk in _debt_chunks(debts, as_of, chunk_size, with_number):
        current, replay = [], []
        for row in chunk:
            (current if is_current(posted_through=row[8], next_assessment_date=row[9], as_of=as_of)
             else replay).append(row)
        # Every query of a chunk is bounded by the chunk's range of case ids (an index range, not a list).
        first, last = chunk[0][0], chunk[-1][0]
        ahead = [row[1] for row in current if row[8] < as_of]
        if ahead:  # current past its posted day only if no event is dated after that day
            stray = set(DebtEvent.objects.filter(debt_id__gte=min(ahead), debt_id__lte=max(ahead),
                                                 debt__case_id__gte=first, debt__case_id__lte=last,
                                                 event_date__lte=as_of, event_date__gt=F("debt__posted_through"))
                        .values_list("debt_id", flat=True))
            if stray:
                replay += [row for row in current if row[1] in stray]
                current = [row for row in current if row[1] not in stray]
        sums = {}
        if current:
            rows = _sums(LedgerEntry.objects.filter(case_id__gte=first, case_id__lte=last, entry_date__lte=as_of))
            sums = {r[0]: r[1:] for r in rows.order_by().values_list("case_id", "p", "i", "r")}
        schedules = {}
        if replay:
            t0 = time.perf_counter()
            schedules = _replay(replay, as_of)
            if stats is not None:
                stats["replayed"] = stats.get("replayed", 0) + len(replay)
                stats["replay_s"] = stats.get("replay_s", 0.0) + time.perf_counter() - t0
        for row in chunk:
            case_id = row[0]
            number = row[10] if with_number else ""
            schedule = schedules.get(case_id)
            if schedule is not None:
                yield AsOfBalance(case_id, schedule.principal, schedule.interest, schedule.refund_owed, True, number)
            else:
                p, i, r = sums.get(case_id, (None, None, None))
                yield AsOfBalance(case_id, money(p), money(i), money(r), False, number)
