"""The case list's search (issue 10, issue 12 item 5): accent-insensitive names, payer names, claim numbers,
attorneys, explicit prefixes — each finds exactly its cases, and each costs the same queries with 3 or 15
cases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beneficiaries.models import Authorisation, Beneficiary
from beneficiaries.names import fold
from recovery import list_pages
from recovery.cases.tracks import Track
from recovery.models import RecoveryCase
from tests import factories as f
from tests.api.conftest import authorise, external_user

pytestmark = pytest.mark.django_db
CASES = reverse("admin:recovery_recoverycase_changelist")


def found(term):
    return set(list_pages.case_search(RecoveryCase.objects.all(), term))


@pytest.fixture
def book():
    """Łukasz Żółć (liability, payer Hartford Mutual, claim ICN-77A1), Zoë Brontë (no-fault), and a plan
    case of Lukas Novak whose debtor is Grüne Versicherung, represented by attorney Saul Goodwin of
    Goodwin & Partners (a verified POR)."""
    from types import SimpleNamespace

    b = SimpleNamespace()
    b.staff = f.supervisor("searchboss")
    hartford = f.payer(name="Hartford Mutual")
    b.lukasz = f.case(occurrence=f.occurrence(f.beneficiary(first_name="Łukasz", last_name="Żółć"), payer=hartford))
    f.claim(b.lukasz, claim_number="ICN-77A1")
    b.zoe = f.case(occurrence=f.occurrence(f.beneficiary(first_name="Zoë", last_name="Brontë")))
    f.claim(b.zoe, claim_number="202612345678")
    grune = f.payer(name="Grüne Versicherung")
    b.lukas = f.case(Track.PLAN, occurrence=f.occurrence(f.beneficiary(first_name="Lukas", last_name="Novak"),
                                                         payer=grune, orm=True))
    b.saul = external_user("sgoodwin")
    b.saul.first_name, b.saul.last_name = "Saul", "Goodwin"
    b.saul.save()
    b.saul.external_profile.organisation = "Goodwin & Partners"
    b.saul.external_profile.save()
    authorise(b.saul, Authorisation.Kind.POR, verifier=b.staff, case=b.lukas)
    return b


def test_fold_removes_accents_and_case():
    assert fold("  Łukasz  Żółć ") == "LUKASZ ZOLC"
    assert fold("Zoë Brontë-Ørsted") == "ZOE BRONTE-ORSTED"
    assert fold("Straße Æsir") == "STRASSE AESIR"


def test_the_folded_name_is_kept_on_create_save_and_bulk_create(book):
    bene = book.lukasz.beneficiary
    assert bene.search_name == "LUKASZ ZOLC"
    bene.last_name = "Wąsik"
    bene.save(update_fields=["last_name"])
    assert Beneficiary.objects.get(pk=bene.pk).search_name == "LUKASZ WASIK"
    [made] = Beneficiary.objects.bulk_create([Beneficiary(
        mbi=f.mbi(), first_name="Émile", last_name="Noël", date_of_birth=bene.date_of_birth, address_line1="1 A St",
        city="X", state="NY", zip_code="10001", entitlement_basis="age", entitlement_start=bene.entitlement_start)])
    assert Beneficiary.objects.get(mbi=made.mbi).search_name == "EMILE NOEL"


@pytest.mark.parametrize("term", ["Łukasz", "Lukasz", "lukasz", "LUKASZ ZOLC", "żółć", "zolc", "kasz"])
def test_a_name_with_or_without_its_accents(book, term):
    assert found(term) == {book.lukasz}


def test_a_name_finds_every_word_anywhere(book):
    assert found("Zoe") == {book.zoe} == found("Zoë") == found("bronte zoë")
    assert found("luka") == {book.lukasz, book.lukas}  # Łukasz and Lukas
    assert found("zoe lukasz") == set()  # no beneficiary has both words: then payers, attorneys: none


def test_a_payer_name_when_no_beneficiary_has_it(book):
    assert found("Hartford") == {book.lukasz}  # the reporting payer (beneficiary track: no debtor)
    assert found("grüne") == {book.lukas}  # the debtor of a plan case (and its reporter)
    assert found("payer:mutual") == {book.lukasz}


def test_a_claim_number_as_typed_or_in_upper_case(book):
    assert found("ICN-77A1") == {book.lukasz} == found("icn-77a1") == found("claim: icn-77a1")
    assert found("202612345678") == {book.zoe}  # digits: no case number starts so, a claim number does
    assert found("ICN-77A") == set()  # exactly


def test_an_attorney_by_name_firm_or_user_name(book):
    for term in ("Goodwin", "saul goodwin", "partners", "sgoodwin", "attorney:saul"):
        assert found(term) == {book.lukas}, term


def test_a_pending_authorisation_counts_and_staff_are_not_attorneys(book):
    other = external_user("newrep")
    authorise(other, Authorisation.Kind.POR, verifier=book.staff, case=book.zoe, verified=False)
    assert found("attorney:newrep") == {book.zoe}
    assert found("attorney:searchboss") == set()


def test_the_prefixes_say_what_the_term_is(book):
    assert found(f"case:{book.zoe.number}") == {book.zoe}
    assert found(f"mbi:{book.zoe.beneficiary.mbi_display}") == {book.zoe}
    assert found("name:hartford") == set()  # no beneficiary so named; a prefix does not fall back
    assert found("attorney:hartford") == set()


def test_case_number_and_mbi_still_first(book):
    assert found(book.lukasz.number) == {book.lukasz}
    assert found(book.lukasz.number[:-3]) >= {book.lukasz}
    assert found(book.lukasz.beneficiary.mbi.lower()) == {book.lukasz}


def test_a_common_name_stops_at_the_cap(book, monkeypatch):
    for i in range(4):
        f.case(occurrence=f.occurrence(f.beneficiary(first_name="Ana", last_name="Silva")))
    monkeypatch.setattr(list_pages, "NAME_CAP", 2)
    assert len(found("silva")) == 2


def test_the_case_list_says_when_a_name_stopped_at_the_cap(client, book, monkeypatch):
    for i in range(3):
        f.case(occurrence=f.occurrence(f.beneficiary(first_name="Ana", last_name="Silva")))
    client.force_login(book.staff)
    monkeypatch.setattr(list_pages, "NAME_CAP", 3)
    assert "people have this name" not in client.get(CASES + "?q=silva").content.decode()  # exactly 3: all shown
    monkeypatch.setattr(list_pages, "NAME_CAP", 2)
    page = client.get(CASES + "?q=silva").content.decode()
    assert "More than 2 people have this name: the list shows the cases of the first 2." in page
    assert "people have this name" not in client.get(CASES + "?q=name:lukasz").content.decode()


def queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as q:
        response = client.get(url)
    assert response.status_code == 200
    return len(q.captured_queries)


@pytest.mark.parametrize("term", ["Lukasz", "Hartford", "ICN-77A1", "Goodwin", "payer:mutual", "202612345678"])
def test_each_search_kind_costs_the_same_queries_with_few_or_many_cases(client, book, term):
    client.force_login(book.staff)
    few = queries(client, f"{CASES}?q={term}")
    hartford = book.lukasz.occurrence.payer
    for i in range(4):
        c = f.case(occurrence=f.occurrence(f.beneficiary(first_name="Lukasz", last_name=f"Kowalski{i}"), payer=hartford))
        f.claim(c)
        authorise(book.saul, Authorisation.Kind.POR, verifier=book.staff, case=c)
    assert queries(client, f"{CASES}?q={term}") == few
