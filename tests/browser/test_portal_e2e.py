"""An attorney sends settlement details with a PDF on the portal; a caseworker records the settlement
and issues the demand in the admin; the attorney then sees the demand letter and the balance."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from recovery.models import RecoveryCase, Settlement, UploadedDocument
from recovery.cases.tracks import State
from tests import factories as f
from tests.browser.people import case_awaiting_settlement, portal_login

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOT = Path(django_settings.BASE_DIR) / "var" / "portal.png"


def today():
    return timezone.localdate()


def admin_step(page, action, on):
    page.click(f'#case-actions a[data-action="{action}"]')
    page.fill("#id_on", on.isoformat())
    page.click("input[name=_submit]")
    page.wait_for_selector(".messagelist .success")


def test_settlement_from_the_portal_to_the_demand_and_back(page, live_server, tmp_path):
    worker = f.caseworker("worker")
    case, attorney, document = case_awaiting_settlement(worker, tmp_path)

    # 1. The attorney sends the settlement details with the agreement.
    portal_login(page, live_server, "attorney", "attorney-pw-2026")
    page.click(f"text={case.number}")
    page.click('a[data-form="settlement"]')
    settled = today() - timedelta(days=2)
    page.fill("#id_settlement_date", settled.isoformat())
    page.fill("#id_gross_amount", "30000.00")
    page.fill("#id_attorney_fees", "10000.00")
    page.fill("#id_other_costs", "0.00")
    page.set_input_files("#id_documents", str(document))
    page.click("main button[type=submit]")
    page.wait_for_selector(".message--success")
    assert "Settlement details sent" in page.inner_text(".messages")
    assert "$30,000.00" in page.inner_text("#settlement")
    assert "settlement-agreement.pdf" in page.content()
    settlement = Settlement.objects.get(case=case)
    assert settlement.settlement_date == settled and settlement.received_on == today()
    assert UploadedDocument.objects.get(case=case).purpose == "settlement"

    # 2. The caseworker sees it on the case page, records it as reported and issues the demand.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "worker")
    page.fill("#id_password", "pw-test-123")
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    page.goto(f"{live_server.url}/admin/recovery/recoverycase/{case.pk}/change/")
    assert page.input_value("#id_settlement-0-gross_amount") == "30000.00"
    assert page.input_value("#id_settlement-0-attorney_fees") == "10000.00"
    admin_step(page, "report_settlement", today())
    admin_step(page, "issue_demand", today())
    case = RecoveryCase.objects.get(pk=case.pk)
    assert case.state == State.DEMAND_ISSUED and case.demand_amount == Decimal("1333.33")

    # 3. The attorney sees the demand letter and the balance.
    page.context.clear_cookies()
    portal_login(page, live_server, "attorney", "attorney-pw-2026")
    row = page.locator(".cases-table tr", has_text=case.number)
    assert "$1,333.33" in row.inner_text() and "Demand issued" in row.inner_text()
    page.click(f"text={case.number}")
    assert page.inner_text("#balance") == "$1,333.33"
    demand_row = page.locator('#letters tr[data-kind="demand"]')
    assert "Demand letter" in demand_row.inner_text() and "$1,333.33" in demand_row.inner_text()
    with page.expect_download() as download:
        demand_row.locator("a").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
