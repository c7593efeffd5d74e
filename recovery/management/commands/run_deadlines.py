"""manage.py run_deadlines [--as-of YYYY-MM-DD] [--dry-run] [--dated-by rule|run_date]"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from recovery.cases.tracks import ACTION_LABELS, event_label
from recovery.clocks import sweeps
from recovery.models import RecoveryCase


def _case_numbers(ids: list[int]) -> dict[int, str]:
    """Case id → case number, in chunks (a late sweep may have stepped many cases)."""
    numbers: dict[int, str] = {}
    for start in range(0, len(ids), 5000):
        numbers.update(RecoveryCase.objects.filter(pk__in=ids[start:start + 5000]).values_list("pk", "number"))
    return numbers


class Command(BaseCommand):
    help = "Fire every deadline due by the as-of date (default today): steps, letters and interest."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--dry-run", action="store_true", help="say what is due; change nothing")
        parser.add_argument("--dated-by", choices=[sweeps.RULE, sweeps.RUN_DATE], default=sweeps.RULE,
                            help="date letters by the rule (default) or on the run day")

    def handle(self, *args, as_of=None, dry_run=False, dated_by=sweeps.RULE, **options):
        as_of = as_of or timezone.localdate()
        ids = sweeps.due_case_ids(as_of=as_of)
        self.stdout.write(f"As of {as_of}: {len(ids)} case(s) with something due.")
        bar = tqdm(total=len(ids), disable=len(ids) < 200, file=self.stderr, unit="case")
        try:
            results = sweeps.sweep(as_of=as_of, dated_by=dated_by, dry_run=dry_run, ids=ids, progress=bar.update)
        except sweeps.CaseActionError as exc:
            raise CommandError(exc.message) from exc
        bar.close()
        if not dry_run:
            from recovery.clocks.tasks import outbox_kick

            outbox_kick()  # deliver the letters the sweep wrote
        steps = interest = 0
        numbers = _case_numbers([r.case_id for r in results if r.steps])
        for r in results:
            for action, on in r.steps:
                steps += 1
                # A person reads the case number and the step in words (issue 12), never the internal id.
                what = (f"would {ACTION_LABELS.get(action, action)[:1].lower()}{ACTION_LABELS.get(action, action)[1:]}"
                        if dry_run else event_label(action))
                self.stdout.write(f"  case {numbers.get(r.case_id, r.case_id)}: {what} on {on}")
            interest += r.interest_rows
        self.stdout.write(f"{'Would take' if dry_run else 'Took'} {steps} step(s); posted {interest} ledger row(s).")
