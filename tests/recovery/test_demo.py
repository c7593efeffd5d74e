from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from recovery.cases import tracks
from recovery.models import RecoveryCase
from tests import factories as f

pytestmark = pytest.mark.django_db


def _row_counts():
    return {m._meta.label: m.objects.count() for m in apps.get_models()
            if m._meta.app_label in {"beneficiaries", "payers", "recovery", "auth"}}


def test_demo_data_covers_every_state_of_every_track_and_loading_twice_changes_nothing():
    call_command("load_demo")
    first = _row_counts()
    call_command("load_demo")
    assert _row_counts() == first
    seen = set(RecoveryCase.objects.values_list("track", "state"))
    for track in tracks.Track.values:
        missing = set(tracks.states_of(track)) - {s for t, s in seen if t == track}
        assert not missing, (track, missing)
    assert 30 <= RecoveryCase.objects.count() <= 60


@pytest.mark.parametrize("day", [date(2025, 1, 31), date(2028, 2, 29)], ids=["2025-01-31", "leap-day-2028"])
def test_the_demo_gives_the_worklist_clocks_something_in_every_bucket_on_the_day_it_is_loaded(day):
    # The demo is dated relative to the day it is loaded (issue 8): whenever a newcomer first opens the
    # worklist (anyone's) it shows cases overdue, due today and due this week.
    with time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(settings.TIME_ZONE)),
                             tick=False):
        call_command("load_demo")
        assert timezone.localdate() == day
        from recovery.worklist import selectors as worklist

        scope = worklist.Scope(user=f.supervisor(), who="all", today=timezone.localdate())
        titles = {"overdue": "Overdue", "today": "Due today", "week": "Due in the next 7 days"}
        sections = {titles[key]: list(qs) for key, qs in worklist.clock_buckets(scope).items() if key in titles}
        for case in worklist.disputes(scope):  # a dispute's decision date is its own bucket on the worklist
            day_of = "Overdue" if case.next_due_date < day else "Due today" if case.next_due_date == day else \
                "Due in the next 7 days" if (case.next_due_date - day).days <= 7 else None
            if day_of:
                sections[day_of].append(case)
    assert set(sections) == {"Overdue", "Due today", "Due in the next 7 days"}
    for bucket, cases in sections.items():
        assert cases, f"nothing {bucket.lower()} on {day}"
    overdue_dates = {c.next_due_date for c in sections["Overdue"]}
    assert max(overdue_dates) < day
    assert {c.next_due_date for c in sections["Due today"]} == {day}
