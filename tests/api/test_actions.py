"""Steps and other writes through the API (SPEC §3.4, §9): they go through the services and change the
case; refused ones answer 400 (naming the field), 403 or 409, and change nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from recovery.audit_models import AuditEvent
from recovery.models import CaseEvent, DebtEvent, Dispute, LedgerEntry, Letter, OptionElection, RecoveryCase, Settlement
from recovery.models import UploadedDocument
from recovery.cases.tracks import State
from tests import factories

from .conftest import PDF, client_for, pdf_file

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def snapshot(case):
    """Everything a refused write must leave as it was."""
    return (
        RecoveryCase.objects.filter(pk=case.pk).values().get(),
        sorted(case.claims.values_list("pk", "status")),
        CaseEvent.objects.filter(case=case).count(),
        Letter.objects.filter(case=case).count(),
        Dispute.objects.filter(case=case).count(),
        Settlement.objects.filter(case=case).count(),
        OptionElection.objects.filter(case=case).count(),
        LedgerEntry.objects.filter(case=case).count(),
        DebtEvent.objects.filter(debt__case=case).count(),
        UploadedDocument.objects.filter(case=case).count(),
    )


def post(user, path, data, fmt="json"):
    return client_for(user).post(path, data, format=fmt)


def step(world, user, case, action, **body):
    body.setdefault("expected_state", RecoveryCase.objects.get(pk=case.pk).state)
    return post(user, f"/api/cases/{case.pk}/actions/{action}/", body)


# --- steps change the case through the services --------------------------------------------------


def test_a_por_opens_a_dispute_and_the_case_moves_with_history_and_audit(world):
    claim = world.main.claims.order_by("pk").first()
    response = step(world, world.por, world.main, "open_dispute", claims=[claim.pk], grounds="Unrelated fracture")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "dispute_pending"
    assert body["available_actions"] == []  # deciding is the contractor's
    world.main.refresh_from_db()
    assert world.main.state == State.DISPUTE_PENDING
    dispute = world.main.disputes.get()
    assert (dispute.filed_by, dispute.grounds, dispute.received_date) == (
        "Por Esq (Law & Co)", "Unrelated fracture", today())
    claim.refresh_from_db()
    assert claim.status == "disputed"
    event = world.main.events.order_by("-id").first()
    assert (event.action, event.actor, event.from_state, event.to_state) == (
        "open_dispute", world.por, "cpl_issued", "dispute_pending")
    audit = AuditEvent.objects.get(action="act")
    assert (audit.object_id, audit.detail, audit.outcome, audit.username, audit.channel) == (
        str(world.main.pk), "open_dispute", "ok", "por", "api")


def test_a_caseworker_decides_the_dispute_and_the_case_returns_with_an_updated_cpl(world):
    claims = list(world.main.claims.order_by("pk"))
    assert step(world, world.por, world.main, "open_dispute", claims=[claims[0].pk], grounds="x").status_code == 200
    response = step(world, world.caseworker, world.main, "decide_dispute", outcome="granted",
                    removed_claims=[claims[0].pk], reason="Records show the visit was unrelated")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "cpl_issued"
    claims[0].refresh_from_db()
    assert claims[0].status == "unrelated"
    assert list(world.main.letters.order_by("id").values_list("kind", flat=True))[-2:] == ["dispute_decision", "cpl"]


def test_a_supervisor_puts_on_hold_and_resumes(world):
    response = step(world, world.supervisor, world.main, "put_on_hold", reason="Litigation pending")
    assert response.status_code == 200 and response.json()["state"] == "on_hold"
    assert response.json()["hold_reason"] == "Litigation pending"
    assert client_for(world.por).get(f"/api/cases/{world.main.pk}/").json()["hold_reason"] == ""  # staff only
    response = step(world, world.supervisor, world.main, "resume")
    assert response.status_code == 200 and response.json()["state"] == "cpl_issued"


def test_a_por_files_an_appeal_on_the_debt(world):
    response = step(world, world.por, world.debt, "file_appeal", reason="The fees were understated")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "appeal_pending"


def test_a_favourable_appeal_decision_with_a_reduced_debt(world):
    assert step(world, world.por, world.debt, "file_appeal", reason="Fees").status_code == 200
    response = step(world, world.caseworker, world.debt, "decide_appeal", favourable=True, reduced_to="1000.00",
                    reason="Fees were higher")
    assert response.status_code == 200, response.json()
    assert response.json()["balance"]["principal"] == "1000.00"


# --- refusals ------------------------------------------------------------------------------------


def test_a_stale_expected_state_is_409_and_changes_nothing(world):
    before = snapshot(world.main)
    claim = world.main.claims.first()
    response = step(world, world.por, world.main, "open_dispute", expected_state="rar_issued", claims=[claim.pk],
                    grounds="x")
    assert response.status_code == 409
    assert "reload" in response.json()["detail"]
    assert snapshot(world.main) == before
    assert AuditEvent.objects.get(action="act").outcome == "refused"


def test_a_step_the_state_does_not_allow_is_400_with_the_reason_and_changes_nothing(world):
    before = snapshot(world.main)
    response = step(world, world.caseworker, world.main, "issue_demand")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [
        "'Issue demand' is not possible while the case is 'Conditional payment letter issued' on the Beneficiary "
        "NGHP recovery (BCRC) track."]}
    assert snapshot(world.main) == before


def test_a_guard_refusal_is_400_with_its_message(world):
    response = step(world, world.caseworker, world.debt, "issue_itr")
    assert response.status_code == 400
    assert "intent to refer is sent on day 90" in response.json()["non_field_errors"][0]


@pytest.mark.parametrize("body, field", [
    ({"on": "2999-01-01"}, "on"),
    ({"on": "not-a-date"}, "on"),
    ({"expected_state": "nonsense"}, "expected_state"),
    ({"expected_state": None}, "expected_state"),
    ({"claims": []}, "claims"),
    ({"claims": [999999]}, "claims"),
    ({"claims": ["x"]}, "claims"),
    ({"grounds": "   "}, "grounds"),
    ({"outcome": "granted"}, "outcome"),
    ({"reduced_to": "1.00"}, "reduced_to"),
])
def test_bad_step_input_names_the_field_and_changes_nothing(world, body, field):
    claim = world.main.claims.first()
    data = {"expected_state": "cpl_issued", "claims": [claim.pk], "grounds": "Unrelated", **body}
    data = {k: v for k, v in data.items() if v is not None}
    before = snapshot(world.main)
    response = post(world.por, f"/api/cases/{world.main.pk}/actions/open_dispute/", data)
    assert response.status_code == 400, response.json()
    assert list(response.json()) == [field]
    assert snapshot(world.main) == before


def test_a_claim_of_another_case_cannot_be_disputed(world):
    foreign = world.other.claims.first()
    response = step(world, world.caseworker, world.main, "open_dispute", claims=[foreign.pk], grounds="x")
    assert response.status_code == 400 and list(response.json()) == ["claims"]


def test_an_unknown_step_is_404(world):
    response = post(world.caseworker, f"/api/cases/{world.main.pk}/actions/fly_to_the_moon/",
                    {"expected_state": "cpl_issued"})
    assert response.status_code == 404


def test_a_step_refused_for_the_role_is_403_and_audited_as_denied(world):
    before = snapshot(world.main)
    response = step(world, world.ctr, world.main, "open_dispute", claims=[world.main.claims.first().pk], grounds="x")
    assert response.status_code == 403
    assert snapshot(world.main) == before
    audit = AuditEvent.objects.get(action="act")
    assert (audit.outcome, audit.detail, audit.username) == ("denied", "open_dispute", "ctr")


def test_a_step_is_json_only(world):
    response = client_for(world.por).post(f"/api/cases/{world.main.pk}/actions/open_dispute/",
                                          "expected_state=cpl_issued", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


# --- disputes -------------------------------------------------------------------------------------


def test_a_dispute_with_evidence_documents_in_one_multipart_request(world):
    claims = list(world.main.claims.order_by("pk"))
    response = post(world.por, f"/api/cases/{world.main.pk}/disputes/", {
        "claims": [claims[0].pk, claims[1].pk], "grounds": "Neither relates to the accident",
        "documents": [pdf_file("records.pdf"), pdf_file("letter.pdf")], "expected_state": "cpl_issued",
    }, fmt="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert sorted(body["claims"]) == sorted(c.pk for c in claims)
    assert [d["original_name"] for d in body["documents"]] == ["records.pdf", "letter.pdf"]
    assert {d.purpose for d in UploadedDocument.objects.filter(case=world.main)} == {"dispute"}
    world.main.refresh_from_db()
    assert world.main.state == State.DISPUTE_PENDING
    download = client_for(world.ctr).get(body["documents"][0]["download_url"])
    assert download.status_code == 200 and download.content.startswith(b"%PDF")


def test_a_dispute_with_a_bad_document_is_refused_whole(world):
    before = snapshot(world.main)
    response = post(world.por, f"/api/cases/{world.main.pk}/disputes/", {
        "claims": [world.main.claims.first().pk], "grounds": "Unrelated",
        "documents": [pdf_file("records.pdf"), pdf_file("fake.pdf", b"MZ\x90\x00 not a pdf")],
    }, fmt="multipart")
    assert response.status_code == 400
    assert list(response.json()) == ["documents"]
    assert snapshot(world.main) == before


@pytest.mark.parametrize("body, field", [
    ({"claims": []}, "claims"),
    ({"grounds": ""}, "grounds"),
    ({"on": (timezone.localdate() + timedelta(days=1)).isoformat()}, "on"),
])
def test_bad_dispute_input_names_the_field(world, body, field):
    data = {"claims": [world.main.claims.first().pk], "grounds": "Unrelated", **body}
    before = snapshot(world.main)
    response = post(world.por, f"/api/cases/{world.main.pk}/disputes/", data)
    assert response.status_code == 400 and list(response.json()) == [field], response.json()
    assert snapshot(world.main) == before


def test_a_dispute_after_its_window_is_refused(world):
    """The debt case's CPL is 40 days old: the 30-day dispute window has closed (and it is past the demand)."""
    response = post(world.caseworker, f"/api/cases/{world.debt.pk}/disputes/",
                    {"claims": [world.debt.claims.first().pk], "grounds": "Late"})
    assert response.status_code == 400


# --- settlement details ------------------------------------------------------------------------------


GOOD_SETTLEMENT = {"settlement_date": "2024-05-01", "gross_amount": "30000.00", "attorney_fees": "9000.00",
                   "other_costs": "1000.00"}


def test_a_por_sends_settlement_details_and_may_correct_them_before_the_demand(world):
    response = post(world.por, f"/api/cases/{world.main.pk}/settlement/", GOOD_SETTLEMENT)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["gross_amount"], body["procurement_costs"], body["source"], body["received_on"]) == (
        "30000.00", "10000.00", "beneficiary", today().isoformat())
    response = post(world.por, f"/api/cases/{world.main.pk}/settlement/",
                    {**GOOD_SETTLEMENT, "gross_amount": "31000.00"})
    assert response.status_code == 200
    assert Settlement.objects.get(case=world.main).gross_amount == Decimal("31000.00")
    assert list(world.main.events.filter(action="submit_settlement").values_list("actor__username", flat=True)) == [
        "por", "por"]
    # The caseworker reports it: from then on the settlement date is the case's termination date.
    assert step(world, world.caseworker, world.main, "report_settlement").status_code == 200
    response = post(world.por, f"/api/cases/{world.main.pk}/settlement/", {**GOOD_SETTLEMENT, "other_costs": "0.00"})
    assert response.status_code == 200
    response = post(world.por, f"/api/cases/{world.main.pk}/settlement/", {**GOOD_SETTLEMENT,
                                                                          "settlement_date": "2024-05-02"})
    assert response.status_code == 400 and list(response.json()) == ["settlement_date"]


def test_settlement_documents_come_with_the_details_in_one_multipart_request(world):
    response = post(world.por, f"/api/cases/{world.main.pk}/settlement/",
                    {**GOOD_SETTLEMENT, "documents": [pdf_file("release.pdf")]}, fmt="multipart")
    assert response.status_code == 201, response.json()
    assert [d.original_name for d in UploadedDocument.objects.filter(case=world.main, purpose="settlement")] == [
        "release.pdf"]


@pytest.mark.parametrize("body, field", [
    ({"gross_amount": "-1.00"}, "gross_amount"),
    ({"gross_amount": "100.001"}, "gross_amount"),
    ({"gross_amount": 1.5e20}, "gross_amount"),
    ({"gross_amount": "1.5e20"}, "gross_amount"),
    ({"gross_amount": "1000000000000.00"}, "gross_amount"),  # 13 digits before the point
    ({"gross_amount": "abc"}, "gross_amount"),
    ({"attorney_fees": "29000.00", "other_costs": "2000.00"}, "attorney_fees"),  # costs above the settlement
    ({"settlement_date": "2022-12-31"}, "settlement_date"),  # before the incident (2023-01-10)
    ({"settlement_date": "2999-01-01"}, "settlement_date"),
    ({"settlement_date": None}, "settlement_date"),
    ({"documents": "not a file"}, "documents"),
])
def test_bad_settlement_details_name_the_field_and_save_nothing(world, body, field):
    data = {k: v for k, v in {**GOOD_SETTLEMENT, **body}.items() if v is not None}
    before = snapshot(world.main)
    response = post(world.por, f"/api/cases/{world.main.pk}/settlement/", data)
    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()
    assert snapshot(world.main) == before


def test_a_settlement_with_a_bad_document_saves_nothing(world):
    before = snapshot(world.main)
    response = post(world.por, f"/api/cases/{world.main.pk}/settlement/",
                    {**GOOD_SETTLEMENT, "documents": [pdf_file("release.pdf", b"not a pdf")]}, fmt="multipart")
    assert response.status_code == 400 and list(response.json()) == ["documents"]
    assert snapshot(world.main) == before


def test_settlement_details_sent_on_a_stale_view_are_409(world):
    response = post(world.por, f"/api/cases/{world.main.pk}/settlement/", {**GOOD_SETTLEMENT,
                                                                          "expected_state": "rar_issued"})
    assert response.status_code == 409
    assert not Settlement.objects.filter(case=world.main).exists()


def test_settlement_details_after_the_demand_are_refused(world):
    response = post(world.caseworker, f"/api/cases/{world.debt.pk}/settlement/", GOOD_SETTLEMENT)
    assert response.status_code == 400
    assert "demand has been issued" in response.json()["non_field_errors"][0]


def test_settlement_details_are_for_beneficiary_track_cases(world):
    response = post(world.caseworker, f"/api/cases/{world.plan.pk}/settlement/", GOOD_SETTLEMENT)
    assert response.status_code == 400
    assert "beneficiary track" in response.json()["non_field_errors"][0]


# --- elections ---------------------------------------------------------------------------------------


def test_a_refused_fixed_percentage_election_is_recorded_with_its_reasons(world):
    factories.settlement(world.main, settlement_date=today(), gross_amount=Decimal("30000.00"))
    response = post(world.por, f"/api/cases/{world.main.pk}/elections/", {"kind": "fixed_percentage"})
    assert response.status_code == 201
    assert response.json()["status"] == "refused"
    assert response.json()["reasons"]


def test_a_self_calculated_election(world):
    response = post(world.por, f"/api/cases/{world.main.pk}/elections/", {
        "kind": "self_calculated", "injury_date": (today() - timedelta(days=400)).isoformat(),
        "care_completed_date": (today() - timedelta(days=120)).isoformat(), "expected_settlement": "20000.00",
        "submitted_amount": "1500.00"})
    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["submitted_amount"]) == ("accepted", "1500.00")


@pytest.mark.parametrize("body, field", [
    ({"kind": "self_calculated"}, "injury_date"),
    ({"kind": "self_calculated", "injury_date": "2024-01-01", "expected_settlement": "-5",
      "submitted_amount": "1.00"}, "expected_settlement"),
    ({"kind": "fixed_percentage", "submitted_amount": "1.00"}, "submitted_amount"),
    ({"kind": "fixed_percentage", "elected_on": "2999-01-01"}, "elected_on"),
    ({"kind": "lottery"}, "kind"),
])
def test_bad_election_input_names_the_field(world, body, field):
    factories.settlement(world.main, settlement_date=today(), gross_amount=Decimal("8000.00"))
    before = snapshot(world.main)
    response = post(world.por, f"/api/cases/{world.main.pk}/elections/", body)
    assert response.status_code == 400 and field in response.json(), response.json()
    assert snapshot(world.main) == before


def test_an_election_without_settlement_details_is_refused(world):
    response = post(world.por, f"/api/cases/{world.main.pk}/elections/", {"kind": "fixed_percentage"})
    assert response.status_code == 400
    assert "settlement details first" in response.json()["non_field_errors"][0]


# --- payments ----------------------------------------------------------------------------------------


def test_a_payment_is_applied_and_the_balance_comes_back_as_strings(world):
    response = post(world.caseworker, f"/api/cases/{world.debt.pk}/payments/",
                    {"amount": "333.33", "received_on": today().isoformat()})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "333.33" and body["received_on"] == today().isoformat()
    assert body["balance"]["principal"] == "1000.00"
    assert body["case_state"] == "demand_issued"
    assert AuditEvent.objects.get(action="act").detail == "record_payment"


def test_a_payment_of_the_whole_balance_closes_the_case(world):
    response = post(world.caseworker, f"/api/cases/{world.debt.pk}/payments/",
                    {"amount": "1333.33", "received_on": today().isoformat()})
    assert response.status_code == 201
    assert response.json()["case_state"] == "closed_paid"
    assert response.json()["balance"]["total"] == "0.00"


@pytest.mark.parametrize("body, field", [
    ({"amount": "-5.00"}, "amount"),
    ({"amount": "5.001"}, "amount"),
    ({"amount": "0.00"}, "amount"),
    ({"amount": "NaN"}, "amount"),
    ({"amount": None}, "amount"),
    ({"received_on": "2999-01-01"}, "received_on"),
    ({"received_on": "2000-01-01"}, "received_on"),  # before the demand
    ({"received_on": None}, "received_on"),
])
def test_bad_payment_input_names_the_field_and_changes_nothing(world, body, field):
    data = {k: v for k, v in {"amount": "100.00", "received_on": today().isoformat(), **body}.items() if v is not None}
    before = snapshot(world.debt)
    response = post(world.caseworker, f"/api/cases/{world.debt.pk}/payments/", data)
    assert response.status_code == 400 and list(response.json()) == [field], response.json()
    assert snapshot(world.debt) == before


def test_a_payment_before_any_demand_is_refused(world):
    response = post(world.caseworker, f"/api/cases/{world.main.pk}/payments/",
                    {"amount": "10.00", "received_on": today().isoformat()})
    assert response.status_code == 400 and list(response.json()) == ["amount"]


# --- documents -------------------------------------------------------------------------------------


@pytest.mark.parametrize("upload, message", [
    (lambda: pdf_file("fake.pdf", b"GIF89a not a pdf at all"), "Only PDF, PNG, JPEG or TIFF"),
    (lambda: pdf_file("image.png"), "not what it claims to be"),
    (lambda: pdf_file("cut.pdf", b"%PDF-1.4\n truncated"), "incomplete or damaged"),
    (lambda: pdf_file("empty.pdf", b""), "empty"),
])
def test_a_bad_upload_names_the_file_field_and_stores_nothing(world, upload, message):
    response = post(world.por, "/api/documents/", {"file": upload(), "purpose": "settlement",
                                                   "case": world.main.pk}, fmt="multipart")
    assert response.status_code == 400
    assert list(response.json()) == ["file"] and message in response.json()["file"][0]
    assert not UploadedDocument.objects.filter(case=world.main).exists()


def test_an_upload_larger_than_the_limit_is_refused(world, settings):
    settings.MAX_UPLOAD_BYTES = 100
    response = post(world.por, "/api/documents/", {"file": pdf_file("big.pdf", b"%PDF-1.4\n" + b"x" * 200 + b"%%EOF"),
                                                   "purpose": "settlement"}, fmt="multipart")
    assert response.status_code == 400 and "larger than" in response.json()["file"][0]


def test_an_upload_without_purpose_names_it(world):
    response = post(world.por, "/api/documents/", {"file": pdf_file()}, fmt="multipart")
    assert response.status_code == 400 and list(response.json()) == ["purpose"]


def test_an_upload_is_stored_under_a_generated_name_with_its_hash_and_audited(world):
    response = post(world.por, "/api/documents/", {"file": pdf_file("release.pdf"), "purpose": "settlement",
                                                   "case": world.main.pk}, fmt="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    doc = UploadedDocument.objects.get(key=body["key"])
    assert (body["original_name"], body["content_type"], body["case"], body["size"]) == (
        "release.pdf", "application/pdf", world.main.pk, len(PDF))
    assert "release" not in doc.file.name and body["sha256"] == doc.sha256
    assert AuditEvent.objects.get(action="create").object_id == str(doc.pk)


def test_an_upload_named_with_a_folder_path_is_refused(world):
    """The raw multipart body (Django's test client would send the base name only)."""
    boundary = "BoUnDaRy"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nsettlement\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/passwd.pdf\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode() + PDF + f"\r\n--{boundary}--\r\n".encode()
    response = client_for(world.por).generic("POST", "/api/documents/", body,
                                             content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400 and "folder path" in response.json()["file"][0]
    assert not UploadedDocument.objects.filter(uploaded_by=world.por, purpose="settlement").exists()
