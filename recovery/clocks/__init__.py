"""Clocks: how a clock counts its days, the deadline sweeps, and the Celery tasks that run them."""
