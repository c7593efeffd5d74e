"""The intake CSV layout, version 1 (docs/intake.md): column names, and parsing one row into typed
values with every error named by line, field and reason. Pure: no database (SPEC §9)."""

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError

from beneficiaries.mbi import InvalidMBI, normalize_mbi
from payers.models import MSPOccurrence, Payer
from recovery import parsing
from recovery.models import service_period_errors, validate_diagnosis_codes

VERSION = "1"

CASE_COLUMNS = {
    # name: required
    "case_number": False,
    "mbi": True,
    "first_name": True,
    "last_name": True,
    "date_of_birth": True,
    "payer_name": True,
    "payer_type": True,
    "coverage_type": True,
    "injury_kind": True,
    "incident_date": True,
    "orm_indicator": True,
    "orm_end_date": False,
    "tpoc_date": False,
    "tpoc_amount": False,
}
CLAIM_COLUMNS = {
    "case_number": False,
    "mbi": False,
    "incident_date": False,
    "claim_number": True,
    "provider_name": True,
    "provider_npi": False,
    "service_from": True,
    "service_to": True,
    "diagnosis_codes": True,
    "amount_paid": True,
    "paid_date": False,
}
NGHP_COVERAGE = {MSPOccurrence.CoverageType.LIABILITY, MSPOccurrence.CoverageType.NO_FAULT,
                 MSPOccurrence.CoverageType.WORKERS_COMP}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Layout v1 amounts are plain digits: recovery.parsing.parse_money's rules, and no `$` or commas
# (docs/intake.md).
PLAIN_AMOUNTS = True


@dataclass(frozen=True)
class RowError:
    file: str  # "cases" or "claims"
    line: int  # the line in the file (the header is line 1)
    field: str  # a column name, or "" for the whole row/record
    reason: str
    key: str = ""  # the record's natural key, when known


class _Row:
    """Collects a row's values and errors; each getter returns None and records an error when bad."""

    def __init__(self, file, line, raw):
        self.file, self.line, self.raw, self.errors = file, line, raw, []

    def error(self, name, reason):
        self.errors.append(RowError(self.file, self.line, name, reason))

    def text(self, name, required=True, max_length=200):
        value = (self.raw.get(name) or "").strip()
        if required and not value:
            self.error(name, "Required.")
        elif len(value) > max_length:
            self.error(name, f"At most {max_length} characters.")
        return value

    def day(self, name, required=True):
        value = self.text(name, required)
        if not value:
            return None
        if not _DATE.match(value):
            self.error(name, f"'{value}' is not a date in the form YYYY-MM-DD.")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.error(name, f"'{value}' is not a calendar date.")
            return None

    def money(self, name, required=True) -> Decimal | None:
        """Read by the one money parser (recovery.parsing.parse_money: whole cents, not negative, at most
        12 digits before the point, no exponent …). With PLAIN_AMOUNTS (layout v1) a `$` or a thousands
        comma is refused too: a file is written by a program, and a comma is the CSV's separator."""
        value = self.text(name, required)
        if not value:
            return None
        if PLAIN_AMOUNTS and ("$" in value or "," in value):
            self.error(name, f"'{value}': write amounts as plain digits such as 1234.56 (layout v{VERSION}: no $ "
                             "or thousands separator).")
            return None
        try:
            return parsing.parse_money(value, name)
        except parsing.ParseError as exc:
            self.error(name, exc.message)
            return None

    def choice(self, name, choices):
        value = self.text(name).lower()
        if value and value not in choices:
            self.error(name, f"'{value}' is not one of: {', '.join(sorted(choices))}.")
            return None
        return value or None


@dataclass(slots=True)
class CaseRow:
    line: int
    case_number: str
    mbi: str | None
    first_name: str
    last_name: str
    date_of_birth: date | None
    payer_name: str
    payer_type: str | None
    coverage_type: str | None
    injury_kind: str | None
    incident_date: date | None
    orm: bool | None
    orm_end: date | None
    tpoc_date: date | None
    tpoc_amount: Decimal | None
    errors: list = field(default_factory=list)

    @property
    def key(self):
        """The natural key of a case record: MBI, payer (name, type), date of incident."""
        return (self.mbi, self.payer_name.casefold(), self.payer_type, self.incident_date)

    @property
    def key_text(self):
        return f"{self.mbi}/{self.payer_name}/{self.incident_date}"


@dataclass(slots=True)
class ClaimRow:
    line: int
    case_number: str
    mbi: str | None
    incident_date: date | None
    claim_number: str
    provider_name: str
    provider_npi: str
    service_from: date | None
    service_to: date | None
    diagnosis_codes: str
    amount_paid: Decimal | None
    paid_date: date | None
    errors: list = field(default_factory=list)


def check_header(file, header, columns) -> list[RowError]:
    header = [h.strip() for h in (header or [])]
    errors = []
    missing = [c for c, required in columns.items() if required and c not in header]
    if missing:
        errors.append(RowError(file, 1, "", f"Layout v{VERSION}: missing column(s) {', '.join(missing)}."))
    unknown = [h for h in header if h not in columns]
    if unknown:
        errors.append(RowError(file, 1, "", f"Layout v{VERSION}: unknown column(s) {', '.join(unknown)}."))
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        errors.append(RowError(file, 1, "", f"Column(s) given twice: {', '.join(dupes)}."))
    return errors


# The choices, read once (not per row).
_PAYER_TYPES = frozenset(Payer.Kind.values)
_COVERAGE_TYPES = frozenset(str(c) for c in NGHP_COVERAGE)
_INJURY_KINDS = frozenset(MSPOccurrence.InjuryKind.values)
# The Claim model's ICD-10 validator, once per distinct list of codes (a file repeats them).
_diagnosis_codes = functools.lru_cache(maxsize=1 << 14)(validate_diagnosis_codes)

# The same validator, once per distinct MBI of a file (a claims file repeats its cases' MBIs).
_normalize_mbi = functools.lru_cache(maxsize=1 << 16)(normalize_mbi)


def _mbi(row, required=True):
    value = row.text("mbi", required, max_length=13)
    if not value:
        return None
    try:
        return _normalize_mbi(value)
    except InvalidMBI as exc:  # SPEC §8, the beneficiaries' own validator
        row.error("mbi", str(exc))
        return None


def parse_case(line: int, raw: dict) -> CaseRow:
    r = _Row("cases", line, raw)
    case_number = r.text("case_number", required=False, max_length=15)
    if case_number and not (case_number.isdigit() and len(case_number) == 15):
        r.error("case_number", "A case number is 15 digits (SPEC §3.5).")
    orm_text = r.choice("orm_indicator", {"y", "n"})
    row = CaseRow(
        line=line, case_number=case_number, mbi=_mbi(r),
        first_name=r.text("first_name", max_length=100), last_name=r.text("last_name", max_length=100),
        date_of_birth=r.day("date_of_birth"), payer_name=r.text("payer_name"),
        payer_type=r.choice("payer_type", _PAYER_TYPES),
        coverage_type=r.choice("coverage_type", _COVERAGE_TYPES),
        injury_kind=r.choice("injury_kind", _INJURY_KINDS),
        incident_date=r.day("incident_date"), orm=None if orm_text is None else orm_text == "y",
        orm_end=r.day("orm_end_date", required=False), tpoc_date=r.day("tpoc_date", required=False),
        tpoc_amount=r.money("tpoc_amount", required=False),
    )
    if row.orm_end and row.orm is False:
        r.error("orm_end_date", "An ORM termination date needs orm_indicator Y.")
    if row.orm_end and row.incident_date and row.orm_end < row.incident_date:
        r.error("orm_end_date", "ORM cannot end before the date of incident.")
    if (row.tpoc_date is None) != (row.tpoc_amount is None) and not any(
            e.field in ("tpoc_date", "tpoc_amount") for e in r.errors):
        missing = "tpoc_amount" if row.tpoc_date else "tpoc_date"
        r.error(missing, "A TPOC needs both its date and its amount.")
    if row.tpoc_date and row.incident_date and row.tpoc_date < row.incident_date:
        r.error("tpoc_date", f"The settlement date is before the incident date ({row.incident_date:%Y-%m-%d}).")
    if row.date_of_birth and row.incident_date and row.incident_date < row.date_of_birth:
        r.error("incident_date", "The date of incident is before the date of birth.")
    row.errors = r.errors
    return row


def claim_link(line: int, raw: dict):
    """What a claim row links to, read as parse_claim reads it: ("number", case number), or ("mbi", MBI,
    date of incident or None); None when it has neither a case number nor a readable MBI."""
    r = _Row("claims", line, raw)
    case_number = r.text("case_number", required=False, max_length=15)
    if case_number:
        return ("number", case_number)
    mbi = _mbi(r)
    return None if mbi is None else ("mbi", mbi, r.day("incident_date"))


def parse_claim(line: int, raw: dict) -> ClaimRow:
    r = _Row("claims", line, raw)
    case_number = r.text("case_number", required=False, max_length=15)
    if case_number and not (case_number.isdigit() and len(case_number) == 15):
        r.error("case_number", "A case number is 15 digits (SPEC §3.5).")
    mbi = _mbi(r, required=not case_number)
    incident = r.day("incident_date", required=not case_number)
    npi = r.text("provider_npi", required=False, max_length=10)
    if npi and not (npi.isdigit() and len(npi) == 10):
        r.error("provider_npi", "An NPI is 10 digits.")
    codes = r.text("diagnosis_codes")
    if codes:
        try:
            _diagnosis_codes(codes)
        except ValidationError as exc:
            r.error("diagnosis_codes", exc.messages[0])
    row = ClaimRow(
        line=line, case_number=case_number, mbi=mbi, incident_date=incident,
        claim_number=r.text("claim_number", max_length=30), provider_name=r.text("provider_name"),
        provider_npi=npi, service_from=r.day("service_from"), service_to=r.day("service_to"),
        diagnosis_codes=",".join(c.strip().upper() for c in codes.split(",") if c.strip()),
        amount_paid=r.money("amount_paid"), paid_date=r.day("paid_date", required=False),
    )
    if row.service_from and row.service_to and row.service_to < row.service_from:
        r.error("service_to", "The last date of service is before the first.")
    row.errors = r.errors
    return row


def period_errors(claim: ClaimRow, start: date | None, end: date | None) -> list[RowError]:
    """Dates of service inside the recovery period, for the batch path: recovery.models'
    service_period_errors, the rule Claim.clean applies, as row errors."""
    return [RowError("claims", claim.line, name, message) for name, message in
            service_period_errors(claim.service_from, claim.service_to, start, end).items()]
