"""Uploads (issue 5): type by content, size limit, no empty files, no paths; nothing stored on refusal."""

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recovery.access.documents import clean_name, document_bytes, document_store
from recovery.errors import CaseActionError
from recovery.models import UploadedDocument
from tests import factories as f

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def stored_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "none of them"),  # a renamed executable
        ("settlement.pdf", b"", "empty"),
        ("../../etc/passwd.pdf", PDF, "folder path"),
        ("..\\..\\boot.pdf", PDF, "folder path"),
        ("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "not what it claims"),
        ("report.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n", "incomplete"),
        ("script.pdf", b"#!/bin/sh\nrm -rf /\n", "none of them"),
    ],
)
def test_a_bad_upload_is_refused_with_a_clear_message_and_nothing_is_stored(settings, name, content, message):
    user = f.caseworker()
    upload = SimpleUploadedFile(name, content)
    upload.raw_name = name  # as the raw-name upload handler records it (Django's parser cuts paths off)
    with pytest.raises(CaseActionError) as err:
        document_store(uploaded=upload, purpose="settlement", actor=user)
    assert message in err.value.message and err.value.field == "document"
    assert not UploadedDocument.objects.exists()
    assert stored_files(settings) == []


def test_an_oversize_upload_is_refused(settings):
    settings.MAX_UPLOAD_BYTES = 1024
    with pytest.raises(CaseActionError, match="larger than"):
        document_store(uploaded=SimpleUploadedFile("big.pdf", PDF + b"0" * 2000 + b"%%EOF"), purpose="other",
                       actor=f.caseworker())
    assert not UploadedDocument.objects.exists() and stored_files(settings) == []


def test_a_good_pdf_is_stored_under_a_generated_name_with_its_hash(settings):
    doc = document_store(uploaded=SimpleUploadedFile("Zoë's settlement.pdf", PDF), purpose="settlement",
                         actor=f.caseworker())
    assert doc.content_type == "application/pdf" and doc.size == len(PDF)
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
    assert doc.original_name == "Zoë's settlement.pdf"
    assert str(doc.key) in doc.file.name and "Zo" not in doc.file.name  # nothing of the user's name on disk
    assert not doc.file.name.startswith("/") and ".." not in doc.file.name
    assert document_bytes(doc) == PDF


def test_a_stored_document_altered_on_disk_fails_its_hash_check(settings):
    doc = document_store(uploaded=SimpleUploadedFile("a.pdf", PDF), purpose="other", actor=f.caseworker())
    Path(doc.file.path).write_bytes(PDF.replace(b"1.4", b"1.5"))
    with pytest.raises(ValueError, match="SHA-256"):
        document_bytes(doc)


@pytest.mark.parametrize("raw, clean", [("a/b/c.pdf", "c.pdf"), ("C:\\x\\y.pdf", "y.pdf"), ("\x00\x1fz.pdf", "z.pdf"),
                                        (".hidden.pdf", "hidden.pdf"), ("", "document")])
def test_a_file_name_is_kept_only_as_clean_text(raw, clean):
    assert clean_name(raw) == clean


def test_through_http_a_path_traversal_name_reaches_the_check_and_is_refused(client, settings):
    """Django's multipart parser cuts "../../x.pdf" down to "x.pdf"; the raw-name handler keeps it."""
    from django.http import HttpResponse
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    seen = {}

    @csrf_exempt
    def upload(request):
        uploaded = request.FILES["document"]
        seen["raw"], seen["name"] = getattr(uploaded, "raw_name", None), uploaded.name
        try:
            document_store(uploaded=uploaded, purpose="other", actor=f.caseworker())
        except CaseActionError as exc:
            return HttpResponse(exc.message, status=400)
        return HttpResponse("ok")

    import sys
    import types

    module = types.ModuleType("tests_upload_urls")
    module.urlpatterns = [path("up/", upload)]
    sys.modules["tests_upload_urls"] = module
    settings.ROOT_URLCONF = "tests_upload_urls"
    body = (b"--B\r\nContent-Disposition: form-data; name=\"document\"; filename=\"../../etc/x.pdf\"\r\n"
            b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\r\n--B--\r\n")
    response = client.generic("POST", "/up/", body, content_type="multipart/form-data; boundary=B")
    assert seen == {"raw": "../../etc/x.pdf", "name": "x.pdf"}
    assert response.status_code == 400 and b"folder path" in response.content
    assert not UploadedDocument.objects.exists()
