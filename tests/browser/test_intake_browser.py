"""The intake in the admin, in a real browser: upload the two files, read the preview (counts and the
bad row), confirm, see the progress bar and the result (issue 13)."""

import pytest

from recovery.models import Claim, RecoveryCase
from tests import factories as f
from tests.intake.test_import import CASE_HEADER, CLAIM_HEADER, _case_row, _claim_row, _csv

from .people import admin_login as login

pytestmark = pytest.mark.django_db(transaction=True)


def test_upload_preview_confirm_progress_result(page, live_server, tmp_path):
    f.caseworker("intaker")
    f.payer(name="Acme Casualty")
    b1, b2 = f.beneficiary(), f.beneficiary()
    cases = tmp_path / "cases.csv"
    claims = tmp_path / "claims.csv"
    cases.write_text(_csv(CASE_HEADER, [_case_row(b1), _case_row(b2, payer="Nobody Mutual")]))
    claims.write_text(_csv(CLAIM_HEADER, [_claim_row(b1, "A1"), _claim_row(b1, "A2")]))

    login(page, live_server, "intaker")
    page.goto(f"{live_server.url}/admin/recovery/intakebatch/add/")
    page.set_input_files("#id_cases_file", str(cases))
    page.set_input_files("#id_claims_file", str(claims))
    page.click("input[name=_preview]")
    page.wait_for_selector("#intake-counts")
    assert page.inner_text("#count-created") == "1" and page.inner_text("#count-rejected") == "1"
    assert "Unknown payer 'Nobody Mutual'" in page.inner_text("#intake-errors")
    assert RecoveryCase.objects.count() == 0

    page.click("#intake-confirm input[type=submit]")
    page.wait_for_selector("#intake-progress")
    assert page.inner_text("#batch-status") == "Imported"
    assert page.inner_text("#intake-percent") == "100%"
    assert "What the import did" in page.content() and page.inner_text("#count-created") == "1"
    assert RecoveryCase.objects.count() == 1 and Claim.objects.count() == 2
