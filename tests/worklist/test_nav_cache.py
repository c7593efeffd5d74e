"""The worklist counts in the admin navigation (issue 12 item 1) are counted at most once a minute per user
(issue 10: nine COUNTs on every admin page were a third of the cheapest page). Frozen clock (time-machine):
an entry lives NAV_CACHE_SECONDS, the worklist page counts afresh, and a change made through the admin
drops the user's entry."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recovery.cases import services
from recovery.models import RecoveryCase
from recovery.worklist import selectors
from tests import factories

pytestmark = pytest.mark.django_db
FLOOR = reverse("admin:recovery_clocklength_changelist")


def overdue_case(worker):
    case = factories.case(actor=worker, caseworker=worker)
    RecoveryCase.objects.filter(pk=case.pk).update(next_due_date=services.today() - timedelta(days=2),
                                                   next_due_reason="CPL due")
    return case


def total(response) -> str:
    html = response.content.decode()
    start = html.index("My worklist (") + len("My worklist (")
    return html[start:html.index(")", start)]


@pytest.fixture
def me():
    user = factories.caseworker("navme")
    overdue_case(user)
    return user


@pytest.fixture
def clock():
    """The clock stands still unless a test moves it."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def c(me, clock):
    """My admin session, signed in on the frozen clock."""
    client = Client()
    client.force_login(me)
    return client


def test_the_counts_are_kept_a_minute_then_counted_again(me, c, clock):
    assert total(c.get(FLOOR)) == "1"
    overdue_case(me)  # made elsewhere (the sweep, another worker): not through my admin session
    clock.shift(timedelta(seconds=selectors.NAV_CACHE_SECONDS - 1))
    assert total(c.get(FLOOR)) == "1"  # still the minute-old count
    clock.shift(timedelta(seconds=2))
    assert total(c.get(FLOOR)) == "2"


def test_a_cached_page_asks_no_count(me, c):
    c.get(FLOOR)
    with CaptureQueriesContext(connection) as q:
        c.get(FLOOR)
    assert not [s for s in q.captured_queries if "recovery_recoverycase" in s["sql"]]


def test_the_worklist_page_counts_afresh_and_stores_what_it_counted(me, c):
    assert total(c.get(FLOOR)) == "1"
    overdue_case(me)
    page = c.get(reverse("admin:worklist"))
    assert total(page) == "2" and 'data-bucket="overdue" data-count="2"' in page.content.decode()
    overdue_case(me)
    assert total(c.get(FLOOR)) == "2"  # what the worklist page counted, within the minute


def test_a_change_through_the_admin_drops_my_counts(me, c):
    assert total(c.get(FLOOR)) == "1"
    overdue_case(me)
    c.post(reverse("admin:recovery_clocklength_changelist"), {})  # any POST through the admin
    assert total(c.get(FLOOR)) == "2"


def test_the_day_and_a_new_sign_in_start_afresh(me, c, clock):
    first = selectors.nav_counts(me, services.today())
    RecoveryCase.objects.filter(caseworker=me).update(next_due_date=services.today())  # due today now
    assert selectors.nav_counts(me, services.today()) == first
    assert selectors.nav_counts(me, services.today() + timedelta(days=1))["overdue"] == 1  # a new day: counted
    clock.shift(timedelta(seconds=5))
    c.force_login(me)  # a new sign-in (last_login moves)
    me.refresh_from_db()
    assert selectors.nav_counts(me, services.today())["today"] == 1
    assert selectors.nav_counts(me, services.today())["overdue"] == 0
