"""The portal's pages for each role (SPEC §8): who sees which case, what they may use, letters, audit.

Conventions: a case the user may not see is a 404 (as if it did not exist); a form on a visible case
that the user's role may not use is a 403 with a message saying why; every read and write is
audit-logged with ids only.
"""

import pytest
from django.urls import reverse

from recovery.audit_models import AuditEvent
from recovery.models import Letter

from .conftest import ago, client_for

pytestmark = pytest.mark.django_db

ALL = {"main", "debt", "cpn", "other", "plan", "plan_debt", "ghp"}
SEES = {"staff": ALL, "por": {"main", "debt", "cpn"}, "ctr": {"main", "debt"}, "ctr_expired": set(),
        "pending": set(), "rejected": set(), "other": {"other"}, "insurer": {"main", "plan", "plan_debt"},
        "ghp_contact": {"ghp"}}
ROLE = {("staff", None): "staff", ("por", None): "por", ("ctr", None): "ctr", ("other", None): "por",
        ("insurer", "main"): "reporter", ("insurer", None): "debtor", ("ghp_contact", None): "debtor"}
FORMS = ["settlement", "dispute", "response", "appeal", "waiver", "challenge", "option_fixed", "option_self",
         "final_notice", "final_request"]


def role_of(persona, case_name):
    return ROLE.get((persona, case_name)) or ROLE[(persona, None)]


# --- My cases ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", list(SEES))
def test_my_cases_lists_exactly_the_cases_the_person_may_see_with_their_role(world, as_user, persona):
    response = as_user(persona).get(reverse("portal:cases"))
    assert response.status_code == 200
    shown = {row["case"].pk: row["role"] for row in response.context["rows"]}
    assert set(shown) == {world.cases[name].pk for name in SEES[persona]}
    for name in SEES[persona]:
        assert shown[world.cases[name].pk] == role_of(persona, name)
    event = AuditEvent.objects.filter(action="list", channel="portal", user=world.users[persona]).get()
    assert sorted(event.object_ids) == sorted(shown) and event.object_type == "recovery.RecoveryCase"


def test_my_cases_shows_what_is_due_and_by_when_from_the_case_dates_and_the_clock_table(world, as_user):
    from datetime import timedelta

    from recovery.policy_models import ClockLength

    html = as_user("por").get(reverse("portal:cases")).content.decode()
    cpl_dispute_by = world.main.cpl_date + timedelta(days=30)
    cpn_respond_by = world.cpn.cpn_date + timedelta(days=30)
    pay_by = world.debt.demand_date + timedelta(days=60)
    assert f"By {cpl_dispute_by:%b} {cpl_dispute_by.day}, {cpl_dispute_by.year}" in html
    assert "Respond to the conditional payment notice" in html
    assert f"By {cpn_respond_by:%b} {cpn_respond_by.day}, {cpn_respond_by.year}" in html
    assert "Settlement details needed" in html
    assert "Pay the balance of $1,333.33" in html and f"{pay_by:%b} {pay_by.day}, {pay_by.year}" in html
    # The clock table, not a constant: a supervisor's longer dispute window shows at once.
    ClockLength.objects.create(track="beneficiary", name="dispute_filing", effective_from=ago(365), days=45,
                               source="test")
    later = world.main.cpl_date + timedelta(days=45)
    html = as_user("por").get(reverse("portal:cases")).content.decode()
    assert f"By {later:%b} {later.day}, {later.year}" in html


def test_the_insurer_sees_its_role_on_each_case_debtor_or_reporting_entity(world, as_user):
    html = as_user("insurer").get(reverse("portal:cases")).content.decode()
    assert "Insurer — the debtor" in html and "Insurer — reporting entity" in html


def test_pending_and_rejected_authorisations_show_with_their_status_but_open_nothing(world, as_user):
    for persona, status in (("pending", "Awaiting verification"), ("rejected", "Rejected")):
        response = as_user(persona).get(reverse("portal:cases"))
        assert response.context["rows"] == []
        html = response.content.decode()
        assert status in html and "No case is open to you" in html
        assert world.bene_a.last_name not in html  # a pending POR reveals nothing of the beneficiary


def test_the_portal_needs_a_login(world):
    response = client_for(None).get(reverse("portal:case", args=[world.main.pk]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- Case page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", list(SEES))
def test_the_case_page_is_for_the_cases_the_person_may_see_and_404_otherwise(world, as_user, persona):
    client = as_user(persona)
    for name, case in world.cases.items():
        response = client.get(reverse("portal:case", args=[case.pk]))
        if name in SEES[persona]:
            assert response.status_code == 200, (persona, name)
            assert response.context["role"] == role_of(persona, name)
        else:
            assert response.status_code == 404, (persona, name)
    user = world.users[persona]
    views = AuditEvent.objects.filter(user=user, action="view", channel="portal")
    assert {e.object_id for e in views.filter(outcome="ok")} == {str(world.cases[n].pk) for n in SEES[persona]}
    assert {e.object_id for e in views.filter(outcome="denied")} == {str(world.cases[n].pk)
                                                                     for n in ALL - SEES[persona]}


def test_the_case_page_shows_claims_letters_and_the_forms_a_representative_may_use_now(world, as_user):
    response = as_user("por").get(reverse("portal:case", args=[world.main.pk]))
    html = response.content.decode()
    assert "Ada Lovelace" in html and world.bene_a.mbi_display in html
    assert "$1,200.00" in html and "$800.00" in html and "$2,000.00" in html  # claims and the total
    assert "Conditional Payment Letter" in html and "Rights and Responsibilities letter" in html
    assert [o.key for o in response.context["offers"]] == ["dispute", "settlement", "final_notice", "option_self"]


def test_the_case_page_shows_the_balance_after_the_demand(world, as_user):
    response = as_user("por").get(reverse("portal:case", args=[world.debt.pk]))
    assert response.context["balance"].total == world.debt.demand_amount
    html = response.content.decode()
    assert 'id="balance">$1,333.33' in html and "Demand letter" in html
    assert [o.key for o in response.context["offers"]] == ["appeal", "waiver"]


def test_a_ctr_holder_sees_the_case_but_is_offered_nothing_and_told_why(world, as_user):
    response = as_user("ctr").get(reverse("portal:case", args=[world.main.pk]))
    assert response.context["offers"] == []
    assert "Consent to Release" in response.content.decode() and "not act" in response.content.decode()


def test_the_insurer_debtor_is_offered_its_steps_and_the_reporting_entity_none(world, as_user):
    client = as_user("insurer")
    plan = client.get(reverse("portal:case", args=[world.plan.pk])).context["offers"]
    plan_debt = client.get(reverse("portal:case", args=[world.plan_debt.pk])).context["offers"]
    reported = client.get(reverse("portal:case", args=[world.main.pk]))
    assert [o.key for o in plan] == ["response", "dispute"]
    assert [o.key for o in plan_debt] == ["appeal"]
    assert reported.context["offers"] == [] and "not the debtor" in reported.content.decode()
    ghp = as_user("ghp_contact").get(reverse("portal:case", args=[world.ghp.pk])).context["offers"]
    assert [o.key for o in ghp] == ["challenge"]


def test_staff_see_every_case_on_the_portal_and_are_sent_to_the_admin_to_act(world, as_user):
    response = as_user("staff").get(reverse("portal:case", args=[world.main.pk]))
    assert response.context["offers"] == [] and "admin" in response.content.decode()


# --- Forms refused by role ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona, case_name", [("ctr", "main"), ("ctr", "debt"), ("insurer", "main"),
                                                ("staff", "main")])
def test_a_person_who_may_only_see_is_refused_every_form_with_a_message_and_nothing_changes(
        world, as_user, persona, case_name):
    client = as_user(persona)
    case = world.cases[case_name]
    before = (case.state, case.events.count(), case.disputes.count())
    for key in FORMS:
        url = reverse(f"portal:{key}", args=[case.pk])
        for response in (client.get(url), client.post(url, {"reason": "x", "grounds": "x", "confirm": "on"})):
            assert response.status_code == 403, (key, response.status_code)
            message = response.context["message"]
            assert message and message in response.content.decode()
    case.refresh_from_db()
    assert (case.state, case.events.count(), case.disputes.count()) == before
    assert AuditEvent.objects.filter(user=world.users[persona], action="act", outcome="denied").count() == \
        2 * len(FORMS)


@pytest.mark.parametrize("persona", ["ctr_expired", "pending", "rejected", "other"])
def test_forms_of_a_case_the_person_may_not_see_are_404(world, as_user, persona):
    client = as_user(persona)
    for key in FORMS:
        assert client.get(reverse(f"portal:{key}", args=[world.main.pk])).status_code == 404
        assert client.post(reverse(f"portal:{key}", args=[world.main.pk]), {}).status_code == 404


def test_a_form_closed_by_the_rules_says_why_and_shows_no_form(world, as_user):
    response = as_user("por").get(reverse("portal:settlement", args=[world.debt.pk]))
    assert response.status_code == 200
    assert "demand has been issued" in response.context["refusal"]
    assert "<form method=\"post\" class=\"portal-form\"" not in response.content.decode()


# --- Letters -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["por", "ctr", "staff"])
def test_a_letter_downloads_as_an_attachment_pdf_and_the_download_is_audited(world, as_user, persona):
    letter = Letter.objects.filter(case=world.main, kind="cpl").get()
    response = as_user(persona).get(reverse("portal:letter_pdf", args=[world.main.pk, letter.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response.content.startswith(b"%PDF-")
    event = AuditEvent.objects.get(action="download", object_type="recovery.Letter", object_id=str(letter.pk))
    assert event.user == world.users[persona] and event.channel == "portal" and event.outcome == "ok"


def test_a_letter_is_404_for_a_person_who_may_not_see_its_case_or_through_another_case(world, as_user):
    letter = Letter.objects.filter(case=world.main, kind="cpl").get()
    assert as_user("other").get(reverse("portal:letter_pdf", args=[world.main.pk, letter.pk])).status_code == 404
    assert as_user("ctr_expired").get(reverse("portal:letter_pdf",
                                              args=[world.main.pk, letter.pk])).status_code == 404
    # The POR holds main and debt: main's letter is not reachable through the debt case's address.
    assert as_user("por").get(reverse("portal:letter_pdf", args=[world.debt.pk, letter.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="download", outcome="denied", object_id=str(letter.pk)).count() == 1


def test_the_demand_letter_is_listed_and_downloadable_by_the_representative(world, as_user):
    demand = Letter.objects.get(case=world.debt, kind="demand")
    html = as_user("por").get(reverse("portal:case", args=[world.debt.pk])).content.decode()
    assert reverse("portal:letter_pdf", args=[world.debt.pk, demand.pk]) in html


# --- The audit log holds no personal data --------------------------------------------------------------


def test_portal_audit_rows_name_objects_by_id_only(world, as_user):
    client = as_user("por")
    client.get(reverse("portal:cases"))
    client.get(reverse("portal:case", args=[world.main.pk]))
    client.get(reverse("portal:dispute", args=[world.main.pk]))
    rows = list(AuditEvent.objects.filter(channel="portal").values_list("detail", "object_id", "object_type"))
    assert rows
    text = repr(rows)
    for secret in (world.bene_a.last_name, world.bene_a.mbi, world.bene_a.mbi_display, "1200", "1,200"):
        assert secret not in text
