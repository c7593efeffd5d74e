"""The client address behind proxies and the lockout (issue 9, findings 4 and 5).

Through real HTTP (live_server + http.client): the audit log records the address the trusted proxies
vouch for, not the client's own X-Forwarded-For entries; an address that does not parse is ignored and
never fails the request; django-axes locks by user name + that address, so failures with random user
names from one address (or one proxy) lock no one else out."""

import http.client
import uuid
from urllib.parse import urlencode, urlsplit

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from recovery.audit_models import AuditEvent
from recovery.safeguards.client_address import client_address
from tests import factories as f

LOGIN = "/accounts/login/"


def request(live_server, method, path, *, headers=None, body=None):
    url = urlsplit(live_server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        request.last_headers = response.getheaders()
        return response.status, body
    finally:
        conn.close()


def session_cookie(client, user):
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


# --- the address function --------------------------------------------------------------------------------


@pytest.mark.parametrize("header, count, remote, expected", [
    ("", 1, "127.0.0.1", "127.0.0.1"),  # no proxy header configured: the peer
    ("garbage, 10.0.0.1", 1, "10.9.9.9", "10.0.0.1"),  # the right-most entry: what our proxy saw
    ("6.6.6.6, 203.0.113.7", 1, "10.9.9.9", "203.0.113.7"),  # the client's own left-most entry is ignored
    ("6.6.6.6, 203.0.113.7, 10.0.0.2", 2, "10.9.9.9", "203.0.113.7"),  # two proxies: second from the right
    ("garbage", 1, "10.9.9.9", "10.9.9.9"),  # does not parse: ignored, the peer's address instead
    ("203.0.113.7", 2, "10.9.9.9", "10.9.9.9"),  # fewer entries than proxies: only the peer is known
    ("2001:DB8::1", 1, "10.9.9.9", "2001:db8::1"),  # normalised
    ("[2001:db8::1]", 1, "10.9.9.9", "2001:db8::1"),
    ("1.2.3.4:5678", 1, "not-an-ip", None),  # nothing parses: None, never an exception
])
def test_the_client_address_is_the_one_the_trusted_proxies_vouch_for(settings, header, count, remote, expected):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = count
    meta = {"REMOTE_ADDR": remote}
    if header:
        meta["HTTP_X_FORWARDED_FOR"] = header
    req = RequestFactory().get("/", **meta)
    assert client_address(req) == expected


def test_without_a_trusted_proxy_header_the_forwarded_for_header_is_ignored(settings):
    settings.TRUSTED_PROXY_HEADER = ""
    req = RequestFactory().get("/", REMOTE_ADDR="192.0.2.5", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_address(req) == "192.0.2.5"


# --- through real HTTP ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("forwarded, recorded", [
    ("garbage, 10.0.0.1", "10.0.0.1"),
    ("6.6.6.6, 203.0.113.7", "203.0.113.7"),
    ("garbage", "127.0.0.1"),
])
def test_an_audited_page_records_the_vouched_address_and_never_fails_over_it(
        live_server, transactional_db, client, settings, forwarded, recorded):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = 1
    case = f.case()
    worker = f.caseworker()
    cookie = session_cookie(client, worker)
    before = AuditEvent.objects.count()
    status, _ = request(live_server, "GET", reverse("admin:recovery_recoverycase_change", args=[case.pk]),
                        headers={"Cookie": cookie, "X-Forwarded-For": forwarded})
    assert status == 200
    [row] = AuditEvent.objects.order_by("id")[before:]
    assert (row.object_id, row.client_ip) == (str(case.pk), recorded)


# --- the lockout -------------------------------------------------------------------------------------------


def csrf(live_server):
    """The login form's CSRF cookie and token, as a browser gets them."""
    import re

    _, page = request(live_server, "GET", LOGIN)
    cookie = next(v.split(";")[0] for k, v in request.last_headers
                  if k.lower() == "set-cookie" and v.startswith("csrftoken="))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    return cookie, token


def login(live_server, username, password, *, forwarded):
    cookie, token = csrf(live_server)
    body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    return request(live_server, "POST", LOGIN, body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": forwarded, "Cookie": cookie})


@pytest.fixture
def behind_a_proxy(settings):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = 1


def test_failures_with_random_user_names_from_one_address_lock_no_real_user_out(
        live_server, transactional_db, settings, behind_a_proxy):
    f.user("realuser")
    for _ in range(settings.AXES_FAILURE_LIMIT * 2):
        status, _ = login(live_server, f"nobody-{uuid.uuid4().hex[:8]}", "wrong", forwarded="203.0.113.7")
        assert status == 200  # the form again: no lockout of the address as such
    status, _ = login(live_server, "realuser", "pw-test-123", forwarded="203.0.113.7")
    assert status == 302  # signed in, from the same address
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_failures_for_one_user_lock_that_user_from_that_address_with_the_right_password(
        live_server, transactional_db, settings, behind_a_proxy):
    f.user("victim")
    f.user("bystander")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(live_server, "victim", "wrong", forwarded="6.6.6.6, 203.0.113.7")
    status, body = login(live_server, "victim", "pw-test-123", forwarded="1.1.1.1, 203.0.113.7")
    assert status == 429 and b"locked" in body  # the spoofed left-most entry does not get round it
    status, _ = login(live_server, "bystander", "pw-test-123", forwarded="203.0.113.7")
    assert status == 302  # another user behind the same proxy address is not locked out
    [attempt] = AccessAttempt.objects.all()
    assert (attempt.username, attempt.ip_address) == ("victim", "203.0.113.7")


def test_the_api_token_login_locks_by_user_name_and_address_too(
        live_server, transactional_db, settings, behind_a_proxy):
    import json

    f.user("apiuser")

    def token(username, password):
        return request(live_server, "POST", "/api/token/", body=json.dumps({"username": username,
                                                                            "password": password}),
                       headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.7"})

    for _ in range(settings.AXES_FAILURE_LIMIT * 2):
        assert token(f"nobody-{uuid.uuid4().hex[:8]}", "wrong")[0] == 400
    assert token("apiuser", "pw-test-123")[0] == 200  # random names locked nobody out
    for _ in range(settings.AXES_FAILURE_LIMIT):
        token("apiuser", "wrong")
    status, body = token("apiuser", "pw-test-123")
    assert status == 429 and b"locked" in body
