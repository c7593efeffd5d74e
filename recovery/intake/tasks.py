"""The intake's Celery task (STYLE.md: tasks load, call, record). Eager in development and tests."""

import json
import logging
import os
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
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


def _progress_file(batch_id) -> Path:
    return Path(settings.VAR_DIR) / "intake" / f"preview-{int(batch_id)}.json"


class _SideProgress:
    """The preview is one dry-run transaction rolled back at the end, so its progress cannot be written
    through the same connection (it would be invisible, then rolled back). On PostgreSQL it is written
    through a second connection, in autocommit, never waiting on a lock. On SQLite, which lets one
    connection write at a time (the dry run holds that lock until it rolls back), it goes to a small
    file beside the database (VAR_DIR/intake/), which `live_progress` reads while the batch previews."""

    def __init__(self, batch_id):
        self.batch_id = batch_id
        self.conn = connections.create_connection(DEFAULT_DB_ALIAS) if connection.vendor == "postgresql" else None
        self.path = None if self.conn is not None else _progress_file(batch_id)

    def __call__(self, done, total):
        try:
            if self.conn is not None:
                with self.conn.cursor() as cur:
                    cur.execute("SET lock_timeout = '200ms'")
                    cur.execute(f"UPDATE {IntakeBatch._meta.db_table} SET done = %s, total = %s WHERE id = %s",
                                [done, total, self.batch_id])
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                partial = self.path.with_suffix(".part")
                partial.write_text(json.dumps({"done": done, "total": total}))
                os.replace(partial, self.path)  # a reader sees the old figures or the new, never half
        except (DatabaseError, OSError):  # progress is a courtesy: never the reason a preview fails
            log.warning("intake preview %s: progress not saved", self.batch_id)

    def close(self):
        if self.conn is not None:
            self.conn.close()
        else:
            for path in (self.path, self.path.with_suffix(".part")):
                try:
                    path.unlink(missing_ok=True)
                except OSError:  # a progress file left behind never fails the preview
                    log.warning("intake preview %s: progress file %s not removed", self.batch_id, path)


def live_progress(batch: IntakeBatch) -> IntakeBatch:
    """A previewing batch with the progress its task saved beside the database (SQLite), if any."""
    if batch.status == IntakeBatch.Status.PREVIEWING and connection.vendor != "postgresql":
        try:
            saved = json.loads(_progress_file(batch.pk).read_text())
            batch.done, batch.total = int(saved["done"]), int(saved["total"])
        except (OSError, ValueError, KeyError, TypeError):
            pass  # not started yet, or just finished
    return batch


@shared_task(name="recovery.intake.preview_batch", acks_late=True)
def preview_batch_task(batch_id: int) -> dict:
    """The preview of an uploaded batch (status previewing), its progress saved after every chunk."""
    batch = IntakeBatch.objects.select_related("uploaded_by").get(pk=batch_id)
    if batch.status != IntakeBatch.Status.PREVIEWING:
        return batch.preview  # delivered twice: the preview is there
    progress = _SideProgress(batch_id)
    try:
        preview_batch(batch, progress=progress)
    except Exception as exc:  # recorded on the batch for the admin, then re-raised for the worker's log
        log.exception("intake preview %s failed", batch_id)
        IntakeBatch.objects.filter(pk=batch_id).update(status=IntakeBatch.Status.FAILED, failure=str(exc)[:2000],
                                                       finished_at=timezone.now())
        raise
    finally:
        progress.close()
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
