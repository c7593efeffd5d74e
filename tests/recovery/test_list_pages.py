"""The list pages at scale (issue 10): the same rows as before, a constant number of queries whatever the
number of cases, search by shape (case number, MBI with or without dashes, names), the capped paginator."""

from datetime import timedelta

import pytest
from django.contrib import admin as django_admin
from django.contrib.admin import ModelAdmin
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beneficiaries.models import Authorisation
from recovery.access import checks as access
from recovery import list_pages, pagination
from recovery.cases import services
from recovery.audit_models import AuditEvent
from recovery.models import RecoveryCase
from recovery.cases.tracks import Track
from tests import factories as f
from tests.api.conftest import authorise, external_user

pytestmark = pytest.mark.django_db
CASES = reverse("admin:recovery_recoverycase_changelist")
QUEUE = reverse("admin:recovery_recoverycase_queue")


@pytest.fixture
def boss(client):
    user = f.supervisor("boss")
    client.force_login(user)
    return user


def make_cases(n, *, caseworker=None, due_in=-3, **kw):
    out = []
    for i in range(n):
        c = f.case(caseworker=caseworker, **kw)
        RecoveryCase.objects.filter(pk=c.pk).update(next_due_date=services.today() + timedelta(days=due_in + i % 3))
        out.append(c)
    return out


def queries(client, url):
    """The queries of one GET (after one more, so that the session's once-a-minute renewal is not counted)."""
    client.get(url)
    with CaptureQueriesContext(connection) as q:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(q.captured_queries)


# --- constant query counts ---------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["", "?overdue=yes", "?state__exact=reported", "?track__exact=beneficiary",
                                   "?q=Nowak", "?q=2", "?o=9.1"])
def test_the_admin_case_list_costs_the_same_queries_with_3_or_15_cases(client, boss, query):
    cw = f.caseworker("cw")
    make_cases(3, caseworker=cw)
    few = queries(client, CASES + query)
    make_cases(12, caseworker=cw)
    assert queries(client, CASES + query) == few


def test_the_admin_case_list_by_caseworker_costs_the_same_queries_with_3_or_15_cases(client, boss):
    cw = f.caseworker("cw")
    make_cases(3, caseworker=cw)
    url = f"{CASES}?caseworker__id__exact={cw.pk}"
    few = queries(client, url)
    make_cases(12, caseworker=cw)
    make_cases(2, caseworker=f.caseworker("other"))
    assert queries(client, url) == few


@pytest.mark.parametrize("who", ["mine", "all"])
def test_the_worklist_costs_the_same_queries_with_few_or_many_items_in_every_bucket(client, who):
    """Clock buckets, authorisations to verify (with their case's caseworker), unassigned cases: one page
    of each with its joins, whatever the number of items."""
    cw = f.caseworker("cw")
    staff = f.supervisor("verifier")
    client.force_login(cw)

    def more(n):
        for i in range(n):
            make_cases(1, caseworker=cw, due_in=-3 + i % 12)
            case = f.case(caseworker=cw)
            authorise(external_user(f"rep{cw.pk}-{case.pk}"), Authorisation.Kind.POR, verifier=staff, case=case,
                      verified=False)
        make_cases(n, caseworker=None)

    more(1)
    url = reverse("admin:worklist") + f"?who={who}"
    few = queries(client, url)
    more(6)
    assert queries(client, url) == few
    response = client.get(url)
    counts = {b.key: b.count for b in response.context["buckets"]}
    assert counts["authorisations"] == 7 and counts["unassigned"] == 7


def test_the_old_work_queue_address_sends_to_the_worklist(client):
    client.force_login(f.caseworker("cw"))
    assert client.get(QUEUE)["Location"] == reverse("admin:worklist")


def test_the_api_case_list_costs_the_same_queries_and_counts_exactly(client, boss, django_assert_max_num_queries):
    make_cases(3)
    few = queries(client, "/api/cases/")
    make_cases(60)
    with django_assert_max_num_queries(few):
        body = client.get("/api/cases/?page=2").json()
    assert body["count"] == 63 and len(body["results"]) == 13
    every = [r["id"] for p in (1, 2) for r in client.get(f"/api/cases/?page={p}").json()["results"]]
    assert every == list(RecoveryCase.objects.order_by("-opened_on", "-id").values_list("pk", flat=True))


def test_the_portal_list_costs_the_same_queries_for_an_insurer_with_2_or_8_cases(client, django_assert_max_num_queries):
    staff = f.supervisor()
    insurer = f.payer()
    contact = external_user("ins", kind="insurer_contact", payer=insurer)
    authorise(contact, Authorisation.Kind.LOA, verifier=staff, payer=insurer)
    for _ in range(2):
        f.case(Track.PLAN, occurrence=f.occurrence(payer=insurer, orm=True))
    client.force_login(contact)
    few = queries(client, reverse("portal:cases"))
    for _ in range(6):
        f.case(Track.PLAN, occurrence=f.occurrence(payer=insurer, orm=True))
    with django_assert_max_num_queries(few):
        response = client.get(reverse("portal:cases"))
    assert len(response.context["rows"]) == 8


# --- the same rows as before ------------------------------------------------------------------------

def old_external_q(user):
    """cases_for before issue 10: an OR of four IN-subqueries over joined tables, then DISTINCT."""
    from django.utils import timezone

    A = Authorisation
    auths = Authorisation.objects.filter(holder=user, status=A.Status.VERIFIED)
    return (Q(pk__in=auths.filter(kind=A.Kind.POR).values("case_id"))
            | Q(pk__in=auths.filter(kind=A.Kind.CTR, ctr_end_date__gte=timezone.localdate()).values("case_id"))
            | Q(debtor_payer_id__in=auths.filter(kind=A.Kind.LOA).values("payer_id"))
            | Q(occurrence__payer_id__in=auths.filter(kind=A.Kind.LOA).values("payer_id")))


def test_cases_for_finds_the_same_cases_as_the_or_of_joins_did():
    staff = f.supervisor()
    today = services.today()
    insurer, other = f.payer(), f.payer()
    debtor_case = f.case(Track.PLAN, occurrence=f.occurrence(payer=insurer, orm=True))
    reported = f.case(Track.BENEFICIARY, occurrence=f.occurrence(payer=insurer))
    unrelated = f.case(Track.PLAN, occurrence=f.occurrence(payer=other, orm=True))
    por, ctr, expired, pending = f.case(), f.case(), f.case(), f.case()
    atty = external_user("atty")
    authorise(atty, "por", verifier=staff, case=por)
    authorise(atty, "ctr", verifier=staff, case=ctr, ctr_end_date=today + timedelta(days=5))
    authorise(atty, "ctr", verifier=staff, case=expired, ctr_end_date=today - timedelta(days=1))
    authorise(atty, "por", verifier=staff, case=pending, verified=False)
    contact = external_user("ins", kind="insurer_contact", payer=insurer)
    authorise(contact, "loa", verifier=staff, payer=insurer)
    authorise(contact, "por", verifier=staff, case=reported)  # the same case twice: listed once
    for user, expected in [(atty, {por, ctr}), (contact, {debtor_case, reported})]:
        now = list(access.cases_for(user).order_by("-opened_on", "-id"))
        before = list(RecoveryCase.objects.filter(old_external_q(user)).distinct().order_by("-opened_on", "-id"))
        assert now == before and set(now) == expected
    assert unrelated not in access.cases_for(contact)
    assert set(access.cases_for(staff)) == set(RecoveryCase.objects.all())
    assert not access.cases_for(external_user("nobody")).exists()


# --- search ------------------------------------------------------------------------------------------

def default_search(term):
    """What Django's own admin search (the search_fields, icontains) found before issue 10."""
    model_admin = django_admin.site._registry[RecoveryCase]
    request = RequestFactory().get("/")
    qs, _ = ModelAdmin.get_search_results(model_admin, request, RecoveryCase.objects.all(), term)
    return set(qs.distinct())


@pytest.fixture
def people():
    ana = f.case(occurrence=f.occurrence(f.beneficiary(first_name="Ana", last_name="García-López")))
    bo = f.case(occurrence=f.occurrence(f.beneficiary(first_name="Bo", last_name="Anand")))
    cy = f.case(Track.PLAN, occurrence=f.occurrence(f.beneficiary(first_name="Cy", last_name="Young"), orm=True))
    return ana, bo, cy


def test_search_by_the_whole_case_number_or_its_start(people):
    ana, bo, cy = people
    qs = RecoveryCase.objects.all()
    assert set(list_pages.case_search(qs, ana.number)) == {ana} == default_search(ana.number)
    assert set(list_pages.case_search(qs, f" {ana.number[:5]}-{ana.number[5:]} ")) == {ana}
    assert set(list_pages.case_search(qs, "2")) == {ana, bo}
    assert set(list_pages.case_search(qs, "3")) == {cy}
    assert set(list_pages.case_search(qs, "4")) == set()


def test_search_by_mbi_with_or_without_dashes_in_any_case(people):
    ana, bo, _ = people
    mbi = ana.beneficiary.mbi
    dashed = ana.beneficiary.mbi_display
    qs = RecoveryCase.objects.all()
    for term in (mbi, dashed, dashed.lower(), mbi.lower()):
        assert set(list_pages.case_search(qs, term)) == {ana}, term
    assert default_search(mbi) == {ana}


@pytest.mark.parametrize("term, names", [
    ("ana", {"Ana", "Bo"}),  # Ana García-López, Bo Anand (Django's icontains: anywhere in a name)
    ("garcía", {"Ana"}), ("GARC", {"Ana"}), ("lóp", {"Ana"}), ("ana anand", {"Bo"}), ("Young", {"Cy"}), ("zed", set()),
])
def test_search_by_name_finds_what_the_admin_search_found(people, term, names):
    found = list_pages.case_search(RecoveryCase.objects.all(), term)
    assert {c.beneficiary.first_name for c in found} == names
    assert set(found) == default_search(term)


def test_the_admin_search_box_uses_it(client, boss, people):
    ana, _, _ = people
    response = client.get(CASES, {"q": ana.beneficiary.mbi_display})
    assert [c.pk for c in response.context["cl"].result_list] == [ana.pk]


def test_the_caseworker_filter_offers_the_staff_with_cases(client, boss):
    busy, idle = f.caseworker("busy"), f.caseworker("idle")
    make_cases(2, caseworker=busy)
    assert list(list_pages.caseworkers()) == [busy]
    response = client.get(CASES)
    choices = [spec for spec in response.context["cl"].filter_specs
               if getattr(spec, "field_path", "") == "caseworker"][0]
    assert [label for _, label in choices.lookup_choices] == ["busy"]
    assert idle not in list_pages.caseworkers()


# --- the paginator -----------------------------------------------------------------------------------

def test_fast_pages_hold_the_same_rows_as_django_pages():
    make_cases(7)
    qs = RecoveryCase.objects.select_related("beneficiary").order_by("-opened_on", "-id")
    fast, plain = pagination.FastPaginator(qs, 3), Paginator(qs, 3)
    assert fast.count == plain.count == 7 and fast.num_pages == 3
    for n in (1, 2, 3):
        assert list(fast.page(n)) == list(plain.page(n))
    with CaptureQueriesContext(connection) as q:
        rows = list(fast.page(2))
        [r.beneficiary.last_name for r in rows]
    assert len(q.captured_queries) == 2  # the page's ids, then its rows with their beneficiaries


def test_a_fast_page_loads_only_the_columns_the_list_asked_for():
    make_cases(4)
    # (a case always reads its state when it is built: the state machine keeps the state it was loaded in)
    qs = RecoveryCase.objects.select_related("beneficiary").only("number", "state", "beneficiary__last_name")
    qs = qs.order_by("-id")
    paginator = pagination.FastPaginator(qs, 2)
    assert paginator.count == 4
    with CaptureQueriesContext(connection) as q:
        rows = list(paginator.page(1))
        [(r.number, r.beneficiary.last_name) for r in rows]
    assert len(q.captured_queries) == 2  # the page's ids, its rows
    sql = q.captured_queries[1]["sql"]
    assert '"last_name"' in sql and '"opened_on"' not in sql and '"first_name"' not in sql
    assert [r.number for r in rows] == list(qs.values_list("number", flat=True)[:2])


def test_a_filtered_count_stops_at_the_cap(monkeypatch):
    make_cases(5)
    monkeypatch.setattr(pagination.FastPaginator, "cap", 3)
    assert pagination.FastPaginator(RecoveryCase.objects.filter(track=Track.BENEFICIARY), 2).count == 4
    assert pagination.FastPaginator(RecoveryCase.objects.all(), 2).count == 5  # unfiltered, small: exact


def test_the_caseworker_filter_links_are_djangos_links(client, boss):
    """The caseworker choices build one query string and put each id in it: the same links Django builds
    one by one, with another filter and a search kept, and the chosen one marked."""
    people = [f.caseworker(f"cw{i}") for i in range(3)]
    for p in people:
        make_cases(1, caseworker=p)
    chosen = people[1]
    response = client.get(CASES, {"state__exact": "reported", "q": "a b", "caseworker__id__exact": chosen.pk})
    cl = response.context["cl"]
    spec = [s for s in cl.filter_specs if getattr(s, "field_path", "") == "caseworker"][0]
    ours = list(spec.choices(cl))
    djangos = list(django_admin.RelatedFieldListFilter.choices(spec, cl))
    assert ours == djangos
    assert [c["display"] for c in ours if c["selected"]] == [chosen.username]
    assert len(ours) == len(people) + 1 + (1 if spec.include_empty_choice else 0)


def test_a_name_search_reads_the_names_once(client, boss):
    """The beneficiaries so named are found once per page (their ids), not again for the count and the page."""
    make_cases(3)
    client.get(CASES, {"q": "name:Nowak"})
    with CaptureQueriesContext(connection) as q:
        response = client.get(CASES, {"q": "Nowak"})
    assert response.status_code == 200
    assert sum("search_name" in x["sql"] and "LIKE" in x["sql"] for x in q.captured_queries) == 1
