"""The dashboard's numbers (issue 12, item 2): each one GROUP BY or conditional COUNT over indexed columns
(track+state, caseworker+state, state+next_due_date, delivery status), bounded in rows whatever the number
of cases. Money is summed exactly: PostgreSQL's SUM over NUMERIC; on SQLite (whose SUM goes through
floating point, see recovery.cases.selectors.debt_balance) the month's rows are added as Decimals."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncMonth

from ..models import ZERO, Debt, DebtEvent, LetterDelivery, RecoveryCase
from ..cases.tracks import CLOSED_STATES, State, Track
from ..models import SweepRun

DEBT_STATES = [State.DEMAND_ISSUED, State.INTENT_TO_REFER_ISSUED, State.REFERRAL_NOTICE_ISSUED, State.APPEAL_PENDING,
               State.WAIVER_PENDING, State.CHALLENGE_PENDING, State.REFERRED_TO_TREASURY]
AGING = [("0–60 days", 0, 60), ("61–90 days", 61, 90), ("91–150 days", 91, 150), ("over 150 days", 151, None)]


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list  # header labels; the first is the row label
    rows: list  # [label, value, value...]: every row (the CSV download)
    shown: list | None = None  # the rows the page shows and charts, when not all of them (issue 10)
    note: str = ""  # says which rows the page shows

    @property
    def page_rows(self) -> list:
        return self.rows if self.shown is None else self.shown


def open_by_track_and_state() -> Table:
    rows = (RecoveryCase.objects.exclude(state__in=CLOSED_STATES).values("track", "state")
            .annotate(n=Count("id")).order_by("track", "state"))
    track_label, state_label = dict(Track.choices), dict(State.choices)
    order = {s: i for i, s in enumerate(State.values)}
    out = sorted(((r["track"], r["state"], r["n"]) for r in rows), key=lambda r: (r[0], order.get(r[1], 99)))
    return Table("open", "Open cases by track and state", ["Track — state", "Cases"],
                 [[f"{track_label.get(t, t)} — {state_label.get(s, s)}", n] for t, s, n in out])


def debt_aging(*, today: date) -> Table:
    """Open debts (a demand issued, the case not closed) by days since the demand: one query."""
    def span(lo, hi):
        q = Q(demand_date__lte=today - timedelta(days=lo))
        return q & Q(demand_date__gte=today - timedelta(days=hi)) if hi is not None else q

    qs = RecoveryCase.objects.filter(state__in=DEBT_STATES, demand_date__isnull=False)
    counts = qs.aggregate(**{f"b{i}": Count("id", filter=span(lo, hi)) for i, (_, lo, hi) in enumerate(AGING)})
    return Table("aging", "Open debts by days since the demand", ["Days since demand", "Debts"],
                 [[label, counts[f"b{i}"]] for i, (label, _, _) in enumerate(AGING)])


def _month_sums(qs, date_field, amount_field, since):
    qs = qs.filter(**{f"{date_field}__gte": since})
    if connection.vendor == "postgresql":
        rows = qs.annotate(m=TruncMonth(date_field)).values("m").annotate(s=Sum(amount_field)).values_list("m", "s")
        return {m.replace(day=1) if hasattr(m, "replace") else m: s for m, s in rows}
    out = defaultdict(lambda: ZERO)
    for d, amount in qs.values_list(date_field, amount_field).iterator(chunk_size=5000):
        out[d.replace(day=1)] += amount or ZERO
    return dict(out)


def months_back(today: date, n: int) -> list[date]:
    first = today.replace(day=1)
    out = []
    for _ in range(n):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return out[::-1]


def money_by_month(*, today: date, months: int = 12) -> Table:
    """Per month: principal demanded (debts by demand date), payments received (by the date received), and
    principal referred to Treasury (by referral date)."""
    month_list = months_back(today, months)
    since = month_list[0]
    demanded = _month_sums(Debt.objects.all(), "demand_date", "principal", since)
    recovered = _month_sums(DebtEvent.objects.filter(kind=DebtEvent.Kind.PAYMENT), "event_date", "amount", since)
    referred = _month_sums(Debt.objects.filter(case__referral_date__isnull=False), "case__referral_date",
                           "principal", since)
    return Table("money", "Demanded, recovered and referred per month",
                 ["Month", "Demanded", "Recovered", "Referred"],
                 [[f"{m:%Y-%m}", demanded.get(m, ZERO), recovered.get(m, ZERO), referred.get(m, ZERO)]
                  for m in month_list])


CASEWORKERS_SHOWN = 20


def work_per_caseworker(*, today: date) -> Table:
    """Open and overdue cases per caseworker, every one in the CSV. The caseworkers grow with the book (a few
    hundred at a million cases, issue 10): past CASEWORKERS_SHOWN the page shows and charts the ones with the
    most overdue cases (then the most open), and says so."""
    open_cases = RecoveryCase.objects.exclude(state__in=CLOSED_STATES)
    rows = (open_cases.values("caseworker_id").annotate(
        n=Count("id"), overdue=Count("id", filter=Q(next_due_date__lt=today) & ~Q(state=State.ON_HOLD)))
        .order_by("caseworker_id"))
    rows = list(rows)
    names = dict(get_user_model().objects.filter(pk__in=[r["caseworker_id"] for r in rows if r["caseworker_id"]])
                 .values_list("pk", "username"))
    out = [[names.get(r["caseworker_id"], "(no caseworker)") if r["caseworker_id"] else "(no caseworker)",
            r["n"], r["overdue"]] for r in rows]
    out.sort(key=lambda r: (r[0] == "(no caseworker)", r[0]))
    shown, note = None, ""
    if len(out) > CASEWORKERS_SHOWN:
        shown = sorted(out, key=lambda r: (-r[2], -r[1], r[0]))[:CASEWORKERS_SHOWN]
        note = (f"The {CASEWORKERS_SHOWN} caseworkers with the most overdue cases, of {len(out)}; "
                "the CSV download has every one.")
    return Table("caseworkers", "Work per caseworker", ["Caseworker", "Open", "Overdue"], out, shown, note)


def last_sweeps(n: int = 10) -> Table:
    rows = SweepRun.objects.order_by("-started_at", "-id")[:n]
    return Table("sweeps", "Last sweeps", ["Started", "As of", "Cases", "Steps", "Failures", "Seconds"],
                 [[f"{r.started_at:%Y-%m-%d %H:%M:%S}", f"{r.as_of:%Y-%m-%d}" + (" (dry run)" if r.dry_run else ""),
                   r.cases, r.steps, r.failures, round(r.duration_seconds, 2)] for r in rows])


def outbox_backlog() -> Table:
    S = LetterDelivery.Status
    agg = LetterDelivery.objects.filter(status__in=[S.PENDING, S.FAILED]).values("status").annotate(
        n=Count("id"), oldest=Min("letter__letter_date"))
    by = {r["status"]: r for r in agg}
    return Table("outbox", "Outbox backlog", ["Deliveries", "Count", "Oldest letter"],
                 [[label, by.get(s, {}).get("n", 0),
                   f"{by[s]['oldest']:%Y-%m-%d}" if by.get(s, {}).get("oldest") else "—"]
                  for s, label in ((S.PENDING, "Waiting to be sent"), (S.FAILED, "Failed"))])


# At a million cases the four book-wide aggregates cost a second or more (issue 10): they are kept in the
# cache, keyed by the day and by the newest row of every table whose change moves them (a case opened, any
# save of a case — its history row —, a step, a debt, a payment or other debt event, a ledger row), for at
# most DASHBOARD_CACHE_SECONDS. So a change shows at once; an unchanged book is not counted again.
DASHBOARD_CACHE_SECONDS = 300
_WATCHED = ["recovery_recoverycase", "recovery_historicalrecoverycase", "recovery_caseevent", "recovery_debt",
            "recovery_debtevent", "recovery_ledgerentry"]


def book_version() -> tuple:
    """The newest id of each watched table: one query of primary-key probes."""
    pk = {"recovery_historicalrecoverycase": "history_id"}
    sql = "SELECT " + ", ".join(f"(SELECT max({pk.get(t, 'id')}) FROM {t})" for t in _WATCHED)
    with connection.cursor() as cur:
        cur.execute(sql)
        return tuple(cur.fetchone())


def book_tables(*, today: date) -> list[Table]:
    from django.core.cache import cache

    key = f"dashboard:{today.isoformat()}:{':'.join(str(v) for v in book_version())}"
    tables = cache.get(key)
    if tables is None:
        tables = [open_by_track_and_state(), debt_aging(today=today), money_by_month(today=today),
                  work_per_caseworker(today=today)]
        cache.set(key, tables, DASHBOARD_CACHE_SECONDS)
    return tables


def dashboard(*, today: date) -> list[Table]:
    return [*book_tables(today=today), last_sweeps(), outbox_backlog()]
