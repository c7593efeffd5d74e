"""Predict a case's dated steps from the functions the sweep itself uses (recovery.clocks.sweeps.due_step,
recovery.clocks.counting.next_deadline), by playing the sweep forward on a copy of the case's dates: no payment,
response, review or hold assumed. Each step says what would stop it.

SPEC §3 ("How a clock counts"): the rule fixes each step's day; a step is never dated before the case's
last step (recovery.clocks.sweeps.process_case), so a prediction is too.
"""

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from ..clocks import counting as clocks, sweeps
from ..cases import tracks
from ..cases.tracks import CLOSED_STATES, State, Track

_DATES = ("rar_date", "cpl_date", "cpn_date", "payment_notice_date", "response_date", "demand_date", "itr_date",
          "referral_notice_date", "referral_date")
# What each automatic step does to the dates and the state (recovery.models.RecoveryCase transitions).
_EFFECT = {
    "issue_demand": ("demand_date", State.DEMAND_ISSUED),
    "issue_itr": ("itr_date", State.INTENT_TO_REFER_ISSUED),
    "issue_referral_notice": ("referral_notice_date", State.REFERRAL_NOTICE_ISSUED),
    "refer_to_treasury": ("referral_date", State.REFERRED_TO_TREASURY),
}
SHORT = {"issue_demand": "Demand", "issue_itr": "Intent to refer (ITR)",
         "issue_referral_notice": "Referral notice", "refer_to_treasury": "Treasury referral"}


@dataclass(frozen=True)
class Prediction:
    on: date
    label: str
    action: str | None  # the automatic step the sweep takes; None: a deadline the contractor owes
    automatic: bool
    stops: list = field(default_factory=list)
    overdue: bool = False

    @property
    def sentence(self) -> str:
        s = f"{self.label} on {self.on:%Y-%m-%d}"
        if self.stops:
            s += " unless " + _or(self.stops)
        return s


def _or(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _debt_stops(track, state) -> list[str]:
    out = ["paid in full"]
    if tracks.allowed(track, state, "file_appeal"):
        out.append("an appeal is filed")
    if tracks.allowed(track, state, "file_waiver"):
        out.append("a waiver is requested")
    if tracks.allowed(track, state, "file_challenge"):
        out.append("a challenge is filed")
    out.append("the case is put on hold")
    return out


def _stops(sim, action, table) -> list[str]:
    if action == "issue_demand" and sim.state == State.CPN_ISSUED:
        last = clocks.window_last_day(sim.cpn_date, table.days(sim.track, "cpn_response", sim.cpn_date))
        return [f"the debtor answers or disputes the CPN by {last:%Y-%m-%d}", "the case is put on hold"]
    if action == "issue_demand":
        start = sim.payment_notice_date
        last = clocks.window_last_day(start, table.days(sim.track, "payment_notice_response", start))
        return [f"the debtor answers the payment notice by {last:%Y-%m-%d}", "the case is put on hold"]
    return _debt_stops(sim.track, sim.state)


def predict(case, *, table: clocks.ClockTable, today: date, last_step: date | None = None,
            dispute_received: date | None = None) -> list[Prediction]:
    """The dated steps ahead of `case` in order. `last_step` is the effective date of its latest history
    row; `dispute_received` the pending dispute's receipt date."""
    if case.state in CLOSED_STATES or case.state == State.ON_HOLD:
        return []
    sim = SimpleNamespace(track=case.track, state=case.state, **{name: getattr(case, name) for name in _DATES})
    if sim.state in (State.RAR_ISSUED, State.DISPUTE_PENDING):
        deadline = clocks.next_deadline(sim, table=table, dispute_received=dispute_received)
        if deadline is None:
            return []
        if sim.state == State.RAR_ISSUED:
            return [Prediction(deadline.due, "Conditional payment letter due", None, False,
                               ["it is issued before then"], deadline.due < today)]
        return [Prediction(deadline.due, "Dispute decision due", None, False, ["it is decided before then"],
                           deadline.due < today)]
    out = []
    last = last_step
    while sim.state not in CLOSED_STATES:
        step = sweeps.due_step(sim, table)
        if step is None:
            break
        on = max(step.on, last) if last else step.on
        out.append(Prediction(on, SHORT[step.action], step.action, True, _stops(sim, step.action, table),
                              on < today))
        attr, target = _EFFECT[step.action]
        setattr(sim, attr, on)
        sim.state = target
        last = on
    return out


def case_timeline(case, *, today: date) -> list[Prediction]:
    """`predict` for a stored case, reading the clock table, its last step and any pending dispute (3 queries)."""
    from ..money.policy import clock_table
    from ..cases.selectors import pending_dispute

    last = case.events.order_by("-effective_date").values_list("effective_date", flat=True).first()
    dispute = pending_dispute(case=case) if case.state == State.DISPUTE_PENDING else None
    return predict(case, table=clock_table(), today=today, last_step=last,
                   dispute_received=dispute.received_date if dispute else None)


__all__ = ["Prediction", "predict", "case_timeline", "Track"]
