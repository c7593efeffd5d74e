"""The case's future (issue 12, item 4): worked dates per track (SPEC §3.1-§3.3), the page and the API, and
the property that the predicted steps are exactly the steps the sweep then takes."""

from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from recovery.letters import outbox
from recovery.cases import services
from recovery.clocks import sweeps
from recovery.audit_models import AuditEvent
from recovery.money.policy import clock_table
from recovery.timeline.predict import case_timeline, predict
from recovery.cases.tracks import State as S
from recovery.cases.tracks import Track
from tests.recovery.test_sweeps import STARTS, STUB_PDF, at_demand, at_notice, build_history

pytestmark = pytest.mark.django_db
B, P, G = Track.BENEFICIARY, Track.PLAN, Track.GHP


@pytest.fixture(autouse=True)
def _print_queue(tmp_path, settings, monkeypatch):
    settings.PRINT_QUEUE_DIR = str(tmp_path / "print-queue")
    monkeypatch.setattr(outbox, "render_letter_pdf", lambda letter: STUB_PDF)


def steps(case, on):
    return [(p.action, p.on) for p in case_timeline(case, today=on)]


def test_beneficiary_cpn_unanswered_demand_itr_treasury():
    w = at_notice(B, date(2023, 9, 1))
    assert steps(w.case, date(2023, 9, 1)) == [
        ("issue_demand", date(2023, 10, 2)),       # day 31 after the CPN
        ("issue_itr", date(2023, 12, 31)),         # demand + 90
        ("refer_to_treasury", date(2024, 3, 1)),   # ITR + 61
    ]
    first, second, _ = case_timeline(w.case, today=date(2023, 9, 1))
    assert first.stops[0] == "the debtor answers or disputes the CPN by 2023-10-01"
    assert second.sentence == ("Intent to refer (ITR) on 2023-12-31 unless paid in full, an appeal is filed, "
                               "a waiver is requested or the case is put on hold")


def test_plan_referral_notice_then_treasury_on_day_121():
    w = at_demand(P, date(2023, 10, 2))
    assert steps(w.case, date(2023, 10, 2)) == [("issue_referral_notice", date(2023, 12, 2)),  # day 61
                                                 ("refer_to_treasury", date(2024, 1, 31))]     # day 121
    assert "a challenge is filed" not in case_timeline(w.case, today=date(2023, 10, 2))[0].stops


def test_ghp_payment_notice_day_46_then_itr_day_120():
    w = at_notice(G, date(2023, 9, 1))
    assert steps(w.case, date(2023, 9, 1)) == [
        ("issue_demand", date(2023, 10, 17)),      # day 46
        ("issue_itr", date(2024, 2, 14)),          # demand + 120
        ("refer_to_treasury", date(2024, 4, 15)),  # ITR + 61
    ]


def test_overdue_steps_are_dated_no_earlier_than_the_last_step():
    w = at_demand(B, date(2023, 10, 2))
    table = clock_table()
    # The last step recorded on 2024-01-10 (after the ITR's rule day 2023-12-31): the ITR takes that day.
    got = predict(w.case, table=table, today=date(2024, 1, 15), last_step=date(2024, 1, 10))
    assert [(p.action, p.on, p.overdue) for p in got] == [("issue_itr", date(2024, 1, 10), True),
                                                         ("refer_to_treasury", date(2024, 3, 11), False)]


def test_a_review_a_hold_or_a_closed_case_has_nothing_ahead():
    w = at_demand(B, date(2023, 10, 2))
    w.act("file_appeal", on=date(2023, 10, 5), reason="Appeal")
    assert steps(w.case, date(2023, 10, 5)) == []


def test_contractor_deadline_cpl_due_65_days_after_rar():
    from tests.recovery.test_tracks_beneficiary import Walk

    w = Walk(B)
    w.act("post_occurrence", on=date(2023, 8, 2))
    w.act("issue_rar", on=date(2023, 8, 3))
    (p,) = case_timeline(w.case, today=date(2023, 8, 3))
    assert (p.action, p.on, p.automatic, p.label) == (None, date(2023, 10, 7), False, "Conditional payment letter due")


def test_admin_portal_and_api_show_it_with_access_checks():
    w = at_demand(B, date(2023, 10, 2))
    c = Client()
    c.force_login(w.worker)
    page = c.get(reverse("admin:recovery_recoverycase_change", args=[w.case.pk]))
    assert b'data-action="issue_itr" data-on="2023-12-31"' in page.content
    api = c.get(reverse("api:case-timeline", args=[w.case.pk]))
    assert api.status_code == 200
    assert [(r["action"], r["on"]) for r in api.json()] == [("issue_itr", "2023-12-31"),
                                                            ("refer_to_treasury", "2024-03-01")]
    assert AuditEvent.objects.filter(detail="timeline", object_id=str(w.case.pk), channel="api").exists()
    from django.contrib.auth.models import User

    stranger = User.objects.create_user("stranger", password="pw-test-123")
    c2 = Client()
    c2.force_login(stranger)
    assert c2.get(reverse("api:case-timeline", args=[w.case.pk])).status_code == 404
    assert c2.get(reverse("portal:case", args=[w.case.pk])).status_code == 404


def test_the_schema_lists_the_timeline():
    from django.contrib.auth.models import User

    c = Client()
    c.force_login(User.objects.create_superuser("root", password="pw-test-123"))
    schema = c.get(reverse("api:schema") + "?format=json").json()
    assert "get" in schema["paths"]["/api/cases/{id}/timeline/"]


# --- the property: what the timeline predicts is exactly what the sweeps then do -----------------------------

PROPERTY = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _noon(d):
    return datetime(d.year, d.month, d.day, 12, tzinfo=dt_timezone.utc)


@pytest.mark.parametrize("track", [B, P, G])
@PROPERTY
@given(data=st.data())
def test_property_predicted_steps_are_the_steps_the_sweeps_take(track, data):
    start = data.draw(st.sampled_from(STARTS[track]))
    gaps = data.draw(st.lists(st.integers(0, 40), min_size=3, max_size=3))
    waits = data.draw(st.lists(st.integers(0, 200), min_size=1, max_size=3))
    event(f"{track} from {start}")
    with transaction.atomic():
        w = build_history(track, start, gaps)
        now = w.on
        with time_machine.travel(_noon(now), tick=False):
            predicted = [(p.action, p.on) for p in case_timeline(w.case, today=services.today()) if p.automatic]
        done = []
        for wait in waits:  # sweeps on a few random later days, each as of its own day
            now += timedelta(days=wait)
            with time_machine.travel(_noon(now), tick=False):
                for r in sweeps.sweep(as_of=services.today(), ids=[w.case.pk]):
                    done += r.steps
        assert done == [s for s in predicted if s[1] <= now]
        transaction.set_rollback(True)
