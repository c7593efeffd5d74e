"""Downloading an uploaded document: only through this authorised, audited view, as an attachment,
with its SHA-256 checked (issue 5)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from ..access import checks as access, audit
from ..access.documents import document_bytes
from ..models import UploadedDocument


def may_read_document(user, doc: UploadedDocument) -> bool:
    if access.is_staff_user(user):
        return True
    if doc.uploaded_by_id == user.pk:
        return True
    return doc.case_id is not None and access.cases_for(user).filter(pk=doc.case_id).exists()


@login_required
def document_download(request, key):
    doc = UploadedDocument.objects.filter(key=key).first()
    if doc is None or not may_read_document(request.user, doc):
        if doc is not None:
            audit.record(request, audit.A.DOWNLOAD, doc, outcome="denied", channel="download")
        raise Http404("No such document.")
    data = document_bytes(doc)
    audit.record(request, audit.A.DOWNLOAD, doc, channel="download")
    response = HttpResponse(data, content_type=doc.content_type)
    safe_name = doc.original_name.replace('"', "").encode("ascii", "replace").decode()
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"  # PHI: never kept by a browser or proxy cache (issue 9)
    return response
