"""Benchmark (issue 3): as-of balances for many debts, set-based vs one debt at a time through the ORM.

Builds N debts with a mix of payment histories inside a transaction that is rolled back at the end,
then times (a) `ledger.balances_as_of` over all of them (two queries, schedules in memory) and
(b) the same balances one debt at a time (load the debt, load its events, compute). Prints both
times, the ratio, and checks the two agree to the cent.
"""

import random
import time
from datetime import date, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from beneficiaries.models import Beneficiary
from recovery.money import ledger
from recovery.models import Debt, DebtEvent, RecoveryCase
from recovery.cases.tracks import State, Track


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time as-of balances for N debts: batch vs one at a time through the ORM (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--debts", type=int, default=100_000)
        parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 6, 30))
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, debts, as_of, seed, **options):
        rng = random.Random(seed)
        try:
            with transaction.atomic():
                self._build(debts, rng)
                self._measure(as_of)
                raise _Rollback
        except _Rollback:
            self.stdout.write("(benchmark data rolled back)")

    def _build(self, n, rng):
        t0 = time.perf_counter()
        bene = Beneficiary.objects.create(
            mbi="9Y99Y99YY99", first_name="Bench", last_name="Mark", date_of_birth=date(1950, 1, 1),
            address_line1="1 Bench St", city="Albany", state="NY", zip_code="12207", entitlement_basis="age",
            entitlement_start=date(2015, 1, 1))
        cases = RecoveryCase.objects.bulk_create(
            [RecoveryCase(number=f"9{i:014d}", track=Track.BENEFICIARY, state=State.DEMAND_ISSUED, beneficiary=bene,
                          opened_on=date(2024, 1, 1)) for i in range(n)], batch_size=5000)
        debts = []
        for case in cases:
            demand = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 365))
            debts.append(Debt(case=case, demand_date=demand, principal=Decimal(rng.randrange(10_000, 5_000_000)) / 100,
                              annual_rate=Decimal("0.11500"), year_days=360, period_days=30, grace_days=60,
                              rate_effective_from=date(2023, 7, 17), posted_through=demand))
        debts = Debt.objects.bulk_create(debts, batch_size=5000)
        events = []
        for d in debts:
            for _ in range(rng.choice([0, 0, 1, 2, 3])):
                events.append(DebtEvent(debt=d, kind=DebtEvent.Kind.PAYMENT,
                                        event_date=d.demand_date + timedelta(days=rng.randrange(0, 400)),
                                        amount=(d.principal / rng.choice([2, 3, 4, 10])).quantize(Decimal("0.01")),
                                        actor_name="bench"))
        DebtEvent.objects.bulk_create(events, batch_size=10000)
        self.stdout.write(f"built {len(debts):,} debts and {len(events):,} payments in {time.perf_counter() - t0:.1f} s")

    def _measure(self, as_of):
        t0 = time.perf_counter()
        batch = ledger.balances_as_of(debts=Debt.objects.all().iterator(chunk_size=5000), as_of=as_of)
        t_batch = time.perf_counter() - t0

        t0 = time.perf_counter()
        single = {}
        for case_id in RecoveryCase.objects.filter(debt__isnull=False).values_list("pk", flat=True).iterator():
            debt = Debt.objects.get(case_id=case_id)
            single[case_id] = ledger.schedule_for(debt, as_of=max(as_of, debt.demand_date))
        t_single = time.perf_counter() - t0

        mismatches = sum(1 for k, s in single.items()
                         if (s.principal, s.interest, s.refund_owed) !=
                         (batch[k].principal, batch[k].interest, batch[k].refund_owed))
        total = sum((s.balance for s in batch.values()), Decimal("0"))
        self.stdout.write(f"as-of {as_of}: {len(batch):,} balances, total ${total:,}")
        self.stdout.write(f"  batch (2 queries, schedules in memory): {t_batch:8.2f} s")
        self.stdout.write(f"  one debt at a time through the ORM:    {t_single:8.2f} s")
        self.stdout.write(f"  ratio one-at-a-time / batch:           {t_single / t_batch:8.2f}x")
        self.stdout.write(f"  balances that differ between the two:  {mismatches}")
