"""Properties of who pays first (SPEC §7) over generated situations: Medicaid never first and always last,
one answer for one situation, Medicare first when nothing else covers, each payer once, month arithmetic."""

from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from payers.coordination.rules import (
    NGHP, RULES, CoordinationInputError, EsrdPeriod, GHPBasis, PartA, Payer, Situation, Through, add_months,
    coordination_period, month_start, months_between, who_pays_first,
)

days = st.dates(min_value=date(1920, 1, 1), max_value=date(2150, 12, 31))
maybe_size = st.one_of(st.none(), st.integers(min_value=0, max_value=200_000))


@st.composite
def esrd_periods(draw):
    if not draw(st.booleans()):
        return ()
    start = draw(st.dates(min_value=date(1975, 1, 1), max_value=date(2100, 1, 1)))
    end = draw(st.one_of(st.none(), st.dates(min_value=start, max_value=date(2140, 1, 1))))
    periods = [EsrdPeriod(start, end)]
    if end is not None and draw(st.booleans()):
        again = draw(st.dates(min_value=end + timedelta(days=1), max_value=date(2145, 1, 1)))
        periods.append(EsrdPeriod(again))
    return tuple(periods)


@st.composite
def situations(draw):
    """Mostly valid situations (the dependent answers drawn together), so that few are filtered out."""
    on = draw(days)
    dob = draw(st.dates(min_value=date(1900, 1, 1), max_value=min(on, date(2100, 1, 1))))
    esrd = draw(esrd_periods())
    disabled = draw(st.booleans())
    ghp = draw(st.sampled_from(list(GHPBasis)))
    multi = draw(st.booleans())
    size = draw(st.integers(min_value=0, max_value=200_000)) if ghp == GHPBasis.CURRENT_EMPLOYMENT else None
    largest = draw(st.integers(min_value=size or 0, max_value=300_000)) if multi else None
    nghp = draw(st.sampled_from(list(NGHP)))
    claim = draw(st.one_of(st.none(), days)) if nghp != NGHP.NONE else None
    paid = draw(st.one_of(st.none(), days)) if claim else None
    tricare, black_lung = draw(st.booleans()), draw(st.booleans())
    return Situation(
        on=on, date_of_birth=dob, disabled=disabled, esrd=esrd,
        other_entitlement_start=draw(days) if disabled and esrd else draw(st.one_of(st.none(), days)),
        medicare_primary_when_esrd_began=draw(st.sampled_from([None, True, False])),
        part_a=draw(st.sampled_from(list(PartA))), part_b=draw(st.booleans()), ghp=ghp,
        ghp_through=draw(st.sampled_from(list(Through))), employer_size=size, multi_employer=multi,
        largest_employer_size=largest, small_employer_exempted=multi and draw(st.booleans()),
        cobra_before_medicare=draw(st.booleans()), nghp=nghp, nghp_related_care=draw(st.booleans()),
        claim_received=claim, nghp_paid_on=paid, black_lung=black_lung,
        black_lung_related_care=black_lung and draw(st.booleans()), va_authorised_care=draw(st.booleans()),
        tricare=tricare, military_facility=tricare and draw(st.booleans()), medicaid=draw(st.booleans()),
    )


def decide(situation):
    try:
        return who_pays_first(situation)
    except CoordinationInputError as exc:
        assert exc.field and exc.message  # bad input is named, never a crash
        assume(False)


@settings(max_examples=300, deadline=None)
@given(situations())
def test_medicaid_is_never_first_and_always_last(situation):
    result = decide(situation)
    assert result.primary != Payer.MEDICAID
    assert (Payer.MEDICAID in result.order) is situation.medicaid
    if situation.medicaid:
        assert result.order[-1] == Payer.MEDICAID


@settings(max_examples=300, deadline=None)
@given(situations())
def test_one_situation_one_answer_with_a_known_rule_and_each_payer_once(situation):
    first, second = decide(situation), who_pays_first(situation)
    assert first == second
    assert first.rule_id in RULES and first.rule == RULES[first.rule_id]
    assert len(set(first.order)) == len(first.order)
    assert first.medicare_pays is not (situation.va_authorised_care or (situation.tricare and situation.military_facility))
    if first.conditional_payment:
        assert first.primary in (Payer.LIABILITY, Payer.NO_FAULT, Payer.WORKERS_COMP, Payer.BLACK_LUNG)


@settings(max_examples=300, deadline=None)
@given(on=days, dob=st.dates(min_value=date(1900, 1, 1), max_value=date(2080, 1, 1)), disabled=st.booleans(),
       esrd=esrd_periods())
def test_with_no_other_coverage_medicare_pays_first(on, dob, disabled, esrd):
    other = date(1950, 1, 1) if disabled and esrd else None
    result = decide(Situation(on=on, date_of_birth=dob, disabled=disabled, esrd=esrd,
                              other_entitlement_start=other))
    assert (result.order, result.rule_id) == ((Payer.MEDICARE,), "NONE")


@settings(max_examples=300, deadline=None)
@given(start=st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 1, 1)),
       months=st.integers(min_value=-600, max_value=600))
def test_month_arithmetic(start, months):
    later = add_months(start, months)
    assert months_between(start, later) == months + 1
    assert later.day == start.day or later.day < start.day and add_months(later, 1).month != later.month
    first, last = coordination_period(start)
    assert first == month_start(start) and months_between(first, last) == 30
    assert months_between(first, last + timedelta(days=1)) == 31
