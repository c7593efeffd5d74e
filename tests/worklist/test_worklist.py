"""The worklist (issue 12, item 1): each bucket with worked numbers, relative to today() (SPEC §3 clocks:
the CPL is due 65 days after the RAR; a dispute is decided within 45 days of receipt)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from beneficiaries.models import Authorisation
from recovery.cases import services
from recovery.audit_models import AuditEvent
from recovery.errors import CaseActionError
from recovery.models import LetterDelivery, Submission
from recovery.portal.services import settlement_submit
from recovery.cases.tracks import Track
from recovery.worklist import selectors
from recovery.worklist.services import submission_review
from tests import factories
from tests.portal.conftest import authorise, external_user

pytestmark = pytest.mark.django_db
K = Authorisation.Kind


def ago(n):
    return services.today() - timedelta(days=n)


def rar_case(worker, *, rar_days_ago, caseworker=True):
    """A case whose RAR is dated `rar_days_ago` days ago: its CPL falls due 65 days after the RAR."""
    case = factories.case(actor=worker, opened_on=ago(rar_days_ago + 2), caseworker=worker if caseworker else None)
    factories.claim(case, amount_paid=Decimal("1200.00"))
    services.case_act(case=case, action="post_occurrence", actor=worker, on=ago(rar_days_ago + 1), reason="t")
    case.refresh_from_db()
    services.case_act(case=case, action="issue_rar", actor=worker, on=ago(rar_days_ago), reason="t")
    case.refresh_from_db()
    return case


@pytest.fixture
def day():
    """Mine: CPL overdue by 1 day, due today, due in 3 days, due in 20 days; a dispute received 40 days ago
    (decision due in 5); someone else's overdue case; an unassigned case; a portal settlement; a pending POR
    and a pending letter of authority; a failed delivery of my RAR."""
    from types import SimpleNamespace

    w = SimpleNamespace()
    w.me, w.other = factories.caseworker("me"), factories.caseworker("other")
    w.overdue = rar_case(w.me, rar_days_ago=66)    # due ago(1)
    w.today = rar_case(w.me, rar_days_ago=65)      # due today
    w.week = rar_case(w.me, rar_days_ago=62)       # due in 3 days
    w.later = rar_case(w.me, rar_days_ago=45)      # due in 20 days
    w.theirs = rar_case(w.other, rar_days_ago=70)  # someone else's, overdue by 5
    w.nobody = rar_case(w.me, rar_days_ago=10, caseworker=False)  # due in 55 days, no caseworker
    w.dispute = rar_case(w.me, rar_days_ago=60)
    services.case_act(case=w.dispute, action="issue_cpl", actor=w.me, on=ago(50), reason="t")
    w.dispute.refresh_from_db()
    services.case_act(case=w.dispute, action="open_dispute", actor=w.me, on=ago(40), reason="t",
                      claims=list(w.dispute.claims.all()), filed_by="Counsel", grounds="Unrelated")
    w.dispute.refresh_from_db()
    w.por = external_user("attorney")
    authorise(w.por, K.POR, verifier=w.me, case=w.today)  # verified: may send settlement details
    settlement_submit(case=w.today, actor=w.por, on=services.today(), settlement_date=ago(3),
                      gross_amount=Decimal("30000.00"), attorney_fees=Decimal("10000.00"), other_costs=Decimal("0"))
    w.pending_por = authorise(external_user("newcomer"), K.POR, verifier=w.me, case=w.week, decision="pending")
    w.pending_loa = authorise(external_user("insurer"), K.LOA, verifier=w.me, payer=factories.payer(),
                              decision="pending")
    w.failed = LetterDelivery.objects.filter(letter__case=w.week).first()
    LetterDelivery.objects.filter(pk=w.failed.pk).update(status=LetterDelivery.Status.FAILED,
                                                         last_error="550 mailbox unavailable")
    return w


def numbers(buckets):
    return {b.key: [i.case.number if i.case else None for i in b.items] for b in buckets}


def test_my_buckets_have_exactly_the_worked_items(day):
    scope = selectors.Scope(user=day.me, who="mine", horizon=30, today=services.today())
    b = numbers(selectors.worklist(scope))
    assert b["overdue"] == [day.overdue.number]
    assert b["today"] == [day.today.number]
    assert b["week"] == [day.week.number]
    assert b["later"] == [day.later.number]  # due in 20 days: inside 30
    assert b["submissions"] == [day.today.number]
    assert b["authorisations"] == [day.week.number, None]  # my case's POR, and the insurer's LOA (anyone's)
    assert b["disputes"] == [day.dispute.number]
    assert b["deliveries"] == [day.week.number]
    assert b["unassigned"] == [day.nobody.number]
    counts = selectors.bucket_counts(scope)
    assert counts == {"overdue": 1, "today": 1, "week": 1, "later": 1, "submissions": 1, "authorisations": 2,
                      "disputes": 1, "deliveries": 1, "unassigned": 1}


def test_due_dates_and_links_say_when_and_where_to_act(day):
    scope = selectors.Scope(user=day.me, today=services.today())
    by_key = {b.key: b for b in selectors.worklist(scope)}
    item = by_key["overdue"].items[0]
    assert item.due == ago(1)  # RAR 66 days ago + 65
    assert item.why.startswith("CPL due")
    assert item.url == reverse("admin:recovery_recoverycase_act", args=[day.overdue.pk, "issue_cpl"])
    dispute = by_key["disputes"].items[0]
    assert dispute.due == ago(40) + timedelta(days=45) == services.today() + timedelta(days=5)
    assert dispute.url.endswith("/act/decide_dispute/")
    sub = by_key["submissions"].items[0]
    assert sub.due == services.today() and "Settlement details" in sub.why
    assert sub.url == reverse("admin:recovery_submission_change", args=[Submission.objects.get().pk])


def test_horizon_anyone_and_track_filters(day):
    seven = selectors.Scope(user=day.me, horizon=7, today=services.today())
    assert selectors.bucket_counts(seven)["later"] == 0  # due in 20 days: beyond 7
    ninety = selectors.Scope(user=day.me, horizon=90, today=services.today())
    assert selectors.bucket_counts(ninety)["later"] == 1  # the unassigned one is nobody's: not mine
    anyone = selectors.Scope(user=day.me, who="all", horizon=90, today=services.today())
    b = numbers(selectors.worklist(anyone))
    assert b["overdue"] == [day.theirs.number, day.overdue.number]  # ago(5) before ago(1)
    assert b["later"] == [day.later.number, day.nobody.number]  # +20, +55
    theirs = selectors.Scope(user=day.me, who=str(day.other.pk), today=services.today())
    assert numbers(selectors.worklist(theirs))["overdue"] == [day.theirs.number]
    plan = selectors.Scope(user=day.me, who="all", track=Track.PLAN, today=services.today())
    counts = selectors.bucket_counts(plan)
    assert counts["overdue"] == counts["submissions"] == counts["unassigned"] == 0
    assert counts["authorisations"] == 1  # the LOA is not for a case: on every track's list


def test_an_outsider_sees_nothing(day):
    scope = selectors.Scope(user=day.por, who="all", today=services.today())
    assert sum(selectors.bucket_counts(scope).values()) == 0


def test_reviewing_a_submission_takes_it_off_the_list_once(day):
    sub = Submission.objects.get()
    assert sub.action == "submit_settlement" and sub.submitted_by == day.por and sub.case == day.today
    reviewed = submission_review(submission=sub, actor=day.me, note="Papers read")
    assert reviewed.reviewed_by == day.me and reviewed.review_note == "Papers read"
    scope = selectors.Scope(user=day.me, today=services.today())
    assert selectors.bucket_counts(scope)["submissions"] == 0
    with pytest.raises(CaseActionError, match="already reviewed by me"):
        submission_review(submission=sub, actor=day.other)
    sub.refresh_from_db()
    assert sub.reviewed_by == day.me


def test_a_person_without_the_permission_cannot_review(day):
    sub = Submission.objects.get()
    with pytest.raises(CaseActionError, match="may not review"):
        submission_review(submission=sub, actor=day.por)
    clerk = factories.user("clerk")  # staff but in no group
    with pytest.raises(CaseActionError):
        submission_review(submission=sub, actor=clerk)
    sub.refresh_from_db()
    assert sub.reviewed_at is None


def test_staff_steps_are_not_submissions(day):
    # The caseworkers' own steps above (RAR, CPL, dispute they recorded) filed nothing.
    assert list(Submission.objects.values_list("action", flat=True)) == ["submit_settlement"]


def test_admin_worklist_page_nav_counts_and_review_are_audited(day):
    c = Client()
    c.force_login(day.me)
    page = c.get(reverse("admin:worklist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-bucket="submissions" data-count="1"' in html
    assert 'data-bucket="overdue" data-count="1"' in html
    assert f">{day.today.number}<" in html
    assert "My worklist (10)" in html  # 1+1+1+1+1+2+1+1+1 in the navigation
    listed = AuditEvent.objects.filter(action="list", username="me", detail__startswith="worklist").get()
    assert day.today.pk in listed.object_ids
    sub = Submission.objects.get()
    detail = c.get(reverse("admin:recovery_submission_change", args=[sub.pk]))
    assert detail.status_code == 200 and b"Mark reviewed" in detail.content
    done = c.post(reverse("admin:recovery_submission_review", args=[sub.pk]), {"note": "ok"})
    assert done.status_code == 302 and done["Location"] == reverse("admin:worklist")
    assert AuditEvent.objects.filter(action="act", detail="review_submission", object_id=str(sub.pk),
                                     outcome="ok").exists()
    again = c.get(reverse("admin:worklist"))
    assert 'data-bucket="submissions" data-count="0"' in again.content.decode()
    assert "My worklist (9)" in again.content.decode()


def test_worklist_queries_do_not_grow_with_rows(day, django_assert_max_num_queries):
    c = Client()
    c.force_login(day.me)
    c.get(reverse("admin:worklist") + "?who=all")  # warm (sessions, content types)
    with django_assert_max_num_queries(40) as first:
        c.get(reverse("admin:worklist") + "?who=all")
    for n in range(5):
        rar_case(day.other, rar_days_ago=80 + n)
    with django_assert_max_num_queries(len(first.captured_queries)):
        c.get(reverse("admin:worklist") + "?who=all")


def test_the_page_of_every_bucket_shows_the_first_few_and_links_to_the_whole_bucket(day, monkeypatch):
    """Issue 10: each bucket shows its first OVERVIEW_SIZE items there; its own page shows PAGE_SIZE a page."""
    monkeypatch.setattr(selectors, "OVERVIEW_SIZE", 1)
    scope = selectors.Scope(user=day.me, who="all", today=services.today())
    overview = {b.key: b for b in selectors.worklist(scope)}
    assert overview["overdue"].count == 2 and numbers([overview["overdue"]])["overdue"] == [day.theirs.number]
    (whole,) = selectors.worklist(scope, only="overdue")
    assert numbers([whole])["overdue"] == [day.theirs.number, day.overdue.number]
    c = Client()
    c.force_login(day.me)
    html = c.get(reverse("admin:worklist") + "?who=all").content.decode()
    section = html.split('id="bucket-overdue"')[1].split("</section>")[0]
    assert day.theirs.number in section and day.overdue.number not in section
    assert "bucket=overdue\">All 2…</a>" in section
    page = c.get(reverse("admin:worklist") + "?who=all&bucket=overdue").content.decode()
    assert day.theirs.number in page and day.overdue.number in page
