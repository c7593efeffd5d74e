"""The worklist's buckets (issue 12, item 1): reads only, each one indexed query and bounded.

Every bucket is a queryset over an indexed column (next_due_date, the partial index of unreviewed
submissions, authorisations by status, deliveries by status, cases by caseworker): the page counts
each bucket and shows one page of it, with `select_related` so that no row costs a query. Only cases
the user may see (recovery.access.checks.cases_for) are ever read.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.cache import cache
from django.urls import reverse

from beneficiaries.models import Authorisation

from ..access import checks as access
from ..models import LetterDelivery, RecoveryCase
from ..cases.tracks import CLOSED_STATES, State, Track
from ..models import Submission

HORIZONS = (7, 30, 90, 365)
DEFAULT_HORIZON = 30
PAGE_SIZE = 25  # a bucket's own page (?bucket=…)
OVERVIEW_SIZE = 10  # each bucket on the page of every bucket, with a link to the bucket's own page (issue 10)
NOT_WORKED = [*CLOSED_STATES, State.ON_HOLD]  # a hold stops every clock (SPEC §3.4)

# The step a clock deadline calls for, by state (the sweep takes the automatic ones; a person may too).
_DUE_ACTION = {
    State.RAR_ISSUED: "issue_cpl",
    State.CPN_ISSUED: "issue_demand",
    State.PAYMENT_NOTICE_ISSUED: "issue_demand",
    State.INTENT_TO_REFER_ISSUED: "refer_to_treasury",
    State.REFERRAL_NOTICE_ISSUED: "refer_to_treasury",
    State.DISPUTE_PENDING: "decide_dispute",
}


def due_action(case) -> str | None:
    if case.state == State.DEMAND_ISSUED:
        return "issue_referral_notice" if case.track == Track.PLAN else "issue_itr"
    return _DUE_ACTION.get(case.state)


@dataclass(frozen=True)
class Scope:
    """Whose work: `who` is "mine", "all" or a user id; `track` empty for every track."""

    user: object
    who: str = "mine"
    track: str = ""
    horizon: int = DEFAULT_HORIZON
    today: date = field(default_factory=date.today)

    def caseworker_id(self):
        if self.who == "all":
            return None
        if self.who.isdigit():
            return int(self.who)
        return self.user.pk


@dataclass(frozen=True)
class Item:
    due: date | None
    why: str
    case: RecoveryCase | None
    url: str
    act: str  # the link's label


@dataclass
class Bucket:
    key: str
    title: str
    count: int  # at most COUNT_CAP + 1: `more` says the bucket holds more than COUNT_CAP
    items: list
    help: str = ""
    more: bool = False


# A bucket is counted up to this many items (issue 10): the count of a supervisor's "anyone's" overdue
# bucket at a million cases would otherwise read every overdue case on every page view.
COUNT_CAP = 1000


def capped_count(qs) -> int:
    """len(qs), but at most COUNT_CAP + 1 rows are read."""
    return qs.order_by()[:COUNT_CAP + 1].count()


def _cases(scope: Scope, prefix: str = ""):
    """The filter on a case (reached through `prefix`) for the user's access, the caseworker and the track."""
    q = {}
    cw = scope.caseworker_id()
    if cw is not None:
        q[f"{prefix}caseworker_id"] = cw
    if scope.track:
        q[f"{prefix}track"] = scope.track
    return q


def visible(qs, user, prefix: str = ""):
    """Restrict `qs` to the cases `user` may see (recovery.access.checks.cases_for), and to staff: the worklist is
    the caseworkers' work — a person outside sees their own cases on the portal, never this list. Staff
    see every case, so no subquery is added for them."""
    if not access.is_staff_user(user):
        return qs.none()
    key = f"{prefix}pk__in" if prefix else "pk__in"
    cases = access.cases_for(user)
    if cases.query.where:  # should access.cases_for ever narrow what staff see, the worklist follows it
        return qs.filter(**{key: cases.values("pk")})
    return qs


# What a case row of the page reads (the template and the *_item functions below): a case row loads these
# columns only, not the case's forty (issue 10: building full cases, beneficiaries and users was most of the
# page's time). A column read that is not here costs a query a row — the constant-query tests would fail.
CASE_ROW = ["id", "number", "track", "state", "next_due_date", "next_due_reason", "opened_on", "beneficiary_id",
            "caseworker_id", "beneficiary__first_name", "beneficiary__last_name"]


def _case_rows(qs, *, caseworker: bool = True):
    if caseworker:
        return qs.select_related("beneficiary", "caseworker").only(*CASE_ROW, "caseworker__username")
    return qs.select_related("beneficiary").only(*CASE_ROW)


def clock_cases(scope: Scope):
    """Open cases with a clock deadline, over the (state, next_due_date) and next_due_date indexes.
    Disputes are their own bucket (by decision due date)."""
    qs = RecoveryCase.objects.filter(next_due_date__isnull=False, **_cases(scope)).exclude(
        state__in=[*NOT_WORKED, State.DISPUTE_PENDING])
    return _case_rows(visible(qs, scope.user)).order_by("next_due_date", "number")


def clock_buckets(scope: Scope) -> dict:
    t = scope.today
    qs = clock_cases(scope)
    return {
        "overdue": qs.filter(next_due_date__lt=t),
        "today": qs.filter(next_due_date=t),
        "week": qs.filter(next_due_date__gt=t, next_due_date__lte=t + timedelta(days=7)),
        "later": qs.filter(next_due_date__gt=t + timedelta(days=7), next_due_date__lte=t + timedelta(days=scope.horizon)),
    }


def submissions(scope: Scope):
    qs = Submission.objects.filter(reviewed_at__isnull=True, **_cases(scope, "case__"))
    return visible(qs, scope.user, "case__").select_related("case__beneficiary", "case__caseworker").order_by(
        "received_at", "id")


def authorisations(scope: Scope):
    """Authorisations awaiting verification: those on the scope's cases, and every letter of authority
    (it is for an insurer, not a case: anyone's work)."""
    from django.db.models import Q

    qs = Authorisation.objects.filter(status=Authorisation.Status.PENDING)
    case_q = _cases(scope)
    if case_q:  # the scope's cases as an id subquery (their caseworker index), not a join of every case
        qs = qs.filter(Q(case_id__in=RecoveryCase.objects.filter(**case_q).values("pk")) | Q(case__isnull=True))
    if not access.is_staff_user(scope.user):
        qs = qs.none()
    return qs.select_related("case__beneficiary", "case__caseworker", "holder", "payer").order_by("submitted_at", "id")


def disputes(scope: Scope):
    qs = RecoveryCase.objects.filter(state=State.DISPUTE_PENDING, **_cases(scope))
    return _case_rows(visible(qs, scope.user)).order_by("next_due_date", "number")


def failed_deliveries(scope: Scope):
    qs = LetterDelivery.objects.filter(status=LetterDelivery.Status.FAILED, **_cases(scope, "letter__case__"))
    return visible(qs, scope.user, "letter__case__").select_related(
        "letter__case__beneficiary", "letter__case__caseworker").order_by("letter__letter_date", "id")


def unassigned(scope: Scope):
    q = {"track": scope.track} if scope.track else {}
    qs = RecoveryCase.objects.filter(caseworker__isnull=True, **q).exclude(state__in=CLOSED_STATES)
    return _case_rows(visible(qs, scope.user), caseworker=False).order_by("opened_on", "number")


def _case_url(case):
    return reverse("admin:recovery_recoverycase_change", args=[case.pk])


def _act_url(case, action):
    return reverse("admin:recovery_recoverycase_act", args=[case.pk, action])


def _clock_item(case) -> Item:
    from ..cases import tracks

    action = due_action(case)
    if action:
        return Item(case.next_due_date, case.next_due_reason, case, _act_url(case, action), tracks.ACTION_LABELS[action])
    return Item(case.next_due_date, case.next_due_reason, case, _case_url(case), "Open the case")


def _submission_item(s: Submission) -> Item:
    url = reverse("admin:recovery_submission_change", args=[s.pk])
    return Item(s.received_on, f"{s.action_label} from {s.submitted_by_name}", s.case, url, "Review")


def _authorisation_item(a) -> Item:
    url = reverse("admin:beneficiaries_authorisation_change", args=[a.pk])
    what = f"{a.get_kind_display()} from {a.holder.get_username()}"
    if a.payer_id:
        what += f" for {a.payer}"
    return Item(a.submitted_at.date(), what, a.case if a.case_id else None, url, "Verify or reject")


def _dispute_item(case) -> Item:
    return Item(case.next_due_date, case.next_due_reason or "Dispute decision due", case,
                _act_url(case, "decide_dispute"), "Decide the dispute")


def _delivery_item(d) -> Item:
    url = reverse("admin:recovery_letter_change", args=[d.letter_id])
    why = f"{d.letter.get_kind_display()} to {d.recipient} ({d.get_channel_display()}) failed: {d.last_error[:80]}"
    return Item(d.letter.letter_date, why, d.letter.case, url, "See the letter")


def _unassigned_item(case) -> Item:
    return Item(case.opened_on, f"No caseworker ({case.get_state_display()})", case, _case_url(case),
                "Assign a caseworker")


BUCKETS = [
    # key, title, queryset, item, help
    ("overdue", "Overdue", lambda s: clock_buckets(s)["overdue"], _clock_item, "Clock deadlines already passed"),
    ("today", "Due today", lambda s: clock_buckets(s)["today"], _clock_item, "Clock deadlines falling today"),
    ("week", "Due this week", lambda s: clock_buckets(s)["week"], _clock_item, "In the next 7 days"),
    ("later", "Later", lambda s: clock_buckets(s)["later"], _clock_item, "After 7 days, within the horizon"),
    ("submissions", "Submissions to review", submissions, _submission_item,
     "Sent through the portal or the API and not yet reviewed"),
    ("authorisations", "Authorisations to verify", authorisations, _authorisation_item, "POR, CTR, letters of authority"),
    ("disputes", "Disputes to decide", disputes, _dispute_item, "By decision due date (45 days)"),
    ("deliveries", "Failed letter deliveries", failed_deliveries, _delivery_item, "Letters that could not be delivered"),
    ("unassigned", "Cases with no caseworker", unassigned, _unassigned_item, "Open cases nobody works"),
]
BUCKET_KEYS = [b[0] for b in BUCKETS]


def bucket_counts(scope: Scope) -> dict[str, int]:
    """One COUNT per bucket over its index, each stopping after COUNT_CAP + 1 (the admin navigation)."""
    return {key: capped_count(make(scope)) for key, _, make, _, _ in BUCKETS}


# The admin navigation shows my counts on every admin page (issue 12 item 1): counted once, then kept for
# NAV_CACHE_SECONDS per user (issue 10: nine COUNTs on every page were a third of the cheapest page). The
# key carries the day (the buckets move at midnight) and the user's last sign-in (a new session counts
# afresh); the worklist page showing my own buckets stores what it counted, and any change made
# through the admin (a POST) drops the user's entry — so the navigation lags at most a minute behind
# changes made by others (a portal submission, the sweep).
NAV_CACHE_SECONDS = 60


def nav_key(user, today: date) -> str:
    signed_in = user.last_login.timestamp() if getattr(user, "last_login", None) else 0
    return f"worklist-nav:{user.pk}:{signed_in}:{today.isoformat()}"


def nav_counts(user, today: date) -> dict[str, int]:
    """My counts per bucket (who="mine", every track, the default horizon), from the cache if counted in the
    last NAV_CACHE_SECONDS (the worklist page stores what it counts: remember_nav_counts)."""
    key = nav_key(user, today)
    counts = cache.get(key)
    if counts is not None:
        return counts
    counts = bucket_counts(Scope(user=user, today=today))
    cache.set(key, counts, NAV_CACHE_SECONDS)
    return counts


def remember_nav_counts(user, today: date, counts: dict[str, int]) -> None:
    cache.set(nav_key(user, today), dict(counts), NAV_CACHE_SECONDS)


def forget_nav_counts(user, today: date) -> None:
    cache.delete(nav_key(user, today))


def worklist(scope: Scope, *, only: str | None = None, page: int = 1, page_size: int | None = None) -> list[Bucket]:
    """The buckets with their first OVERVIEW_SIZE items each, or only the bucket `only`, at `page` of PAGE_SIZE."""
    if page_size is None:
        page_size = PAGE_SIZE if only else OVERVIEW_SIZE
    out = []
    for key, title, make, item, help_text in BUCKETS:
        if only and key != only:
            continue
        qs = make(scope)
        start = (max(page, 1) - 1) * page_size
        count = capped_count(qs)
        out.append(Bucket(key, title, min(count, COUNT_CAP), [item(row) for row in qs[start:start + page_size]],
                          help_text, more=count > COUNT_CAP))
    return out
