"""A per-person daily upload quota (UPLOAD_QUOTA_MB, issue 9 #12), enforced in the one upload service
(recovery.access.documents.document_store): past it, the upload is refused naming the field, nothing is
stored; the next calendar day (contractor's time zone) the quota is fresh; other people are not affected."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from recovery.access.documents import document_store
from recovery.errors import CaseActionError
from recovery.models import UploadedDocument
from tests import factories as f

pytestmark = pytest.mark.django_db
KB = 1024


def pdf(size):
    """A valid PDF of exactly `size` bytes."""
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    return head + b"0" * (size - len(head) - len(tail)) + tail


def upload(size, name="evidence.pdf"):
    return SimpleUploadedFile(name, pdf(size), content_type="application/pdf")


def stored_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def quota_10kb(settings):
    settings.UPLOAD_QUOTA_BYTES = 10 * KB
    settings.MAX_UPLOAD_BYTES = 10 * 1024 * KB


def test_uploads_up_to_the_quota_are_taken_and_the_next_byte_is_refused(settings, quota_10kb):
    user = f.caseworker()
    document_store(uploaded=upload(6 * KB), purpose="settlement", actor=user)
    document_store(uploaded=upload(4 * KB), purpose="settlement", actor=user)  # exactly 10 KB: taken
    files = stored_files(settings)
    with pytest.raises(CaseActionError) as err:
        document_store(uploaded=upload(100), purpose="settlement", actor=user, field="file")
    assert err.value.field == "file"
    assert "daily upload limit of 10 KB" in err.value.message and "nothing left today" in err.value.message
    assert UploadedDocument.objects.count() == 2 and stored_files(settings) == files  # nothing stored


def test_the_refusal_says_what_is_left(quota_10kb):
    user = f.caseworker()
    document_store(uploaded=upload(7 * KB), purpose="settlement", actor=user)
    with pytest.raises(CaseActionError) as err:
        document_store(uploaded=upload(5 * KB), purpose="settlement", actor=user)
    assert "(3 KB left today)" in err.value.message and err.value.field == "document"


def test_the_quota_is_per_person(quota_10kb):
    one, two = f.caseworker("one"), f.caseworker("two")
    document_store(uploaded=upload(10 * KB), purpose="settlement", actor=one)
    document_store(uploaded=upload(10 * KB), purpose="settlement", actor=two)
    assert UploadedDocument.objects.count() == 2


def test_the_quota_is_fresh_the_next_calendar_day_in_the_contractors_time_zone(settings, quota_10kb):
    user = f.caseworker()
    tz = ZoneInfo(settings.TIME_ZONE)
    late = datetime(2026, 3, 9, 23, 59, tzinfo=tz)
    with time_machine.travel(late, tick=False):
        document_store(uploaded=upload(10 * KB), purpose="settlement", actor=user)
        with pytest.raises(CaseActionError):
            document_store(uploaded=upload(100), purpose="settlement", actor=user)
    with time_machine.travel(late + timedelta(minutes=1), tick=False):  # midnight there: a new day
        document_store(uploaded=upload(10 * KB), purpose="settlement", actor=user)
    assert UploadedDocument.objects.count() == 2


def test_the_api_refuses_past_the_quota_naming_file(settings, quota_10kb):
    user = f.caseworker()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    def post(size):
        return client.post("/api/documents/", {"file": upload(size), "purpose": "settlement"}, format="multipart")

    assert post(8 * KB).status_code == 201
    response = post(4 * KB)
    assert response.status_code == 400
    assert list(response.json()) == ["file"] and "daily upload limit" in response.json()["file"][0]
    assert UploadedDocument.objects.count() == 1 and len(stored_files(settings)) == 1


def test_a_lazy_request_user_is_counted_too(settings, quota_10kb):
    """Pages hand document_store request.user as it is: a lazy object (the quota must not trip on it)."""
    from django.utils.functional import SimpleLazyObject

    user = f.caseworker()
    lazy = SimpleLazyObject(lambda: user)
    document_store(uploaded=upload(9 * KB), purpose="settlement", actor=lazy)
    with pytest.raises(CaseActionError):
        document_store(uploaded=upload(2 * KB), purpose="settlement", actor=lazy)
