"""The intake reads its files a chunk of records at a time (issue 13: bounded memory): a case's claims
may be anywhere in the claims file and still go in with their case, whole or not at all, whatever the
chunk size; a file read from disk gives what its text gives; progress runs up to the preview's total."""

import random

import pytest
from django.db import connection, transaction

from payers.models import MSPOccurrence
from recovery.intake.services import Source, run_intake
from recovery.models import Claim, RecoveryCase
from tests import factories as f

from .test_batch import _rows, _Undo
from .test_import import CASE_HEADER, CLAIM_HEADER, _case_row, _claim_row, _csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def spread():
    actor = f.user(superuser=True)
    f.payer(name="Acme Casualty")
    f.payer(name="Zenith Mutual")
    benes = [f.beneficiary(first_name="Ann", last_name=f"Lee{i}") for i in range(6)]
    b = benes
    cases = [
        _case_row(b[0]),                                   # line 2: 3 claims, spread over the file
        _case_row(b[1], incident="2024-02-01"),            # line 3: 2 claims, one of them bad
        _case_row(b[2]),                                   # line 4: no claims
        _case_row(b[3], mbi="bad"),                        # line 5: bad MBI; its claims become orphans
        _case_row(b[4]),                                   # line 6 and 7: one MBI + incident, two payers:
        _case_row(b[4], payer="Zenith Mutual"),            #   a claim by MBI + incident is ambiguous
        _case_row(b[5], incident="2024-03-01"),            # line 8: 2 claims with one claim number
    ]
    claims = [
        _claim_row(b[0], "A1"),
        _claim_row(b[1], "B1", incident="2024-02-01", frm="2024-02-02", to="2024-02-02"),
        _claim_row(b[0], "A2", amount="20.00"),
        _claim_row(b[3], "D1"),
        _claim_row(b[5], "F1", incident="2024-03-01", frm="2024-03-02", to="2024-03-02"),
        _claim_row(b[4], "E1"),
        _claim_row(b[1], "B2", incident="2024-02-01", frm="2024-01-02", to="2024-02-02"),  # before incident
        _claim_row(b[5], "F1", incident="2024-03-01", frm="2024-03-03", to="2024-03-03"),
        _claim_row(b[0], "A3", amount="30.00"),
        _claim_row(b[0], "Z9", case_number="999999999999999"),  # no such case
    ]
    return actor, cases, claims


def _key(outcome):
    return outcome.as_dict(), sorted((e.file, e.line, e.field, e.reason) for e in outcome.errors)


@pytest.mark.parametrize("chunk", [1, 2, 3, 1000])
def test_claims_spread_over_the_file_go_in_with_their_case_whatever_the_chunk(spread, chunk):
    actor, cases, claims = spread
    seen = []
    out = run_intake(cases_text=_csv(CASE_HEADER, cases), claims_text=_csv(CLAIM_HEADER, claims), actor=actor,
                     chunk=chunk, progress=lambda done, total: seen.append((done, total)))
    # 7 case rows + 3 claims-only records (the bad MBI's claim, the ambiguous one, the unknown case number)
    assert out.total == 10 and seen[-1] == (10, 10)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and {t for _, t in seen} == {10}
    assert (out.created, out.rejected, out.claims_added) == (4, 6, 3)
    assert sorted(RecoveryCase.objects.values_list("beneficiary__last_name", flat=True)) == [
        "Lee0", "Lee2", "Lee4", "Lee4"]
    assert sorted(Claim.objects.values_list("claim_number", flat=True)) == ["A1", "A2", "A3"]
    fields = {(e.file, e.line, e.field) for e in out.errors if not e.reason.startswith("Not imported")}
    assert fields == {("cases", 5, "mbi"), ("claims", 7, "incident_date"),
                      ("claims", 8, "service_from"), ("claims", 9, "claim_number"), ("claims", 5, "mbi"),
                      ("claims", 11, "case_number")}
    not_imported = {(e.file, e.line) for e in out.errors if e.reason.startswith("Not imported")}
    assert not_imported == {("cases", 3), ("claims", 3), ("cases", 8), ("claims", 6)}


def test_a_shuffled_claims_file_and_small_chunks_write_what_the_grouped_file_writes(spread):
    actor, cases, claims = spread
    shuffled = claims[:]
    random.Random(13).shuffle(shuffled)
    results = []
    for claim_rows, chunk in ((claims, 1000), (shuffled, 1), (shuffled, 4)):
        try:
            with transaction.atomic():
                out = run_intake(cases_text=_csv(CASE_HEADER, cases), claims_text=_csv(CLAIM_HEADER, claim_rows),
                                 actor=actor, chunk=chunk)
                results.append((out.as_dict(), sorted((e.file, e.line, e.field, e.reason) for e in out.errors),
                                _rows()))
                raise _Undo
        except _Undo:
            pass
    assert RecoveryCase.objects.count() == 0
    assert results[0][0]["created"] == 4
    # the same rows in, the same rows reported (at their new lines), whatever the order and the chunk
    assert results[1][1] == results[2][1]
    assert sorted(e[:1] + e[2:3] for e in results[1][1]) == sorted(e[:1] + e[2:3] for e in results[0][1])
    for got in results[1:]:
        assert got[0] == results[0][0]
        for table in got[2]:
            assert got[2][table] == results[0][2][table], table


def test_a_file_read_from_disk_gives_what_its_text_gives(spread, tmp_path):
    actor, cases, claims = spread
    cases_text, claims_text = _csv(CASE_HEADER, cases), _csv(CLAIM_HEADER, claims)
    preview = run_intake(cases_text=cases_text, claims_text=claims_text, actor=actor, dry_run=True)
    on_disk = tmp_path / "cases.csv", tmp_path / "claims.csv"
    # a byte-order mark and Windows line ends, as a spreadsheet writes them
    on_disk[0].write_bytes(b"\xef\xbb\xbf" + cases_text.replace("\n", "\r\n").encode())
    on_disk[1].write_bytes(claims_text.replace("\n", "\r\n").encode())
    from_disk = run_intake(cases_text=Source(path=on_disk[0]), claims_text=Source(path=on_disk[1]), actor=actor,
                           dry_run=True)
    assert _key(from_disk) == _key(preview)
    done = run_intake(cases_text=Source(path=on_disk[0]), claims_text=Source(path=on_disk[1]), actor=actor)
    assert done.as_dict() | {"dry_run": True} == preview.as_dict()
    before = _rows()
    again = run_intake(cases_text=Source(path=on_disk[0]), claims_text=Source(path=on_disk[1]), actor=actor)
    assert (again.created, again.claims_added, again.unchanged) == (0, 0, 4) and _rows() == before


def test_an_upload_with_old_mac_line_ends_reads_as_its_unix_text(spread):
    """An uploaded text is split where a file opened with newline="" splits: at \\r\\n, \\r or \\n."""
    actor, cases, claims = spread
    cases_text, claims_text = _csv(CASE_HEADER, cases), _csv(CLAIM_HEADER, claims)
    unix = run_intake(cases_text=cases_text, claims_text=claims_text, actor=actor, dry_run=True)
    for end in ("\r", "\r\n"):
        other = run_intake(cases_text=cases_text.replace("\n", end), claims_text=claims_text.replace("\n", end),
                           actor=actor, dry_run=True)
        assert _key(other) == _key(unix)


def test_the_claims_of_a_case_row_with_an_error_go_nowhere_not_onto_the_existing_case():
    """Whole or not at all: a case row naming an existing case, refused for its own error, takes its claims
    with it — they are not added to that case on their own."""
    actor = f.user(superuser=True)
    f.payer(name="Acme Casualty")
    case = f.case()
    b = case.beneficiary
    before = case.claims.count()
    bad_row = _case_row(b, number=case.number, tpoc="2023-01-01", amount="100.00")  # settled before the incident
    out = run_intake(cases_text=_csv(CASE_HEADER, [bad_row]),
                     claims_text=_csv(CLAIM_HEADER, [_claim_row(b, "X1", case_number=case.number)]), actor=actor)
    assert case.claims.count() == before and out.claims_added == 0
    assert ("claims", 2, "Not imported: the record has an error on cases line 2.") in {
        (e.file, e.line, e.reason) for e in out.errors}


def test_a_row_that_cannot_be_read_as_csv_is_reported_and_the_rest_read_on(spread):
    actor, cases, claims = spread
    huge = "x" * 200_000  # past csv's field size limit (131,072 characters)
    text = _csv(CASE_HEADER, cases[:1]) + f"{huge},row\n" + _csv(CASE_HEADER, cases[2:3]).split("\n", 1)[1]
    out = run_intake(cases_text=text, claims_text=_csv(CLAIM_HEADER, []), actor=actor, dry_run=True)
    assert [(e.file, e.line) for e in out.errors if "cannot be read as CSV" in e.reason] == [("cases", 3)]
    assert out.created == 2
