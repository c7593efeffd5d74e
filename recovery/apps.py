from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_groups(sender, **kwargs):
    """After migrate — and after a flush, which empties every table — the staff groups and the
    policy tables' seed rows exist (both idempotent)."""
    from django.apps import apps

    from .policy_seed import seed
    from .roles import ensure_groups

    ensure_groups()
    seed(apps)


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Recovery cases"

    def ready(self):
        post_migrate.connect(_ensure_groups, sender=self)
