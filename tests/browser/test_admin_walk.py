"""A caseworker walks beneficiary-track cases through every state in the admin, by clicking."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from recovery.money import ledger
from recovery.cases import tracks
from recovery.models import RecoveryCase
from recovery.cases.tracks import State, Track
from tests import factories as f
from tests.browser.people import admin_login as login

pytestmark = pytest.mark.django_db(transaction=True)


def step(page, case, action, on, **fields):
    """Click the step's button on the case page, fill its form, submit, land back on the case."""
    page.click(f'#case-actions a[data-action="{action}"]')
    page.fill("#id_on", on.isoformat())
    for name, value in fields.items():
        selector = f"#id_{name}"
        if isinstance(value, bool):
            page.set_checked(selector, value)
        elif isinstance(value, list):
            for v in value:
                page.check(f'input[name="{name}"][value="{v}"]')
        elif page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, str(value))
        else:
            page.fill(selector, str(value))
    with page.expect_navigation():
        page.click("input[name=_submit]")
    if action == "issue_demand":
        # The page previewed the demand for today; for another date it shows that date's figures first,
        # and the caseworker confirms them (issue 12).
        if page.locator(".messagelist .success").count() == 0:
            assert page.locator("#demand-preview").get_attribute("data-on") == on.isoformat()
            page.click("input[name=_submit]")
    page.wait_for_selector(".messagelist .success")
    case.refresh_from_db()
    return case.state


def test_a_caseworker_walks_cases_through_every_state_of_the_beneficiary_track(page, live_server):
    worker = f.caseworker("walker")
    boss = f.supervisor("boss")
    seen = set()

    # Case A: the main path, dated in 2024 so every clock has run by now.
    a = f.case(opened_on=date(2024, 1, 2), caseworker=worker)
    f.claim(a, service_from=date(2023, 1, 10), service_to=date(2023, 1, 12))
    seen.add(a.state)
    login(page, live_server, "walker")
    page.goto(f"{live_server.url}/admin/recovery/recoverycase/{a.pk}/change/")
    seen.add(step(page, a, "post_occurrence", date(2024, 1, 3)))
    seen.add(step(page, a, "issue_rar", date(2024, 1, 4)))
    seen.add(step(page, a, "issue_cpl", date(2024, 2, 20)))
    f.settlement(a, settlement_date=date(2024, 3, 1))
    page.reload()
    seen.add(step(page, a, "report_settlement", date(2024, 3, 5)))
    seen.add(step(page, a, "issue_demand", date(2024, 3, 10)))
    assert "$800.00" in page.content()  # 1,200 − 1,200 × 10,000 ÷ 30,000 (§411.37(c))
    seen.add(step(page, a, "file_appeal", date(2024, 3, 20), reason="Claims unrelated"))
    assert step(page, a, "decide_appeal", date(2024, 4, 20), reason="Upheld") == State.DEMAND_ISSUED
    seen.add(step(page, a, "issue_itr", date(2024, 6, 8)))  # day 90
    seen.add(step(page, a, "file_waiver", date(2024, 6, 10), reason="Hardship"))
    assert step(page, a, "decide_waiver", date(2024, 7, 1), reason="Not without fault") == \
        State.INTENT_TO_REFER_ISSUED
    seen.add(step(page, a, "refer_to_treasury", date(2024, 8, 8)))  # ITR + 61
    # Paid in full through Treasury: principal and the interest assessed through the payment's date.
    owed = ledger.schedule_for(a.debt, as_of=date(2024, 9, 1)).balance
    assert owed > Decimal("800.00")  # interest ran from the demand (SPEC §5.5)
    page.click('#case-actions a[data-action="record_payment"]')
    page.fill("#id_amount", str(owed))
    page.fill("#id_received_on", "2024-09-01")
    page.click("input[name=_submit]")
    page.wait_for_selector(".messagelist .success")
    assert "Balance $0.00" in page.content()
    a.refresh_from_db()
    seen.add(a.state)  # the payment that clears the balance closes the case

    # Case B: reported after the settlement → CPN, a dispute, a hold, and closing with no recovery.
    today = timezone.localdate()
    b = f.case(opened_on=today - timedelta(days=20), caseworker=worker)
    claim = f.claim(b, service_from=date(2023, 1, 10), service_to=date(2023, 1, 12))
    f.settlement(b, settlement_date=date(2024, 3, 1))
    page.context.clear_cookies()
    login(page, live_server, "boss")
    page.goto(f"{live_server.url}/admin/recovery/recoverycase/{b.pk}/change/")
    seen.add(step(page, b, "issue_cpn", today - timedelta(days=15)))
    seen.add(step(page, b, "open_dispute", today - timedelta(days=10), claims=[claim.pk], filed_by="Attorney",
                  grounds="Unrelated knee treatment"))
    assert step(page, b, "decide_dispute", today - timedelta(days=5), outcome="denied",
                reason="Insufficient documentation") == State.CPN_ISSUED
    seen.add(step(page, b, "put_on_hold", today - timedelta(days=4), reason="Bankruptcy stay"))
    assert step(page, b, "resume", today - timedelta(days=3)) == State.CPN_ISSUED
    seen.add(step(page, b, "close_no_recovery", today - timedelta(days=2), reason="Withdrawn"))
    page.screenshot(path="var/browser-walk.png", full_page=False)

    assert seen == set(tracks.states_of(Track.BENEFICIARY)), set(tracks.states_of(Track.BENEFICIARY)) - seen
    assert RecoveryCase.objects.get(pk=b.pk).events.filter(actor=boss).count() == 6
