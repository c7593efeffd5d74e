"""How a clock counts (SPEC §3): day 0 is the letter's date; windows end on day N, consequences on N+1."""

from datetime import date
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.clocks import counting as clocks
from recovery.cases.tracks import State, Track


def test_the_starting_letters_date_is_day_0():
    assert clocks.day_number(date(2024, 1, 1), date(2024, 1, 1)) == 0
    assert clocks.day_number(date(2024, 1, 1), date(2024, 3, 1)) == 60  # through a leap-year February


def test_a_cpn_unanswered_leads_to_a_demand_on_day_31():
    cpn = date(2024, 1, 31)
    assert clocks.window_last_day(cpn, 30) == date(2024, 3, 1)
    assert clocks.consequence_day(cpn, 30) == date(2024, 3, 2)


def test_the_itr_goes_on_day_90_and_treasury_referral_on_day_151_after_the_demand():
    demand = date(2024, 1, 1)
    itr = clocks.sent_on_day(demand, 90)
    assert itr == date(2024, 3, 31)
    referral = clocks.consequence_day(itr, 60)
    assert clocks.day_number(demand, referral) == 151


def test_the_cpl_is_overdue_from_day_66_after_the_rar():
    assert clocks.overdue_from(date(2023, 12, 31), 65) == date(2024, 3, 6)  # 31 + 29 + 6 days


SPEC_TABLE = clocks.ClockTable(rows=tuple(
    (track, name, date(1980, 12, 5), days)
    for track, lengths in {
        Track.BENEFICIARY: {"cpl_due": 65, "cpn_response": 30, "dispute_decision": 45, "itr": 90,
                            "treasury_after_itr": 60},
        Track.PLAN: {"cpn_response": 30, "referral_notice": 60, "treasury_after_demand": 120},
        Track.GHP: {"payment_notice_response": 45, "itr": 120, "treasury_after_itr": 60},
    }.items()
    for name, days in lengths.items()
))


def test_the_clock_table_uses_the_row_in_force_on_the_day_the_clock_starts():
    table = clocks.ClockTable(rows=(("ghp", "treasury_after_itr", date(1980, 1, 1), 120),
                                    ("ghp", "treasury_after_itr", date(2014, 5, 9), 60)))
    assert table.days("ghp", "treasury_after_itr", date(2014, 5, 8)) == 120
    assert table.days("ghp", "treasury_after_itr", date(2014, 5, 9)) == 60
    with pytest.raises(clocks.ClockMissing, match="No 'itr' clock"):
        table.days("ghp", "itr", date(2020, 1, 1))


def _case(track, state, **dates):
    fields = dict(rar_date=None, cpn_date=None, payment_notice_date=None, response_date=None, demand_date=None,
                  itr_date=None, referral_notice_date=None)
    fields.update(dates)
    return SimpleNamespace(track=track, state=state, **fields)


@pytest.mark.parametrize(
    "track, state, dates, dispute, due",
    [
        (Track.BENEFICIARY, State.RAR_ISSUED, {"rar_date": date(2024, 1, 1)}, None, date(2024, 3, 6)),
        (Track.BENEFICIARY, State.CPN_ISSUED, {"cpn_date": date(2024, 1, 1)}, None, date(2024, 2, 1)),
        (Track.BENEFICIARY, State.CPN_ISSUED, {"cpn_date": date(2024, 1, 1), "response_date": date(2024, 1, 9)},
         None, None),
        (Track.BENEFICIARY, State.DISPUTE_PENDING, {}, date(2024, 1, 1), date(2024, 2, 15)),
        (Track.BENEFICIARY, State.DEMAND_ISSUED, {"demand_date": date(2024, 1, 1)}, None, date(2024, 3, 31)),
        (Track.BENEFICIARY, State.INTENT_TO_REFER_ISSUED, {"itr_date": date(2024, 3, 31)}, None, date(2024, 5, 31)),
        (Track.PLAN, State.DEMAND_ISSUED, {"demand_date": date(2024, 1, 1)}, None, date(2024, 3, 2)),
        (Track.PLAN, State.REFERRAL_NOTICE_ISSUED, {"demand_date": date(2024, 1, 1)}, None, date(2024, 5, 1)),
        (Track.GHP, State.PAYMENT_NOTICE_ISSUED, {"payment_notice_date": date(2024, 1, 1)}, None, date(2024, 2, 16)),
        (Track.GHP, State.DEMAND_ISSUED, {"demand_date": date(2024, 1, 1)}, None, date(2024, 4, 30)),
        (Track.GHP, State.APPEAL_PENDING, {"demand_date": date(2024, 1, 1)}, None, None),
        (Track.BENEFICIARY, State.ON_HOLD, {"rar_date": date(2024, 1, 1)}, None, None),
    ],
)
def test_next_deadline_follows_the_stored_dates(track, state, dates, dispute, due):
    deadline = clocks.next_deadline(_case(track, state, **dates), table=SPEC_TABLE, dispute_received=dispute)
    assert (deadline.due if deadline else None) == due


@given(start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), n=st.integers(1, 400))
def test_a_windows_consequence_is_the_day_after_its_last_day(start, n):
    assert clocks.day_number(start, clocks.window_last_day(start, n)) == n
    assert clocks.day_number(start, clocks.consequence_day(start, n)) == n + 1
    assert clocks.overdue_from(start, n) == clocks.consequence_day(start, n)
