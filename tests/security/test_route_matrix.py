"""Who gets what on every web route (issue 5): each portal, calculator and caseworker-admin page ×
{caseworker, supervisor, attorney with a verified POR, attorney with a valid CTR, attorney with an
expired CTR, attorney for another beneficiary, insurer contact, anonymous}. The API's routes have
their own matrix in tests/api/test_access.py; a route added without a row here fails this file.

The world (tests/api/conftest.py): `main` and `debt` belong to beneficiary A (POR and CTRs there),
`other` to beneficiary B (the other attorney's POR), `plan` is a plan-track case whose debtor is the
insurer contact's organisation.
"""

import pytest
from django.test import Client, override_settings
from django.urls import get_resolver, reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories


PERSONAS = ["caseworker", "supervisor", "por", "ctr", "ctr_expired", "other", "insurer", "anonymous"]
LOGIN, ADMIN_LOGIN = "login", "admin-login"


def row(*statuses):
    return dict(zip(PERSONAS, statuses))


# Expected answer to a GET, per persona: a status code, or LOGIN / ADMIN_LOGIN for a redirect there.
SEE_ALL = row(200, 200, 200, 200, 200, 200, 200, LOGIN)
BENE_A_CASE = row(200, 200, 200, 200, 404, 404, 404, LOGIN)  # POR sees, CTR sees, expired CTR nothing
PLAN_CASE = row(200, 200, 404, 404, 404, 404, 200, LOGIN)
POR_FORM = row(403, 403, 200, 403, 404, 404, 404, LOGIN)  # staff work in the admin; a CTR may not act
DEBTOR_FORM = row(403, 403, 404, 404, 404, 404, 200, LOGIN)
STAFF_ONLY = row(200, 200, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN)
TO_WORKLIST = row("302 /admin/worklist/", "302 /admin/worklist/", ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN,
                  ADMIN_LOGIN, ADMIN_LOGIN)
SUPERVISOR_ONLY = row(403, 200, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN)

ROUTES = [
    ("portal:cases", lambda w: [], SEE_ALL),
    ("portal:case", lambda w: [w.main.pk], BENE_A_CASE),
    ("portal:case", lambda w: [w.plan.pk], PLAN_CASE),
    ("portal:letter_pdf", lambda w: [w.main.pk, w.main.letters.first().pk], BENE_A_CASE),
    ("portal:settlement", lambda w: [w.main.pk], POR_FORM),
    ("portal:dispute", lambda w: [w.main.pk], POR_FORM),
    ("portal:response", lambda w: [w.plan.pk], DEBTOR_FORM),
    ("portal:appeal", lambda w: [w.debt.pk], POR_FORM),
    ("portal:waiver", lambda w: [w.debt.pk], POR_FORM),
    ("portal:challenge", lambda w: [w.plan.pk], DEBTOR_FORM),
    ("portal:option_fixed", lambda w: [w.main.pk], POR_FORM),
    ("portal:option_self", lambda w: [w.main.pk], POR_FORM),
    ("portal:final_notice", lambda w: [w.main.pk], POR_FORM),
    ("portal:final_request", lambda w: [w.main.pk], POR_FORM),
    ("portal:authorisation", lambda w: [], row(403, 403, 200, 200, 200, 200, 200, LOGIN)),
    ("portal:document", lambda w: [w.main.authorisations.filter(holder=w.por).first().document.key],
     row(200, 200, 200, 404, 404, 404, 404, LOGIN)),  # an authorisation document: staff and its uploader
    ("calculators:index", lambda w: [], SEE_ALL),
    ("calculators:demand_estimate", lambda w: [], SEE_ALL),
    ("calculators:secondary_payment", lambda w: [], SEE_ALL),
    ("admin:recovery_recoverycase_changelist", lambda w: [], STAFF_ONLY),
    ("admin:recovery_recoverycase_change", lambda w: [w.main.pk], STAFF_ONLY),
    ("admin:recovery_recoverycase_act", lambda w: [w.main.pk, "open_dispute"], STAFF_ONLY),
    ("admin:recovery_recoverycase_operation", lambda w: [w.debt.pk, "record_payment"], STAFF_ONLY),
    ("admin:recovery_recoverycase_queue", lambda w: [], TO_WORKLIST),  # the old work queue: now the worklist
    ("admin:recovery_recoverycase_diagrams", lambda w: [], STAFF_ONLY),
    ("admin:recovery_letter_pdf", lambda w: [w.main.letters.first().pk], STAFF_ONLY),
    ("admin:recovery_auditevent_changelist", lambda w: [], SUPERVISOR_ONLY),
    ("admin:beneficiaries_beneficiary_change", lambda w: [w.bene_a.pk], STAFF_ONLY),
    ("admin:beneficiaries_authorisation_changelist", lambda w: [], STAFF_ONLY),
    ("admin:recovery_interestrate_changelist", lambda w: [], STAFF_ONLY),
    ("admin:recovery_intakebatch_changelist", lambda w: [], STAFF_ONLY),
    ("admin:recovery_intakebatch_add", lambda w: [], STAFF_ONLY),
    ("admin:recovery_intakebatch_change", lambda w: [_intake_batch(w)], STAFF_ONLY),
    ("admin:recovery_intakebatch_errors", lambda w: [_intake_batch(w)], STAFF_ONLY),
    ("admin:recovery_intakebatch_progress", lambda w: [_intake_batch(w)], STAFF_ONLY),
]


def _intake_batch(w):
    from recovery.models import IntakeBatch

    batch = IntakeBatch.objects.first() or IntakeBatch.objects.create(
        cases_name="cases.csv", cases_csv="mbi\n", layout_version="1", uploaded_by=w.caseworker)
    return batch.pk


def _client(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _outcome(response):
    if response.status_code == 302:
        target = response["Location"].split("?")[0]
        return {"/accounts/login/": LOGIN, "/admin/login/": ADMIN_LOGIN}.get(target, f"302 {target}")
    return response.status_code


def _failures(world, clients, expected_for):
    failures = []
    for name, args, expected in ROUTES:
        url = reverse(name, args=args(world))
        expected = expected_for(name, expected)
        for persona, client in clients.items():
            got = _outcome(client.get(url))
            if got != expected[persona]:
                failures.append(f"{name} as {persona}: expected {expected[persona]}, got {got}")
    return failures


@pytest.mark.django_db
def test_every_web_route_answers_each_persona_exactly_as_spec_8_says(world):
    clients = {persona: _client(world.users[persona]) for persona in PERSONAS}
    failures = _failures(world, clients, lambda name, expected: expected)
    assert not failures, "\n".join(failures)


# With STAFF_OTP_REQUIRED on (issue 9), two more personas: a caseworker whose session has no verified
# device (a password alone: sent to the admin login for the one-time code, on every route), and a staff
# user with a verified device but no group and no permission (the portal shows them no case; every
# caseworker route refuses them).
OTP_PERSONAS = [*PERSONAS, "staff_unverified", "staff_no_perms"]


def _no_perms_expected(name):
    if name.startswith("admin:"):
        return 403
    return {"portal:cases": 200, "portal:authorisation": 403}.get(name, 200 if name.startswith("calculators:")
                                                                   else 404)


def _verified_client(user):
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = _client(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.mark.django_db
@override_settings(STAFF_OTP_REQUIRED=True)
def test_with_the_staff_second_factor_on_every_route_answers_each_persona_and_never_serves_an_unverified_session(
        world):
    no_perms = factories.user("bare-staff")
    unverified = factories.caseworker("cw-password-only")
    TOTPDevice.objects.create(user=unverified, name="phone", confirmed=True)  # has one; did not give its code
    clients = {persona: (_verified_client(world.users[persona]) if persona in ("caseworker", "supervisor")
                         else _client(world.users[persona])) for persona in PERSONAS}
    clients["staff_unverified"] = _client(unverified)
    clients["staff_no_perms"] = _verified_client(no_perms)
    failures = _failures(world, clients, lambda name, expected: {
        **expected, "staff_unverified": ADMIN_LOGIN, "staff_no_perms": _no_perms_expected(name)})
    assert not failures, "\n".join(failures)
    # The portal's list answers the staff user without permissions, and shows them no case.
    page = clients["staff_no_perms"].get(reverse("portal:cases")).content.decode()
    assert not [c for c in world.cases.values() if reverse("portal:case", args=[c.pk]) in page]


@pytest.mark.django_db
def test_the_portal_case_list_shows_each_persona_exactly_its_cases(world):
    expected = {
        "por": {world.main, world.debt}, "ctr": {world.main, world.debt}, "ctr_expired": set(),
        "other": {world.other}, "insurer": {world.plan},
        "caseworker": {world.main, world.debt, world.other, world.plan},
    }
    for persona, cases in expected.items():
        page = _client(world.users[persona]).get(reverse("portal:cases")).content.decode()
        # The cases shown are the ones linked (the page also lists the person's own authorisations).
        shown = {c for c in world.cases.values() if f'href="{reverse("portal:case", args=[c.pk])}"' in page}
        assert shown == cases, persona


@pytest.mark.django_db
def test_a_ctr_holder_cannot_post_a_form_that_acts(world):
    client = _client(world.ctr)
    for name, case in [("portal:settlement", world.main), ("portal:dispute", world.main),
                       ("portal:appeal", world.debt)]:
        assert client.post(reverse(name, args=[case.pk]), {}).status_code == 403, name
    assert not world.main.disputes.exists()


def test_every_portal_calculator_and_caseworker_route_has_a_row_here():
    covered = {name for name, _, _ in ROUTES}
    names = set()

    def walk(patterns, namespace=None):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, p.namespace or namespace)
            elif p.name and namespace in ("portal", "calculators"):
                names.add(f"{namespace}:{p.name}")
            elif p.name and namespace == "admin" and p.name.startswith("recovery_recoverycase_") and \
                    not p.name.endswith(("_add", "_delete", "_history", "_changelist", "_change", "_autocomplete")):
                names.add(f"admin:{p.name}")

    walk(get_resolver().url_patterns)
    assert names - covered == set()
