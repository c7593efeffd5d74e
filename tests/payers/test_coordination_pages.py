"""The caseworker's who-pays-first page and the warning when an MSP occurrence is posted (SPEC §7)."""

from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from payers.coordination import services
from payers.models import MSPOccurrence
from recovery.audit_models import AuditEvent
from tests import factories as f
from tests.formscrape import form_data

pytestmark = pytest.mark.django_db

PAGE = reverse("admin:payers_who_pays_first")


@pytest.fixture
def worker(client):
    user = f.caseworker("cw")
    client.force_login(user)
    return user


def answers(client, **changes):
    """The page's form as a browser submits it (its defaults), with ``changes``."""
    data = {k: v[0] if len(v) == 1 else v for k, v in form_data(client.get(PAGE).content.decode(), "who-pays-first-form").items()}
    for key, value in changes.items():
        if value is False:
            data.pop(key, None)
        else:
            data[key] = "on" if value is True else value
    return data


def test_the_page_is_linked_from_the_occurrence_list(client, worker):
    page = client.get(reverse("admin:payers_mspoccurrence_changelist")).content.decode()
    assert PAGE in page


def test_the_page_shows_who_pays_first_and_the_rule(client, worker):
    response = client.post(PAGE, answers(client, on="2026-06-15", date_of_birth="1955-03-04",
                                         ghp="current_employment", employer_size="20", medicaid=True))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="primary" data-payer="ghp"' in page
    assert 'id="secondary" data-payer="medicare"' in page
    assert 'data-rule="T1.2"' in page and "20 or more employees" in page
    assert "Medicaid" in page


def test_employer_size_19_puts_medicare_first_on_the_page(client, worker):
    page = client.post(PAGE, answers(client, on="2026-06-15", date_of_birth="1955-03-04",
                                     ghp="current_employment", employer_size="19")).content.decode()
    assert 'id="primary" data-payer="medicare"' in page and 'data-rule="T1.3"' in page


def test_the_page_shows_the_coordination_period_from_the_dialysis_date(client, worker):
    page = client.post(PAGE, answers(client, on="2027-03-31", date_of_birth="1980-05-05",
                                     dialysis_start="2024-07-15", ghp="retiree")).content.decode()
    assert 'id="primary" data-payer="retiree"' in page
    assert "2024-10-01 to 2027-03-31" in page


def test_bad_answers_are_shown_on_their_fields_and_no_result(client, worker):
    response = client.post(PAGE, answers(client, on="2026-06-15", date_of_birth="1955-03-04",
                                         ghp="current_employment", employer_size="-3"))
    page = response.content.decode()
    assert 'id="result"' not in page
    assert "Employer&#x27;s number of employees must not be negative." in page
    response = client.post(PAGE, answers(client, on="2026-06-15", date_of_birth="1955-03-04",
                                         ghp="current_employment"))
    assert response.context["form"].errors == {
        "employer_size": ["Employer's number of employees: GHP coverage through current employment needs the "
                          "number of employees."]}
    response = client.post(PAGE, answers(client, on="", date_of_birth="1990-01-01"))
    assert response.context["form"].errors == {"on": ["Enter the date of service."]}


@pytest.mark.parametrize(("total", "beneficiary", "reviewed"), [
    ("25000.00", True, "no"), ("$25,000.01", True, "yes"), ("250000.01", False, "no")])
def test_the_page_checks_the_wcmsa_review_thresholds(client, worker, total, beneficiary, reviewed):
    data = {"check": "wcmsa", "wcmsa-total_settlement": total}
    if beneficiary:
        data["wcmsa-medicare_beneficiary"] = "on"
    page = client.post(PAGE, data).content.decode()
    assert f'id="wcmsa-result" data-reviewed="{reviewed}"' in page
    assert 'id="result"' not in page  # the who-pays-first form was not submitted


def test_the_wcmsa_expectation_is_30_calendar_months_from_the_settlement(client, worker):
    data = {"check": "wcmsa", "wcmsa-total_settlement": "250000.01", "wcmsa-settlement_date": "2024-08-31"}
    within = client.post(PAGE, {**data, "wcmsa-expected_medicare_on": "2027-02-28"}).content.decode()
    beyond = client.post(PAGE, {**data, "wcmsa-expected_medicare_on": "2027-03-01"}).content.decode()
    assert 'data-reviewed="yes"' in within and 'data-reviewed="no"' in beyond


def test_bad_wcmsa_answers_are_named(client, worker):
    response = client.post(PAGE, {"check": "wcmsa", "wcmsa-total_settlement": "25000.001",
                                  "wcmsa-expected_medicare_on": "2027-01-01"})
    assert response.context["wcmsa_form"].errors == {
        "total_settlement": ["Total settlement must be in whole cents (no more than 2 decimal places)."],
        "settlement_date": ["Enter the settlement date to compare the expected enrolment with."]}
    assert 'id="wcmsa-result"' not in response.content.decode()


def test_an_mbi_fills_the_beneficiary_facts_and_the_read_is_audited(client, worker):
    bene = f.beneficiary(date_of_birth=date(1980, 5, 5), entitlement_basis="disability",
                         entitlement_start=date(2020, 1, 1))
    response = client.post(PAGE, answers(client, on="2026-06-15", mbi=bene.mbi_display,
                                         ghp="current_employment", employer_size="100", ghp_through="family"))
    page = response.content.decode()
    assert 'id="primary" data-payer="ghp"' in page and 'data-rule="T1.4"' in page
    event = AuditEvent.objects.get(action="view", object_type="beneficiaries.Beneficiary")
    assert (event.object_id, event.username, event.channel, event.detail) == (str(bene.pk), "cw", "admin",
                                                                               "who_pays_first")


def test_an_unknown_mbi_is_refused_on_its_field(client, worker):
    response = client.post(PAGE, answers(client, on="2026-06-15", mbi="1EG4-TE5-MK73"))
    assert response.context["form"].errors == {"mbi": ["Beneficiary MBI: no beneficiary has this MBI."]}
    assert not AuditEvent.objects.filter(object_type="beneficiaries.Beneficiary").exists()


def test_the_page_is_for_staff_who_see_cases(client):
    outsider = f.user("clerk")  # staff, but no group: no case view permission
    client.force_login(outsider)
    assert client.get(PAGE).status_code == 403
    client.logout()
    assert client.get(PAGE).status_code == 302  # to the admin login


# --- the occurrence hook -----------------------------------------------------------------------------


def occurrence_post(client, bene, payer, **changes):
    data = {"beneficiary": bene.pk, "payer": payer.pk, "coverage_type": "ghp", "coverage_start": "2024-01-01",
            "coverage_end": "", "incident_date": "", "injury_kind": "", "orm_end": "", "posted_on": "",
            "coordination_ghp": "current_employment", "coordination_ghp_through": "self",
            "coordination_employer_size": "", "coordination_largest_employer_size": ""}
    data.update(changes)
    return client.post(reverse("admin:payers_mspoccurrence_add"), data, follow=True)


def shown(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_posting_a_ghp_occurrence_where_medicare_pays_first_warns(client, worker):
    bene = f.beneficiary(date_of_birth=date(1950, 3, 4))  # 73 on 2024-01-01
    response = occurrence_post(client, bene, f.payer(kind="employer_ghp"), coordination_employer_size="12")
    assert MSPOccurrence.objects.filter(beneficiary=bene).count() == 1  # saved all the same
    warnings = [text for level, text in shown(response) if level == "warning"]
    assert len(warnings) == 1
    assert "Medicare pays first" in warnings[0] and "T1.3" in warnings[0]
    assert "no MSP recovery should exist" in warnings[0]


def test_posting_a_ghp_occurrence_of_a_large_employer_does_not_warn(client, worker):
    bene = f.beneficiary(date_of_birth=date(1950, 3, 4))
    response = occurrence_post(client, bene, f.payer(kind="employer_ghp"), coordination_employer_size="20")
    assert [level for level, _ in shown(response) if level == "warning"] == []


def test_a_retiree_plan_occurrence_warns_and_an_undecidable_one_says_why(client, worker):
    bene = f.beneficiary(date_of_birth=date(1950, 3, 4))
    response = occurrence_post(client, bene, f.payer(kind="employer_ghp"), coordination_ghp="retiree")
    assert any("T1.1" in text for level, text in shown(response) if level == "warning")
    response = occurrence_post(client, bene, f.payer(kind="employer_ghp"))
    assert any("could not be decided" in text and "employer size" in text
               for level, text in shown(response) if level == "warning")


def test_a_liability_occurrence_is_primary_for_the_related_care(worker):
    occurrence = f.occurrence()
    result = services.occurrence_determination(occurrence=occurrence)
    assert (result.primary, result.rule_id) == ("liability", "NGHP")
    assert services.occurrence_warning(occurrence=occurrence) is None


def test_the_occurrence_form_asks_the_ghp_facts_under_their_own_heading(client, worker):
    page = client.get(reverse("admin:payers_mspoccurrence_add")).content.decode()
    assert "Who pays first (GHP occurrences; not stored)" in page
    assert 'name="coordination_employer_size"' in page and 'name="coverage_start"' in page
