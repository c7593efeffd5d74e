"""Celery tasks: thin wrappers over the sweeps and the outbox (STYLE.md: tasks load, call, retry)."""

import logging
from datetime import date

from celery import group, shared_task
from django.utils import timezone

from . import outbox, sweeps

log = logging.getLogger(__name__)


@shared_task(name="recovery.sweep_deadlines")
def sweep_deadlines(as_of: str | None = None, dated_by: str = sweeps.RULE, chunk_size: int = 500) -> int:
    """Find the due cases and share them out to the workers in chunks (SPEC §4)."""
    as_of_day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    ids = sweeps.due_case_ids(as_of=as_of_day)
    chunks = [ids[i:i + chunk_size] for i in range(0, len(ids), chunk_size)]
    if chunks:
        group(sweep_chunk.s(chunk, as_of_day.isoformat(), dated_by) for chunk in chunks).apply_async()
    return len(ids)


@shared_task(name="recovery.sweep_chunk", acks_late=True)
def sweep_chunk(ids: list[int], as_of: str, dated_by: str = sweeps.RULE) -> int:
    """Process some due cases. Each case locks its own row: a chunk delivered twice, or two workers on
    the same case, change each case once."""
    results = sweeps.sweep(as_of=date.fromisoformat(as_of), dated_by=dated_by, ids=ids)
    outbox_kick()
    return sum(len(r.steps) for r in results)


@shared_task(name="recovery.relay_outbox")
def relay_outbox() -> int:
    return outbox.relay()


def outbox_kick():
    """Ask a worker to relay the outbox now. Called after commit; if the broker is unreachable the
    letters wait in the outbox for the periodic relay — the step that wrote them has succeeded."""
    try:
        relay_outbox.apply_async(retry=False)
    except Exception as exc:  # noqa: BLE001 — a broker outage must never fail a caseworker's step
        log.warning("outbox relay not queued (%s); the periodic relay will deliver", exc)
from .intake import tasks as _intake_tasks  # noqa: E402,F401 — registers recovery.intake.import_batch
