"""Import a cases file (and its claims file) in the intake layout (docs/intake.md, recovery.intake)."""

import codecs
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from recovery.intake import layout
from recovery.intake.services import Source, errors_csv, run_intake
from recovery.cases.services import system_user


class Command(BaseCommand):
    help = f"Import an intake cases CSV (layout v{layout.VERSION}) and optionally its claims CSV."

    def add_arguments(self, parser):
        parser.add_argument("cases_csv")
        parser.add_argument("--claims", dest="claims_csv", help="The claims file")
        parser.add_argument("--dry-run", action="store_true", help="Validate and show what would change; change nothing")
        parser.add_argument("--user", help="Username the import acts as (default: the system user)")
        parser.add_argument("--errors", help="Write the error report CSV here (default: standard error)")

    def handle(self, *args, cases_csv, claims_csv=None, dry_run=False, user=None, errors=None, **options):
        def read(path):
            """The file as a stream (run_intake reads it chunk by chunk, never whole), once checked to be
            readable UTF-8 text, 1 MiB at a time."""
            decoder = codecs.getincrementaldecoder("utf-8")()
            try:
                with open(path, "rb") as fh:
                    while block := fh.read(1 << 20):
                        decoder.decode(block)
                    decoder.decode(b"", final=True)
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{path}: {exc}") from exc
            return Source(path=path)

        actor = system_user()
        if user:
            try:
                actor = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user {user}.") from None
        bar = tqdm(total=0, unit="record", disable=options.get("verbosity", 1) == 0, file=sys.stderr)

        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        outcome = run_intake(cases_text=read(cases_csv), claims_text=read(claims_csv) if claims_csv else "",
                             actor=actor, source=Path(cases_csv).name, dry_run=dry_run, progress=progress)
        bar.close()
        report = errors_csv(outcome.errors)
        if outcome.errors:
            if errors:
                Path(errors).write_text(report, encoding="utf-8")
            else:
                self.stderr.write(report)
        d = outcome.as_dict()
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{d['total']} records: {d['created']} {verb} created, {d['updated']} updated, {d['unchanged']} "
            f"unchanged, {d['rejected']} rejected; {d['claims_added']} claims added, {d['cpns_issued']} CPNs "
            f"issued; {d['error_rows']} error rows." + (" Dry run: nothing was changed." if dry_run else ""))
