"""Uploading an authorisation on the portal (SPEC §8): a representative names the case by its number
and the beneficiary's MBI (both must match, and a mismatch does not tell whether the case exists); an
insurer contact uploads a letter of authority for its organisation. Pending until verified."""

from datetime import timedelta

import pytest
from django.urls import reverse

from beneficiaries.models import Authorisation
from beneficiaries.services import authorisation_decide
from recovery.audit_models import AuditEvent
from recovery.models import UploadedDocument

from .conftest import ago, client_for, pdf, stored_files, today

pytestmark = pytest.mark.django_db


def post(client, **data):
    payload = {"kind": "por", "document": pdf("por.pdf")}
    payload.update(data)
    return client.post(reverse("portal:authorisation"), {k: v for k, v in payload.items() if v is not None})


def test_a_representative_uploads_a_por_named_by_case_number_and_dashed_mbi(world, as_user):
    client = as_user("other")
    assert client.get(reverse("portal:authorisation")).status_code == 200
    response = post(client, case_number=world.main.number, mbi=world.bene_a.mbi_display.lower())
    assert response.status_code == 302 and response["Location"] == reverse("portal:cases")
    auth = Authorisation.objects.get(holder=world.other_attorney, case=world.main)
    assert auth.kind == "por" and auth.status == "pending" and auth.beneficiary == world.bene_a
    assert auth.document.purpose == "authorisation" and auth.document.uploaded_by == world.other_attorney
    assert AuditEvent.objects.filter(action="create", object_type="beneficiaries.Authorisation",
                                     object_id=str(auth.pk), outcome="ok").exists()
    # Nothing opens until a caseworker verifies it.
    assert client.get(reverse("portal:case", args=[world.main.pk])).status_code == 404
    authorisation_decide(authorisation=auth, verified=True, actor=world.caseworker)
    assert client.get(reverse("portal:case", args=[world.main.pk])).status_code == 200


def test_a_ctr_is_uploaded_with_its_end_date(world, as_user):
    end = today() + timedelta(days=90)
    response = post(as_user("other"), kind="ctr", case_number=world.main.number, mbi=world.bene_a.mbi,
                    ctr_end_date=end.isoformat())
    assert response.status_code == 302
    auth = Authorisation.objects.get(holder=world.other_attorney, case=world.main)
    assert auth.kind == "ctr" and auth.ctr_end_date == end and auth.status == "pending"


@pytest.mark.parametrize("data, field, words", [
    ({"kind": "ctr"}, "ctr_end_date", "give its end date"),
    ({"kind": "ctr", "ctr_end_date": "__yesterday__"}, "ctr_end_date", "already ended"),
    ({"kind": "por", "ctr_end_date": "__yesterday__"}, "ctr_end_date", "no end date"),
    ({"kind": "xyz"}, "kind", "valid choice"),
    ({"mbi": "1EG4-TE5-MK7"}, "mbi", "Dashes"),
    ({"mbi": "1SG4TE5MK73"}, "mbi", "never used"),
    ({"case_number": "12345"}, "case_number", "15 digits"),
    ({"document": None}, "document", "Choose a file"),
])
def test_bad_authorisation_input_is_refused_naming_the_field_and_nothing_is_kept(
        world, as_user, settings, data, field, words):
    data = {k: (ago(1).isoformat() if v == "__yesterday__" else v) for k, v in data.items()}
    data.setdefault("case_number", world.main.number)
    data.setdefault("mbi", world.bene_a.mbi)
    before = (Authorisation.objects.count(), UploadedDocument.objects.count(), stored_files(settings))
    response = post(as_user("other"), **data)
    assert response.status_code == 200
    assert words in str(response.context["form"].errors[field])
    assert (Authorisation.objects.count(), UploadedDocument.objects.count(), stored_files(settings)) == before
    assert AuditEvent.objects.filter(action="create", outcome="refused", user=world.other_attorney).exists()


def test_a_case_number_and_mbi_that_do_not_match_say_the_same_whether_or_not_the_case_exists(
        world, as_user, settings):
    client = as_user("other")
    before = (Authorisation.objects.count(), UploadedDocument.objects.count(), stored_files(settings))
    wrong_mbi = post(client, case_number=world.main.number, mbi=world.bene_b.mbi)  # a real case, B's MBI
    no_case = post(client, case_number="299999999999999", mbi=world.bene_a.mbi)  # no such case
    messages = [r.context["form"].errors["case_number"] for r in (wrong_mbi, no_case)]
    assert messages[0] == messages[1] and "do not" not in messages[0][0] and "No case matches" in messages[0][0]
    assert (Authorisation.objects.count(), UploadedDocument.objects.count(), stored_files(settings)) == before


def test_a_bad_file_gives_the_same_error_whether_or_not_the_case_exists(world, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_user("other")
    exe = b"MZ" + b"\x00" * 100
    real = post(client, case_number=world.main.number, mbi=world.bene_a.mbi,
                document=SimpleUploadedFile("a.pdf", exe))
    fake = post(client, case_number="299999999999999", mbi=world.bene_a.mbi,
                document=SimpleUploadedFile("a.pdf", exe))
    assert real.context["form"].errors == fake.context["form"].errors
    assert list(real.context["form"].errors) == ["document"]


def test_a_second_pending_authorisation_of_the_same_kind_is_refused(world, as_user):
    client = as_user("other")
    assert post(client, case_number=world.main.number, mbi=world.bene_a.mbi).status_code == 302
    again = post(client, case_number=world.main.number, mbi=world.bene_a.mbi)
    assert "awaiting verification" in str(again.context["form"].errors["kind"])
    assert Authorisation.objects.filter(holder=world.other_attorney, case=world.main).count() == 1


def test_a_por_for_a_deceased_beneficiary_must_come_from_the_estate(world, as_user):
    world.bene_a.date_of_death = ago(10)
    world.bene_a.save()
    response = post(as_user("other"), case_number=world.main.number, mbi=world.bene_a.mbi)
    assert "estate" in str(response.context["form"].errors["from_estate"])
    assert post(as_user("other"), case_number=world.main.number, mbi=world.bene_a.mbi,
                from_estate="on").status_code == 302


def test_an_insurer_contact_uploads_a_letter_of_authority_for_its_organisation(world, as_user):
    client = as_user("insurer")
    page = client.get(reverse("portal:authorisation"))
    assert "letter of authority" in page.content.decode() and "case_number" not in page.context["form"].fields
    response = client.post(reverse("portal:authorisation"), {"document": pdf("loa.pdf")})
    assert response.status_code == 302
    auth = Authorisation.objects.filter(holder=world.insurer, status="pending").get()
    assert auth.kind == "loa" and auth.payer == world.insurer_payer and auth.case is None


def test_a_user_without_an_external_profile_cannot_upload_authorisations(world):
    from tests import factories

    client = client_for(factories.user())
    assert client.get(reverse("portal:authorisation")).status_code == 403
    assert client.post(reverse("portal:authorisation"), {"document": pdf()}).status_code == 403
    assert not Authorisation.objects.filter(status="pending").exclude(holder__username="pending").exists()
