"""The access function (SPEC §8) and the audit log (append-only, no personal data)."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from beneficiaries.models import Authorisation, ExternalProfile
from recovery.access import checks as access
from recovery.audit_models import AuditEvent
from recovery.access.documents import document_store
from tests import factories as f

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def external(username, kind=ExternalProfile.Kind.REPRESENTATIVE, payer=None):
    from django.contrib.auth.models import User

    user = User.objects.create_user(username, password="pw-test-123")
    ExternalProfile.objects.create(user=user, kind=kind, payer=payer)
    return user


def authorise(holder, kind, *, case=None, payer=None, status="verified", end=None):
    doc = document_store(uploaded=SimpleUploadedFile("a.pdf", PDF), purpose="authorisation", actor=holder)
    return Authorisation.objects.create(kind=kind, holder=holder, case=case, payer=payer, document=doc,
                                        beneficiary=case.beneficiary if case else None, ctr_end_date=end,
                                        status=status, submitted_by=holder)


@pytest.fixture
def world():
    cases = [f.case() for _ in range(3)]
    plan = f.case("plan")
    return cases, plan


def test_staff_see_every_case(world):
    cases, plan = world
    assert set(access.cases_for(f.caseworker())) == {*cases, plan}


def test_a_verified_por_sees_and_acts_on_its_case_only(world):
    cases, _ = world
    lawyer = external("lawyer")
    authorise(lawyer, "por", case=cases[0])
    assert list(access.cases_for(lawyer)) == [cases[0]]
    assert access.access_to(lawyer, cases[0]) == access.CaseAccess(True, True, "por")
    assert access.access_to(lawyer, cases[1]) == access.NONE


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_an_unverified_authorisation_gives_nothing(world, status):
    cases, _ = world
    lawyer = external("lawyer")
    authorise(lawyer, "por", case=cases[0], status=status)
    assert not access.cases_for(lawyer).exists()
    assert access.access_to(lawyer, cases[0]) == access.NONE


def test_a_ctr_sees_without_acting_until_its_end_date_and_then_nothing(world):
    cases, _ = world
    today = timezone.localdate()
    valid, expired = external("valid"), external("expired")
    authorise(valid, "ctr", case=cases[0], end=today)
    authorise(expired, "ctr", case=cases[0], end=today - timedelta(days=1))
    assert access.access_to(valid, cases[0]) == access.CaseAccess(True, False, "ctr")
    assert list(access.cases_for(valid)) == [cases[0]]
    assert access.access_to(expired, cases[0]) == access.NONE and not access.cases_for(expired).exists()
    assert not access.may_take(valid, cases[0], "open_dispute")


def test_an_insurer_contact_sees_the_cases_of_its_organisation_and_acts_where_it_is_the_debtor(world):
    cases, plan = world
    insurer = plan.debtor_payer
    contact = external("contact", ExternalProfile.Kind.INSURER_CONTACT, payer=insurer)
    authorise(contact, "loa", payer=insurer)
    assert access.access_to(contact, plan) == access.CaseAccess(True, True, "debtor")
    assert access.may_take(contact, plan, "file_appeal") and not access.may_take(contact, plan, "issue_demand")
    assert set(access.cases_for(contact)) == {plan}


def test_anonymous_and_inactive_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not access.cases_for(AnonymousUser()).exists()
    worker = f.caseworker()
    worker.is_active = False
    assert not access.cases_for(worker).exists()


def test_admin_reads_are_audit_logged_without_personal_data(client, world):
    cases, _ = world
    worker = f.caseworker()
    client.force_login(worker)
    client.get(reverse("admin:recovery_recoverycase_changelist"), {"q": cases[0].beneficiary.last_name})
    client.get(reverse("admin:recovery_recoverycase_change", args=[cases[0].pk]))
    client.get(reverse("admin:beneficiaries_beneficiary_change", args=[cases[0].beneficiary.pk]))
    rows = list(AuditEvent.objects.order_by("id"))
    assert [(r.action, r.object_type) for r in rows] == [
        ("list", "recovery.RecoveryCase"), ("view", "recovery.RecoveryCase"), ("view", "beneficiaries.Beneficiary")]
    assert rows[0].object_ids == [cases[0].pk]
    assert rows[1].object_id == str(cases[0].pk) and rows[1].user == worker and rows[1].client_ip == "127.0.0.1"
    bene = cases[0].beneficiary
    for row in rows:  # no name, MBI or search term anywhere in the row
        text = " ".join(str(v) for v in row.__dict__.values())
        assert bene.last_name not in text and bene.mbi not in text


def test_the_audit_log_cannot_be_changed_or_deleted_by_the_application(client, world):
    client.force_login(f.supervisor())
    client.get(reverse("admin:recovery_recoverycase_changelist"))
    row = AuditEvent.objects.get()
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(username="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert client.post(reverse("admin:recovery_auditevent_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:recovery_auditevent_changelist")).status_code == 200


def test_a_caseworker_cannot_browse_the_audit_log(client):
    client.force_login(f.caseworker())
    assert client.get(reverse("admin:recovery_auditevent_changelist")).status_code == 403


@pytest.mark.postgres
def test_on_postgresql_the_database_itself_refuses_to_rewrite_append_only_rows(client, world):
    from django.db.utils import DatabaseError

    client.force_login(f.supervisor())
    client.get(reverse("admin:recovery_recoverycase_changelist"))
    row = AuditEvent.objects.get()
    for sql in ["UPDATE recovery_auditevent SET username = 'x' WHERE id = %s",
                "DELETE FROM recovery_auditevent WHERE id = %s"]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [row.pk])
    assert AuditEvent.objects.get().username == row.username


def test_a_document_download_is_access_checked_and_audited(client, world):
    cases, _ = world
    lawyer, stranger = external("lawyer"), external("stranger")
    authorise(lawyer, "por", case=cases[0])
    doc = document_store(uploaded=SimpleUploadedFile("s.pdf", PDF), purpose="settlement", actor=lawyer,
                         case=cases[0])
    client.force_login(stranger)
    assert client.get(reverse("portal:document", args=[doc.key])).status_code == 404
    client.force_login(lawyer)
    response = client.get(reverse("portal:document", args=[doc.key]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert response.content == PDF
    assert list(AuditEvent.objects.filter(action="download").order_by("id").values_list("outcome", flat=True)) == [
        "denied", "ok"]
    _ = date  # dates are calendar dates everywhere (kept import for clarity of fixtures)


def test_letters_go_to_representatives_with_a_verified_por_or_an_unexpired_ctr(world):
    from recovery.letters import compose as letters

    cases, _ = world
    today = timezone.localdate()
    por, ctr, old_ctr, pending = external("por"), external("ctr"), external("old"), external("pending")
    for user in (por, ctr, old_ctr, pending):
        user.email = f"{user.username}@law.example"
        user.save()
    authorise(por, "por", case=cases[0])
    authorise(ctr, "ctr", case=cases[0], end=today)
    authorise(old_ctr, "ctr", case=cases[0], end=today - timedelta(days=1))
    authorise(pending, "por", case=cases[0], status="pending")
    rows = letters.recipients(cases[0], today)
    assert [(r["role"], r["email"]) for r in rows] == [
        ("beneficiary", cases[0].beneficiary.email),
        ("representative (POR)", "por@law.example"),
        ("representative (CTR)", "ctr@law.example"),
    ]


def test_roles_for_many_cases_agrees_with_access_to_for_each(world):
    cases, plan = world
    today = timezone.localdate()
    lawyer = external("lawyer")
    authorise(lawyer, "por", case=cases[0])
    authorise(lawyer, "ctr", case=cases[1], end=today)
    authorise(lawyer, "ctr", case=cases[2], end=today - timedelta(days=1))
    contact = external("contact", ExternalProfile.Kind.INSURER_CONTACT, payer=plan.debtor_payer)
    authorise(contact, "loa", payer=plan.debtor_payer)
    everything = [*cases, plan]
    for user in (lawyer, contact, f.caseworker()):
        assert access.roles_for(user, everything) == {c.pk: access.access_to(user, c) for c in everything}
