"""Issue 9, finding 10: the admin's history "Revert" put a verified authorisation back to pending
(sidestepping the "already decided" rule, unaudited), said "changed successfully" on a case while
changing nothing, and gave a 500 on a case's state. History record pages are read-only now: no Revert
button, and a POST to one is refused (403) and audited, with nothing changed — on every admin that
keeps a history (enumerated from the admin registry)."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from beneficiaries.models import Authorisation
from recovery.audit_models import AuditEvent
from tests import factories
from tests.formscrape import form_data

pytestmark = pytest.mark.django_db


def _first_record(obj):
    return obj.history.order_by("history_id").first()


def _record_url(obj, record):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[obj.pk, record.history_id])


@pytest.fixture
def root_client():
    client = Client()
    client.force_login(factories.user("root", superuser=True))
    return client


def test_reverting_a_verified_authorisation_to_its_pending_version_is_refused(world, root_client):
    auth = Authorisation.objects.filter(holder=world.por, case=world.main).get()
    assert auth.status == Authorisation.Status.VERIFIED
    pending = _first_record(auth)
    assert pending.status == Authorisation.Status.PENDING
    url = _record_url(auth, pending)
    page = root_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # no Revert button
    html = page.content.decode()
    data = form_data(html) if "<form" in html else {}
    response = root_client.post(url, {**data, "status": "pending", "_save": "Revert"})
    assert response.status_code == 403
    auth.refresh_from_db()
    assert auth.status == Authorisation.Status.VERIFIED and auth.decided_by_id == world.caseworker.pk
    row = (AuditEvent.objects.filter(object_type="beneficiaries.Authorisation", object_id=str(auth.pk))
           .order_by("id").last())
    assert (row.action, row.outcome, row.detail) == ("update", "denied", "revert refused")


def test_reverting_a_case_to_an_earlier_version_changes_nothing(world, root_client):
    case = world.main
    record = _first_record(case)
    before = (case.state, case.cpl_date, case.caseworker_id, case.history.count())
    response = root_client.post(_record_url(case, record), {"caseworker": "", "track": case.track,
                                                           "state": record.state, "_save": "Revert"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert (case.state, case.cpl_date, case.caseworker_id, case.history.count()) == before


def test_every_admin_with_a_history_shows_it_read_only_and_refuses_a_revert(world, root_client):
    tried = []
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, SimpleHistoryAdmin):
            continue
        obj = model._default_manager.filter(pk__in=model.history.values("id")).order_by("pk").first()
        if obj is None:
            obj = model._default_manager.order_by("pk").first()
            obj.save()  # a row seeded by a migration has no history record yet
        record = _first_record(obj)
        assert model_admin.revert_disabled(None, obj) is True, model
        count = model.history.count()
        response = root_client.post(_record_url(obj, record), {})
        assert response.status_code == 403, model
        assert model.history.count() == count, model
        tried.append(model._meta.label)
    assert len(tried) >= 10, tried
