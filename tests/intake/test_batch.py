"""The set-based intake path (recovery.bulk_rows, intake services._open_new) writes exactly the rows the
per-record path (case_open and friends, full_clean, save) writes; a bad row in the middle of a chunk
keeps only its own record out; a re-import changes nothing; a database refusal in one record falls
back to per-record savepoints for its chunk, so the good records still land. Both databases."""

from django.db import connection, transaction

import pytest

from beneficiaries.models import Beneficiary
from payers.models import MSPOccurrence
from recovery.intake.services import run_intake
from recovery.models import CaseEvent, Claim, RecoveryCase
from tests import factories as f

from .test_import import CASE_HEADER, CLAIM_HEADER, _case_row, _claim_row, _csv

pytestmark = pytest.mark.django_db

_VOLATILE = {"id", "history_id", "history_date", "created_at", "updated_at", "at"}


class _Undo(Exception):
    pass


def _rows():
    """Every row the intake writes, with database keys replaced by natural keys and timestamps left out."""
    occ_key = {o.pk: (o.beneficiary_id, o.payer_id, o.incident_date) for o in MSPOccurrence.objects.all()}
    case_key = {c.pk: c.number for c in RecoveryCase.objects.all()}
    claim_key = {c.pk: (case_key[c.case_id], c.claim_number) for c in Claim.objects.all()}

    def norm(qs, own_key):
        out = []
        for row in qs.values():
            own = own_key[row["id"]]
            row = {k: v for k, v in row.items() if k not in _VOLATILE}
            if "occurrence_id" in row:
                row["occurrence_id"] = occ_key.get(row["occurrence_id"])
            if "case_id" in row:
                row["case_id"] = case_key[row["case_id"]]
            out.append((repr(own), sorted(row.items(), key=lambda kv: kv[0])))
        return sorted(out, key=repr)

    return {
        "occurrences": norm(MSPOccurrence.objects, occ_key),
        "occurrence_history": norm(MSPOccurrence.history.model.objects, occ_key),
        "cases": norm(RecoveryCase.objects, case_key),
        "case_history": norm(RecoveryCase.history.model.objects, case_key),
        "claims": norm(Claim.objects, claim_key),
        "claim_history": norm(Claim.history.model.objects, claim_key),
        "events": sorted((case_key[e["case_id"]], e["action"], e["effective_date"], e["actor_id"], e["actor_name"],
                          e["from_state"], e["to_state"], e["reason"]) for e in CaseEvent.objects.values()),
    }


@pytest.fixture
def files():
    actor = f.user(superuser=True)
    f.payer(name="Acme Casualty")
    benes = [f.beneficiary(first_name="Ann", last_name=f"Lee{i}") for i in range(7)]
    case_rows, claim_rows = [], []
    for i, b in enumerate(benes):
        incident = f"2024-0{1 + i % 9}-1{i}"
        kw = {"orm": "Y"} if i == 1 else {}
        case_rows.append(_case_row(b, incident=incident, **kw))
        for k in range(3):
            amount = f"{100 + 10 * i + k}.{k}5"
            frm = incident if not (i == 3 and k == 1) else "2023-12-31"  # line of b3's 2nd claim: before the incident
            claim_rows.append(_claim_row(b, f"C{i}-{k}", incident=incident, frm=frm, to=incident, amount=amount))
    case_rows[5][1] = "1EG4-TE5-MK7S"  # b5's case row: a malformed MBI (S is never used)
    return actor, benes, _csv(CASE_HEADER, case_rows), _csv(CLAIM_HEADER, claim_rows)


def _errors(outcome):
    return sorted((e.file, e.line, e.field, e.reason) for e in outcome.errors)


def test_batch_path_writes_what_the_per_record_path_writes(files):
    actor, benes, cases, claims = files
    results = {}
    for batch in (True, False):
        try:
            with transaction.atomic():
                out = run_intake(cases_text=cases, claims_text=claims, actor=actor, source="t.csv", chunk=3,
                                 batch=batch)
                results[batch] = (out.as_dict(), _errors(out), _rows())
                raise _Undo
        except _Undo:
            pass
    assert RecoveryCase.objects.count() == 0
    batch_dict, batch_errors, batch_rows = results[True]
    one_dict, one_errors, one_rows = results[False]
    assert batch_dict == one_dict == {"total": 8, "created": 5, "updated": 0, "unchanged": 0, "rejected": 3,
                                      "claims_added": 15, "cpns_issued": 0, "dry_run": False, "error_rows": 8}
    assert batch_errors == one_errors
    for table in batch_rows:
        assert batch_rows[table] == one_rows[table], table
    assert len(batch_rows["claim_history"]) == 15 and len(batch_rows["case_history"]) == 5
    opened = [e for e in batch_rows["events"] if e[1] == "open"]
    assert len(opened) == len(batch_rows["events"]) == 5
    assert any("with 3 claim(s); interim conditional payment total $" in e[-1] for e in opened)


def test_a_bad_row_in_the_middle_of_a_chunk_keeps_out_only_its_record(files):
    actor, benes, cases, claims = files
    out = run_intake(cases_text=cases, claims_text=claims, actor=actor, chunk=100)
    assert (out.created, out.rejected, out.claims_added) == (5, 3, 15)
    imported = set(RecoveryCase.objects.values_list("beneficiary__last_name", flat=True))
    assert imported == {"Lee0", "Lee1", "Lee2", "Lee4", "Lee6"}
    named = {(e.file, e.line, e.field) for e in out.errors if e.field}
    # b5's malformed MBI: its case row, and its claims then name a case that exists nowhere.
    assert named == {("claims", 12, "service_from"), ("cases", 7, "mbi"), ("claims", 17, "mbi"),
                     ("claims", 18, "mbi"), ("claims", 19, "mbi")}
    # b3's other rows are reported as not imported, naming the bad line.
    assert {(e.file, e.line) for e in out.errors if e.reason == "Not imported: the record has an error on claims "
            "line 12."} == {("cases", 5), ("claims", 11), ("claims", 13)}
    assert Claim.objects.get(claim_number="C1-0").case.occurrence.orm is True
    numbers = sorted(RecoveryCase.objects.values_list("number", flat=True))
    assert [int(n) - int(numbers[0]) for n in numbers] == [0, 1, 2, 3, 4]  # one block of the sequence


def test_reimport_changes_nothing(files):
    actor, benes, cases, claims = files
    run_intake(cases_text=cases, claims_text=claims, actor=actor, chunk=4)
    before = _rows()
    again = run_intake(cases_text=cases, claims_text=claims, actor=actor, chunk=4)
    assert (again.created, again.updated, again.unchanged, again.rejected, again.claims_added) == (0, 0, 5, 3, 0)
    assert _rows() == before


def _refuse_claim_in_database(number):
    """A real database refusal the validators cannot foresee: a trigger on the claims table."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"""CREATE FUNCTION intake_test_refuse() RETURNS trigger AS $$ BEGIN
                            IF NEW.claim_number = '{number}' THEN RAISE EXCEPTION 'claim {number} refused'; END IF;
                            RETURN NEW; END $$ LANGUAGE plpgsql""")
            cur.execute("CREATE TRIGGER intake_test_refuse BEFORE INSERT ON recovery_claim "
                        "FOR EACH ROW EXECUTE FUNCTION intake_test_refuse()")
        else:
            cur.execute(f"CREATE TRIGGER intake_test_refuse BEFORE INSERT ON recovery_claim "
                        f"WHEN NEW.claim_number = '{number}' BEGIN SELECT RAISE(ABORT, 'claim {number} refused'); END")


def test_a_database_failure_in_one_record_falls_back_per_record(files):
    actor, benes, cases, claims = files
    _refuse_claim_in_database("C2-1")
    out = run_intake(cases_text=cases, claims_text=claims, actor=actor, chunk=100)
    assert (out.created, out.rejected, out.claims_added) == (4, 4, 12)
    imported = set(RecoveryCase.objects.values_list("beneficiary__last_name", flat=True))
    assert imported == {"Lee0", "Lee1", "Lee4", "Lee6"}
    refused = [e for e in out.errors if e.reason.startswith("The database refused this record")]
    assert [(e.file, e.line) for e in refused] == [("cases", 4)] and "C2-1 refused" in refused[0].reason
    assert not MSPOccurrence.objects.filter(beneficiary=benes[2]).exists()  # the whole record stayed out
    assert Beneficiary.objects.count() == 7
    assert Claim.history.model.objects.count() == 12 and CaseEvent.objects.count() == 4


@pytest.mark.parametrize("amount, says", [
    ("$100.00", "plain digits"), ("1,250.00", "plain digits"), ("1E5", "no exponent"), ("12.345", "whole cents"),
    ("-5.00", "must not be negative"), ("1000000000000.00", "too large"), ("١٠٠", "digits 0–9 only")])
def test_amounts_are_read_by_the_one_parser_and_plain_digits_only(files, amount, says):
    actor, benes, _, _ = files
    cases = _csv(CASE_HEADER, [_case_row(benes[0])])
    claims = _csv(CLAIM_HEADER, [_claim_row(benes[0], "A1", incident="2024-01-10", amount=f'"{amount}"')])
    out = run_intake(cases_text=cases, claims_text=claims, actor=actor)
    bad = [e for e in out.errors if e.field]
    assert [(e.file, e.line, e.field) for e in bad] == [("claims", 2, "amount_paid")] and says in bad[0].reason
    assert RecoveryCase.objects.count() == 0
