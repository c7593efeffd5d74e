"""What the money layer tells the layers above it, without importing them."""

from django.dispatch import Signal

# A payment cleared the balance of a case that is not under review or on hold (SPEC §5.5): the case
# machine closes it as paid, on `on`, in the same transaction (recovery/cases/receivers.py).
# Arguments: case, actor, on.
paid_in_full = Signal()
