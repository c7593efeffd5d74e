"""Issue 9, finding 1: with STAFF_OTP_REQUIRED on, a staff user who signed in with a password only (at
/accounts/login/) never reaches a page with a beneficiary's data — the portal, a document, a letter —
until the session is verified with a device (django-otp) at the admin login, as the admin and the API
already demand. Real HTTP throughout: the password sign-in form, then the admin's OTP sign-in form."""

import pytest
from django.test import Client, override_settings
from django.urls import get_resolver, reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery.audit_models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD_LOGIN, ADMIN_LOGIN = "/accounts/login/", "/admin/login/"


def _code(device):
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(6)


def _portal_urls(w):
    letter = w.main.letters.first()
    doc = w.main.authorisations.filter(holder=w.por).first().document
    args = {"case": [w.main.pk], "letter_pdf": [w.main.pk, letter.pk], "settlement": [w.main.pk],
            "dispute": [w.main.pk], "response": [w.plan.pk], "appeal": [w.debt.pk], "waiver": [w.debt.pk],
            "challenge": [w.plan.pk], "option_fixed": [w.main.pk], "option_self": [w.main.pk],
            "final_notice": [w.main.pk], "final_request": [w.main.pk], "document": [doc.key]}
    names = [p.name for p in get_resolver().namespace_dict["portal"][1].url_patterns]
    return {name: reverse(f"portal:{name}", args=args.get(name, [])) for name in names}


def _signed_in_with_password(user):
    client = Client()
    response = client.post(PASSWORD_LOGIN, {"username": user.username, "password": "pw-test-123"})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    return client


@override_settings(STAFF_OTP_REQUIRED=True)
def test_a_password_alone_never_shows_staff_a_portal_page_every_route_sends_them_to_the_otp_sign_in(world):
    TOTPDevice.objects.create(user=world.caseworker, name="phone", confirmed=True)
    client = _signed_in_with_password(world.caseworker)
    urls = _portal_urls(world)
    assert len(urls) == 15  # every portal route, found from the URL conf
    before = AuditEvent.objects.count()
    for name, url in urls.items():
        got = client.get(url)
        assert got.status_code == 302, (name, got.status_code)
        assert got["Location"].startswith(f"{ADMIN_LOGIN}?next="), (name, got["Location"])
        # A form's POST is refused too, and nothing happens.
        assert client.post(url, {}).status_code == 403, name
    assert not world.main.disputes.exists()
    assert AuditEvent.objects.count() == before  # no page ran: no read was made
    # The page a password login lands on, and the calculators, neither.
    assert client.get("/portal/")["Location"].startswith(ADMIN_LOGIN)
    assert client.get(reverse("calculators:index"))["Location"].startswith(ADMIN_LOGIN)
    # Signing out still works.
    assert client.post(reverse("logout")).status_code in (200, 302)
    assert "_auth_user_id" not in client.session


def _sent_to_the_otp_sign_in(world):
    device = TOTPDevice.objects.create(user=world.caseworker, name="phone", confirmed=True)
    client = _signed_in_with_password(world.caseworker)
    case_url = reverse("portal:case", args=[world.main.pk])
    sent_on = client.get(case_url)["Location"]
    login_page = client.get(sent_on)
    assert login_page.status_code == 200 and 'name="otp_token"' in login_page.content.decode()
    return client, device, case_url, sent_on


@override_settings(STAFF_OTP_REQUIRED=True)
def test_after_the_one_time_code_at_the_admin_login_the_same_staff_member_sees_the_portal(world):
    client, device, case_url, sent_on = _sent_to_the_otp_sign_in(world)
    right = client.post(sent_on, {"username": "cw", "password": "pw-test-123",
                                  "otp_device": device.persistent_id, "otp_token": _code(device)})
    assert right.status_code == 302 and right["Location"] == case_url
    page = client.get(case_url)
    assert page.status_code == 200 and world.main.number in page.content.decode()


@override_settings(STAFF_OTP_REQUIRED=True)
def test_a_wrong_one_time_code_leaves_the_portal_closed(world):
    client, device, case_url, sent_on = _sent_to_the_otp_sign_in(world)
    wrong = client.post(sent_on, {"username": "cw", "password": "pw-test-123", "otp_device": device.persistent_id,
                                  "otp_token": "000000" if _code(device) != "000000" else "111111"})
    assert wrong.status_code == 200  # the form again, with its error
    assert client.get(case_url).status_code == 302


@override_settings(STAFF_OTP_REQUIRED=True)
def test_people_outside_sign_in_with_a_password_and_see_their_cases_as_before(world):
    client = _signed_in_with_password(world.por)
    assert client.get(reverse("portal:case", args=[world.main.pk])).status_code == 200


@override_settings(STAFF_OTP_REQUIRED=False)
def test_with_the_second_factor_off_staff_sign_in_with_a_password_as_before(world):
    client = _signed_in_with_password(world.caseworker)
    assert client.get(reverse("portal:case", args=[world.main.pk])).status_code == 200


@override_settings(STAFF_OTP_REQUIRED=True)
def test_the_admin_the_api_and_the_portal_ask_the_one_same_question(world, rf):
    """One check (recovery.second_factor) decides for the admin site, the API's session permission and
    the portal."""
    from django.contrib import admin

    from recovery import second_factor
    from recovery.api.permissions import second_factor_required

    request = rf.get("/")
    request.user = world.caseworker
    request.user.is_verified = lambda: False
    assert second_factor.lacking(request.user) and second_factor_required(request.user)
    assert admin.site.has_permission(request) is False
    request.user.is_verified = lambda: True
    assert not second_factor.lacking(request.user)
    assert admin.site.has_permission(request) is True
    assert not second_factor.lacking(world.por)
