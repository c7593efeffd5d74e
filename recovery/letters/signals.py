"""What the letters tell the layers above them, without importing them."""

from django.dispatch import Signal

# A letter and its pending deliveries were written in the current transaction and the caller wants the
# outbox relayed after commit (letters.kick_relay). The clocks' tasks ask a worker for the relay
# (recovery/clocks/tasks.py). Arguments: letter.
letter_written = Signal()
