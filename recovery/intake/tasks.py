"""The intake's Celery task (STYLE.md: tasks load, call, record). Eager in development and tests."""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from ..models import IntakeBatch, IntakeRowError

log = logging.getLogger(__name__)


def save_errors(batch, errors, phase):
    IntakeRowError.objects.filter(batch=batch, phase=phase).delete()
    IntakeRowError.objects.bulk_create(
        [IntakeRowError(batch=batch, phase=phase, file=e.file, line=e.line, field=e.field, reason=e.reason,
                        key=e.key[:120]) for e in errors], batch_size=2000)


def preview_batch(batch: IntakeBatch) -> IntakeBatch:
    """A dry run of the whole import: what would be created / updated / left unchanged, and every bad row."""
    from .services import run_intake

    outcome = run_intake(cases_text=batch.cases_csv, claims_text=batch.claims_csv, actor=batch.uploaded_by,
                         source=batch.cases_name, dry_run=True)
    batch.preview = outcome.as_dict()
    batch.total = outcome.total
    batch.save(update_fields=["preview", "total"])
    save_errors(batch, outcome.errors, "preview")
    return batch


def confirm_batch(batch: IntakeBatch) -> bool:
    """Queue a previewed batch once; False if it was already confirmed (a double click)."""
    with transaction.atomic():
        updated = IntakeBatch.objects.filter(pk=batch.pk, status=IntakeBatch.Status.PREVIEWED).update(
            status=IntakeBatch.Status.QUEUED, done=0)
    if updated:
        transaction.on_commit(lambda: import_batch.delay(batch.pk))
    return bool(updated)


@shared_task(name="recovery.intake.import_batch", acks_late=True)
def import_batch(batch_id: int) -> dict:
    """Run a confirmed batch; its progress (records done of total) is saved after every chunk."""
    from .services import run_intake

    claimed = IntakeBatch.objects.filter(pk=batch_id, status=IntakeBatch.Status.QUEUED).update(
        status=IntakeBatch.Status.RUNNING)
    batch = IntakeBatch.objects.select_related("uploaded_by").get(pk=batch_id)
    if not claimed:
        return batch.result  # delivered twice, or not confirmed: nothing to do

    def progress(done, total):
        IntakeBatch.objects.filter(pk=batch_id).update(done=done, total=total)

    try:
        outcome = run_intake(cases_text=batch.cases_csv, claims_text=batch.claims_csv, actor=batch.uploaded_by,
                             source=batch.cases_name, progress=progress)
    except Exception as exc:  # recorded on the batch for the admin, then re-raised for the worker's log
        log.exception("intake batch %s failed", batch_id)
        IntakeBatch.objects.filter(pk=batch_id).update(status=IntakeBatch.Status.FAILED, failure=str(exc)[:2000],
                                                       finished_at=timezone.now())
        raise
    save_errors(batch, outcome.errors, "import")
    IntakeBatch.objects.filter(pk=batch_id).update(status=IntakeBatch.Status.DONE, result=outcome.as_dict(),
                                                   done=outcome.total, total=outcome.total, finished_at=timezone.now())
    return outcome.as_dict()
