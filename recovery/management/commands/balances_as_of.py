"""`manage.py balances_as_of --as-of YYYY-MM-DD [--csv]`: every debt's balance at the end of a day
(SPEC §5.5), streamed a chunk of debts at a time (recovery.money.balances), so it runs in bounded memory
at a million debts (SPEC §10).

Without --csv: the number of debts and the totals of principal, interest, balance and refund owed.
With --csv: one row per debt (case number, principal, interest, balance, refund owed, and whether the
balance was summed from the posted ledger or replayed from the debt's events), written as it is computed.
The output carries case numbers and amounts only, no beneficiary's name or identifier.
"""

import csv
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from recovery.cases.history import today
from recovery.models import ZERO
from recovery.money import balances


def _as_of(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CommandError(f"--as-of: enter a date as YYYY-MM-DD (got {value!r}).") from None


def _usd(amount) -> str:
    return f"${amount:,}"


class Command(BaseCommand):
    help = "Every debt's principal, interest and refund owed at the end of a day (totals, or --csv per debt)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="the day (YYYY-MM-DD), today or earlier")
        parser.add_argument("--csv", action="store_true", help="one CSV row per debt instead of the totals")
        parser.add_argument("--chunk-size", type=int, default=balances.CHUNK_SIZE,
                            help="debts read and computed at a time")

    def handle(self, *args, as_of, csv: bool, chunk_size, **options):
        day = _as_of(as_of)
        if day > today():
            raise CommandError(f"--as-of: {day} has not come yet; balances are as of today ({today()}) or earlier.")
        if chunk_size < 1:
            raise CommandError("--chunk-size: at least 1.")
        rows = balances.balances_as_of(as_of=day, chunk_size=chunk_size, with_number=True)
        if csv:
            self._csv(rows)
        else:
            self._totals(day, rows)

    def _csv(self, rows):
        out = csv.writer(self.stdout, lineterminator="\n")
        out.writerow(balances.CSV_COLUMNS)
        for b in rows:
            out.writerow(balances.csv_row(b))

    def _totals(self, day, rows):
        n = replayed = 0
        principal = interest = refund = ZERO
        for b in rows:
            n += 1
            replayed += b.replayed
            principal, interest, refund = principal + b.principal, interest + b.interest, refund + b.refund_owed
        self.stdout.write(f"Balances at the end of {day}: {n:,} debts "
                          f"({n - replayed:,} summed from the posted ledger, {replayed:,} replayed from their events)")
        self.stdout.write(f"  principal    {_usd(principal):>20}")
        self.stdout.write(f"  interest     {_usd(interest):>20}")
        self.stdout.write(f"  balance      {_usd(principal + interest):>20}")
        self.stdout.write(f"  refund owed  {_usd(refund):>20}")
