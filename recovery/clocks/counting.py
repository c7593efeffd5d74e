"""How a clock counts, and when each case's next step falls due (SPEC §3, "How a clock counts").

Pure: dates in, dates out, no ORM. The starting letter's date is day 0 and days are calendar days.
- A *response window* of N days gives the party through day N; its consequence happens on day N+1.
- A letter the contractor sends *on* day N is sent on day N.
- A contractor *due* date of N days is overdue from day N+1.

The lengths are not constants: they come from the effective-dated clock table that supervisors
maintain (recovery.policy_models.ClockLength, seeded with the numbers of SPEC §3). A clock uses the
row in force on the day it starts. `ClockTable` holds those rows in memory so that a sweep over many
cases reads the table once.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from ..cases.tracks import State as S
from ..cases.tracks import Track


class ClockMissing(LookupError):
    """No row of the clock table is in force for that clock on that day."""


@dataclass(frozen=True)
class ClockTable:
    rows: tuple  # (track, name, effective_from, days)

    def days(self, track: str, name: str, on: date) -> int:
        best = None
        for row_track, row_name, effective_from, days in self.rows:
            if row_track == track and row_name == name and effective_from <= on:
                if best is None or effective_from > best[0]:
                    best = (effective_from, days)
        if best is None:
            raise ClockMissing(f"No '{name}' clock for the {track} track is in force on {on:%Y-%m-%d}; "
                               "a supervisor adds it to the clock table.")
        return best[1]


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


def plan_treasury_day(table: ClockTable, demand_date: date, notice_date: date | None) -> date:
    """Plan track (SPEC §3.2): Treasury referral on day 121 after the demand by default — and never
    sooner after the referral notice than the 60 days the default sequence gives (day 61 → day 121),
    so a notice sent late (after an appeal came back unfavourable) still leaves the plan that time."""
    by_demand = consequence_day(demand_date, table.days(Track.PLAN, "treasury_after_demand", demand_date))
    if notice_date is None:
        return by_demand
    gap = (table.days(Track.PLAN, "treasury_after_demand", demand_date)
           - table.days(Track.PLAN, "referral_notice", demand_date))
    return max(by_demand, notice_date + timedelta(days=gap))


@dataclass(frozen=True)
class Deadline:
    due: date
    reason: str


def next_deadline(case, *, table: ClockTable, dispute_received: date | None = None) -> Deadline | None:
    """The next dated step of an open case, from its stored dates alone (never from when a job ran).

    `case` is anything with the RecoveryCase date attributes; `dispute_received` is the date the
    pending dispute was received, when the case is in dispute. Used for the indexed `next_due_date`
    that the work queue and the sweeps filter on.
    """
    track, state = case.track, case.state

    def days(name, start):
        return table.days(track, name, start)

    if state == S.RAR_ISSUED and case.rar_date:
        return Deadline(case.rar_date + timedelta(days=days("cpl_due", case.rar_date)), "CPL due (65 days after the RAR)")
    if state == S.CPN_ISSUED and case.cpn_date and not case.response_date:
        return Deadline(consequence_day(case.cpn_date, days("cpn_response", case.cpn_date)), "CPN unanswered: automatic demand")
    if state == S.PAYMENT_NOTICE_ISSUED and case.payment_notice_date and not case.response_date:
        return Deadline(
            consequence_day(case.payment_notice_date, days("payment_notice_response", case.payment_notice_date)),
            "Payment notice unanswered: demand",
        )
    if state == S.DISPUTE_PENDING and dispute_received:
        return Deadline(
            dispute_received + timedelta(days=days("dispute_decision", dispute_received)), "Dispute decision due (45 days)"
        )
    if state == S.DEMAND_ISSUED and case.demand_date:
        if track == Track.PLAN:
            return Deadline(consequence_day(case.demand_date, days("referral_notice", case.demand_date)), "Referral notice due")
        return Deadline(sent_on_day(case.demand_date, days("itr", case.demand_date)), "Intent to refer due")
    if state == S.INTENT_TO_REFER_ISSUED and case.itr_date:
        return Deadline(consequence_day(case.itr_date, days("treasury_after_itr", case.itr_date)), "Treasury referral due")
    if state == S.REFERRAL_NOTICE_ISSUED and case.demand_date:
        return Deadline(plan_treasury_day(table, case.demand_date, case.referral_notice_date), "Treasury referral due")
    return None


@dataclass(frozen=True)
class DueStep:
    action: str
    on: date  # the date the rule fixes
    why: str


def due_step(case, table: ClockTable) -> DueStep | None:
    """The next automatic step of `case` and the day the rule puts it on (None: nothing automatic).

    SPEC §3.1-§3.3: an unanswered CPN → demand on day 31; an unanswered GHP payment notice →
    demand on day 46; the ITR on day 90 (GHP: 120) after the demand; the plan's referral notice on
    day 61; Treasury referral 61 days after the ITR (plan: day 121 after the demand) — unless the
    debt is paid. Appeals, waivers, challenges and holds are states with no automatic step, so they
    block referral (interest is assessed separately and does not stop).
    """
    t, s = case.track, case.state
    if s == S.CPN_ISSUED and not case.response_date:
        return DueStep("issue_demand", consequence_day(case.cpn_date, table.days(t, "cpn_response", case.cpn_date)),
                       "CPN unanswered: automatic demand with no reduction")
    if s == S.PAYMENT_NOTICE_ISSUED and not case.response_date:
        start = case.payment_notice_date
        return DueStep("issue_demand", consequence_day(start, table.days(t, "payment_notice_response", start)),
                       "Payment notice unanswered: demand")
    if s == S.DEMAND_ISSUED and t == Track.PLAN:
        return DueStep("issue_referral_notice",
                       consequence_day(case.demand_date, table.days(t, "referral_notice", case.demand_date)),
                       "Debt unresolved after 60 days: referral notice")
    if s == S.DEMAND_ISSUED:
        return DueStep("issue_itr", sent_on_day(case.demand_date, table.days(t, "itr", case.demand_date)),
                       "Debt unresolved: intent to refer")
    if s == S.INTENT_TO_REFER_ISSUED:
        return DueStep("refer_to_treasury",
                       consequence_day(case.itr_date, table.days(t, "treasury_after_itr", case.itr_date)),
                       "Unresolved 60 days after the ITR: Treasury referral")
    if s == S.REFERRAL_NOTICE_ISSUED:
        return DueStep("refer_to_treasury",
                       plan_treasury_day(table, case.demand_date, case.referral_notice_date),
                       "Appeal window passed, debt unresolved: Treasury referral")
    return None
