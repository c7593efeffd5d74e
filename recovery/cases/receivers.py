"""The case machine's answers to what lower layers report (connected from RecoveryConfig.ready())."""

from django.dispatch import receiver

from ..money.signals import paid_in_full
from .services import case_act


@receiver(paid_in_full, dispatch_uid="recovery.cases.receivers.close_paid_in_full")
def close_paid_in_full(sender, *, case, actor, on, reason="Paid in full", **kwargs):
    """A payment cleared the balance: close the case as paid (SPEC §3.1). Runs inside the payment's
    transaction, so a refused step rolls the payment back too."""
    case_act(case=case, action="close_paid", actor=actor, on=on, reason=reason)
