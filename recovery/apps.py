from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_groups(sender, **kwargs):
    from .roles import ensure_groups

    ensure_groups()


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Recovery cases"

    def ready(self):
        post_migrate.connect(_ensure_groups, sender=self)
