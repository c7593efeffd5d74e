"""Who gets what (SPEC §8), endpoint by endpoint, for every persona (see conftest.py).

Conventions checked here: 401 without credentials; 404 for a case the user may not see (as if it did
not exist); 403 for a part of a visible case that is not for the user's role.
"""

import pytest
from django.utils import timezone

from recovery.audit_models import AuditEvent
from recovery.models import Claim, Letter, RecoveryCase, Settlement
from recovery.cases.tracks import State
from tests import factories

from .conftest import PERSONAS, client_for, pdf_file

pytestmark = pytest.mark.django_db

ALL = {"main", "debt", "other", "plan"}
# Which cases each persona sees (SPEC §8): staff all; a POR or unexpired CTR its cases; an expired CTR
# nothing; the attorney for beneficiary B only B's case; the insurer the case it is the debtor on.
SEES = {"caseworker": ALL, "supervisor": ALL, "por": {"main", "debt"}, "ctr": {"main", "debt"},
        "ctr_expired": set(), "other": {"other"}, "insurer": {"plan"}}
ROLE = {"caseworker": "staff", "supervisor": "staff", "por": "por", "ctr": "ctr", "other": "por", "insurer": "debtor"}


def expected_read(persona, case_name, *, allowed_roles):
    if persona == "anonymous":
        return 401
    if case_name not in SEES[persona]:
        return 404
    return 200 if ROLE[persona] in allowed_roles else 403


def statuses(client, world, path):
    return {name: client.get(path.format(id=case.pk)).status_code for name, case in world.cases.items()}


# --- GET /api/cases/ --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_case_list_shows_each_persona_exactly_its_cases(world, as_persona, persona):
    response = as_persona(persona).get("/api/cases/")
    if persona == "anonymous":
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        return
    assert response.status_code == 200
    shown = {row["id"] for row in response.json()["results"]}
    assert shown == {world.cases[name].pk for name in SEES[persona]}
    assert response.json()["count"] == len(SEES[persona])


def test_a_pending_or_rejected_authorisation_shows_nothing(world):
    from beneficiaries.models import Authorisation

    from .conftest import authorise, external_user

    pending = external_user("pending")
    authorise(pending, Authorisation.Kind.POR, verifier=world.caseworker, case=world.main, verified=False)
    assert client_for(pending).get("/api/cases/").json()["results"] == []
    assert client_for(pending).get(f"/api/cases/{world.main.pk}/").status_code == 404


def test_an_inactive_user_is_refused_even_with_a_token(world):
    client = client_for(world.por)
    world.por.is_active = False
    world.por.save()
    assert client.get("/api/cases/").status_code == 401


# --- GET /api/cases/{id}/ ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_case_detail_is_for_the_cases_the_persona_sees_with_its_role(world, as_persona, persona):
    client = as_persona(persona)
    got = statuses(client, world, "/api/cases/{id}/")
    assert got == {name: expected_read(persona, name, allowed_roles=set(ROLE.values())) for name in ALL}
    for name, code in got.items():
        if code == 200:
            body = client.get(f"/api/cases/{world.cases[name].pk}/").json()
            assert body["role"] == ROLE[persona]
            assert body["may_act"] is (persona != "ctr")


def test_an_unknown_case_id_is_404_and_audited_as_denied(world):
    response = client_for(world.caseworker).get("/api/cases/999999/")
    assert response.status_code == 404
    event = AuditEvent.objects.get(action="view", object_id="999999")
    assert event.outcome == "denied" and event.channel == "api"


def test_the_detail_shows_name_dashed_mbi_dates_amounts_actions_and_role(world):
    body = client_for(world.caseworker).get(f"/api/cases/{world.debt.pk}/").json()
    assert body["beneficiary_name"] == "Ada Lovelace"
    assert body["mbi"] == world.bene_a.mbi_display and body["mbi"].count("-") == 2
    assert body["track"] == "beneficiary" and body["state"] == "demand_issued"
    assert body["demand_date"] == world.debt.demand_date.isoformat()
    assert body["demand_amount"] == "1333.33"
    assert body["balance"] == {"principal": "1333.33", "interest": "0.00", "total": "1333.33", "refund_owed": "0.00"}
    assert {a["action"] for a in body["available_actions"]} == {"file_appeal", "file_waiver"}
    assert body["role"] == "staff"


def test_the_actions_shown_are_the_ones_the_persona_may_take_now(world):
    por = client_for(world.por).get(f"/api/cases/{world.main.pk}/").json()
    ctr = client_for(world.ctr).get(f"/api/cases/{world.main.pk}/").json()
    staff = client_for(world.caseworker).get(f"/api/cases/{world.main.pk}/").json()
    boss = client_for(world.supervisor).get(f"/api/cases/{world.main.pk}/").json()
    assert [a["action"] for a in por["available_actions"]] == ["open_dispute"]
    assert ctr["available_actions"] == []
    assert {a["action"] for a in staff["available_actions"]} == {"open_dispute", "close_no_recovery"}
    assert {a["action"] for a in boss["available_actions"]} == {"open_dispute", "close_no_recovery", "put_on_hold"}


# --- parts of a case ------------------------------------------------------------------------------


DETAIL_ROLES = {"staff", "por", "ctr", "debtor"}


@pytest.mark.parametrize("part", ["claims", "letters", "ledger"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_claims_letters_and_ledger_are_for_staff_por_ctr_and_the_debtor(world, as_persona, persona, part):
    got = statuses(as_persona(persona), world, "/api/cases/{id}/" + part + "/")
    assert got == {name: expected_read(persona, name, allowed_roles=DETAIL_ROLES) for name in ALL}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_history_is_for_staff_only(world, as_persona, persona):
    got = statuses(as_persona(persona), world, "/api/cases/{id}/history/")
    assert got == {name: expected_read(persona, name, allowed_roles={"staff"}) for name in ALL}


def test_a_refused_part_is_audited_as_denied(world):
    assert client_for(world.ctr).get(f"/api/cases/{world.main.pk}/history/").status_code == 403
    event = AuditEvent.objects.get(action="view", detail="history")
    assert (event.outcome, event.object_id, event.username) == ("denied", str(world.main.pk), "ctr")


def test_the_parts_list_what_the_case_holds(world):
    client = client_for(world.ctr)
    claims = client.get(f"/api/cases/{world.main.pk}/claims/").json()["results"]
    assert sorted(c["amount_paid"] for c in claims) == ["1200.00", "800.00"]
    assert {c["status"] for c in claims} == {"related"}
    letters = client.get(f"/api/cases/{world.main.pk}/letters/").json()["results"]
    assert [x["kind"] for x in letters] == ["rar", "cpl"]
    assert letters[0]["pdf_url"].endswith(f"/api/letters/{letters[0]['id']}/pdf/")
    assert letters[0]["recipients"] == [{"role": "beneficiary", "name": "Ada Lovelace"}]
    ledger = client.get(f"/api/cases/{world.debt.pk}/ledger/").json()["results"]
    assert [(r["kind"], r["amount"], r["principal"]) for r in ledger] == [("principal", "1333.33", "1333.33")]
    assert client.get(f"/api/cases/{world.main.pk}/ledger/").json()["results"] == []
    history = client_for(world.caseworker).get(f"/api/cases/{world.main.pk}/history/").json()["results"]
    assert [h["action"] for h in history] == ["open", "post_occurrence", "issue_rar", "issue_cpl"]


def test_an_insurer_that_only_reported_the_case_sees_it_as_the_portal_shows_it_but_never_acts(world):
    """The insurer's occurrence on a beneficiary-track case: role 'reporter' (SPEC §8: sees, never acts)."""
    from .conftest import cpl_case

    occurrence = factories.occurrence(payer=world.insurer_payer)
    reported = cpl_case(world.caseworker, occurrence.beneficiary)
    reported.occurrence = occurrence
    reported.save()
    client = client_for(world.insurer)
    assert {r["id"] for r in client.get("/api/cases/").json()["results"]} == {world.plan.pk, reported.pk}
    body = client.get(f"/api/cases/{reported.pk}/").json()
    assert (body["role"], body["may_act"], body["available_actions"]) == ("reporter", False, [])
    assert {part: client.get(f"/api/cases/{reported.pk}/{part}/").status_code
            for part in ("claims", "letters", "ledger", "history")} == {
        "claims": 200, "letters": 200, "ledger": 200, "history": 403}
    claim = reported.claims.first()
    response = client.post(f"/api/cases/{reported.pk}/disputes/", {"claims": [claim.pk], "grounds": "x"},
                           format="json")
    assert response.status_code == 403


# --- letters' PDFs --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_letter_pdf_is_for_whoever_sees_the_case_letters(world, as_persona, persona):
    client = as_persona(persona)
    got = {}
    for name, case in world.cases.items():
        letter = Letter.objects.filter(case=case).first()
        got[name] = client.get(f"/api/letters/{letter.pk}/pdf/").status_code
    expected = {name: expected_read(persona, name, allowed_roles=DETAIL_ROLES) for name in ALL}
    assert got == expected


def test_a_letter_pdf_is_an_audited_attachment(world):
    letter = Letter.objects.filter(case=world.main, kind="cpl").get()
    response = client_for(world.por).get(f"/api/letters/{letter.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{world.main.number}-cpl-{letter.letter_date}.pdf"'
    assert response.content.startswith(b"%PDF")
    event = AuditEvent.objects.get(action="download", object_type="recovery.Letter")
    assert (event.object_id, event.username, event.outcome, event.channel) == (str(letter.pk), "por", "ok", "api")


def test_a_letter_pdf_can_be_asked_for_by_its_media_type(world):
    letter = Letter.objects.filter(case=world.main).first()
    response = client_for(world.caseworker).get(f"/api/letters/{letter.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


# --- writes: who may ------------------------------------------------------------------------------


def write_expected(persona, case_name, allowed_personas):
    if persona == "anonymous":
        return 401
    if case_name not in SEES[persona]:
        return 404
    return "ok" if persona in allowed_personas else 403


def outcome(response):
    return "ok" if response.status_code in (200, 201) else response.status_code


@pytest.mark.parametrize("persona", PERSONAS)
def test_open_dispute_through_the_steps_endpoint(world, as_persona, persona):
    """SPEC §8: a POR acts, a CTR only sees; staff who may work cases act."""
    claim = world.main.claims.first()
    response = as_persona(persona).post(
        f"/api/cases/{world.main.pk}/actions/open_dispute/",
        {"expected_state": "cpl_issued", "claims": [claim.pk], "grounds": "Not related to the accident"},
        format="json")
    assert outcome(response) == write_expected(persona, "main", {"caseworker", "supervisor", "por"})
    world.main.refresh_from_db()
    assert (world.main.state == State.DISPUTE_PENDING) is (outcome(response) == "ok")


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_staff_step_is_refused_to_people_outside(world, as_persona, persona):
    response = as_persona(persona).post(f"/api/cases/{world.main.pk}/actions/close_no_recovery/",
                                        {"expected_state": "cpl_issued", "reason": "Withdrawn"}, format="json")
    assert outcome(response) == write_expected(persona, "main", {"caseworker", "supervisor"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_a_supervisor_puts_a_case_on_hold(world, as_persona, persona):
    response = as_persona(persona).post(f"/api/cases/{world.main.pk}/actions/put_on_hold/",
                                        {"expected_state": "cpl_issued", "reason": "Litigation"}, format="json")
    assert outcome(response) == write_expected(persona, "main", {"supervisor"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_insurer_as_debtor_disputes_its_plan_case(world, as_persona, persona):
    claim = world.plan.claims.first()
    response = as_persona(persona).post(f"/api/cases/{world.plan.pk}/disputes/",
                                        {"claims": [claim.pk], "grounds": "Paid by us already"}, format="json")
    assert outcome(response) == write_expected(persona, "plan", {"caseworker", "supervisor", "insurer"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_disputes_on_a_beneficiary_case(world, as_persona, persona):
    claim = world.main.claims.first()
    response = as_persona(persona).post(f"/api/cases/{world.main.pk}/disputes/",
                                        {"claims": [claim.pk], "grounds": "Unrelated"}, format="json")
    assert outcome(response) == write_expected(persona, "main", {"caseworker", "supervisor", "por"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_settlement_details_are_for_the_por_and_staff(world, as_persona, persona):
    response = as_persona(persona).post(f"/api/cases/{world.main.pk}/settlement/", {
        "settlement_date": (timezone.localdate()).isoformat(), "gross_amount": "30000.00",
        "attorney_fees": "9000.00", "other_costs": "1000.00"}, format="json")
    assert outcome(response) == write_expected(persona, "main", {"caseworker", "supervisor", "por"})
    assert Settlement.objects.filter(case=world.main).exists() is (outcome(response) == "ok")


@pytest.mark.parametrize("persona", PERSONAS)
def test_elections_are_for_the_por_and_staff(world, as_persona, persona):
    factories.settlement(world.main, settlement_date=timezone.localdate(), gross_amount="8000.00",
                         attorney_fees="0.00")
    response = as_persona(persona).post(f"/api/cases/{world.main.pk}/elections/", {"kind": "fixed_percentage"},
                                        format="json")
    assert outcome(response) == write_expected(persona, "main", {"caseworker", "supervisor", "por"})
    if outcome(response) == "ok":
        assert response.json()["status"] == "accepted"


@pytest.mark.parametrize("persona", PERSONAS)
def test_payments_are_for_staff(world, as_persona, persona):
    response = as_persona(persona).post(f"/api/cases/{world.debt.pk}/payments/",
                                        {"amount": "100.00", "received_on": timezone.localdate().isoformat()},
                                        format="json")
    assert outcome(response) == write_expected(persona, "debt", {"caseworker", "supervisor"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_document_for_a_case_is_for_those_who_act_on_it(world, as_persona, persona):
    response = as_persona(persona).post("/api/documents/", {"file": pdf_file("evidence.pdf"), "purpose": "dispute",
                                                            "case": world.main.pk}, format="multipart")
    expected = write_expected(persona, "main", {"caseworker", "supervisor", "por"})
    if expected == 404:
        assert response.status_code == 400 and response.json() == {"case": ["No such case."]}
    else:
        assert outcome(response) == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_document_on_its_own_is_for_any_signed_in_user(world, as_persona, persona):
    response = as_persona(persona).post("/api/documents/", {"file": pdf_file("por.pdf"), "purpose": "authorisation"},
                                        format="multipart")
    assert outcome(response) == (401 if persona == "anonymous" else "ok")


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_document_download_follows_the_portal_rules(world, as_persona, persona):
    """The POR uploads to `main`: staff, the uploader and whoever sees `main` may read it."""
    uploaded = client_for(world.por).post("/api/documents/", {"file": pdf_file("evidence.pdf"), "purpose": "dispute",
                                                              "case": world.main.pk}, format="multipart").json()
    response = as_persona(persona).get(f"/api/documents/{uploaded['key']}/")
    expected = 401 if persona == "anonymous" else 200 if "main" in SEES[persona] else 404
    assert response.status_code == expected
    if expected == 200:
        assert response.content.startswith(b"%PDF")
        assert response["Content-Disposition"] == 'attachment; filename="evidence.pdf"'


def test_a_document_without_a_case_is_read_by_its_uploader_and_staff_only(world):
    key = client_for(world.ctr).post("/api/documents/", {"file": pdf_file("ctr.pdf"), "purpose": "authorisation"},
                                     format="multipart").json()["key"]
    assert client_for(world.ctr).get(f"/api/documents/{key}/").status_code == 200
    assert client_for(world.caseworker).get(f"/api/documents/{key}/").status_code == 200
    assert client_for(world.por).get(f"/api/documents/{key}/").status_code == 404
    denied = AuditEvent.objects.get(action="download", outcome="denied")
    assert denied.username == "por"


def test_no_write_by_a_refused_persona_changed_anything(world):
    """A refused write leaves the case as it was (row, claims, history)."""
    before = (RecoveryCase.objects.filter(pk=world.main.pk).values().get(),
              list(Claim.objects.filter(case=world.main).values_list("pk", "status")),
              world.main.events.count())
    claim = world.main.claims.first()
    for persona in ("ctr", "ctr_expired", "other", "insurer"):
        client = client_for(world.users[persona])
        client.post(f"/api/cases/{world.main.pk}/actions/open_dispute/",
                    {"expected_state": "cpl_issued", "claims": [claim.pk], "grounds": "x"}, format="json")
        client.post(f"/api/cases/{world.main.pk}/settlement/",
                    {"settlement_date": "2024-01-01", "gross_amount": "1.00"}, format="json")
    after = (RecoveryCase.objects.filter(pk=world.main.pk).values().get(),
             list(Claim.objects.filter(case=world.main).values_list("pk", "status")),
             world.main.events.count())
    assert after == before


# --- POST /api/coordination/who-pays-first/ (SPEC §7) -------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_pays_first_is_for_staff_only(world, as_persona, persona):
    response = as_persona(persona).post("/api/coordination/who-pays-first/", {
        "on": "2026-06-15", "mbi": world.bene_a.mbi_display, "ghp": "current_employment", "employer_size": 20},
        format="json")
    expected = {"anonymous": 401, "caseworker": 200, "supervisor": 200}.get(persona, 403)
    assert response.status_code == expected
    read = AuditEvent.objects.filter(action="view", object_type="beneficiaries.Beneficiary",
                                     object_id=str(world.bene_a.pk), detail="who_pays_first")
    assert read.exists() is (expected == 200)  # a refused persona reads nothing
    if expected == 200:
        assert (response.json()["primary"], response.json()["rule_id"]) == ("ghp", "T1.2")


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_wcmsa_check_is_for_staff_only(world, as_persona, persona):
    response = as_persona(persona).post("/api/coordination/wcmsa-review/",
                                        {"total_settlement": "25000.01", "medicare_beneficiary": True}, format="json")
    assert response.status_code == {"anonymous": 401, "caseworker": 200, "supervisor": 200}.get(persona, 403)


# --- staff-only create / correct (issue 13 item 2, recovery/api/records.py) -------------------------------

STAFF_WRITES = {"caseworker", "supervisor"}


def _record_writes(world):
    claim = world.main.claims.first()
    occ = world.main.occurrence
    return [
        ("post", "/api/beneficiaries/", {"mbi": "1EG4-TE5-MK73", "first_name": "Cy", "last_name": "New",
                                          "date_of_birth": "1950-01-01", "address_line1": "1 Main St", "city": "Troy",
                                          "state": "NY", "zip_code": "12180", "entitlement_basis": "age",
                                          "entitlement_start": "2015-01-01"}, 201),
        ("patch", f"/api/beneficiaries/{world.bene_b.pk}/", {"city": "Utica"}, 200),
        ("post", "/api/payers/", {"name": "New Mutual", "kind": "liability"}, 201),
        ("patch", f"/api/payers/{occ.payer_id}/", {"phone": "555-0100"}, 200),
        ("post", "/api/occurrences/", {"beneficiary": world.bene_b.pk, "payer": occ.payer_id,
                                        "coverage_type": "liability", "incident_date": "2024-01-01",
                                        "injury_kind": "trauma"}, 201),
        ("patch", f"/api/occurrences/{occ.pk}/", {"orm": True}, 200),
        ("post", "/api/cases/", {"beneficiary": world.bene_a.pk, "track": "beneficiary", "occurrence": occ.pk}, 201),
        ("patch", f"/api/cases/{world.main.pk}/", {"caseworker": world.caseworker.pk}, 200),
        ("post", f"/api/cases/{world.main.pk}/claims/", {
            "claim_number": "API-1", "provider_name": "Troy Clinic", "service_from": str(occ.incident_date),
            "service_to": str(occ.incident_date), "diagnosis_codes": "S82.101A", "amount_paid": "10.00"}, 201),
        ("patch", f"/api/claims/{claim.pk}/", {"provider_name": "Albany Med"}, 200),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_creating_and_correcting_records_is_for_staff_only(world, as_persona, persona):
    expected_for_visible_case = {"por": 403, "ctr": 403}
    for index, (method, path, body, ok) in enumerate(_record_writes(world)):
        response = getattr(as_persona(persona), method)(path, body, format="json")
        if persona == "anonymous":
            expected = 401
        elif persona in STAFF_WRITES:
            expected = ok
        elif "/api/cases/" in path and path != "/api/cases/" and "main" not in SEES[persona]:
            expected = 404  # a case the persona does not see does not exist for it
        elif "/api/claims/" in path:
            expected = 403
        else:
            expected = expected_for_visible_case.get(persona, 403)
        assert response.status_code == expected, (index, path, response.content[:300])


def test_record_writes_are_audited_and_refusals_name_the_field(world):
    client = client_for(world.caseworker)
    bad = client.post("/api/beneficiaries/", {"mbi": "1EG4-TE5-MK7S", "first_name": "x"}, format="json")
    assert bad.status_code == 400 and "Position 11" in bad.json()["mbi"][0]
    occ = world.main.occurrence
    late = client.post(f"/api/cases/{world.main.pk}/claims/", {
        "claim_number": "API-2", "provider_name": "Troy Clinic", "service_from": "2000-01-01",
        "service_to": "2000-01-02", "diagnosis_codes": "S82.101A", "amount_paid": "10.00"}, format="json")
    assert late.status_code == 400 and "recovery period" in late.json()["service_from"][0]
    sub_cent = client.patch(f"/api/claims/{world.main.claims.first().pk}/", {"amount_paid": "1.005"}, format="json")
    assert sub_cent.status_code == 400 and "amount_paid" in sub_cent.json()
    past_demand = client.post(f"/api/cases/{world.debt.pk}/claims/", {
        "claim_number": "API-3", "provider_name": "Troy Clinic", "service_from": str(occ.incident_date),
        "service_to": str(occ.incident_date), "diagnosis_codes": "S82.101A", "amount_paid": "10.00"}, format="json")
    assert past_demand.status_code == 400 and "past its demand" in str(past_demand.json())
    created = client.post("/api/payers/", {"name": "Audit Mutual", "kind": "no_fault"}, format="json")
    assert created.status_code == 201
    event = AuditEvent.objects.filter(action="create", object_type="payers.Payer", outcome="ok").get()
    assert event.object_id == str(created.json()["id"]) and event.channel == "api"


def test_a_representative_submits_and_a_caseworker_verifies_or_rejects(world):
    from beneficiaries.models import Authorisation

    from .conftest import external_user

    rep = external_user("newrep")
    client = client_for(rep)
    key = client.post("/api/documents/", {"file": pdf_file("por.pdf"), "purpose": "authorisation"},
                      format="multipart").json()["key"]
    wrong = client.post("/api/authorisations/", {"kind": "por", "document": key, "case_number": world.main.number,
                                                 "mbi": world.bene_b.mbi}, format="json")
    assert wrong.status_code == 400 and "case_number" in wrong.json()
    made = client.post("/api/authorisations/", {"kind": "por", "document": key, "case_number": world.main.number,
                                                "mbi": world.bene_a.mbi_display}, format="json")
    assert made.status_code == 201 and made.json()["status"] == "pending"
    assert client.get(f"/api/cases/{world.main.pk}/").status_code == 404  # nothing before verification
    pk = made.json()["id"]
    assert client.post(f"/api/authorisations/{pk}/decision/", {"verified": True}, format="json").status_code == 403
    assert client_for(world.caseworker).post(f"/api/authorisations/{pk}/decision/", {"verified": False},
                                             format="json").status_code == 400  # a rejection says why
    ok = client_for(world.caseworker).post(f"/api/authorisations/{pk}/decision/", {"verified": True}, format="json")
    assert ok.status_code == 200 and Authorisation.objects.get(pk=pk).status == "verified"
    assert client.get(f"/api/cases/{world.main.pk}/").status_code == 200
    assert client_for(world.caseworker).post("/api/authorisations/", {"kind": "por", "document": key},
                                             format="json").status_code == 403  # staff do not submit here
