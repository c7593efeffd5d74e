"""How a clock counts, and when each case's next step falls due (SPEC §3, "How a clock counts").

Pure: dates in, dates out, no ORM. The starting letter's date is day 0 and days are calendar days.
- A *response window* of N days gives the party through day N; its consequence happens on day N+1.
- A letter the contractor sends *on* day N is sent on day N.
- A contractor *due* date of N days is overdue from day N+1.

The lengths below are the seeds' defaults for each track (SPEC §3.1-§3.3). They live here, in one
place, until the effective-dated clock table of the money issue replaces them.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from .tracks import State as S
from .tracks import Track

DEFAULT_CLOCKS = {
    Track.BENEFICIARY: {
        "cpl_due": 65,  # CPL within 65 days of the RAR (contractor due date)
        "cpn_response": 30,  # CPN: 30 days to respond, then automatic demand (day 31)
        "dispute_filing": 30,  # CPL/CPN: 30 days to dispute
        "dispute_decision": 45,  # contractor decides within 45 days
        "interest_grace": 60,  # interest assessed on day 61 if unresolved
        "interest_period": 30,
        "itr": 90,  # ITR sent on day 90 after the demand
        "treasury_after_itr": 60,  # referral on the 61st day after the ITR (day 151)
    },
    Track.PLAN: {
        "cpn_response": 30,
        "dispute_filing": 30,
        "dispute_decision": 45,
        "interest_grace": 60,
        "interest_period": 30,
        "referral_notice": 60,  # referral notice issued on day 61
        "appeal_window": 120,  # first-level appeal within 120 days of the demand
        "treasury_after_demand": 120,  # our default: referral on day 121 (SPEC §3.2)
    },
    Track.GHP: {
        "payment_notice_response": 45,  # demand on day 46
        "interest_grace": 60,
        "interest_period": 30,
        "itr": 120,  # ITR on day 120 after the demand
        "treasury_after_itr": 60,  # referral 60 days after the ITR (day 181 after the demand)
    },
}


def clock_days(track: str, name: str) -> int:
    return DEFAULT_CLOCKS[track][name]


def day_number(start: date, on: date) -> int:
    """Which day of a clock `on` is; the starting letter's date is day 0."""
    return (on - start).days


def window_last_day(start: date, days: int) -> date:
    """The last day a party may act in a response window of `days` days."""
    return start + timedelta(days=days)


def consequence_day(start: date, days: int) -> date:
    """The day a window's consequence happens: day N+1."""
    return start + timedelta(days=days + 1)


def sent_on_day(start: date, days: int) -> date:
    """The day a letter the contractor sends on day N goes out."""
    return start + timedelta(days=days)


def overdue_from(start: date, days: int) -> date:
    """A contractor due date of N days is overdue from day N+1."""
    return start + timedelta(days=days + 1)


@dataclass(frozen=True)
class Deadline:
    due: date
    reason: str


def next_deadline(case, *, dispute_received: date | None = None) -> Deadline | None:
    """The next dated step of an open case, from its stored dates alone (never from when a job ran).

    `case` is anything with the RecoveryCase date attributes; `dispute_received` is the date the
    pending dispute was received, when the case is in dispute. Used for the indexed `next_due_date`
    that the work queue and the sweeps filter on.
    """
    track, state = case.track, case.state
    c = DEFAULT_CLOCKS[track]
    if state == S.RAR_ISSUED and case.rar_date:
        return Deadline(case.rar_date + timedelta(days=c["cpl_due"]), "CPL due (65 days after the RAR)")
    if state == S.CPN_ISSUED and case.cpn_date and not case.response_date:
        return Deadline(consequence_day(case.cpn_date, c["cpn_response"]), "CPN unanswered: automatic demand")
    if state == S.PAYMENT_NOTICE_ISSUED and case.payment_notice_date and not case.response_date:
        return Deadline(
            consequence_day(case.payment_notice_date, c["payment_notice_response"]),
            "Payment notice unanswered: demand",
        )
    if state == S.DISPUTE_PENDING and dispute_received:
        return Deadline(
            dispute_received + timedelta(days=c["dispute_decision"]), "Dispute decision due (45 days)"
        )
    if state == S.DEMAND_ISSUED and case.demand_date:
        if track == Track.PLAN:
            return Deadline(consequence_day(case.demand_date, c["referral_notice"]), "Referral notice due")
        return Deadline(sent_on_day(case.demand_date, c["itr"]), "Intent to refer due")
    if state == S.INTENT_TO_REFER_ISSUED and case.itr_date:
        return Deadline(consequence_day(case.itr_date, c["treasury_after_itr"]), "Treasury referral due")
    if state == S.REFERRAL_NOTICE_ISSUED and case.demand_date:
        return Deadline(consequence_day(case.demand_date, c["treasury_after_demand"]), "Treasury referral due")
    return None
