"""manage.py run_deadlines [--as-of YYYY-MM-DD] [--dry-run] [--dated-by rule|run_date]"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from recovery.clocks import sweeps


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
        verb = "would" if dry_run else "did"
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
        for r in results:
            for action, on in r.steps:
                steps += 1
                self.stdout.write(f"  case {r.case_id}: {verb} {action} dated {on}")
            interest += r.interest_rows
        self.stdout.write(f"{'Would take' if dry_run else 'Took'} {steps} step(s); posted {interest} ledger row(s).")
