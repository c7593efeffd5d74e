"""The case's clock and its history: `today()` (the contractor's local date every rule is dated by)
and the writer of the append-only history row (CaseEvent, SPEC §3.4).

This module sits low — it imports only the models — so the money rules (ledger, options, final
amount) and the case machine (services) can all date and record a step without importing each other.
"""

from datetime import date

from django.utils import timezone

from ..models import CaseEvent


def today() -> date:
    return timezone.localdate()


def write(case, action, *, actor, on, from_state, reason="") -> CaseEvent:
    """Append one history row: who took `action` on `case`, effective `on`, from which state to the
    case's state now."""
    return CaseEvent.objects.create(
        case=case, effective_date=on, actor=actor, actor_name=actor.get_username(), action=action,
        from_state=from_state, to_state=case.state, reason=reason,
    )
