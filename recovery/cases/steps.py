"""Every step of a case's track, each with whether this user may take it now and, if not, why
(issue 12 item 3: the case page that explains itself; SPEC §3.4 "refuse with a clear message").

A read: nothing here decides a rule. Whether a step is possible comes from the track table
(`tracks.allowed`) and the guards (`guards.why_not`, the same function `services.case_act` and
`services.actions_available` ask), so a step shown as a button is exactly one the service accepts,
and a greyed step carries the words the service would refuse it with.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from . import tracks
from .guards import why_not
from .history import today
from ..money.policy import clock_table
from ..models import RecoveryCase
from .tracks import State


class StepOption(NamedTuple):
    action: str
    label: str
    allowed: bool
    reason: str  # "" when allowed; the guard's words otherwise
    from_here: bool  # an edge from the case's current state (else a step of the track from elsewhere)


def _track_actions(track: str) -> list[str]:
    """The track's actions in the track table's order (the order of the lifecycle)."""
    seen: list[str] = []
    for action, _, _ in tracks.EDGES[track]:
        if action not in seen:
            seen.append(action)
    return seen


def _starts_from(track: str, action: str) -> str:
    labels = [State(s).label for s in tracks.states_of(track)
              if any(a == action and s == src for a, src, _ in tracks.EDGES[track])]
    if action == "put_on_hold":
        return "any open state"
    return ", ".join(f"'{label}'" for label in labels)


def case_steps(*, case: RecoveryCase, user, on: date | None = None) -> list[StepOption]:
    """Every step of the case's track: first the edges from the current state (allowed or with the
    guard's reason), then the track's other steps (with the state each one starts from)."""
    on = on or today()
    table = clock_table()
    here = tracks.actions_from(case.track, case.state)
    out = [StepOption(a, tracks.ACTION_LABELS[a], reason is None, reason or "", True)
           for a in here
           for reason in [why_not(case, a, user=user, on=on, table=table)]]
    for action in _track_actions(case.track):
        if action in here:
            continue
        # The service refuses it (why_not: "not possible while the case is …", the track table has no such
        # edge from here); the page says it shorter, with the states it is taken from.
        reason = f"Taken from {_starts_from(case.track, action)}; the case is '{case.get_state_display()}'."
        out.append(StepOption(action, tracks.ACTION_LABELS[action], False, reason, False))
    return out


def steps_from_here(*, case: RecoveryCase, user, on: date | None = None) -> list[tuple[str, str, bool, str]]:
    """(action, label, allowed, reason) for every edge from the case's current state."""
    return [(s.action, s.label, s.allowed, s.reason) for s in case_steps(case=case, user=user, on=on) if s.from_here]


class CaseDocument(NamedTuple):
    when: object  # a datetime
    what: str
    name: str
    key: object  # the UploadedDocument's key (downloaded through portal:document, authorised and audited)
    uploaded_by: str


def case_documents(*, case: RecoveryCase) -> list[CaseDocument]:
    """The documents on a case, newest first: what was uploaded on it (settlement papers, dispute
    evidence…) and the authorisations (POR/CTR) filed for it or for its beneficiary."""
    from beneficiaries.models import Authorisation

    from ..models import UploadedDocument

    docs = [CaseDocument(d.uploaded_at, d.get_purpose_display(), d.original_name, d.key, d.uploaded_by.get_username())
            for d in UploadedDocument.objects.filter(case=case).select_related("uploaded_by")]
    seen = {d.key for d in docs}
    auths = (Authorisation.objects.filter(case=case) | Authorisation.objects.filter(beneficiary_id=case.beneficiary_id))
    for a in auths.select_related("document", "document__uploaded_by").distinct():
        if a.document.key in seen:
            continue
        seen.add(a.document.key)
        docs.append(CaseDocument(a.document.uploaded_at, f"{a.get_kind_display()} ({a.get_status_display()})",
                                 a.document.original_name, a.document.key, a.document.uploaded_by.get_username()))
    return sorted(docs, key=lambda d: d.when, reverse=True)


@dataclass(frozen=True)
class DemandPreview:
    """What 'Issue demand' will ask for if issued on `on`, and every figure it rests on (SPEC §5.2,
    §5.3, §5.5), for the caseworker to read before committing. `error` when it cannot be computed."""

    on: date
    computation: object = None  # recovery.money.demand.DemandComputation
    settlement_date: date | None = None
    coverage: str = ""
    threshold: Decimal | None = None
    threshold_notes: tuple = ()
    elections: tuple = ()  # (kind, status, elected on) of the case's option elections
    interest_rate: Decimal | None = None  # the fraction in force on `on` (shown as a percentage)
    interest_from: date | None = None
    grace_days: int | None = None
    error: str = ""

    @property
    def amount(self) -> Decimal | None:
        return self.computation.amount if self.computation is not None else None


def demand_preview(*, case: RecoveryCase, on: date) -> DemandPreview:
    """The demand's computation (recovery.money.demand, the function the step itself uses) with the
    policy rows it took: the recovery threshold in force on the settlement date, the option elections,
    the interest terms in force on the demand date. A read: nothing is written."""
    from ..errors import CaseActionError
    from ..money import policy, rules
    from ..money.demand import demand_computation, threshold_check
    from ..models import Settlement

    try:
        comp = demand_computation(case=case, on=on)
    except (CaseActionError, rules.MoneyInputError) as exc:
        return DemandPreview(on=on, error=exc.message)
    extra: dict = {}
    try:
        settlement = case.settlement
    except Settlement.DoesNotExist:
        settlement = None
    if settlement is not None and case.track == tracks.Track.BENEFICIARY and case.occurrence_id:
        threshold, result = threshold_check(case, settlement)  # the demand's own check (SPEC §5.3)
        extra.update(settlement_date=settlement.settlement_date, coverage=case.occurrence.get_coverage_type_display(),
                     threshold=threshold, threshold_notes=tuple(result.steps) + tuple(result.reasons))
    elif settlement is not None:
        extra.update(settlement_date=settlement.settlement_date)
    extra["elections"] = tuple((e.get_kind_display(), e.get_status_display(), e.elected_on)
                               for e in case.elections.order_by("elected_on", "id"))
    try:
        terms = policy.interest_terms(on=on)
    except policy.PolicyMissing as exc:
        return DemandPreview(on=on, computation=comp, error=exc.message, **extra)
    return DemandPreview(on=on, computation=comp, interest_rate=terms.annual_rate, interest_from=terms.effective_from,
                         grace_days=terms.grace_days, **extra)
