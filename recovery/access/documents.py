"""Accepting an uploaded file (SPEC §9; issue 5): the type is found from the content (magic bytes)
against an allow-list, the size is bounded, an empty file is refused, the stored name is generated
and the uploader's name is kept only as cleaned text. Nothing is stored when any check fails."""

import hashlib
from datetime import datetime, time, timedelta
import re
import unicodedata

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..errors import CaseActionError
from ..models import UploadedDocument

# (magic prefix, content type, extensions a name may carry)
_SIGNATURES = [
    (b"%PDF-", "application/pdf", {".pdf"}),
    (b"\x89PNG\r\n\x1a\n", "image/png", {".png"}),
    (b"\xff\xd8\xff", "image/jpeg", {".jpg", ".jpeg"}),
    (b"II*\x00", "image/tiff", {".tif", ".tiff"}),
    (b"MM\x00*", "image/tiff", {".tif", ".tiff"}),
]


def sniff(head: bytes) -> tuple[str, set[str]] | None:
    for magic, content_type, extensions in _SIGNATURES:
        if head.startswith(magic):
            return content_type, extensions
    return None


def clean_name(name: str) -> str:
    """The uploader's file name as harmless display text: no folders, no control characters."""
    name = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    return name[:200] or "document"


def max_upload_bytes() -> int:
    return getattr(settings, "MAX_UPLOAD_BYTES", 10 * 1024 * 1024)


def _size_text(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(limit // 1024, 1)} KB"


def upload_quota_bytes() -> int:
    return getattr(settings, "UPLOAD_QUOTA_BYTES", 200 * 1024 * 1024)


def uploaded_today(actor) -> int:
    """Bytes `actor` uploaded today, by the contractor's calendar day (TIME_ZONE)."""
    from django.db.models import Sum

    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    return (UploadedDocument.objects.filter(uploaded_by=actor, uploaded_at__gte=start,
                                            uploaded_at__lt=start + timedelta(days=1))
            .aggregate(total=Sum("size"))["total"] or 0)


def _check_quota(actor, size: int, field: str) -> None:
    """UPLOAD_QUOTA_MB per user per day (issue 9 #12). The user's row is locked (PostgreSQL) so that two
    uploads at once cannot both fit under what is left."""
    if actor is None or not getattr(actor, "pk", None):
        return
    from django.contrib.auth import get_user_model

    get_user_model()._default_manager.select_for_update().filter(pk=actor.pk).first()
    quota = upload_quota_bytes()
    used = uploaded_today(actor)
    if used + size > quota:
        left = max(quota - used, 0)
        raise CaseActionError(f"The daily upload limit of {_size_text(quota)} per person is reached "
                              f"({_size_text(left) if left else 'nothing'} left today): try again tomorrow.",
                              field=field)


@transaction.atomic
def document_store(*, uploaded, purpose: str, actor, case=None, field: str = "document") -> UploadedDocument:
    """Check and store one uploaded file (a Django UploadedFile or anything with .name, .size, .read)."""
    if uploaded is None:
        raise CaseActionError("Choose a file to upload.", field=field)
    raw_name = getattr(uploaded, "raw_name", None) or getattr(uploaded, "name", "") or ""
    if ".." in raw_name.replace("\\", "/").split("/") or raw_name.startswith(("/", "\\")) or "\x00" in raw_name:
        raise CaseActionError("The file name must not contain a folder path.", field=field)
    size = getattr(uploaded, "size", None)
    limit = max_upload_bytes()
    if size is not None and size > limit:
        raise CaseActionError(f"The file is larger than the {_size_text(limit)} limit.", field=field)
    data = uploaded.read(limit + 1)
    if len(data) == 0:
        raise CaseActionError("The file is empty.", field=field)
    if len(data) > limit:
        raise CaseActionError(f"The file is larger than the {_size_text(limit)} limit.", field=field)
    found = sniff(data[:16])
    if found is None:
        raise CaseActionError("Only PDF, PNG, JPEG or TIFF files are accepted, and this file is none of them.",
                              field=field)
    content_type, extensions = found
    name = clean_name(raw_name)
    dot = name.rfind(".")
    extension = name[dot:].lower() if dot > 0 else ""
    if extension not in extensions:
        raise CaseActionError(f"The file is a {content_type.split('/')[1].upper()} but its name says "
                              f"'{extension or 'no type'}': it is not what it claims to be.", field=field)
    if content_type == "application/pdf" and b"%%EOF" not in data[-2048:]:
        raise CaseActionError("The PDF is incomplete or damaged.", field=field)
    _check_quota(actor, len(data), field)
    from django.core.files.base import ContentFile

    doc = UploadedDocument(case=case, purpose=purpose, original_name=name, content_type=content_type,
                           size=len(data), sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor,
                           uploaded_at=timezone.now())
    doc.file.save(str(doc.key), ContentFile(data), save=False)
    doc.save()
    return doc


def document_bytes(doc: UploadedDocument) -> bytes:
    """The stored bytes, checked against the SHA-256 kept at upload."""
    with doc.file.open("rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != doc.sha256:
        raise ValueError(f"Document {doc.pk} does not match its SHA-256: it has been altered.")
    return data
