"""Benchmark (SPEC §6, §10; issue "Scale, part 2", letters): how fast a letter renders, and whether
the outbox relay drains a night's letters on one worker.

    manage.py bench_letters [--repeat 5] [--deliveries 1000] [--letters N]

Inside one transaction that is rolled back at the end (files go to a temporary folder that is
removed), it loads the demo (letters of every kind, on every track, accented names), then:

1. Render: every demo letter (or the first `--letters`, one of each kind first), `--repeat` times with each renderer — today's platypus layout
   (`pdf.render_letter_pdf`) and the earlier xhtml2pdf one (`pdf.render_letter_pdf_xhtml2pdf`), the
   baseline — timing wall and CPU per render; prints the median, p95 and the ratio. Goal: a median
   ≤ 20 ms.
2. Relay: `--deliveries` new letters (copies of the demo's, never rendered) with one pending delivery
   each, half by email (locmem backend) and half to the print queue, then `outbox.relay()` until
   nothing is pending — each delivery renders its letter, stores the PDF with its SHA-256 and sends.
   Prints the rate and the time 100,000 deliveries would take on one worker at that rate. Goal: well
   inside a night (8 h).

The last line is `RESULT {json}` with `letters`, `renders`, `median_ms`, `p95_ms`, `cpu_median_ms`,
`baseline_median_ms`, `baseline_cpu_median_ms`, `speedup`, `deliveries`, `relay_s`,
`relay_per_s`, `hours_for_100k`, `peak_rss_mb`, and `load_avg` (the machine's 1-minute load average at
the start and the end: on a shared machine the wall-clock figures grow with it, the CPU figures far
less — compare those).
"""

import json
import os
import resource
import shutil
import statistics
import tempfile
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings

from recovery.letters import outbox
from recovery.demo import load_demo
from recovery.models import Letter, LetterDelivery
from recovery.letters.pdf import render_letter_pdf, render_letter_pdf_xhtml2pdf


class _Rollback(Exception):
    pass


def _timed(render, letter) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    data = render(letter)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, len(data)


def _p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


class Command(BaseCommand):
    help = "Letter rendering (platypus vs xhtml2pdf) and the outbox relay's rate; ends with RESULT {json}."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=5, help="Renders of each letter per renderer")
        parser.add_argument("--deliveries", type=int, default=1000, help="Deliveries the relay drains")
        parser.add_argument("--letters", type=int, default=0, help="Render only this many letters (0: all)")

    def handle(self, *args, repeat, deliveries, letters, **options):
        folder = tempfile.mkdtemp(prefix="bench-letters-")
        result = {}
        load_start = os.getloadavg()[0]
        try:
            with override_settings(MEDIA_ROOT=f"{folder}/media", PRINT_QUEUE_DIR=f"{folder}/print",
                                   EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                try:
                    with transaction.atomic():
                        result = self._run(repeat, deliveries, letters)
                        raise _Rollback
                except _Rollback:
                    pass
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        result["load_avg"] = [round(load_start, 2), round(os.getloadavg()[0], 2)]
        self.stdout.write(f"peak RSS {result['peak_rss_mb']} MB; load average {result['load_avg'][0]} -> "
                          f"{result['load_avg'][1]} (on a busy machine compare the CPU medians)")
        self.stdout.write("RESULT " + json.dumps(result))

    def _run(self, repeat, deliveries, limit) -> dict:
        load_demo()
        letters = list(Letter.objects.select_related("case__beneficiary", "case__debtor_payer").order_by("id"))
        if limit:
            first_of_kind = list({str(letter.kind): letter for letter in reversed(letters)}.values())
            letters = (first_of_kind + [letter for letter in letters if letter not in first_of_kind])[:limit]
        kinds = sorted({str(letter.kind) for letter in letters})
        self.stdout.write(f"{len(letters)} demo letters of {len(kinds)} kinds: {', '.join(kinds)}")

        # Warm both renderers (fonts, templates, imports) so the first render is not counted.
        render_letter_pdf(letters[0])
        render_letter_pdf_xhtml2pdf(letters[0])

        figures = {}
        for name, render in (("platypus", render_letter_pdf), ("xhtml2pdf", render_letter_pdf_xhtml2pdf)):
            walls, cpus, sizes = [], [], []
            for _ in range(repeat):
                for letter in letters:
                    wall, cpu, size = _timed(render, letter)
                    walls.append(wall)
                    cpus.append(cpu)
                    sizes.append(size)
            figures[name] = {"median": statistics.median(walls), "p95": _p95(walls),
                             "cpu_median": statistics.median(cpus), "kb": statistics.median(sizes) / 1024}
            f = figures[name]
            self.stdout.write(f"{name:10} {len(walls)} renders: median {f['median']:.1f} ms, p95 {f['p95']:.1f} ms, "
                              f"CPU median {f['cpu_median']:.1f} ms, median size {f['kb']:.0f} KB")
        new, old = figures["platypus"], figures["xhtml2pdf"]
        speedup = old["median"] / new["median"]
        self.stdout.write(f"platypus is {speedup:.1f}x faster than xhtml2pdf (median); goal median <= 20 ms: "
                          f"{'met' if new['median'] <= 20 else 'NOT met'}")

        # The relay: fresh letters (never rendered), one pending delivery each.
        copies = Letter.objects.bulk_create([
            Letter(case=letters[i % len(letters)].case, kind=letters[i % len(letters)].kind,
                   letter_date=letters[i % len(letters)].letter_date, recipients=letters[i % len(letters)].recipients,
                   amount=letters[i % len(letters)].amount, content=letters[i % len(letters)].content,
                   event=letters[i % len(letters)].event)
            for i in range(deliveries)
        ])
        LetterDelivery.objects.filter(status=LetterDelivery.Status.PENDING).update(status=LetterDelivery.Status.SENT)
        LetterDelivery.objects.bulk_create([
            LetterDelivery(letter=letter, recipient="Bench Recipient", role="beneficiary",
                           channel="email" if i % 2 else "print",
                           address="bench@example.org" if i % 2 else "1 Bench Street\nAlbany, NY 12207")
            for i, letter in enumerate(copies)
        ])
        wall, cpu, sent = time.perf_counter(), time.process_time(), 0
        while True:
            done = outbox.relay(limit=500)
            sent += done
            if not done:
                break
        relay_s, relay_cpu = time.perf_counter() - wall, time.process_time() - cpu
        left = LetterDelivery.objects.filter(status=LetterDelivery.Status.PENDING).count()
        rate = sent / relay_s if relay_s else 0.0
        hours = 100_000 / rate / 3600 if rate else None
        self.stdout.write(f"relay: {sent} deliveries sent in {relay_s:.1f} s (CPU {relay_cpu:.1f} s), {left} left; "
                          f"{rate:.1f}/s -> 100,000 in {hours:.2f} h on one worker (a night is 8 h)")
        return {
            "letters": len(letters), "renders": repeat * len(letters),
            "median_ms": round(new["median"], 2), "p95_ms": round(new["p95"], 2),
            "cpu_median_ms": round(new["cpu_median"], 2),
            "baseline_median_ms": round(old["median"], 2), "baseline_cpu_median_ms": round(old["cpu_median"], 2),
            "speedup": round(speedup, 2), "deliveries": sent, "left": left, "relay_s": round(relay_s, 2),
            "relay_per_s": round(rate, 1), "hours_for_100k": round(hours, 2) if hours else None,
        }
