"""Why a step may not be taken now — each guard of SPEC §3 in one place, with a message a caseworker
can act on. `why_not` returns None when the step is allowed."""

from datetime import date

from ..clocks import counting as clocks
from . import tracks
from ..models import ZERO, Claim, RecoveryCase, Settlement
from .tracks import State, Track


def _d(value: date) -> str:
    return value.strftime("%Y-%m-%d")


def _settlement(case):
    try:
        return case.settlement
    except Settlement.DoesNotExist:
        return None


def _balance(case, balance):
    """The debt's balance: the one the caller passed (the sweep's batch engine holds the ledger in memory),
    else summed from the ledger."""
    if balance is not None:
        return balance
    from .selectors import debt_balance

    return debt_balance(case=case)


def _post_occurrence(case, on, table, balance=None):
    if not case.occurrence_id:
        return "Link the MSP occurrence to the case before posting it."


def _issue_cpl(case, on, table, balance=None):
    if not case.claims.filter(status=Claim.Status.RELATED).exists():
        return "A CPL lists the related claims: add at least one related claim first."


def _issue_payment_notice(case, on, table, balance=None):
    if not case.claims.filter(status=Claim.Status.RELATED).exists():
        return "A payment notice lists the mistaken payments: add at least one related claim first."


def _issue_cpn(case, on, table, balance=None):
    if case.track == Track.PLAN:
        if not case.claims.filter(status=Claim.Status.RELATED).exists():
            return "A CPN lists the conditional payments: add at least one related claim first."
        return None
    settlement = _settlement(case)
    if settlement is None:
        return "A CPN follows a settlement: enter the settlement details first."
    if case.state == State.CPL_ISSUED and settlement.source != Settlement.Source.SECTION_111:
        return ("From a CPL, a CPN is issued only for a settlement learned of through an insurer's Section 111 "
                "report; record the settlement as reported instead.")


def _notice_window(case, table):
    """(notice date, response days) of the CPN or GHP payment notice the case is waiting on."""
    if case.state == State.PAYMENT_NOTICE_ISSUED:
        return case.payment_notice_date, table.days(case.track, "payment_notice_response", case.payment_notice_date)
    return case.cpn_date, table.days(case.track, "cpn_response", case.cpn_date)


def _record_response(case, on, table, balance=None):
    if case.response_date:
        return f"A response was already recorded on {_d(case.response_date)}."
    start, days = _notice_window(case, table)
    if on > clocks.window_last_day(start, days):
        return f"The {days}-day response window closed on {_d(clocks.window_last_day(start, days))}."


def _open_dispute(case, on, table, balance=None):
    start = case.cpl_date if case.state == State.CPL_ISSUED else case.cpn_date
    days = table.days(case.track, "dispute_filing", start)
    if on > clocks.window_last_day(start, days):
        return f"The {days}-day dispute window closed on {_d(clocks.window_last_day(start, days))}."


def _report_settlement(case, on, table, balance=None):
    settlement = _settlement(case)
    if settlement is None:
        return "Enter the settlement details (date, gross amount, fees and costs) first."
    if settlement.source == Settlement.Source.SECTION_111:
        return "A settlement from a Section 111 report leads to a CPN: issue the CPN instead."


def _issue_demand(case, on, table, balance=None):
    if case.track == Track.BENEFICIARY and _settlement(case) is None:
        return "No demand before a settlement amount exists: enter the settlement details first."
    if case.state in (State.CPN_ISSUED, State.PAYMENT_NOTICE_ISSUED) and not case.response_date:
        start, days = _notice_window(case, table)
        first = clocks.consequence_day(start, days)
        if on < first:
            return (f"The {days}-day response window runs through {_d(clocks.window_last_day(start, days))}: "
                    f"the demand can be issued from {_d(first)}, or once a response is recorded.")


def _debt_open(case, balance):
    if _balance(case, balance).total <= ZERO:
        return "The debt is paid: close the case as paid."


def _issue_itr(case, on, table, balance=None):
    days = table.days(case.track, "itr", case.demand_date)
    due = clocks.sent_on_day(case.demand_date, days)
    if on < due:
        return f"The intent to refer is sent on day {days} after the demand ({_d(due)})."
    return _debt_open(case, balance)


def _issue_referral_notice(case, on, table, balance=None):
    days = table.days(case.track, "referral_notice", case.demand_date)
    due = clocks.consequence_day(case.demand_date, days)
    if on < due:
        return f"The referral notice is issued from {_d(due)} (day {days + 1} after the demand)."
    return _debt_open(case, balance)


def _refer_to_treasury(case, on, table, balance=None):
    if case.track == Track.PLAN:
        due = clocks.plan_treasury_day(table, case.demand_date, case.referral_notice_date)
    else:
        due = clocks.consequence_day(case.itr_date, table.days(case.track, "treasury_after_itr", case.itr_date))
    if on < due:
        return f"The debt can be referred to Treasury from {_d(due)}."
    return _debt_open(case, balance)


def _file_appeal(case, on, table, balance=None):
    from ..money.options import gave_up_appeal_rights

    if case.track == Track.BENEFICIARY and gave_up_appeal_rights(case):
        return "The beneficiary elected the self-calculated option, which gives up appeal rights (a waiver remains)."
    if case.track == Track.PLAN:
        if case.appeal_level >= 4:
            return "All four appeal levels (CRC, QIC, ALJ, Appeals Council) have been used."
        if case.appeal_level == 0:
            days = table.days(case.track, "appeal_window", case.demand_date)
            last = clocks.window_last_day(case.demand_date, days)
            if on > last:
                return f"The {days}-day window for a first-level appeal closed on {_d(last)}."


def _close_paid(case, on, table, balance=None):
    total = _balance(case, balance).total
    if total > ZERO:
        return f"The balance is ${total}; a case closes as paid only when it reaches $0.00."


GUARDS = {
    "post_occurrence": _post_occurrence,
    "issue_cpl": _issue_cpl,
    "issue_cpn": _issue_cpn,
    "issue_payment_notice": _issue_payment_notice,
    "record_response": _record_response,
    "open_dispute": _open_dispute,
    "report_settlement": _report_settlement,
    "issue_demand": _issue_demand,
    "issue_itr": _issue_itr,
    "issue_referral_notice": _issue_referral_notice,
    "refer_to_treasury": _refer_to_treasury,
    "file_appeal": _file_appeal,
    "close_paid": _close_paid,
}


def why_not(case: RecoveryCase, action: str, *, user, on: date, table=None, balance=None) -> str | None:
    """None when `user` may take `action` on `case` dated `on`; otherwise the reason, in words.
    `table` is the clock table (read from the database when not given); `balance` the debt's
    selectors.Balance when the caller holds it (else the guards that need it sum the ledger)."""
    label = tracks.ACTION_LABELS.get(action, action)
    if not tracks.allowed(case.track, case.state, action):
        return (f"'{label}' is not possible while the case is '{case.get_state_display()}' "
                f"on the {case.get_track_display()} track.")
    from ..access.checks import may_take

    if not may_take(user, case, action):
        return f"You do not have permission to '{label}'."
    guard = GUARDS.get(action)
    if guard is None:
        return None
    if table is None:
        from ..money.policy import clock_table

        table = clock_table()
    try:
        return guard(case, on, table, balance)
    except clocks.ClockMissing as exc:
        return str(exc)
