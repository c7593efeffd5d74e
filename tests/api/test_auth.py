"""Signing in to the API: tokens (POST /api/token/) with django-axes watching, session auth with CSRF,
throttling (the settings' anon/user rates), and the OpenAPI schema and its docs page."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from .conftest import client_for

pytestmark = pytest.mark.django_db


def token_for(username, password="pw-test-123", client=None):
    return (client or APIClient()).post("/api/token/", {"username": username, "password": password}, format="json")


def test_a_token_is_issued_for_the_right_password_and_opens_the_api(world):
    response = token_for("por")
    assert response.status_code == 200
    key = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert {r["id"] for r in client.get("/api/cases/").json()["results"]} == {world.main.pk, world.debt.pk}
    assert token_for("por").json()["token"] == key  # the same token again


def test_a_form_encoded_token_request_works_too(world):
    response = APIClient().post("/api/token/", {"username": "cw", "password": "pw-test-123"})
    assert response.status_code == 200 and response.json()["token"]


def test_a_wrong_password_gets_no_token(world):
    response = token_for("por", "wrong")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}


def test_a_missing_field_is_named(world):
    response = APIClient().post("/api/token/", {"username": "por"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["password"]


def test_a_bad_token_is_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/cases/")
    assert response.status_code == 401 and response.json() == {"detail": "Invalid token."}


def test_axes_locks_the_account_after_repeated_failures_even_for_the_right_password(world, settings):
    """AxesStandaloneBackend needs the request in authenticate(): DRF's AuthTokenSerializer passes it."""
    from axes.models import AccessAttempt

    codes = [token_for("por", "wrong").status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert codes == [400] * (settings.AXES_FAILURE_LIMIT - 1) + [429]  # the failure that locks says so
    assert AccessAttempt.objects.filter(username="por").exists()
    response = token_for("por")
    assert response.status_code == 429
    assert "locked" in response.json()["detail"]
    assert "token" not in response.json()


def test_a_successful_token_login_resets_the_failure_count(world, settings):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        token_for("ctr", "wrong")
    assert token_for("ctr").status_code == 200
    assert not AccessAttempt.objects.filter(username="ctr").exists()


def test_an_inactive_user_gets_no_token(world):
    User.objects.filter(username="por").update(is_active=False)
    assert token_for("por").status_code == 400


def test_session_auth_works_and_writes_need_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.caseworker)
    assert client.get("/api/cases/").status_code == 200
    response = client.post(f"/api/cases/{world.main.pk}/actions/close_no_recovery/",
                           {"expected_state": "cpl_issued", "reason": "x"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_a_token_login_sets_last_login(world):
    assert world.por.last_login is None
    token_for("por")
    world.por.refresh_from_db()
    assert world.por.last_login is not None


# --- a second factor for staff (STAFF_OTP_REQUIRED, as the admin) ---------------------------------------


@pytest.fixture
def otp_required(settings):
    settings.STAFF_OTP_REQUIRED = True


def totp_code(device):
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def test_staff_need_a_one_time_code_for_a_token_when_the_second_factor_is_required(world, otp_required):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    response = token_for("cw")
    assert response.status_code == 400 and list(response.json()) == ["otp_token"]
    device = TOTPDevice.objects.create(user=world.caseworker, name="phone", confirmed=True)
    good = APIClient().post("/api/token/", {"username": "cw", "password": "pw-test-123",
                                            "otp_token": totp_code(device)}, format="json")
    assert good.status_code == 200 and good.json()["token"]
    code = "000000" if totp_code(device) != "000000" else "111111"
    bad = APIClient().post("/api/token/", {"username": "cw", "password": "pw-test-123", "otp_token": code},
                           format="json")
    assert bad.status_code == 400 and bad.json() == {"otp_token": ["The one-time code is not valid."]}
    assert token_for("por").status_code == 200  # people outside have no second factor here


def test_a_staff_session_without_the_second_factor_is_refused(world, otp_required):
    client = APIClient()
    client.force_login(world.caseworker)
    response = client.get("/api/cases/")
    assert response.status_code == 403 and "second factor" in response.json()["detail"]
    outside = APIClient()
    outside.force_login(world.por)
    assert outside.get("/api/cases/").status_code == 200


@pytest.fixture
def low_rates(monkeypatch):
    """DRF reads the rates into SimpleRateThrottle.THROTTLE_RATES when it is imported, so overriding the
    settings is not enough: set the class attribute for the test."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "5/min"})


def test_a_signed_in_user_is_throttled_at_the_user_rate(world, low_rates):
    client = client_for(world.caseworker)
    codes = [client.get("/api/cases/").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    response = client.get("/api/cases/")
    assert response.status_code == 429 and "Retry-After" in response
    assert client_for(world.por).get("/api/cases/").status_code == 200  # per user


def test_anonymous_requests_and_token_requests_are_throttled_at_the_anon_rate(world, low_rates):
    client = APIClient()
    codes = [token_for("por", "wrong", client).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]


def test_the_openapi_schema_and_the_docs_page_use_no_cdn(world):
    client = APIClient()
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/cases/", "/api/cases/{id}/", "/api/cases/{id}/actions/{action}/", "/api/token/",
            "/api/letters/{id}/pdf/", "/api/documents/", "/api/documents/{key}/"} <= set(paths)
    assert schema.json()["components"]["securitySchemes"]["tokenAuth"]["type"] == "apiKey"
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui-bundle.js" in html and "/static/drf_spectacular_sidecar/" in html
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs"):
        assert cdn not in html
    assert "<script>" not in html  # no inline script: the CSP allows none
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    assert "/api/schema/" in script.content.decode()
