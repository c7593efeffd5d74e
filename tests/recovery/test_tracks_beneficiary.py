"""The beneficiary NGHP track (SPEC §3.1, §3.4, §9): every edge of tracks.EDGES taken through the real
services, and every other (state, action) refused without changing anything.

This module also holds the *walker* the plan/GHP and guards modules import: `reach(track, state)`
brings a fresh case into `state` through `services.case_act` and `ledger.payment_record` only, and
`exercise_edge(...)` takes one edge and checks its state, history row and letters.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from recovery.money import ledger
from recovery.cases import services, tracks
from recovery.errors import CaseActionError
from recovery.models import CaseEvent, DebtEvent, Dispute, LedgerEntry, Letter, RecoveryCase, Settlement
from recovery.cases.selectors import debt_balance
from recovery.cases.tracks import State as S
from recovery.cases.tracks import Track
from tests import factories

pytestmark = pytest.mark.django_db

K = Letter.Kind
OPENED_ON = date(2023, 8, 1)  # after the first interest-rate row in force (2023-07-17)
SETTLEMENT_DATE = date(2023, 6, 1)
DECIDE_REVIEW = {"decide_appeal": "file_appeal", "decide_waiver": "file_waiver", "decide_challenge": "file_challenge"}
# Closing as paid from these states happens when a payment zeroes the balance (ledger.payment_record);
# under review the payment leaves the case open for the decision (or a caseworker) to close.
PAYMENT_CLOSES = {S.DEMAND_ISSUED, S.INTENT_TO_REFER_ISSUED, S.REFERRAL_NOTICE_ISSUED, S.REFERRED_TO_TREASURY}

# The letter each step implies (SPEC §3.4, §6); a dispute decided back into cpl_issued adds an updated CPL.
LETTERS = {
    "issue_rar": [K.RAR],
    "issue_cpl": [K.CPL],
    "issue_cpn": [K.CPN],
    "issue_payment_notice": [K.PAYMENT_NOTICE],
    "issue_demand": [K.DEMAND],
    "issue_itr": [K.ITR],
    "issue_referral_notice": [K.REFERRAL_NOTICE],
    "refer_to_treasury": [K.TREASURY_REFERRAL],
    "decide_dispute": [K.DISPUTE_DECISION],
    "decide_appeal": [K.APPEAL_DECISION],
    "decide_waiver": [K.WAIVER_DECISION],
    "decide_challenge": [K.CHALLENGE_DECISION],
}
# Who a letter goes to (SPEC §6, letters.recipients): the debtor, and a copy to the beneficiary on the plan track.
RECIPIENT_ROLES = {
    Track.BENEFICIARY: ["beneficiary"],
    Track.PLAN: ["debtor", "beneficiary"],
    Track.GHP: ["debtor"],
}


def days(n):
    return timedelta(days=n)


def earliest(case, action):
    """The first day SPEC §3 ("How a clock counts") lets `action` happen on this case; None: no clock."""
    t = case.track
    if action == "issue_itr":
        return case.demand_date + days(90 if t == Track.BENEFICIARY else 120)
    if action == "issue_referral_notice":
        return case.demand_date + days(61)
    if action == "refer_to_treasury":
        return case.demand_date + days(121) if t == Track.PLAN else case.itr_date + days(61)
    if action == "issue_demand" and not case.response_date:
        if case.state == S.CPN_ISSUED:
            return case.cpn_date + days(31)
        if case.state == S.PAYMENT_NOTICE_ISSUED:
            return case.payment_notice_date + days(46)
    return None


class Walk:
    """One case moved along its track through the real services, a day (or a clock) at a time."""

    def __init__(self, track, *, claims=True):
        self.track = track
        self.worker = factories.caseworker()
        self._boss = None
        self.case = factories.case(track, actor=self.worker, opened_on=OPENED_ON)
        self.on = OPENED_ON
        self.claims = []
        if claims:
            self.claims = [
                factories.claim(self.case, amount_paid=Decimal("1200.00")),
                factories.claim(self.case, service_from=date(2023, 2, 1), service_to=date(2023, 2, 3),
                                amount_paid=Decimal("800.00")),
            ]

    @property
    def boss(self):
        """A supervisor (hold and resume need one); made on first use to keep the walks quick."""
        if self._boss is None:
            self._boss = factories.supervisor()
        return self._boss

    # --- reading -------------------------------------------------------------------------------
    def reload(self):
        self.case = RecoveryCase.objects.get(pk=self.case.pk)
        return self.case

    def counts(self):
        c = self.case
        return {
            "events": CaseEvent.objects.filter(case=c).count(),
            "letters": Letter.objects.filter(case=c).count(),
            "ledger": LedgerEntry.objects.filter(case=c).count(),
            "disputes": Dispute.objects.filter(case=c).count(),
            "debt_events": DebtEvent.objects.filter(debt__case=c).count(),
        }

    def snapshot(self):
        """Everything a refused step must leave as it was."""
        row = RecoveryCase.objects.filter(pk=self.case.pk).values().get()
        claims = list(self.case.claims.order_by("pk").values_list("pk", "status"))
        disputes = list(Dispute.objects.filter(case=self.case).values_list("pk", "outcome"))
        return row, claims, disputes, self.counts()

    def next_date(self, action):
        first = earliest(self.case, action)
        return max(self.on + days(1), first) if first else self.on + days(1)

    def actor_for(self, action):
        return self.boss if action in ("put_on_hold", "resume") else self.worker

    def params_for(self, action):
        if action == "open_dispute":
            return {"claims": [self.claims[0]], "filed_by": "Counsel for the beneficiary",
                    "grounds": "The ambulance ride was not related to the accident"}
        if action == "decide_dispute":
            return {"outcome": "denied", "removed_claims": []}
        if action in DECIDE_REVIEW:
            return {"favourable": False}
        return {}

    # --- acting --------------------------------------------------------------------------------
    def act(self, action, *, on=None, actor=None, reason=None, **params):
        on = on or self.next_date(action)
        params = {**self.params_for(action), **params}
        services.case_act(case=self.case, action=action, actor=actor or self.actor_for(action), on=on,
                          reason=f"Test: {action}" if reason is None else reason, **params)
        self.on = on
        return self.reload()

    def settle(self, source=Settlement.Source.BENEFICIARY, **kw):
        return factories.settlement(self.case, source=source, **kw)

    def pay(self, amount=None, *, on=None):
        """Record a payment received `on`; by default the whole balance as of that day (interest included)."""
        on = on or self.on + days(1)
        if amount is None:
            ledger.interest_assess(case=self.case, as_of=on, actor_name=self.worker.username)
            amount = debt_balance(case=self.case).total
        entry = ledger.payment_record(case=self.case, amount=amount, received_on=on, actor=self.worker)
        self.on = on
        self.reload()
        return entry

    def run(self, steps):
        for step in steps:
            if step == "settle":
                self.settle()
            elif step == "settle111":
                self.settle(Settlement.Source.SECTION_111)
            elif step == "pay":
                self.pay()
            else:
                self.act(step)
        return self


_B_CPL = ("post_occurrence", "issue_rar", "issue_cpl")
_B_DEMAND = _B_CPL + ("settle", "report_settlement", "issue_demand")
_P_DEMAND = ("issue_cpn", "issue_demand")
_G_DEMAND = ("issue_payment_notice", "issue_demand")

# How the walker reaches each state of each track (the canonical route; other routes are built in tests).
ROUTES = {
    Track.BENEFICIARY: {
        S.REPORTED: (),
        S.OCCURRENCE_POSTED: _B_CPL[:1],
        S.RAR_ISSUED: _B_CPL[:2],
        S.CPL_ISSUED: _B_CPL,
        S.CPN_ISSUED: ("settle", "issue_cpn"),
        S.DISPUTE_PENDING: _B_CPL + ("open_dispute",),
        S.SETTLEMENT_REPORTED: _B_CPL + ("settle", "report_settlement"),
        S.DEMAND_ISSUED: _B_DEMAND,
        S.APPEAL_PENDING: _B_DEMAND + ("file_appeal",),
        S.WAIVER_PENDING: _B_DEMAND + ("file_waiver",),
        S.INTENT_TO_REFER_ISSUED: _B_DEMAND + ("issue_itr",),
        S.REFERRED_TO_TREASURY: _B_DEMAND + ("issue_itr", "refer_to_treasury"),
        S.ON_HOLD: _B_CPL + ("put_on_hold",),
        S.CLOSED_PAID: _B_DEMAND + ("pay",),
        S.CLOSED_NO_RECOVERY: ("close_no_recovery",),
    },
    Track.PLAN: {
        S.REPORTED: (),
        S.CPN_ISSUED: ("issue_cpn",),
        S.DISPUTE_PENDING: ("issue_cpn", "open_dispute"),
        S.DEMAND_ISSUED: _P_DEMAND,
        S.APPEAL_PENDING: _P_DEMAND + ("file_appeal",),
        S.REFERRAL_NOTICE_ISSUED: _P_DEMAND + ("issue_referral_notice",),
        S.REFERRED_TO_TREASURY: _P_DEMAND + ("issue_referral_notice", "refer_to_treasury"),
        S.ON_HOLD: ("issue_cpn", "put_on_hold"),
        S.CLOSED_PAID: _P_DEMAND + ("pay",),
        S.CLOSED_NO_RECOVERY: ("close_no_recovery",),
    },
    Track.GHP: {
        S.REPORTED: (),
        S.PAYMENT_NOTICE_ISSUED: ("issue_payment_notice",),
        S.DEMAND_ISSUED: _G_DEMAND,
        S.CHALLENGE_PENDING: _G_DEMAND + ("file_challenge",),
        S.INTENT_TO_REFER_ISSUED: _G_DEMAND + ("issue_itr",),
        S.REFERRED_TO_TREASURY: _G_DEMAND + ("issue_itr", "refer_to_treasury"),
        S.ON_HOLD: ("issue_payment_notice", "put_on_hold"),
        S.CLOSED_PAID: _G_DEMAND + ("pay",),
        S.CLOSED_NO_RECOVERY: ("close_no_recovery",),
    },
}


def reach(track, state, **kw) -> Walk:
    w = Walk(track, **kw).run(ROUTES[track][state])
    assert w.case.state == state, f"the walker did not reach {state} on the {track} track"
    return w


def arrange(track, action, source, target):
    """A case in `source` from which `action` leads to `target`: (walk, how, params)."""
    if action == "resume":  # resumes where it was put on hold
        w = reach(track, target)
        w.act("put_on_hold", reason="Awaiting the court file")
        return w, "act", {}
    if action == "decide_dispute":  # returns to the letter state the dispute came from
        w = reach(track, target)
        w.act("open_dispute")
        return w, "act", {"outcome": "denied", "removed_claims": []}
    if action in DECIDE_REVIEW:
        if target in (S.CLOSED_PAID, S.CLOSED_NO_RECOVERY):
            w = reach(track, S.DEMAND_ISSUED)
            w.act(DECIDE_REVIEW[action])
            if target == S.CLOSED_PAID:  # paid in full while under review, then the debt is reduced
                w.pay()
                return w, "act", {"favourable": True, "reduced_to": w.case.demand_amount - Decimal("100.00")}
            return w, "act", {"favourable": True, "reduced_to": Decimal("0.00")}
        w = reach(track, target)  # unfavourable: back to the state it was filed from
        w.act(DECIDE_REVIEW[action])
        return w, "act", {"favourable": False}
    w = reach(track, source)
    if action == "close_paid":
        if source in PAYMENT_CLOSES:
            return w, "payment", {}
        w.pay()  # paid in full while under review or after referral: the case stays open until closed
        assert w.case.state == source
        return w, "act", {}
    if action == "issue_cpn" and track == Track.BENEFICIARY:
        w.settle(Settlement.Source.SECTION_111 if source == S.CPL_ISSUED else Settlement.Source.BENEFICIARY)
    if action == "report_settlement":
        w.settle()
    return w, "act", {}


def expected_letters(action, target):
    kinds = list(LETTERS.get(action, []))
    if action == "decide_dispute" and target == S.CPL_ISSUED:
        kinds.append(K.CPL)  # the updated CPL with the recalculated amount
    return kinds


def exercise_edge(track, action, source, target):
    w, how, params = arrange(track, action, source, target)
    params = {**w.params_for(action), **params}
    case = w.case
    assert case.state == source
    events_before = set(CaseEvent.objects.filter(case=case).values_list("pk", flat=True))
    letters_before = set(Letter.objects.filter(case=case).values_list("pk", flat=True))
    on = w.next_date(action)
    actor = w.actor_for(action)
    if how == "payment":
        w.pay(on=on)
        reason = "Paid in full"
    else:
        reason = f"Edge {action} {source}->{target}"
        services.case_act(case=case, action=action, actor=actor, on=on, reason=reason, **params)
    case = w.reload()

    assert case.state == target
    events = list(CaseEvent.objects.filter(case=case).exclude(pk__in=events_before))
    assert len(events) == 1, events
    event = events[0]
    assert (event.action, event.from_state, event.to_state) == (action, source, target)
    assert (event.actor_id, event.actor_name) == (actor.pk, actor.username)
    assert (event.reason, event.effective_date) == (reason, on)

    letters = list(Letter.objects.filter(case=case).exclude(pk__in=letters_before).order_by("pk"))
    assert [letter.kind for letter in letters] == expected_letters(action, target)
    bene_name = case.beneficiary.full_name
    for letter in letters:
        assert letter.letter_date == on
        assert letter.event_id == event.pk
        assert [r["role"] for r in letter.recipients] == RECIPIENT_ROLES[track]
        names = {r["role"]: r["name"] for r in letter.recipients}
        if "beneficiary" in names:
            assert names["beneficiary"] == bene_name
        if "debtor" in names:
            assert names["debtor"] == case.debtor_payer.name
        assert letter.deliveries.count() == len(letter.recipients)
    return w, event, letters


# --- the table the SPEC describes, written out here so that a new edge in tracks.EDGES fails a test ------


def spec_edges(rows, open_states):
    out = set()
    for action, sources, targets in rows:
        for s in sources.split():
            for t in targets.split():
                out.add((action, s, t))
    for s in open_states.split():
        out |= {("put_on_hold", s, "on_hold"), ("resume", "on_hold", s)}
    return out


BENEFICIARY_SPEC_EDGES = spec_edges(
    [
        ("post_occurrence", "reported", "occurrence_posted"),
        ("issue_rar", "occurrence_posted", "rar_issued"),
        ("issue_cpl", "rar_issued", "cpl_issued"),
        ("issue_cpn", "reported cpl_issued", "cpn_issued"),
        ("record_response", "cpn_issued", "cpn_issued"),
        ("open_dispute", "cpl_issued cpn_issued", "dispute_pending"),
        ("decide_dispute", "dispute_pending", "cpl_issued cpn_issued"),
        ("report_settlement", "cpl_issued", "settlement_reported"),
        ("issue_demand", "settlement_reported cpn_issued", "demand_issued"),
        ("issue_itr", "demand_issued", "intent_to_refer_issued"),
        ("refer_to_treasury", "intent_to_refer_issued", "referred_to_treasury"),
        ("file_appeal", "demand_issued intent_to_refer_issued", "appeal_pending"),
        ("decide_appeal", "appeal_pending",
         "demand_issued intent_to_refer_issued closed_paid closed_no_recovery"),
        ("file_waiver", "demand_issued intent_to_refer_issued", "waiver_pending"),
        ("decide_waiver", "waiver_pending",
         "demand_issued intent_to_refer_issued closed_paid closed_no_recovery"),
        ("close_paid",
         "demand_issued intent_to_refer_issued appeal_pending waiver_pending referred_to_treasury", "closed_paid"),
        ("close_no_recovery",
         "reported occurrence_posted rar_issued cpl_issued cpn_issued settlement_reported", "closed_no_recovery"),
    ],
    "reported occurrence_posted rar_issued cpl_issued cpn_issued dispute_pending settlement_reported "
    "demand_issued appeal_pending waiver_pending intent_to_refer_issued",
)


def edge_id(edge):
    action, source, target = edge
    return f"{action}:{source}->{target}"


def refused_actions(track, state):
    """Every action the track's table does not have from `state`."""
    return [action for action in tracks.ACTIONS if not tracks.allowed(track, state, action)]


def assert_refused_and_unchanged(w, action, *, actor=None, on=None, **params):
    before = w.snapshot()
    on = on or w.on + days(1)
    reason = params.pop("reason", "Test refusal")
    with pytest.raises(CaseActionError) as info:
        services.case_act(case=w.case, action=action, actor=actor or w.worker, on=on, reason=reason,
                          **{**w.params_for(action), **params})
    assert w.snapshot() == before
    return info.value


def check_not_on_the_table(track, state, subtests):
    """Each (state, action) pair off the track's table is refused with a message naming the action and the
    state, and changes nothing (SPEC §3.4, §9). One walk per state; each action is its own subtest."""
    w = reach(track, state)
    actions = refused_actions(track, state)
    assert actions
    for action in actions:
        with subtests.test(track=track, state=state, action=action):
            # A supervisor holds every permission: the refusal is the track's, not a missing permission.
            error = assert_refused_and_unchanged(w, action, actor=w.boss)
            assert type(error) is CaseActionError
            assert f"'{tracks.ACTION_LABELS[action]}' is not possible" in error.message
            assert f"'{S(state).label}'" in error.message
            assert Track(track).label in error.message


# --- tests -------------------------------------------------------------------------------------------


def test_the_beneficiary_track_table_is_exactly_the_spec_s_states_and_edges():
    assert set(tracks.EDGES[Track.BENEFICIARY]) == BENEFICIARY_SPEC_EDGES
    assert len(tracks.EDGES[Track.BENEFICIARY]) == len(BENEFICIARY_SPEC_EDGES), "an edge is listed twice"


def test_the_walker_can_reach_every_state_of_every_track():
    for track in Track.values:
        assert set(ROUTES[track]) == set(tracks.states_of(track)), track


@pytest.mark.parametrize("edge", tracks.EDGES[Track.BENEFICIARY], ids=edge_id)
def test_each_beneficiary_edge_moves_the_case_records_who_when_why_and_issues_its_letter(edge):
    exercise_edge(Track.BENEFICIARY, *edge)


@pytest.mark.parametrize("state", ROUTES[Track.BENEFICIARY])
def test_every_action_not_on_the_beneficiary_table_is_refused_and_changes_nothing(state, subtests):
    check_not_on_the_table(Track.BENEFICIARY, state, subtests)


def test_the_happy_path_from_report_to_treasury_keeps_a_complete_dated_history():
    w = reach(Track.BENEFICIARY, S.REFERRED_TO_TREASURY)
    events = list(w.case.events.order_by("pk").values_list("action", "from_state", "to_state"))
    assert events == [
        ("open", "reported", "reported"),
        ("post_occurrence", "reported", "occurrence_posted"),
        ("issue_rar", "occurrence_posted", "rar_issued"),
        ("issue_cpl", "rar_issued", "cpl_issued"),
        ("report_settlement", "cpl_issued", "settlement_reported"),
        ("issue_demand", "settlement_reported", "demand_issued"),
        ("issue_itr", "demand_issued", "intent_to_refer_issued"),
        ("refer_to_treasury", "intent_to_refer_issued", "referred_to_treasury"),
    ]
    c = w.case
    assert c.number.startswith("2") and len(c.number) == 15
    assert c.termination_date == SETTLEMENT_DATE
    assert (c.itr_date - c.demand_date).days == 90
    assert (c.referral_date - c.demand_date).days == 151
    assert list(c.letters.values_list("kind", flat=True)) == [K.RAR, K.CPL, K.DEMAND, K.ITR, K.TREASURY_REFERRAL]
    # §411.37(c): $2,000.00 paid, $30,000.00 settlement, $10,000.00 fees → share $666.67, demand $1,333.33.
    assert c.demand_amount == Decimal("1333.33")
    assert not c.demand_without_reduction
    assert c.letters.get(kind=K.DEMAND).amount == Decimal("1333.33")


def test_a_cpn_left_unanswered_leads_to_a_demand_with_no_reduction_for_fees():
    w = reach(Track.BENEFICIARY, S.CPN_ISSUED)
    w.act("issue_demand")  # day 31
    assert w.case.demand_date == w.case.cpn_date + days(31)
    assert w.case.demand_without_reduction
    assert w.case.demand_amount == Decimal("2000.00")


def test_a_cpn_answered_in_time_leads_to_a_demand_that_takes_the_costs_into_account():
    w = reach(Track.BENEFICIARY, S.CPN_ISSUED)
    w.act("record_response", reason="Settlement documents and fee agreement received")
    w.act("issue_demand")
    assert w.case.demand_date == w.case.response_date + days(1)
    assert not w.case.demand_without_reduction
    assert w.case.demand_amount == Decimal("1333.33")


@pytest.mark.parametrize("route", [("settle",), _B_CPL + ("settle111",)], ids=["cpn-on-report", "cpn-after-cpl"])
def test_a_demand_after_a_cpn_counts_only_claims_up_to_the_settlement_date(route):
    w = Walk(Track.BENEFICIARY)
    factories.claim(w.case, service_from=date(2023, 7, 1), service_to=date(2023, 7, 2),
                    amount_paid=Decimal("500.00"))  # after the 2023-06-01 settlement: not related (SPEC §3.1)
    w.run(route)
    w.act("issue_cpn")
    assert w.case.termination_date == SETTLEMENT_DATE
    w.act("issue_demand")
    assert w.case.demand_amount == Decimal("2000.00")


@pytest.mark.parametrize("track", [Track.BENEFICIARY, Track.PLAN])
def test_the_cpn_letter_states_its_30_day_deadline_date_and_the_conditional_payments(track):
    w = reach(track, S.CPN_ISSUED)
    letter = w.case.letters.get(kind=K.CPN)
    assert letter.content["respond_by"] == (w.case.cpn_date + days(30)).isoformat()
    assert letter.content["total"] == "2000.00"
    assert len(letter.content["claims"]) == 2
