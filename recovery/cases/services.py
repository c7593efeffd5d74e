"""Every write to a recovery case goes through here (STYLE.md: services; SPEC §3.4).

A step: refuse with a clear message when its guard does not hold; change the state through the FSM;
save inside one `transaction.atomic()` (a stale save raises ConcurrentTransition, turned into
StaleCaseError); append the history row; write the letter the step implies (the outbox row). The
admin, the web pages, the API and the scheduled sweeps all call these functions.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django_fsm import ConcurrentTransition

from payers.coordination import services as coordination

from ..access import roles
from ..clocks import counting as clocks
from ..money import ledger
from ..letters import compose as letters
from . import tracks
from ..errors import CaseActionError, StaleCaseError
from .guards import why_not
from .history import today  # noqa: F401 — services.today, as every caller knows it
from .history import write as _history
from ..money.policy import clock_table, interest_terms
from ..models import ZERO, CaseEvent, CaseNumberSequence, Claim, Dispute, Letter, RecoveryCase
from .selectors import debt_balance, pending_dispute
from .tracks import State, Track

SYSTEM_USERNAME = "system-deadlines"
K = Letter.Kind


def system_user():
    """The named user the scheduled jobs act as. It has no usable password, so it cannot log in; it
    stays active because Django grants no permission to an inactive user."""
    User = get_user_model()
    # One transaction: a concurrent caller (another worker's first sweep) waits on the unique username
    # and then finds the user with its permissions, never without them.
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=SYSTEM_USERNAME, defaults={"first_name": "Deadline", "last_name": "sweeper", "is_staff": True}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.user_permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="recovery",
                    codename__in=["transition_recoverycase", "change_recoverycase", "view_recoverycase"],
                )
            )
    return user


# --- opening a case -------------------------------------------------------------------------------


def case_number_next(*, track: str, count: int = 1) -> str:
    """15 digits; 2… for the beneficiary track, 3… for the plan tracks (SPEC §3.5, §8). With `count`,
    that many consecutive numbers are reserved and the first is returned."""
    prefix = "2" if track == Track.BENEFICIARY else "3"
    with transaction.atomic():
        seq, _ = CaseNumberSequence.objects.select_for_update().get_or_create(prefix=prefix)
        seq.last += count
        seq.save(update_fields=["last"])
    return f"{prefix}{seq.last - count + 1:014d}"


def _case_new(*, beneficiary, track, occurrence=None, debtor_payer=None, caseworker=None,
              opened_on: date | None = None) -> RecoveryCase:
    return RecoveryCase(
        track=track,
        beneficiary=beneficiary,
        occurrence=occurrence,
        debtor_payer=debtor_payer,
        caseworker=caseworker,
        opened_on=opened_on or today(),
        incident_date=occurrence.incident_date if occurrence and not occurrence.is_ghp else None,
    )


@transaction.atomic
def case_open(*, beneficiary, track, actor, occurrence=None, debtor_payer=None, caseworker=None,
              opened_on: date | None = None, reason: str = "") -> RecoveryCase:
    if caseworker is not None and not roles.case_workers().filter(pk=caseworker.pk).exists():
        raise ValidationError({"caseworker": f"Choose an active caseworker or supervisor; {caseworker.get_username()} "
                                             "does not work cases."})  # issue 9, for every caller
    case = _case_new(beneficiary=beneficiary, track=track, occurrence=occurrence, debtor_payer=debtor_payer,
                     caseworker=caseworker, opened_on=opened_on)
    case.full_clean(exclude=["number", "state"])
    case.number = case_number_next(track=track)
    case._history_user = actor  # simple-history: who opened it
    case.save()
    _history(case, "open", actor=actor, on=case.opened_on, from_state=State.REPORTED, reason=reason or "Case opened")
    return case


# --- the one place a step is performed -------------------------------------------------------------


@dataclass
class Step:
    action: str
    fsm_kwargs: dict
    letter_kind: str | None = None
    letter_amount: Decimal | None = None
    letter_extra: dict | None = None


def _refresh_deadline(case, table=None):
    dispute = pending_dispute(case=case) if case.state == State.DISPUTE_PENDING else None
    deadline = clocks.next_deadline(case, table=table or clock_table(),
                                    dispute_received=dispute.received_date if dispute else None)
    case.next_due_date = deadline.due if deadline else None
    case.next_due_reason = deadline.reason if deadline else ""


def _check(case, action, *, actor, on, expected_state):
    # Lock the row and compare it with the caller's copy: a step taken on a view loaded before anyone
    # else changed the case (another step, a reassignment, a response recorded) is refused, not merged.
    current = RecoveryCase.objects.select_for_update().only("state", "updated_at").get(pk=case.pk)
    if current.state != case.state or current.updated_at != case.updated_at:
        raise StaleCaseError("Someone else changed this case since it was loaded; reload it to see its current "
                             "state and try again.")
    if expected_state and case.state != expected_state:
        raise StaleCaseError(
            f"The case moved to '{case.get_state_display()}' since you loaded it; reload and try again."
        )
    refusal = why_not(case, action, user=actor, on=on)
    if refusal:
        raise CaseActionError(refusal)
    last = case.events.order_by("-effective_date").values_list("effective_date", flat=True).first()
    if last and on < last:
        raise CaseActionError(f"The case's last step is dated {last:%Y-%m-%d}; this one cannot be earlier.",
                              field="on")


def _perform(case, step: Step, *, actor, on, reason, before_save=None, after_save=None):
    """Transition, save, history, letter — the caller holds the transaction."""
    from_state = case.state
    fields = [f.attname for f in case._meta.concrete_fields if not f.primary_key]
    before = {name: getattr(case, name) for name in fields}
    getattr(case, step.action)(on=on, **step.fsm_kwargs)
    if before_save:
        before_save(case)
    _refresh_deadline(case)
    # Save only what this step changed: a concurrent edit of another column (a reassignment) stays.
    changed = [name for name in fields if getattr(case, name) != before[name]] + ["updated_at"]
    try:
        case.save(update_fields=sorted(set(changed)))
    except ConcurrentTransition as exc:
        raise StaleCaseError(
            "Someone else changed this case at the same time; reload it to see its current state."
        ) from exc
    event = _history(case, step.action, actor=actor, on=on, from_state=from_state, reason=reason)
    if after_save:
        after_save(case, event)
    if step.letter_kind:
        letters.issue(case, step.letter_kind, on=on, event=event, amount=step.letter_amount,
                      **(step.letter_extra or {}))
    return event


def case_act(*, case: RecoveryCase, action: str, actor, on: date | None = None, reason: str = "",
             expected_state: str | None = None, letter_extra: dict | None = None, **params) -> RecoveryCase:
    """Perform `action` on `case` (dispatch for the admin, the pages, the API and the jobs).

    `letter_extra` adds facts to the letters the step issues (a sweep marks them dated by rule)."""
    if action not in ACTIONS:
        raise CaseActionError(f"Unknown action '{action}'.", field="action")
    reason = reason or ""
    on = on or today()
    if on > today():
        raise CaseActionError("A step cannot be dated in the future.", field="on")
    token = letters.extra_content.set(letter_extra or {})
    try:
        with transaction.atomic():
            _check(case, action, actor=actor, on=on, expected_state=expected_state)
            ACTIONS[action](case, actor=actor, on=on, reason=reason.strip(), **params)
    finally:
        letters.extra_content.reset(token)
    return case


def _require_reason(reason, what):
    if not reason:
        raise CaseActionError(f"Give a reason for {what}.", field="reason")


# --- the steps (each: validate its inputs, then _perform) -----------------------------------------


def _simple(action, letter_kind=None):
    def run(case, *, actor, on, reason):
        _perform(case, Step(action, {}, letter_kind), actor=actor, on=on, reason=reason)

    return run


def _post_occurrence(case, *, actor, on, reason):
    """SPEC §7: the who-pays-first check of posting an occurrence (as the occurrence admin's save): when
    Medicare pays first no MSP recovery should exist. The warning goes in the step's history row, seen
    on every channel, and stays on the case as `coordination_warning` for the caller to show."""
    warning = coordination.occurrence_warning(occurrence=case.occurrence)
    case.coordination_warning = warning
    if warning:
        reason = f"{reason} — {warning}" if reason else warning
    _perform(case, Step("post_occurrence", {}), actor=actor, on=on, reason=reason)


def _issue_cpn(case, *, actor, on, reason):
    days = clock_table().days(case.track, "cpn_response", on)
    settlement = getattr(case, "settlement", None) if case.track == Track.BENEFICIARY else None
    fsm = {"settlement_date": settlement.settlement_date} if settlement else {}
    _perform(case, Step("issue_cpn", fsm, K.CPN, letter_extra={"window_days": days}), actor=actor, on=on, reason=reason)


def _open_dispute(case, *, actor, on, reason, claims=(), filed_by="", grounds=""):
    """`on` is the date the dispute was received: its 45-day decision clock starts there."""
    received = on
    claims = list(claims)
    if not claims:
        raise CaseActionError("Choose the claims that are disputed.", field="claims")
    if any(c.case_id != case.pk for c in claims):
        raise CaseActionError("A disputed claim belongs to another case.", field="claims")
    if any(c.status != Claim.Status.RELATED for c in claims):
        raise CaseActionError("Only claims counted as related can be disputed.", field="claims")
    if not filed_by.strip():
        raise CaseActionError("Say who filed the dispute.", field="filed_by")
    if not grounds.strip():
        raise CaseActionError("Give the grounds of the dispute.", field="grounds")
    def record(case):
        dispute = Dispute.objects.create(
            case=case, received_date=received, filed_by=filed_by.strip(), grounds=grounds.strip(),
            from_state=case.return_state,
        )
        dispute.claims.set(claims)
        Claim.objects.filter(pk__in=[c.pk for c in claims]).update(status=Claim.Status.DISPUTED)
        from ..money.final_amount import final_amount_dispute_registered  # SPEC §5.6: 11 business days

        final_amount_dispute_registered(case=case, dispute=dispute)

    _perform(case, Step("open_dispute", {}), actor=actor, on=on, reason=reason or grounds, before_save=record)


def _decide_dispute(case, *, actor, on, reason, outcome="", removed_claims=()):
    dispute = pending_dispute(case=case)
    removed = list(removed_claims)
    if outcome not in (Dispute.Outcome.GRANTED, Dispute.Outcome.PARTIAL, Dispute.Outcome.DENIED):
        raise CaseActionError("Choose granted, partly granted or denied.", field="outcome")
    _require_reason(reason, "the decision")
    disputed = set(dispute.claims.values_list("pk", flat=True))
    if any(c.pk not in disputed for c in removed):
        raise CaseActionError("Only disputed claims can be removed.", field="removed_claims")
    if outcome == Dispute.Outcome.DENIED and removed:
        raise CaseActionError("A denied dispute removes no claims.", field="removed_claims")
    if outcome == Dispute.Outcome.GRANTED and {c.pk for c in removed} != disputed:
        raise CaseActionError("A granted dispute removes every disputed claim; use 'partly granted'.",
                              field="removed_claims")
    if outcome == Dispute.Outcome.PARTIAL and not removed:
        raise CaseActionError("A partly granted dispute removes at least one claim.", field="removed_claims")
    if on < dispute.received_date:
        raise CaseActionError("The decision cannot precede the dispute.", field="on")

    def decide(case):
        removed_ids = {c.pk for c in removed}
        Claim.objects.filter(pk__in=removed_ids).update(status=Claim.Status.UNRELATED)
        Claim.objects.filter(pk__in=disputed - removed_ids).update(status=Claim.Status.RELATED)
        dispute.outcome, dispute.decided_on, dispute.decision_reason = outcome, on, reason
        dispute.save()
        dispute.removed_claims.set(removed)

    def letters_after(case, event):
        letters.issue(case, K.DISPUTE_DECISION, on=on, event=event, outcome=outcome, reason=reason,
                      removed=[c.claim_number for c in removed])
        if case.state == State.CPL_ISSUED:  # an updated CPL with the recalculated amount
            letters.issue(case, K.CPL, on=on, event=event, updated=True)

    _perform(case, Step("decide_dispute", {}), actor=actor, on=on, reason=reason,
             before_save=decide, after_save=letters_after)


def _report_settlement(case, *, actor, on, reason):
    _perform(case, Step("report_settlement", {"settlement_date": case.settlement.settlement_date}),
             actor=actor, on=on, reason=reason)


def _record_response(case, *, actor, on, reason):
    _perform(case, Step("record_response", {}), actor=actor, on=on, reason=reason or "Response received")


def demand_step(case, *, on, terms_on=None):
    """What the demand step does (SPEC §5.1-§5.3, §5.5), worked out before anything is written: the
    step (the amount, the letter and its facts) and the (debt, opening ledger row) it opens, unsaved;
    refused when nothing is recovered. `_issue_demand` and the sweep's batch engine both use it.
    `terms_on`: a cache of the interest terms by date, for a caller issuing many demands."""
    from ..money.demand import demand_computation

    comp = demand_computation(case=case, on=on)
    if comp.below_threshold:
        raise CaseActionError(f"{' '.join(comp.steps)} Medicare does not recover: close the case with no recovery.")
    if comp.amount <= ZERO:
        raise CaseActionError("The demand amount is $0.00: close the case with no recovery instead.")
    terms = terms_on.get(on) if terms_on is not None else None
    if terms is None:
        terms = interest_terms(on=on)  # fixed for this debt; refuses when no rate is in force
        if terms_on is not None:
            terms_on[on] = terms
    step = Step("issue_demand", {"amount": comp.amount, "without_reduction": comp.without_reduction}, K.DEMAND,
                letter_amount=comp.amount,
                letter_extra={"computation": comp.as_dict(), "annual_rate": terms.annual_rate,
                              "grace_days": terms.grace_days, "period_days": terms.period_days,
                              "year_days": terms.year_days})
    return step, comp, terms


def _issue_demand(case, *, actor, on, reason):
    step, comp, terms = demand_step(case, on=on)

    def open_debt(case, event):
        ledger.debt_open(case=case, principal=comp.amount, on=on, terms=terms, computation=comp.as_dict(),
                         actor_name=actor.get_username())

    _perform(case, step, actor=actor, on=on, reason=reason, after_save=open_debt)


def _referral_date(case, action, on, table=None):
    """The Treasury referral date a notice announces (SPEC §6: ITR shows 'the referral date')."""
    table = table or clock_table()
    if action == "issue_itr":
        return clocks.consequence_day(on, table.days(case.track, "treasury_after_itr", on))
    if action == "issue_referral_notice":
        return clocks.plan_treasury_day(table, case.demand_date, on)
    return None


def _debt_letter(action, kind):
    def run(case, *, actor, on, reason):
        ledger.interest_assess(case=case, as_of=on, actor_name=actor.get_username())
        # The letter states the debt as of its own date, even when the ledger (a late sweep catching up,
        # a payment recorded meanwhile) already holds rows dated after it.
        balance = ledger.schedule_for(case.debt, as_of=on)
        extra = {"principal": balance.principal, "interest": balance.interest}
        referral = _referral_date(case, action, on)
        if referral:
            extra["referral_date"] = referral.isoformat()
        _perform(case, Step(action, {}, kind, letter_amount=balance.balance, letter_extra=extra),
                 actor=actor, on=on, reason=reason)

    return run


def _file_review(action):
    def run(case, *, actor, on, reason):
        _require_reason(reason, "the request")
        _perform(case, Step(action, {}), actor=actor, on=on, reason=reason)

    return run


def _decide_review(action, letter_kind):
    def run(case, *, actor, on, reason, favourable=False, reduced_to=None):
        _require_reason(reason, "the decision")
        outcome = None
        if favourable:
            outcome = ledger.review_outcome(case=case, reduced_to=reduced_to, on=on)
        elif reduced_to not in (None, ""):
            raise CaseActionError("An unfavourable decision does not change the amount.", field="reduced_to")
        close_as = outcome.close_as if outcome else None
        if not favourable and debt_balance(case=case).total == ZERO:
            close_as = State.CLOSED_PAID  # paid in full while under review: nothing left to return to

        def book(case, event):
            if outcome:
                outcome.book(case=case, on=on, actor=actor, reason=reason)

        balance = debt_balance(case=case)
        _perform(
            case,
            Step(action, {"close_as": close_as}, letter_kind,
                 letter_extra={"favourable": favourable, "reduced_to": reduced_to, "reason": reason,
                               "balance_before": balance.total}),
            actor=actor, on=on, reason=reason, after_save=book,
        )

    return run


def _close(action, needs_reason):
    def run(case, *, actor, on, reason):
        if needs_reason:
            _require_reason(reason, "closing the case")
        _perform(case, Step(action, {}), actor=actor, on=on, reason=reason)

    return run


def _put_on_hold(case, *, actor, on, reason):
    _require_reason(reason, "the hold")
    _perform(case, Step("put_on_hold", {"reason": reason}), actor=actor, on=on, reason=reason)


# The steps that state the debt on their letter (the sweep's batch engine takes these in bulk).
DEBT_LETTER_KINDS = {"issue_itr": K.ITR, "issue_referral_notice": K.REFERRAL_NOTICE,
                     "refer_to_treasury": K.TREASURY_REFERRAL}
ACTIONS = {
    "post_occurrence": _post_occurrence,
    "issue_rar": _simple("issue_rar", K.RAR),
    "issue_cpl": _simple("issue_cpl", K.CPL),
    "issue_cpn": _issue_cpn,
    "record_response": _record_response,
    "open_dispute": _open_dispute,
    "decide_dispute": _decide_dispute,
    "report_settlement": _report_settlement,
    "issue_payment_notice": _simple("issue_payment_notice", K.PAYMENT_NOTICE),
    "issue_demand": _issue_demand,
    **{action: _debt_letter(action, kind) for action, kind in DEBT_LETTER_KINDS.items()},
    "file_appeal": _file_review("file_appeal"),
    "file_waiver": _file_review("file_waiver"),
    "file_challenge": _file_review("file_challenge"),
    "decide_appeal": _decide_review("decide_appeal", K.APPEAL_DECISION),
    "decide_waiver": _decide_review("decide_waiver", K.WAIVER_DECISION),
    "decide_challenge": _decide_review("decide_challenge", K.CHALLENGE_DECISION),
    "close_paid": _close("close_paid", needs_reason=False),
    "close_no_recovery": _close("close_no_recovery", needs_reason=True),
    "put_on_hold": _put_on_hold,
    "resume": _simple("resume"),
}
assert set(ACTIONS) == set(tracks.ACTIONS), set(ACTIONS) ^ set(tracks.ACTIONS)


def actions_available(*, case: RecoveryCase, user, on: date | None = None) -> list[str]:
    """Exactly the steps this user may take on this case now (the admin's buttons)."""
    on = on or today()
    table = clock_table()
    return [a for a in tracks.actions_from(case.track, case.state)
            if why_not(case, a, user=user, on=on, table=table) is None]
