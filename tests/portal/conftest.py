"""Cases and people for the portal tests (SPEC §8), built through the real services.

Cases (dates relative to today, so the portal's "today" finds the windows open):
- `main`:     beneficiary A, beneficiary track, CPL issued 5 days ago, two related claims ($1,200 + $800),
              no settlement; its MSP occurrence was reported by insurer P (P is the reporting entity);
- `debt`:     beneficiary A, demand issued 28 days ago;
- `cpn`:      beneficiary A, settlement reported from the beneficiary's side, CPN issued 5 days ago;
- `other`:    beneficiary B, CPL issued 5 days ago;
- `plan`:     plan track, insurer P the debtor, CPN issued 5 days ago;
- `plan_debt`: plan track, insurer P the debtor, demand issued 10 days ago;
- `ghp`:      GHP track, employer plan G the debtor, demand issued 10 days ago.

People:
- staff: `caseworker`;
- `por`: attorney (Jane Roe, Roe & Partners LLP) with a verified POR on main, debt and cpn;
- `ctr`: attorney with a verified CTR on main and debt, ending in 30 days;
- `ctr_expired`: a verified CTR on main that ended yesterday;
- `pending`, `rejected`: a POR on main awaiting verification / rejected;
- `other`: attorney with a verified POR on `other` (beneficiary B) only;
- `insurer`: contact at P with a verified letter of authority (debtor on plan and plan_debt, reporter on main);
- `ghp_contact`: contact at G with a verified letter of authority (debtor on ghp).
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from beneficiaries.models import Authorisation, ExternalProfile
from beneficiaries.services import authorisation_decide, authorisation_submit
from payers.models import MSPOccurrence, Payer
from recovery.cases import services
from recovery.access.documents import document_store
from recovery.cases.tracks import Track
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
K = Authorisation.Kind


def today():
    return timezone.localdate()


def ago(n):
    return today() - timedelta(days=n)


def pdf(name="document.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def stored_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def external_user(username, *, kind=ExternalProfile.Kind.REPRESENTATIVE, payer=None, organisation="Law & Co",
                  first="", last=""):
    user = User.objects.create_user(username, password="pw-test-123", first_name=first or username.title(),
                                    last_name=last or "Esq")
    ExternalProfile.objects.create(user=user, kind=kind, payer=payer, organisation=organisation)
    return user


def authorise(holder, kind, *, verifier, case=None, payer=None, ctr_end_date=None, decision="verified"):
    doc = document_store(uploaded=pdf(f"{kind}.pdf"), purpose="authorisation", actor=holder)
    auth = authorisation_submit(kind=kind, holder=holder, document=doc, actor=holder, case=case, payer=payer,
                                ctr_end_date=ctr_end_date)
    if decision != "pending":
        auth = authorisation_decide(authorisation=auth, verified=decision == "verified", actor=verifier,
                                    note="" if decision == "verified" else "Not signed")
    return auth


def act(case, action, on, actor, **params):
    services.case_act(case=case, action=action, actor=actor, on=on, reason=params.pop("reason", f"Test: {action}"),
                      **params)
    case.refresh_from_db()
    return case


def cpl_case(worker, bene=None, *, cpl_days_ago=5, payer=None):
    occurrence = factories.occurrence(bene or factories.beneficiary(), **({"payer": payer} if payer else {}))
    case = factories.case(actor=worker, occurrence=occurrence, opened_on=ago(cpl_days_ago + 15), caseworker=worker)
    factories.claim(case, amount_paid=Decimal("1200.00"))
    factories.claim(case, amount_paid=Decimal("800.00"))
    act(case, "post_occurrence", ago(cpl_days_ago + 14), worker)
    act(case, "issue_rar", ago(cpl_days_ago + 13), worker)
    return act(case, "issue_cpl", ago(cpl_days_ago), worker)


def demand_case(worker, bene):
    case = cpl_case(worker, bene, cpl_days_ago=40)
    factories.settlement(case, settlement_date=ago(31), gross_amount=Decimal("30000.00"),
                         attorney_fees=Decimal("10000.00"), received_on=ago(31))
    act(case, "report_settlement", ago(30), worker)
    return act(case, "issue_demand", ago(28), worker)


def cpn_case(worker, bene):
    case = factories.case(actor=worker, occurrence=factories.occurrence(bene), opened_on=ago(20), caseworker=worker)
    factories.claim(case, amount_paid=Decimal("1500.00"))
    factories.settlement(case, settlement_date=ago(25), received_on=ago(19))
    return act(case, "issue_cpn", ago(5), worker)


def plan_case(worker, payer, *, demand=False):
    occurrence = factories.occurrence(payer=payer, orm=True)
    case = factories.case(Track.PLAN, actor=worker, occurrence=occurrence, opened_on=ago(40), caseworker=worker)
    factories.claim(case, amount_paid=Decimal("1500.00"))
    if not demand:
        return act(case, "issue_cpn", ago(5), worker)
    act(case, "issue_cpn", ago(35), worker)
    act(case, "record_response", ago(20), worker)
    return act(case, "issue_demand", ago(10), worker)


def ghp_case(worker, payer):
    occurrence = factories.occurrence(coverage_type=MSPOccurrence.CoverageType.GHP, incident_date=None,
                                      injury_kind="", coverage_start=ago(400), payer=payer)
    case = factories.case(Track.GHP, actor=worker, occurrence=occurrence, opened_on=ago(80), caseworker=worker)
    factories.claim(case, amount_paid=Decimal("640.00"), service_from=ago(100), service_to=ago(99))
    act(case, "issue_payment_notice", ago(70), worker)
    act(case, "record_response", ago(60), worker)
    return act(case, "issue_demand", ago(10), worker)


@pytest.fixture
def world(db):
    w = SimpleNamespace()
    w.caseworker = factories.caseworker("cw")
    w.bene_a = factories.beneficiary(first_name="Ada", last_name="Lovelace")
    w.bene_b = factories.beneficiary(first_name="Bob", last_name="Other")
    w.insurer_payer = factories.payer(name="Prudent Casualty")
    w.ghp_payer = factories.payer(name="Granite Employer Plan", kind=Payer.Kind.EMPLOYER_GHP)
    w.main = cpl_case(w.caseworker, w.bene_a, payer=w.insurer_payer)
    w.debt = demand_case(w.caseworker, w.bene_a)
    w.cpn = cpn_case(w.caseworker, w.bene_a)
    w.other = cpl_case(w.caseworker, w.bene_b)
    w.plan = plan_case(w.caseworker, w.insurer_payer)
    w.plan_debt = plan_case(w.caseworker, w.insurer_payer, demand=True)
    w.ghp = ghp_case(w.caseworker, w.ghp_payer)

    w.por = external_user("por", first="Jane", last="Roe", organisation="Roe & Partners LLP")
    w.ctr = external_user("ctr")
    w.ctr_expired = external_user("ctr_expired")
    w.pending = external_user("pending")
    w.rejected = external_user("rejected")
    w.other_attorney = external_user("other")
    w.insurer = external_user("insurer", kind=ExternalProfile.Kind.INSURER_CONTACT, payer=w.insurer_payer,
                              organisation="Prudent Casualty")
    w.ghp_contact = external_user("ghp_contact", kind=ExternalProfile.Kind.INSURER_CONTACT, payer=w.ghp_payer,
                                  organisation="Granite")
    for case in (w.main, w.debt, w.cpn):
        authorise(w.por, K.POR, verifier=w.caseworker, case=case)
    for case in (w.main, w.debt):
        authorise(w.ctr, K.CTR, verifier=w.caseworker, case=case, ctr_end_date=today() + timedelta(days=30))
    authorise(w.ctr_expired, K.CTR, verifier=w.caseworker, case=w.main, ctr_end_date=ago(1))
    authorise(w.pending, K.POR, verifier=w.caseworker, case=w.main, decision="pending")
    authorise(w.rejected, K.POR, verifier=w.caseworker, case=w.main, decision="rejected")
    authorise(w.other_attorney, K.POR, verifier=w.caseworker, case=w.other)
    authorise(w.insurer, K.LOA, verifier=w.caseworker, payer=w.insurer_payer)
    authorise(w.ghp_contact, K.LOA, verifier=w.caseworker, payer=w.ghp_payer)

    w.users = {"staff": w.caseworker, "por": w.por, "ctr": w.ctr, "ctr_expired": w.ctr_expired,
               "pending": w.pending, "rejected": w.rejected, "other": w.other_attorney, "insurer": w.insurer,
               "ghp_contact": w.ghp_contact}
    w.cases = {"main": w.main, "debt": w.debt, "cpn": w.cpn, "other": w.other, "plan": w.plan,
               "plan_debt": w.plan_debt, "ghp": w.ghp}
    return w


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user, backend="config.auth_backends.OneQueryModelBackend")
    return client


@pytest.fixture
def as_user(world):
    return lambda name: client_for(world.users[name])
