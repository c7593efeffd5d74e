"""The three recovery tracks as data (SPEC §3.1-§3.3): states, and which action leads where on which track.

This table is the single source of the state machines: the FSM transitions on RecoveryCase take their
sources from it and refuse an action that its track does not have; the admin's buttons and the
state diagrams in the README are generated from it (`manage.py state_diagram`).
"""

from django.db import models


class Track(models.TextChoices):
    BENEFICIARY = "beneficiary", "Beneficiary NGHP recovery (BCRC)"  # SPEC §3.1
    PLAN = "plan", "NGHP recovery from the applicable plan (CRC, ORM)"  # SPEC §3.2
    GHP = "ghp", "GHP mistaken primary payment recovery (CRC)"  # SPEC §3.3


class State(models.TextChoices):
    REPORTED = "reported", "Reported"
    OCCURRENCE_POSTED = "occurrence_posted", "MSP occurrence posted"
    RAR_ISSUED = "rar_issued", "RAR letter issued"
    CPL_ISSUED = "cpl_issued", "Conditional payment letter issued"
    CPN_ISSUED = "cpn_issued", "Conditional payment notice issued"
    DISPUTE_PENDING = "dispute_pending", "Dispute pending"
    SETTLEMENT_REPORTED = "settlement_reported", "Settlement reported"
    PAYMENT_NOTICE_ISSUED = "payment_notice_issued", "Payment notice issued"
    DEMAND_ISSUED = "demand_issued", "Demand issued"
    CHALLENGE_PENDING = "challenge_pending", "Challenge pending"
    APPEAL_PENDING = "appeal_pending", "Appeal pending"
    WAIVER_PENDING = "waiver_pending", "Waiver pending"
    INTENT_TO_REFER_ISSUED = "intent_to_refer_issued", "Intent to refer issued"
    REFERRAL_NOTICE_ISSUED = "referral_notice_issued", "Referral notice issued"
    REFERRED_TO_TREASURY = "referred_to_treasury", "Referred to Treasury"
    ON_HOLD = "on_hold", "On hold"
    CLOSED_PAID = "closed_paid", "Closed — paid"
    CLOSED_NO_RECOVERY = "closed_no_recovery", "Closed — no recovery"


S = State
CLOSED_STATES = frozenset({S.CLOSED_PAID, S.CLOSED_NO_RECOVERY})

# Human labels of the actions (buttons, history, diagrams).
ACTION_LABELS = {
    "post_occurrence": "Post MSP occurrence",
    "issue_rar": "Issue RAR letter",
    "issue_cpl": "Issue conditional payment letter",
    "issue_cpn": "Issue conditional payment notice",
    "record_response": "Record the debtor's response",
    "open_dispute": "Open a dispute",
    "decide_dispute": "Decide the dispute",
    "report_settlement": "Record settlement reported",
    "issue_payment_notice": "Issue payment notice",
    "issue_demand": "Issue demand",
    "file_challenge": "File a challenge",
    "decide_challenge": "Decide the challenge",
    "file_appeal": "File an appeal",
    "decide_appeal": "Decide the appeal",
    "file_waiver": "Request a waiver",
    "decide_waiver": "Decide the waiver",
    "issue_itr": "Issue intent to refer",
    "issue_referral_notice": "Issue referral notice",
    "refer_to_treasury": "Refer to Treasury",
    "close_paid": "Close as paid",
    "close_no_recovery": "Close with no recovery",
    "put_on_hold": "Put on hold",
    "resume": "Resume from hold",
}


# What the history says a step did (the case page's readable history, issue 12): past tense, in words,
# never the internal code. Every action above has one, and so do the history rows that are not steps
# (a case opened, a payment, an election, the portal's submissions).
EVENT_LABELS = {
    "open": "Case opened",
    "post_occurrence": "MSP occurrence posted",
    "issue_rar": "RAR letter issued",
    "issue_cpl": "CPL issued",
    "issue_cpn": "CPN issued",
    "record_response": "Debtor's response recorded",
    "open_dispute": "Dispute opened",
    "decide_dispute": "Dispute decided",
    "report_settlement": "Settlement reported",
    "issue_payment_notice": "Payment notice issued",
    "issue_demand": "Demand issued",
    "file_challenge": "Challenge filed",
    "decide_challenge": "Challenge decided",
    "file_appeal": "Appeal filed",
    "decide_appeal": "Appeal decided",
    "file_waiver": "Waiver requested",
    "decide_waiver": "Waiver decided",
    "issue_itr": "Intent to refer issued",
    "issue_referral_notice": "Referral notice issued",
    "refer_to_treasury": "Referred to Treasury",
    "close_paid": "Closed as paid",
    "close_no_recovery": "Closed with no recovery",
    "put_on_hold": "Put on hold",
    "resume": "Resumed from hold",
    "record_payment": "Payment recorded",
    "record_refund": "Refund recorded",
    "elect_fixed_percentage": "Fixed-percentage option elected",
    "elect_self_calculated": "Self-calculated option elected",
    "answer_self_calculated": "Final conditional payment amount given (self-calculated option)",
    "final_amount_request": "Final conditional payment amount requested",
    "final_amount_notice": "Notice of expected settlement given (final amount process)",
    "submit_settlement": "Settlement details sent",
    "intake_claims": "Claims imported",
}


def event_label(action: str) -> str:
    """A history row's action in words ("CPL issued"); an action with no label reads as a sentence."""
    return EVENT_LABELS.get(action) or action.replace("_", " ").capitalize()


def _edges(*rows):
    out = []
    for action, sources, targets in rows:
        sources = sources if isinstance(sources, tuple) else (sources,)
        targets = targets if isinstance(targets, tuple) else (targets,)
        out.extend((action, s, t) for s in sources for t in targets)
    return out


_BENE_DEBT = (S.DEMAND_ISSUED, S.INTENT_TO_REFER_ISSUED)
_BENE_PRE_DEMAND = (S.REPORTED, S.OCCURRENCE_POSTED, S.RAR_ISSUED, S.CPL_ISSUED, S.CPN_ISSUED, S.SETTLEMENT_REPORTED)
_PLAN_DEBT = (S.DEMAND_ISSUED, S.REFERRAL_NOTICE_ISSUED)
_GHP_DEBT = (S.DEMAND_ISSUED, S.INTENT_TO_REFER_ISSUED)

# (action, source, target) for each track. An action whose target depends on the case (a dispute
# returns to the letter state it came from, a hold resumes where it was) lists every target.
EDGES = {
    Track.BENEFICIARY: _edges(
        ("post_occurrence", S.REPORTED, S.OCCURRENCE_POSTED),
        ("issue_rar", S.OCCURRENCE_POSTED, S.RAR_ISSUED),
        ("issue_cpl", S.RAR_ISSUED, S.CPL_ISSUED),
        ("issue_cpn", (S.REPORTED, S.CPL_ISSUED), S.CPN_ISSUED),
        ("record_response", S.CPN_ISSUED, S.CPN_ISSUED),
        ("open_dispute", (S.CPL_ISSUED, S.CPN_ISSUED), S.DISPUTE_PENDING),
        ("decide_dispute", S.DISPUTE_PENDING, (S.CPL_ISSUED, S.CPN_ISSUED)),
        ("report_settlement", S.CPL_ISSUED, S.SETTLEMENT_REPORTED),
        ("issue_demand", (S.SETTLEMENT_REPORTED, S.CPN_ISSUED), S.DEMAND_ISSUED),
        ("issue_itr", S.DEMAND_ISSUED, S.INTENT_TO_REFER_ISSUED),
        ("refer_to_treasury", S.INTENT_TO_REFER_ISSUED, S.REFERRED_TO_TREASURY),
        ("file_appeal", _BENE_DEBT, S.APPEAL_PENDING),
        ("decide_appeal", S.APPEAL_PENDING, _BENE_DEBT + (S.CLOSED_PAID, S.CLOSED_NO_RECOVERY)),
        ("file_waiver", _BENE_DEBT, S.WAIVER_PENDING),
        ("decide_waiver", S.WAIVER_PENDING, _BENE_DEBT + (S.CLOSED_PAID, S.CLOSED_NO_RECOVERY)),
        ("close_paid", _BENE_DEBT + (S.APPEAL_PENDING, S.WAIVER_PENDING, S.REFERRED_TO_TREASURY), S.CLOSED_PAID),
        ("close_no_recovery", _BENE_PRE_DEMAND, S.CLOSED_NO_RECOVERY),
    ),
    Track.PLAN: _edges(
        ("issue_cpn", S.REPORTED, S.CPN_ISSUED),
        ("record_response", S.CPN_ISSUED, S.CPN_ISSUED),
        ("open_dispute", S.CPN_ISSUED, S.DISPUTE_PENDING),
        ("decide_dispute", S.DISPUTE_PENDING, S.CPN_ISSUED),
        ("issue_demand", S.CPN_ISSUED, S.DEMAND_ISSUED),
        ("issue_referral_notice", S.DEMAND_ISSUED, S.REFERRAL_NOTICE_ISSUED),
        ("refer_to_treasury", S.REFERRAL_NOTICE_ISSUED, S.REFERRED_TO_TREASURY),
        ("file_appeal", _PLAN_DEBT, S.APPEAL_PENDING),
        ("decide_appeal", S.APPEAL_PENDING, _PLAN_DEBT + (S.CLOSED_PAID, S.CLOSED_NO_RECOVERY)),
        ("close_paid", _PLAN_DEBT + (S.APPEAL_PENDING, S.REFERRED_TO_TREASURY), S.CLOSED_PAID),
        ("close_no_recovery", (S.REPORTED, S.CPN_ISSUED), S.CLOSED_NO_RECOVERY),
    ),
    Track.GHP: _edges(
        ("issue_payment_notice", S.REPORTED, S.PAYMENT_NOTICE_ISSUED),
        ("record_response", S.PAYMENT_NOTICE_ISSUED, S.PAYMENT_NOTICE_ISSUED),
        ("issue_demand", S.PAYMENT_NOTICE_ISSUED, S.DEMAND_ISSUED),
        ("file_challenge", _GHP_DEBT, S.CHALLENGE_PENDING),
        ("decide_challenge", S.CHALLENGE_PENDING, _GHP_DEBT + (S.CLOSED_PAID, S.CLOSED_NO_RECOVERY)),
        ("issue_itr", S.DEMAND_ISSUED, S.INTENT_TO_REFER_ISSUED),
        ("refer_to_treasury", S.INTENT_TO_REFER_ISSUED, S.REFERRED_TO_TREASURY),
        ("close_paid", _GHP_DEBT + (S.CHALLENGE_PENDING, S.REFERRED_TO_TREASURY), S.CLOSED_PAID),
        ("close_no_recovery", (S.REPORTED, S.PAYMENT_NOTICE_ISSUED), S.CLOSED_NO_RECOVERY),
    ),
}

# Any open case can be put on hold by a supervisor and resumed where it was (SPEC §3.1). A debt
# referred to Treasury is out of the contractor's hands and is not "open" for this purpose.
for _track, _rows in EDGES.items():
    _open = sorted(({s for _, s, _ in _rows} | {t for _, _, t in _rows}) - CLOSED_STATES - {S.REFERRED_TO_TREASURY})
    _rows.extend(("put_on_hold", s, S.ON_HOLD) for s in _open)
    _rows.extend(("resume", S.ON_HOLD, s) for s in _open)

ACTIONS = tuple(ACTION_LABELS)


def sources(action: str) -> list[str]:
    """Every state, on any track, from which `action` may start (for the FSM decorator)."""
    return sorted({s for rows in EDGES.values() for a, s, _ in rows if a == action})


def allowed(track: str, state: str, action: str) -> bool:
    return any(a == action and s == state for a, s, _ in EDGES[track])


def targets(track: str, state: str, action: str) -> set[str]:
    return {t for a, s, t in EDGES[track] if a == action and s == state}


def states_of(track: str) -> list[str]:
    seen = {s for _, s, _ in EDGES[track]} | {t for _, _, t in EDGES[track]}
    return [s for s in State.values if s in seen]


def actions_from(track: str, state: str) -> list[str]:
    return [a for a in ACTIONS if allowed(track, state, a)]


def mermaid(track: str, *, include_hold: bool = False) -> str:
    """A Mermaid state diagram of one track (the hold/resume edges are summarised in a note)."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.REPORTED}"]
    seen = set()
    for action, source, target in EDGES[track]:
        if action in {"put_on_hold", "resume"} and not include_hold:
            continue
        if (source, target, action) in seen:
            continue
        seen.add((source, target, action))
        lines.append(f"    {source} --> {target}: {action}")
    for state in sorted(CLOSED_STATES):
        if state in states_of(track):
            lines.append(f"    {state} --> [*]")
    if not include_hold:
        lines.append(f"    note right of {S.ON_HOLD}: any open state --> on_hold (put_on_hold), and back (resume)")
    return "\n".join(lines)
