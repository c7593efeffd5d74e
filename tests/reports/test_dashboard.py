"""The supervisor dashboard (issue 12, item 2): every chart's numbers, worked, against cases built through
the services and a real sweep; the page (SVG without script or inline style), CSV, and who may see it."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from recovery.letters import outbox
from recovery.cases import services
from recovery.clocks import sweeps
from recovery.audit_models import AuditEvent
from recovery.models import Debt, LetterDelivery, RecoveryCase
from recovery.reports import selectors
from recovery.cases.tracks import State as S
from tests import factories
from tests.recovery.test_sweeps import STUB_PDF, at_demand, at_notice

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _print_queue(tmp_path, settings, monkeypatch):
    settings.PRINT_QUEUE_DIR = str(tmp_path / "print-queue")
    monkeypatch.setattr(outbox, "render_letter_pdf", lambda letter: STUB_PDF)


def ago(n):
    return services.today() - timedelta(days=n)


@pytest.fixture
def world():
    """Demands 10, 75, 120 (plan) and 200 days ago (swept today: ITR on day 90, Treasury on day 151); a GHP
    payment notice 3 days ago; $250.00 paid on the newest debt 2 days ago. Ann works the first two, Bob the rest."""
    from types import SimpleNamespace

    w = SimpleNamespace()
    w.a, w.b = at_demand("beneficiary", ago(10)), at_demand("beneficiary", ago(75))
    w.c, w.d = at_demand("plan", ago(120)), at_demand("beneficiary", ago(200))
    w.e = at_notice("ghp", ago(3))
    w.a.pay(D("250.00"), on=ago(2))
    w.sweep = sweeps.sweep(as_of=services.today(), ids=[w.d.case.pk])
    w.ann, w.bob = factories.caseworker("ann"), factories.caseworker("bob")
    RecoveryCase.objects.filter(pk__in=[w.a.case.pk, w.b.case.pk]).update(caseworker=w.ann)
    RecoveryCase.objects.filter(pk__in=[w.c.case.pk, w.d.case.pk, w.e.case.pk]).update(caseworker=w.bob)
    return w


def test_open_cases_by_track_and_state(world):
    rows = dict(selectors.open_by_track_and_state().rows)
    assert rows == {
        "Beneficiary NGHP recovery (BCRC) — Demand issued": 2,
        "Beneficiary NGHP recovery (BCRC) — Referred to Treasury": 1,
        "NGHP recovery from the applicable plan (CRC, ORM) — Demand issued": 1,
        "GHP mistaken primary payment recovery (CRC) — Payment notice issued": 1,
    }


def test_aging_of_open_debts_one_in_each_span(world):
    assert selectors.debt_aging(today=services.today()).rows == [
        ["0–60 days", 1], ["61–90 days", 1], ["91–150 days", 1], ["over 150 days", 1]]


def test_aging_edges_60_61_150_151():
    for n in (60, 61, 150, 151):
        at_demand("beneficiary", ago(n))
    rows = selectors.debt_aging(today=services.today()).rows
    assert rows == [["0–60 days", 1], ["61–90 days", 1], ["91–150 days", 1], ["over 150 days", 1]]


def test_money_per_month(world):
    table = selectors.money_by_month(today=services.today())
    by_month = {r[0]: r[1:] for r in table.rows}
    assert len(table.rows) == 12 and table.rows[-1][0] == f"{services.today():%Y-%m}"
    demanded = {}
    for debt in Debt.objects.all():
        key = f"{debt.demand_date:%Y-%m}"
        if key in by_month:
            demanded[key] = demanded.get(key, D("0.00")) + debt.principal
    assert {k: v[0] for k, v in by_month.items() if v[0]} == demanded
    assert by_month[f"{ago(2):%Y-%m}"][1] == D("250.00")
    assert sum(v[1] for v in by_month.values()) == D("250.00")
    d = RecoveryCase.objects.get(pk=world.d.case.pk)
    assert d.state == S.REFERRED_TO_TREASURY and d.referral_date == ago(200) + timedelta(days=151)
    assert by_month[f"{d.referral_date:%Y-%m}"][2] == d.debt.principal
    assert sum(v[2] for v in by_month.values()) == d.debt.principal


def test_work_per_caseworker(world):
    # Bob's plan case: referral notice due on day 61 after a demand 120 days ago -> overdue.
    table = selectors.work_per_caseworker(today=services.today())
    assert table.rows == [["ann", 2, 0], ["bob", 3, 1]]
    assert table.page_rows == table.rows and not table.note  # few caseworkers: the page shows them all


def test_past_the_shown_caseworkers_the_page_shows_the_most_overdue_and_the_csv_every_one(world, monkeypatch):
    """Issue 10: the caseworkers grow with the book; the page keeps to the ones with the most overdue cases."""
    monkeypatch.setattr(selectors, "CASEWORKERS_SHOWN", 1)
    table = selectors.work_per_caseworker(today=services.today())
    assert table.page_rows == [["bob", 3, 1]] and table.rows == [["ann", 2, 0], ["bob", 3, 1]]
    c = Client()
    c.force_login(factories.supervisor("boss"))
    html = c.get(reverse("admin:dashboard")).content.decode()
    section = html.split('id="chart-caseworkers"')[1].split("</section>")[0]
    assert "The 1 caseworkers with the most overdue cases, of 2" in section
    assert "<td>bob</td>" in section and "ann" not in section  # neither in the table nor in the chart
    rows = list(csv.reader(io.StringIO(c.get(reverse("admin:dashboard") + "?csv=caseworkers").content.decode())))
    assert rows == [["Caseworker", "Open", "Overdue"], ["ann", "2", "0"], ["bob", "3", "1"]]


def test_last_sweeps_and_outbox_backlog(world):
    (row,) = selectors.last_sweeps().rows
    assert row[1:5] == [f"{services.today():%Y-%m-%d}", 1, 2, 0]  # one case, ITR + Treasury referral, no failure
    pending = LetterDelivery.objects.filter(status="pending").count()
    assert pending > 0
    LetterDelivery.objects.filter(pk=LetterDelivery.objects.first().pk).update(status="failed")
    rows = selectors.outbox_backlog().rows
    assert [r[:2] for r in rows] == [["Waiting to be sent", pending - 1], ["Failed", 1]]


def test_page_svg_table_csv_and_access(world):
    boss = factories.supervisor("boss")
    c = Client()
    c.force_login(boss)
    page = c.get(reverse("admin:dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    for key in ("open", "aging", "money", "caseworkers", "sweeps", "outbox"):
        assert f'data-chart="{key}"' in html
    main = html.split('id="content-main"')[1].split("<!-- END Content -->")[0]
    assert main.count("<svg") == 4 and main.count('role="img"') == 4 and "<script" not in main
    assert ' style="' not in main  # the charts use classes only (CSP)
    assert "$250.00" in html
    # the book-wide tables are cached (selectors.book_tables): the page says how old they may be
    assert f"may be up to {selectors.DASHBOARD_CACHE_SECONDS // 60} minutes old" in html
    assert AuditEvent.objects.filter(object_type="recovery.Dashboard", action="view", username="boss").exists()
    response = c.get(reverse("admin:dashboard") + "?csv=aging")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["Days since demand", "Debts"], ["0–60 days", "1"], ["61–90 days", "1"], ["91–150 days", "1"],
                    ["over 150 days", "1"]]
    worker = Client()
    worker.force_login(world.ann)
    assert worker.get(reverse("admin:dashboard")).status_code == 403
    outsider = Client()
    outsider.force_login(User.objects.create_user("x", password="pw-test-123"))
    assert outsider.get(reverse("admin:dashboard")).status_code == 302  # to the admin login


def test_the_book_wide_tables_are_counted_once_until_something_changes(world, django_assert_num_queries):
    """Issue 10: at a million cases the aggregates cost seconds; they are kept until a watched table
    gains a row (here: a new case, a step) — one query of primary-key probes tells."""
    today = services.today()
    first = selectors.book_tables(today=today)
    with django_assert_num_queries(1):  # the version probe only
        assert selectors.book_tables(today=today) == first
    factories.case()  # a new case: the open-cases table moves at once
    again = selectors.book_tables(today=today)
    assert sum(r[1] for r in again[0].rows) == sum(r[1] for r in first[0].rows) + 1
    services.case_act(case=world.e.case, action="put_on_hold", actor=factories.supervisor("held"), on=today,
                      reason="Waiting for the plan")
    held = dict(selectors.book_tables(today=today)[0].rows)
    assert any(label.endswith("On hold") for label in held)


def test_a_chart_is_drawn_once_for_the_same_rows_and_afresh_for_new_ones():
    from recovery.reports import admin as dashboard_admin, svg

    table = selectors.Table("caseworkers", "Work per caseworker", ["Caseworker", "Open", "Overdue"],
                            [["ann", 3, 1], ["bob", 2, 0]])
    first = dashboard_admin.chart(table)
    assert first == svg.bars(table.rows, series=["Open", "Overdue"], title="Work per caseworker")
    assert dashboard_admin.chart(table) is first  # the same rows: not drawn again
    moved = selectors.Table(table.key, table.title, table.columns, [["ann", 4, 1], ["bob", 2, 0]])
    assert dashboard_admin.chart(moved) == svg.bars(moved.rows, series=["Open", "Overdue"], title=table.title)
    assert dashboard_admin.chart(moved) != first
