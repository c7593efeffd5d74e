"""Benchmark (issue 13): bulk intake of N case rows with 3 claims each, against a plain COPY of the
same rows into staging tables, on PostgreSQL.

    manage.py bench_intake --rows 10000 [--chunk 2000] [--source file|text]

Inside one transaction that is rolled back at the end: N beneficiaries are bulk-created (not timed)
with one liability payer; a cases file (N rows, no TPOC) and a claims file (3N rows, linked by MBI +
date of incident) are written to two temporary files in the intake layout v1. Then, timed:

  intake  recovery.intake.services.run_intake, reading the files as streams (`--source text`: from
          in-memory texts, as the admin's task does) — parse and check both files a chunk of records at
          a time, then per chunk of 2,000 records one lookup per table and the set-based write of the
          new cases (recovery.bulk_rows:
          COPY of the MSP occurrences, cases, claims, their simple-history rows and the "open" history
          rows, case numbers from one block of the sequence).
  COPY    the same two CSV files COPYed into two staging tables of text columns (no parsing, no
          validation, no keys) — the floor of getting the bytes into PostgreSQL.

Caveat: run_intake commits once per chunk of records in production; here its chunks are savepoints
of the benchmark's transaction (N/chunk commits are not paid). Printed too: the seconds per phase
(outcome.timings) and the intake's peak RSS (VmHWM, reset just before it). Last line: RESULT {json}.
"""

import gc
import json
import tempfile
import time
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max

from beneficiaries.models import Beneficiary
from payers.models import MSPOccurrence, Payer
from recovery.intake import layout
from recovery.intake.services import CHUNK, Source, run_intake
from recovery.models import CaseEvent, Claim, RecoveryCase
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
        parser.add_argument("--source", choices=["file", "text"], default="file",
                            help="file: read the CSVs as streams (import_intake FILE); text: from in-memory "
                                 "texts (the admin's upload)")

    def handle(self, *args, rows, chunk, source, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_intake compares with COPY: run it on PostgreSQL (DATABASE_URL).")
        actor = system_user()
        result = {}
        try:
            with transaction.atomic():
                result = self._run(rows, chunk, actor, source)
                raise _Rollback
        except _Rollback:
            pass
        self.stdout.write("RESULT " + json.dumps(result))

    def _run(self, rows, chunk, actor, source_kind):
        t0 = time.perf_counter()
        base = 10_000_000 + Beneficiary.objects.count()
        payer = Payer.objects.create(name="Bench Casualty Mutual", kind=Payer.Kind.LIABILITY)
        tmp = tempfile.TemporaryDirectory(prefix="bench-intake-")
        paths = Path(tmp.name) / "cases.csv", Path(tmp.name) / "claims.csv"
        with open(paths[0], "w", newline="") as cases_fh, open(paths[1], "w", newline="") as claims_fh:
            cases_fh.write(",".join(layout.CASE_COLUMNS) + "\n")
            claims_fh.write(",".join(layout.CLAIM_COLUMNS) + "\n")
            for start in range(0, rows, 5000):  # the setup is streamed too: it must not set the peak
                benes = [Beneficiary(mbi=mbi_for(base + i), first_name="Ann", last_name=f"Bench{i}",
                                     date_of_birth=date(1950, 1, 1 + i % 28), address_line1="1 Main St",
                                     city="Albany", state="NY", zip_code="12207", entitlement_basis="age",
                                     entitlement_start=date(2015, 1, 1)) for i in range(start, min(start + 5000, rows))]
                Beneficiary.objects.bulk_create(benes)
                for i, b in enumerate(benes, start):
                    incident = date(2024, 1 + i % 12, 1 + i % 28).isoformat()
                    cases_fh.write(f",{b.mbi},{b.first_name},{b.last_name},{b.date_of_birth},{payer.name},liability,"
                                   f"liability,trauma,{incident},N,,,\n")
                    for k in range(3):
                        claims_fh.write(f",{b.mbi},{incident},B{i:09d}{k},Albany Medical Center,1234567893,"
                                        f"{incident},{incident},S82.101A,{100 + k}.{i % 100:02d},\n")
        size = sum(p.stat().st_size for p in paths)
        self.stdout.write(f"setup: {rows} beneficiaries, {size:,} bytes of CSV in {time.perf_counter() - t0:.1f}s")
        if source_kind == "text":  # as the admin's task reads an upload: the texts from the database
            cases_src, claims_src = paths[0].read_text(), paths[1].read_text()
        else:  # as `import_intake FILE` reads a file: a stream
            cases_src, claims_src = Source(path=paths[0]), Source(path=paths[1])

        cases_before, claims_before = RecoveryCase.objects.count(), Claim.objects.count()
        tables = [MSPOccurrence, MSPOccurrence.history.model, RecoveryCase, RecoveryCase.history.model, CaseEvent,
                  Claim, Claim.history.model]
        last_ids = {m: m.objects.aggregate(n=Max(m._meta.pk.attname))["n"] or 0 for m in tables}
        marks = []
        gc.collect()
        rss_before = _rss("VmRSS")
        reset = _reset_peak()
        t0 = time.perf_counter()
        outcome = run_intake(cases_text=cases_src, claims_text=claims_src, actor=actor, source="bench",
                             chunk=chunk, progress=lambda done, total: marks.append(time.perf_counter()))
        intake_s = time.perf_counter() - t0
        peak = _rss("VmHWM") if reset else None
        laps = [b - a for a, b in zip(marks, marks[1:])]
        if laps:
            self.stdout.write(f"chunks of {chunk} records: first {laps[0]:.2f}s, last {laps[-1]:.2f}s, "
                              f"slowest {max(laps):.2f}s")
        created = RecoveryCase.objects.count() - cases_before
        claims = Claim.objects.count() - claims_before
        if (outcome.created, created, claims, len(outcome.errors)) != (rows, rows, 3 * rows, 0):
            raise CommandError(f"intake did not import everything: {outcome.as_dict()} {outcome.errors[:3]}")
        self.stdout.write(f"intake ({source_kind}): {rows} cases + {claims} claims in {intake_s:.2f}s "
                          f"({(rows + claims) / intake_s:,.0f} rows/s)")
        phases = {k: round(v, 2) for k, v in outcome.timings.items()}
        # "chunks" holds lookup, plan, write and one_by_one; "assemble" is the third read (case rows parsed
        # again, claim rows parsed from the spill file)
        self.stdout.write("phases (s): " + ", ".join(f"{k} {v}" for k, v in phases.items()))
        if peak is not None:
            self.stdout.write(f"memory: RSS {rss_before / 2**20:.0f} MB before the intake, peak {peak / 2**20:.0f} MB "
                              "during it (VmHWM, reset before the intake)")

        with connection.cursor() as cur:
            cols_cases = ", ".join(f"{c} text" for c in layout.CASE_COLUMNS)
            cols_claims = ", ".join(f"{c} text" for c in layout.CLAIM_COLUMNS)
            cur.execute(f"CREATE TEMP TABLE bench_stage_cases ({cols_cases}) ON COMMIT DROP")
            cur.execute(f"CREATE TEMP TABLE bench_stage_claims ({cols_claims}) ON COMMIT DROP")
            t0 = time.perf_counter()
            for table, path in (("bench_stage_cases", paths[0]), ("bench_stage_claims", paths[1])):
                with cur.cursor.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, \
                        open(path, "rb") as fh:
                    while block := fh.read(1 << 20):
                        copy.write(block)
            copy_s = time.perf_counter() - t0
            cur.execute("SELECT (SELECT count(*) FROM bench_stage_cases), (SELECT count(*) FROM bench_stage_claims)")
            copied = cur.fetchone()
        self.stdout.write(f"COPY: {copied[0]} + {copied[1]} rows in {copy_s:.3f}s")
        final_s, final_rows = self._copy_final(tables, last_ids, Path(tmp.name))
        tmp.cleanup()
        self.stdout.write(f"COPY of the rows the intake wrote, into copies of their 7 tables (their indexes, no "
                          f"foreign keys or triggers): {final_rows:,} rows in {final_s:.3f}s")
        ratio = intake_s / copy_s
        per_million_claims = intake_s / (3 * rows) * 1_000_000
        self.stdout.write(f"intake / COPY = {ratio:.1f}x; at this rate 1,000,000 claim rows take "
                          f"{per_million_claims / 60:.1f} min (goal: < 10 min, within 5x of COPY)")
        self.stdout.write(f"intake / COPY of the final rows = {intake_s / final_s:.1f}x; the Python phases "
                          f"(reading, checking, assembling, planning) alone = "
                          f"{sum(phases.get(k, 0) for k in ('read_cases', 'read_claims', 'assemble', 'plan')) / copy_s:.1f}x "
                          "the COPY of the CSV")
        return {"rows": rows, "claims": 3 * rows, "s": round(intake_s, 3), "copy_s": round(copy_s, 3),
                "ratio": round(ratio, 1), "copy_final_s": round(final_s, 3), "copy_final_rows": final_rows,
                "ratio_final": round(intake_s / final_s, 1), "chunk": chunk, "source": source_kind,
                "peak_rss_mb": round(peak / 2**20) if peak is not None else None,
                "rss_before_mb": round(rss_before / 2**20) if rss_before else None, "phases": phases}


    def _copy_final(self, tables, last_ids, folder):
        """The write floor: the rows the intake wrote, COPYed out (untimed) then COPYed (timed) into
        copies of their tables made with LIKE … INCLUDING ALL (indexes, defaults; no foreign keys)."""
        total_s, total_rows = 0.0, 0
        with connection.cursor() as cur:
            for model in tables:
                table, pk = model._meta.db_table, model._meta.pk.column
                copy_name = f"bench_final_{table}"[:63]
                cur.execute(f'CREATE TEMP TABLE "{copy_name}" (LIKE "{table}" INCLUDING ALL) ON COMMIT DROP')
                path = folder / f"{table}.copy"
                with open(path, "wb") as fh, cur.cursor.copy(
                        f'COPY (SELECT * FROM "{table}" WHERE "{pk}" > {int(last_ids[model])}) TO STDOUT') as copy:
                    for block in copy:
                        fh.write(block)
                t0 = time.perf_counter()
                with cur.cursor.copy(f'COPY "{copy_name}" FROM STDIN') as copy, open(path, "rb") as fh:
                    while block := fh.read(1 << 20):
                        copy.write(block)
                total_s += time.perf_counter() - t0
                cur.execute(f'SELECT count(*) FROM "{copy_name}"')
                total_rows += cur.fetchone()[0]
                path.unlink()
        return total_s, total_rows


def _rss(name) -> int | None:
    """VmRSS / VmHWM of this process in bytes (Linux /proc), None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the peak RSS (VmHWM) to the current RSS (Linux ≥ 4.0: write 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False
