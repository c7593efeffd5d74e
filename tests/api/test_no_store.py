"""Every PHI download says `Cache-Control: no-store` (issue 9, finding 12): the portal's document
download and letter PDF, the admin's letter PDF, and the API's document and letter downloads."""

import pytest
from django.test import Client
from django.urls import reverse

from recovery.models import Letter
from tests import factories

from .conftest import client_for, pdf_file

pytestmark = pytest.mark.django_db


def assert_no_store(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def uploaded_key(world):
    response = client_for(world.por).post("/api/documents/", {"file": pdf_file("evidence.pdf"), "purpose": "dispute",
                                                                "case": world.main.pk}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()["key"]


def test_the_api_document_download(world):
    assert_no_store(client_for(world.por).get(f"/api/documents/{uploaded_key(world)}/"))


def test_the_api_letter_pdf(world):
    letter = Letter.objects.filter(case=world.main).first()
    assert_no_store(client_for(world.por).get(f"/api/letters/{letter.pk}/pdf/"))


def test_the_portal_document_download(world):
    key = uploaded_key(world)
    assert_no_store(logged_in(world.por).get(reverse("portal:document", args=[key])))


def test_the_portal_letter_pdf(world):
    letter = Letter.objects.filter(case=world.main).first()
    assert_no_store(logged_in(world.por).get(reverse("portal:letter_pdf", args=[world.main.pk, letter.pk])))


def test_the_admin_letter_pdf(world):
    letter = Letter.objects.filter(case=world.main).first()
    admin = factories.user("root", superuser=True)
    assert_no_store(logged_in(admin).get(reverse("admin:recovery_letter_pdf", args=[letter.pk])))
