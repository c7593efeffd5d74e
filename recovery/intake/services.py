"""Bulk intake: validate a cases file and its claims file (layout.py) against the database, then apply
each record — a case with its claims — whole or not at all (SPEC §9), through the existing services:
`case_open` opens a case, `case_act("issue_cpn")` takes the Section 111 TPOC path of SPEC §3.1, claims
are checked by the Claim model's own rules (recovery period, ICD-10, NPI).

Idempotent by natural keys: a case record is (MBI, payer name + type, date of incident), a claim is
(case, claim number). Re-importing the same files finds every record already there and changes
nothing. Lookups are done per chunk of records (one query per table per chunk, never per row).
"""

import contextlib
import copy
import csv
import io
import marshal
import re
import sqlite3
import tempfile
import time
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from beneficiaries.models import Beneficiary
from payers.models import MSPOccurrence, Payer
from recovery.money import rules as money
from recovery.cases import services as case_services
from recovery.errors import CaseActionError
from recovery.models import CaseEvent, Claim, RecoveryCase, Settlement
from recovery.cases.selectors import conditional_payment_total
from recovery.cases.tracks import State, Track

from .. import bulk_rows
from . import layout, records
from .layout import RowError

CHUNK = 2000

# Model field → the column that carries it (errors name the column the sender wrote).
_CASE_COLUMN = {"incident_date": "incident_date", "injury_kind": "injury_kind", "coverage_type": "coverage_type",
                "orm_end": "orm_end_date", "orm": "orm_indicator", "settlement_date": "tpoc_date",
                "gross_amount": "tpoc_amount", "attorney_fees": "tpoc_amount", "termination_date": "tpoc_date",
                "beneficiary": "mbi", "payer": "payer_name", "occurrence": "payer_name"}
_CLAIM_COLUMN = {"provider_npi": "provider_npi", "service_from": "service_from", "service_to": "service_to",
                 "diagnosis_codes": "diagnosis_codes", "amount_paid": "amount_paid", "paid_date": "paid_date",
                 "claim_number": "claim_number", "provider_name": "provider_name"}
_CLAIM_VALUES = ("provider_name", "provider_npi", "service_from", "service_to", "diagnosis_codes", "amount_paid",
                 "paid_date")


class _RecordRejected(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


class _DryRun(Exception):
    pass


@dataclass
class Record:
    """A case row with the claim rows linked to it, or claim rows for a case already in the database."""

    case: layout.CaseRow | None
    claims: list = field(default_factory=list)
    link: tuple | None = None  # for claims-only records: ("number", n) or ("mbi", mbi, incident_date)
    errors: list = field(default_factory=list)

    @property
    def key_text(self):
        if self.case:
            return self.case.key_text
        return "/".join(str(p) for p in self.link[1:])

    @property
    def lines(self):
        return ([("cases", self.case.line)] if self.case else []) + [("claims", c.line) for c in self.claims]


@dataclass
class Outcome:
    created: int = 0  # records that opened a new case
    updated: int = 0  # records that changed an existing case (claims added, ORM, TPOC → CPN)
    unchanged: int = 0
    rejected: int = 0
    claims_added: int = 0
    cpns_issued: int = 0
    errors: list = field(default_factory=list)
    total: int = 0
    dry_run: bool = False
    timings: dict = field(default_factory=dict)  # seconds per phase (run_intake), not part of as_dict

    def as_dict(self):
        return {k: getattr(self, k) for k in ("total", "created", "updated", "unchanged", "rejected", "claims_added",
                                             "cpns_issued", "dry_run")} | {"error_rows": len(self.errors)}


# --- reading, one chunk of records at a time --------------------------------------------------------
#
# Memory stays flat with the size of the files (issue 13): neither file is held as rows. Three passes:
#   1. the cases file: each row parsed and checked; a bad row is reported at once; a good row leaves
#      only its keys in memory (natural key, case number, MBI + date of incident → its record number);
#   2. the claims file: each row's link (case number, or MBI + date of incident) is read and matched to
#      its record through those keys; the row's raw values go to a spill file on disk (a temporary
#      SQLite database) under its record number — a case's claims may be anywhere in the file;
#   3. per chunk of record numbers: the case rows are read again from the cases file, the chunk's
#      claim rows come back from the spill file in record order, and each record is put together
#      (case row + all its claims) and checked whole before anything is written.


class Source:
    """An intake file: its text (an upload kept in the database) or its path (the command line). Read
    as a stream of lines each time it is iterated; the text is never copied whole."""

    def __init__(self, text: str = "", path=None):
        self.text, self.path = text, path

    def __bool__(self):
        return self.path is not None or bool(self.text)

    def lines(self):
        if self.path is not None:
            with open(self.path, encoding="utf-8-sig", newline="") as fh:
                yield from fh
            return
        # As open(newline="") splits a file: at \r\n, \r or \n, the ends kept (csv reads them).
        text = self.text
        for match in _LINE.finditer(text, 1 if text.startswith("\ufeff") else 0):
            yield match.group()


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _source(value) -> Source:
    return value if isinstance(value, Source) else Source(text=value or "")


def read_csv(file: str, source: Source, columns: dict):
    """(header errors, names, an iterator of (line, values list — None when the row is too long, the
    reason when it cannot be read as CSV)).
    The line is the file's line where the row ends; blank lines are skipped; missing trailing values
    are empty (as csv.DictReader)."""
    reader = csv.reader(source.lines())
    header = next(reader, None)
    errors = layout.check_header(file, header, columns)
    if errors:
        return errors, [], iter(())
    names = [h.strip() for h in header]
    width = len(names)

    def rows():
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a field past csv.field_size_limit(): the row is reported, the file read on
                yield reader.line_num, f"The row cannot be read as CSV ({exc})."
                continue
            if len(values) > width:
                yield reader.line_num, None
                continue
            if not any(v.strip() for v in values):
                continue  # a blank line
            if len(values) < width:
                values += [""] * (width - len(values))
            yield reader.line_num, values

    return [], names, rows()


_TOO_LONG = "The row has more values than the header has columns."


def _case_key(row) -> str:
    """CaseRow.key as one string (a tuple of four objects costs four times the memory)."""
    mbi, payer, kind, incident = row.key
    return f"{mbi}\x1f{payer}\x1f{kind}\x1f{incident}"


def _mbi_incident(mbi, incident) -> str:
    return f"{mbi}\x1f{incident}"


_SEVERAL = -1  # several case rows have this MBI and date of incident


@dataclass
class _Index:
    """What the cases file leaves in memory: keys and record numbers, no rows."""

    count: int = 0  # data rows read (record numbers 0 … count-1)
    good: bytearray = field(default_factory=bytearray)  # record number → 1 when it is to be imported
    line: array = field(default_factory=lambda: array("q"))  # record number → its line
    by_key: dict = field(default_factory=dict)  # _case_key → record number
    by_number: dict = field(default_factory=dict)  # case number → record number
    by_mbi_incident: dict = field(default_factory=dict)  # _mbi_incident → record number or _SEVERAL
    orphans: list = field(default_factory=list)  # claims-only records: their links, numbered from `count`
    names: list = field(default_factory=list)  # the claims file's columns


def _index_cases(names, rows, outcome: Outcome) -> _Index:
    index = _Index()
    for line, values in rows:
        if not isinstance(values, list):
            outcome.errors.append(RowError("cases", line, "", values or _TOO_LONG))
            continue
        row = layout.parse_case(line, dict(zip(names, values)))
        rid = index.count
        index.count += 1
        index.line.append(line)
        errors = list(row.errors)
        if not errors:
            key = _case_key(row)
            first = index.by_key.get(key)
            if first is not None:
                errors.append(RowError("cases", line, "", f"The same case as line {index.line[first]} "
                                       "(MBI, payer and date of incident)."))
            else:
                index.by_key[key] = rid
                mi = _mbi_incident(row.mbi, row.incident_date)
                index.by_mbi_incident[mi] = _SEVERAL if mi in index.by_mbi_incident else rid
                if row.case_number:
                    index.by_number[row.case_number] = rid
        else:
            # A case row with an error still names its record: its claims must be refused with it (whole or
            # not at all), never added on their own to an existing case with that number or MBI.
            if row.case_number:
                index.by_number.setdefault(row.case_number, rid)
            if row.mbi and row.incident_date:
                mi = _mbi_incident(row.mbi, row.incident_date)
                index.by_mbi_incident[mi] = _SEVERAL if mi in index.by_mbi_incident else rid
        index.good.append(0 if errors else 1)
        if errors:
            _reject(Record(case=row), errors, outcome)
    return index


class _Spill:
    """The claim rows on disk, under their record numbers, read back in record order."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="intake-")
        self.db = sqlite3.connect(f"{self.dir.name}/claims.sqlite3")
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
                              "CREATE TABLE claim (rid INTEGER, seq INTEGER, several INTEGER, line INTEGER, vals BLOB)")
        self.pending, self.seq = [], 0

    def add(self, rid, several, line, values):
        self.seq += 1
        self.pending.append((rid, self.seq, several, line, marshal.dumps(values)))
        if len(self.pending) >= 10_000:
            self.flush()

    def flush(self):
        self.db.executemany("INSERT INTO claim VALUES (?, ?, ?, ?, ?)", self.pending)
        self.pending = []

    def in_order(self):
        self.flush()
        self.db.execute("CREATE INDEX claim_rid ON claim (rid, seq)")
        for rid, several, line, vals in self.db.execute(
                "SELECT rid, several, line, vals FROM claim ORDER BY rid, seq"):
            yield rid, several, line, marshal.loads(vals)

    def close(self):
        self.db.close()
        self.dir.cleanup()


def _spill_claims(names, rows, index: _Index, spill: _Spill, outcome: Outcome):
    orphans = {}
    for line, values in rows:
        if not isinstance(values, list):
            outcome.errors.append(RowError("claims", line, "", values or _TOO_LONG))
            continue
        raw = dict(zip(names, values))
        link = layout.claim_link(line, raw)
        several = 0
        if link is None:  # no case number and no readable MBI: cannot even tell which case it is for
            outcome.errors += layout.parse_claim(line, raw).errors
            continue
        if link[0] == "number":
            rid = index.by_number.get(link[1])
        else:
            rid = index.by_mbi_incident.get(_mbi_incident(link[1], link[2]))
            if rid == _SEVERAL:
                rid, several = None, 1
        if rid is not None and rid < index.count and not index.good[rid]:
            outcome.errors.append(RowError("claims", line, "", "Not imported: the record has an error on cases "
                                           f"line {index.line[rid]}."))
            continue
        if rid is None:
            rid = orphans.get(link)
            if rid is None:
                rid = orphans[link] = index.count + len(index.orphans)
                index.orphans.append(link)
        spill.add(rid, several, line, values)


def _records(cases: Source, index: _Index, spill: _Spill, chunk: int):
    """Yield (records done, the next chunk of records), each record whole: its case row (read again
    from the cases file) and all its claim rows, checked as one."""
    total = index.count + len(index.orphans)
    _, case_names, case_rows = read_csv("cases", cases, layout.CASE_COLUMNS)
    case_rows = iter(case_rows)
    claims = spill.in_order()
    pending = next(claims, None)
    rid = 0
    for start in range(0, total, chunk):
        end = min(start + chunk, total)
        part = {}
        while rid < min(end, index.count):
            line, values = next(case_rows)
            if not isinstance(values, list):
                continue  # reported in the first pass (not a record)
            if index.good[rid]:
                part[rid] = Record(case=layout.parse_case(line, dict(zip(case_names, values))))
            rid += 1
        for orphan in range(max(start, index.count), end):
            part[orphan] = Record(case=None, link=index.orphans[orphan - index.count])
        while pending is not None and pending[0] < end:
            target, several, line, values = pending
            claim = layout.parse_claim(line, dict(zip(index.names, values)))
            if several:
                claim.errors.append(RowError("claims", line, "incident_date", "Several case rows have this MBI and "
                                             "date of incident: give the case number."))
            record = part[target]
            record.claims.append(claim)
            record.errors += claim.errors
            pending = next(claims, None)
        for record in part.values():
            seen = {}
            for claim in record.claims:
                if claim.claim_number in seen:
                    record.errors.append(RowError("claims", claim.line, "claim_number", f"Claim {claim.claim_number} "
                                                  f"is already on line {seen[claim.claim_number]}."))
                seen.setdefault(claim.claim_number, claim.line)
        yield end, [part[k] for k in sorted(part)]


# --- the chunk's lookups ------------------------------------------------------------------------------


class _Person(NamedTuple):
    pk: int
    mbi: str
    first_name: str
    last_name: str
    date_of_birth: date


@dataclass
class _Known:
    beneficiaries: dict  # mbi → _Person (the columns the checks read), or a Beneficiary once fetched whole
    payers: dict  # (name casefold, kind) → [Payer]
    occurrences: dict  # (beneficiary id, payer id, incident date) → MSPOccurrence
    cases_by_occurrence: dict  # occurrence id → [RecoveryCase]
    cases_by_number: dict
    cases_by_mbi_incident: dict  # (mbi, incident date) → [RecoveryCase]
    claims: dict  # case id → {claim number: Claim}


def _payers():
    table = defaultdict(list)
    for payer in Payer.objects.all():
        table[(payer.name.strip().casefold(), payer.kind)].append(payer)
    return table


def _lookup(records: list[Record], payers: dict) -> _Known:
    mbis = {r.case.mbi for r in records if r.case} | {r.link[1] for r in records if not r.case and r.link[0] == "mbi"}
    numbers = {r.case.case_number for r in records if r.case and r.case.case_number}
    numbers |= {r.link[1] for r in records if not r.case and r.link[0] == "number"}
    # The checks read five columns: a model instance each (and its 20 other columns) only for the
    # records that go one by one (_one_by_one fetches them).
    beneficiaries = {p.mbi: p for p in map(_Person._make, Beneficiary.objects.filter(mbi__in=mbis).values_list(
        "pk", "mbi", "first_name", "last_name", "date_of_birth"))}
    incidents = {r.case.incident_date for r in records if r.case}
    occurrences = {
        (o.beneficiary_id, o.payer_id, o.incident_date): o
        for o in MSPOccurrence.objects.filter(beneficiary_id__in=[p.pk for p in beneficiaries.values()],
                                              incident_date__in=incidents)
    }
    cases = RecoveryCase.objects.select_related("beneficiary", "occurrence").filter(track=Track.BENEFICIARY)
    found = {c.pk: c for c in cases.filter(occurrence__in=list(occurrences.values()))}
    found |= {c.pk: c for c in cases.filter(number__in=numbers)}
    orphan_keys = {(r.link[1], r.link[2]) for r in records if not r.case and r.link[0] == "mbi"}
    if orphan_keys:
        found |= {c.pk: c for c in cases.filter(beneficiary__mbi__in={k[0] for k in orphan_keys},
                                                incident_date__in={k[1] for k in orphan_keys})}
    settlements = {s.case_id: s for s in Settlement.objects.filter(case_id__in=found)}
    claims = defaultdict(dict)
    for claim in Claim.objects.filter(case_id__in=found):
        claims[claim.case_id][claim.claim_number] = claim
    by_occurrence, by_number, by_mbi_incident = defaultdict(list), {}, defaultdict(list)
    for case in found.values():
        # The settlement, or its absence, comes from the chunk's one query (the guards read it).
        Settlement.case.field.remote_field.set_cached_value(case, settlements.get(case.pk))
        if case.occurrence_id:
            by_occurrence[case.occurrence_id].append(case)
        by_number[case.number] = case
        by_mbi_incident[(case.beneficiary.mbi, case.incident_date)].append(case)
    return _Known(beneficiaries, payers, occurrences, by_occurrence, by_number, by_mbi_incident, claims)


# --- applying one record ------------------------------------------------------------------------------


def _errors_of(exc, file, line, columns):
    if isinstance(exc, CaseActionError):
        return [RowError(file, line, columns.get(exc.field or "", exc.field or ""), exc.message)]
    out = []
    for name, messages in exc.message_dict.items():
        for message in messages:
            out.append(RowError(file, line, columns.get(name, "" if name == "__all__" else name), message))
    return out


def _find_case(record: Record, known: _Known):
    """(beneficiary, payer, occurrence, case) for a record, raising _RecordRejected with what is wrong."""
    row = record.case
    if row is None:  # claims for a case that must already exist
        if record.link[0] == "number":
            case = known.cases_by_number.get(record.link[1])
            where = f"case {record.link[1]}"
        else:
            matches = known.cases_by_mbi_incident.get((record.link[1], record.link[2]), [])
            if len(matches) > 1:
                raise _RecordRejected([RowError("claims", c.line, "incident_date", "Several cases have this MBI and "
                                                "date of incident: give the case number.") for c in record.claims])
            case = matches[0] if matches else None
            where = f"case for MBI {record.link[1]} with date of incident {record.link[2]}"
        if case is None:
            column = "case_number" if record.link[0] == "number" else "mbi"
            raise _RecordRejected([RowError("claims", c.line, column, f"There is no {where}, neither in the "
                                            "database nor in the cases file.") for c in record.claims])
        return case.beneficiary, None, case.occurrence, case

    errs = []
    beneficiary = known.beneficiaries.get(row.mbi)
    if beneficiary is None:
        errs.append(RowError("cases", row.line, "mbi", f"No beneficiary has the MBI {row.mbi} (SPEC §9: unknown MBI)."))
    else:
        if beneficiary.last_name.strip().casefold() != row.last_name.casefold():
            errs.append(RowError("cases", row.line, "last_name",
                                 "Does not match the beneficiary's last name on record for this MBI."))
        if beneficiary.first_name.strip().casefold() != row.first_name.casefold():
            errs.append(RowError("cases", row.line, "first_name",
                                 "Does not match the beneficiary's first name on record for this MBI."))
        if beneficiary.date_of_birth != row.date_of_birth:
            errs.append(RowError("cases", row.line, "date_of_birth",
                                 "Does not match the beneficiary's date of birth on record for this MBI."))
    payers = known.payers.get((row.payer_name.casefold(), row.payer_type), [])
    if not payers:
        errs.append(RowError("cases", row.line, "payer_name",
                             f"Unknown payer '{row.payer_name}' of type {row.payer_type}: add it first."))
    elif len(payers) > 1:
        errs.append(RowError("cases", row.line, "payer_name",
                             f"Several payers are named '{row.payer_name}' ({row.payer_type}): merge them first."))
    if errs:
        raise _RecordRejected(errs)
    payer = payers[0]
    occurrence = known.occurrences.get((beneficiary.pk, payer.pk, row.incident_date))
    cases = [c for c in known.cases_by_occurrence.get(occurrence.pk, [])] if occurrence else []
    if row.case_number:
        case = known.cases_by_number.get(row.case_number)
        if case is None:
            raise _RecordRejected([RowError("cases", row.line, "case_number", f"There is no case {row.case_number}.")])
        if case.occurrence_id != (occurrence.pk if occurrence else None):
            raise _RecordRejected([RowError("cases", row.line, "case_number", f"Case {row.case_number} is for another "
                                            "MBI, payer or date of incident.")])
        return beneficiary, payer, occurrence, case
    if len(cases) > 1:
        raise _RecordRejected([RowError("cases", row.line, "case_number", "Several cases are open on this MSP "
                                        "occurrence: give the case number.")])
    return beneficiary, payer, occurrence, (cases[0] if cases else None)


def _claim_from(row: layout.ClaimRow, case) -> Claim:
    return Claim(case=case, claim_number=row.claim_number, provider_name=row.provider_name,
                 provider_npi=row.provider_npi, service_from=row.service_from, service_to=row.service_to,
                 diagnosis_codes=row.diagnosis_codes, amount_paid=row.amount_paid, paid_date=row.paid_date)


def _check_claims(rows, case, period_end: date | None, existing: dict):
    """The new claims of a record, each checked by the Claim model's own rules against the recovery period
    the case will have (its settlement date, once the TPOC is recorded). A claim already on the case
    with the same values is left alone; with other values it is an error (correct it in the admin)."""
    errs, new = [], []
    probe = copy.copy(case)
    probe.termination_date = period_end
    for row in rows:
        claim = _claim_from(row, probe)
        old = existing.get(row.claim_number)
        if old is not None:
            differ = [n for n in _CLAIM_VALUES if getattr(old, n) != getattr(claim, n)]
            if differ:
                errs.append(RowError("claims", row.line, differ[0], f"Claim {row.claim_number} is already on case "
                                     f"{case.number} with another {differ[0].replace('_', ' ')}; correct it there."))
            continue
        try:
            claim.full_clean(exclude=["case"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errs += _errors_of(exc, "claims", row.line, _CLAIM_COLUMN)
            continue
        claim.case = case
        new.append(claim)
    return errs, new


def _add_claims(case, claims, *, actor, on, source):
    if not claims:
        return
    bulk_create_with_history(claims, Claim, default_user=actor)
    total = conditional_payment_total(case=case)  # SPEC §5.1, interim until the demand
    case_services._history(case, "intake_claims", actor=actor, on=on, from_state=case.state,
                           reason=f"{len(claims)} claim(s) added from {source}; interim conditional payment "
                                  f"total ${total}")


def _apply(record: Record, known: _Known, *, actor, on, source, outcome: Outcome):
    """Apply one record inside the caller's savepoint; raise _RecordRejected to undo it."""
    beneficiary, payer, occurrence, case = _find_case(record, known)
    row = record.case
    line = row.line if row else record.claims[0].line
    file = "cases" if row else "claims"
    changed = False
    if case is None:
        if occurrence is None:
            occurrence = MSPOccurrence(beneficiary=beneficiary, payer=payer, coverage_type=row.coverage_type,
                                       injury_kind=row.injury_kind, incident_date=row.incident_date, orm=row.orm,
                                       orm_end=row.orm_end)
            try:
                occurrence.full_clean(exclude=["beneficiary", "payer"])
            except ValidationError as exc:
                raise _RecordRejected(_errors_of(exc, "cases", line, _CASE_COLUMN)) from None
            occurrence._history_user = actor  # simple-history: who made the change
            occurrence.save()
        # The claims are checked on a stand-in first, so that the "open" history row names them and
        # their interim total as the batch path's does (_open_new).
        stand_in = RecoveryCase(pk=-1, number="(new)", track=Track.BENEFICIARY, beneficiary=beneficiary,
                                occurrence=occurrence, incident_date=row.incident_date, state=State.REPORTED)
        claim_errs, opening_claims = _check_claims(record.claims, stand_in, row.tpoc_date, {})
        if claim_errs:
            raise _RecordRejected(claim_errs)
        try:
            case = case_services.case_open(beneficiary=beneficiary, track=Track.BENEFICIARY, actor=actor,
                                           occurrence=occurrence, opened_on=on,
                                           reason=_open_reason(source, line, opening_claims, row.incident_date))
        except ValidationError as exc:
            raise _RecordRejected(_errors_of(exc, "cases", line, _CASE_COLUMN)) from None
        case.occurrence = occurrence
        Settlement.case.field.remote_field.set_cached_value(case, None)
        for claim in opening_claims:
            claim.case = case
        if opening_claims:
            bulk_create_with_history(opening_claims, Claim, default_user=actor)
        outcome.claims_added += len(opening_claims)
        existing = {c.claim_number: c for c in opening_claims}
        created = True
    else:
        existing = known.claims.get(case.pk, {})
        created = False

    errs = []
    if row and not created:
        for name, column in (("coverage_type", "coverage_type"), ("injury_kind", "injury_kind")):
            if getattr(occurrence, name) != getattr(row, name):
                errs.append(RowError("cases", line, column, f"The MSP occurrence of case {case.number} has "
                                     f"{getattr(occurrence, name)}; correct it in the admin."))
    settlement = getattr(case, "settlement", None) if not created else None
    tpoc = bool(row and row.tpoc_date)
    if tpoc and settlement is not None:
        if (settlement.settlement_date, settlement.gross_amount) != (row.tpoc_date, row.tpoc_amount):
            errs.append(RowError("cases", line, "tpoc_date", f"Case {case.number} already has a settlement of "
                                 f"${settlement.gross_amount} on {settlement.settlement_date:%Y-%m-%d}; correct it "
                                 "in the admin."))
        tpoc = False  # already recorded
    period_end = row.tpoc_date if tpoc else case.termination_date
    new_rows = [c for c in record.claims if not created]
    refusal = records.why_not_claims(case) if new_rows else None
    if refusal:
        errs += [RowError("claims", c.line, "claim_number", refusal)
                 for c in new_rows if c.claim_number not in existing]
    claim_errs, new_claims = _check_claims(new_rows, case, period_end, existing)
    errs += claim_errs
    if errs:
        raise _RecordRejected(errs)

    if row and not created and (occurrence.orm, occurrence.orm_end) != (row.orm, row.orm_end):
        occurrence.orm, occurrence.orm_end = row.orm, row.orm_end
        try:
            occurrence.full_clean(exclude=["beneficiary", "payer"])
        except ValidationError as exc:
            raise _RecordRejected(_errors_of(exc, "cases", line, _CASE_COLUMN)) from None
        occurrence._history_user = actor
        occurrence.save(update_fields=["orm", "orm_end"])
        changed = True

    _add_claims(case, new_claims, actor=actor, on=on, source=source)
    outcome.claims_added += len(new_claims)
    changed = changed or bool(new_claims)

    if tpoc:
        # SPEC §3.1: a settlement learned of through an insurer's Section 111 report leads to a CPN
        # (from `reported`, or from `cpl_issued`); the step's guard refuses any other state.
        settlement = Settlement(case=case, settlement_date=row.tpoc_date, gross_amount=row.tpoc_amount,
                                source=Settlement.Source.SECTION_111, received_on=on)
        try:
            settlement.full_clean(exclude=["case"], validate_unique=False)
            settlement.save()
            case_services.case_act(case=case, action="issue_cpn", actor=actor, on=on,
                                   reason=f"TPOC reported in {source}, line {line}")
        except ValidationError as exc:
            raise _RecordRejected(_errors_of(exc, "cases", line, _CASE_COLUMN)) from None
        except CaseActionError as exc:
            raise _RecordRejected([RowError("cases", line, "tpoc_date", exc.message)]) from None
        outcome.cpns_issued += 1
        changed = True

    if created:
        outcome.created += 1
    elif changed:
        outcome.updated += 1
    else:
        outcome.unchanged += 1
    del file


@dataclass
class _NewCase:
    record: Record
    beneficiary: Beneficiary
    payer: Payer


def _open_reason(source, line, claims, incident_date) -> str:
    """The history line of a case opened from a file, with its claims and their interim total (SPEC
    §5.1, as selectors.conditional_payment_total) — the same from the batch and the per-record path."""
    reason = f"Opened from {source}, line {line}"
    if claims:
        total = money.conditional_payment_total(
            claims=[money.Claim(c.service_from, c.service_to, c.amount_paid, True) for c in claims],
            period_start=incident_date, period_end=None)
        reason += f", with {len(claims)} claim(s); interim conditional payment total ${total}"
    return reason


def _plan_new(record: Record, known: _Known):
    """A record that opens a new case with a new MSP occurrence and no TPOC, checked in memory; None
    when it needs the per-record path (an existing case or occurrence, a TPOC → CPN). The layout has
    checked every rule of MSPOccurrence.clean and Claim.clean but the recovery period, checked here by
    layout.period_errors (the same rule and message as Claim.clean)."""
    if record.case is None or record.case.tpoc_date:
        return None
    beneficiary, payer, occurrence, case = _find_case(record, known)
    if case is not None or occurrence is not None:
        return None
    errs = []
    for claim in record.claims:
        errs += layout.period_errors(claim, record.case.incident_date, None)
    if errs:
        raise _RecordRejected(errs)
    return _NewCase(record, beneficiary, payer)


def _open_new(plans: list[_NewCase], *, actor, on, source):
    """Open the planned cases together (case_open's rows, set-based): the MSP occurrences, the cases
    with numbers from one block of the per-prefix sequence, their "open" history rows, the claims, and
    the simple-history rows of each — one statement per table (recovery.bulk_rows)."""
    when = timezone.now()
    with transaction.atomic():
        occurrences = []
        for p in plans:
            row = p.record.case
            occurrences.append(bulk_rows.defaults(MSPOccurrence) | dict(
                beneficiary_id=p.beneficiary.pk, payer_id=p.payer.pk, coverage_type=row.coverage_type,
                injury_kind=row.injury_kind, incident_date=row.incident_date, orm=row.orm, orm_end=row.orm_end))
        bulk_rows.insert_with_history(MSPOccurrence, occurrences, actor=actor, when=when)
        first = int(case_services.case_number_next(track=Track.BENEFICIARY, count=len(plans)))
        base = bulk_rows.defaults(RecoveryCase)
        cases = [base | dict(number=f"{first + i:015d}", track=Track.BENEFICIARY, beneficiary_id=p.beneficiary.pk,
                             occurrence_id=occ["id"], opened_on=on, incident_date=p.record.case.incident_date,
                             created_at=when, updated_at=when)
                 for i, (p, occ) in enumerate(zip(plans, occurrences))]
        bulk_rows.insert_with_history(RecoveryCase, cases, actor=actor, when=when)
        event = bulk_rows.defaults(CaseEvent)
        name = actor.get_username()
        bulk_rows.insert(CaseEvent, [
            event | dict(case_id=c["id"], at=when, effective_date=on, actor_id=actor.pk, actor_name=name,
                         action="open", from_state=State.REPORTED, to_state=c["state"],
                         reason=_open_reason(source, p.record.case.line, p.record.claims, p.record.case.incident_date))
            for p, c in zip(plans, cases)])
        claim = bulk_rows.defaults(Claim)
        claims = [claim | dict(case_id=c["id"], claim_number=r.claim_number, provider_name=r.provider_name,
                               provider_npi=r.provider_npi, service_from=r.service_from, service_to=r.service_to,
                               diagnosis_codes=r.diagnosis_codes, amount_paid=r.amount_paid, paid_date=r.paid_date)
                  for p, c in zip(plans, cases) for r in p.record.claims]
        bulk_rows.insert_with_history(Claim, claims, actor=actor, when=when)
    return len(claims)


def _reject(record: Record, errors, outcome: Outcome):
    outcome.rejected += 1
    key = record.key_text
    bad = {(e.file, e.line) for e in errors}
    out = [RowError(e.file, e.line, e.field, e.reason, key) for e in errors]
    for file, line in record.lines:
        if (file, line) not in bad:
            first = min(errors, key=lambda e: (e.file != "cases", e.line))
            out.append(RowError(file, line, "", f"Not imported: the record has an error on {first.file} line "
                                f"{first.line}.", key))
    outcome.errors += out


def _one_by_one(records, known, *, actor, on, source, outcome):
    """Each record in its own savepoint: it goes in whole or not at all; a database refusal (a
    constraint, a trigger, a concurrent import) rejects that record only, naming it."""
    light = [known.beneficiaries[r.case.mbi].pk for r in records
             if r.case and isinstance(known.beneficiaries.get(r.case.mbi), _Person)]
    if light:  # the whole beneficiaries these records open or change cases for, in one query
        for beneficiary in Beneficiary.objects.filter(pk__in=light):
            known.beneficiaries[beneficiary.mbi] = beneficiary
    for record in records:
        try:
            with transaction.atomic():
                _apply(record, known, actor=actor, on=on, source=source, outcome=outcome)
        except _RecordRejected as exc:
            _reject(record, exc.errors, outcome)
        except DatabaseError as exc:
            file, line = record.lines[0]
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            _reject(record, [RowError(file, line, "", f"The database refused this record: {reason[:300]}")], outcome)


def run_intake(*, cases_text="", claims_text="", actor, source: str = "intake file", dry_run=False,
               on: date | None = None, progress=None, chunk: int = CHUNK, batch: bool = True) -> Outcome:
    """Validate and apply the files. With `dry_run` everything is done and then rolled back: the
    outcome is exactly what the import would do (the admin's preview, `import_intake --dry-run`).
    `cases_text` / `claims_text` are the files' texts or `Source`s (a path, read as a stream).

    The files are read one chunk of records at a time (see "reading" above): memory holds the keys of
    the case rows, never the rows. Per chunk: one lookup per table, then the records that open a new
    case are written set-based (_open_new); the others (an existing case, a TPOC → CPN) and, when the
    set-based write of a chunk fails in the database, every record of that chunk, go one by one
    (_one_by_one). `batch=False` sends every record one by one (the reference the batch path is tested
    against). `outcome.timings` holds the seconds spent per phase."""
    on = on or case_services.today()
    cases, claims = _source(cases_text), _source(claims_text)
    outcome = Outcome(dry_run=dry_run)
    clock = _Clock(outcome.timings)
    errors, case_names, case_rows = read_csv("cases", cases, layout.CASE_COLUMNS)
    claim_names, claim_rows = [], iter(())
    if claims:
        claim_errors, claim_names, claim_rows = read_csv("claims", claims, layout.CLAIM_COLUMNS)
        errors += claim_errors
    if errors:
        outcome.errors += errors
        return outcome  # a bad header: nothing can be read
    with clock("read_cases"):
        index = _index_cases(case_names, case_rows, outcome)
    spill = _Spill()
    try:
        with clock("read_claims"):
            index.names = claim_names
            _spill_claims(claim_names, claim_rows, index, spill, outcome)
        outcome.total = index.count + len(index.orphans)
        if progress:
            progress(0, outcome.total)
        _apply_chunks(_records(cases, index, spill, chunk), actor=actor, on=on, source=source, dry_run=dry_run,
                      progress=progress, batch=batch, outcome=outcome, clock=clock)
    finally:
        spill.close()
    outcome.errors.sort(key=lambda e: (e.file != "cases", e.line, e.field))
    return outcome


class _Clock:
    def __init__(self, timings):
        self.timings = timings

    @contextlib.contextmanager
    def __call__(self, phase):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - t0


def _apply_chunks(chunks, *, actor, on, source, dry_run, progress, batch, outcome, clock):
    # A person outside writing history files a submission per row (recovery.submission_models): the
    # set-based path writes for staff only.
    batch = batch and getattr(actor, "is_staff", False)
    payers = _payers()
    # A dry run is one transaction rolled back at the end (a later record may rest on what an earlier one
    # wrote: a TPOC row and, in another chunk, claims naming that case by number): its outcome is the
    # import's. An import commits chunk by chunk so that its progress shows, each record in its own
    # savepoint. (The preview's progress is saved beside the transaction: recovery.intake.tasks.)
    outer = transaction.atomic() if dry_run else contextlib.nullcontext()
    try:
        with outer:
            while True:
                with clock("assemble"):
                    done, part = next(chunks, (None, None))
                if part is None:
                    break
                chunk_started = time.perf_counter()
                with transaction.atomic():
                    _apply_chunk(part, payers, actor=actor, on=on, source=source, batch=batch, outcome=outcome,
                                 clock=clock)
                # the chunk's whole time, its commit (or savepoint release) included
                clock.timings["chunks"] = clock.timings.get("chunks", 0.0) + time.perf_counter() - chunk_started
                if progress:
                    progress(done, outcome.total)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass


def _apply_chunk(part, payers, *, actor, on, source, batch, outcome, clock):
    good = [r for r in part if not r.errors]
    for r in part:
        if r.errors:
            _reject(r, r.errors, outcome)
    with clock("lookup"):
        known = _lookup(good, payers) if good else None
    plans, one_by_one = [], []
    with clock("plan"):
        for record in good:
            if not batch:
                one_by_one.append(record)
                continue
            try:
                plan = _plan_new(record, known)
            except _RecordRejected as exc:
                _reject(record, exc.errors, outcome)
                continue
            (plans.append(plan) if plan else one_by_one.append(record))
    if plans:
        try:
            with clock("write"):
                outcome.claims_added += _open_new(plans, actor=actor, on=on, source=source)
            outcome.created += len(plans)
        except DatabaseError:  # e.g. a constraint, a concurrent import: one by one
            one_by_one = [p.record for p in plans] + one_by_one
    with clock("one_by_one"):
        _one_by_one(one_by_one, known, actor=actor, on=on, source=source, outcome=outcome)


def errors_csv(errors) -> str:
    """The downloadable error report: one row per bad row and field."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["file", "line", "field", "reason", "record"])
    for e in errors:
        writer.writerow([e.file, e.line, e.field, e.reason, e.key])
    return out.getvalue()
