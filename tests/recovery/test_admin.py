"""The caseworker admin: list (filters, search, constant queries), case page, steps, bad input."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recovery.cases import services
from recovery.models import CaseEvent, Claim, LedgerEntry, Letter, RecoveryCase, Settlement
from recovery.cases.tracks import State, Track
from tests import factories as f
from tests.formscrape import form_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:recovery_recoverycase_changelist")


def change_url(case):
    return reverse("admin:recovery_recoverycase_change", args=[case.pk])


def act_url(case, action):
    return reverse("admin:recovery_recoverycase_act", args=[case.pk, action])


@pytest.fixture
def worker(client):
    user = f.caseworker("cw")
    client.force_login(user)
    return user


def walk_to_cpl(case, actor, cpl_on=date(2023, 3, 1)):
    f.claim(case)
    for action, on in [("post_occurrence", date(2023, 2, 2)), ("issue_rar", date(2023, 2, 3)),
                       ("issue_cpl", cpl_on)]:
        services.case_act(case=case, action=action, actor=actor, on=on)
    case.refresh_from_db()
    return case


def test_the_case_list_issues_the_same_number_of_queries_for_3_and_30_cases(client, worker):
    for _ in range(3):
        f.case(caseworker=worker)
    client.get(CHANGELIST)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CHANGELIST).status_code == 200
    for _ in range(27):
        f.case(caseworker=worker)
    with CaptureQueriesContext(connection) as many:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.content.count(b'class="field-number"') == 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_case_list_finds_a_case_by_dashed_mbi_by_number_and_by_name(client, worker):
    bene = f.beneficiary(mbi="1EG4TE5MK73", last_name="Łukaszewicz")
    case = f.case(occurrence=f.occurrence(bene))
    other = f.case()
    for term in ["1eg4-te5-mk73", "1EG4TE5MK73", case.number, "Łukaszewicz"]:
        content = client.get(CHANGELIST, {"q": term}).content.decode()
        assert case.number in content, term
        assert other.number not in content, term


def test_the_case_list_filters_overdue_cases(client, worker):
    late = f.case()
    RecoveryCase.objects.filter(pk=late.pk).update(next_due_date=timezone.localdate() - timedelta(days=1))
    on_time = f.case()
    RecoveryCase.objects.filter(pk=on_time.pk).update(next_due_date=timezone.localdate() + timedelta(days=3))
    content = client.get(CHANGELIST, {"overdue": "yes"}).content.decode()
    assert late.number in content and on_time.number not in content
    content = client.get(CHANGELIST, {"overdue": "week"}).content.decode()
    assert on_time.number in content and late.number not in content


def test_the_case_list_filters_by_track_state_and_caseworker(client, worker):
    mine = f.case(caseworker=worker)
    ghp = f.case(Track.GHP)
    assert ghp.number not in client.get(CHANGELIST, {"track__exact": "beneficiary"}).content.decode()
    assert mine.number in client.get(CHANGELIST, {"caseworker__id__exact": worker.pk}).content.decode()
    assert ghp.number not in client.get(CHANGELIST, {"caseworker__id__exact": worker.pk}).content.decode()
    assert mine.number in client.get(CHANGELIST, {"state__exact": "reported"}).content.decode()


def test_the_case_page_shows_exactly_the_steps_this_user_may_take(client, worker):
    case = walk_to_cpl(f.case(), worker, cpl_on=timezone.localdate() - timedelta(days=5))
    content = client.get(change_url(case)).content.decode()
    assert 'data-action="open_dispute"' in content  # inside the 30-day dispute window
    assert 'data-action="close_no_recovery"' in content
    assert 'data-action="report_settlement"' not in content  # guard: no settlement yet
    assert 'data-action="put_on_hold"' not in content  # supervisors only
    assert 'data-action="issue_demand"' not in content  # not from this state
    boss = f.supervisor()
    client.force_login(boss)
    assert 'data-action="put_on_hold"' in client.get(change_url(case)).content.decode()


def test_a_caseworker_walks_a_case_from_reported_to_the_rar_with_the_step_buttons(client, worker):
    case = f.case()
    f.claim(case)
    for action in ["post_occurrence", "issue_rar"]:
        page = client.get(act_url(case, action))
        assert page.status_code == 200
        data = form_data(page.content.decode())
        data["on"] = "2023-02-05"
        response = client.post(act_url(case, action), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert case.state == State.RAR_ISSUED
    assert case.letters.get().kind == Letter.Kind.RAR
    event = case.events.last()
    assert (event.actor, event.from_state, event.to_state) == (worker, State.OCCURRENCE_POSTED, State.RAR_ISSUED)


def test_a_step_posted_from_a_stale_page_is_refused_and_changes_nothing(client, worker):
    case = f.case()
    data = form_data(client.get(act_url(case, "post_occurrence")).content.decode())
    services.case_act(case=case, action="close_no_recovery", actor=worker, on=date(2023, 2, 3), reason="Withdrawn")
    events = CaseEvent.objects.count()
    data["on"] = "2023-02-05"
    response = client.post(act_url(case, "post_occurrence"), data)
    assert response.status_code == 200
    assert "since you loaded it" in response.content.decode() or "not possible" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.CLOSED_NO_RECOVERY
    assert CaseEvent.objects.count() == events


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"reason": ""}, "reason", "Give a reason"),
        ({"on": "2099-01-01"}, "on", "future"),
        ({"on": "not a date"}, "on", "Enter a valid date"),
        ({"on": "2023-01-01"}, "on", "cannot be earlier"),
    ],
)
def test_bad_input_on_a_step_names_the_field_and_changes_nothing(client, worker, change, field, message):
    case = f.case(opened_on=date(2023, 2, 1))
    data = form_data(client.get(act_url(case, "close_no_recovery")).content.decode())
    data.update({"on": "2023-02-05", "reason": "Withdrawn"}, **change)
    response = client.post(act_url(case, "close_no_recovery"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors.get(field, [])), form.errors
    case.refresh_from_db()
    assert case.state == State.REPORTED
    assert case.events.count() == 1


def _change_form(client, case):
    return form_data(client.get(change_url(case)).content.decode(), "recoverycase_form")


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"amount_paid": "-5.00"}, "amount_paid", "negative"),
        ({"amount_paid": "10.005"}, "amount_paid", "2 decimal places"),
        ({"service_from": "2022-12-31", "service_to": "2023-01-02"}, "service_from", "recovery period"),
        ({"service_from": "2023-02-10", "service_to": "2023-02-01"}, "service_to", "before the first"),
        ({"diagnosis_codes": "broken leg"}, "diagnosis_codes", "Not ICD-10"),
        ({"provider_npi": "12345"}, "provider_npi", "10 digits"),
    ],
)
def test_a_claim_with_bad_input_is_refused_with_the_field_named_and_nothing_saved(client, worker, values, field,
                                                                                 message):
    case = f.case()
    data = _change_form(client, case)
    row = {"claim_number": "X1", "provider_name": "Mercy", "provider_npi": "", "service_from": "2023-01-11",
           "service_to": "2023-01-12", "diagnosis_codes": "S82.101A", "amount_paid": "100.00", "paid_date": "",
           "status": "related"}
    row.update(values)
    data.update({f"claims-0-{k}": v for k, v in row.items()})
    data["claims-0-case"] = str(case.pk)
    data["claims-TOTAL_FORMS"] = "1"
    response = client.post(change_url(case), data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert message in " ".join(errors.get(field, [])), errors
    assert not Claim.objects.exists()


def test_a_good_claim_is_saved_from_the_case_page(client, worker):
    case = f.case()
    data = _change_form(client, case)
    data.update({"claims-0-claim_number": "X1", "claims-0-provider_name": "Mercy", "claims-0-service_from": "2023-01-11",
                 "claims-0-service_to": "2023-01-12", "claims-0-diagnosis_codes": "S82.101A",
                 "claims-0-amount_paid": "100.10", "claims-0-status": "related", "claims-0-case": str(case.pk),
                 "claims-TOTAL_FORMS": "1"})
    response = client.post(change_url(case), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert Claim.objects.get().amount_paid == Decimal("100.10")


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"attorney_fees": "20000.00", "other_costs": "10000.01"}, "attorney_fees", "above the gross settlement"),
        ({"settlement_date": "2023-01-09"}, "settlement_date", "before the incident date"),
        ({"gross_amount": "-1.00"}, "gross_amount", "negative"),
    ],
)
def test_a_settlement_with_bad_input_is_refused_with_the_field_named(client, worker, values, field, message):
    case = f.case()
    data = _change_form(client, case)
    row = {"settlement_date": "2023-06-01", "received_on": "", "source": "beneficiary", "gross_amount": "30000.00",
           "attorney_fees": "10000.00", "other_costs": "0.00", "costs_borne_by_beneficiary": "on",
           "claim_was_disputed": "on", "case": str(case.pk)}
    row.update(values)
    data.update({f"settlement-0-{k}": v for k, v in row.items()})
    data["settlement-TOTAL_FORMS"] = "1"
    response = client.post(change_url(case), data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][1].formset.errors[0]
    assert message in " ".join(errors.get(field, [])), errors
    assert not Settlement.objects.exists()


def test_a_beneficiary_with_a_bad_mbi_is_refused_with_the_field_named(client, worker):
    url = reverse("admin:beneficiaries_beneficiary_add")
    data = form_data(client.get(url).content.decode(), "beneficiary_form")
    data.update({"mbi": "1EG4-TE5-MK7O", "first_name": "Zoë", "last_name": "Ng", "date_of_birth": "1950-01-01",
                 "address_line1": "1 Main", "city": "Albany", "state": "NY", "zip_code": "12207",
                 "entitlement_basis": "age", "entitlement_start": "2015-01-01"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "never used" in " ".join(response.context["adminform"].form.errors["mbi"])
    data["mbi"] = "1eg4-te5-mk73"
    assert client.post(url, data).status_code == 302
    from beneficiaries.models import Beneficiary

    assert Beneficiary.objects.get(last_name="Ng").mbi == "1EG4TE5MK73"


def test_a_case_added_in_the_admin_gets_a_track_numbered_case_number_and_a_history_row(client, worker):
    occ = f.occurrence(orm=True)
    url = reverse("admin:recovery_recoverycase_add")
    data = form_data(client.get(url).content.decode(), "recoverycase_form")
    data.update({"track": "plan", "beneficiary": occ.beneficiary_id, "occurrence": occ.pk,
                 "debtor_payer": occ.payer_id, "opened_on": "2023-02-01"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    case = RecoveryCase.objects.get()
    assert len(case.number) == 15 and case.number.startswith("3")
    assert case.events.get().action == "open"


def test_a_plan_case_without_a_debtor_is_refused_in_the_admin(client, worker):
    occ = f.occurrence(orm=True)
    url = reverse("admin:recovery_recoverycase_add")
    data = form_data(client.get(url).content.decode(), "recoverycase_form")
    data.update({"track": "plan", "beneficiary": occ.beneficiary_id, "occurrence": occ.pk, "opened_on": "2023-02-01"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "debtor_payer" in response.context["adminform"].form.errors
    assert not RecoveryCase.objects.exists()


def _to_demand(case, actor):
    walk_to_cpl(case, actor)
    f.settlement(case)
    services.case_act(case=case, action="report_settlement", actor=actor, on=date(2023, 6, 5))
    services.case_act(case=case, action="issue_demand", actor=actor, on=date(2023, 6, 10))
    case.refresh_from_db()
    return case


@pytest.mark.parametrize(
    "amount, received_on, field, message",
    [
        ("-1.00", "2023-07-01", "amount", "must not be negative"),
        ("0.00", "2023-07-01", "amount", "greater than or equal to 0.01"),
        ("1.001", "2023-07-01", "amount", "2 decimal places"),
        ("10.00", "2023-06-01", "received_on", "before the demand"),
        ("abc", "2023-07-01", "amount", "Enter a number"),
    ],
)
def test_a_bad_payment_is_refused_with_the_field_named_and_no_ledger_row(client, worker, amount, received_on, field,
                                                                       message):
    case = _to_demand(f.case(), worker)
    url = reverse("admin:recovery_recoverycase_operation", args=[case.pk, "record_payment"])
    response = client.post(url, {"amount": amount, "received_on": received_on})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert case.ledger.count() == 1


def test_a_payment_in_full_recorded_in_the_admin_closes_the_case(client, worker):
    case = _to_demand(f.case(), worker)
    url = reverse("admin:recovery_recoverycase_operation", args=[case.pk, "record_payment"])
    response = client.post(url, {"amount": str(case.demand_amount), "received_on": "2023-07-01"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.CLOSED_PAID
    assert case.ledger.filter(kind=LedgerEntry.Kind.PAYMENT).get().principal == -case.demand_amount


def test_the_track_diagrams_page_lists_every_track(client, worker):
    content = client.get(reverse("admin:recovery_recoverycase_diagrams")).content.decode()
    for label in ["Beneficiary NGHP recovery", "applicable plan", "GHP mistaken"]:
        assert label in content
    assert "stateDiagram-v2" in content


def test_history_and_letters_cannot_be_edited_or_deleted_in_the_admin(client, worker):
    case = walk_to_cpl(f.case(), worker)
    boss = f.user(superuser=True)
    client.force_login(boss)
    letter = case.letters.first()
    event = case.events.first()
    assert client.post(reverse("admin:recovery_letter_delete", args=[letter.pk]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:recovery_caseevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert Letter.objects.filter(pk=letter.pk).exists() and CaseEvent.objects.filter(pk=event.pk).exists()


def test_a_letter_downloads_from_the_admin_as_a_pdf_attachment(client, worker):
    case = walk_to_cpl(f.case(), worker)
    letter = case.letters.get(kind=Letter.Kind.CPL)
    response = client.get(reverse("admin:recovery_letter_pdf", args=[letter.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;") and case.number in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")


def test_a_fixed_percentage_election_is_recorded_from_the_case_page(client, worker):
    case = walk_to_cpl(f.case(), worker)
    f.settlement(case, settlement_date=date(2023, 10, 2), gross_amount=Decimal("7500.00"),
                 attorney_fees=Decimal("2500.00"))
    assert 'data-action="elect_fixed_percentage"' in client.get(change_url(case)).content.decode()
    url = reverse("admin:recovery_recoverycase_operation", args=[case.pk, "elect_fixed_percentage"])
    assert client.post(url, {"elected_on": "2023-10-03"}).status_code == 302
    election = case.elections.get()
    assert election.status == "accepted"
    assert case.events.filter(action="elect_fixed_percentage").exists()


def test_supervisors_edit_policy_tables_with_history_and_nobody_deletes_a_row(client):
    from recovery.models import InterestRate

    boss = f.supervisor()
    client.force_login(boss)
    url = reverse("admin:recovery_interestrate_add")
    data = {"effective_from": "2026-01-01", "annual_rate": "12.125%", "year_days": "360", "period_days": "30",
            "grace_days": "60", "source": "Treasury notice"}
    assert client.post(url, data).status_code == 302
    rate = InterestRate.objects.get(effective_from=date(2026, 1, 1))
    assert rate.annual_rate == Decimal("0.12125")  # typed as a percentage, stored as the fraction
    assert rate.history.count() == 1
    assert client.post(reverse("admin:recovery_interestrate_delete", args=[rate.pk]), {"post": "yes"}).status_code == 403


def test_a_caseworker_may_read_but_not_change_the_policy_tables(client, worker):
    assert client.get(reverse("admin:recovery_interestrate_changelist")).status_code == 200
    assert client.get(reverse("admin:recovery_interestrate_add")).status_code == 403


def test_a_bad_policy_row_is_refused_with_the_field_named(client):
    client.force_login(f.supervisor())
    url = reverse("admin:recovery_interestrate_add")
    data = {"effective_from": "2026-01-01", "annual_rate": "100.01", "year_days": "360", "period_days": "30",
            "grace_days": "60"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "annual_rate" in response.context["adminform"].form.errors


def test_the_old_work_queue_address_sends_to_the_worklist_which_shows_the_same_buckets(client, worker):
    today = timezone.localdate()
    cases = {}
    for name, offset in [("late", -2), ("today", 0), ("soon", 5), ("later", 20)]:
        case = f.case(caseworker=worker)
        RecoveryCase.objects.filter(pk=case.pk).update(next_due_date=today + timedelta(days=offset),
                                                       next_due_reason=f"reason {name}")
        cases[name] = case
    other = f.case(caseworker=f.caseworker())
    RecoveryCase.objects.filter(pk=other.pk).update(next_due_date=today)
    old = reverse("admin:recovery_recoverycase_queue")
    worklist = reverse("admin:worklist")
    assert client.get(old)["Location"] == worklist
    assert client.get(old, {"caseworker": "all"})["Location"] == f"{worklist}?who=all"
    assert client.get(old, {"caseworker": str(other.caseworker_id)})["Location"] == \
        f"{worklist}?who={other.caseworker_id}"
    response = client.get(old, follow=True)
    buckets = {b.key: [i.case.pk for i in b.items] for b in response.context["buckets"]}
    assert buckets["overdue"] == [cases["late"].pk]
    assert buckets["today"] == [cases["today"].pk]
    assert buckets["week"] == [cases["soon"].pk]
    assert buckets["later"] == [cases["later"].pk]
    assert "reason late" in response.content.decode()
    everyone = client.get(old, {"caseworker": "all"}, follow=True).context["buckets"]
    assert {i.case.pk for b in everyone if b.key == "today" for i in b.items} == {cases["today"].pk, other.pk}


def test_reassigning_a_case_in_the_admin_saves_only_the_caseworker(client, worker, monkeypatch):
    from recovery.cases.admin import RecoveryCaseAdmin

    case = walk_to_cpl(f.case(), worker)
    data = _change_form(client, case)
    other = f.caseworker()
    data["caseworker"] = str(other.pk)
    original = RecoveryCaseAdmin.get_object
    days = iter(range(5, 30))

    def get_object_then_a_step_happens(self, request, object_id, from_field=None):
        obj = original(self, request, object_id, from_field)
        if request.method == "POST":  # each time, a step records a date just after the admin loaded the row
            RecoveryCase.objects.filter(pk=case.pk).update(response_date=date(2023, 3, next(days)))
        return obj

    monkeypatch.setattr(RecoveryCaseAdmin, "get_object", get_object_then_a_step_happens)
    response = client.post(change_url(case), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.caseworker == other
    assert case.response_date == date(2023, 3, 6)  # the latest step's date, not the stale row's
