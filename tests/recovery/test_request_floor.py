"""The per-request floor (issue 10): what every admin page pays, cut without changing an answer — the
permissions read in one query with ModelBackend's answers, the app list built only where a page shows it."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.auth_backends import OneQueryModelBackend
from tests import factories as f

pytestmark = pytest.mark.django_db


def fresh(user):
    return type(user).objects.get(pk=user.pk)  # no permission cache


def perm(codename):
    return Permission.objects.get(codename=codename)


@pytest.mark.parametrize("kind", ["plain", "own and group", "superuser", "inactive"])
def test_the_one_query_backend_answers_as_model_backend(kind):
    user = f.caseworker("pat")
    if kind == "plain":
        user.groups.clear()
    if kind == "own and group":
        user.user_permissions.add(perm("view_clocklength"))
        extra = Group.objects.create(name="extra")
        extra.permissions.add(perm("change_clocklength"), perm("view_clocklength"))
        user.groups.add(extra)
    if kind == "superuser":
        user.is_superuser = True
        user.save()
    if kind == "inactive":
        user.is_active = False
        user.save()
    ours, theirs = OneQueryModelBackend(), ModelBackend()
    a, b = fresh(user), fresh(user)
    assert ours.get_user_permissions(a) == theirs.get_user_permissions(b)
    assert ours.get_group_permissions(a) == theirs.get_group_permissions(b)
    assert ours.get_all_permissions(a) == theirs.get_all_permissions(b)
    for p in ("recovery.view_clocklength", "recovery.change_clocklength", "recovery.delete_recoverycase",
              "recovery.transition_recoverycase"):
        assert ours.has_perm(fresh(user), p) == theirs.has_perm(fresh(user), p), p
    if kind == "own and group":
        assert "recovery.change_clocklength" in ours.get_group_permissions(fresh(user))
        assert "recovery.view_clocklength" in ours.get_user_permissions(fresh(user))


def test_the_permissions_are_one_query_a_request():
    user = fresh(f.caseworker("pat"))
    backend = OneQueryModelBackend()
    with CaptureQueriesContext(connection) as q:
        backend.get_all_permissions(user)
        backend.get_user_permissions(user)
        backend.get_group_permissions(user)
        backend.has_perm(user, "recovery.view_recoverycase")
    assert len(q.captured_queries) == 1


def test_an_admin_page_reads_permissions_once_and_builds_no_app_list(client, monkeypatch):
    from config.admin_site import RecoveryAdminSite

    client.force_login(f.supervisor("boss"))
    url = reverse("admin:recovery_clocklength_changelist")
    client.get(url)
    built = []
    real = RecoveryAdminSite.get_app_list
    monkeypatch.setattr(RecoveryAdminSite, "get_app_list", lambda self, request, app_label=None: built.append(1)
                        or real(self, request, app_label))
    with CaptureQueriesContext(connection) as q:
        response = client.get(url)
    assert response.status_code == 200
    assert b'id="nav-sidebar"' not in response.content
    assert built == []
    assert sum("auth_permission" in x["sql"] for x in q.captured_queries) == 1
    index = client.get(reverse("admin:index"))  # Home still lists what the user may open
    assert index.status_code == 200 and b"Clock lengths" in index.content and built


def test_the_admin_sites_context_has_djangos_keys_and_values(rf):
    """RecoveryAdminSite.each_context is Django's with the app list made lazy (and the worklist's counts):
    a Django upgrade that adds or changes a key shows here."""
    from django.contrib.admin import AdminSite, site

    request = rf.get("/admin/")
    request.user = f.supervisor("ctx")
    ours, django = site.each_context(request), AdminSite.each_context(site, request)
    assert set(django) <= set(ours)
    for key in django:
        if key == "available_apps":
            assert list(ours[key]) == list(django[key])
        elif key != "log_entries":
            assert ours[key] == django[key], key
    assert list(ours["log_entries"]) == list(django["log_entries"])
