"""Issue 9, findings 2 and 3 (SPEC §8: every read of a beneficiary's data by a person is audit-logged).

The admin's URLs are enumerated from the URL conf — every ModelAdmin's patterns and the site's own —
and each GET view is requested for real objects as a superuser, through the test client. A model
"holds case or beneficiary data" when it is a beneficiary or a case, or points (by a foreign key,
however many steps away) at one. Every admin's views that answer 200 must write an audit row, unless
its model is named in NOT_PERSONAL with why (and holds no case or beneficiary data, which is checked);
and no view that wrote no audit row may show a beneficiary's name or MBI or a case number. A new admin, or a new view on one, that
reads case data without auditing fails here.
"""

import json

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django.urls.resolvers import RegexPattern
from django.utils import timezone

from beneficiaries.models import Beneficiary
from recovery.audit_models import AuditEvent
from recovery.models import RecoveryCase

pytestmark = pytest.mark.django_db

# Admins of models that hold no beneficiary or case data: not audited, and why.
NOT_PERSONAL = {
    "auth.user": "staff and outside users' accounts (names, e-mail, groups): no beneficiary or case",
    "auth.group": "the staff roles and their permissions",
    "authtoken.tokenproxy": "API tokens: a key and its user",
    "otp_totp.totpdevice": "staff second-factor devices",
    "otp_static.staticdevice": "staff second-factor backup codes",
    "axes.accessattempt": "failed sign-ins: user name, address, time",
    "axes.accesslog": "sign-ins: user name, address, time",
    "axes.accessfailurelog": "failed sign-ins: user name, address, time",
    "django_celery_beat.periodictask": "the schedule of the nightly jobs",
    "django_celery_beat.intervalschedule": "schedules",
    "django_celery_beat.crontabschedule": "schedules",
    "django_celery_beat.solarschedule": "schedules",
    "django_celery_beat.clockedschedule": "schedules",
    "payers.payer": "insurers, employers and plans: organisations, not people",
    "recovery.recoverythreshold": "policy table (SPEC §6)",
    "recovery.fixedpercentageterms": "policy table (SPEC §5.3)",
    "recovery.selfcalculatedterms": "policy table (SPEC §5.3)",
    "recovery.interestrate": "policy table (SPEC §6)",
    "recovery.clocklength": "policy table (SPEC §4)",
    "recovery.auditevent": "the audit log itself: object types and ids, never personal data (SPEC §8)",
}
# Views of an audited model's admin that show no case: answered without an audit row (checked: no names).
NOT_A_READ = {
    "recovery_recoverycase_diagrams": "the track diagrams: states and steps, no case",
    "payers_who_pays_first": "a form of answers; a beneficiary read by MBI is audited (tests/payers)",
    "recovery_submission_review": "POST only (a GET goes back to the submission's page, which is audited)",
    "recovery_intakebatch_confirm": "POST only (a GET goes back to the batch's page, which is audited)",
    "recovery_recoverycase_queue": "the old work queue's address: a redirect to the worklist, which is audited",
}


def personal_models():
    """Beneficiary and RecoveryCase, and every model pointing at one of them, however many steps away."""
    found = {Beneficiary, RecoveryCase}
    while True:
        more = {m for m in apps.get_models() if m not in found and any(
            f.is_relation and f.many_to_one | f.one_to_one and f.concrete and f.related_model in found
            for f in m._meta.get_fields())}
        if not more:
            return found
        found |= more


def _walk(patterns):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns)
        elif isinstance(p, URLPattern):
            yield p


def _params(pattern):
    route = pattern.pattern
    if isinstance(route, RegexPattern):
        return [None] * route.regex.groups, True
    return list(route.converters), False


@pytest.fixture
def full_world(world):
    """The API tests' world, and one object of every model the admin lists."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_celery_beat.models import (ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask,
                                           SolarSchedule)
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from rest_framework.authtoken.models import Token

    from tests import factories

    world.root = factories.user("root", superuser=True)
    Token.objects.get_or_create(user=world.caseworker)
    TOTPDevice.objects.create(user=world.caseworker, name="phone", confirmed=True)
    StaticDevice.objects.create(user=world.caseworker, name="codes")
    AccessAttempt.objects.create(username="cw", ip_address="10.0.0.1", user_agent="t", failures_since_start=1)
    AccessLog.objects.create(username="cw", ip_address="10.0.0.1", user_agent="t")
    AccessFailureLog.objects.create(username="cw", ip_address="10.0.0.1", user_agent="t")
    every = IntervalSchedule.objects.create(every=1, period="days")
    PeriodicTask.objects.get_or_create(name="test task", defaults={"task": "x", "interval": every})
    CrontabSchedule.objects.create(minute="0", hour="1")
    SolarSchedule.objects.create(event="sunrise", latitude=1, longitude=1)
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    for model in admin.site._registry:
        if hasattr(model, "history") and not model.history.exists():  # seeded by a migration: no record yet
            model._default_manager.order_by("pk").first().save()
    AuditEvent.objects.create(action="view", object_type="recovery.RecoveryCase", object_id="1", channel="admin")
    from recovery.models import CaseEvent, IntakeBatch, Submission

    event = CaseEvent.objects.create(case=world.main, effective_date=world.main.opened_on, actor=world.por,
                                     actor_name="por", action="submit_settlement",
                                     from_state=world.main.state, to_state=world.main.state)
    Submission.objects.get_or_create(event=event, defaults=dict(
        case=world.main, action=event.action, received_at=event.at, received_on=event.effective_date,
        submitted_by=world.por, submitted_by_name="por"))
    IntakeBatch.objects.create(cases_name="cases.csv", cases_csv="", layout_version="1", uploaded_by=world.root)
    from django.contrib.auth.models import User

    people = set(User.objects.values_list("first_name", flat=True)) | set(User.objects.values_list("last_name",
                                                                                                   flat=True))
    # Names (except those a user also bears: "Other"), MBIs, case numbers.
    world.markers = ([b.last_name for b in Beneficiary.objects.all() if b.last_name not in people]
                     + [b.mbi for b in Beneficiary.objects.all()]
                     + [b.mbi_display for b in Beneficiary.objects.all()]
                     + [c.number for c in RecoveryCase.objects.all()])
    return world


def _object_for(model, w):
    chosen = {RecoveryCase: w.main, Beneficiary: w.bene_a}
    if model in chosen:
        return chosen[model]
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the test world has no {model._meta.label}: add one to full_world"
    return obj


def _url_for(name, pattern, model, w):
    names, regex = _params(pattern)
    if name.endswith("_recoverycase_act"):
        return reverse(f"admin:{name}", args=[w.main.pk, "open_dispute"])
    if name.endswith("_recoverycase_operation"):
        return reverse(f"admin:{name}", args=[w.debt.pk, "record_payment"])
    if regex and len(names) == 2:  # simple-history's record page: <object_id>/history/<version_id>/
        obj = _object_for(model, w)
        record = obj.history.order_by("history_id").first() or model.history.order_by("history_id").first()
        assert record is not None, f"{model._meta.label} has no history record"
        return reverse(f"admin:{name}", args=[record.instance.pk, record.history_id])
    if not names:
        return reverse(f"admin:{name}")
    return reverse(f"admin:{name}", args=[_object_for(model, w).pk])


def _shows_personal_data(response, markers):
    if response.get("Content-Type", "").startswith("application/pdf"):
        return True
    body = response.content.decode(errors="replace")
    return [m for m in markers if m and m in body]


def _get(client, url, **params):
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(url, params)
    rows = list(AuditEvent.objects.filter(id__gt=before))
    return response, rows


def test_every_admin_view_that_shows_case_or_beneficiary_data_writes_an_audit_row(full_world):
    w = full_world
    client = Client()
    client.force_login(w.root)
    personal = personal_models()
    failures, seen, audited = [], set(), 0

    registry = admin.site._registry
    for model, model_admin in registry.items():
        label = model._meta.label_lower
        # Every admin audits its reads, unless its model is named in NOT_PERSONAL — which holds no case data.
        must_audit = label not in NOT_PERSONAL
        assert must_audit or model not in personal, f"{label} points at a case or a beneficiary: audit it"
        for pattern in _walk(model_admin.urls):
            if pattern.name is None:  # <object_id>/ → a redirect to …/change/
                continue
            seen.add(pattern.name)
            url = _url_for(pattern.name, pattern, model, w)
            response, rows = _get(client, url)
            leaked = response.status_code == 200 and _shows_personal_data(response, w.markers)
            if must_audit and not pattern.name.endswith("_add") and pattern.name not in NOT_A_READ:
                if response.status_code == 200 and not rows:
                    failures.append(f"{url} ({pattern.name}): no audit row")
                elif response.status_code not in (200, 403):
                    failures.append(f"{url} ({pattern.name}): {response.status_code} for a superuser")
                audited += bool(rows)
            elif leaked and not rows:
                failures.append(f"{url} ({pattern.name}): shows {leaked} and writes no audit row")
            for row in rows:
                assert row.channel == "admin" and row.user_id == w.root.pk
                texts = (row.object_type, row.object_id, row.detail, json.dumps(row.object_ids))
                assert not [m for m in w.markers if any(m in t for t in texts)], (url, row)

    # The site's own views: the index, each app's page, password pages: nothing personal on them.
    for pattern in _walk(admin.site.get_urls()):
        if pattern.name in seen or pattern.name in (None, "autocomplete", "logout", "view_on_site"):
            continue
        if pattern.name == "app_list":
            urls = [reverse("admin:app_list", args=[app]) for app in {m._meta.app_label for m in registry}]
        else:
            urls = [reverse(f"admin:{pattern.name}")]
        for url in urls:
            response, rows = _get(client, url)
            leaked = response.status_code == 200 and _shows_personal_data(response, w.markers)
            if leaked and not rows:
                failures.append(f"{url}: shows {leaked} and writes no audit row")
    assert not failures, "\n".join(failures)
    assert audited >= 25  # the enumeration really exercised the audited views


def test_the_admin_autocomplete_is_audited_without_the_search_term(full_world):
    """/admin/autocomplete/ answers a search by name or MBI: every field using it is tried."""
    w = full_world
    client = Client()
    client.force_login(w.root)
    tried = 0
    for model, model_admin in admin.site._registry.items():
        for field_name in model_admin.get_autocomplete_fields(None):
            target = model._meta.get_field(field_name).related_model
            term = {Beneficiary: w.bene_a.last_name}.get(target, "")
            response, rows = _get(client, reverse("admin:autocomplete"), app_label=model._meta.app_label,
                                  model_name=model._meta.model_name, field_name=field_name, term=term)
            assert response.status_code == 200, (model, field_name)
            results = response.json()["results"]
            tried += 1
            assert len(rows) == 1, (model, field_name)
            row = rows[0]
            assert row.action == "list" and row.channel == "admin" and row.object_type == target._meta.label
            assert sorted(str(i) for i in row.object_ids) == sorted(r["id"] for r in results)
            if term:
                assert results and term not in (row.detail + row.object_id + json.dumps(row.object_ids))
    assert tried >= 4


def test_the_old_work_queue_address_needs_the_case_view_permission_and_the_worklist_is_audited(world):
    from tests import factories

    nobody = factories.user("noperm")  # staff, no group, no permission
    client = Client()
    client.force_login(nobody)
    queue = reverse("admin:recovery_recoverycase_queue")
    response = client.get(queue, {"caseworker": "all"})
    assert response.status_code == 403
    assert world.bene_a.last_name not in response.content.decode()
    denied = AuditEvent.objects.filter(user=nobody).order_by("id").last()
    assert denied is not None and denied.outcome == "denied" and denied.detail == "work queue"

    from recovery.cases.services import today

    RecoveryCase.objects.filter(pk=world.main.pk).update(next_due_date=today())  # due today: on the worklist
    RecoveryCase.objects.filter(pk=world.plan.pk).update(next_due_date=today() - timezone.timedelta(days=3))
    client.force_login(world.caseworker)
    assert client.get(queue, {"caseworker": "all"})["Location"] == reverse("admin:worklist") + "?who=all"
    response, rows = _get(client, reverse("admin:worklist"), who="all")
    assert response.status_code == 200
    shown = [i.case.pk for b in response.context["buckets"] for i in b.items if i.case is not None]
    assert set(shown) >= {world.main.pk, world.plan.pk}
    (row,) = rows
    assert (row.action, row.object_type, row.channel) == ("list", "recovery.RecoveryCase", "admin")
    assert row.detail.startswith("worklist")
    assert sorted(row.object_ids) == sorted(set(shown))
