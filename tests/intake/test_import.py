"""Bulk intake (issue 13 item 1): good rows in, bad rows reported by line and field, a second run
changes nothing; the Section 111 TPOC path; claims added to an open case."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from payers.models import MSPOccurrence
from recovery.intake.services import errors_csv, run_intake
from recovery.models import CaseEvent, Claim, Letter, RecoveryCase, Settlement
from recovery.cases.services import case_act, today
from recovery.cases.tracks import State
from tests import factories as f

pytestmark = pytest.mark.django_db

CASE_HEADER = ("case_number,mbi,first_name,last_name,date_of_birth,payer_name,payer_type,coverage_type,injury_kind,"
               "incident_date,orm_indicator,orm_end_date,tpoc_date,tpoc_amount")
CLAIM_HEADER = ("case_number,mbi,incident_date,claim_number,provider_name,provider_npi,service_from,service_to,"
                "diagnosis_codes,amount_paid,paid_date")


def _csv(header, rows):
    return "\n".join([header, *(",".join(str(v) for v in row) for row in rows)]) + "\n"


@pytest.fixture
def world():
    actor = f.user(superuser=True)
    acme = f.payer(name="Acme Casualty")
    benes = [f.beneficiary(first_name="Ann", last_name=f"Lee{i}") for i in range(4)]
    return actor, acme, benes


def _case_row(b, payer="Acme Casualty", incident="2024-01-10", tpoc="", amount="", number="", orm="N", **kw):
    row = dict(case_number=number, mbi=b.mbi_display, first_name=b.first_name, last_name=b.last_name,
               date_of_birth=b.date_of_birth.isoformat(), payer_name=payer, payer_type="liability",
               coverage_type="liability", injury_kind="trauma", incident_date=incident, orm_indicator=orm,
               orm_end_date="", tpoc_date=tpoc, tpoc_amount=amount)
    row.update(kw)
    return list(row.values())


def _claim_row(b, number, incident="2024-01-10", frm="2024-01-10", to="2024-01-12", amount="100.00", **kw):
    row = dict(case_number="", mbi=b.mbi, incident_date=incident, claim_number=number,
               provider_name="Albany Medical Center", provider_npi="1234567893", service_from=frm, service_to=to,
               diagnosis_codes="S82.101A", amount_paid=amount, paid_date="")
    row.update(kw)
    return list(row.values())


def _snapshot():
    return (RecoveryCase.objects.count(), Claim.objects.count(), MSPOccurrence.objects.count(),
            CaseEvent.objects.count(), Letter.objects.count(), Settlement.objects.count())


def test_good_rows_in_bad_rows_reported_second_run_changes_nothing(world):
    actor, acme, (b1, b2, b3, b4) = world
    cases = _csv(CASE_HEADER, [
        _case_row(b1),                                   # line 2: good, 2 claims
        _case_row(b2, mbi="1EG4-TE5-MK7S"),              # line 3: malformed MBI
        _case_row(b3, payer="Nobody Mutual"),            # line 4: unknown payer
        _case_row(b4, tpoc_amount="12.345"),             # line 5: sub-cent amount
        _case_row(b4, incident="2024-02-01"),            # line 6: good, but one claim is outside the period
        _case_row(b2, incident="2024-03-01", date_of_birth="1940-01-01"),  # line 7: DOB does not match
    ])
    claims = _csv(CLAIM_HEADER, [
        _claim_row(b1, "A1"),                                            # line 2
        _claim_row(b1, "A2", amount="250.50"),                           # line 3
        _claim_row(b4, "B1", incident="2024-02-01", frm="2024-02-02", to="2024-02-03"),  # line 4
        _claim_row(b4, "B2", incident="2024-02-01", frm="2024-01-20", to="2024-02-03"),  # line 5: before incident
        _claim_row(b1, "A3", amount="-5.00"),                            # line 6: negative
    ])
    out = run_intake(cases_text=cases, claims_text=claims, actor=actor)
    got = {(e.file, e.line, e.field) for e in out.errors if not e.reason.startswith("Not imported")}
    assert got == {("cases", 3, "mbi"), ("cases", 4, "payer_name"), ("cases", 5, "tpoc_amount"),
                   ("claims", 5, "service_from"), ("claims", 6, "amount_paid"), ("cases", 7, "date_of_birth")}
    # The whole record of a bad row stays out: b1's case (claim line 6 bad) and b4's (claim line 5 bad).
    not_imported = {(e.file, e.line) for e in out.errors if e.reason.startswith("Not imported")}
    assert not_imported == {("cases", 2), ("claims", 2), ("claims", 3), ("cases", 6), ("claims", 4)}
    assert (out.created, out.rejected) == (0, 6)
    assert RecoveryCase.objects.count() == 0 and MSPOccurrence.objects.count() == 0

    # Fix the two claims: exactly the good records go in.
    claims = _csv(CLAIM_HEADER, [
        _claim_row(b1, "A1"), _claim_row(b1, "A2", amount="250.50"),
        _claim_row(b4, "B1", incident="2024-02-01", frm="2024-02-02", to="2024-02-03"),
    ])
    out = run_intake(cases_text=cases, claims_text=claims, actor=actor)
    assert (out.created, out.updated, out.unchanged, out.rejected, out.claims_added) == (2, 0, 0, 4, 3)
    case1 = RecoveryCase.objects.get(beneficiary=b1)
    assert case1.state == State.REPORTED and case1.incident_date == date(2024, 1, 10)
    assert sorted(case1.claims.values_list("claim_number", "amount_paid")) == [
        ("A1", Decimal("100.00")), ("A2", Decimal("250.50"))]
    assert case1.occurrence.payer == acme
    report = errors_csv(out.errors)
    assert report.splitlines()[0] == "file,line,field,reason,record"
    assert "cases,4,payer_name,Unknown payer 'Nobody Mutual'" in report

    before = _snapshot()
    again = run_intake(cases_text=cases, claims_text=claims, actor=actor)
    assert (again.created, again.updated, again.unchanged, again.claims_added) == (0, 0, 2, 0)
    assert _snapshot() == before


def test_dry_run_changes_nothing_and_says_what_would(world):
    actor, _, (b1, *_rest) = world
    cases = _csv(CASE_HEADER, [_case_row(b1)])
    claims = _csv(CLAIM_HEADER, [_claim_row(b1, "A1")])
    before = _snapshot()
    out = run_intake(cases_text=cases, claims_text=claims, actor=actor, dry_run=True)
    assert (out.created, out.claims_added) == (1, 1)
    assert _snapshot() == before


def test_tpoc_for_a_case_in_cpl_issued_takes_the_cpn_path(world):
    """SPEC §3.1: from cpl_issued, a settlement learned of through a Section 111 report leads to a CPN."""
    actor, acme, (b1, *_rest) = world
    on = today()
    occ = f.occurrence(b1, payer=acme, incident_date=on - timedelta(days=200))
    case = f.case(occurrence=occ, opened_on=on - timedelta(days=190), actor=actor)
    f.claim(case, claim_number="OLD1", service_from=occ.incident_date, service_to=occ.incident_date)
    for action in ("post_occurrence", "issue_rar", "issue_cpl"):
        case_act(case=case, action=action, actor=actor, on=on - timedelta(days=100))
    incident = occ.incident_date.isoformat()
    tpoc = (on - timedelta(days=10)).isoformat()
    cases = _csv(CASE_HEADER, [_case_row(b1, incident=incident, tpoc=tpoc, amount="25000.00")])
    claims = _csv(CLAIM_HEADER, [_claim_row(b1, "NEW1", incident=incident, frm=incident, to=incident, amount="80.00")])
    out = run_intake(cases_text=cases, claims_text=claims, actor=actor)
    assert (out.updated, out.cpns_issued, out.claims_added, out.errors) == (1, 1, 1, [])
    case.refresh_from_db()
    assert case.state == State.CPN_ISSUED and case.cpn_date == on
    assert case.termination_date == on - timedelta(days=10)
    assert case.settlement.source == Settlement.Source.SECTION_111
    assert case.settlement.gross_amount == Decimal("25000.00")
    assert case.letters.filter(kind=Letter.Kind.CPN).count() == 1
    event = case.events.get(action="intake_claims")
    assert "interim conditional payment total $1280.00" in event.reason  # 1200.00 + 80.00

    before = _snapshot()
    again = run_intake(cases_text=cases, claims_text=claims, actor=actor)
    assert (again.unchanged, again.cpns_issued) == (1, 0)
    assert _snapshot() == before


def test_new_case_with_tpoc_goes_reported_to_cpn(world):
    actor, _, (b1, *_rest) = world
    cases = _csv(CASE_HEADER, [_case_row(b1, tpoc="2024-05-01", amount="9000.00")])
    claims = _csv(CLAIM_HEADER, [_claim_row(b1, "A1", to="2024-05-02")])  # after the settlement: outside
    out = run_intake(cases_text=cases, claims_text=claims, actor=actor)
    assert [(e.file, e.line, e.field) for e in out.errors if e.field] == [("claims", 2, "service_to")]
    claims = _csv(CLAIM_HEADER, [_claim_row(b1, "A1", to="2024-05-01")])
    out = run_intake(cases_text=cases, claims_text=claims, actor=actor)
    assert (out.created, out.cpns_issued) == (1, 1)
    case = RecoveryCase.objects.get()
    assert case.state == State.CPN_ISSUED and case.termination_date == date(2024, 5, 1)


def test_claims_for_an_existing_case_by_number_and_an_unknown_number_refused(world):
    actor, acme, (b1, *_rest) = world
    case = f.case(occurrence=f.occurrence(b1, payer=acme), actor=actor)
    claims = _csv(CLAIM_HEADER, [
        _claim_row(b1, "X1", case_number=case.number, mbi="", incident="", frm="2023-01-10", to="2023-01-11"),
        _claim_row(b1, "X2", case_number="299999999999999", mbi="", incident=""),
    ])
    out = run_intake(cases_text=CASE_HEADER + "\n", claims_text=claims, actor=actor)
    assert out.claims_added == 1 and case.claims.get().claim_number == "X1"
    assert [(e.file, e.line, e.field) for e in out.errors] == [("claims", 3, "case_number")]


def test_bad_header_is_reported_and_nothing_read(world):
    actor, *_ = world
    out = run_intake(cases_text="mbi,name\n1EG4TE5MK73,x\n", actor=actor)
    assert out.total == 0 and {e.line for e in out.errors} == {1}
    assert "missing column(s)" in out.errors[0].reason


def test_command_imports_and_dry_runs(world, tmp_path):
    actor, _, (b1, *_rest) = world
    cases = tmp_path / "cases.csv"
    claims = tmp_path / "claims.csv"
    cases.write_text(_csv(CASE_HEADER, [_case_row(b1), _case_row(b1, incident="x")]))
    claims.write_text(_csv(CLAIM_HEADER, [_claim_row(b1, "A1")]))
    out, err = StringIO(), StringIO()
    call_command("import_intake", str(cases), "--claims", str(claims), "--dry-run", stdout=out, stderr=err)
    assert "1 would be created" in out.getvalue() and RecoveryCase.objects.count() == 0
    assert "cases,3,incident_date" in err.getvalue()
    call_command("import_intake", str(cases), "--claims", str(claims), stdout=out, stderr=err, verbosity=0)
    assert RecoveryCase.objects.count() == 1 and Claim.objects.count() == 1
