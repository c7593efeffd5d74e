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


def preview_batch(batch: IntakeBatch, progress=None) -> IntakeBatch:
    """A dry run of the whole import: what would be created / updated / left unchanged, and every bad row."""
    from .services import run_intake

    outcome = run_intake(cases_text=batch.cases_csv, claims_text=batch.claims_csv, actor=batch.uploaded_by,
                         source=batch.cases_name, dry_run=True, progress=progress)
    batch.preview = outcome.as_dict()
    batch.total = outcome.total
    batch.done = 0
    batch.status = IntakeBatch.Status.PREVIEWED
    batch.save(update_fields=["preview", "total", "done", "status"])
    save_errors(batch, outcome.errors, "preview")
    return batch


def queue_preview(batch: IntakeBatch) -> None:
    """A big upload's preview runs as the task below, with its progress, once the upload is committed."""
    transaction.on_commit(lambda: preview_batch_task.delay(batch.pk))


def _progress(batch_id):
    """Saves a batch's progress (records done of total) after each chunk. run_intake calls it between
    chunks, outside any transaction of its own — a preview rolls back chunk by chunk — so the admin's
    progress bar sees it on every database."""

    def progress(done, total):
        IntakeBatch.objects.filter(pk=batch_id).update(done=done, total=total)

    return progress


@shared_task(name="recovery.intake.preview_batch", acks_late=True)
def preview_batch_task(batch_id: int) -> dict:
    """The preview of an uploaded batch (status previewing), its progress saved after every chunk."""
    batch = IntakeBatch.objects.select_related("uploaded_by").get(pk=batch_id)
    if batch.status != IntakeBatch.Status.PREVIEWING:
        return batch.preview  # delivered twice: the preview is there
    try:
        preview_batch(batch, progress=_progress(batch_id))
    except Exception as exc:  # recorded on the batch for the admin, then re-raised for the worker's log
        log.exception("intake preview %s failed", batch_id)
        IntakeBatch.objects.filter(pk=batch_id).update(status=IntakeBatch.Status.FAILED, failure=str(exc)[:2000],
                                                       finished_at=timezone.now())
        raise
    return batch.preview


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

    try:
        outcome = run_intake(cases_text=batch.cases_csv, claims_text=batch.claims_csv, actor=batch.uploaded_by,
                             source=batch.cases_name, progress=_progress(batch_id))
    except Exception as exc:  # recorded on the batch for the admin, then re-raised for the worker's log
        log.exception("intake batch %s failed", batch_id)
        IntakeBatch.objects.filter(pk=batch_id).update(status=IntakeBatch.Status.FAILED, failure=str(exc)[:2000],
                                                       finished_at=timezone.now())
        raise
    save_errors(batch, outcome.errors, "import")
    IntakeBatch.objects.filter(pk=batch_id).update(status=IntakeBatch.Status.DONE, result=outcome.as_dict(),
                                                   done=outcome.total, total=outcome.total, finished_at=timezone.now())
    return outcome.as_dict()
