"""A fresh demo shows the caseworker's worklist with several buckets filled (issue 12, "Done when")."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from recovery.models import Submission
from recovery.worklist import selectors

pytestmark = pytest.mark.django_db


def test_demo_fills_the_worklist_with_a_portal_submission_and_more():
    day = date(2025, 1, 31)
    with time_machine.travel(datetime(2025, 1, 31, 12, tzinfo=ZoneInfo(settings.TIME_ZONE)), tick=False):
        call_command("load_demo")
        assert timezone.localdate() == day
        me = User.objects.get(username="caseworker")
        anyone = selectors.bucket_counts(selectors.Scope(user=me, who="all", today=day))
        mine = selectors.bucket_counts(selectors.Scope(user=me, who="mine", today=day))
    (sub,) = Submission.objects.all()
    assert sub.action == "submit_settlement" and sub.submitted_by.username == "attorney"
    assert anyone["submissions"] == 1 and anyone["authorisations"] == 1
    assert anyone["overdue"] >= 1 and anyone["week"] >= 1 and anyone["disputes"] >= 2
    assert sum(1 for n in mine.values() if n) >= 3
