"""Set-based writing for the bulk intake (issue 13): many rows of a model, and the simple-history rows
that `save()` / `bulk_create_with_history` would write for them, in one statement per table.

The writer itself is recovery.bulk_rows (shared with the sweep's batch engine): ids from the table's
sequence and COPY on PostgreSQL, bulk_create elsewhere. The rows are dicts keyed by the model's column
attnames, with the model's field defaults filled in by `defaults(model)`; what they hold has already
been checked by the intake's validators (recovery.intake.layout) — nothing here validates.
"""

from ..bulk_rows import defaults, history_rows, insert, insert_with_history  # noqa: F401 — the intake's names
