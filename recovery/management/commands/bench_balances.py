"""Benchmark (issues 3 and 11): as-of balances for many debts — one debt at a time, the streaming batch
(`recovery.money.balances`), and one SQL aggregate over the ledger rows already posted through the date.

Builds N debts inside a transaction that is rolled back at the end, each with payments and a ledger
posted the way the product posts it (the principal row, then the schedule's rows through the day the
debt is posted through, with REVERSAL rows where a payment arrived back-dated), in four kinds:

- posted past the as-of date (a report for a day gone by)            — current: summed;
- posted through its last assessment before the as-of date, the next
  one still to come (what the nightly sweep leaves)                  — current: summed;
- posted through a day well before the as-of date, interest due since  — replayed;
- a back-dated payment that reversed and re-posted rows               — summed or replayed by date.

Then it times (single) `ledger.schedule_for` one debt at a time through the ORM, (batch)
`balances.balances_as_of` streaming every debt in chunks, (sql) `balances.posted_sums_as_of`, one GROUP BY
over the posted rows (right only for the current debts: the floor the batch is measured against), and
optionally (replay) the old `ledger.balances_as_of`, which holds every schedule in memory. Each variant's
answers are kept as arrays of cents (32 bytes a debt), compared at the end (differences must be 0), and
its peak resident memory is measured by resetting the kernel's high-water mark (/proc/self/clear_refs)
before it. The last line is `RESULT {json}`.
"""

import gc
import json
import random
import resource
import time
from array import array
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from beneficiaries.models import Beneficiary
from recovery.cases.tracks import State, Track
from recovery.models import ZERO, Debt, DebtEvent, LedgerEntry, RecoveryCase
from recovery.money import balances, ledger
from recovery.money import rules as money

VARIANTS = ("single", "batch", "sql", "replay")


class _Rollback(Exception):
    pass


def _cents(value: Decimal) -> int:
    return int(value.scaleb(2))


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM, the peak resident set size, to the current size
        return True
    except OSError:
        return False


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


_REPLICATED = ("recovery_recoverycase", "recovery_debt", "recovery_debtevent", "recovery_ledgerentry")
_COLUMNS = ("case_id", "kind", "entry_date", "principal", "interest", "refund_owed", "amount", "period", "base",
            "note", "reverses_id")


def _insert_rows(rows):
    """Ledger rows (tuples in _COLUMNS order, reverses_id optional): COPY on PostgreSQL, else bulk_create."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        LedgerEntry.objects.bulk_create(
            [LedgerEntry(**dict(zip(_COLUMNS, row)), actor_name="bench", created_at=now) for row in rows],
            batch_size=2000)
        return
    with connection.cursor() as cur, cur.cursor.copy(
            f"COPY {LedgerEntry._meta.db_table} ({', '.join(_COLUMNS)}, actor_name, created_at) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row + (None,) * (len(_COLUMNS) - len(row)) + ("bench", now))


class _Answers:
    """One variant's balances in case order, as arrays of integers (cents)."""

    def __init__(self):
        self.case, self.p, self.i, self.r = array("q"), array("q"), array("q"), array("q")
        self.replayed = array("b")

    def add(self, case_id, principal, interest, refund_owed, replayed=False):
        self.case.append(case_id)
        self.p.append(_cents(principal))
        self.i.append(_cents(interest))
        self.r.append(_cents(refund_owed))
        self.replayed.append(1 if replayed else 0)

    def copies(self, k_total, offset):
        """These answers and those of the k_total - 1 copies of their debts (case ids shifted by offset)."""
        out = _Answers()
        for k in range(k_total):
            out.case.extend(c + k * offset for c in self.case)
            for name in ("p", "i", "r", "replayed"):
                getattr(out, name).extend(getattr(self, name))
        return out

    def differences(self, other, *, current_only=False) -> int:
        """How many debts the two disagree on, a debt only one of them has counting as one; both are in
        case order, so this is a merge (no index in memory). `current_only`: only the debts this one
        (the batch) summed from the ledger, and only those — the SQL aggregate is right for no others."""
        n = j = 0
        mine, theirs = self.case, other.case
        for k, c in enumerate(mine):
            while j < len(theirs) and theirs[j] < c:
                n += not current_only
                j += 1
            if current_only and self.replayed[k]:
                if j < len(theirs) and theirs[j] == c:
                    j += 1
                continue
            if j < len(theirs) and theirs[j] == c:
                n += (self.p[k], self.i[k], self.r[k]) != (other.p[j], other.i[j], other.r[j])
                j += 1
            else:
                n += 1
        return n + (0 if current_only else len(theirs) - j)


class Command(BaseCommand):
    help = ("Time as-of balances for N debts: one at a time, streaming batch, one SQL aggregate "
            "(built data is rolled back).")

    def add_arguments(self, parser):
        parser.add_argument("--debts", type=int, default=100_000)
        parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 6, 30))
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--chunk-size", type=int, default=balances.CHUNK_SIZE)
        parser.add_argument("--variants", default="single,batch,sql",
                            help=f"comma-separated, of {', '.join(VARIANTS)} (replay: the old in-memory batch)")
        parser.add_argument("--replicate", type=int, default=1,
                            help="PostgreSQL: build debts/K distinct debts, then copy them K-1 times by SQL "
                                 "(new ids; one at a time runs over the distinct ones, the others over all)")
        parser.add_argument("--behind", type=float, default=0.10,
                            help="share of debts posted through a day well before the as-of date (replayed)")
        parser.add_argument("--backdated", type=float, default=0.05,
                            help="share of debts with a back-dated payment (reversal rows)")

    def handle(self, *args, debts, as_of, seed, chunk_size, variants, behind, backdated, replicate, **options):
        chosen = [v.strip() for v in variants.split(",") if v.strip()]
        if not chosen or set(chosen) - set(VARIANTS) or "batch" not in chosen:
            raise CommandError(f"--variants: a comma-separated list of {', '.join(VARIANTS)}, including batch.")
        if debts < 1 or chunk_size < 1:
            raise CommandError("--debts and --chunk-size must be at least 1.")
        if replicate < 1 or (replicate > 1 and connection.vendor != "postgresql"):
            raise CommandError("--replicate: at least 1, and above 1 only on PostgreSQL.")
        if "replay" in chosen and replicate > 1:
            raise CommandError("--variants: replay holds every schedule in memory; not with --replicate.")
        self.rng, self.as_of, self.behind, self.backdated = random.Random(seed), as_of, behind, backdated
        self.replicas, distinct = replicate, -(-debts // replicate)
        debts = distinct * replicate
        if settings.DEBUG:  # DEBUG keeps every query's SQL in memory: that would be measured, not the code
            self.stdout.write("(DEBUG is on: query logging is turned off for the benchmark)")
            settings.DEBUG = False
        try:
            with transaction.atomic():
                built = self._build(distinct)
                if replicate > 1:
                    built = {k: v * replicate if k in ("events", "ledger_rows") or k.startswith("built_") else v
                             for k, v in built.items()}
                    built.update(self._replicate(replicate))
                built["distinct_debts"] = distinct
                if connection.vendor == "postgresql":
                    with connection.cursor() as cur:  # the planner's statistics, as a live database has them
                        cur.execute("ANALYZE recovery_recoverycase, recovery_debt, recovery_debtevent, "
                                    "recovery_ledgerentry")
                result = self._measure(chosen, chunk_size)
                raise _Rollback
        except _Rollback:
            self.stdout.write("(benchmark data rolled back)")
        result = {"debts": debts, **built, **result,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
        self.stdout.write("RESULT " + json.dumps(result, sort_keys=False))

    # --- the data ---------------------------------------------------------------------------------

    def _build(self, n):
        t0 = time.perf_counter()
        self.first_ids = {}
        with connection.cursor() as cur:
            for table in _REPLICATED:
                cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
                self.first_ids[table] = cur.fetchone()[0]
        self.bene = Beneficiary.objects.create(
            mbi="9Y99Y99YY99", first_name="Bench", last_name="Mark", date_of_birth=date(1950, 1, 1),
            address_line1="1 Bench St", city="Albany", state="NY", zip_code="12207", entitlement_basis="age",
            entitlement_start=date(2015, 1, 1))
        counts = {"events": 0, "ledger_rows": 0, "built_behind": 0, "built_backdated": 0}
        step = 5000
        for start in range(0, n, step):
            self._build_chunk(start, min(step, n - start), counts)
        build_s = round(time.perf_counter() - t0, 2)
        self.stdout.write(f"built {n:,} debts, {counts['events']:,} payments, {counts['ledger_rows']:,} ledger rows "
                          f"({counts['built_behind']:,} posted well behind the as-of date, "
                          f"{counts['built_backdated']:,} with a back-dated payment) in {build_s} s")
        return {**counts, "build_s": build_s}

    def _replicate(self, k_total):
        """Copy the debts just built (their cases, events and ledger rows) k_total - 1 times, each copy's ids
        shifted past every id so far, by INSERT … SELECT: the same balances, k_total times over."""
        t0 = time.perf_counter()
        self.offsets, spans = {}, {}
        with connection.cursor() as cur:
            for table in _REPLICATED:
                cur.execute(f"SELECT max(id) FROM {table}")
                hi = cur.fetchone()[0]
                lo = self.first_ids[table]
                spans[table], self.offsets[table] = (lo, hi), hi - lo + 1
            shift = {
                "recovery_recoverycase": {"number": "'R' || lpad(k::text, 3, '0') || right(t.number, 11)"},
                "recovery_debt": {"case_id": "t.case_id + k * %(recovery_recoverycase)s"},
                "recovery_debtevent": {"debt_id": "t.debt_id + k * %(recovery_debt)s"},
                "recovery_ledgerentry": {"case_id": "t.case_id + k * %(recovery_recoverycase)s",
                                         "reverses_id": "t.reverses_id + k * %(recovery_ledgerentry)s"},
            }
            for table in _REPLICATED:
                cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                            "ORDER BY ordinal_position", [table])
                columns = [r[0] for r in cur.fetchall()]
                exprs = {"id": f"t.id + k * %({table})s", **shift[table]}
                select = ", ".join(exprs.get(c, f"t.{c}") for c in columns)
                lo, hi = spans[table]
                cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM {table} t "
                            f"CROSS JOIN generate_series(1, %(k)s) AS k WHERE t.id BETWEEN %(lo)s AND %(hi)s",
                            {**self.offsets, "k": k_total - 1, "lo": lo, "hi": hi})
        self.template_cases = spans["recovery_recoverycase"]
        replicate_s = round(time.perf_counter() - t0, 2)
        self.stdout.write(f"copied them {k_total - 1} times by SQL in {replicate_s} s")
        return {"replicate_s": replicate_s, "replicas": k_total}

    def _build_chunk(self, start, n, counts):
        rng, as_of = self.rng, self.as_of
        cases = RecoveryCase.objects.bulk_create(
            [RecoveryCase(number=f"9{start + i:014d}", track=Track.BENEFICIARY, state=State.DEMAND_ISSUED,
                          beneficiary=self.bene, opened_on=date(2024, 1, 1)) for i in range(n)])
        plans = []
        for case in cases:
            demand = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 365))
            debt = Debt(case=case, demand_date=demand, principal=Decimal(rng.randrange(10_000, 5_000_000)) / 100,
                        annual_rate=Decimal("0.11500"), year_days=360, period_days=30, grace_days=60,
                        rate_effective_from=date(2023, 7, 17), posted_through=demand)
            roll = rng.random()
            kind = "behind" if roll < self.behind else "backdated" if roll < self.behind + self.backdated else (
                "past" if rng.random() < 0.6 else "sweep")
            if demand > as_of:
                kind = "past"
            if kind == "behind":
                through = max(demand, as_of - timedelta(days=rng.randrange(31, 200)))
            elif kind == "past":
                through = as_of + timedelta(days=rng.randrange(0, 60))
            else:  # sweep / backdated: fixed below from the schedule
                through = max(demand, as_of + timedelta(days=rng.randrange(-20, 40))) if kind == "backdated" else as_of
            payments = sorted(
                (demand + timedelta(days=rng.randrange(0, max(1, (through - demand).days + 1))),
                 (debt.principal / rng.choice([2, 3, 4, 10])).quantize(Decimal("0.01")))
                for _ in range(rng.choice([0, 0, 1, 2, 3])))
            if kind == "backdated" and not payments:
                payments = [(demand + timedelta(days=rng.randrange(0, max(1, (through - demand).days + 1))),
                             (debt.principal / 5).quantize(Decimal("0.01")))]
            events = [money.Payment(d, a) for d, a in payments]
            if kind == "sweep":  # the day of the last row: the next assessment is after the as-of date
                rows = self._schedule(debt, as_of, events).rows
                through = max([demand] + [r.date for r in rows])
            late = rng.randrange(len(events)) if kind == "backdated" else None
            debt.posted_through = through
            final = self._schedule(debt, through, events)
            debt.next_assessment_date = ledger.next_assessment_date(debt, as_of=through, principal=final.principal)
            plans.append((debt, kind, events, late, final))
        Debt.objects.bulk_create([p[0] for p in plans])

        plain, posted_first, fixes = [], [], []  # plain rows go in by COPY; rows to be reversed need their ids
        for debt, kind, events, late, final in plans:
            counts["built_" + kind] = counts.get("built_" + kind, 0) + 1
            case_id = debt.case_id
            opening = (case_id, LedgerEntry.Kind.PRINCIPAL, debt.demand_date, debt.principal, ZERO, ZERO,
                       debt.principal, None, None, "Demand principal")
            if late is None:
                plain.append(opening)
                plain += [self._row(case_id, row) for row in final.rows]
                continue
            # posted without the late payment, then it arrived dated before rows already posted
            first = self._schedule(debt, debt.posted_through, events[:late] + events[late + 1:])
            try:
                money.rows_to_append(posted=first.rows, schedule=final)
                index = len(first.rows)
            except money.ScheduleDivergedError as diverged:
                index = diverged.index
            before = [LedgerEntry(**dict(zip(_COLUMNS, row)), actor_name="bench")
                      for row in [opening] + [self._row(case_id, row) for row in first.rows]]
            reversed_rows = before[1 + index:]
            posted_first += before  # in id order: the principal, the rows posted, then (below) the corrections
            fixes.append((case_id, reversed_rows, final.rows[index:]))
        DebtEvent.objects.bulk_create(
            [DebtEvent(debt=debt, kind=DebtEvent.Kind.PAYMENT, event_date=e.date, amount=e.amount, actor_name="bench")
             for debt, _, events, _, _ in plans for e in events])
        LedgerEntry.objects.bulk_create(posted_first)
        for case_id, reversed_rows, again in fixes:
            for e in reversed(reversed_rows):
                plain.append((case_id, LedgerEntry.Kind.REVERSAL, e.entry_date, -e.principal, -e.interest,
                              -e.refund_owed, e.amount, None, None,
                              f"Reverses {e.kind} of ${e.amount} on {e.entry_date}", e.pk))
            plain += [self._row(case_id, row) for row in again]
        _insert_rows(plain)
        counts["events"] += sum(len(p[2]) for p in plans)
        counts["ledger_rows"] += len(plain) + len(posted_first)

    @staticmethod
    def _row(case_id, row):
        p, i, r = ledger._deltas(row)  # the ledger's own (principal, interest, refund owed) changes of a row
        return (case_id, row.kind, row.date, p, i, r, row.amount, row.period, row.base, row.note[:300])

    @staticmethod
    def _schedule(debt, as_of, events):
        return money.debt_schedule(principal=debt.principal, annual_rate=debt.annual_rate, demand_date=debt.demand_date,
                                   as_of=as_of, events=events, year_days=debt.year_days,
                                   period_days=debt.period_days, grace_days=debt.grace_days)

    # --- the variants ------------------------------------------------------------------------------

    def _measure(self, chosen, chunk_size):
        as_of = self.as_of
        answers, seconds, peaks, before, stats = {}, {}, {}, {}, {}
        per_variant_peak = _reset_peak()
        for variant in chosen:
            gc.collect()
            _reset_peak()
            before[variant] = _status_mb("VmRSS")
            out = _Answers()
            t0 = time.perf_counter()
            if variant == "single":
                cases = RecoveryCase.objects.filter(debt__demand_date__lte=as_of)
                if self.replicas > 1:  # the distinct debts only; their copies have the same balances
                    cases = cases.filter(pk__range=self.template_cases)
                for case_id in cases.order_by("pk").values_list("pk", flat=True).iterator():
                    debt = Debt.objects.get(case_id=case_id)
                    s = ledger.schedule_for(debt, as_of=as_of)
                    out.add(case_id, s.principal, s.interest, s.refund_owed)
            elif variant == "batch":
                for b in balances.balances_as_of(as_of=as_of, chunk_size=chunk_size, stats=stats):
                    out.add(b.case_id, b.principal, b.interest, b.refund_owed, b.replayed)
            elif variant == "sql":
                for b in balances.posted_sums_as_of(as_of=as_of, chunk_size=chunk_size):
                    out.add(b.case_id, b.principal, b.interest, b.refund_owed)
            else:  # the old batch: every schedule in memory at once
                got = ledger.balances_as_of(debts=Debt.objects.filter(demand_date__lte=as_of).iterator(chunk_size=5000),
                                            as_of=as_of)
                for case_id in sorted(got):
                    s = got[case_id]
                    out.add(case_id, s.principal, s.interest, s.refund_owed)
                del got
            seconds[variant] = time.perf_counter() - t0
            if variant == "single" and self.replicas > 1:
                single_debts = len(out.case)
                out = out.copies(self.replicas, self.offsets["recovery_recoverycase"])
            peaks[variant] = _status_mb("VmHWM") if per_variant_peak else None
            answers[variant] = out
            self.stdout.write(f"  {variant:7s} {seconds[variant]:8.2f} s   resident {before[variant]} MB before, "
                              f"peak {peaks[variant]} MB   {len(out.case):,} balances")

        batch = answers["batch"]
        replayed = sum(batch.replayed)
        total = sum(batch.p) + sum(batch.i)
        self.stdout.write(f"as-of {as_of}: {len(batch.case):,} balances, total ${Decimal(total).scaleb(-2):,}; "
                          f"{replayed:,} replayed ({stats.get('replay_s', 0):.2f} s of the batch), "
                          f"{len(batch.case) - replayed:,} summed from the posted ledger")
        result = {"batch_s": round(seconds["batch"], 3)}
        if "single" in answers:
            result["single_s"] = round(seconds["single"], 3)
            result["single_debts"] = single_debts if self.replicas > 1 else len(answers["single"].case)
        if "sql" in answers:
            result["sql_s"] = round(seconds["sql"], 3)
        if "replay" in answers:
            result["replay_s"] = round(seconds["replay"], 3)
        reference = answers.get("single") or answers.get("replay")
        differences = batch.differences(reference) if reference is not None else None
        if "sql" in answers:
            result["ratio_batch_sql"] = round(seconds["batch"] / seconds["sql"], 2)
            # the batch without the time it spends replaying: "where no replay is needed"
            result["ratio_current_sql"] = round((seconds["batch"] - stats.get("replay_s", 0)) / seconds["sql"], 2)
            result["sql_differences_current"] = batch.differences(answers["sql"], current_only=True)
        result.update({
            "differences": differences, "replayed": replayed, "batch_replay_s": round(stats.get("replay_s", 0), 3),
            "chunk_size": chunk_size, "total_balance": str(Decimal(total).scaleb(-2)),
            "variant_peak_rss_mb": peaks, "variant_rss_before_mb": before,
        })
        if "replay" in answers and "single" in answers:
            result["replay_differences"] = answers["replay"].differences(answers["single"])
        self.stdout.write(f"  balances that differ (batch vs one at a time): {differences}")
        return result
