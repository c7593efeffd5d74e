"""What is due on a case, for the person looking at it on the portal, and by when.

Every date comes from the case's stored dates and the effective-dated clock table (recovery.clocks.counting,
recovery.money.policy.clock_table) — the same rules the guards and sweeps use — never from constants here.
Reads only what the caller hands in (the list page prefetches it for all its cases at once).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ..clocks import counting as clocks
from ..money.final_amount import standing_of
from ..cases.tracks import State, Track

YOU, CONTRACTOR, INFO = "you", "contractor", "info"


@dataclass(frozen=True)
class Due:
    what: str
    by: date | None = None
    who: str = YOU  # you (the party), contractor, info
    late: bool = False


def _one(getter):
    try:
        return getter()
    except Exception:  # noqa: BLE001 — a missing related row (settlement, debt, final amount)
        return None


def due_items(case, *, role: str, table: clocks.ClockTable, today: date, balance=None, pending_dispute=None,
              settlement=None, debt=None, final=None) -> list[Due]:
    """What the party must do (or may expect) on `case`, soonest first. `balance` is the debt's
    selectors.Balance; `pending_dispute` the dispute under review; `settlement`, `debt` and `final`
    the case's Settlement, Debt and FinalConditionalPayment (None where there is none)."""
    items: list[Due] = []
    state, track = case.state, case.track
    may_act = role in ("por", "debtor", "staff")

    def days(name, start):
        try:
            return table.days(track, name, start)
        except clocks.ClockMissing:
            return None

    # A notice waiting for an answer (CPN, GHP payment notice).
    if state in (State.CPN_ISSUED, State.PAYMENT_NOTICE_ISSUED) and not case.response_date:
        start, name, label = ((case.cpn_date, "cpn_response", "conditional payment notice")
                              if state == State.CPN_ISSUED else
                              (case.payment_notice_date, "payment_notice_response", "payment notice"))
        n = days(name, start) if start else None
        if n is not None:
            last = clocks.window_last_day(start, n)
            if today <= last:
                items.append(Due(f"Respond to the {label}: proof of unrelated claims, procurement costs, settlement "
                                 "documents. Without a response the demand follows with no reduction.", last))
            else:
                items.append(Due(f"The {n}-day response window closed on {last:%B %-d, %Y}: the demand follows.",
                                 None, CONTRACTOR))
    # The dispute window of the latest CPL or CPN.
    if state in (State.CPL_ISSUED, State.CPN_ISSUED):
        start = case.cpl_date if state == State.CPL_ISSUED else case.cpn_date
        n = days("dispute_filing", start) if start else None
        if n is not None and today <= clocks.window_last_day(start, n):
            items.append(Due("Dispute claims you say are unrelated (with documents)", clocks.window_last_day(start, n)))
    if state == State.DISPUTE_PENDING and pending_dispute is not None:
        expedited = _one(lambda: pending_dispute.final_amount_clock)
        if expedited is not None:
            due = expedited.due_date
            what = "The contractor decides your dispute (within 11 business days: settlement expected)"
        else:
            n = days("dispute_decision", pending_dispute.received_date)
            # A contractor due date of N days: due on day N, overdue from day N+1 (SPEC §3).
            due = pending_dispute.received_date + timedelta(days=n) if n is not None else None
            what = "The contractor decides your dispute"
        items.append(Due(what, due, CONTRACTOR, late=bool(due and today > due)))
    # Settlement details (beneficiary track, before the demand).
    if track == Track.BENEFICIARY and settlement is None and state in (
            State.REPORTED, State.OCCURRENCE_POSTED, State.RAR_ISSUED, State.CPL_ISSUED, State.DISPUTE_PENDING):
        items.append(Due("Settlement details needed once the case settles: settlement date, gross amount, attorney "
                         "fees and other procurement costs, with the settlement documents."))
    if state == State.SETTLEMENT_REPORTED:
        items.append(Due("Settlement reported: the contractor computes and issues the demand.", None, CONTRACTOR))
    # The final conditional payment amount (SPEC §5.6).
    if final is not None and not case.demand_date:
        st = _one(lambda: standing_of(final, settlement=settlement, as_of=today, table=table))
        if st is not None and not st.void:
            if final.requested_on is None:
                items.append(Due("Ask for the final conditional payment amount within 3 days before settling",
                                 st.request_by))
            elif settlement is None:
                items.append(Due(f"Settle by this day for the final amount (${final.amount:,}) to hold, then file "
                                 "the settlement information within 30 days", st.settle_by))
            elif st.status == "pending":
                items.append(Due("File the settlement information for the final amount to hold", st.file_by))
    # The debt.
    if debt is not None and case.demand_date and state not in (State.CLOSED_PAID, State.CLOSED_NO_RECOVERY):
        total = balance.total if balance is not None else None
        if total is not None and total > Decimal("0"):
            pay_by = clocks.window_last_day(case.demand_date, debt.grace_days)
            if today <= pay_by:
                items.append(Due(f"Pay the balance of ${total:,} by this day and no interest is charged", pay_by))
            else:
                items.append(Due(f"Pay the balance of ${total:,}: interest is charged from the demand date and "
                                 "each 30 days after", None))
        if state == State.DEMAND_ISSUED and track == Track.PLAN and case.appeal_level == 0:
            n = days("appeal_window", case.demand_date)
            if n is not None and today <= clocks.window_last_day(case.demand_date, n):
                items.append(Due("Last day to file a first-level appeal", clocks.window_last_day(case.demand_date, n)))
        if state == State.DEMAND_ISSUED and track in (Track.BENEFICIARY, Track.GHP):
            n = days("itr", case.demand_date)
            if n is not None:
                items.append(Due("Intent to refer to the Treasury unless paid, appealed or waived",
                                 clocks.sent_on_day(case.demand_date, n), CONTRACTOR))
        if state == State.DEMAND_ISSUED and track == Track.PLAN:
            n = days("referral_notice", case.demand_date)
            if n is not None:
                items.append(Due("Notice of intent to refer unless paid or appealed",
                                 clocks.consequence_day(case.demand_date, n), CONTRACTOR))
        if state == State.INTENT_TO_REFER_ISSUED and case.itr_date:
            n = days("treasury_after_itr", case.itr_date)
            if n is not None:
                items.append(Due("Referral to the Treasury unless paid, appealed or waived",
                                 clocks.consequence_day(case.itr_date, n), CONTRACTOR))
        if state == State.REFERRAL_NOTICE_ISSUED:
            n = days("treasury_after_demand", case.demand_date)
            if n is not None:
                items.append(Due("Referral to the Treasury unless paid or appealed",
                                 clocks.consequence_day(case.demand_date, n), CONTRACTOR))
    if state in (State.APPEAL_PENDING, State.WAIVER_PENDING, State.CHALLENGE_PENDING):
        items.append(Due(f"{case.get_state_display()}: the contractor reviews it. Interest keeps accruing.", None,
                         CONTRACTOR))
    if state == State.REFERRED_TO_TREASURY:
        items.append(Due("The debt was referred to the Treasury.", case.referral_date, INFO))
    if state in (State.CLOSED_PAID, State.CLOSED_NO_RECOVERY):
        items.append(Due(f"{case.get_state_display()}.", case.closed_date, INFO))
    if state == State.ON_HOLD:
        items.append(Due("On hold: nothing is due while the case is on hold.", None, INFO))
    if not may_act:
        items = [Due(i.what, i.by, INFO if i.who == YOU else i.who, i.late) for i in items]
    return sorted(items, key=lambda i: (i.by is None, i.by or date.max))
