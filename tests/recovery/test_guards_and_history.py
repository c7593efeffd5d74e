"""Guards on their worked day edges (SPEC §3 "How a clock counts"), next due dates, the dispute branch,
hold and resume, appeals/waivers/challenges, stale views (SPEC §3.4) and the append-only history.

Every case here is moved through the real services by the walker of test_tracks_beneficiary.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from recovery.money import ledger
from recovery.cases import services
from recovery.errors import CaseActionError, StaleCaseError
from recovery.models import CaseEvent, Claim, DebtEvent, Dispute, LedgerEntry, Letter, RecoveryCase
from recovery.cases.selectors import Balance, debt_balance
from recovery.cases.tracks import State as S
from recovery.cases.tracks import Track
from tests import factories
from tests.recovery.test_tracks_beneficiary import (
    K,
    Walk,
    assert_refused_and_unchanged,
    days,
    reach,
)

pytestmark = pytest.mark.django_db

B, P, G = Track.BENEFICIARY, Track.PLAN, Track.GHP


def iso(d):
    return d.strftime("%Y-%m-%d")


# --- 3. guards on their day edges ---------------------------------------------------------------------

# A step that waits for a clock: refused on the last waiting day, allowed the day after.
OPENS_ON = [
    pytest.param(B, S.CPN_ISSUED, "issue_demand", "cpn_date", 31, id="beneficiary-unanswered-cpn-demand-day-31"),
    pytest.param(P, S.CPN_ISSUED, "issue_demand", "cpn_date", 31, id="plan-unanswered-cpn-demand-day-31"),
    pytest.param(G, S.PAYMENT_NOTICE_ISSUED, "issue_demand", "payment_notice_date", 46,
                 id="ghp-unanswered-notice-demand-day-46"),
    pytest.param(B, S.DEMAND_ISSUED, "issue_itr", "demand_date", 90, id="beneficiary-itr-day-90"),
    pytest.param(G, S.DEMAND_ISSUED, "issue_itr", "demand_date", 120, id="ghp-itr-day-120"),
    pytest.param(B, S.INTENT_TO_REFER_ISSUED, "refer_to_treasury", "itr_date", 61,
                 id="beneficiary-treasury-itr-plus-61"),
    pytest.param(G, S.INTENT_TO_REFER_ISSUED, "refer_to_treasury", "itr_date", 61, id="ghp-treasury-itr-plus-61"),
    pytest.param(P, S.DEMAND_ISSUED, "issue_referral_notice", "demand_date", 61, id="plan-referral-notice-day-61"),
    pytest.param(P, S.REFERRAL_NOTICE_ISSUED, "refer_to_treasury", "demand_date", 121,
                 id="plan-treasury-day-121"),
]


@pytest.mark.parametrize(("track", "state", "action", "anchor", "first_day"), OPENS_ON)
def test_a_clocked_step_is_refused_the_day_before_its_day_and_allowed_on_it(track, state, action, anchor, first_day):
    w = reach(track, state)
    start = getattr(w.case, anchor)
    first = start + days(first_day)
    error = assert_refused_and_unchanged(w, action, on=first - days(1))
    assert iso(first) in error.message, error.message
    w.act(action, on=first)
    assert w.case.events.last().action == action
    assert w.case.state != state


def test_the_beneficiary_treasury_referral_falls_on_day_151_after_the_demand_when_the_itr_went_on_day_90():
    w = reach(B, S.DEMAND_ISSUED)
    demand = w.case.demand_date
    w.act("issue_itr", on=demand + days(90))
    assert_refused_and_unchanged(w, "refer_to_treasury", on=demand + days(150))
    w.act("refer_to_treasury", on=demand + days(151))
    assert w.case.state == S.REFERRED_TO_TREASURY


# A window a party acts in: open through its last day, refused the day after.
OPEN_THROUGH = [
    pytest.param(B, S.CPN_ISSUED, "record_response", "cpn_date", 30, id="beneficiary-cpn-response-30-days"),
    pytest.param(P, S.CPN_ISSUED, "record_response", "cpn_date", 30, id="plan-cpn-response-30-days"),
    pytest.param(G, S.PAYMENT_NOTICE_ISSUED, "record_response", "payment_notice_date", 45,
                 id="ghp-notice-response-45-days"),
    pytest.param(B, S.CPL_ISSUED, "open_dispute", "cpl_date", 30, id="beneficiary-dispute-a-cpl-30-days"),
    pytest.param(B, S.CPN_ISSUED, "open_dispute", "cpn_date", 30, id="beneficiary-dispute-a-cpn-30-days"),
    pytest.param(P, S.CPN_ISSUED, "open_dispute", "cpn_date", 30, id="plan-dispute-a-cpn-30-days"),
    pytest.param(P, S.DEMAND_ISSUED, "file_appeal", "demand_date", 120, id="plan-first-appeal-120-days"),
    pytest.param(P, S.REFERRAL_NOTICE_ISSUED, "file_appeal", "demand_date", 120,
                 id="plan-first-appeal-120-days-after-referral-notice"),
]


@pytest.mark.parametrize(("track", "state", "action", "anchor", "last_day"), OPEN_THROUGH)
def test_a_response_window_is_open_through_its_last_day_and_refused_the_day_after(track, state, action, anchor,
                                                                                  last_day):
    w = reach(track, state)
    last = getattr(w.case, anchor) + days(last_day)
    error = assert_refused_and_unchanged(w, action, on=last + days(1))
    assert iso(last) in error.message, error.message
    w.act(action, on=last)
    assert w.case.events.last().action == action


@pytest.mark.parametrize(("track", "state"), [(B, S.CPN_ISSUED), (P, S.CPN_ISSUED), (G, S.PAYMENT_NOTICE_ISSUED)])
def test_a_recorded_response_lets_the_demand_go_before_the_window_ends(track, state):
    w = reach(track, state)
    w.act("record_response", reason="Proof of unrelated claims received")
    w.act("issue_demand")
    assert w.case.state == S.DEMAND_ISSUED
    assert not w.case.demand_without_reduction


def test_a_second_response_to_the_same_notice_is_refused():
    w = reach(B, S.CPN_ISSUED)
    w.act("record_response")
    error = assert_refused_and_unchanged(w, "record_response")
    assert iso(w.case.response_date) in error.message


def test_the_plan_may_appeal_four_levels_and_a_fifth_is_refused():
    w = reach(P, S.DEMAND_ISSUED)
    for level in (1, 2, 3, 4):
        w.act("file_appeal", reason=f"Level {level} appeal")
        assert w.case.appeal_level == level
        w.act("decide_appeal", favourable=False, reason=f"Level {level} upheld the debt")
        assert w.case.state == S.DEMAND_ISSUED
    error = assert_refused_and_unchanged(w, "file_appeal")
    assert "four appeal levels" in error.message


@pytest.mark.parametrize(("track", "from_state", "filing", "pending"), [
    (B, S.INTENT_TO_REFER_ISSUED, "file_appeal", S.APPEAL_PENDING),
    (B, S.INTENT_TO_REFER_ISSUED, "file_waiver", S.WAIVER_PENDING),
    (P, S.REFERRAL_NOTICE_ISSUED, "file_appeal", S.APPEAL_PENDING),
    (G, S.INTENT_TO_REFER_ISSUED, "file_challenge", S.CHALLENGE_PENDING),
])
def test_no_treasury_referral_while_an_appeal_waiver_or_challenge_is_pending(track, from_state, filing, pending):
    w = reach(track, from_state)
    w.act(filing, reason="The debt is not owed")
    late = w.case.demand_date + days(300)  # long past every referral day
    error = assert_refused_and_unchanged(w, "refer_to_treasury", on=late)
    assert f"'{S(pending).label}'" in error.message
    w.act(f"decide_{filing.split('_')[1]}", on=late, favourable=False, reason="Upheld")
    assert w.case.state == from_state
    w.act("refer_to_treasury", on=late + days(1))
    assert w.case.state == S.REFERRED_TO_TREASURY


def test_closing_as_paid_is_refused_while_a_balance_remains():
    w = reach(B, S.APPEAL_PENDING)
    error = assert_refused_and_unchanged(w, "close_paid")
    assert "$1333.33" in error.message
    w.pay(Decimal("333.33"))
    error = assert_refused_and_unchanged(w, "close_paid")
    assert "$1000.00" in error.message


def test_a_payment_that_zeroes_the_balance_closes_the_case_as_paid():
    w = reach(B, S.DEMAND_ISSUED)
    w.pay(Decimal("1000.00"))
    assert w.case.state == S.DEMAND_ISSUED
    w.pay(Decimal("333.33"))
    assert w.case.state == S.CLOSED_PAID
    assert w.case.closed_date == w.on
    assert debt_balance(case=w.case).total == Decimal("0.00")


def test_a_payment_received_before_the_itr_but_recorded_after_it_still_closes_the_case():
    w = reach(B, S.DEMAND_ISSUED)
    received = w.case.demand_date + days(80)
    ledger.interest_assess(case=w.case, as_of=received, actor_name="sweep")  # what was owed on day 80
    owed = debt_balance(case=w.case).total
    assert owed > w.case.demand_amount  # interest from the demand date, assessed after the 60-day grace
    w.act("issue_itr")  # day 90: the cheque received on day 80 is posted afterwards
    ledger.payment_record(case=w.case, amount=owed, received_on=received, actor=w.worker)
    assert w.reload().state == S.CLOSED_PAID
    assert debt_balance(case=w.case).total == Decimal("0.00")


def test_a_beneficiary_demand_is_refused_while_no_settlement_amount_exists():
    w = reach(B, S.CPN_ISSUED)
    w.case.settlement.delete()  # the settlement was entered in error and withdrawn
    w.reload()
    error = assert_refused_and_unchanged(w, "issue_demand", on=w.case.cpn_date + days(40))
    assert "No demand before a settlement amount exists" in error.message


def test_reporting_a_settlement_is_refused_before_its_details_are_entered():
    w = reach(B, S.CPL_ISSUED)
    error = assert_refused_and_unchanged(w, "report_settlement")
    assert "settlement details" in error.message


def test_a_settlement_from_a_section_111_report_leads_to_a_cpn_not_to_settlement_reported():
    w = reach(B, S.CPL_ISSUED)
    w.settle(source="section_111")
    error = assert_refused_and_unchanged(w, "report_settlement")
    assert "issue the CPN" in error.message
    w.act("issue_cpn")
    assert w.case.state == S.CPN_ISSUED


def test_a_cpn_after_a_cpl_is_refused_for_a_settlement_reported_by_the_beneficiary():
    w = reach(B, S.CPL_ISSUED)
    w.settle()
    error = assert_refused_and_unchanged(w, "issue_cpn")
    assert "Section 111" in error.message


def test_a_beneficiary_cpn_is_refused_before_the_settlement_details_exist():
    w = reach(B, S.REPORTED)
    error = assert_refused_and_unchanged(w, "issue_cpn")
    assert "settlement" in error.message


@pytest.mark.parametrize("unrelated", [False, True], ids=["no-claims", "only-unrelated-claims"])
def test_a_cpl_is_refused_with_no_related_claim(unrelated):
    w = Walk(B, claims=False).run(("post_occurrence", "issue_rar"))
    if unrelated:
        factories.claim(w.case, status=Claim.Status.UNRELATED)
    error = assert_refused_and_unchanged(w, "issue_cpl")
    assert "related claim" in error.message


def test_a_plan_cpn_is_refused_with_no_related_claim():
    w = Walk(P, claims=False)
    error = assert_refused_and_unchanged(w, "issue_cpn")
    assert "related claim" in error.message


def test_a_ghp_payment_notice_is_refused_with_no_related_claim():
    w = Walk(G, claims=False)
    error = assert_refused_and_unchanged(w, "issue_payment_notice")
    assert "related claim" in error.message


def test_a_user_outside_the_staff_groups_is_refused_with_a_permission_message():
    w = reach(B, S.OCCURRENCE_POSTED)
    error = assert_refused_and_unchanged(w, "issue_rar", actor=factories.user())
    assert "permission" in error.message


@pytest.mark.parametrize(("on", "field"), [
    (lambda: services.today() + timedelta(days=1), "on"),  # tomorrow, whatever day the suite runs
    (lambda: date(2023, 2, 1), "on"),  # before the case's last step
], ids=["tomorrow", "before-last-step"])
def test_a_step_dated_in_the_future_or_before_the_last_step_is_refused_naming_the_date(on, field):
    w = reach(B, S.RAR_ISSUED)
    error = assert_refused_and_unchanged(w, "issue_cpl", on=on())
    assert error.field == field


def test_an_unknown_action_is_refused_naming_the_action():
    w = reach(B, S.REPORTED)
    error = assert_refused_and_unchanged(w, "fast_forward")
    assert error.field == "action"


def test_the_available_actions_follow_the_clock_and_the_role():
    w = reach(B, S.DEMAND_ISSUED)
    demand = w.case.demand_date
    on_89 = services.actions_available(case=w.case, user=w.worker, on=demand + days(89))
    assert set(on_89) == {"file_appeal", "file_waiver"}  # no ITR yet; close_paid needs a $0.00 balance
    on_90 = services.actions_available(case=w.case, user=w.worker, on=demand + days(90))
    assert set(on_90) == {"file_appeal", "file_waiver", "issue_itr"}
    boss = services.actions_available(case=w.case, user=w.boss, on=demand + days(90))
    assert set(boss) == {"file_appeal", "file_waiver", "issue_itr", "put_on_hold"}


# --- 4. next due date after each clocked step --------------------------------------------------------

DUE = [
    pytest.param(B, S.RAR_ISSUED, "rar_date", 65, "CPL due", id="beneficiary-rar-plus-65"),
    pytest.param(B, S.CPN_ISSUED, "cpn_date", 31, "CPN unanswered", id="beneficiary-cpn-plus-31"),
    pytest.param(B, S.DISPUTE_PENDING, "received", 45, "Dispute decision", id="beneficiary-dispute-plus-45"),
    pytest.param(B, S.DEMAND_ISSUED, "demand_date", 90, "Intent to refer", id="beneficiary-demand-plus-90"),
    pytest.param(B, S.INTENT_TO_REFER_ISSUED, "itr_date", 61, "Treasury referral", id="beneficiary-itr-plus-61"),
    pytest.param(P, S.CPN_ISSUED, "cpn_date", 31, "CPN unanswered", id="plan-cpn-plus-31"),
    pytest.param(P, S.DISPUTE_PENDING, "received", 45, "Dispute decision", id="plan-dispute-plus-45"),
    pytest.param(P, S.DEMAND_ISSUED, "demand_date", 61, "Referral notice", id="plan-demand-plus-61"),
    pytest.param(P, S.REFERRAL_NOTICE_ISSUED, "demand_date", 121, "Treasury referral",
                 id="plan-referral-notice-demand-plus-121"),
    pytest.param(G, S.PAYMENT_NOTICE_ISSUED, "payment_notice_date", 46, "Payment notice unanswered",
                 id="ghp-notice-plus-46"),
    pytest.param(G, S.DEMAND_ISSUED, "demand_date", 120, "Intent to refer", id="ghp-demand-plus-120"),
    pytest.param(G, S.INTENT_TO_REFER_ISSUED, "itr_date", 61, "Treasury referral", id="ghp-itr-plus-61"),
]


@pytest.mark.parametrize(("track", "state", "anchor", "n", "reason"), DUE)
def test_each_clocked_step_sets_the_case_s_next_due_date_and_reason(track, state, anchor, n, reason):
    w = reach(track, state)
    if anchor == "received":
        start = w.case.events.get(action="open_dispute").effective_date
        assert start == w.case.disputes.get().received_date
    else:
        start = getattr(w.case, anchor)
    assert w.case.next_due_date == start + days(n)
    assert reason in w.case.next_due_reason


def test_the_beneficiary_treasury_referral_is_due_151_days_after_a_demand_whose_itr_went_on_day_90():
    w = reach(B, S.INTENT_TO_REFER_ISSUED)
    assert w.case.itr_date == w.case.demand_date + days(90)
    assert w.case.next_due_date == w.case.demand_date + days(151)


@pytest.mark.parametrize("track", [B, P, G])
@pytest.mark.parametrize("state", [S.ON_HOLD, S.CLOSED_PAID, S.CLOSED_NO_RECOVERY, S.REFERRED_TO_TREASURY])
def test_a_closed_held_or_referred_case_has_nothing_due(track, state):
    w = reach(track, state)
    assert w.case.next_due_date is None
    assert w.case.next_due_reason == ""


@pytest.mark.parametrize("track", [B, P])
def test_recording_the_response_clears_the_automatic_demand_date(track):
    w = reach(track, S.CPN_ISSUED)
    w.act("record_response")
    assert w.case.next_due_date is None


@pytest.mark.parametrize(("track", "state"), [(B, S.RAR_ISSUED), (P, S.REFERRAL_NOTICE_ISSUED), (G, S.DEMAND_ISSUED)])
def test_resuming_from_hold_restores_the_deadline_from_the_stored_dates(track, state):
    w = reach(track, state)
    due, reason = w.case.next_due_date, w.case.next_due_reason
    w.act("put_on_hold", reason="Beneficiary in hospital")
    assert w.case.next_due_date is None
    w.act("resume")
    assert (w.case.next_due_date, w.case.next_due_reason) == (due, reason)


# --- 5. the dispute branch -----------------------------------------------------------------------------

def _dispute(track, from_state, *, received_after=10):
    w = reach(track, from_state)
    letter_date = w.case.cpl_date if from_state == S.CPL_ISSUED else w.case.cpn_date
    w.act("open_dispute", on=letter_date + days(received_after), claims=w.claims,
          filed_by="Counsel for the beneficiary", grounds="Both claims treat an unrelated knee condition")
    return w


OUTCOMES = [  # outcome, which disputed claims are removed, the recalculated total of related claims
    ("granted", [0, 1], Decimal("0.00")),
    ("partial", [0], Decimal("800.00")),
    ("denied", [], Decimal("2000.00")),
]


@pytest.mark.parametrize(("outcome", "removed", "total"), OUTCOMES, ids=[o[0] for o in OUTCOMES])
@pytest.mark.parametrize(("track", "from_state"), [(B, S.CPL_ISSUED), (B, S.CPN_ISSUED), (P, S.CPN_ISSUED)])
def test_a_dispute_decision_returns_to_the_letter_state_it_came_from_with_the_recalculated_total(
        track, from_state, outcome, removed, total):
    w = _dispute(track, from_state)
    assert w.case.state == S.DISPUTE_PENDING
    assert set(w.case.claims.values_list("status", flat=True)) == {Claim.Status.DISPUTED}
    removed_claims = [w.claims[i] for i in removed]
    decided = w.on + days(20)
    w.act("decide_dispute", on=decided, outcome=outcome, removed_claims=removed_claims,
          reason="Medical records reviewed")
    c = w.case
    assert c.state == from_state
    assert c.return_state == ""
    for i, claim in enumerate(w.claims):
        claim.refresh_from_db()
        assert claim.status == (Claim.Status.UNRELATED if i in removed else Claim.Status.RELATED)
    dispute = c.disputes.get()
    assert (dispute.outcome, dispute.decided_on, dispute.from_state) == (outcome, decided, from_state)
    assert set(dispute.removed_claims.all()) == set(removed_claims)

    letters = list(c.letters.filter(letter_date=decided).order_by("pk"))
    decision = letters[0]
    assert decision.kind == K.DISPUTE_DECISION
    assert decision.content["total"] == str(total)
    assert decision.content["removed"] == [cl.claim_number for cl in removed_claims]
    if from_state == S.CPL_ISSUED:
        assert [letter.kind for letter in letters] == [K.DISPUTE_DECISION, K.CPL]
        updated = letters[1]
        assert updated.content["updated"] is True
        assert updated.content["total"] == str(total)
        assert len(updated.content["claims"]) == 2 - len(removed)
        assert c.cpl_date == decided  # the updated CPL opens a new dispute window
    else:
        assert [letter.kind for letter in letters] == [K.DISPUTE_DECISION]


def test_a_dispute_filed_within_the_cpn_window_stops_the_automatic_demand():
    w = _dispute(B, S.CPN_ISSUED)
    w.act("decide_dispute", outcome="denied", reason="Not documented")
    assert w.case.next_due_date is None
    w.act("issue_demand")  # before day 31: the dispute was the response
    assert w.case.demand_date < w.case.cpn_date + days(31)
    assert not w.case.demand_without_reduction


@pytest.mark.parametrize(("params", "field"), [
    pytest.param({"outcome": "maybe"}, "outcome", id="unknown-outcome"),
    pytest.param({"outcome": ""}, "outcome", id="no-outcome"),
    pytest.param({"outcome": "denied", "reason": "  "}, "reason", id="no-reason"),
    pytest.param({"outcome": "denied", "removed": [0]}, "removed_claims", id="denied-removes-a-claim"),
    pytest.param({"outcome": "granted", "removed": [0]}, "removed_claims", id="granted-keeps-a-claim"),
    pytest.param({"outcome": "partial", "removed": []}, "removed_claims", id="partial-removes-nothing"),
    pytest.param({"outcome": "partial", "removed": ["other"]}, "removed_claims", id="removes-an-undisputed-claim"),
])
def test_a_bad_dispute_decision_is_refused_naming_the_field_and_changes_nothing(params, field):
    w = _dispute(B, S.CPL_ISSUED)
    other = factories.claim(w.case)  # not disputed
    removed = [other if i == "other" else w.claims[i] for i in params.get("removed", [])]
    error = assert_refused_and_unchanged(w, "decide_dispute", outcome=params["outcome"], removed_claims=removed,
                                         **({"reason": params["reason"]} if "reason" in params else {}))
    assert error.field == field, error.message
    assert w.case.disputes.get().outcome == Dispute.Outcome.PENDING


@pytest.mark.parametrize(("params", "field"), [
    pytest.param({"claims": []}, "claims", id="no-claims"),
    pytest.param({"claims": "other-case"}, "claims", id="claim-of-another-case"),
    pytest.param({"filed_by": " "}, "filed_by", id="no-filer"),
    pytest.param({"grounds": ""}, "grounds", id="no-grounds"),
])
def test_a_bad_dispute_is_refused_naming_the_field_and_changes_nothing(params, field):
    w = reach(B, S.CPL_ISSUED)
    if params.get("claims") == "other-case":
        params = {"claims": [factories.claim(factories.case())]}
    error = assert_refused_and_unchanged(w, "open_dispute", reason="", **params)
    assert error.field == field, error.message


def test_a_dispute_may_name_only_claims_the_letter_lists_as_related():
    w = reach(B, S.CPL_ISSUED)
    unrelated = factories.claim(w.case, status=Claim.Status.UNRELATED, amount_paid=Decimal("999.00"))
    error = assert_refused_and_unchanged(w, "open_dispute", claims=[w.claims[0], unrelated])
    assert error.field == "claims"


# --- 6. hold and resume ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("track", "state"), [
    (B, S.CPN_ISSUED), (B, S.INTENT_TO_REFER_ISSUED), (P, S.REFERRAL_NOTICE_ISSUED), (G, S.PAYMENT_NOTICE_ISSUED),
])
def test_a_supervisor_s_hold_keeps_the_reason_and_resume_returns_to_the_exact_prior_state(track, state):
    w = reach(track, state)
    fields = RecoveryCase.objects.filter(pk=w.case.pk).values().get()
    w.act("put_on_hold", reason="Awaiting the probate court")
    assert (w.case.state, w.case.hold_reason) == (S.ON_HOLD, "Awaiting the probate court")
    w.act("resume")
    assert (w.case.state, w.case.hold_reason) == (state, "")
    after = RecoveryCase.objects.filter(pk=w.case.pk).values().get()
    for name in ("return_state", "appeal_level", "response_date", "demand_date", "itr_date", "cpn_date",
                 "payment_notice_date", "referral_notice_date", "next_due_date"):
        assert after[name] == fields[name], name  # nothing but the state moved and came back
    assert list(w.case.events.order_by("-pk").values_list("actor_name", flat=True)[:2]) == [w.boss.username] * 2


@pytest.mark.parametrize("action", ["put_on_hold", "resume"])
def test_a_caseworker_may_not_hold_or_resume_a_case(action):
    w = reach(B, S.ON_HOLD if action == "resume" else S.CPL_ISSUED)
    error = assert_refused_and_unchanged(w, action, actor=w.worker, reason="Please wait")
    assert "permission" in error.message
    assert "hold" in error.message.lower() or "resume" in error.message.lower()


def test_a_hold_needs_a_reason():
    w = reach(B, S.CPL_ISSUED)
    error = assert_refused_and_unchanged(w, "put_on_hold", actor=w.boss, reason=" ")
    assert error.field == "reason"


@pytest.mark.parametrize(("track", "from_state", "filing", "deciding", "params"), [
    (B, S.CPL_ISSUED, "open_dispute", "decide_dispute", {"outcome": "denied"}),
    (B, S.INTENT_TO_REFER_ISSUED, "file_appeal", "decide_appeal", {"favourable": False}),
    (B, S.DEMAND_ISSUED, "file_waiver", "decide_waiver", {"favourable": False}),
    (P, S.REFERRAL_NOTICE_ISSUED, "file_appeal", "decide_appeal", {"favourable": False}),
    (G, S.INTENT_TO_REFER_ISSUED, "file_challenge", "decide_challenge", {"favourable": False}),
], ids=["dispute", "appeal", "waiver", "plan-appeal", "challenge"])
def test_a_hold_during_a_pending_review_resumes_and_the_decision_still_returns_where_it_came_from(
        track, from_state, filing, deciding, params):
    w = reach(track, from_state)
    w.act(filing)
    w.act("put_on_hold", reason="Litigation hold")
    w.act("resume")
    w.act(deciding, reason="Decided after the hold", **params)
    assert w.case.state == from_state


# --- 7. appeals, waivers, challenges -------------------------------------------------------------------

REVIEWS = [
    pytest.param(B, "file_appeal", "decide_appeal", id="beneficiary-appeal"),
    pytest.param(B, "file_waiver", "decide_waiver", id="beneficiary-waiver"),
    pytest.param(P, "file_appeal", "decide_appeal", id="plan-appeal"),
    pytest.param(G, "file_challenge", "decide_challenge", id="ghp-challenge"),
]


DECISION_LETTER = {"decide_appeal": K.APPEAL_DECISION, "decide_waiver": K.WAIVER_DECISION,
                   "decide_challenge": K.CHALLENGE_DECISION}


def _review(track, filing, from_state=S.DEMAND_ISSUED):
    w = reach(track, from_state)
    w.act(filing, reason="The debt is not owed")
    return w


@pytest.mark.parametrize(("track", "filing", "deciding"), REVIEWS)
def test_a_favourable_decision_cancelling_an_unpaid_debt_closes_with_no_recovery(track, filing, deciding):
    w = _review(track, filing)
    demanded = w.case.demand_amount
    w.act(deciding, favourable=True, reduced_to=Decimal("0.00"), reason="Not at fault")
    c = w.case
    assert (c.state, c.closed_date) == (S.CLOSED_NO_RECOVERY, w.on)
    assert debt_balance(case=c) == Balance(Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert sum(e.amount for e in c.ledger.filter(kind=LedgerEntry.Kind.ADJUSTMENT)) == demanded
    assert c.letters.last().kind == DECISION_LETTER[deciding]


@pytest.mark.parametrize(("track", "filing", "deciding"), REVIEWS)
@pytest.mark.parametrize(("paid", "reduced_to", "refund"), [
    (None, Decimal("1000.00"), "overpaid"),  # paid in full, debt reduced: the difference is owed back
    (Decimal("200.00"), Decimal("0.00"), Decimal("200.00")),  # part paid, debt cancelled: all of it owed back
], ids=["paid-in-full-then-reduced", "part-paid-then-cancelled"])
def test_a_favourable_decision_below_what_was_paid_closes_as_paid_and_owes_a_refund(
        track, filing, deciding, paid, reduced_to, refund):
    w = _review(track, filing)
    demanded = w.case.demand_amount
    w.pay(paid)
    assert w.case.state != S.CLOSED_PAID  # under review: the decision closes it
    w.act(deciding, favourable=True, reduced_to=reduced_to, reason="Debt reduced")
    c = w.case
    assert c.state == S.CLOSED_PAID
    expected_refund = demanded - reduced_to if refund == "overpaid" else refund
    balance = debt_balance(case=c)
    assert balance.total == Decimal("0.00")
    assert balance.refund_owed == expected_refund
    assert c.ledger.filter(kind=LedgerEntry.Kind.ADJUSTMENT).exists()


@pytest.mark.parametrize(("track", "filing", "deciding"), REVIEWS)
def test_a_favourable_reduction_with_a_balance_left_returns_to_the_clock_with_the_reduced_debt(
        track, filing, deciding):
    w = _review(track, filing)
    w.act(deciding, favourable=True, reduced_to=Decimal("500.00"), reason="Partly waived")
    assert w.case.state == S.DEMAND_ISSUED
    assert debt_balance(case=w.case).total == Decimal("500.00")


@pytest.mark.parametrize(("track", "filing", "deciding", "from_state"), [
    (B, "file_appeal", "decide_appeal", S.DEMAND_ISSUED),
    (B, "file_appeal", "decide_appeal", S.INTENT_TO_REFER_ISSUED),
    (B, "file_waiver", "decide_waiver", S.INTENT_TO_REFER_ISSUED),
    (P, "file_appeal", "decide_appeal", S.REFERRAL_NOTICE_ISSUED),
    (G, "file_challenge", "decide_challenge", S.INTENT_TO_REFER_ISSUED),
])
def test_an_unfavourable_decision_returns_to_the_state_the_review_was_filed_from(track, filing, deciding,
                                                                                 from_state):
    w = _review(track, filing, from_state)
    before = debt_balance(case=w.case)  # interest assessed by the notices stands
    w.act(deciding, favourable=False, reason="Upheld")
    assert w.case.state == from_state
    assert debt_balance(case=w.case) == before
    assert before.principal == w.case.demand_amount
    assert w.case.events.last().to_state == from_state


@pytest.mark.parametrize(("track", "filing", "deciding"), REVIEWS)
def test_a_debt_paid_in_full_during_review_closes_as_paid_on_an_unfavourable_decision(track, filing, deciding):
    w = _review(track, filing)
    w.pay()
    w.act(deciding, favourable=False, reason="Upheld")
    assert w.case.state == S.CLOSED_PAID


@pytest.mark.parametrize(("params", "field"), [
    pytest.param({"favourable": True, "reduced_to": Decimal("0.00"), "reason": ""}, "reason", id="no-reason"),
    pytest.param({"favourable": True}, "reduced_to", id="favourable-without-amount"),
    pytest.param({"favourable": True, "reduced_to": Decimal("1333.33")}, "reduced_to", id="not-below-demand"),
    pytest.param({"favourable": True, "reduced_to": Decimal("-1.00")}, "reduced_to", id="negative"),
    pytest.param({"favourable": True, "reduced_to": Decimal("10.005")}, "reduced_to", id="sub-cent"),
    pytest.param({"favourable": True, "reduced_to": "ten dollars"}, "reduced_to", id="not-money"),
    pytest.param({"favourable": False, "reduced_to": Decimal("10.00")}, "reduced_to", id="unfavourable-amount"),
])
def test_a_bad_review_decision_is_refused_naming_the_field_and_changes_nothing(params, field):
    w = _review(B, "file_appeal")
    error = assert_refused_and_unchanged(w, "decide_appeal", **params)
    assert error.field == field, error.message


@pytest.mark.parametrize("filing", ["file_appeal", "file_waiver"])
def test_an_appeal_or_waiver_request_needs_a_reason(filing):
    w = reach(B, S.DEMAND_ISSUED)
    error = assert_refused_and_unchanged(w, filing, reason="")
    assert error.field == "reason"


# --- 8. stale views --------------------------------------------------------------------------------------

def test_an_expected_state_that_is_no_longer_the_case_s_state_is_refused_as_stale():
    w = reach(B, S.RAR_ISSUED)
    before = w.snapshot()
    with pytest.raises(StaleCaseError) as info:
        services.case_act(case=w.case, action="issue_cpl", actor=w.worker, on=w.on + days(1),
                          expected_state=S.OCCURRENCE_POSTED)
    assert "reload" in info.value.message
    assert isinstance(info.value, CaseActionError)  # every caller already turns these into a message
    assert w.snapshot() == before
    w.act("issue_cpl", expected_state=S.RAR_ISSUED)
    assert w.case.state == S.CPL_ISSUED


STALE = [
    pytest.param(B, S.RAR_ISSUED, "issue_cpl", "issue_cpl", id="same-step-twice"),
    pytest.param(B, S.CPL_ISSUED, "open_dispute", "close_no_recovery", id="dispute-vs-close"),
    pytest.param(B, S.CPL_ISSUED, "close_no_recovery", "open_dispute", id="close-vs-dispute"),
    pytest.param(B, S.DEMAND_ISSUED, "file_appeal", "file_waiver", id="appeal-vs-waiver"),
    pytest.param(P, S.CPN_ISSUED, "open_dispute", "close_no_recovery", id="plan-dispute-vs-close"),
    pytest.param(G, S.DEMAND_ISSUED, "file_challenge", "put_on_hold", id="ghp-challenge-vs-hold"),
]


@pytest.mark.parametrize(("track", "state", "first", "second"), STALE)
def test_the_second_of_two_views_loaded_before_either_acted_is_refused_as_stale_and_leaves_no_trace(
        track, state, first, second):
    w = reach(track, state)
    view_a = RecoveryCase.objects.get(pk=w.case.pk)
    view_b = RecoveryCase.objects.get(pk=w.case.pk)
    on = w.on + days(1)
    services.case_act(case=view_a, action=first, actor=w.actor_for(first), on=on, reason="First",
                      **w.params_for(first))
    w.reload()
    after_first = w.snapshot()
    with pytest.raises(StaleCaseError):
        services.case_act(case=view_b, action=second, actor=w.actor_for(second), on=on, reason="Second",
                          **w.params_for(second))
    assert w.snapshot() == after_first
    assert not CaseEvent.objects.filter(case=w.case, reason="Second").exists()
    assert not Letter.objects.filter(case=w.case, event__reason="Second").exists()


def test_a_view_loaded_before_a_payment_closed_the_case_is_refused_as_stale():
    w = reach(B, S.DEMAND_ISSUED)
    view = RecoveryCase.objects.get(pk=w.case.pk)
    w.pay()
    assert w.case.state == S.CLOSED_PAID
    with pytest.raises(StaleCaseError):
        services.case_act(case=view, action="file_appeal", actor=w.worker, on=w.on, reason="Too late")
    assert w.reload().state == S.CLOSED_PAID
    assert not w.case.events.filter(action="file_appeal").exists()


@pytest.mark.parametrize(("track", "state"), [(B, S.CPN_ISSUED), (G, S.PAYMENT_NOTICE_ISSUED)])
def test_two_stale_views_recording_the_same_response_succeed_only_once(track, state):
    w = reach(track, state)
    view_a = RecoveryCase.objects.get(pk=w.case.pk)
    view_b = RecoveryCase.objects.get(pk=w.case.pk)
    services.case_act(case=view_a, action="record_response", actor=w.worker, on=w.on + days(1), reason="First")
    with pytest.raises(StaleCaseError):
        services.case_act(case=view_b, action="record_response", actor=w.worker, on=w.on + days(2),
                          reason="Second")
    assert w.reload().response_date == w.on + days(1)
    assert w.case.events.filter(action="record_response").count() == 1


def test_a_step_on_a_view_loaded_before_a_reassignment_does_not_undo_the_reassignment():
    w = reach(B, S.RAR_ISSUED)
    view = RecoveryCase.objects.get(pk=w.case.pk)
    new_worker = factories.caseworker()
    fresh = RecoveryCase.objects.get(pk=w.case.pk)
    fresh.caseworker = new_worker  # a supervisor reassigns the case (admin change form)
    fresh.save(update_fields=["caseworker"])
    try:
        services.case_act(case=view, action="issue_cpl", actor=w.worker, on=w.on + days(1), reason="CPL")
    except StaleCaseError:
        pass  # refusing the stale view is a fine answer too
    assert RecoveryCase.objects.get(pk=w.case.pk).caseworker == new_worker


# --- 9. append-only history, letters and ledger -------------------------------------------------------

# model: (a field to rewrite and its new value, the owner's related manager, the owner's attribute)
APPEND_ONLY = {
    CaseEvent: ("reason", "rewritten", "events", "case"),
    Letter: ("letter_date", date(2023, 1, 1), "letters", "case"),
    LedgerEntry: ("amount", Decimal("1.00"), "ledger", "case"),
    DebtEvent: ("amount", Decimal("1.00"), "events", "debt"),
}


def _with_history():
    """A demanded debt with a part payment: history rows, letters, ledger rows and a debt event."""
    w = reach(B, S.DEMAND_ISSUED)
    w.pay(Decimal("100.00"))
    return w


def _rows(model, case):
    owner = APPEND_ONLY[model][3]
    return model.objects.filter(**{owner: case if owner == "case" else case.debt}).order_by("pk")


def _rewrite(model, row):
    field, value = APPEND_ONLY[model][:2]
    setattr(row, field, value)
    return field


WRITES = {
    "save-existing-row": lambda m, row: (_rewrite(m, row), row.save()),
    "save-with-update-fields": lambda m, row: row.save(update_fields=[_rewrite(m, row)]),
    "delete-row": lambda m, row: row.delete(),
    "queryset-update": lambda m, row: m.objects.filter(pk=row.pk).update(**{APPEND_ONLY[m][0]: APPEND_ONLY[m][1]}),
    "queryset-delete": lambda m, row: m.objects.filter(pk=row.pk).delete(),
    "related-manager-delete": lambda m, row: getattr(getattr(row, APPEND_ONLY[m][3]), APPEND_ONLY[m][2]).all().delete(),
    "bulk-update": lambda m, row: m.objects.bulk_update([row], [_rewrite(m, row)]),
}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda m: m.__name__)
def test_history_letters_ledger_and_debt_events_cannot_be_rewritten_or_deleted(model, write):
    w = _with_history()
    before = list(_rows(model, w.case).values())
    row = model.objects.get(pk=before[-1]["id"])
    with pytest.raises(PermissionError, match="append-only"), transaction.atomic():
        WRITES[write](model, row)
    assert list(_rows(model, w.case).values()) == before


@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda m: m.__name__)
def test_an_append_only_row_cannot_be_overwritten_by_a_new_instance_with_its_key(model):
    w = _with_history()
    row = _rows(model, w.case).last()
    before = model.objects.filter(pk=row.pk).values().get()
    fields = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
    if model is Letter:
        fields.pop("idempotency_key")  # a fresh key; the primary key is the existing row's
    impostor = model(**fields)
    _rewrite(model, impostor)
    with pytest.raises((PermissionError, IntegrityError)), transaction.atomic():
        impostor.save()
    assert model.objects.filter(pk=row.pk).values().get() == before


def test_new_history_rows_can_still_be_appended():
    w = reach(B, S.DEMAND_ISSUED)
    n = w.case.events.count()
    w.act("file_appeal", reason="Appeal")
    assert w.case.events.count() == n + 1
