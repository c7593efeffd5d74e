"""Issue 12 in a real browser: a caseworker's day (an attorney's portal submission on the worklist, opened,
the demand issued after reading its preview, the submission reviewed and gone from the list) and a
supervisor's dashboard (every chart drawn, its numbers those of the database)."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from recovery.cases import services
from recovery.cases.tracks import State
from recovery.models import Debt, RecoveryCase, Submission
from recovery.reports import selectors as reports
from recovery.templatetags.caseday import money
from tests import factories as f
from tests.browser.people import admin_login, case_awaiting_settlement, portal_login

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(django_settings.BASE_DIR) / "var"


def today():
    return services.today()


def parse_money(text: str) -> Decimal:
    return Decimal(text.strip().replace("$", "").replace(",", ""))


def test_a_caseworkers_day_from_the_portal_submission_to_the_demand(browser, live_server, tmp_path):
    worker = f.caseworker("worker")
    case, attorney, document = case_awaiting_settlement(worker, tmp_path)
    # The browser is nine hours from the server (America/New_York): a date field must not say so.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        # 1. The attorney sends the settlement details on the portal.
        portal_login(page, live_server, "attorney", "attorney-pw-2026")
        page.click(f"text={case.number}")
        page.click('a[data-form="settlement"]')
        page.fill("#id_settlement_date", (today() - timedelta(days=2)).isoformat())
        page.fill("#id_gross_amount", "$30,000.00")  # typed with $ and commas
        page.fill("#id_attorney_fees", "10,000")
        page.fill("#id_other_costs", "0")
        page.set_input_files("#id_documents", str(document))
        page.click("main button[type=submit]")
        page.wait_for_selector(".message--success")

        # 2. The caseworker's first page: the submission is waiting, in the navigation and the bucket.
        page.context.clear_cookies()
        admin_login(page, live_server, "worker")
        page.goto(f"{live_server.url}/admin/worklist/")
        bucket = page.locator("#bucket-submissions")
        assert bucket.get_attribute("data-count") == "1"
        row = bucket.locator("tr", has_text=case.number)
        assert "Settlement details" in row.inner_text()
        assert page.locator('.worklist-nav a[data-bucket="submissions"] .count').inner_text() == "1"

        # 3. It is opened: what was sent, the attorney's document, the way to the case.
        row.locator("a.button").click()
        page.wait_for_selector("#review-form")
        assert "settlement-agreement.pdf" in page.content()
        page.click("text=Open the case")
        page.wait_for_selector("#case-actions")
        # The case page explains itself: the settlement can be recorded; the demand is greyed with why.
        assert page.locator('#case-actions a[data-action="report_settlement"]').count() == 1
        greyed = page.locator('#case-actions li[data-step="issue_demand"]')
        assert "'Settlement reported'; the case is 'Conditional payment letter issued'" in greyed.inner_text()
        assert page.locator("#case-documents", has_text="settlement-agreement.pdf").count() == 1
        # Dates without the time-zone note; the claims table inside the page.
        assert page.locator(".vDateField").count() > 0
        assert all(not w.is_visible() for w in page.locator(".timezonewarning").all())
        claims = page.locator("#claims-group table").bounding_box()
        assert claims["x"] >= 0 and claims["x"] + claims["width"] <= page.viewport_size["width"]
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        page.screenshot(path=str(SHOTS / "case-page.png"), full_page=True)

        page.click('#case-actions a[data-action="report_settlement"]')
        page.click("input[name=_submit]")
        page.wait_for_selector(".messagelist .success")
        assert f"on case {case.number}: done" in page.inner_text(".messagelist")

        # 4. Issue demand: the preview first — the whole computation — then the commit.
        page.click('#case-actions a[data-action="issue_demand"]')
        preview = page.locator("#demand-preview")
        assert preview.locator("#preview-payments").inner_text() == "$2,000.00"
        assert preview.locator("#preview-settlement").inner_text() == "$30,000.00"
        assert preview.locator("#preview-costs").inner_text() == "$10,000.00"
        assert preview.locator("#preview-threshold").inner_text() == "$750.00"
        assert "11.50%" in preview.locator("#preview-rate").inner_text()
        assert "411.37(c)" in preview.locator("#preview-rule").inner_text()
        shown = parse_money(preview.locator("#preview-amount").inner_text())
        assert Debt.objects.filter(case=case).count() == 0  # reading the preview issues nothing
        page.screenshot(path=str(SHOTS / "demand-preview.png"), full_page=True)
        page.click("input[name=_submit]")
        page.wait_for_selector(".messagelist .success")
        debt = Debt.objects.get(case=case)
        assert debt.principal == shown == Decimal("1333.33")
        assert RecoveryCase.objects.get(pk=case.pk).state == State.DEMAND_ISSUED
        history = page.locator("#events-group").inner_text()
        assert "Demand issued" in history and "Settlement details sent" in history and "issue_demand" not in history
        assert "$1,333.33" in page.locator(".field-demand_amount_money").inner_text()

        # 5. Still on the list until reviewed (an explicit step); reviewed, it leaves the list.
        page.goto(f"{live_server.url}/admin/worklist/")
        assert page.locator("#bucket-submissions").get_attribute("data-count") == "1"
        page.locator("#bucket-submissions tr", has_text=case.number).locator("a.button").click()
        page.fill("#id_note", "Settlement papers read; demand issued.")
        page.click("#review-form input[type=submit]")
        page.wait_for_selector(".messagelist .success")
        assert page.url.endswith("/admin/worklist/")
        assert page.locator("#bucket-submissions").get_attribute("data-count") == "0"
        assert page.locator("#bucket-submissions tr", has_text=case.number).count() == 0
        assert Submission.objects.get(case=case).reviewed_by == worker
    finally:
        context.close()


def test_a_supervisor_opens_the_dashboard_and_every_chart_renders_with_the_databases_numbers(page, live_server):
    from tests.recovery.test_sweeps import at_demand, at_notice

    a, b = at_demand("beneficiary", today() - timedelta(days=10)), at_demand("beneficiary", today() - timedelta(days=75))
    at_demand("plan", today() - timedelta(days=120))
    at_notice("ghp", today() - timedelta(days=3))
    a.pay(Decimal("250.00"), on=today() - timedelta(days=2))
    boss = f.supervisor("boss")
    RecoveryCase.objects.filter(pk__in=[a.case.pk, b.case.pk]).update(caseworker=boss)
    admin_login(page, live_server, "boss")
    page.click(".worklist-nav >> text=Dashboard")
    page.wait_for_selector(".dashboard-chart")
    expected = {t.key: t for t in reports.dashboard(today=today())}
    for key in ["open", "aging", "money", "caseworkers"]:
        chart = page.locator(f"#chart-{key}")
        svg = chart.locator("svg")
        assert svg.count() == 1, key
        box = svg.bounding_box()
        assert box["width"] > 100 and box["height"] > 10, key
        bars = chart.locator("svg rect[data-value]")
        drawn = [float(bars.nth(i).get_attribute("width")) for i in range(bars.count())]
        assert any(w > 0 for w in drawn), key  # at least one bar drawn to scale
        # Every row label is inside the drawing (none cut off at the left edge).
        assert svg.evaluate("s => [...s.querySelectorAll('text')].every(t => t.getBBox().x >= 0)"), key
        shot = chart.screenshot()
        assert len(shot) > 2000, key  # a real picture, not an empty box
        # The table beside the chart: exactly the database's numbers, money as $12,345.67.
        table = expected[key]
        rows = chart.locator("table tbody tr")
        assert rows.count() == len(table.page_rows), key
        for i, row in enumerate(table.page_rows):
            cells = [c.strip() for c in rows.nth(i).locator("td").all_inner_texts()]
            want = [str(row[0])] + [money(v) if isinstance(v, Decimal) else str(v) for v in row[1:]]
            assert cells == want, (key, cells, want)
    # Worked figures for three of them: the debts 10 and 75 days old, the plan debt 120 days old.
    aging = dict((r[0], r[1]) for r in expected["aging"].rows)
    assert aging == {"0–60 days": 1, "61–90 days": 1, "91–150 days": 1, "over 150 days": 0}
    recovered = sum(r[2] for r in expected["money"].rows)
    assert recovered == Decimal("250.00")
    assert f"{money(recovered)}" in page.locator("#chart-money table").inner_text()
    assert next(r for r in expected["caseworkers"].rows if r[0] == "boss")[1] == 2
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)
