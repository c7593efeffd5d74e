from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_groups(sender, **kwargs):
    """After migrate — and after a flush, which empties every table — the staff groups and the
    policy tables' seed rows exist (both idempotent)."""
    from django.apps import apps

    from .policy_seed import seed
    from .access.roles import ensure_groups

    ensure_groups()
    seed(apps)


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Recovery cases"

    def ready(self):
        post_migrate.connect(_ensure_groups, sender=self)
        # Each concern's admin registers its models (the app has no top-level admin module); the
        # Celery tasks (recovery/clocks/tasks.py — Celery's autodiscovery looks only for a top-level
        # tasks module) register themselves and connect the outbox relay to the letters written; the
        # case machine's receivers answer what the money layer reports.
        from .access import admin as _access_admin  # noqa: F401
        from .cases import admin as _cases_admin  # noqa: F401
        from .cases import receivers as _cases_receivers  # noqa: F401 — closes a case paid in full
        from .clocks import tasks as _clocks_tasks  # noqa: F401
        from .letters import admin as _letters_admin  # noqa: F401
        from .money import admin as _money_admin  # noqa: F401
        from .worklist import admin as _worklist_admin  # noqa: F401 — the worklist (issue 12)
        from .intake import admin as _intake_admin  # noqa: F401 — the intake batches (issue 13)
        from .intake import tasks as _intake_tasks  # noqa: F401 — registers recovery.intake.import_batch
        from .reports import admin as _reports_admin  # noqa: F401 — the supervisor dashboard (issue 12)
