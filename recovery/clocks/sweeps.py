"""The deadline sweeps (SPEC §3 clocks, §4 scheduled jobs).

A sweep takes an as-of date. For each case with something due by then it performs, in date order,
every step the clocks call for — through the same services people use, acting as the named system
user — and assesses interest through the as-of date. What is due is a function of the case's stored
dates, never of when the sweep ran: a sweep after N days of downtime brings each case to the state,
dates and amounts daily sweeps would have, and a second sweep for the same date finds nothing to do.

Steps are dated by the rule (the ITR on demand + 90, …) unless the operator chooses the run date;
the letter says which (`content["dated_by"]`).

A sweep takes its cases in chunks through the batch engine (recovery/clocks/batch.py): the chunk's
rows locked and loaded at once, each case decided in memory by the same rules (due_step, the guards,
the money rules, the demand's computation), every effect written in bulk. A case the engine does not
take (a ledger to reverse, a refusal, an error) goes through `process_case`: its own transaction with its row
locked. Either way several workers can share a sweep (chunks of ids) and no case is processed twice:
the second worker to reach a case finds its steps done. Dry runs take every case through process_case.
"""

import logging
from datetime import date

from django.db import transaction
from django.utils import timezone

from . import batch
from . import counting as clocks
from ..money import ledger
from ..letters import compose as letters
from ..cases import services
from ..errors import CaseActionError
from ..models import Debt, RecoveryCase, SweepRun
from ..money.policy import clock_table
from ..cases.tracks import CLOSED_STATES, State

log = logging.getLogger(__name__)
# The rule of the next automatic step lives with the clocks (counting.due_step); the batch engine
# holds the result type and the dating choices; both are named here as the sweep's callers know them.
DueStep, due_step = clocks.DueStep, clocks.due_step
CaseResult, RULE, RUN_DATE = batch.CaseResult, batch.RULE, batch.RUN_DATE
# The states whose clock runs out into an automatic step (due_step); other due dates (a CPL or a
# dispute decision the contractor owes) only put the case on the work queue.
AUTOMATIC_STATES = [State.CPN_ISSUED, State.PAYMENT_NOTICE_ISSUED, State.DEMAND_ISSUED, State.INTENT_TO_REFER_ISSUED,
                    State.REFERRAL_NOTICE_ISSUED]


def process_case(case_id: int, *, as_of: date, dated_by: str = RULE, dry_run: bool = False,
                 table: clocks.ClockTable | None = None, actor=None) -> CaseResult:
    """Bring one case up to `as_of`: every due step in date order, then interest through `as_of`."""
    table = table or clock_table()
    actor = actor or services.system_user()
    result = CaseResult(case_id, [], 0)
    with transaction.atomic():
        case = RecoveryCase.objects.select_for_update().select_related("beneficiary").get(pk=case_id)
        while case.state not in CLOSED_STATES:
            step = due_step(case, table)
            if step is None or step.on > as_of:
                break
            if step.action in ("issue_itr", "issue_referral_notice", "refer_to_treasury"):
                # Paid by the step's date: nothing to refer (the payment closed it or will).
                if ledger.schedule_for(case.debt, as_of=max(step.on, case.debt.demand_date)).balance <= 0:
                    break
            # A case back on its clock after the rule day (an unfavourable review, a resume) takes the
            # overdue step on the day it came back: a step is never dated before the case's last step.
            last = case.events.order_by("-effective_date").values_list("effective_date", flat=True).first()
            on = max(step.on, last) if dated_by == RULE else max(as_of, step.on)
            result.steps.append((step.action, on))
            if dry_run:
                break
            services.case_act(case=case, action=step.action, actor=actor, on=on, reason=step.why,
                              letter_extra={"dated_by": dated_by})
            case.refresh_from_db()
        if not dry_run and case.state not in CLOSED_STATES and hasattr(case, "debt"):
            result.interest_rows = len(ledger.interest_assess(case=case, as_of=as_of,
                                                              actor_name=actor.get_username()))
        if dry_run:
            transaction.set_rollback(True)
    return result


def due_case_ids(*, as_of: date) -> list[int]:
    """Ids of the cases with a clocked step or interest due by `as_of` (indexed: next_due_date, and the
    debt's next_assessment_date)."""
    steps = (RecoveryCase.objects.filter(next_due_date__lte=as_of, state__in=AUTOMATIC_STATES)
             .values_list("pk", flat=True))
    interest = (Debt.objects.filter(next_assessment_date__lte=as_of)
                .exclude(case__state__in=CLOSED_STATES).values_list("case_id", flat=True))
    return sorted(set(steps) | set(interest))


def sweep(*, as_of: date, dated_by: str = RULE, dry_run: bool = False, ids=None, progress=None,
          per_case: bool = False) -> list[CaseResult]:
    """Process every due case (or the given ids): chunk by chunk through the batch engine (`per_case`:
    one by one through process_case, as dry runs always are); a case that fails is logged and left for
    the next sweep, the others go on."""
    if not dry_run and as_of > services.today():
        raise CaseActionError("A sweep cannot act for a day that has not come; use a dry run to look ahead.",
                              field="as_of")
    table = clock_table()
    results = []
    started = timezone.now()
    ids = ids if ids is not None else due_case_ids(as_of=as_of)
    token = letters.kick_relay.set(False)  # the caller relays once at the end (tasks.sweep_chunk)
    try:
        _sweep_ids(ids, as_of=as_of, dated_by=dated_by, dry_run=dry_run, table=table, results=results,
                   progress=progress, per_case=per_case)
    finally:
        letters.kick_relay.reset(token)
    SweepRun.objects.create(started_at=started, finished_at=timezone.now(), as_of=as_of, cases=len(ids),
                            steps=sum(len(r.steps) for r in results), failures=len(ids) - len(results),
                            dry_run=dry_run)
    return results


def _case_label(case_id: int) -> str:
    """What a person reads in the log (issue 12): the case number, with the row id beside it. Asked only
    when a case is refused or fails, so it costs nothing on a good night."""
    number = RecoveryCase.objects.filter(pk=case_id).values_list("number", flat=True).first()
    return f"{number} (id {case_id})" if number else f"id {case_id}"


CHUNK = 500  # cases a batch takes at once (bounded memory; one lock set per chunk)


def _sweep_ids(ids, *, as_of, dated_by, dry_run, table, results, progress, per_case=False):
    """Non-dry runs go through the batch engine chunk by chunk; the cases it leaves (or a chunk whose
    bulk write failed) take the per-case path, which isolates each case's failure."""
    actor = services.system_user()  # once per sweep: its permissions stay cached for every case
    terms_on = {}  # the interest terms in force by date (a demand's), read once per sweep
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        if dry_run or per_case:
            done, rest = [], chunk
        else:
            try:
                done, rest = batch.sweep_chunk(chunk, as_of=as_of, dated_by=dated_by, table=table, actor=actor,
                                               terms_on=terms_on)
            except Exception:  # noqa: BLE001 — the chunk's writes rolled back whole: each case on its own
                log.exception("batch of %s cases failed; taking them one by one", len(chunk))
                done, rest = [], chunk
        by_id = {r.case_id: r for r in done}
        for case_id in rest:
            try:
                by_id[case_id] = process_case(case_id, as_of=as_of, dated_by=dated_by, dry_run=dry_run,
                                              table=table, actor=actor)
            except CaseActionError as exc:
                log.warning("case %s: %s", _case_label(case_id), exc.message)
            except Exception:  # noqa: BLE001 — one case's failure (rolled back whole) must not stop the others
                log.exception("case %s failed; it stays due for the next sweep", _case_label(case_id))
        results.extend(by_id[case_id] for case_id in chunk if case_id in by_id)
        if progress:
            progress(len(chunk))
