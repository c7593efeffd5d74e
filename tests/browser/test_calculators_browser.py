"""A caseworker logs in, fills the demand estimate form in a real browser and reads every step."""

import re
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOT = Path(django_settings.BASE_DIR) / "var" / "calculator.png"


@pytest.fixture
def policy_seeds():
    """The policy rows the migrations seed (thresholds, option terms). A transactional test empties every
    table when it ends, seeds included, so a later one puts them back (the seed is get_or_create)."""
    from django.apps import apps

    import_module("recovery.migrations.0002_seed_policy").seed(apps, None)


@pytest.fixture
def site_css(settings):
    """Serve static/css/site.css (config.settings gains STATICFILES_DIRS = [BASE_DIR / "static"])."""
    static = Path(settings.BASE_DIR) / "static"
    if static not in [Path(p) for p in getattr(settings, "STATICFILES_DIRS", [])]:
        settings.STATICFILES_DIRS = [*getattr(settings, "STATICFILES_DIRS", []), static]


def test_a_caseworker_fills_the_demand_estimate_and_sees_every_step(page, live_server, policy_seeds, site_css):
    f.user("casey")
    # Not logged in: the calculator sends the user to the login page and back.
    page.goto(f"{live_server.url}/calculators/demand-estimate/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "casey")
    page.fill("#id_password", "pw-test-123")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/calculators/demand-estimate/$"))
    assert page.locator("h1").inner_text() == "Demand estimate"
    assert "Signed in as casey" in page.locator(".site-user").inner_text()

    # The §411.37(c) example: settlement $30,000, costs $10,000, payments $1,200; self-calculated dates too.
    page.fill("#id_settlement_date", "2023-06-01")
    page.fill("#id_gross_settlement", "30,000.00")
    page.fill("#id_attorney_fees", "9000")
    page.fill("#id_other_costs", "1000")
    page.fill("#id_conditional_payments", "1200")
    page.get_by_label("Liability (incl. self-insured)").check()
    page.locator("#id_physical_trauma_0").check()  # yes
    page.locator("#id_other_settlement_expected_1").check()  # no
    page.fill("#id_injury_date", "2022-03-15")
    page.fill("#id_election_date", "2022-10-01")
    page.fill("#id_care_completed_date", "2022-11-01")
    page.fill("#id_submission_date", "2023-01-15")
    page.get_by_role("button", name="Estimate").click()

    result = page.locator("#result")
    result.wait_for()
    assert "#result" in page.url and "gross_settlement=30%2C000.00" in page.url  # a GET form: bookmarkable
    headline = page.get_by_test_id("headline").inner_text()
    assert "Medicare would recover $800.00" in headline
    steps = result.locator("#part-recovery ~ ol.steps li").all_inner_texts()
    assert steps == [
        "Procurement costs: attorney fees $9,000.00 + other procurement costs $1,000.00 = $10,000.00.",
        "Medicare payments ($1,200.00) are less than the settlement ($30,000.00): 42 CFR 411.37(c) applies.",
        "Ratio of procurement costs to the settlement: $10,000.00 ÷ $30,000.00 ≈ 0.333333.",
        "Medicare's share of the procurement costs: $10,000.00 × $1,200.00 ÷ $30,000.00 = $400.00 "
        "(rounded half up to the cent).",
        "Recovery: $1,200.00 − $400.00 = $800.00.",
    ]
    body = result.inner_text()
    assert "Settlement $30,000.00 is above the recovery threshold $750.00." in body
    assert "The gross settlement $30,000.00 is above the $5,000.00 cap for this option." in body
    assert "The expected settlement $30,000.00 is above the $25,000.00 limit." in body
    # The inputs stay in the form for the next try.
    assert page.input_value("#id_gross_settlement") == "30,000.00"
    assert page.input_value("#id_settlement_date") == "2023-06-01"
    # The site stylesheet is served and applied (header colour from static/css/site.css).
    assert page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(18, 64, 107)"

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Bad input: the error summary names the field and no result is shown.
    page.fill("#id_other_costs", "21000.01")
    page.get_by_role("button", name="Estimate").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert "Attorney fees plus other procurement costs ($30,000.01) exceed the settlement ($30,000.00)." \
        in summary.inner_text()
    assert page.locator("#result.result").count() == 0
    page.screenshot(path=str(SCREENSHOT.with_name("calculator-error.png")), full_page=True)
