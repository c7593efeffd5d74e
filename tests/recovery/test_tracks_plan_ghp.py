"""The plan track (NGHP with ORM, SPEC §3.2) and the GHP track (SPEC §3.3): every edge of tracks.EDGES
taken through the real services, every other (state, action) refused, and the debtor on the letters."""

from decimal import Decimal

import pytest

from recovery.cases import tracks
from recovery.letters.compose import recipients
from recovery.cases.tracks import State as S
from recovery.cases.tracks import Track
from tests.recovery.test_tracks_beneficiary import (
    K,
    ROUTES,
    check_not_on_the_table,
    days,
    edge_id,
    exercise_edge,
    reach,
    spec_edges,
)

pytestmark = pytest.mark.django_db

PLAN_SPEC_EDGES = spec_edges(
    [
        ("issue_cpn", "reported", "cpn_issued"),
        ("record_response", "cpn_issued", "cpn_issued"),
        ("open_dispute", "cpn_issued", "dispute_pending"),
        ("decide_dispute", "dispute_pending", "cpn_issued"),
        ("issue_demand", "cpn_issued", "demand_issued"),
        ("issue_referral_notice", "demand_issued", "referral_notice_issued"),
        ("refer_to_treasury", "referral_notice_issued", "referred_to_treasury"),
        ("file_appeal", "demand_issued referral_notice_issued", "appeal_pending"),
        ("decide_appeal", "appeal_pending",
         "demand_issued referral_notice_issued closed_paid closed_no_recovery"),
        ("close_paid", "demand_issued referral_notice_issued appeal_pending referred_to_treasury", "closed_paid"),
        ("close_no_recovery", "reported cpn_issued", "closed_no_recovery"),
    ],
    "reported cpn_issued dispute_pending demand_issued appeal_pending referral_notice_issued",
)

GHP_SPEC_EDGES = spec_edges(
    [
        ("issue_payment_notice", "reported", "payment_notice_issued"),
        ("record_response", "payment_notice_issued", "payment_notice_issued"),
        ("issue_demand", "payment_notice_issued", "demand_issued"),
        ("file_challenge", "demand_issued intent_to_refer_issued", "challenge_pending"),
        ("decide_challenge", "challenge_pending",
         "demand_issued intent_to_refer_issued closed_paid closed_no_recovery"),
        ("issue_itr", "demand_issued", "intent_to_refer_issued"),
        ("refer_to_treasury", "intent_to_refer_issued", "referred_to_treasury"),
        ("close_paid", "demand_issued intent_to_refer_issued challenge_pending referred_to_treasury", "closed_paid"),
        ("close_no_recovery", "reported payment_notice_issued", "closed_no_recovery"),
    ],
    "reported payment_notice_issued demand_issued challenge_pending intent_to_refer_issued",
)


@pytest.mark.parametrize(("track", "expected"), [(Track.PLAN, PLAN_SPEC_EDGES), (Track.GHP, GHP_SPEC_EDGES)])
def test_the_plan_and_ghp_track_tables_are_exactly_the_spec_s_states_and_edges(track, expected):
    assert set(tracks.EDGES[track]) == expected
    assert len(tracks.EDGES[track]) == len(expected), "an edge is listed twice"


@pytest.mark.parametrize("edge", tracks.EDGES[Track.PLAN], ids=edge_id)
def test_each_plan_edge_moves_the_case_records_who_when_why_and_writes_to_plan_and_beneficiary(edge):
    exercise_edge(Track.PLAN, *edge)


@pytest.mark.parametrize("edge", tracks.EDGES[Track.GHP], ids=edge_id)
def test_each_ghp_edge_moves_the_case_records_who_when_why_and_writes_to_the_plan(edge):
    exercise_edge(Track.GHP, *edge)


@pytest.mark.parametrize("state", ROUTES[Track.PLAN])
def test_every_action_not_on_the_plan_table_is_refused_and_changes_nothing(state, subtests):
    check_not_on_the_table(Track.PLAN, state, subtests)


@pytest.mark.parametrize("state", ROUTES[Track.GHP])
def test_every_action_not_on_the_ghp_table_is_refused_and_changes_nothing(state, subtests):
    check_not_on_the_table(Track.GHP, state, subtests)


def test_the_plan_track_runs_cpn_demand_referral_notice_treasury_on_days_31_61_and_121():
    w = reach(Track.PLAN, S.REFERRED_TO_TREASURY)
    c = w.case
    assert c.number.startswith("3") and len(c.number) == 15
    assert c.demand_date == c.cpn_date + days(31)
    assert c.referral_notice_date == c.demand_date + days(61)
    assert c.referral_date == c.demand_date + days(121)
    assert list(c.letters.values_list("kind", flat=True)) == [K.CPN, K.DEMAND, K.REFERRAL_NOTICE, K.TREASURY_REFERRAL]
    # Recovery from the plan itself is the conditional payments (no settlement here).
    assert c.demand_amount == Decimal("2000.00")
    assert recipients(c)[0]["name"] == c.debtor_payer.name


def test_the_ghp_track_runs_notice_demand_itr_treasury_on_days_46_120_and_181():
    w = reach(Track.GHP, S.REFERRED_TO_TREASURY)
    c = w.case
    assert c.number.startswith("3") and len(c.number) == 15
    assert c.demand_date == c.payment_notice_date + days(46)
    assert c.itr_date == c.demand_date + days(120)
    # 60 days after the ITR → the 61st day after it (SPEC §3, "How a clock counts").
    assert c.referral_date == c.demand_date + days(181)
    assert list(c.letters.values_list("kind", flat=True)) == [
        K.PAYMENT_NOTICE, K.DEMAND, K.ITR, K.TREASURY_REFERRAL]
    assert c.demand_amount == Decimal("2000.00")
