"""The case list (SPEC §8, §10): filters, search, pages, a constant number of queries, the audit of what
was shown; and how money and dates look in JSON (SPEC §5: strings with two decimals, never floats)."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recovery.audit_models import AuditEvent
from recovery.models import RecoveryCase
from tests import factories

from .conftest import client_for, cpl_case

pytestmark = pytest.mark.django_db
MONEY = re.compile(r"^-?\d+\.\d{2}$")


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- filters and search -------------------------------------------------------------------------


def test_filter_by_track_and_state(world):
    client = client_for(world.caseworker)
    assert ids(client.get("/api/cases/?track=plan")) == {world.plan.pk}
    assert ids(client.get("/api/cases/?state=cpl_issued")) == {world.main.pk, world.other.pk}
    assert ids(client.get("/api/cases/?state=cpl_issued&state=demand_issued")) == {
        world.main.pk, world.other.pk, world.debt.pk}


def test_filter_by_caseworker(world):
    client = client_for(world.caseworker)
    assert ids(client.get(f"/api/cases/?caseworker={world.supervisor.pk}")) == {world.other.pk}


def test_filter_by_next_due_date_range_and_overdue(world):
    today = timezone.localdate()
    RecoveryCase.objects.filter(pk=world.main.pk).update(next_due_date=today - timedelta(days=2))
    RecoveryCase.objects.filter(pk=world.other.pk).update(next_due_date=today + timedelta(days=3))
    RecoveryCase.objects.filter(pk=world.plan.pk).update(next_due_date=today + timedelta(days=40))
    client = client_for(world.caseworker)
    assert ids(client.get("/api/cases/?overdue=true")) == {world.main.pk}
    assert world.main.pk not in ids(client.get("/api/cases/?overdue=false"))
    week = (today + timedelta(days=7)).isoformat()
    assert ids(client.get(f"/api/cases/?next_due_date_after={today.isoformat()}&next_due_date_before={week}")) == {
        world.other.pk}
    body = client.get(f"/api/cases/{world.main.pk}/").json()
    assert body["overdue"] is True


def test_filters_narrow_what_the_persona_sees_never_widen_it(world):
    client = client_for(world.por)
    assert ids(client.get("/api/cases/?track=plan")) == set()
    assert ids(client.get(f"/api/cases/?search={world.other.number}")) == set()
    assert ids(client.get(f"/api/cases/?caseworker={world.supervisor.pk}")) == set()


def test_search_by_case_number_or_its_start(world):
    client = client_for(world.caseworker)
    assert ids(client.get(f"/api/cases/?search={world.plan.number}")) == {world.plan.pk}
    assert ids(client.get("/api/cases/?search=3")) == {world.plan.pk}
    assert ids(client.get("/api/cases/?search=2")) == {world.main.pk, world.debt.pk, world.other.pk}
    dashed = f"{world.main.number[:5]}-{world.main.number[5:]}"
    assert ids(client.get(f"/api/cases/?search={dashed}")) == {world.main.pk}
    assert ids(client.get("/api/cases/?search=Lovelace")) == set()
    assert ids(client.get(f"/api/cases/?number={world.debt.number}")) == {world.debt.pk}


@pytest.mark.parametrize("query, field", [
    ("track=spaceship", "track"),
    ("state=nowhere", "state"),
    ("caseworker=abc", "caseworker"),
    ("next_due_date_after=yesterday", "next_due_date"),
    ("overdue=maybe", "overdue"),
    ("ordering=beneficiary__mbi", "ordering"),
])
def test_a_bad_filter_is_400_naming_it(world, query, field):
    response = client_for(world.caseworker).get(f"/api/cases/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_ordering_and_pages(world):
    client = client_for(world.caseworker)
    numbers = [r["number"] for r in client.get("/api/cases/?ordering=number").json()["results"]]
    assert numbers == sorted(numbers)
    body = client.get("/api/cases/").json()
    assert (body["count"], body["next"], body["previous"]) == (4, None, None)
    assert client.get("/api/cases/?page=2").status_code == 404


# --- a constant number of queries per page ----------------------------------------------------------


def list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/cases/")
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize("persona", ["caseworker", "por", "insurer"])
def test_the_list_takes_the_same_number_of_queries_whatever_the_rows(world, persona):
    user = world.users[persona]
    client = client_for(user)
    list_queries(client)  # warm: permissions cache, content types
    before, rows_before = list_queries(client)
    from beneficiaries.models import Authorisation

    from .conftest import authorise

    for _ in range(6):  # more cases this persona sees, each with its own beneficiary and caseworker
        case = cpl_case(factories.caseworker())
        if persona == "por":
            authorise(user, Authorisation.Kind.POR, verifier=world.caseworker, case=case)
        if persona == "insurer":
            case.debtor_payer = world.insurer_payer
            RecoveryCase.objects.filter(pk=case.pk).update(debtor_payer=world.insurer_payer)
    after, rows_after = list_queries(client)
    assert rows_after == rows_before + 6
    assert after == before


# --- audit ---------------------------------------------------------------------------------------------


def test_the_list_is_audited_with_the_ids_it_showed_and_no_personal_data(world):
    client_for(world.por).get("/api/cases/")
    event = AuditEvent.objects.get(action="list")
    assert (event.username, event.channel, event.object_type, event.outcome) == (
        "por", "api", "recovery.RecoveryCase", "ok")
    assert sorted(event.object_ids) == sorted([world.main.pk, world.debt.pk])
    row = json.dumps(AuditEvent.objects.filter(pk=event.pk).values().get(), default=str)
    for personal in ("Lovelace", world.bene_a.mbi, world.bene_a.mbi_display, "1333.33"):
        assert personal not in row


def test_reads_of_a_case_and_its_parts_are_audited(world):
    client = client_for(world.ctr)
    client.get(f"/api/cases/{world.main.pk}/")
    client.get(f"/api/cases/{world.main.pk}/claims/")
    client.get(f"/api/cases/{world.debt.pk}/ledger/")
    events = list(AuditEvent.objects.order_by("id").values_list("action", "object_id", "detail", "username"))
    assert events == [("view", str(world.main.pk), "", "ctr"), ("view", str(world.main.pk), "claims", "ctr"),
                      ("view", str(world.debt.pk), "ledger", "ctr")]
    claims = AuditEvent.objects.get(detail="claims")
    assert sorted(claims.object_ids) == sorted(world.main.claims.values_list("pk", flat=True))


def test_an_anonymous_request_leaves_no_audit_row_and_no_data(world):
    response = client_for(None).get(f"/api/cases/{world.main.pk}/")
    assert response.status_code == 401
    assert "Lovelace" not in response.content.decode()
    assert not AuditEvent.objects.exists()


# --- money and dates ------------------------------------------------------------------------------


def walk_money(value, path=""):
    """Every value under a key that holds money, anywhere in a JSON document."""
    money_keys = {"amount", "amount_paid", "demand_amount", "principal", "interest", "total", "refund_owed", "base",
                  "gross_amount", "attorney_fees", "other_costs", "procurement_costs"}
    if isinstance(value, dict):
        for key, item in value.items():
            if key in money_keys and item is not None:
                yield f"{path}.{key}", item
            yield from walk_money(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk_money(item, f"{path}[{i}]")


def test_money_is_a_string_with_two_decimals_everywhere(world):
    client = client_for(world.caseworker)
    documents = [client.get(path).json() for path in (
        "/api/cases/", f"/api/cases/{world.debt.pk}/", f"/api/cases/{world.debt.pk}/claims/",
        f"/api/cases/{world.debt.pk}/letters/", f"/api/cases/{world.debt.pk}/ledger/")]
    found = [item for doc in documents for item in walk_money(doc)]
    assert len(found) > 10
    for path, value in found:
        assert isinstance(value, str) and MONEY.match(value), (path, value)
    # and never a JSON number, even where an amount is whole
    raw = client.get(f"/api/cases/{world.debt.pk}/").content.decode()
    assert '"demand_amount":"1333.33"' in raw.replace(" ", "")
    payment = client.post(f"/api/cases/{world.debt.pk}/payments/",
                          {"amount": "33.3", "received_on": timezone.localdate().isoformat()}, format="json").json()
    assert (payment["amount"], payment["balance"]["principal"]) == ("33.30", "1300.03")


@pytest.mark.parametrize("amount", [0.1, 100, "1e2", " 1,000.00", "0x10", "١٢٣.٠٠"])
def test_an_amount_must_be_a_string_of_dollars_and_cents_never_a_json_number(world, amount):
    """A JSON number would reach us as a float (0.1 + 0.2 = 0.30000000000000004): refused, naming the field."""
    response = client_for(world.caseworker).post(f"/api/cases/{world.debt.pk}/payments/",
                                                 {"amount": amount, "received_on": timezone.localdate().isoformat()},
                                                 format="json")
    assert response.status_code == 400 and list(response.json()) == ["amount"]
    assert "dollars and cents" in response.json()["amount"][0]
    assert not world.debt.debt.events.exists()


def test_an_amount_string_is_taken_exactly(world):
    response = client_for(world.caseworker).post(f"/api/cases/{world.debt.pk}/payments/",
                                                 {"amount": "0.1", "received_on": timezone.localdate().isoformat()},
                                                 format="json")
    assert response.status_code == 201
    assert world.debt.debt.events.get().amount == Decimal("0.10")


def test_dates_are_iso(world):
    body = client_for(world.caseworker).get(f"/api/cases/{world.debt.pk}/").json()
    for key in ("opened_on", "demand_date", "cpl_date", "rar_date", "termination_date", "incident_date"):
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", body[key]), key
