"""The admin flow: upload → preview (nothing changes) → confirm → the Celery task (eager here) imports,
progress and result shown, the error report downloadable as CSV."""

import csv
import io

import pytest
from django.db import transaction
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recovery.intake import tasks
from recovery.models import IntakeBatch
from recovery.models import Claim, RecoveryCase
from tests import factories as f

from .test_import import CASE_HEADER, CLAIM_HEADER, _case_row, _claim_row, _csv

pytestmark = pytest.mark.django_db


def test_upload_preview_confirm_progress_result(client, django_capture_on_commit_callbacks):
    worker = f.caseworker()
    f.payer(name="Acme Casualty")
    b1, b2 = f.beneficiary(), f.beneficiary()
    cases = _csv(CASE_HEADER, [_case_row(b1), _case_row(b2, payer="Nobody Mutual")])
    claims = _csv(CLAIM_HEADER, [_claim_row(b1, "A1"), _claim_row(b1, "A2")])
    client.force_login(worker)
    upload = client.get(reverse("admin:recovery_intakebatch_add"))
    assert upload.status_code == 200 and b'id="intake-upload"' in upload.content

    response = client.post(reverse("admin:recovery_intakebatch_add"), {
        "cases_file": SimpleUploadedFile("cases.csv", cases.encode()),
        "claims_file": SimpleUploadedFile("claims.csv", claims.encode()),
    })
    batch = IntakeBatch.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{batch.pk}/change/")
    assert RecoveryCase.objects.count() == 0  # the preview changed nothing
    page = client.get(response["Location"]).content.decode()
    assert 'id="count-created">1<' in page and 'id="count-rejected">1<' in page
    assert "Unknown payer &#x27;Nobody Mutual&#x27;" in page and 'id="intake-confirm"' in page

    report = client.get(reverse("admin:recovery_intakebatch_errors", args=[batch.pk]))
    rows = list(csv.reader(io.StringIO(report.content.decode())))
    assert rows[0] == ["file", "line", "field", "reason", "record"]
    assert [r[:3] for r in rows[1:]] == [["cases", "3", "payer_name"]]

    with django_capture_on_commit_callbacks(execute=True):  # the task is queued after the commit
        client.post(reverse("admin:recovery_intakebatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == IntakeBatch.Status.DONE and (batch.done, batch.total) == (2, 2)
    assert batch.result["created"] == 1 and Claim.objects.count() == 2
    progress = client.get(reverse("admin:recovery_intakebatch_progress", args=[batch.pk])).json()
    assert progress == {"status": "done", "done": 2, "total": 2, "percent": 100}
    page = client.get(reverse("admin:recovery_intakebatch_change", args=[batch.pk])).content.decode()
    assert "What the import did" in page and 'id="intake-confirm"' not in page

    # A second confirmation (a double click) imports nothing more.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("admin:recovery_intakebatch_confirm", args=[batch.pk]))
    assert callbacks == []
    assert RecoveryCase.objects.count() == 1 and Claim.objects.count() == 2


def test_upload_refuses_an_empty_or_non_text_file(client):
    client.force_login(f.caseworker())
    response = client.post(reverse("admin:recovery_intakebatch_add"),
                           {"cases_file": SimpleUploadedFile("cases.csv", b"\xff\xfe\x00bad")})
    assert response.status_code == 200 and "not UTF-8 text" in response.content.decode()
    assert IntakeBatch.objects.count() == 0


def test_staff_without_the_permission_cannot_upload(client):
    client.force_login(f.user())
    assert client.get(reverse("admin:recovery_intakebatch_add")).status_code == 403


def test_a_big_upload_is_previewed_by_the_task_with_its_progress(client, settings,
                                                                 django_capture_on_commit_callbacks):
    settings.INTAKE_PREVIEW_IN_REQUEST_BYTES = 100  # this upload is "big"
    worker = f.caseworker()
    f.payer(name="Acme Casualty")
    b1, b2 = f.beneficiary(), f.beneficiary()
    cases = _csv(CASE_HEADER, [_case_row(b1), _case_row(b2)])
    client.force_login(worker)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("admin:recovery_intakebatch_add"),
                               {"cases_file": SimpleUploadedFile("cases.csv", cases.encode())})
    batch = IntakeBatch.objects.get()
    assert response.status_code == 302 and batch.status == IntakeBatch.Status.PREVIEWING and len(callbacks) == 1
    page = client.get(response["Location"]).content.decode()
    assert 'id="intake-previewing"' in page and 'id="intake-progress"' in page
    assert 'id="intake-confirm"' not in page and 'http-equiv="refresh"' in page
    callbacks[0]()  # the task (eager here) runs the preview
    batch.refresh_from_db()
    assert batch.status == IntakeBatch.Status.PREVIEWED and batch.preview["created"] == 2 and batch.total == 2
    assert RecoveryCase.objects.count() == 0  # the preview changed nothing
    page = client.get(response["Location"]).content.decode()
    assert 'id="count-created">2<' in page and 'id="intake-confirm"' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:recovery_intakebatch_confirm", args=[batch.pk]))
    assert RecoveryCase.objects.count() == 2


def test_a_small_upload_is_previewed_in_the_request(client, django_capture_on_commit_callbacks):
    client.force_login(f.caseworker())
    f.payer(name="Acme Casualty")
    cases = _csv(CASE_HEADER, [_case_row(f.beneficiary())])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("admin:recovery_intakebatch_add"),
                    {"cases_file": SimpleUploadedFile("cases.csv", cases.encode())})
    assert callbacks == [] and IntakeBatch.objects.get().status == IntakeBatch.Status.PREVIEWED


@pytest.mark.django_db(transaction=True)
def test_a_previews_progress_is_saved_beside_its_transaction_and_shown(client, settings, tmp_path):
    """The preview is one transaction rolled back at its end: its progress goes through a second
    connection (PostgreSQL) or a file beside the database (SQLite), and the progress URL shows it."""
    settings.VAR_DIR = tmp_path
    worker = f.caseworker()
    batch = IntakeBatch.objects.create(cases_name="cases.csv", cases_csv="x", layout_version="1", uploaded_by=worker,
                                       status=IntakeBatch.Status.PREVIEWING)
    client.force_login(worker)
    url = reverse("admin:recovery_intakebatch_progress", args=[batch.pk])
    assert client.get(url).json() == {"status": "previewing", "done": 0, "total": 0, "percent": 0}
    progress = tasks._SideProgress(batch.pk)
    try:
        with transaction.atomic():  # as the dry run: it writes, holds its locks, and is rolled back
            f.payer(name="Written by the dry run")
            progress(2000, 6000)
            seen = client.get(url).json()
            transaction.set_rollback(True)
    finally:
        progress.close()
    assert seen == {"status": "previewing", "done": 2000, "total": 6000, "percent": 33}
    # after the preview the side figures are gone; the batch row holds the preview's own
    assert not list(tmp_path.glob("intake/*"))
