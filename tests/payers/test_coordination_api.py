"""POST /api/coordination/who-pays-first/ (SPEC §7): answers, bad input named by field, audit, nothing stored."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from recovery.audit_models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/coordination/who-pays-first/"


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(f.caseworker("cw"))
    return client


def test_the_answer_names_the_payers_the_rule_and_the_coordination_period(api):
    response = api.post(URL, {"on": "2027-04-01", "date_of_birth": "1980-05-05", "esrd_start": "2024-10-01",
                              "ghp": "current_employment", "employer_size": 5000, "medicaid": True}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert [p["payer"] for p in body["order"]] == ["medicare", "ghp", "medicaid"]
    assert (body["primary"], body["secondary"], body["rule_id"]) == ("medicare", "ghp", "ESRD-30")
    assert body["coordination_period"] == {"start": "2024-10-01", "end": "2027-03-31"}
    assert body["medicare_primary"] is True and body["beneficiary_id"] is None
    assert [a["rule_id"] for a in body["applied"]] == ["ESRD-30", "MEDICAID"]
    month_30 = api.post(URL, {"on": "2027-03-31", "date_of_birth": "1980-05-05", "esrd_start": "2024-10-01",
                              "ghp": "current_employment", "employer_size": 5000}, format="json").json()
    assert (month_30["primary"], month_30["rule_id"]) == ("ghp", "T1.6")


def test_the_120_day_rule_through_the_api(api):
    data = {"date_of_birth": "1950-01-01", "nghp": "workers_comp", "claim_received": "2026-01-01"}
    day_120 = api.post(URL, {**data, "on": "2026-05-01"}, format="json").json()
    day_121 = api.post(URL, {**data, "on": "2026-05-02"}, format="json").json()
    assert (day_120["primary"], day_120["conditional_payment"]) == ("workers_comp", False)
    assert (day_121["primary"], day_121["conditional_payment"]) == ("workers_comp", True)


@pytest.mark.parametrize(("data", "field"), [
    ({"date_of_birth": "1955-01-01"}, "on"),
    ({"on": "2026-06-15"}, "date_of_birth"),
    ({"on": "2026-06-15", "date_of_birth": "1955-01-01", "ghp": "current_employment"}, "employer_size"),
    ({"on": "2026-06-15", "date_of_birth": "1955-01-01", "employer_size": -1}, "employer_size"),
    ({"on": "2026-06-15", "date_of_birth": "1955-01-01", "ghp": "sometimes"}, "ghp"),
    ({"on": "2026-06-15", "mbi": "not-an-mbi"}, "mbi"),
    ({"on": "2026-06-15", "mbi": "1EG4-TE5-MK73"}, "mbi"),
    ({"on": "0001-01-01", "date_of_birth": "1955-01-01"}, "on"),
    ({"on": "2026-06-15", "date_of_birth": "1990-01-01"}, "date_of_birth"),
    ({"on": "2026-06-15", "date_of_birth": "1980-01-01", "esrd_start": "2024-01-01", "esrd_end": "2023-01-01"},
     "esrd_end"),
    ({"on": "2026-06-15", "date_of_birth": "1980-01-01", "esrd_start": "2024-01-01",
      "previous_esrd_start": "2020-01-01"}, "previous_esrd_end"),
    ({"on": "2026-06-15", "date_of_birth": "1980-01-01", "transplant_admission": "2024-01-01"}, "transplant_date"),
])
def test_bad_input_is_a_400_naming_the_field(api, data, field):
    response = api.post(URL, data, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field] and response.json()[field][0]


def test_an_mbi_supplies_the_record_and_the_read_is_audited(api):
    bene = f.beneficiary(date_of_birth=date(1980, 5, 5), entitlement_basis="esrd",
                         entitlement_start=date(2025, 10, 1))
    body = api.post(URL, {"on": "2026-06-15", "mbi": bene.mbi, "ghp": "cobra"}, format="json").json()
    assert (body["primary"], body["rule_id"], body["beneficiary_id"]) == ("cobra", "T2.3", bene.pk)
    event = AuditEvent.objects.get(object_type="beneficiaries.Beneficiary")
    assert (event.object_id, event.channel, event.detail) == (str(bene.pk), "api", "who_pays_first")


def test_the_endpoint_is_in_the_openapi_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/coordination/who-pays-first/"]["post"]
    assert operation["operationId"] == "coordination_who_pays_first"
    assert set(operation["responses"]) >= {"200", "400", "401", "403"}


WCMSA = "/api/coordination/wcmsa-review/"


@pytest.mark.parametrize(("data", "reviewed"), [
    ({"total_settlement": "25000.00", "medicare_beneficiary": True}, False),
    ({"total_settlement": "25000.01", "medicare_beneficiary": True}, True),
    ({"total_settlement": "250000.00", "expects_medicare_within_30_months": True}, False),
    ({"total_settlement": "250000.01", "expects_medicare_within_30_months": True}, True),
    ({"total_settlement": "250000.01", "settlement_date": "2024-08-31", "expected_medicare_on": "2027-02-28"}, True),
    ({"total_settlement": "250000.01", "settlement_date": "2024-08-31", "expected_medicare_on": "2027-03-01"}, False),
])
def test_the_wcmsa_review_thresholds_through_the_api(api, data, reviewed):
    response = api.post(WCMSA, data, format="json")
    assert response.status_code == 200
    assert response.json()["reviewed"] is reviewed and response.json()["rule"]


@pytest.mark.parametrize(("data", "field"), [
    ({"total_settlement": 25000.5}, "total_settlement"),  # a JSON number: never a float
    ({"total_settlement": "25000.001"}, "total_settlement"),
    ({"total_settlement": "-1.00"}, "total_settlement"),
    ({"total_settlement": "1.00", "expected_medicare_on": "2027-01-01"}, "settlement_date"),
])
def test_bad_wcmsa_input_is_a_400_naming_the_field(api, data, field):
    response = api.post(WCMSA, data, format="json")
    assert response.status_code == 400 and list(response.json()) == [field]
