"""The final conditional payment amount (SPEC §5.6; SMART Act, 42 CFR 411.39).

When a settlement is expected within 120 days, the beneficiary or representative may say so (the
*notice*); disputes raised while the notice stands are resolved within 11 business days. Within 3
days of settling they may ask for the *final conditional payment amount* — the conditional payment
total on the day of the request. That amount holds — the demand uses it instead of the claims — if
the case settles within 3 calendar days of the request and the settlement information is filed
within 30 days of settling. Once per case; a missed condition voids it.

How the days count (SPEC §3, "How a clock counts"): the starting date is day 0, days are calendar
days, a window of N days runs through day N. The lengths are rows of the clock table
(recovery.final_amount_models.CLOCKS seeds them), never constants here. Business days are Monday
to Friday except the federal holidays of 5 U.S.C. 6103 (observed dates).

`standing` is pure (dates in, a verdict out): whether the amount holds is always derived from the
stored dates, as of a given day, so a late look and an on-time look agree.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from ..cases.history import today
from ..cases.history import write as _history
from ..clocks import counting as clocks
from ..errors import CaseActionError
from ..final_amount_models import (
    DISPUTE_BUSINESS_DAYS,
    NOTICE_WINDOW,
    SETTLE_WITHIN,
    SETTLEMENT_INFO,
    FinalAmountDispute,
    FinalConditionalPayment,
)
from ..models import RecoveryCase, Settlement
from .options import PRE_DEMAND
from ..cases.tracks import Track

NOTICED, PENDING, HOLDS, VOID = "noticed", "pending", "holds", "void"


def _d(value: date) -> str:
    return value.strftime("%Y-%m-%d")


# --- business days (pure) -------------------------------------------------------------------------


def _nth_weekday(year, month, weekday, n):
    """The n-th `weekday` (0 Monday) of the month; n = -1 for the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = (date(year, month + 1, 1) if month < 12 else date(year + 1, 1, 1)) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def federal_holidays(year: int) -> set[date]:
    """The observed federal holidays falling in `year` (5 U.S.C. 6103; Juneteenth from 2021)."""
    fixed = [(1, 1), (7, 4), (11, 11), (12, 25)] + ([(6, 19)] if year >= 2021 else [])
    days = {_observed(date(year, m, d)) for m, d in fixed}
    days |= {_nth_weekday(year, 1, 0, 3), _nth_weekday(year, 2, 0, 3), _nth_weekday(year, 5, 0, -1),
             _nth_weekday(year, 9, 0, 1), _nth_weekday(year, 10, 0, 2), _nth_weekday(year, 11, 3, 4)}
    next_new_year = _observed(date(year + 1, 1, 1))  # 1 January on a Saturday is observed on 31 December
    if next_new_year.year == year:
        days.add(next_new_year)
    return {d for d in days if d.year == year}


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in federal_holidays(day.year)


def add_business_days(start: date, n: int) -> date:
    """The n-th business day after `start` (day 0)."""
    day, left = start, n
    while left > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            left -= 1
    return day


# --- whether the amount holds (pure) ---------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    status: str  # noticed, pending, holds, void
    message: str
    request_by: date | None = None  # the notice's window: settlement expected by then
    settle_by: date | None = None  # the request's window: the case settles by then
    file_by: date | None = None  # settlement information filed by then
    amount: Decimal | None = None

    @property
    def holds(self) -> bool:
        return self.status == HOLDS

    @property
    def void(self) -> bool:
        return self.status == VOID


def standing(*, notice_date: date, requested_on: date | None, amount: Decimal | None,
             settlement_date: date | None, filed_on: date | None, as_of: date,
             notice_days: int, settle_days: int, info_days: int) -> Standing:
    """Where the final conditional payment amount stands on `as_of` (SPEC §5.6).

    `settlement_date`/`filed_on`: the settlement's date and the day its information was filed (None
    when no settlement information has been filed; `filed_on` None with a settlement: not recorded).
    """
    window_end = clocks.window_last_day(notice_date, notice_days)
    if requested_on is None:
        if settlement_date is not None and settlement_date < as_of:
            return Standing(VOID, f"The case settled on {_d(settlement_date)} without a request for the final "
                                  "conditional payment amount.", request_by=window_end)
        if as_of > window_end:
            return Standing(VOID, f"The notice lapsed on {_d(window_end)}: no final conditional payment amount "
                                  f"was requested within {notice_days} days of it.", request_by=window_end)
        return Standing(NOTICED, f"Settlement expected by {_d(window_end)}. Ask for the final conditional payment "
                                 f"amount within {settle_days} days before settling.", request_by=window_end)
    settle_by = clocks.window_last_day(requested_on, settle_days)
    common = {"request_by": window_end, "settle_by": settle_by, "amount": amount}
    if settlement_date is None:
        latest_filing = clocks.window_last_day(settle_by, info_days)
        if as_of > latest_filing:
            return Standing(VOID, f"No settlement information was filed within {info_days} days of a settlement "
                                  f"by {_d(settle_by)}.", file_by=latest_filing, **common)
        return Standing(PENDING, f"Holds if the case settles by {_d(settle_by)} and the settlement information is "
                                 f"filed within {info_days} days of settling.", file_by=latest_filing, **common)
    file_by = clocks.window_last_day(settlement_date, info_days)
    common["file_by"] = file_by
    if settlement_date < requested_on:
        return Standing(VOID, f"The case settled on {_d(settlement_date)}, before the request of "
                              f"{_d(requested_on)}.", **common)
    if settlement_date > settle_by:
        return Standing(VOID, f"The case settled on {_d(settlement_date)}, more than {settle_days} days after the "
                              f"request (by {_d(settle_by)}).", **common)
    if filed_on is None:
        return Standing(PENDING, f"The case settled in time; the settlement information must be filed by "
                                 f"{_d(file_by)} (the day it was received is not recorded yet).", **common)
    if filed_on > file_by:
        return Standing(VOID, f"The settlement information was filed on {_d(filed_on)}, more than {info_days} days "
                              f"after the settlement (by {_d(file_by)}).", **common)
    return Standing(HOLDS, f"Holds: the case settled on {_d(settlement_date)} (by {_d(settle_by)}) and the "
                           f"settlement information was filed on {_d(filed_on)} (by {_d(file_by)}).", **common)


# --- reads ---------------------------------------------------------------------------------------


def _table():
    from .policy import clock_table

    return clock_table()


def _days(table, name: str, on: date) -> int:
    try:
        return table.days(Track.BENEFICIARY, name, on)
    except clocks.ClockMissing as exc:
        raise CaseActionError(str(exc)) from exc


def _settlement(case) -> Settlement | None:
    try:
        return case.settlement
    except Settlement.DoesNotExist:
        return None


def _record(case) -> FinalConditionalPayment | None:
    try:
        return case.final_amount
    except FinalConditionalPayment.DoesNotExist:
        return None


def standing_of(record: FinalConditionalPayment, *, settlement: Settlement | None, as_of: date,
                table=None) -> Standing:
    table = table or _table()
    start = record.notice_date
    return standing(
        notice_date=record.notice_date, requested_on=record.requested_on, amount=record.amount,
        settlement_date=settlement.settlement_date if settlement else None,
        filed_on=settlement.received_on if settlement else None, as_of=as_of,
        notice_days=_days(table, NOTICE_WINDOW, start),
        settle_days=_days(table, SETTLE_WITHIN, record.requested_on or start),
        info_days=_days(table, SETTLEMENT_INFO, record.requested_on or start),
    )


def final_amount_standing(*, case: RecoveryCase, as_of: date, table=None) -> Standing | None:
    """Where the case's final amount stands (None: no notice was given)."""
    record = _record(case)
    if record is None:
        return None
    return standing_of(record, settlement=_settlement(case), as_of=as_of, table=table)


def final_amount_for_demand(*, case: RecoveryCase, settlement: Settlement | None, on: date):
    """(amount, note) for a demand computed on `on`: the amount when it holds (else None), and a
    line for the computation's steps when an amount was asked for (else None)."""
    record = _record(case)
    if record is None or record.requested_on is None:
        return None, None
    st = standing_of(record, settlement=settlement, as_of=on)
    head = f"Final conditional payment amount ${record.amount} requested on {_d(record.requested_on)}"
    if st.holds:
        return record.amount, f"{head} (42 CFR 411.39). {st.message}"
    return None, f"{head} is not used: {st.message} The conditional payments are used."


def _open_to_final_amount(case: RecoveryCase) -> str | None:
    if case.track != Track.BENEFICIARY:
        return "The final conditional payment amount is for beneficiaries' cases (beneficiary track)."
    if case.demand_date or case.state not in PRE_DEMAND:
        return "The final conditional payment amount is asked for before the demand is issued."
    return None


def why_not_notice(case: RecoveryCase, *, on: date) -> str | None:
    refusal = _open_to_final_amount(case)
    if refusal:
        return refusal
    record = _record(case)
    if record is not None:
        return (f"A notice of settlement was already given on {_d(record.notice_date)}: the final conditional "
                "payment amount process is once per case.")
    if _settlement(case) is not None:
        return "The settlement details are already recorded: the case has settled."
    return None


def why_not_request(case: RecoveryCase, *, on: date, table=None) -> str | None:
    refusal = _open_to_final_amount(case)
    if refusal:
        return refusal
    record = _record(case)
    if record is None:
        return "First give notice that the case is expected to settle within 120 days."
    if record.requested_on:
        return (f"The final conditional payment amount was already requested on {_d(record.requested_on)}: "
                "it can be asked for once per case.")
    settlement = _settlement(case)
    if settlement is not None and settlement.settlement_date < on:
        return (f"The case settled on {_d(settlement.settlement_date)}: the final conditional payment amount is "
                "asked for before settling.")
    st = standing_of(record, settlement=settlement, as_of=on, table=table)
    if st.void:
        return st.message
    return None


# --- writes --------------------------------------------------------------------------------------


def _locked(case) -> RecoveryCase:
    return RecoveryCase.objects.select_for_update().get(pk=case.pk)


def _not_future(on: date, field: str):
    if on > today():
        raise CaseActionError("This cannot be dated in the future.", field=field)


@transaction.atomic
def final_amount_notice(*, case: RecoveryCase, expected_settlement_date: date, actor,
                        on: date | None = None) -> FinalConditionalPayment:
    """The beneficiary's side says the case is expected to settle within 120 days (SPEC §5.6)."""
    on = on or today()
    _not_future(on, "notice_date")
    case = _locked(case)
    refusal = why_not_notice(case, on=on)
    if refusal:
        raise CaseActionError(refusal)
    if expected_settlement_date is None:
        raise CaseActionError("Give the date the case is expected to settle.", field="expected_settlement_date")
    days = _days(_table(), NOTICE_WINDOW, on)
    last = clocks.window_last_day(on, days)
    if expected_settlement_date < on:
        raise CaseActionError("The expected settlement date is in the past.", field="expected_settlement_date")
    if expected_settlement_date > last:
        raise CaseActionError(f"The notice is for a settlement expected within {days} days: on or before "
                              f"{_d(last)}.", field="expected_settlement_date")
    record = FinalConditionalPayment.objects.create(case=case, notice_date=on, noticed_by=actor,
                                                    expected_settlement_date=expected_settlement_date)
    _history(case, "final_amount_notice", actor=actor, on=on, from_state=case.state,
             reason=f"Notice of settlement expected on {_d(expected_settlement_date)} (SPEC §5.6)")
    return record


@transaction.atomic
def final_amount_request(*, case: RecoveryCase, actor, on: date | None = None) -> FinalConditionalPayment:
    """Ask for the final conditional payment amount: the conditional payment total today (once per case)."""
    from ..cases.selectors import conditional_payment_total
    on = on or today()
    _not_future(on, "requested_on")
    case = _locked(case)
    table = _table()
    refusal = why_not_request(case, on=on, table=table)
    if refusal:
        raise CaseActionError(refusal)
    record = FinalConditionalPayment.objects.select_for_update().get(case=case)
    record.requested_on, record.requested_by = on, actor
    record.amount = conditional_payment_total(case=case)
    record.save(update_fields=["requested_on", "requested_by", "amount"])
    settle_by = clocks.window_last_day(on, _days(table, SETTLE_WITHIN, on))
    _history(case, "final_amount_request", actor=actor, on=on, from_state=case.state,
             reason=f"Final conditional payment amount ${record.amount}: holds if the case settles by "
                    f"{_d(settle_by)} and the settlement information is filed within "
                    f"{_days(table, SETTLEMENT_INFO, on)} days of settling (SPEC §5.6)")
    return record


def final_amount_dispute_registered(*, case: RecoveryCase, dispute) -> FinalAmountDispute | None:
    """A dispute raised while a notice of settlement stands is resolved within 11 business days
    (SPEC §5.6): store its due date. Call it in the transaction that opened the dispute."""
    record = _record(case)
    if record is None or dispute.received_date < record.notice_date:
        return None
    table = _table()
    if standing_of(record, settlement=_settlement(case), as_of=dispute.received_date, table=table).void:
        return None
    due = add_business_days(dispute.received_date,
                            _days(table, DISPUTE_BUSINESS_DAYS, dispute.received_date))
    row, _ = FinalAmountDispute.objects.get_or_create(dispute=dispute,
                                                      defaults={"final_amount": record, "due_date": due})
    return row
