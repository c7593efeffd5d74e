"""Benchmark (issue 13): bulk intake of N case rows with 3 claims each, against a plain COPY of the
same rows into staging tables, on PostgreSQL.

    manage.py bench_intake --rows 10000 [--chunk 2000]

Inside one transaction that is rolled back at the end: N beneficiaries are bulk-created (not timed)
with one liability payer; a cases file (N rows, no TPOC) and a claims file (3N rows, linked by MBI +
date of incident) are generated in the intake layout v1. Then, timed:

  intake  recovery.intake.services.run_intake — parse and check both files, then per chunk of 2,000
          records one lookup per table and the set-based write of the new cases (recovery.intake.bulk:
          COPY of the MSP occurrences, cases, claims, their simple-history rows and the "open" history
          rows, case numbers from one block of the sequence).
  COPY    the same two CSV texts COPYed into two staging tables of text columns (no parsing, no
          validation, no keys) — the floor of getting the bytes into PostgreSQL.

Caveat: run_intake commits once per chunk of records in production; here its chunks are savepoints
of the benchmark's transaction (N/chunk commits are not paid). Last line: RESULT {json}.
"""

import json
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from beneficiaries.models import Beneficiary
from payers.models import Payer
from recovery.intake import layout
from recovery.intake.services import CHUNK, run_intake
from recovery.models import Claim, RecoveryCase
from recovery.cases.services import system_user

_L = "ACDEFGHJKMNPQRTUVWXY"
_E = _L + "0123456789"
_D = "0123456789"
_POSITIONS = ["123456789", _L, _E, _D, _L, _E, _D, _L, _L, _D, _D]


def mbi_for(n: int) -> str:
    chars = []
    for alphabet in reversed(_POSITIONS):
        n, i = divmod(n, len(alphabet))
        chars.append(alphabet[i])
    return "".join(reversed(chars))


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time the bulk intake of N case rows (3 claims each) against COPY into staging tables (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10000)
        parser.add_argument("--chunk", type=int, default=CHUNK)

    def handle(self, *args, rows, chunk, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_intake compares with COPY: run it on PostgreSQL (DATABASE_URL).")
        actor = system_user()
        result = {}
        try:
            with transaction.atomic():
                result = self._run(rows, chunk, actor)
                raise _Rollback
        except _Rollback:
            pass
        self.stdout.write("RESULT " + json.dumps(result))

    def _run(self, rows, chunk, actor):
        t0 = time.perf_counter()
        base = 10_000_000 + Beneficiary.objects.count()
        payer = Payer.objects.create(name="Bench Casualty Mutual", kind=Payer.Kind.LIABILITY)
        benes = [Beneficiary(mbi=mbi_for(base + i), first_name="Ann", last_name=f"Bench{i}",
                             date_of_birth=date(1950, 1, 1 + i % 28), address_line1="1 Main St", city="Albany",
                             state="NY", zip_code="12207", entitlement_basis="age",
                             entitlement_start=date(2015, 1, 1)) for i in range(rows)]
        Beneficiary.objects.bulk_create(benes, batch_size=5000)
        case_lines = [",".join(layout.CASE_COLUMNS)]
        claim_lines = [",".join(layout.CLAIM_COLUMNS)]
        for i, b in enumerate(benes):
            incident = date(2024, 1 + i % 12, 1 + i % 28).isoformat()
            case_lines.append(f",{b.mbi},{b.first_name},{b.last_name},{b.date_of_birth},{payer.name},liability,"
                              f"liability,trauma,{incident},N,,,")
            for k in range(3):
                claim_lines.append(f",{b.mbi},{incident},B{i:09d}{k},Albany Medical Center,1234567893,{incident},"
                                   f"{incident},S82.101A,{100 + k}.{i % 100:02d},")
        cases_text = "\n".join(case_lines) + "\n"
        claims_text = "\n".join(claim_lines) + "\n"
        self.stdout.write(f"setup: {rows} beneficiaries, {len(cases_text) + len(claims_text):,} bytes of CSV "
                          f"in {time.perf_counter() - t0:.1f}s")

        cases_before, claims_before = RecoveryCase.objects.count(), Claim.objects.count()
        marks = []
        t0 = time.perf_counter()
        outcome = run_intake(cases_text=cases_text, claims_text=claims_text, actor=actor, source="bench",
                             chunk=chunk, progress=lambda done, total: marks.append(time.perf_counter()))
        intake_s = time.perf_counter() - t0
        laps = [b - a for a, b in zip([t0, *marks], marks)]
        if laps:
            self.stdout.write(f"chunks of {chunk} records: first {laps[0]:.2f}s, last {laps[-1]:.2f}s, "
                              f"slowest {max(laps):.2f}s (the first includes parsing both files)")
        created = RecoveryCase.objects.count() - cases_before
        claims = Claim.objects.count() - claims_before
        if (outcome.created, created, claims, len(outcome.errors)) != (rows, rows, 3 * rows, 0):
            raise CommandError(f"intake did not import everything: {outcome.as_dict()} {outcome.errors[:3]}")
        self.stdout.write(f"intake: {rows} cases + {claims} claims in {intake_s:.2f}s "
                          f"({(rows + claims) / intake_s:,.0f} rows/s)")

        with connection.cursor() as cur:
            cols_cases = ", ".join(f"{c} text" for c in layout.CASE_COLUMNS)
            cols_claims = ", ".join(f"{c} text" for c in layout.CLAIM_COLUMNS)
            cur.execute(f"CREATE TEMP TABLE bench_stage_cases ({cols_cases}) ON COMMIT DROP")
            cur.execute(f"CREATE TEMP TABLE bench_stage_claims ({cols_claims}) ON COMMIT DROP")
            t0 = time.perf_counter()
            for table, text in (("bench_stage_cases", cases_text), ("bench_stage_claims", claims_text)):
                with cur.cursor.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                    copy.write(text)
            copy_s = time.perf_counter() - t0
            cur.execute("SELECT (SELECT count(*) FROM bench_stage_cases), (SELECT count(*) FROM bench_stage_claims)")
            copied = cur.fetchone()
        self.stdout.write(f"COPY: {copied[0]} + {copied[1]} rows in {copy_s:.3f}s")
        ratio = intake_s / copy_s
        per_million_claims = intake_s / (3 * rows) * 1_000_000
        self.stdout.write(f"intake / COPY = {ratio:.1f}x; at this rate 1,000,000 claim rows take "
                          f"{per_million_claims / 60:.1f} min (goal: < 10 min, within 5x of COPY)")
        return {"rows": rows, "claims": 3 * rows, "s": round(intake_s, 3), "copy_s": round(copy_s, 3),
                "ratio": round(ratio, 1), "chunk": chunk}
