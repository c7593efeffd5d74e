"""Login security (issue 5): lockout after repeated failures (django-axes), staff second factor
(django-otp), idle session timeout, security headers and CSP."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories as f

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def test_repeated_failed_logins_lock_the_account_out_even_with_the_right_password(client, settings):
    f.user("victim")
    statuses = [client.post(LOGIN, {"username": "victim", "password": "wrong"}).status_code
                 for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)  # the form again, with its error
    response = client.post(LOGIN, {"username": "victim", "password": "pw-test-123"})
    assert response.status_code == 429
    assert "locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_good_login_works_and_lands_on_the_portal(client):
    f.user("someone")
    response = client.post(LOGIN, {"username": "someone", "password": "pw-test-123"})
    assert response.status_code == 302 and response["Location"] == "/portal/"


@override_settings(STAFF_OTP_REQUIRED=True)
def test_with_otp_required_staff_need_a_verified_device_for_the_admin(client):
    from config.admin_site import RecoveryAdminSite

    site = RecoveryAdminSite()
    worker = f.caseworker("otpuser")
    request = client.get("/").wsgi_request
    request.user = worker
    request.user.is_verified = lambda: False
    assert site.has_permission(request) is False
    request.user.is_verified = lambda: True
    assert site.has_permission(request) is True


@override_settings(STAFF_OTP_REQUIRED=True)
def test_with_otp_required_the_admin_login_asks_for_the_token_and_accepts_a_right_one(client):
    import importlib

    import config.admin_site

    importlib.reload(config.admin_site)
    worker = f.caseworker("totpuser")
    device = TOTPDevice.objects.create(user=worker, name="phone", confirmed=True)
    site = config.admin_site.RecoveryAdminSite()
    assert site.login_form.__name__ == "OTPAdminAuthenticationForm"
    form = site.login_form(request=client.get("/").wsgi_request, data={
        "username": "totpuser", "password": "pw-test-123", "otp_device": device.persistent_id,
        "otp_token": str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(6)})
    assert form.is_valid(), form.errors
    bad = site.login_form(request=client.get("/").wsgi_request, data={
        "username": "totpuser", "password": "pw-test-123", "otp_device": device.persistent_id, "otp_token": "000000"})
    assert not bad.is_valid()


def test_sessions_end_after_the_idle_timeout_and_renew_at_most_every_minute(settings, client):
    """Requests renew the 30-minute idle timeout, but write the session row at most once a minute (issue 10)."""
    from datetime import datetime, timedelta, timezone

    import time_machine
    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_REFRESH_SECONDS == 60
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

    def expiry():
        return Session.objects.get(session_key=client.cookies["sessionid"].value).expire_date

    with time_machine.travel(t0, tick=False) as clock:
        client.force_login(f.caseworker())
        clock.move_to(t0 + timedelta(seconds=10))
        response = client.get(reverse("admin:index"))
        assert response.cookies["sessionid"]["max-age"] in ("", 1800) or response.cookies["sessionid"]["expires"]
        assert expiry() == t0 + timedelta(seconds=10, minutes=30)  # first request: renewed
        clock.move_to(t0 + timedelta(seconds=40))
        client.get(reverse("admin:index"))
        assert expiry() == t0 + timedelta(seconds=10, minutes=30)  # 30 s later: no write
        clock.move_to(t0 + timedelta(seconds=75))
        client.get(reverse("admin:index"))
        assert expiry() == t0 + timedelta(seconds=75, minutes=30)  # a minute on: renewed
        clock.move_to(t0 + timedelta(seconds=75, minutes=31))
        assert client.get(reverse("admin:index")).status_code == 302  # idle past the timeout: signed out


def test_pages_carry_a_content_security_policy_and_the_usual_headers(client):
    response = client.get(LOGIN)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
