"""Uploads through the portal's forms (SPEC §9; recovery.access.documents.document_store): a file that is not
what it claims, empty, too large or named with a path is refused with a clear message on the field,
and nothing is stored — no UploadedDocument row, no file under MEDIA_ROOT, and nothing else the
submission would have saved (the settlement, the dispute)."""

import pytest
from django.urls import reverse

from beneficiaries.models import Authorisation
from recovery.models import Dispute, Settlement, UploadedDocument

from .conftest import PDF, ago, stored_files

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
BAD = [
    pytest.param("invoice.pdf", EXE, "none of them", id="renamed-executable"),
    pytest.param("settlement.pdf", b"", "empty", id="empty"),
    pytest.param("../../etc/passwd.pdf", PDF, "folder path", id="path-traversal"),
    pytest.param("..\\..\\boot.ini.pdf", PDF, "folder path", id="windows-path-traversal"),
    pytest.param("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not what it claims", id="png-named-pdf"),
]


BOUNDARY = "----portal-test-boundary"


def multipart(fields: dict, files: list[tuple[str, str, bytes]]) -> bytes:
    """A multipart body written by hand: Django's test client cuts folders off file names
    (os.path.basename) before sending, a browser or a script need not."""
    out = []
    for name, value in fields.items():
        out.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for field, filename, content in files:
        out.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                   f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    out.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(out)


def raw_post(client, url, fields, files):
    return client.post(url, data=multipart(fields, files), content_type=f"multipart/form-data; boundary={BOUNDARY}")


def settlement_post(client, case, *files):
    """`files`: (name, content) pairs, sent with exactly these names."""
    fields = {"settlement_date": ago(2).isoformat(), "gross_amount": "30000.00", "attorney_fees": "10000.00",
              "other_costs": "0.00"}
    return raw_post(client, reverse("portal:settlement", args=[case.pk]), fields,
                    [("documents", name, content) for name, content in files])


@pytest.mark.parametrize("name, content, words", BAD)
def test_a_bad_file_is_refused_and_the_settlement_it_came_with_is_not_saved(
        world, as_user, settings, name, content, words):
    files_before = stored_files(settings)
    response = settlement_post(as_user("por"), world.main, (name, content))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["documents"] and words in errors["documents"][0]
    assert not Settlement.objects.filter(case=world.main).exists()
    assert not UploadedDocument.objects.filter(case=world.main).exists()
    assert stored_files(settings) == files_before


def test_an_oversize_file_is_refused_naming_the_limit(world, as_user, settings):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    big = PDF[:-6] + b"0" * (1024 * 1024) + b"\n%%EOF\n"
    files_before = stored_files(settings)
    response = settlement_post(as_user("por"), world.main, ("big.pdf", big))
    assert "larger than the 1 MB limit" in response.context["form"].errors["documents"][0]
    assert not Settlement.objects.filter(case=world.main).exists()
    assert not UploadedDocument.objects.filter(case=world.main).exists() and stored_files(settings) == files_before


def test_an_oversize_file_under_a_small_limit_names_that_limit(world, as_user, settings):
    settings.MAX_UPLOAD_BYTES = 2048
    response = settlement_post(as_user("por"), world.main, ("big.pdf", PDF + b"0" * 4096 + PDF))
    message = response.context["form"].errors["documents"][0]
    assert "larger than" in message and "0 MB" not in message
    assert not Settlement.objects.filter(case=world.main).exists()


def test_a_good_file_stored_before_a_bad_one_is_rolled_back_row_and_file(world, as_user, settings):
    files_before = stored_files(settings)
    response = raw_post(as_user("por"), reverse("portal:dispute", args=[world.main.pk]), {
        "claims": world.main.claims.first().pk, "grounds": "Unrelated."},
        [("documents", "good.pdf", PDF), ("documents", "empty.pdf", b"")])
    assert "empty" in response.context["form"].errors["documents"][0]
    assert not Dispute.objects.filter(case=world.main).exists()
    world.main.refresh_from_db()
    assert world.main.state == "cpl_issued"
    assert not UploadedDocument.objects.filter(case=world.main).exists()
    assert stored_files(settings) == files_before


def test_several_good_files_keep_their_own_names(world, as_user):
    response = settlement_post(as_user("por"), world.main, ("agreement.pdf", PDF), ("fees.pdf", PDF))
    assert response.status_code == 302
    assert sorted(UploadedDocument.objects.filter(case=world.main).values_list("original_name", flat=True)) == \
        ["agreement.pdf", "fees.pdf"]


@pytest.mark.parametrize("name, content, words", BAD)
def test_a_bad_authorisation_document_is_refused_and_nothing_is_kept(world, as_user, settings, name, content, words):
    files_before, docs_before = stored_files(settings), UploadedDocument.objects.count()
    auths_before = Authorisation.objects.count()
    response = raw_post(as_user("other"), reverse("portal:authorisation"), {
        "kind": "por", "case_number": world.main.number, "mbi": world.bene_a.mbi_display},
        [("document", name, content)])
    assert response.status_code == 200
    assert words in response.context["form"].errors["document"][0]
    assert Authorisation.objects.count() == auths_before and UploadedDocument.objects.count() == docs_before
    assert stored_files(settings) == files_before
