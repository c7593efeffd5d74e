"""Personas and cases for the API tests (SPEC §8).

`world` builds, through the real services:

- `main`:  beneficiary A, beneficiary track, CPL issued 5 days ago (disputes open), two related claims,
           RAR and CPL letters, no settlement yet;
- `debt`:  beneficiary A, another case, demand issued 28 days ago (ledger with its principal row);
- `other`: beneficiary B, CPL issued;
- `plan`:  plan track (the insurer P is the debtor), CPN issued 5 days ago.

and the personas (PERSONAS), each a user with an API token:

- caseworker, supervisor (staff groups);
- por:         attorney with a verified POR on `main` and `debt`;
- ctr:         attorney with a verified, unexpired CTR on `main` and `debt`;
- ctr_expired: attorney whose verified CTR on `main` and `debt` ended yesterday;
- other:       attorney with a verified POR on `other` (beneficiary B) only;
- insurer:     contact at insurer P, with a verified letter of authority (debtor on `plan`);
- anonymous:   no credentials.
"""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from beneficiaries.models import Authorisation, ExternalProfile
from beneficiaries.services import authorisation_decide, authorisation_submit
from recovery.cases import services
from recovery.access.documents import document_store
from recovery.cases.tracks import Track
from tests import factories

PERSONAS = ["caseworker", "supervisor", "por", "ctr", "ctr_expired", "other", "insurer", "anonymous"]
STAFF = ["caseworker", "supervisor"]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def today():
    return timezone.localdate()


def ago(n):
    return today() - timedelta(days=n)


def pdf_file(name="document.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def external_user(username, *, kind=ExternalProfile.Kind.REPRESENTATIVE, payer=None):
    user = User.objects.create_user(username, password="pw-test-123", first_name=username.title(),
                                    last_name="Esq")
    ExternalProfile.objects.create(user=user, kind=kind, payer=payer, organisation="Law & Co")
    return user


def authorise(holder, kind, *, verifier, case=None, payer=None, ctr_end_date=None, verified=True):
    doc = document_store(uploaded=pdf_file(f"{kind}.pdf"), purpose="authorisation", actor=holder)
    auth = authorisation_submit(kind=kind, holder=holder, document=doc, actor=holder, case=case, payer=payer,
                                ctr_end_date=ctr_end_date)
    if verified:
        auth = authorisation_decide(authorisation=auth, verified=True, actor=verifier)
    return auth


def act(case, action, on, actor, **params):
    services.case_act(case=case, action=action, actor=actor, on=on, reason=f"Test: {action}", **params)
    case.refresh_from_db()
    return case


def cpl_case(worker, bene=None, *, cpl_days_ago=5):
    occurrence = factories.occurrence(bene) if bene else factories.occurrence()
    case = factories.case(actor=worker, occurrence=occurrence, opened_on=ago(cpl_days_ago + 15), caseworker=worker)
    factories.claim(case, amount_paid=Decimal("1200.00"))
    factories.claim(case, amount_paid=Decimal("800.00"))
    act(case, "post_occurrence", ago(cpl_days_ago + 14), worker)
    act(case, "issue_rar", ago(cpl_days_ago + 13), worker)
    return act(case, "issue_cpl", ago(cpl_days_ago), worker)


def demand_case(worker, bene):
    case = cpl_case(worker, bene, cpl_days_ago=40)
    factories.settlement(case, settlement_date=ago(31), gross_amount=Decimal("30000.00"),
                         attorney_fees=Decimal("10000.00"))
    act(case, "report_settlement", ago(30), worker)
    return act(case, "issue_demand", ago(28), worker)


def plan_case(worker):
    case = factories.case(Track.PLAN, actor=worker, opened_on=ago(20), caseworker=worker)
    factories.claim(case, amount_paid=Decimal("1500.00"))
    return act(case, "issue_cpn", ago(5), worker)


@pytest.fixture
def world(db):
    w = SimpleNamespace()
    w.caseworker = factories.caseworker("cw")
    w.supervisor = factories.supervisor("sup")
    w.bene_a = factories.beneficiary(first_name="Ada", last_name="Lovelace")
    w.bene_b = factories.beneficiary(first_name="Bob", last_name="Other")
    w.main = cpl_case(w.caseworker, w.bene_a)
    w.debt = demand_case(w.caseworker, w.bene_a)
    w.other = cpl_case(w.supervisor, w.bene_b)
    w.plan = plan_case(w.caseworker)
    w.insurer_payer = w.plan.debtor_payer

    w.por = external_user("por")
    w.ctr = external_user("ctr")
    w.ctr_expired = external_user("ctr_expired")
    w.other_attorney = external_user("other")
    w.insurer = external_user("insurer", kind=ExternalProfile.Kind.INSURER_CONTACT, payer=w.insurer_payer)
    K = Authorisation.Kind
    for case in (w.main, w.debt):
        authorise(w.por, K.POR, verifier=w.caseworker, case=case)
        authorise(w.ctr, K.CTR, verifier=w.caseworker, case=case, ctr_end_date=today() + timedelta(days=30))
        authorise(w.ctr_expired, K.CTR, verifier=w.caseworker, case=case, ctr_end_date=ago(1))
    authorise(w.other_attorney, K.POR, verifier=w.caseworker, case=w.other)
    authorise(w.insurer, K.LOA, verifier=w.caseworker, payer=w.insurer_payer)

    w.users = {"caseworker": w.caseworker, "supervisor": w.supervisor, "por": w.por, "ctr": w.ctr,
               "ctr_expired": w.ctr_expired, "other": w.other_attorney, "insurer": w.insurer, "anonymous": None}
    w.cases = {"main": w.main, "debt": w.debt, "other": w.other, "plan": w.plan}
    return w


def client_for(user) -> APIClient:
    """An API client authenticated the way integrations are: `Authorization: Token <key>`."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def as_persona(world):
    """as_persona("por") → an APIClient for that persona (anonymous: no credentials)."""
    return lambda name: client_for(world.users[name])


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    """Throttle counters live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
