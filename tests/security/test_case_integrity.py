"""Integrity findings of issue 9 ("Also found by a new user"): the case's caseworker drop-down offers
only staff who work cases, the MSP occurrence drop-down names the beneficiary, caseworkers and
supervisors see the documents uploaded on a case, and a supervisor reaches the periodic tasks."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from recovery.access.documents import document_store
from recovery.cases.services import system_user
from recovery.models import UploadedDocument
from tests import factories as f

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _case_form(client, case):
    return client.get(reverse("admin:recovery_recoverycase_change", args=[case.pk])).context["adminform"].form


def test_the_caseworker_drop_down_offers_only_active_caseworkers_and_supervisors(world):
    f.user("inactive-cw", groups=["caseworker"]).__class__.objects.filter(username="inactive-cw").update(
        is_active=False)
    no_role = f.user("no-role-staff")
    system_user()
    form = _case_form(_client(world.caseworker), world.main)
    offered = set(form.fields["caseworker"].queryset.values_list("username", flat=True))
    assert offered == {"cw", "sup"}
    assert no_role.username not in offered


def test_saving_a_case_with_an_attorney_as_caseworker_is_refused_naming_the_field(world):
    client = _client(world.supervisor)
    url = reverse("admin:recovery_recoverycase_change", args=[world.main.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    for prefix_form in client.get(url).context["inline_admin_formsets"]:
        fs = prefix_form.formset
        data.update({f"{fs.prefix}-TOTAL_FORMS": fs.total_form_count(),
                     f"{fs.prefix}-INITIAL_FORMS": fs.initial_form_count(),
                     f"{fs.prefix}-MIN_NUM_FORMS": 0, f"{fs.prefix}-MAX_NUM_FORMS": 1000})
        for i, sub in enumerate(fs.initial_forms):
            for name, field in sub.fields.items():
                value = sub.initial.get(name)
                if value is not None:
                    data[f"{fs.prefix}-{i}-{name}"] = value.pk if hasattr(value, "pk") else value
            data[f"{fs.prefix}-{i}-id"] = sub.instance.pk
    data["caseworker"] = world.por.pk
    response = client.post(url, data)
    assert response.status_code == 200, "the form is shown again with the error"
    errors = response.context["adminform"].form.errors
    assert "caseworker" in errors and "caseworker or supervisor" in str(errors["caseworker"])
    world.main.refresh_from_db()
    assert world.main.caseworker == world.caseworker
    data["caseworker"] = world.supervisor.pk  # the same form with a caseworker who works cases saves
    assert client.post(url, data).status_code == 302
    world.main.refresh_from_db()
    assert world.main.caseworker == world.supervisor


def test_the_msp_occurrence_choices_name_the_beneficiary(world):
    form = _case_form(_client(world.caseworker), world.main)
    field = form.fields["occurrence"]
    labels = {field.label_from_instance(o) for o in field.queryset}
    occurrence = world.main.occurrence
    assert any(occurrence.beneficiary.full_name in label and str(occurrence) in label for label in labels)


@pytest.mark.parametrize("persona", ["caseworker", "supervisor"])
def test_caseworkers_and_supervisors_see_and_download_the_documents_uploaded_on_a_case(world, settings, tmp_path,
                                                                                       persona):
    settings.MEDIA_ROOT = str(tmp_path)
    doc = document_store(uploaded=SimpleUploadedFile("settlement-papers.pdf", PDF, "application/pdf"),
                         purpose=UploadedDocument.Purpose.SETTLEMENT, actor=world.por, case=world.main)
    client = _client(world.users[persona])
    page = client.get(reverse("admin:recovery_recoverycase_change", args=[world.main.pk])).content.decode()
    link = reverse("portal:document", args=[doc.key])
    assert "settlement-papers.pdf" in page and link in page
    download = client.get(link)
    assert download.status_code == 200 and b"".join(download.streaming_content if download.streaming
                                                   else [download.content]) == PDF


def test_a_supervisor_reaches_the_periodic_tasks_and_a_caseworker_does_not(world):
    url = reverse("admin:django_celery_beat_periodictask_changelist")
    assert _client(world.supervisor).get(url).status_code == 200
    assert _client(world.caseworker).get(url).status_code == 403
    sup = world.supervisor
    for model in ["periodictask", "intervalschedule", "crontabschedule", "solarschedule", "clockedschedule"]:
        assert sup.has_perm(f"django_celery_beat.view_{model}"), model
    assert sup.has_perm("django_celery_beat.change_periodictask")
    assert Permission.objects.filter(codename="view_periodictask").exists()


def test_the_api_refuses_the_system_user_or_a_staff_user_without_a_role_as_caseworker(world):
    from tests.api.conftest import client_for

    api = client_for(world.caseworker)
    url = f"/api/cases/{world.main.pk}/"
    for wrong in (system_user(), f.user("no-role-staff"), world.por):
        response = api.patch(url, {"caseworker": wrong.pk}, format="json")
        assert response.status_code == 400 and "caseworker" in response.json(), wrong.username
    world.main.refresh_from_db()
    assert world.main.caseworker == world.caseworker
    assert api.patch(url, {"caseworker": world.supervisor.pk}, format="json").status_code == 200
    world.main.refresh_from_db()
    assert world.main.caseworker == world.supervisor
