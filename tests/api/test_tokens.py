"""API tokens have a lifetime (TOKEN_TTL_HOURS) and can be revoked (DELETE /api/token/) — issue 9, #12."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from recovery.audit_models import AuditEvent

pytestmark = pytest.mark.django_db


def token_for(username, password="pw-test-123"):
    response = APIClient().post("/api/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_token(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_works_until_its_lifetime_ends_and_is_then_refused(world, settings):
    settings.TOKEN_TTL_HOURS = 12
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        key = token_for("por")
    with time_machine.travel(start + timedelta(hours=11, minutes=59), tick=False):
        assert with_token(key).get("/api/cases/").status_code == 200
    with time_machine.travel(start + timedelta(hours=12), tick=False):
        response = with_token(key).get("/api/cases/")
        assert response.status_code == 401
        assert response.json() == {"detail": "The token has expired: ask POST /api/token/ for a new one."}
        assert response["WWW-Authenticate"] == "Token"


def test_a_new_login_after_expiry_issues_a_fresh_token(world, settings):
    settings.TOKEN_TTL_HOURS = 12
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        old = token_for("por")
        assert token_for("por") == old  # while it lives, the same token
    with time_machine.travel(start + timedelta(hours=13), tick=False):
        new = token_for("por")
        assert new != old
        assert with_token(new).get("/api/cases/").status_code == 200
        assert with_token(old).get("/api/cases/").status_code == 401
    assert Token.objects.filter(user__username="por").count() == 1


def test_the_lifetime_is_a_setting(world, settings):
    settings.TOKEN_TTL_HOURS = 1
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        key = token_for("cw")
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert with_token(key).get("/api/cases/").status_code == 401


# --- revocation ---------------------------------------------------------------------------------------


def test_delete_revokes_the_callers_token_and_is_audited(world):
    key = token_for("por")
    other = token_for("cw")
    response = with_token(key).delete("/api/token/")
    assert response.status_code == 204
    assert with_token(key).get("/api/cases/").status_code == 401
    assert with_token(other).get("/api/cases/").status_code == 200  # only the caller's token
    event = AuditEvent.objects.filter(object_type="authtoken.Token").get()
    assert (event.username, event.action, event.detail, event.channel) == ("por", "update", "revoke token", "api")
    assert key not in event.object_id  # never the key itself
    assert token_for("por") != key  # a new login gets a new token


def test_delete_without_a_token_is_401(world):
    assert APIClient().delete("/api/token/").status_code == 401


def test_revocation_is_in_the_schema():
    client = APIClient()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/token/"]["delete"]
    assert operation["operationId"] == "token_destroy"
    assert "204" in operation["responses"] and "401" in operation["responses"]
