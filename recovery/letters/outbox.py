"""The letter outbox (SPEC §3.4, §6): a letter and its deliveries are written in the same transaction
as the step that issues them; this relay delivers them afterwards, outside any web request.

Each delivery is claimed (row locked, attempt counted, leased; committed), sent outside any
transaction (email to a recipient with an address, otherwise a PDF in the print queue folder), and
marked sent under its idempotency key in a new transaction; a failure is retried with capped
exponential backoff. Email carries the key as its Message-ID so that a resend after a
crash between sending and marking (at-least-once delivery) can be recognised downstream; the print
queue file is named by the key, so a resend overwrites the same file.
"""

import hashlib
import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ..models import Letter, LetterDelivery, LetterDocument
from .pdf import letter_filename, render_letter_pdf

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(hours=1)


def letter_document(letter: Letter) -> LetterDocument:
    """The stored PDF of a letter, rendered and kept the first time it is needed.

    Safe under concurrency (issue 9, finding 11): the first render locks the letter's row, so people
    opening a never-rendered letter at once wait for one render and all get the same document — no
    IntegrityError on the one-to-one, no second file. A file whose row could not be written is deleted."""
    existing = LetterDocument.objects.filter(letter_id=letter.pk).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        # A row lock on PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers.
        Letter.objects.select_for_update().filter(pk=letter.pk).values_list("pk", flat=True).first()
        existing = LetterDocument.objects.filter(letter_id=letter.pk).first()
        if existing is not None:
            return existing
        data = render_letter_pdf(letter)
        doc = LetterDocument(letter=letter, sha256=hashlib.sha256(data).hexdigest())
        doc.pdf.save(letter_filename(letter), ContentFile(data), save=False)
        try:
            with transaction.atomic():
                doc.save()
        except IntegrityError:  # written meanwhile by a path that did not take the lock: use that one
            doc.pdf.delete(save=False)
            return LetterDocument.objects.get(letter_id=letter.pk)
        except BaseException:
            doc.pdf.delete(save=False)
            raise
        return doc


def letter_pdf_bytes(letter: Letter) -> bytes:
    """The stored PDF, checked against its SHA-256."""
    doc = letter_document(letter)
    with doc.pdf.open("rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != doc.sha256:
        raise ValueError(f"The stored PDF of letter {letter.pk} does not match its SHA-256.")
    return data


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 10)), MAX_BACKOFF)


def _send(delivery: LetterDelivery, data: bytes):
    letter = delivery.letter
    if delivery.channel == "email":
        message = EmailMessage(
            subject=f"{letter.get_kind_display()} — case {letter.case.number}",
            body=f"Dear {delivery.recipient},\n\nPlease find attached the {letter.get_kind_display().lower()} "
                 f"dated {letter.letter_date:%B %d, %Y} for case {letter.case.number}.\n",
            to=[delivery.address],
            headers={"Message-ID": f"<{delivery.idempotency_key}@msp-recovery>"},
        )
        message.attach(letter_filename(letter), data, "application/pdf")
        message.send(fail_silently=False)
    else:
        folder = Path(settings.PRINT_QUEUE_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{delivery.idempotency_key}.pdf").write_bytes(data)
        (folder / f"{delivery.idempotency_key}.address.txt").write_text(f"{delivery.recipient}\n{delivery.address}\n")


def claim_lease() -> timedelta:
    """How long a claimed delivery is left to its relay before another may take it: well past the
    longest a send may take (each SMTP operation is bounded by EMAIL_TIMEOUT)."""
    return max(timedelta(seconds=10 * (getattr(settings, "EMAIL_TIMEOUT", None) or 30)), timedelta(minutes=1))


def _claim(delivery_id: int) -> tuple[LetterDelivery | None, bool]:
    """Claim a due delivery in a short transaction of its own: (the delivery, or None; already sent?).
    The claim counts the attempt and leases the row (next_attempt_at) so that no other relay takes it
    while it is being sent; a relay that dies mid-send leaves it to be retried once the lease runs out."""
    with transaction.atomic():
        rows = LetterDelivery.objects.all()
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        delivery = rows.filter(pk=delivery_id).first()
        if delivery is None:
            return None, False  # another relay holds it
        if delivery.status == LetterDelivery.Status.SENT:
            return None, True
        now = timezone.now()
        if delivery.status != LetterDelivery.Status.PENDING or (
                delivery.next_attempt_at is not None and delivery.next_attempt_at > now):
            return None, False  # failed for good, waiting for its retry, or claimed by another relay
        delivery.attempts += 1
        delivery.next_attempt_at = now + claim_lease()
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        return delivery, False


def _record(delivery: LetterDelivery, error: Exception | None) -> bool:
    """Record the outcome of the send in a new transaction — only if the claim is still ours (no other
    relay has claimed the row since: its attempts are unchanged)."""
    with transaction.atomic():
        row = LetterDelivery.objects.select_for_update().filter(
            pk=delivery.pk, attempts=delivery.attempts, status=LetterDelivery.Status.PENDING).first()
        if row is None:
            log.warning("delivery %s was claimed again while being sent; its outcome is left to that relay",
                        delivery.pk)
            return error is None
        if error is None:
            row.status = LetterDelivery.Status.SENT
            row.sent_at = timezone.now()
            row.save(update_fields=["status", "sent_at"])
            return True
        row.last_error = f"{type(error).__name__}: {error}"[:2000]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = LetterDelivery.Status.FAILED
        row.next_attempt_at = timezone.now() + backoff(row.attempts)
        row.save(update_fields=["last_error", "status", "next_attempt_at"])
        log.warning("delivery %s failed (attempt %s): %s", row.pk, row.attempts, error)
        return False


def deliver(delivery_id: int) -> bool:
    """Deliver one letter to one recipient, once. Returns True when it is (now or already) sent.

    Claim (commit), send outside any transaction, record (commit) — issue 9: a hung SMTP server holds
    no database lock, and EMAIL_TIMEOUT bounds it. A crash after the send and before the record leaves
    the delivery claimed; it is sent again once the claim's lease runs out (at-least-once, recognisable
    by its Message-ID / print file name)."""
    delivery, already_sent = _claim(delivery_id)
    if delivery is None:
        return already_sent
    try:
        _send(delivery, letter_pdf_bytes(delivery.letter))
    except Exception as exc:  # noqa: BLE001 — any failure is recorded and retried
        return _record(delivery, exc)
    return _record(delivery, None)


def pending_ids(*, limit: int = 500) -> list[int]:
    now = timezone.now()
    rows = LetterDelivery.objects.filter(status=LetterDelivery.Status.PENDING)
    rows = rows.filter(next_attempt_at__isnull=True) | rows.filter(next_attempt_at__lte=now)
    return list(rows.order_by("id").values_list("pk", flat=True)[:limit])


def relay(*, limit: int = 500) -> int:
    """Deliver what is due; returns how many were sent."""
    return sum(deliver(pk) for pk in pending_ids(limit=limit))
