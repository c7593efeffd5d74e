"""The final conditional payment amount (SPEC §5.6; 42 CFR 411.39) at the edges of its rules: the
notice's 120 days, the case settling within 3 calendar days of the request (day 3 holds, day 4 voids),
settlement information filed within 30 days of settling (day 30 holds, day 31 voids), once per case,
disputes under the notice due in 11 business days — and the demand using the amount that holds."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from recovery.money import final_amount as fa
from recovery.cases import services
from recovery.money.demand import demand_computation
from recovery.errors import CaseActionError
from recovery.final_amount_models import FinalAmountDispute, FinalConditionalPayment
from recovery.models import CaseEvent, Settlement
from recovery.policy_models import ClockLength
from recovery.cases.tracks import State
from tests import factories

from .conftest import act, pdf, today

D = timedelta


# --- the rule, pure ---------------------------------------------------------------------------------

R = date(2024, 3, 1)  # the request
RULE = {"notice_days": 120, "settle_days": 3, "info_days": 30}


def standing(**kw):
    args = {"notice_date": date(2024, 2, 1), "requested_on": R, "amount": Decimal("1200.00"),
            "settlement_date": None, "filed_on": None, "as_of": R, **RULE}
    args.update(kw)
    return fa.standing(**args)


@pytest.mark.parametrize("settled_day, status", [(0, "holds"), (3, "holds"), (4, "void"), (-1, "void")])
def test_the_amount_holds_if_the_case_settles_within_3_calendar_days_of_the_request(settled_day, status):
    settled = R + D(settled_day)
    st = standing(settlement_date=settled, filed_on=settled + D(5), as_of=settled + D(10))
    assert st.status == status, st.message
    assert st.settle_by == R + D(3)


@pytest.mark.parametrize("filed_day, status", [(0, "holds"), (30, "holds"), (31, "void")])
def test_the_amount_holds_if_settlement_information_is_filed_within_30_days_of_settling(filed_day, status):
    settled = R + D(2)
    st = standing(settlement_date=settled, filed_on=settled + D(filed_day), as_of=settled + D(40))
    assert st.status == status, st.message
    assert st.file_by == settled + D(30)


def test_while_nothing_is_filed_it_can_still_hold_until_no_settlement_could_qualify():
    assert standing(as_of=R + D(3) + D(30)).status == "pending"  # settled on day 3, filing on day 30: in time
    st = standing(as_of=R + D(3) + D(31))
    assert st.status == "void" and "No settlement information" in st.message


def test_a_settlement_with_no_received_date_is_pending_not_held():
    st = standing(settlement_date=R + D(1), filed_on=None, as_of=R + D(5))
    assert st.status == "pending" and not st.holds


def test_a_notice_lapses_after_its_120_days_without_a_request_or_when_the_case_settles_without_one():
    notice = date(2024, 1, 1)
    assert standing(notice_date=notice, requested_on=None, as_of=notice + D(120)).status == "noticed"
    assert standing(notice_date=notice, requested_on=None, as_of=notice + D(121)).status == "void"
    assert standing(notice_date=notice, requested_on=None, settlement_date=notice + D(10),
                    as_of=notice + D(11)).status == "void"


def test_business_days_skip_weekends_and_federal_holidays():
    assert fa.add_business_days(date(2024, 7, 1), 11) == date(2024, 7, 17)  # 4 July in between
    assert fa.add_business_days(date(2024, 11, 22), 11) == date(2024, 12, 10)  # Thanksgiving 28 Nov
    assert date(2021, 12, 31) in fa.federal_holidays(2021)  # 1 Jan 2022, a Saturday, observed on 31 Dec
    assert fa.is_business_day(date(2024, 6, 18)) and not fa.is_business_day(date(2024, 6, 19))


# --- the services -----------------------------------------------------------------------------------


@pytest.fixture
def case(db):
    """A beneficiary-track case walked to CPL issued in early 2024, with a $1,200 related claim."""
    worker = factories.caseworker()
    c = factories.case(opened_on=date(2024, 1, 2), actor=worker)
    factories.claim(c, amount_paid=Decimal("1200.00"))
    act(c, "post_occurrence", date(2024, 1, 3), worker)
    act(c, "issue_rar", date(2024, 1, 4), worker)
    act(c, "issue_cpl", date(2024, 2, 20), worker)
    c.worker = worker
    return c


def notice_and_request(case, *, notice=date(2024, 2, 25), request=R):
    fa.final_amount_notice(case=case, expected_settlement_date=request + D(2), actor=case.worker, on=notice)
    return fa.final_amount_request(case=case, actor=case.worker, on=request)


def test_the_request_holds_the_conditional_payment_total_of_its_day_and_is_recorded_in_the_history(case):
    record = notice_and_request(case)
    factories.claim(case, amount_paid=Decimal("800.00"))  # found after the request
    assert record.amount == Decimal("1200.00") and record.requested_on == R
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions[-2:] == ["final_amount_notice", "final_amount_request"]


@pytest.mark.parametrize("days, ok", [(0, True), (120, True), (121, False), (-1, False)])
def test_the_notice_is_for_a_settlement_expected_within_120_days(case, days, ok):
    on = date(2024, 2, 25)
    call = lambda: fa.final_amount_notice(case=case, expected_settlement_date=on + D(days),  # noqa: E731
                                          actor=case.worker, on=on)
    if ok:
        assert call().expected_settlement_date == on + D(days)
    else:
        with pytest.raises(CaseActionError) as err:
            call()
        assert err.value.field == "expected_settlement_date"
        assert not FinalConditionalPayment.objects.exists()


def test_once_per_case_a_second_notice_and_a_second_request_are_refused(case):
    notice_and_request(case)
    with pytest.raises(CaseActionError, match="once per case"):
        fa.final_amount_request(case=case, actor=case.worker, on=R + D(1))
    with pytest.raises(CaseActionError, match="once per case"):
        fa.final_amount_notice(case=case, expected_settlement_date=R + D(10), actor=case.worker, on=R + D(1))
    assert FinalConditionalPayment.objects.get(case=case).requested_on == R


def test_a_request_needs_a_notice_first_and_comes_before_settling(case):
    with pytest.raises(CaseActionError, match="notice"):
        fa.final_amount_request(case=case, actor=case.worker, on=R)
    fa.final_amount_notice(case=case, expected_settlement_date=R, actor=case.worker, on=date(2024, 2, 25))
    factories.settlement(case, settlement_date=R - D(1), received_on=R - D(1))
    with pytest.raises(CaseActionError, match="before settling"):
        fa.final_amount_request(case=case, actor=case.worker, on=R)


def test_a_request_after_the_notice_lapsed_is_refused(case):
    fa.final_amount_notice(case=case, expected_settlement_date=date(2024, 3, 1), actor=case.worker,
                           on=date(2024, 2, 21))
    with pytest.raises(CaseActionError, match="lapsed"):
        fa.final_amount_request(case=case, actor=case.worker, on=date(2024, 2, 21) + D(121))


def test_the_clock_lengths_come_from_the_clock_table(case):
    ClockLength.objects.create(track="beneficiary", name="final_amount_notice_window", days=90,
                               effective_from=date(2024, 1, 1), source="test")
    with pytest.raises(CaseActionError, match="within 90 days"):
        fa.final_amount_notice(case=case, expected_settlement_date=date(2024, 2, 25) + D(91), actor=case.worker,
                               on=date(2024, 2, 25))


def test_a_dispute_raised_under_the_notice_is_due_in_11_business_days(case):
    fa.final_amount_notice(case=case, expected_settlement_date=date(2024, 3, 20), actor=case.worker,
                           on=date(2024, 2, 26))
    services.case_act(case=case, action="open_dispute", actor=case.worker, on=date(2024, 3, 1),
                      claims=list(case.claims.all()), filed_by="Attorney", grounds="Unrelated")
    dispute = case.disputes.get()
    row = fa.final_amount_dispute_registered(case=case, dispute=dispute)
    assert row.due_date == date(2024, 3, 18)  # Fri 1 Mar + 11 business days (Mon 4 … Fri 15, Mon 18)
    assert FinalAmountDispute.objects.get(dispute=dispute).due_date == date(2024, 3, 18)


def test_a_dispute_without_a_notice_keeps_the_45_day_clock(case):
    services.case_act(case=case, action="open_dispute", actor=case.worker, on=date(2024, 3, 1),
                      claims=list(case.claims.all()), filed_by="Attorney", grounds="Unrelated")
    assert fa.final_amount_dispute_registered(case=case, dispute=case.disputes.get()) is None


# --- the demand uses the amount that holds --------------------------------------------------------------


@pytest.mark.parametrize("settled_day, filed_day, principal", [
    (3, 30, Decimal("800.00")),  # holds: $1,200 held, less 1/3 for fees and costs (§411.37(c))
    (4, 30, Decimal("1333.33")),  # settled on day 4: void, the $2,000 of claims is used
    (3, 31, Decimal("1333.33")),  # filed on day 31: void
])
def test_the_demand_uses_the_final_amount_only_while_it_holds(case, settled_day, filed_day, principal):
    notice_and_request(case)
    factories.claim(case, amount_paid=Decimal("800.00"))  # after the request: not in the held amount
    settled = R + D(settled_day)
    Settlement.objects.create(case=case, settlement_date=settled, received_on=settled + D(filed_day),
                              gross_amount=Decimal("30000.00"), attorney_fees=Decimal("10000.00"))
    comp = demand_computation(case=case, on=settled + D(filed_day) + D(2))
    assert comp.amount == principal
    assert any("Final conditional payment amount $1200.00 requested on 2024-03-01" in s for s in comp.steps)
    act(case, "report_settlement", settled + D(filed_day) + D(1), case.worker)
    act(case, "issue_demand", settled + D(filed_day) + D(2), case.worker)
    assert case.state == State.DEMAND_ISSUED
    assert case.demand_amount == principal and case.debt.principal == principal
    demand_letter = case.letters.get(kind="demand")
    assert demand_letter.amount == principal


def test_without_a_request_the_demand_is_unchanged(case):
    factories.claim(case, amount_paid=Decimal("800.00"))
    Settlement.objects.create(case=case, settlement_date=R, received_on=R, gross_amount=Decimal("30000.00"),
                              attorney_fees=Decimal("10000.00"))
    comp = demand_computation(case=case, on=R + D(5))
    assert comp.amount == Decimal("1333.33") and not any("Final" in s for s in comp.steps)


# --- on the portal ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_representative_gives_notice_asks_once_and_the_settlement_sent_in_time_makes_it_hold(world, as_user):
    client = as_user("por")
    case = world.main
    url_notice, url_request = (reverse("portal:final_notice", args=[case.pk]),
                               reverse("portal:final_request", args=[case.pk]))
    bad = client.post(url_notice, {"expected_settlement_date": (today() + D(121)).isoformat()})
    assert "within 120 days" in str(bad.context["form"].errors["expected_settlement_date"])
    assert not FinalConditionalPayment.objects.exists()
    assert client.post(url_notice, {"expected_settlement_date": (today() + D(2)).isoformat()}).status_code == 302
    # A dispute under the notice is due in 11 business days.
    client.post(reverse("portal:dispute", args=[case.pk]), {
        "claims": [case.claims.order_by("id").last().pk], "grounds": "Unrelated.", "documents": pdf()})
    dispute = case.disputes.get()
    assert dispute.final_amount_clock.due_date == fa.add_business_days(today(), 11)
    page = client.get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "11 business days" in page
    # Decided (the caseworker), back to the CPL: the amount is asked for.
    case.refresh_from_db()
    act(case, "decide_dispute", today(), world.caseworker, outcome="denied", reason="Not documented")
    assert "$2,000.00" in client.get(url_request).content.decode()
    assert client.post(url_request, {"confirm": "on"}).status_code == 302
    record = FinalConditionalPayment.objects.get(case=case)
    assert record.amount == Decimal("2000.00") and record.requested_on == today()
    again = client.post(url_request, {"confirm": "on"})
    assert "once per case" in " ".join(e["message"] for e in again.context["errors"])
    # The settlement sent through the portal today: it settled in time and its information is filed.
    client.post(reverse("portal:settlement", args=[case.pk]), {
        "settlement_date": today().isoformat(), "gross_amount": "30000.00", "attorney_fees": "10000.00",
        "other_costs": "0.00", "documents": pdf("settlement.pdf")})
    response = client.get(reverse("portal:case", args=[case.pk]))
    assert response.context["final_standing"].holds
    assert "Holds:" in response.content.decode()
    comp = demand_computation(case=case, on=today())
    assert comp.conditional_payments == Decimal("2000.00") and comp.amount == Decimal("1333.33")
