"""The portal's forms (SPEC §3, §9): each does its work for the person allowed to use it, and bad
input is refused with a message naming the field while nothing changes."""

from decimal import Decimal

import pytest
from django.urls import reverse

from recovery.audit_models import AuditEvent
from recovery.models import CaseEvent, Dispute, OptionElection, Settlement, UploadedDocument
from recovery.cases.tracks import State
from tests import factories

from .conftest import ago, act, cpl_case, pdf, stored_files, today

pytestmark = pytest.mark.django_db


def snapshot(case):
    """What a refused submission must leave unchanged."""
    case.refresh_from_db()
    return (case.state, case.updated_at, case.events.count(), Settlement.objects.filter(case=case).count(),
            case.disputes.count(), case.elections.count(), UploadedDocument.objects.count())


def settlement_data(**overrides):
    data = {"settlement_date": ago(2).isoformat(), "gross_amount": "30000.00", "attorney_fees": "10000.00",
            "other_costs": "250.00", "documents": pdf("settlement.pdf")}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def errors_of(response):
    return " | ".join(e["message"] for e in response.context["errors"])


# --- Settlement details ------------------------------------------------------------------------------


def test_a_representative_sends_settlement_details_with_a_document(world, as_user, settings):
    response = as_user("por").post(reverse("portal:settlement", args=[world.main.pk]), settlement_data(),
                                   follow=True)
    assert response.redirect_chain == [(reverse("portal:case", args=[world.main.pk]), 302)]
    assert "Settlement details sent." in response.content.decode()
    settlement = Settlement.objects.get(case=world.main)
    assert settlement.source == Settlement.Source.BENEFICIARY and settlement.received_on == today()
    assert (settlement.gross_amount, settlement.attorney_fees, settlement.other_costs) == (
        Decimal("30000.00"), Decimal("10000.00"), Decimal("250.00"))
    doc = UploadedDocument.objects.get(case=world.main)
    assert doc.purpose == "settlement" and doc.uploaded_by == world.por and len(stored_files(settings)) > 0
    assert CaseEvent.objects.filter(case=world.main, action="submit_settlement", actor=world.por).exists()
    assert AuditEvent.objects.filter(action="act", detail="settlement", outcome="ok", user=world.por,
                                     object_id=str(world.main.pk)).exists()
    client = as_user("por")
    response = client.post(reverse("portal:settlement", args=[world.cpn.pk]),
                           settlement_data(settlement_date=world.cpn.settlement.settlement_date.isoformat()),
                           follow=True)
    assert "Settlement details updated" in response.content.decode()  # the CPN case had one already
    page = client.get(reverse("portal:case", args=[world.main.pk])).content.decode()
    assert "$30,000.00" in page and "settlement.pdf" in page


@pytest.mark.parametrize("overrides, field, words", [
    ({"gross_amount": "-5.00"}, "gross_amount", "negative"),
    ({"gross_amount": "100.005"}, "gross_amount", "decimal places"),
    ({"gross_amount": ""}, "gross_amount", "required"),
    ({"attorney_fees": "-1.00"}, "attorney_fees", "negative"),
    ({"other_costs": "1.001"}, "other_costs", "decimal places"),
    ({"attorney_fees": "29900.00", "other_costs": "200.00"}, "attorney_fees", "above the gross settlement"),
    ({"settlement_date": "2022-12-31"}, "settlement_date", "before the incident date"),
    ({"settlement_date": "2099-01-01"}, "settlement_date", "future"),
    ({"settlement_date": "31/12/2024"}, "settlement_date", "valid date"),
    ({"documents": None}, "documents", "Choose a file"),
])
def test_bad_settlement_details_are_refused_naming_the_field_and_nothing_is_saved(
        world, as_user, settings, overrides, field, words):
    before, files_before = snapshot(world.main), stored_files(settings)
    response = as_user("por").post(reverse("portal:settlement", args=[world.main.pk]), settlement_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert words in str(response.context["form"].errors[field])
    label = str(response.context["form"].fields[field].label)
    assert label.lower() in errors_of(response).lower()  # the summary names the field
    assert snapshot(world.main) == before and stored_files(settings) == files_before
    assert not UploadedDocument.objects.filter(case=world.main).exists()
    assert AuditEvent.objects.filter(action="act", detail="settlement", outcome="refused").exists()


def test_settlement_details_are_refused_after_the_demand(world, as_user):
    before = snapshot(world.debt)
    response = as_user("por").post(reverse("portal:settlement", args=[world.debt.pk]),
                                   settlement_data(settlement_date=ago(31).isoformat()))
    assert response.status_code == 200
    assert "demand has been issued" in errors_of(response)
    assert snapshot(world.debt) == before


def test_an_update_before_the_demand_keeps_the_source_and_first_received_date(world, as_user):
    settlement = Settlement.objects.get(case=world.cpn)  # entered by the contractor, received 19 days ago
    response = as_user("por").post(reverse("portal:settlement", args=[world.cpn.pk]),
                                   settlement_data(settlement_date=settlement.settlement_date.isoformat(),
                                                   gross_amount="31000.00", documents=None))
    assert response.status_code == 302
    settlement.refresh_from_db()
    assert settlement.gross_amount == Decimal("31000.00") and settlement.received_on == ago(19)
    assert settlement.source == Settlement.Source.BENEFICIARY


def test_a_reported_settlement_date_cannot_be_moved_from_the_portal(world, as_user):
    factories.settlement(world.main, settlement_date=ago(3), received_on=ago(3))
    act(world.main, "report_settlement", ago(1), world.caseworker)
    before = snapshot(world.main)
    response = as_user("por").post(reverse("portal:settlement", args=[world.main.pk]),
                                   settlement_data(settlement_date=ago(2).isoformat(), documents=None))
    assert "settlement_date" in response.context["form"].errors
    assert "already ends the recovery period" in errors_of(response)
    assert snapshot(world.main) == before


# --- Disputes ----------------------------------------------------------------------------------------


def test_a_representative_disputes_claims_with_documents(world, as_user):
    claim = world.main.claims.order_by("id").first()
    response = as_user("por").post(reverse("portal:dispute", args=[world.main.pk]), {
        "claims": [claim.pk], "grounds": "Treatment of an unrelated knee condition.", "expected_state": "cpl_issued",
        "documents": [pdf("records.pdf"), pdf("letter.pdf")]})
    assert response.status_code == 302
    world.main.refresh_from_db()
    assert world.main.state == State.DISPUTE_PENDING
    dispute = Dispute.objects.get(case=world.main)
    assert list(dispute.claims.all()) == [claim] and dispute.received_date == today()
    assert dispute.filed_by == "Jane Roe (Roe & Partners LLP)"
    docs = UploadedDocument.objects.filter(case=world.main, purpose="dispute")
    assert sorted(docs.values_list("original_name", flat=True)) == ["letter.pdf", "records.pdf"]
    assert AuditEvent.objects.filter(action="act", detail="dispute", outcome="ok", user=world.por).exists()


@pytest.mark.parametrize("data, field, words", [
    ({"claims": [], "grounds": "Unrelated."}, "claims", "Choose the claims"),
    ({"grounds": ""}, "grounds", "required"),
    ({"documents": None}, "documents", "Choose a file"),
    ({"claims": ["999999"]}, "claims", "not one of the available choices"),
])
def test_a_bad_dispute_is_refused_naming_the_field_and_nothing_changes(world, as_user, settings, data, field, words):
    payload = {"claims": [world.main.claims.first().pk], "grounds": "Unrelated.", "documents": pdf()}
    payload.update(data)
    payload = {k: v for k, v in payload.items() if v is not None}
    before, files_before = snapshot(world.main), stored_files(settings)
    response = as_user("por").post(reverse("portal:dispute", args=[world.main.pk]), payload)
    assert field in response.context["form"].errors and words in str(response.context["form"].errors[field])
    assert snapshot(world.main) == before and stored_files(settings) == files_before


def test_a_dispute_after_the_window_closed_is_refused_and_its_documents_are_not_kept(world, as_user, settings):
    late = cpl_case(world.caseworker, world.bene_a, cpl_days_ago=31)
    from .conftest import authorise, K

    authorise(world.por, K.POR, verifier=world.caseworker, case=late)
    assert "dispute window closed" in as_user("por").get(reverse("portal:dispute", args=[late.pk])).context["refusal"]
    files_before = stored_files(settings)
    before = snapshot(late)
    response = as_user("por").post(reverse("portal:dispute", args=[late.pk]), {
        "claims": [late.claims.first().pk], "grounds": "Unrelated.", "documents": pdf()})
    assert "dispute window closed" in errors_of(response)
    assert snapshot(late) == before and stored_files(settings) == files_before


def test_a_stale_form_is_refused(world, as_user):
    response = as_user("por").post(reverse("portal:dispute", args=[world.main.pk]), {
        "claims": [world.main.claims.first().pk], "grounds": "Unrelated.", "documents": pdf(),
        "expected_state": "cpn_issued"})
    assert "reload" in errors_of(response)
    assert not Dispute.objects.filter(case=world.main).exists()


def test_the_insurer_disputes_on_the_case_it_owes_and_is_refused_on_the_one_it_reported(world, as_user):
    client = as_user("insurer")
    response = client.post(reverse("portal:dispute", args=[world.plan.pk]), {
        "claims": [world.plan.claims.first().pk], "grounds": "Not our insured's injury.", "documents": pdf()})
    assert response.status_code == 302
    assert Dispute.objects.get(case=world.plan).filed_by == "Insurer Esq (Prudent Casualty)"
    refused = client.post(reverse("portal:dispute", args=[world.main.pk]), {
        "claims": [world.main.claims.first().pk], "grounds": "x", "documents": pdf()})
    assert refused.status_code == 403 and not Dispute.objects.filter(case=world.main).exists()


# --- Responses, appeals, waivers, challenges ----------------------------------------------------------


def test_a_representative_records_a_cpn_response_once(world, as_user):
    client = as_user("por")
    url = reverse("portal:response", args=[world.cpn.pk])
    assert client.post(url, {"reason": "Fees and costs attached.", "documents": pdf("fees.pdf")}).status_code == 302
    world.cpn.refresh_from_db()
    assert world.cpn.response_date == today()
    assert UploadedDocument.objects.filter(case=world.cpn, purpose="settlement", original_name="fees.pdf").exists()
    again = client.post(url, {"reason": "More."})
    assert "already recorded" in errors_of(again)


def test_a_response_needs_its_text(world, as_user):
    before = snapshot(world.cpn)
    response = as_user("por").post(reverse("portal:response", args=[world.cpn.pk]), {"reason": "  "})
    assert "reason" in response.context["form"].errors and "Your response" in errors_of(response)
    assert snapshot(world.cpn) == before


@pytest.mark.parametrize("key, state", [("appeal", State.APPEAL_PENDING), ("waiver", State.WAIVER_PENDING)])
def test_a_representative_asks_for_an_appeal_or_a_waiver_with_the_reason(world, as_user, key, state):
    response = as_user("por").post(reverse(f"portal:{key}", args=[world.debt.pk]),
                                   {"reason": "Two claims are unrelated.", "documents": pdf("appeal.pdf")})
    assert response.status_code == 302
    world.debt.refresh_from_db()
    assert world.debt.state == state
    assert world.debt.events.order_by("-id").first().reason == "Two claims are unrelated."
    assert UploadedDocument.objects.get(case=world.debt, purpose="appeal").original_name == "appeal.pdf"


@pytest.mark.parametrize("key", ["appeal", "waiver"])
def test_an_appeal_or_waiver_without_a_reason_is_refused(world, as_user, key):
    before = snapshot(world.debt)
    response = as_user("por").post(reverse(f"portal:{key}", args=[world.debt.pk]), {"reason": ""})
    assert "reason" in response.context["form"].errors and "Reason" in errors_of(response)
    assert snapshot(world.debt) == before


def test_the_insurer_appeals_a_plan_demand_and_the_employer_plan_challenges_a_ghp_demand(world, as_user):
    assert as_user("insurer").post(reverse("portal:appeal", args=[world.plan_debt.pk]),
                                   {"reason": "Redetermination requested."}).status_code == 302
    assert as_user("ghp_contact").post(reverse("portal:challenge", args=[world.ghp.pk]),
                                       {"reason": "Fewer than 20 employees."}).status_code == 302
    world.plan_debt.refresh_from_db()
    world.ghp.refresh_from_db()
    assert world.plan_debt.state == State.APPEAL_PENDING and world.plan_debt.appeal_level == 1
    assert world.ghp.state == State.CHALLENGE_PENDING


def test_a_representative_cannot_file_a_challenge_or_the_insurer_a_waiver(world, as_user):
    assert as_user("por").post(reverse("portal:challenge", args=[world.debt.pk]),
                               {"reason": "x"}).status_code == 403
    assert as_user("insurer").post(reverse("portal:waiver", args=[world.plan_debt.pk]),
                                   {"reason": "x"}).status_code == 403


# --- Options -----------------------------------------------------------------------------------------


def test_the_fixed_percentage_option_is_elected_and_accepted_for_a_small_settlement(world, as_user):
    factories.settlement(world.main, settlement_date=ago(2), gross_amount=Decimal("4000.00"),
                         attorney_fees=Decimal("1000.00"))
    page = as_user("por").get(reverse("portal:option_fixed", args=[world.main.pk]))
    assert "25% of the gross settlement" in page.content.decode()
    response = as_user("por").post(reverse("portal:option_fixed", args=[world.main.pk]), {"confirm": "on"}, follow=True)
    election = OptionElection.objects.get(case=world.main)
    assert election.kind == "fixed_percentage" and election.status == "accepted"
    assert "accepted" in response.content.decode()


def test_the_fixed_percentage_option_is_recorded_as_refused_with_reasons_above_the_cap(world, as_user):
    factories.settlement(world.main, settlement_date=ago(2), gross_amount=Decimal("40000.00"))
    response = as_user("por").post(reverse("portal:option_fixed", args=[world.main.pk]), {"confirm": "on"}, follow=True)
    election = OptionElection.objects.get(case=world.main)
    assert election.status == "refused" and election.reasons
    assert "refused" in response.content.decode()


def test_the_fixed_percentage_option_needs_the_box_ticked(world, as_user):
    factories.settlement(world.main, settlement_date=ago(2), gross_amount=Decimal("4000.00"))
    response = as_user("por").post(reverse("portal:option_fixed", args=[world.main.pk]), {})
    assert "confirm" in response.context["form"].errors
    assert not OptionElection.objects.exists()


def test_the_self_calculated_option_is_elected_before_settling(world, as_user):
    response = as_user("por").post(reverse("portal:option_self", args=[world.main.pk]), {
        "injury_date": "2023-01-10", "care_completed_date": ago(200).isoformat(),
        "expected_settlement": "20000.00", "submitted_amount": "1800.00"})
    assert response.status_code == 302
    election = OptionElection.objects.get(case=world.main)
    assert election.kind == "self_calculated" and election.status == "accepted"
    assert election.submitted_amount == Decimal("1800.00")


@pytest.mark.parametrize("data, field", [
    ({"expected_settlement": "-1.00"}, "expected_settlement"),
    ({"submitted_amount": "12.345"}, "submitted_amount"),
    ({"injury_date": ""}, "injury_date"),
    ({"injury_date": "2099-01-01"}, "injury_date"),
])
def test_a_bad_self_calculated_election_is_refused_naming_the_field(world, as_user, data, field):
    payload = {"injury_date": "2023-01-10", "care_completed_date": ago(200).isoformat(),
               "expected_settlement": "20000.00", "submitted_amount": "1800.00"}
    payload.update(data)
    before = snapshot(world.main)
    response = as_user("por").post(reverse("portal:option_self", args=[world.main.pk]), payload)
    assert field in response.context["form"].errors
    assert snapshot(world.main) == before


def test_a_negative_gross_amount_is_reported_once_not_as_costs_above_it(world, as_user):
    response = as_user("por").post(reverse("portal:settlement", args=[world.main.pk]),
                                   settlement_data(gross_amount="-5.00"))
    errors = response.context["form"].errors
    assert list(errors) == ["gross_amount"] and errors["gross_amount"] == ["Amounts cannot be negative."]
