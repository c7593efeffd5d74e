"""The one way from a caseworker's answers (the page's form, the API's body, an MSP occurrence) to the
who-pays-first rule (``rules.who_pays_first``, SPEC §7) and back. Pages, the API and the occurrence hook
all call these; none of them decides anything itself."""

from __future__ import annotations

from datetime import date

from . import rules
from .rules import CoordinationInputError, EsrdPeriod, GHPBasis, Situation, Through

# Where a rule input comes from in the flat answers (the form's and the API's field names).
FIELD_FOR = {"esrd": "esrd_start"}


def _period(start: date | None, end: date | None, *, start_field: str, end_field: str) -> EsrdPeriod | None:
    if start is None:
        if end is not None:
            raise CoordinationInputError(start_field, "an ESRD period that ends needs its start")
        return None
    if end is not None and end < start:
        raise CoordinationInputError(end_field, "cannot be before the ESRD entitlement start")
    return EsrdPeriod(start, end)


def situation_from(data: dict, *, beneficiary=None) -> Situation:
    """A ``Situation`` from the flat answers (``data``: the cleaned form or serializer data). With a
    beneficiary, the date of birth and the entitlement basis come from its record unless given."""
    data = {k: v for k, v in data.items() if v is not None and v != ""}
    date_of_birth = data.get("date_of_birth")
    disabled = data.get("disabled", False)
    other_start = data.get("other_entitlement_start")
    esrd_start, esrd_end = data.get("esrd_start"), data.get("esrd_end")
    if beneficiary is not None:
        date_of_birth = date_of_birth or beneficiary.date_of_birth
        basis = beneficiary.entitlement_basis
        if basis == "disability":
            disabled = True
            other_start = other_start or beneficiary.entitlement_start
        elif basis == "esrd" and esrd_start is None:
            esrd_start, esrd_end = beneficiary.entitlement_start, beneficiary.entitlement_end
    if date_of_birth is None:
        raise CoordinationInputError("date_of_birth", "enter the date of birth (or the beneficiary's MBI)")
    if esrd_start is None and (data.get("dialysis_start") or data.get("transplant_date")
                               or data.get("transplant_admission")):
        esrd_start = rules.esrd_entitlement_start(
            dialysis_start=data.get("dialysis_start"), self_dialysis_training=data.get("self_dialysis_training", False),
            transplant_admission=data.get("transplant_admission"), transplant_date=data.get("transplant_date"))
    periods = [p for p in (
        _period(data.get("previous_esrd_start"), data.get("previous_esrd_end"),
                start_field="previous_esrd_start", end_field="previous_esrd_end"),
        _period(esrd_start, esrd_end, start_field="esrd_start", end_field="esrd_end"),
    ) if p is not None]
    if len(periods) == 2 and (periods[0].end is None or periods[0].end >= periods[1].start):
        raise CoordinationInputError("previous_esrd_end", "the earlier ESRD period must end before the "
                                                          "current one starts")
    known = data.get("medicare_primary_when_esrd_began", "unknown")
    return Situation(
        on=data["on"], date_of_birth=date_of_birth, disabled=disabled, esrd=tuple(periods),
        other_entitlement_start=other_start,
        medicare_primary_when_esrd_began={"yes": True, "no": False}.get(known),
        part_a=rules.PartA(data.get("part_a", rules.PartA.PREMIUM_FREE)), part_b=data.get("part_b", True),
        ghp=GHPBasis(data.get("ghp", GHPBasis.NONE)), ghp_through=Through(data.get("ghp_through", Through.SELF)),
        employer_size=data.get("employer_size"), multi_employer=data.get("multi_employer", False),
        largest_employer_size=data.get("largest_employer_size"),
        small_employer_exempted=data.get("small_employer_exempted", False),
        cobra_before_medicare=data.get("cobra_before_medicare", False),
        nghp=rules.NGHP(data.get("nghp", rules.NGHP.NONE)), nghp_related_care=data.get("nghp_related_care", True),
        claim_received=data.get("claim_received"), nghp_paid_on=data.get("nghp_paid_on"),
        black_lung=data.get("black_lung", False), black_lung_related_care=data.get("black_lung_related_care", False),
        va_authorised_care=data.get("va_authorised_care", False), tricare=data.get("tricare", False),
        military_facility=data.get("military_facility", False), medicaid=data.get("medicaid", False),
    )


def determine(data: dict, *, beneficiary=None) -> rules.Determination:
    """``who_pays_first`` for the flat answers; a ``CoordinationInputError`` names the answer at fault."""
    try:
        return rules.who_pays_first(situation_from(data, beneficiary=beneficiary))
    except CoordinationInputError as exc:
        if exc.field in FIELD_FOR:
            raise CoordinationInputError(FIELD_FOR[exc.field], exc.message) from exc
        raise


def as_dict(result: rules.Determination) -> dict:
    """The determination as the page and the API show it."""
    label = rules.PAYER_LABELS
    return {
        "primary": str(result.primary), "primary_label": label[result.primary],
        "secondary": str(result.secondary) if result.secondary else None,
        "secondary_label": label[result.secondary] if result.secondary else None,
        "order": [{"payer": str(p), "label": label[p]} for p in result.order],
        "rule_id": result.rule_id, "rule": result.rule,
        "applied": [{"rule_id": r, "rule": text} for r, text in result.applied],
        "medicare_primary": result.medicare_primary, "medicare_pays": result.medicare_pays,
        "conditional_payment": result.conditional_payment,
        "coordination_period": None if result.coordination_period is None else {
            "start": result.coordination_period[0], "end": result.coordination_period[1]},
    }


# --- an MSP occurrence (SPEC §2): is another payer really primary? -----------------------------------

GHP_FACTS = ("ghp", "ghp_through", "employer_size", "multi_employer", "largest_employer_size",
             "small_employer_exempted")


def occurrence_determination(*, occurrence, ghp_facts: dict | None = None) -> rules.Determination:
    """Who pays first for the occurrence's beneficiary on the occurrence's date (the incident, or the GHP
    coverage start — or the beneficiary's entitlement start when later). A GHP occurrence needs
    ``ghp_facts`` (basis, whose employment, employer size…; GHP_FACTS); liability / no-fault / WC is
    primary for the related care."""
    beneficiary = occurrence.beneficiary
    start = occurrence.coverage_start if occurrence.is_ghp else occurrence.incident_date
    on = max(d for d in (start, beneficiary.entitlement_start) if d is not None)
    data = {"on": on}
    if occurrence.is_ghp:
        facts = {k: v for k, v in (ghp_facts or {}).items() if k in GHP_FACTS}
        facts.setdefault("ghp", GHPBasis.CURRENT_EMPLOYMENT)
        data.update(facts)
    else:
        data["nghp"] = occurrence.coverage_type
    return determine(data, beneficiary=beneficiary)


def occurrence_warning(*, occurrence, ghp_facts: dict | None = None) -> str | None:
    """The warning to show when an occurrence is posted for a beneficiary whose Medicare pays first
    (then no MSP recovery should exist), or why it could not be decided; None when another payer is
    primary."""
    try:
        result = occurrence_determination(occurrence=occurrence, ghp_facts=ghp_facts)
    except CoordinationInputError as exc:
        return f"Who pays first could not be decided ({exc.field.replace('_', ' ')}: {exc.message})."
    if result.medicare_primary:
        return (f"Who pays first: Medicare pays first here ({result.rule_id}: {result.rule}) — "
                f"no MSP recovery should exist for this occurrence.")
    return None


def wcmsa(data: dict) -> rules.WcmsaReview:
    """Would CMS review a WCMSA for these answers? (SPEC §7.) ``expected_medicare_on`` with a
    ``settlement_date`` decides the 30-month expectation by calendar months."""
    expects = bool(data.get("expects_medicare_within_30_months"))
    settled, expected = data.get("settlement_date"), data.get("expected_medicare_on")
    if expected is not None:
        if settled is None:
            raise CoordinationInputError("settlement_date", "needed to compare the expected enrolment with")
        rules.check_date("settlement_date", settled)
        rules.check_date("expected_medicare_on", expected)
        expects = rules.within_months(settled, expected, rules.WCMSA_EXPECTATION_MONTHS)
    return rules.wcmsa_review(total_settlement=data["total_settlement"],
                              medicare_beneficiary=bool(data.get("medicare_beneficiary")),
                              expects_medicare_within_30_months=expects)
